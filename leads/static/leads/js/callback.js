/* The call-back form, enhanced: sent in place, errors shown beside each field without a
   reload, focus moved to the result. Without this script the form posts and redirects.
   No inline scripts or styles: the page's content security policy forbids them. */
(function () {
  "use strict";

  var TRACKING = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid"];
  var FIELDS = ["full_name", "phone", "email", "callback_time", "privacy_ack"];

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function setHidden(form, name, value) {
    var input = form.elements.namedItem(name);
    if (input && value && !input.value) {
      input.value = value.slice(0, name === "referrer" ? 500 : 200);
    }
  }

  // The page may come from a shared cache, so campaign values are copied from this
  // visitor's own address bar, and only sent along with their request.
  function copyTracking(form) {
    var params = new URLSearchParams(window.location.search);
    TRACKING.forEach(function (name) {
      setHidden(form, name, params.get(name) || "");
    });
    setHidden(form, "referrer", document.referrer || "");
  }

  function clearErrors(form, status) {
    status.textContent = "";
    form.querySelectorAll(".field--error").forEach(function (el) {
      el.classList.remove("field--error");
    });
    form.querySelectorAll(".field__error").forEach(function (el) {
      el.remove();
    });
    FIELDS.forEach(function (name) {
      var input = form.elements.namedItem(name);
      if (!input) { return; }
      input.removeAttribute("aria-invalid");
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== input.id + "_error";
      });
      if (ids.length) { input.setAttribute("aria-describedby", ids.join(" ")); }
      else { input.removeAttribute("aria-describedby"); }
    });
  }

  function showFieldError(form, name, message) {
    var input = form.elements.namedItem(name);
    if (!input) { return; }
    var wrapper = input.closest(".field");
    var error = document.createElement("p");
    error.className = "field__error";
    error.id = input.id + "_error";
    var prefix = document.createElement("span");
    prefix.className = "visually-hidden";
    prefix.textContent = "Error:";
    error.appendChild(prefix);
    error.appendChild(document.createTextNode(" " + message));
    wrapper.classList.add("field--error");
    var label = wrapper.querySelector("label");
    if (input.type === "checkbox") {
      label.insertAdjacentElement("afterend", error);
    } else {
      var help = wrapper.querySelector(".field__help");
      (help || label).insertAdjacentElement("afterend", error);
    }
    input.setAttribute("aria-invalid", "true");
    var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    ids.push(error.id);
    input.setAttribute("aria-describedby", ids.join(" "));
  }

  function showSummary(form, status, messages) {
    var box = document.createElement("div");
    box.className = "error-summary";
    box.id = "callback-error-summary";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    box.setAttribute("aria-labelledby", "callback-error-summary-title");
    var title = document.createElement("h3");
    title.id = "callback-error-summary-title";
    title.textContent = "There is a problem";
    var list = document.createElement("ul");
    messages.forEach(function (item) {
      var li = document.createElement("li");
      if (item.field) {
        var input = form.elements.namedItem(item.field);
        var link = document.createElement("a");
        link.href = "#" + input.id;
        link.textContent = item.message;
        link.addEventListener("click", function (event) {
          event.preventDefault();
          input.focus();
        });
        li.appendChild(link);
      } else {
        li.textContent = item.message;
      }
      list.appendChild(li);
    });
    box.appendChild(title);
    box.appendChild(list);
    status.appendChild(box);
    box.focus();
  }

  function showSuccess(form, status, message) {
    var box = document.createElement("div");
    box.className = "success callback__result";
    box.id = "callback-result";
    box.setAttribute("role", "status");
    box.setAttribute("tabindex", "-1");
    var p = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = "Request sent.";
    p.appendChild(strong);
    p.appendChild(document.createTextNode(" " + message));
    box.appendChild(p);
    var section = form.closest(".callback");
    section.querySelectorAll(".callback__required, .callback__status").forEach(function (el) {
      el.remove();
    });
    form.replaceWith(box);
    box.focus();
  }

  function handleErrors(form, status, body) {
    var messages = [];
    var errors = body.errors || {};
    (errors.__all__ || []).forEach(function (message) {
      messages.push({ message: message });
    });
    FIELDS.forEach(function (name) {
      (errors[name] || []).forEach(function (message, index) {
        if (index === 0) { showFieldError(form, name, message); }
        messages.push({ field: name, message: message });
      });
    });
    if (!messages.length && body.message) {
      messages.push({ message: body.message });
    }
    if (body.token) {
      form.elements.namedItem("token").value = body.token;
    }
    showSummary(form, status, messages);
  }

  function enhance(form) {
    var status = form.parentNode.querySelector("[data-callback-status]");
    var button = form.querySelector("[type=submit]");
    var sending = false;
    copyTracking(form);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) { return; }
      var keyInput = form.elements.namedItem("submission_key");
      // One key per request: a retry or a second click is recognised as the same request.
      if (!keyInput.value) { keyInput.value = newKey(); }
      sending = true;
      button.disabled = true;
      form.setAttribute("aria-busy", "true");

      fetch(form.action.split("#")[0], {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) {
            throw new Error("unexpected response");
          }
          return response.json().then(function (body) {
            clearErrors(form, status);
            if (response.ok && body.ok) {
              showSuccess(form, status, body.message || form.dataset.successMessage);
            } else {
              handleErrors(form, status, body);
            }
          });
        })
        .catch(function () {
          clearErrors(form, status);
          showSummary(form, status, [{
            message: "We could not send your request. Check your connection and try again.",
          }]);
        })
        .finally(function () {
          sending = false;
          button.disabled = false;
          form.removeAttribute("aria-busy");
        });
    });
  }

  function init() {
    document.querySelectorAll("form[data-callback-form]").forEach(enhance);
    var summary = document.getElementById("callback-error-summary");
    if (summary) { summary.focus(); }
    var result = document.getElementById("callback-result");
    if (result && new URLSearchParams(window.location.search).get("callback") === "sent") {
      result.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
