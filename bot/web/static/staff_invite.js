// Cầu Nối web, /audit: the "Chép mã" button next to a new invitation code. Without this file the
// code stays in a read-only field to select and copy by hand.
"use strict";

async function copyCode(field) {
  field.select();
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(field.value);
      return true;
    }
  } catch (err) {
    // not allowed here (plain http on another machine): fall back to the selection
  }
  try {
    return document.execCommand("copy");
  } catch (err) {
    return false;
  }
}

function setupInviteCopy() {
  const button = document.getElementById("invite-copy");
  const field = document.getElementById("invite-code");
  if (!button || !field) return;
  button.hidden = false;
  field.addEventListener("focus", () => field.select());
  button.addEventListener("click", async () => {
    button.textContent = (await copyCode(field)) ? button.dataset.copied : button.dataset.select;
  });
}

document.addEventListener("DOMContentLoaded", setupInviteCopy);
