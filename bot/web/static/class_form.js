// Cầu Nối web, the new-class form: how many the ticked communes and role invite now (as chat's
// preview says). The form works without this file.
"use strict";

function setupClassCount() {
  const form = document.getElementById("class-form");
  const out = document.getElementById("class-count");
  if (!form || !out) return;
  let asked = 0; // a slow answer must not overwrite the answer to a later choice
  const update = async () => {
    const mine = ++asked;
    const query = new URLSearchParams();
    form.querySelectorAll("input[name=commune]:checked").forEach((box) => query.append("commune", box.value));
    query.append("role", form.querySelector("select[name=role]").value);
    try {
      const response = await fetch("/classes/count?" + query.toString(), { credentials: "same-origin" });
      const data = await response.json();
      if (mine !== asked) return;
      out.textContent = data.ok ? out.dataset.template.replace("{count}", data.count) : "";
    } catch (err) {
      if (mine === asked) out.textContent = "";
    }
  };
  form.addEventListener("change", (e) => { if (e.target.name === "commune" || e.target.name === "role") update(); });
  update();
}

document.addEventListener("DOMContentLoaded", setupClassCount);
