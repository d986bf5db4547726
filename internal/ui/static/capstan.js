// capstan's dashboard scripts: each page works without them; they add
// confirmations and live updates. No framework, no build step.
"use strict";

// The page ran its scripts: tests that read it without them check that
// this class is absent.
document.documentElement.classList.add("js");

const capstan = {
  // stream opens a server-sent event stream and calls onEvent with each
  // parsed message; it reconnects on its own, as EventSource does.
  stream(url, onEvent) {
    const es = new EventSource(url);
    es.onmessage = (e) => {
      try {
        onEvent(JSON.parse(e.data));
      } catch (err) {
        console.error("capstan: bad event", err);
      }
    };
    return es;
  },
};

document.addEventListener("submit", (e) => {
  const msg = e.target.dataset && e.target.dataset.confirm;
  if (msg && !window.confirm(msg)) {
    e.preventDefault();
  }
});

// Buttons with data-dialog open the <dialog> of that id.
document.addEventListener("click", (e) => {
  const opener = e.target.closest("[data-dialog]");
  if (opener) {
    const d = document.getElementById(opener.dataset.dialog);
    if (d && d.showModal) {
      e.preventDefault();
      d.showModal();
    }
  }
  const closer = e.target.closest("[data-close]");
  if (closer) {
    const d = closer.closest("dialog");
    if (d) {
      e.preventDefault();
      d.close();
    }
  }
});

window.capstan = capstan;
