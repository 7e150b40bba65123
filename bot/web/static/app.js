// Cầu Nối web: small progressive touches. Every page works without this file.
"use strict";

function sortTable(table, column, th) {
  const body = table.tBodies[0];
  const ascending = th.getAttribute("aria-sort") !== "ascending";
  table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const key = (row) => {
    const cell = row.cells[column];
    const raw = cell.dataset.sort || cell.textContent.trim();
    const asNumber = Number(raw.replace(/\./g, ""));
    return raw !== "" && !Number.isNaN(asNumber) ? asNumber : raw.toLocaleLowerCase("vi");
  };
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "vi");
    return ascending ? order : -order;
  });
  rows.forEach((row) => body.appendChild(row));
}

function setupSorting() {
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("thead th").forEach((th, index) => {
      th.classList.add("sortable-th");
      th.tabIndex = 0;
      th.addEventListener("click", () => sortTable(table, index, th));
      th.addEventListener("keydown", (e) => { if (e.key === "Enter") sortTable(table, index, th); });
    });
  });
}

function setupAudience() {
  const form = document.getElementById("compose");
  if (!form) return;
  const kind = document.getElementById("audience-kind");
  const out = document.getElementById("recipient-count");
  let asked = 0; // a slow answer must not overwrite the answer to a later choice
  const update = async () => {
    const mine = ++asked;
    let value = "";
    form.querySelectorAll("[data-for-kind]").forEach((label) => {
      const shown = label.dataset.forKind === kind.value;
      label.hidden = !shown;
      const select = label.querySelector("select");
      select.disabled = !shown;
      if (shown) value = select.value;
    });
    const query = new URLSearchParams({ kind: kind.value, value });
    try {
      const response = await fetch("/broadcasts/count?" + query.toString(), { credentials: "same-origin" });
      const data = await response.json();
      if (mine !== asked) return;
      out.textContent = data.ok ? out.dataset.template.replace("{count}", data.count)
        .replace("{stopped}", data.stopped).replace("{unreachable}", data.unreachable) : "";
    } catch (err) {
      if (mine === asked) out.textContent = "";
    }
  };
  form.addEventListener("change", (e) => { if (e.target.tagName === "SELECT") update(); });
  update();
}

function setupFilters() {
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
}

function setupSubmitOnce() {
  // A second click while the page changes would post the form again; the server also refuses it.
  document.querySelectorAll("form[method=post]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupSubmitOnce();
  setupSorting();
  setupAudience();
  setupFilters();
});
