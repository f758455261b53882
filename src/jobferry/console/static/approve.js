// jobferry console: the Approvals page's "Approve with my key". The browser signs the page's
// statement with the approver's Ed25519 private key (WebCrypto): the key file is read here and
// never posted (its input has no name) nor kept; the form posts the signature (standard
// base64), the plan hash and the key's id, which is computed as the server computes it: the
// first 16 hex characters of the sha256 of the raw 32-byte public key.
"use strict";

(function () {
  var form = document.querySelector("[data-approve-form]");
  if (!form) { return; }
  var input = form.querySelector("[data-approve-key]");
  var said = form.querySelector("[data-approve-said]");
  var button = form.querySelector("[data-approve-button]");
  var subtle = window.crypto && window.crypto.subtle;
  var ED25519 = { name: "Ed25519" };
  var NO_ED25519 = "This browser cannot sign with Ed25519 keys here (it needs a current " +
    "browser, and the console served over HTTPS or from this machine): approve from the " +
    "command line below.";
  var NOT_A_KEY = "That file is not an Ed25519 private key: pick the unencrypted key file " +
    "(BEGIN PRIVATE KEY) that jobferry users keys new wrote. Nothing was sent.";

  function say(text) {
    said.textContent = text;
    said.hidden = !text;
  }

  function refuse(text) {
    say(text);
    button.disabled = false;
  }

  // A browser without Ed25519 in WebCrypto says so before anyone picks a file.
  function supported() {
    if (!subtle) { return Promise.resolve(false); }
    return subtle.generateKey(ED25519, false, ["sign", "verify"]).then(
      function () { return true; },
      function () { return false; }
    );
  }

  function pemBody(text) {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) { return null; }
    var found = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(text);
    if (!found) { return null; }
    var binary;
    try { binary = window.atob(found[1].replace(/\s+/g, "")); } catch (e) { return null; }
    var der = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { der[i] = binary.charCodeAt(i); }
    return der;
  }

  function base64(bytes) {
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return window.btoa(binary);
  }

  function unbase64url(text) {
    var plain = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = window.atob(plain + "===".slice((plain.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function keyId(key) {
    return subtle.exportKey("jwk", key).then(function (jwk) {
      return subtle.digest("SHA-256", unbase64url(jwk.x));
    }).then(function (digest) { return hex(digest).slice(0, 16); });
  }

  function sign(der) {
    var statement = new TextEncoder().encode(form.getAttribute("data-statement"));
    return subtle.importKey("pkcs8", der, ED25519, true, ["sign"]).then(function (key) {
      return Promise.all([keyId(key), subtle.sign(ED25519, key, statement)]);
    });
  }

  supported().then(function (yes) {
    if (!yes) {
      say(NO_ED25519);
      button.disabled = true;
      input.disabled = true;
    }
  });

  input.addEventListener("change", function () { say(""); });

  form.addEventListener("submit", function (event) {
    event.preventDefault(); // posted below, once the signature is in it
    var file = input.files && input.files[0];
    if (!file) { say("Pick your private key file first."); return; }
    button.disabled = true;
    say("");
    file.text().then(function (text) {
      var der = pemBody(text);
      if (!der) { refuse(NOT_A_KEY); return; }
      return sign(der).then(function (made) {
        form.querySelector("[data-approve-key-id]").value = made[0];
        form.querySelector("[data-approve-signature]").value = base64(new Uint8Array(made[1]));
        input.value = "";
        form.submit();
      }, function (error) {
        refuse(error && error.name === "NotSupportedError" ? NO_ED25519 : NOT_A_KEY);
      });
    }, function () { refuse("The file could not be read; pick it again."); });
  });
})();
