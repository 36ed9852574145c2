// The console's progressive enhancement: live fragments over server-sent events,
// keyboard shortcuts, and a ticking event clock. Every page works without it.

const csrfMeta = document.querySelector('meta[name="csrf-token"]');
export const csrfToken = csrfMeta ? csrfMeta.content : "";

let stream = null;

// The session ended (logged out elsewhere, expired): stop updating and say so; the
// next reload shows the login page. Never follow a redirect to it from a script.
function signedOut() {
  if (stream) stream.close();
  document.body.classList.add("offline");
}

async function refetch(element) {
  const source = element.dataset.src;
  if (!source) return;
  const response = await fetch(source, {
    credentials: "same-origin",
    redirect: "manual",
    headers: { "X-CSRF-Token": csrfToken, Accept: "text/html" },
  });
  if (response.status === 401 || response.type === "opaqueredirect") {
    signedOut();
    return;
  }
  if (!response.ok) return;
  element.innerHTML = await response.text();
  element.dataset.refreshedAt = String(Date.now());
}

function refetchAreas(area) {
  const selector = area ? `[data-fragment="${CSS.escape(area)}"]` : "[data-fragment]";
  for (const element of document.querySelectorAll(selector)) {
    refetch(element).catch(() => {});
  }
}

function listen() {
  if (!document.querySelector("[data-fragment]") || !window.EventSource) return;
  const source = (stream = new EventSource("/console/stream"));
  source.addEventListener("update", (message) => {
    const update = JSON.parse(message.data);
    refetchAreas(update.area);
    if (update.area === "incidents") refetchAreas("clock");
  });
  source.addEventListener("refetch", () => refetchAreas(null));
  // Changes made before the stream was (re)connected were never announced: refetch once.
  source.addEventListener("open", () => {
    document.body.classList.remove("offline");
    refetchAreas(null);
  });
  source.addEventListener("error", () => document.body.classList.add("offline"));
  source.addEventListener("bye", () => source.close());
}

function tickClock() {
  for (const clock of document.querySelectorAll("[data-clock]")) {
    const zone = clock.dataset.timezone || "UTC";
    clock.textContent = new Date().toLocaleTimeString(clock.dataset.lang || "en", {
      timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
    });
  }
}

function shortcuts() {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
    const form = document.querySelector(`form[data-shortcut="${CSS.escape(event.key)}"]`);
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

listen();
shortcuts();
if (document.querySelector("[data-clock]")) setInterval(tickClock, 1000);
// Scripts load after the page shows: say when the keyboard shortcuts are in place.
document.documentElement.dataset.consoleReady = "true";
