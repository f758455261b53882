// jobferry console: small progressive enhancements. Every page works without this file,
// except the export dialog and the live progress bar.
"use strict";

(function () {
  document.documentElement.classList.add("js");

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  // Times are shown in UTC, the zone the server renders and the forms take ("Changed since");
  // hovering one shows it in the browser's own zone, named.
  var zoned = function (root) {
    all("time[datetime]", root).forEach(function (el) {
      var moment = new Date(el.getAttribute("datetime"));
      if (!isNaN(moment.getTime()) && !el.title) {
        el.title = moment.toLocaleString(undefined, { timeZoneName: "short" });
      }
    });
  };
  zoned(document);

  // Workspace switcher: go on a choice made with the mouse; on the keyboard, where the arrow
  // keys change the choice as they pass over each workspace, go on Enter.
  all("select[data-autosubmit]").forEach(function (select) {
    var keyed = false;
    select.addEventListener("mousedown", function () { keyed = false; });
    select.addEventListener("keydown", function (event) {
      keyed = true;
      if (event.key === "Enter") {
        event.preventDefault();
        select.form.submit();
      }
    });
    select.addEventListener("change", function () { if (!keyed) { select.form.submit(); } });
  });

  all("[data-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });

  all("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // Pending items: count the ticked items as they are ticked (a package takes 1 to 100), and
  // the box in the table's head ticks or clears every item shown (a page holds at most 100).
  all("[data-package-form]").forEach(function (form) {
    var items = all("[data-pending-item]", form);
    var every = all("[data-pending-all]", form);
    var count = function () {
      var ticked = all("[data-pending-item]:checked", form).length;
      all("[data-pending-count]", form).forEach(function (el) { el.textContent = ticked; });
      every.forEach(function (box) {
        box.checked = items.length > 0 && ticked === items.length;
        box.indeterminate = ticked > 0 && ticked < items.length;
      });
    };
    items.forEach(function (box) { box.addEventListener("change", count); });
    every.forEach(function (box) {
      box.hidden = false;
      box.addEventListener("change", function () {
        items.forEach(function (item) { item.checked = box.checked; });
        count();
      });
    });
    count();
  });

  // Dialogs.
  all("[data-open-dialog]").forEach(function (button) {
    button.addEventListener("click", function () {
      var dialog = document.getElementById(button.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) { dialog.showModal(); }
    });
  });
  all("[data-close-dialog]").forEach(function (button) {
    button.addEventListener("click", function () { button.closest("dialog").close(); });
  });
  all("dialog").forEach(function (dialog) {
    var form = dialog.closest("form");
    if (!form) { return; }
    form.addEventListener("submit", function () {
      // The answer may be a download that leaves the page as it is: close the dialog.
      window.setTimeout(function () { if (dialog.open) { dialog.close(); } }, 50);
    });
  });

  // Folder listings: a folder loads its first page when it is first opened, and a large
  // folder's pages replace each other in place (without this script each is its own page).
  var treeForm = document.getElementById("tree-form");
  var ticks = treeForm ? makeTicks(treeForm) : null;

  function enhance(root) {
    all("details.folder[data-src]", root).forEach(function (folder) {
      function opened() {
        if (!folder.open || folder.getAttribute("data-loaded") === "yes") { return; }
        folder.setAttribute("data-loaded", "yes");
        var body = folder.querySelector(":scope > [data-folder-body]");
        body.innerHTML = '<p class="muted small" role="status">Loading…</p>';
        load(folder.getAttribute("data-src"), function (listing) {
          body.innerHTML = "";
          body.appendChild(listing);
        }, function () {
          folder.removeAttribute("data-loaded");
          body.innerHTML = '<p class="alert error" role="alert">This folder could not be loaded; close it and open it again, or reload the page.</p>';
        });
      }
      folder.addEventListener("toggle", opened);
      // A folder opened before this (deferred) script ran missed its toggle: load it now.
      opened();
    });
    all("a[data-fragment]", root).forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var listing = link.closest(".listing");
        load(link.getAttribute("data-fragment"), function (fresh) {
          listing.replaceWith(fresh);
          var top = fresh.getBoundingClientRect().top;
          if (top < 0) { window.scrollBy(0, top - 70); }
        }, function () { window.location.href = link.href; });
      });
    });
    all(".tick", root).forEach(function (box) {
      box.addEventListener("click", function (event) { event.stopPropagation(); });
    });
    zoned(root);
    if (ticks) { ticks.refresh(); }
  }

  function load(url, done, failed) {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var listing = holder.querySelector(".listing");
        if (!listing) { throw new Error("no listing"); }
        done(listing);
        enhance(listing);
      })
      .catch(failed);
  }

  // Ticks on the jobs page. Each tick or untick is a mark: "j:NAME" or "f:/PATH" → true or
  // false, meaning "this job, or every job in this folder, is (not) selected"; the nearest
  // mark above a job decides (a folder's tick covers jobs never loaded: the server expands
  // it). Only marks that differ from what the folder above says are kept, and on submit they
  // travel as job / not_job / job_folder / not_job_folder fields.
  function makeTicks(form) {
    var marks = {};
    try { marks = JSON.parse(form.getAttribute("data-marks") || "{}"); } catch (e) { marks = {}; }
    var sizes = {};
    var homes = {};
    var parentOf = function (path) {
      if (path === "/" || path === "") { return ""; }
      var cut = path.lastIndexOf("/");
      return cut <= 0 ? "/" : path.slice(0, cut);
    };
    var within = function (folder, path) {
      return folder === "/" || path === folder || path.indexOf(folder + "/") === 0;
    };
    var folderOf = function (key) {
      return key.charAt(0) === "f" ? parentOf(key.slice(2)) : homes[key];
    };
    var stateAbove = function (key) {
      for (var path = folderOf(key); path; path = parentOf(path)) {
        if (Object.prototype.hasOwnProperty.call(marks, "f:" + path)) { return marks["f:" + path]; }
      }
      return false;
    };
    var state = function (key) {
      return Object.prototype.hasOwnProperty.call(marks, key) ? marks[key] : stateAbove(key);
    };
    var inside = function (folderKey, key) {
      var folder = folderKey.slice(2);
      if (key === folderKey) { return false; }
      if (key.charAt(0) === "f") { return within(folder, key.slice(2)); }
      return homes[key] !== undefined && within(folder, homes[key]);
    };
    var count = function () {
      var total = 0;
      Object.keys(marks).forEach(function (key) {
        var size = key.charAt(0) === "f" ? (sizes[key] || 0) : 1;
        total += marks[key] ? size : -size;
      });
      return Math.max(total, 0);
    };
    var refresh = function () {
      all(".tick", form).forEach(function (box) {
        var key = box.getAttribute("data-mark");
        if (box.hasAttribute("data-count")) { sizes[key] = parseInt(box.getAttribute("data-count"), 10) || 0; }
        if (key.charAt(0) === "j") { homes[key] = box.getAttribute("data-in"); }
        box.checked = state(key);
        box.indeterminate = key.charAt(0) === "f" && Object.keys(marks).some(function (other) {
          return inside(key, other);
        });
      });
      var n = count();
      all("[data-selected-count]").forEach(function (el) { el.textContent = n.toLocaleString("en"); });
      all("[data-needs-selection]").forEach(function (el) { el.disabled = n === 0; });
    };
    form.addEventListener("change", function (event) {
      var box = event.target;
      if (!box.classList || !box.classList.contains("tick")) { return; }
      var key = box.getAttribute("data-mark");
      if (key.charAt(0) === "f") {
        Object.keys(marks).forEach(function (other) { if (inside(key, other)) { delete marks[other]; } });
      }
      marks[key] = box.checked;
      if (marks[key] === stateAbove(key)) { delete marks[key]; }
      refresh();
    });
    form.addEventListener("submit", function () {
      all("input.tick-field", form).forEach(function (el) { el.remove(); });
      Object.keys(marks).forEach(function (key) {
        var field = document.createElement("input");
        field.type = "hidden";
        field.className = "tick-field";
        var folder = key.charAt(0) === "f";
        field.name = (marks[key] ? "" : "not_") + (folder ? "job_folder" : "job");
        field.value = key.slice(2);
        form.appendChild(field);
      });
    });
    return { refresh: refresh };
  }

  enhance(document);

  // Name list counter, e.g. 24/200.
  all("textarea[data-count-lines]").forEach(function (area) {
    var counter = document.getElementById(area.getAttribute("data-count-lines"));
    var cap = parseInt(area.getAttribute("data-cap") || "0", 10);
    var update = function () {
      var n = area.value.split(/\r?\n/).filter(function (line) { return line.trim() !== ""; }).length;
      counter.textContent = String(n);
      counter.parentNode.classList.toggle("over", cap > 0 && n > cap);
    };
    area.addEventListener("input", update);
    update();
  });

  all("[data-open-details]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var details = document.getElementById(link.getAttribute("data-open-details"));
      if (details) {
        event.preventDefault();
        details.open = true;
        details.scrollIntoView({ block: "nearest" });
      }
    });
  });

  // Task progress: ask for the task until it ends. Each ask waits up to a second on the
  // server for the task's end (?wait=1), so the end shows as it happens and the progress
  // every second meanwhile.
  all("[data-poll]").forEach(function (box) {
    if (box.getAttribute("data-done") === "yes") { return; }
    var url = box.getAttribute("data-poll") + "?wait=1";
    var set = function (selector, fn) {
      var el = box.querySelector(selector);
      if (el) { fn(el); }
    };
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (task) {
          if (task.done && box.hasAttribute("data-reload")) {
            // The page as the server shows an ended task; nothing is changed before it, so
            // what shows the end (the status, data-done) is always that page.
            window.location.reload();
            return;
          }
          set("[data-task-status]", function (el) {
            el.textContent = task.status;
            el.className = "badge status-" + task.status.toLowerCase();
          });
          set("[data-task-progress]", function (el) { el.value = task.progress; });
          set("[data-task-percent]", function (el) { el.textContent = task.progress + "%"; });
          set("[data-task-message]", function (el) { el.textContent = task.message; });
          if (!task.done) {
            window.setTimeout(tick, 50);
            return;
          }
          box.setAttribute("data-done", "yes");
          all("[data-when-done]").forEach(function (el) {
            var failed = task.status === "FAILED" && el.getAttribute("data-when-failed");
            el.textContent = failed || el.getAttribute("data-when-done");
          });
          if (task.downloadUrl) {
            set("[data-task-download]", function (el) { el.href = task.downloadUrl; });
            set("[data-task-file]", function (el) { el.textContent = task.fileName || ""; });
            set("[data-task-ready]", function (el) { el.classList.remove("hidden"); });
            all("[data-last-generated]").forEach(function (el) {
              el.textContent = new Date().toISOString().slice(0, 19).replace("T", " ") + " UTC";
            });
          }
          if (task.downloadNote) {
            set("[data-task-download-note]", function (el) {
              el.textContent = task.downloadNote;
              el.classList.remove("hidden");
            });
          }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    };
    window.setTimeout(tick, 0);
  });
})();
