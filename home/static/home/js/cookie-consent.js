// Cookie consent for pages served from a shared cache.
//
// The page's HTML is the same for everyone. This script asks the never-cached status endpoint
// what this visitor chose, then: shows the banner if a choice is needed, loads the scripts of
// accepted groups, and removes the scripts and deletes the cookies of groups not accepted.
// Choices are POSTed with a CSRF token fetched at click time (cached pages cannot carry one).
// Nothing here runs inline, so a strict Content-Security-Policy can allow it by source.

const FETCH_HEADERS = { "X-Cookie-Consent-Fetch": "1" };
const CONFIRMATION =
  "Your cookie choices are saved. You can change them at any time using the " +
  "“Cookie settings” link at the bottom of every page.";

const banner = document.getElementById("cookie-banner");
const confirmation = document.getElementById("cookie-confirmation");

function scriptsFor(group) {
  const url = banner.dataset[`script${group.charAt(0).toUpperCase()}${group.slice(1)}`];
  return url ? [url] : [];
}

// Expire a first-party cookie on this host and its parent domains, on "/" and this path.
function deleteCookie(name) {
  const host = window.location.hostname;
  const parts = host.split(".");
  const domains = [""];
  for (let i = 0; i < parts.length - 1; i += 1) {
    domains.push(`; domain=${parts.slice(i).join(".")}`);
  }
  const paths = ["/", window.location.pathname];
  for (const domain of domains) {
    for (const path of paths) {
      document.cookie = `${name}=; Max-Age=0; path=${path}${domain}; SameSite=Lax`;
    }
  }
}

function addScripts(group) {
  for (const src of scriptsFor(group)) {
    const selector = `script[data-consent-group="${group}"][src="${CSS.escape(src)}"]`;
    if (document.head.querySelector(selector)) continue;
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.dataset.consentGroup = group;
    document.head.appendChild(script);
  }
}

function removeScripts(group, cookies) {
  const scripts = document.querySelectorAll(`script[data-consent-group="${group}"]`);
  scripts.forEach((script) => script.remove());
  // A script that already ran cannot be unloaded; tell it to stop and tidy up after itself.
  document.dispatchEvent(new CustomEvent("cookieconsent:withdrawn", { detail: { group } }));
  for (const name of cookies) deleteCookie(name);
}

function apply(status) {
  for (const [group, info] of Object.entries(status.groups)) {
    if (info.state === "accepted") addScripts(group);
    else removeScripts(group, info.cookies);
  }
}

// The banner and the confirmation overlay the foot of the window (cookie-consent.css); the
// page keeps room for whichever is showing (site.css reads --bottom-overlay).
function trackOverlayHeight() {
  const root = document.documentElement;
  const update = () => {
    const height = Math.max(banner.offsetHeight, confirmation.offsetHeight);
    if (height) root.style.setProperty("--bottom-overlay", `${height}px`);
    else root.style.removeProperty("--bottom-overlay");
  };
  if ("ResizeObserver" in window) {
    const observer = new ResizeObserver(update);
    observer.observe(banner);
    observer.observe(confirmation);
  }
  return update;
}

let updateOverlay = () => {};

// The confirmation is read once (it takes focus and is announced) and goes when the reader
// moves on, so it never stays over the page.
function clearConfirmation() {
  confirmation.textContent = "";
  confirmation.removeAttribute("tabindex");
  updateOverlay();
}

function showBanner({ focus = false } = {}) {
  banner.querySelector("[data-consent-error]").hidden = true;
  banner.hidden = false;
  updateOverlay();
  if (focus) banner.querySelector("#cookie-banner-title").focus();
}

function hideBanner() {
  banner.hidden = true;
  updateOverlay();
}

async function getJSON(url, options = {}) {
  const response = await window.fetch(url, {
    credentials: "same-origin",
    cache: "no-store",
    ...options,
    headers: { ...FETCH_HEADERS, ...(options.headers || {}) },
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

async function choose(action) {
  const buttons = banner.querySelectorAll("[data-consent-action]");
  buttons.forEach((button) => {
    button.disabled = true;
  });
  try {
    const { csrftoken } = await getJSON(banner.dataset.tokenUrl);
    const body = new FormData();
    body.append("all_groups", "on");
    const url = action === "accept" ? banner.dataset.acceptUrl : banner.dataset.declineUrl;
    const status = await getJSON(url, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrftoken },
    });
    apply(status);
    hideBanner();
    confirmation.textContent = CONFIRMATION;
    confirmation.tabIndex = -1;
    updateOverlay();
    confirmation.focus();
  } catch (error) {
    banner.querySelector("[data-consent-error]").hidden = false;
  } finally {
    buttons.forEach((button) => {
      button.disabled = false;
    });
  }
}

async function start() {
  if (!banner) return;
  updateOverlay = trackOverlayHeight();
  confirmation.addEventListener("focusout", clearConfirmation);
  banner.querySelectorAll("[data-consent-action]").forEach((button) => {
    button.addEventListener("click", () => choose(button.dataset.consentAction));
  });
  // The footer's "Cookie settings" link reopens the choices here; without this script it
  // simply goes to the settings page.
  document.querySelectorAll("[data-consent-open]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      clearConfirmation();
      showBanner({ focus: true });
    });
  });

  const status = await getJSON(banner.dataset.statusUrl);
  apply(status);
  // The settings page has its own form; a banner over it would only repeat the question.
  const onSettingsPage = document.body.classList.contains("cookie-settings-page");
  if (status.undecided.length && !onSettingsPage) showBanner();
  document.documentElement.dataset.consentReady = "true";
}

start().catch(() => {
  // Without a status nothing optional runs, which is the safe failure.
  document.documentElement.dataset.consentReady = "error";
});
