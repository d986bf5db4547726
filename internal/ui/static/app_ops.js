// Operations pages: select all or none of the sync's resources, and redraw
// the parts marked data-ops-live when the Application changes. Each page
// works without this script.
"use strict";

(() => {
  // Buttons to tick or clear every resource of the sync form.
  const select = document.querySelector(".ops-select");
  if (select) {
    for (const [label, on] of [["Select none", false], ["Select all", true]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", () => {
        for (const box of document.querySelectorAll('input[name="resource"]')) box.checked = on;
      });
      select.prepend(b);
    }
  }

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
