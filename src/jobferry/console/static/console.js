// jobferry console: small progressive enhancements. Every page works without this file,
// except the export dialog and the live progress bar.
"use strict";

(function () {
  document.documentElement.classList.add("js");

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  // Times arrive in UTC; show them in the browser's time zone.
  all("time[datetime]").forEach(function (el) {
    var moment = new Date(el.getAttribute("datetime"));
    if (!isNaN(moment.getTime())) {
      el.title = el.textContent;
      el.textContent = moment.toLocaleString();
    }
  });

  // Workspace switcher: go on change.
  all("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
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

  // Job tree check boxes: count, "select all in a folder", folder state.
  var treeForm = document.getElementById("tree-form");
  if (treeForm) {
    var jobBoxes = function (root) { return all("input[name=job]", root); };
    var refresh = function () {
      var ticked = jobBoxes(treeForm).filter(function (b) { return b.checked; }).length;
      all("[data-selected-count]").forEach(function (el) { el.textContent = String(ticked); });
      all("[data-needs-selection]").forEach(function (el) { el.disabled = ticked === 0; });
      all("details.folder").forEach(function (folder) {
        var toggle = folder.querySelector(":scope > summary > .folder-toggle");
        if (!toggle) { return; }
        var boxes = jobBoxes(folder);
        var on = boxes.filter(function (b) { return b.checked; }).length;
        toggle.checked = boxes.length > 0 && on === boxes.length;
        toggle.indeterminate = on > 0 && on < boxes.length;
      });
    };
    treeForm.addEventListener("change", function (event) {
      var target = event.target;
      if (target.classList && target.classList.contains("folder-toggle")) {
        jobBoxes(target.closest("details.folder")).forEach(function (b) { b.checked = target.checked; });
      }
      refresh();
    });
    all(".folder-toggle").forEach(function (toggle) {
      toggle.addEventListener("click", function (event) { event.stopPropagation(); });
    });
    refresh();
  }

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

  // Task progress: poll the task until it ends.
  all("[data-poll]").forEach(function (box) {
    if (box.getAttribute("data-done") === "yes") { return; }
    var url = box.getAttribute("data-poll");
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
          set("[data-task-status]", function (el) {
            el.textContent = task.status;
            el.className = "badge status-" + task.status.toLowerCase();
          });
          set("[data-task-progress]", function (el) { el.value = task.progress; });
          set("[data-task-percent]", function (el) { el.textContent = task.progress + "%"; });
          set("[data-task-message]", function (el) { el.textContent = task.message; });
          if (!task.done) {
            window.setTimeout(tick, 700);
            return;
          }
          box.setAttribute("data-done", "yes");
          if (box.hasAttribute("data-reload")) {
            window.location.reload();
            return;
          }
          if (task.downloadUrl) {
            set("[data-task-download]", function (el) { el.href = task.downloadUrl; });
            set("[data-task-file]", function (el) { el.textContent = task.fileName || ""; });
            set("[data-task-ready]", function (el) { el.classList.remove("hidden"); });
            all("[data-last-generated]").forEach(function (el) {
              el.textContent = new Date().toLocaleString();
            });
          }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    };
    window.setTimeout(tick, 300);
  });
})();
