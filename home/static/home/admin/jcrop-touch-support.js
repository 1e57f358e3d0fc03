// Jcrop (Wagtail's focal point chooser) probes for touch events by writing an
// `ontouchstart="return;"` attribute when the property test fails: an inline event handler,
// which the admin's Content-Security-Policy blocks and reports. Give Jcrop the answer of its
// own property test, so it never writes the attribute. Loaded after Jcrop, before the
// chooser starts it (on DOM ready).
if (window.jQuery && jQuery.Jcrop) {
  const probe = document.createElement("div");
  jQuery.Jcrop.defaults.touchSupport = ["ontouchstart", "ontouchmove", "ontouchend"].every(
    (name) => name in probe,
  );
}
