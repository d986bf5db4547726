// The Settings pages' script: a button that copies a token shown once.
// Without it the token is still selectable in its field.
"use strict";

document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-copy]");
  if (!b) {
    return;
  }
  const field = document.getElementById(b.dataset.copy);
  if (!field) {
    return;
  }
  e.preventDefault();
  field.select();
  const done = () => { b.textContent = "Copied"; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(field.value).then(done, () => document.execCommand("copy") && done());
  } else if (document.execCommand("copy")) {
    done();
  }
});
