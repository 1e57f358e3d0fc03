// Gives every <style> element that the admin's own JavaScript creates the page's CSP nonce.
//
// Draftail (the rich text editor) writes its placeholder and list-numbering rules into <style>
// elements it creates from JavaScript, and offers no way to pass a nonce; the placeholder
// rules name the focused block, so no hash can allow them either. Scripts only run here if
// they carry the nonce or come from our origin, so what they create is trusted; markup
// (parsed HTML, innerHTML) does not pass through createElement and gets no nonce.
// Script elements are left alone: only <style>.
(() => {
  const nonce = document.currentScript && document.currentScript.nonce;
  if (!nonce) {
    return;
  }
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function createElementWithStyleNonce(...args) {
    const element = createElement.apply(this, args);
    if (element.localName === "style") {
      element.nonce = nonce;
    }
    return element;
  };
})();
