// Progressive enhancement of the search form: suggestions from /api/areas while typing.
// Without JavaScript the form still works (GET /zoeken?q=...).
(function () {
  "use strict";
  const form = document.querySelector("[data-live-search]");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const box = form.querySelector("#zoek-suggesties");
  const levels = {gemeente: "Gemeente", wijk: "Wijk", buurt: "Buurt", provincie: "Provincie", land: "Nederland"};
  let timer = null;
  let seq = 0;

  function render(areas, q) {
    box.textContent = "";
    if (!q) return;
    if (!areas.length) {
      const p = document.createElement("p");
      p.className = "utrecht-paragraph";
      p.textContent = "Geen gebied gevonden.";
      box.appendChild(p);
      return;
    }
    const ul = document.createElement("ul");
    ul.className = "utrecht-link-list atlas-suggestions__list";
    ul.setAttribute("aria-label", "Suggesties");
    for (const a of areas) {
      const li = document.createElement("li");
      li.className = "utrecht-link-list__item";
      const link = document.createElement("a");
      link.className = "utrecht-link";
      link.href = "/gebied/" + encodeURIComponent(a.code);
      link.textContent = a.name;
      const meta = document.createElement("span");
      meta.className = "atlas-muted";
      meta.textContent = " " + (levels[a.level] || a.level) +
        (a.gemeente_name ? " in " + a.gemeente_name : "") + " · " + a.code;
      li.append(link, meta);
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    const q = input.value.trim();
    timer = setTimeout(async function () {
      const mine = ++seq;
      if (!q) { render([], q); return; }
      try {
        const response = await fetch("/api/areas?limit=10&q=" + encodeURIComponent(q));
        if (!response.ok || mine !== seq) return;
        const body = await response.json();
        if (mine === seq) render(body.areas, q);
      } catch (err) {
        // The form still submits to /zoeken; suggestions are a convenience only.
      }
    }, 150);
  });
})();
