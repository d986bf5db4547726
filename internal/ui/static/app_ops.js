// Operations pages: redraw the parts marked data-ops-live when the
// Application changes. Each page works without this script.
"use strict";

(() => {
  // Live parts: on each change of the Application, fetch the page again
  // and swap in the new rendering of every element marked data-ops-live.
  const head = document.querySelector("[data-ops-stream]");
  if (!head || !document.querySelector("[data-ops-live]") || !window.capstan) return;
  let busy = false, again = false;
  const redraw = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const resp = await fetch(location.pathname, { headers: { Accept: "text/html" } });
      if (resp.ok) {
        const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
        for (const el of document.querySelectorAll("[data-ops-live][id]")) {
          const fresh = doc.getElementById(el.id);
          if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
        }
      }
    } finally {
      busy = false;
      if (again) { again = false; redraw(); }
    }
  };
  window.capstan.stream(head.dataset.opsStream, redraw);
})();
