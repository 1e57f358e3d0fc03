/* The ways to the call-back box on a case study, enhanced. Without this script each
   "#callback" link simply jumps to the box and the bar at the foot of the window is always
   shown (its stickiness is CSS). With it:
   - a link to the box scrolls there (smoothly, unless the reader asks for less motion) and
     puts the cursor in the form's first field;
   - the bar shows only while it helps: not while the prompt at the top of the article or the
     box itself is on screen, and never over the cookie banner.
   No inline scripts or styles: the page's content security policy forbids them. */
(function () {
  "use strict";

  var box = document.getElementById("callback");
  var bar = document.querySelector("[data-callback-bar]");
  var prompt = document.querySelector("[data-callback-cta]");
  var banner = document.getElementById("cookie-banner");
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  // The form's first field the reader fills in; after a request was sent, the result.
  function target() {
    var field = box.querySelector(
      "form [data-field] input:not([type=hidden]), form [data-field] select"
    );
    return field || box.querySelector("#callback-result") || box;
  }

  function goToBox(event) {
    if (event.button || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    // The address says where the reader is, as the plain link would have made it say.
    if (window.location.hash !== "#callback") {
      window.history.pushState(null, "", "#callback");
    }
    box.scrollIntoView({ behavior: reduceMotion.matches ? "auto" : "smooth", block: "start" });
    var element = target();
    if (!element.matches("input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus({ preventScroll: true });
  }

  function watchBar() {
    var onScreen = { prompt: false, box: false };
    var update = function () {
      var bannerShowing = banner && !banner.hidden;
      bar.classList.toggle("is-shown", !onScreen.prompt && !onScreen.box && !bannerShowing);
    };
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        onScreen[entry.target === box ? "box" : "prompt"] = entry.isIntersecting;
      });
      update();
    });
    observer.observe(box);
    if (prompt) { observer.observe(prompt); }
    if (banner) {
      new MutationObserver(update).observe(banner, { attributes: true, attributeFilter: ["hidden"] });
    }
    update();
  }

  function init() {
    if (!box) {
      // No call-back box on this page: nothing for the bar to lead to.
      if (bar) { bar.remove(); }
      return;
    }
    document.querySelectorAll('a[href="#callback"]').forEach(function (link) {
      link.addEventListener("click", goToBox);
    });
    if (bar && "IntersectionObserver" in window) {
      watchBar();
    } else if (bar) {
      bar.classList.add("is-shown");
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
