// The Application page's live updates: it follows the API's stream of the
// Application and of its resource tree, and when either changes it fetches
// the changed parts of the page again from the server (?fragment=header,
// ?fragment=resources) and puts them in place. The page reads the same
// without this script; it only stays current.
"use strict";

(() => {
  const page = document.getElementById("app-page");
  if (!page || !window.capstan || !window.EventSource) {
    return;
  }
  const wanted = new Set();
  let busy = false;

  // refresh asks for parts of the page again; requests that come while
  // one is under way are gathered into the next.
  function refresh(...parts) {
    parts.forEach((p) => wanted.add(p));
    if (!busy) {
      fetchParts();
    }
  }

  async function fetchParts() {
    busy = true;
    try {
      while (wanted.size > 0) {
        const parts = [...wanted];
        wanted.clear();
        for (const part of parts) {
          await replacePart(part);
        }
      }
    } finally {
      busy = false;
    }
  }

  async function replacePart(part) {
    const url = new URL(window.location.href);
    url.hash = "";
    url.searchParams.set("fragment", part);
    let html;
    try {
      const resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!resp.ok) {
        return;
      }
      html = await resp.text();
    } catch (err) {
      console.error("capstan: fetch part of the page", part, err);
      return;
    }
    const old = document.getElementById("app-" + part);
    const tmpl = document.createElement("template");
    tmpl.innerHTML = html.trim();
    const fresh = tmpl.content.firstElementChild;
    if (!old || !fresh || fresh.outerHTML === old.outerHTML) {
      return;
    }
    // Keep the keyboard focus where it was when the focused control is
    // drawn again.
    const focused = document.activeElement && old.contains(document.activeElement) ? focusKey(document.activeElement) : null;
    old.replaceWith(fresh);
    if (focused) {
      const again = fresh.querySelector(focused);
      if (again) {
        again.focus();
      }
    }
  }

  function focusKey(el) {
    if (el.id) {
      return "#" + CSS.escape(el.id);
    }
    const href = el.getAttribute("href");
    return href ? `a[href="${CSS.escape(href)}"]` : null;
  }

  capstan.stream(page.dataset.appStream, (msg) => {
    const app = msg.result && msg.result.application;
    if (!app || !app.metadata) {
      return;
    }
    const header = document.getElementById("app-header");
    if (header && header.dataset.version === app.metadata.resourceVersion) {
      return;
    }
    refresh("header", "resources");
  });

  // The tree stream answers the tree at once: the page already shows it.
  let first = true;
  capstan.stream(page.dataset.treeStream, () => {
    if (first) {
      first = false;
      return;
    }
    refresh("resources");
  });
})();
