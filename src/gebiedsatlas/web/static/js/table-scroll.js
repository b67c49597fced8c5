// Wide tables scroll sideways inside .atlas-table-scroll. A scroll area that actually overflows must be
// reachable by keyboard (WCAG 2.1.1; axe "scrollable-region-focusable"): it becomes a focusable region
// named after its table's caption. Areas that fit get no extra tab stop; areas the template already made
// focusable are left alone.
(function () {
  "use strict";
  function label(area) {
    const caption = area.querySelector("caption");
    const text = caption ? caption.textContent.trim().replace(/\s+/g, " ") : "";
    return text ? "Tabel: " + text : "Tabel";
  }
  function update() {
    document.querySelectorAll(".atlas-table-scroll:not([data-focus-static])").forEach(function (area) {
      const overflows = area.scrollWidth > area.clientWidth + 1;
      if (overflows) {
        area.setAttribute("tabindex", "0");
        area.setAttribute("role", "region");
        area.setAttribute("aria-label", label(area));
      } else {
        area.removeAttribute("tabindex");
        area.removeAttribute("role");
        area.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".atlas-table-scroll[tabindex]").forEach(function (area) {
      area.setAttribute("data-focus-static", "");
    });
    update();
  });
  window.addEventListener("resize", update);
  document.addEventListener("atlas:map-drawn", update);  // the map's table is filled with the map
})();
