// The Applications page's live updates: the badges of the Applications
// shown change in place as their status changes, the counts follow, and
// an Application added or deleted is announced rather than reshuffling
// the page. Without this script the page is the same, as of its loading.
"use strict";

(() => {
  const root = document.getElementById("apps");
  if (!root) {
    return;
  }
  // On a phone the filters start folded, unless some are set.
  const filters = root.querySelector(".apps-filter-box");
  if (filters && window.matchMedia("(max-width: 800px)").matches && !root.querySelector(".apps-clear")) {
    filters.open = false;
  }
  if (!root.dataset.stream || !window.EventSource) {
    return;
  }
  const kinds = { sync: "Sync status", health: "Health" };

  // badge draws a status badge as the page's template does.
  const badge = (kind, value) => {
    const b = document.createElement("span");
    const v = value || "Unknown";
    b.className = "badge " + kind + "-" + v.toLowerCase();
    b.title = kinds[kind] + ": " + v;
    const icon = document.createElement("span");
    icon.className = "icon";
    icon.setAttribute("aria-hidden", "true");
    b.append(icon, v);
    return b;
  };

  const operation = (phase) => {
    const s = document.createElement("span");
    s.className = phase ? "apps-op apps-op-" + phase.toLowerCase() : "apps-op muted";
    s.textContent = phase || "none";
    return s;
  };

  const setField = (el, name, node) => {
    const cell = el.querySelector('[data-field="' + name + '"]');
    if (cell && cell.textContent.trim() !== node.textContent.trim()) {
      cell.replaceChildren(node);
    }
  };

  // recount asks the API for the counts of the page's filters, at most
  // once a second however many events arrive.
  let recountTimer = null;
  const recount = () => {
    if (recountTimer) {
      return;
    }
    recountTimer = setTimeout(async () => {
      recountTimer = null;
      try {
        const resp = await fetch(root.dataset.counts, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (!resp.ok) {
          return;
        }
        const page = await resp.json();
        for (const el of root.querySelectorAll("[data-count]")) {
          const [kind, name] = el.dataset.count.split(":");
          el.textContent = name === undefined ? page[kind] : (page.counts[kind] || {})[name] || 0;
        }
      } catch (err) {
        console.error("capstan: recount", err);
      }
    }, 1000);
  };

  let changes = 0;
  const notice = root.querySelector(".apps-changes");
  const announce = () => {
    changes++;
    notice.querySelector("span").textContent = changes === 1 ? "1 change:" : changes + " changes:";
    notice.hidden = false;
  };

  capstan.stream(root.dataset.stream, (msg) => {
    const ev = msg.result;
    if (!ev || !ev.application || !ev.application.metadata) {
      return;
    }
    const name = ev.application.metadata.name;
    const st = ev.application.status || {};
    if (ev.type === "ADDED" || ev.type === "DELETED") {
      announce();
    }
    const el = root.querySelector('[data-app="' + CSS.escape(name) + '"]');
    if (el && ev.type !== "DELETED") {
      setField(el, "sync", badge("sync", (st.sync || {}).status));
      setField(el, "health", badge("health", (st.health || {}).status));
      setField(el, "op", operation((st.operationState || {}).phase));
    }
    recount();
  });
})();
