// A stand-in for a real analytics tag, loaded only after a visitor accepts analytics cookies.
// It keeps a first-party cookie counting the pages seen in this visit and says so at the foot
// of the page, so accepting visibly does something. It sends nothing anywhere.
(() => {
  const COOKIE = "_demo_analytics";
  const MAX_AGE = 30 * 60;

  const match = document.cookie.match(/(?:^|;\s*)_demo_analytics=(\d+)/);
  const views = (match ? Number(match[1]) : 0) + 1;
  document.cookie = `${COOKIE}=${views}; Max-Age=${MAX_AGE}; path=/; SameSite=Lax`;

  const notice = document.createElement("p");
  notice.className = "demo-analytics-notice";
  notice.dataset.demoAnalytics = "on";
  notice.textContent =
    `Demo analytics is on: ${views} page${views === 1 ? "" : "s"} counted in this visit. ` +
    "Nothing is sent anywhere.";
  const footer = document.querySelector(".site-footer .container") || document.body;
  footer.appendChild(notice);

  document.addEventListener("cookieconsent:withdrawn", (event) => {
    if (event.detail.group !== "analytics") return;
    notice.remove();
    document.cookie = `${COOKIE}=; Max-Age=0; path=/; SameSite=Lax`;
  });
})();
