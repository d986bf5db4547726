// The sync form's conveniences: buttons to select all or none of its
// resources and, on the Application page, the form in a dialog.
//
// A link marked data-sync-dialog (the Sync button of the Application page)
// opens a modal <dialog> holding the form the sync page draws alone
// (?fragment=form). Submitting posts the same form, with the same query, in
// the background: the server answers 204 once the API has taken the sync,
// and the dialog closes (the page's own live updates then show the
// operation run), or the form again with the API's refusal, shown in the
// dialog. Escape and Cancel close it; focus goes back to the Sync button.
// Without this script, the link leads to the sync page.
"use strict";

(() => {
  const part = "form";

  // addSelectButtons puts "Select all" and "Select none" in the form's
  // .ops-select line, within root.
  function addSelectButtons(root) {
    const select = root.querySelector(".ops-select");
    if (!select || select.querySelector("button")) {
      return;
    }
    for (const [label, on] of [["Select none", false], ["Select all", true]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", () => {
        for (const box of root.querySelectorAll('input[name="resource"]')) {
          box.checked = on;
        }
      });
      select.prepend(b);
    }
  }
  addSelectButtons(document);

  if (!window.HTMLDialogElement) {
    return;
  }

  let dialog = null;
  // opener is the link that opened the dialog, page its sync page; busy
  // says a request is under way.
  let opener = null;
  let page = "";
  let busy = false;

  // partURL is url asking for the sync form alone.
  function partURL(url) {
    const u = new URL(url, window.location.href);
    u.searchParams.set("fragment", part);
    return u;
  }

  // formOf finds the sync form's section in an HTML answer, or null.
  function formOf(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    return doc.querySelector("section.ops-sync");
  }

  function theDialog() {
    if (dialog) {
      return dialog;
    }
    dialog = document.createElement("dialog");
    dialog.id = "sync-dialog";
    dialog.className = "ops-dialog";
    dialog.setAttribute("aria-labelledby", "ops-sync-title");
    // A request under way finishes in the dialog, so its answer is seen.
    dialog.addEventListener("cancel", (e) => {
      if (busy) {
        e.preventDefault();
      }
    });
    dialog.addEventListener("close", () => {
      dialog.replaceChildren();
      // A live update may have drawn the button again meanwhile.
      const back = opener && opener.isConnected ? opener : document.querySelector("a[data-sync-dialog]");
      if (back) {
        back.focus();
      }
    });
    dialog.addEventListener("submit", (e) => {
      if (e.target.id === "ops-sync-form") {
        e.preventDefault();
        if (!busy) {
          submit(e.target);
        }
      }
    });
    document.body.append(dialog);
    return dialog;
  }

  // show puts a sync form's section in the dialog and moves the focus to
  // its error if it has one, else to its first field.
  function show(section) {
    const d = theDialog();
    d.replaceChildren(section);
    addSelectButtons(d);
    if (!d.open) {
      d.showModal();
    }
    const first = d.querySelector(".ops-error") || d.querySelector("input:not([type=hidden]), select, button");
    if (first) {
      first.focus();
    }
  }

  // showError says msg at the top of the dialog's form, for an answer
  // that is not the form (an expired form, a server that is down).
  function showError(msg) {
    const section = dialog.querySelector("section.ops-sync");
    let p = section.querySelector(".ops-error");
    if (!p) {
      p = document.createElement("p");
      p.className = "error ops-error";
      p.setAttribute("role", "alert");
      p.tabIndex = -1;
      section.querySelector("h2").after(p);
    }
    p.textContent = msg;
    p.focus();
  }

  async function open(link) {
    busy = true;
    link.setAttribute("aria-busy", "true");
    try {
      const resp = await fetch(partURL(link.href), { credentials: "same-origin", headers: { Accept: "text/html" } });
      const section = resp.ok ? formOf(await resp.text()) : null;
      if (!section) {
        // The sync page says what went wrong, or asks to log in again.
        window.location.assign(link.href);
        return;
      }
      opener = link;
      page = link.href;
      show(section);
    } catch (err) {
      window.location.assign(link.href);
    } finally {
      busy = false;
      link.removeAttribute("aria-busy");
    }
  }

  async function submit(form) {
    busy = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const resp = await fetch(partURL(form.action), {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        body: new URLSearchParams(new FormData(form)),
      });
      if (resp.status === 204) {
        busy = false;
        dialog.close();
        requested();
        return;
      }
      if (resp.redirected && new URL(resp.url).pathname === "/login") {
        window.location.assign(page);
        return;
      }
      const html = await resp.text();
      const section = formOf(html);
      if (section) {
        show(section);
        return;
      }
      // Another page: its message (an error page's alert) says why.
      const doc = new DOMParser().parseFromString(html, "text/html");
      const alert = doc.querySelector("main [role=alert]");
      showError(alert ? alert.textContent.trim() : `The sync was not requested: ${resp.status} ${resp.statusText}.`);
    } catch (err) {
      showError(`The sync could not be requested: ${err.message}.`);
    } finally {
      busy = false;
      if (button.isConnected) {
        button.disabled = false;
        form.removeAttribute("aria-busy");
      }
    }
  }

  // requested tells, above the Application's header, that the sync was
  // asked for, as the page does when the sync page comes back to it.
  function requested() {
    const header = document.getElementById("app-header");
    if (!header) {
      return;
    }
    let note = document.querySelector(".app-done");
    if (!note) {
      note = document.createElement("p");
      note.className = "app-done";
      note.setAttribute("role", "status");
      header.before(note);
    }
    note.textContent = "Sync requested.";
  }

  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a[data-sync-dialog]");
    // A click meant for a new tab or window goes to the sync page.
    if (!link || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) {
      return;
    }
    e.preventDefault();
    if (!busy) {
      open(link);
    }
  });
})();
