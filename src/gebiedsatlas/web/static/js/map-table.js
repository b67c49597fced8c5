// The table under the map (its text alternative): sortable by every column. A long table (more
// rows than the page inlines) is fetched after the map is drawn, so it does not hold up the map.
(function () {
  "use strict";

  // A button in every column header; aria-sort tells screen readers the current order.
  function makeSortable(table) {
    const headers = Array.from(table.tHead.rows[0].cells);
    headers.forEach((th, col) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "atlas-sort-button";
      button.innerHTML = th.innerHTML;
      th.replaceChildren(button);
      button.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const numeric = th.dataset.sortType === "number";
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (row) => (numeric ? row.cells[col].dataset.sort : row.cells[col].textContent.trim());
        rows.sort((a, b) => {
          const ka = key(a);
          const kb = key(b);
          if (numeric) {
            // Geen gegevens always last, whatever the direction.
            if (ka === "" || kb === "") return (ka === "") - (kb === "");
            return ascending ? ka - kb : kb - ka;
          }
          return ascending ? ka.localeCompare(kb, "nl") : kb.localeCompare(ka, "nl");
        });
        body.append(...rows);
      });
    });
  }

  const slot = document.getElementById("atlas-table-slot");
  if (!slot) {
    const table = document.querySelector("table[data-sortable]");
    if (table) makeSortable(table);
    return;
  }
  let loaded = false;
  async function load() {
    if (loaded) return;
    loaded = true;
    try {
      const response = await fetch(slot.dataset.src);
      if (!response.ok) return;  // the link to the table page stays
      slot.innerHTML = await response.text();
      const table = slot.querySelector("table[data-sortable]");
      if (table) makeSortable(table);
      slot.dataset.state = "loaded";
    } catch (err) {
      // Keep the link to the separate table page.
    }
  }
  if (window.atlasMap && window.atlasMap.drawn) load();
  else document.addEventListener("atlas:map-drawn", load, {once: true});
})();
