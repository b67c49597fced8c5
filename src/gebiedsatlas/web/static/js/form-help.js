/* Help on the prestatieafspraken forms (all of it optional: the forms work without JavaScript).
 *
 * - After a refused save, the page opens at the first error: the error summary (or the first invalid
 *   field) is scrolled into view and focused, so a screen reader reads it and nobody has to look for it.
 * - A counter under fields with a length cap (data-counter="<id of the counter>"): "12 van 200 tekens".
 * - Parties suggested for the chosen gemeente (the party list of the agreement form): parties of another
 *   gemeente are folded away behind "Toon alle partijen"; checked ones always stay visible.
 */
(function () {
  "use strict";

  function firstError() {
    var target = document.querySelector(".pa-errors-summary[role=alert]") ||
      document.querySelector("[aria-invalid=true]");
    if (!target) return;
    if (!target.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|FIELDSET)$/.test(target.tagName)) {
      target.setAttribute("tabindex", "-1");
    }
    target.scrollIntoView({block: "start"});
    target.focus({preventScroll: true});
  }

  function counters() {
    document.querySelectorAll("[data-counter]").forEach(function (field) {
      var out = document.getElementById(field.getAttribute("data-counter"));
      var max = parseInt(field.getAttribute("maxlength"), 10);
      if (!out || !max) return;
      var update = function () {
        var n = field.value.length;
        out.textContent = n + " van " + max + " tekens" + (n >= max ? " (maximum bereikt)" : "");
        out.classList.toggle("pa-counter--full", n >= max);
      };
      field.addEventListener("input", update);
      update();
    });
  }

  function partiesForGemeente() {
    var select = document.getElementById("veld-gemeente_code");
    var list = document.querySelector("[data-party-list]");
    if (!select || !list) return;
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "pa-link-button";
    var status = document.getElementById("partijen-status");
    var showAll = false;
    function apply() {
      var g = select.value;
      var hidden = 0;
      list.querySelectorAll("li[data-gemeenten]").forEach(function (li) {
        // Tied to gemeenten (its own, or agreements it signed) but not to this one: folded away.
        var tied = li.getAttribute("data-gemeenten").split(" ").filter(Boolean);
        var checked = li.querySelector("input").checked;
        var hide = !showAll && g && tied.length > 0 && tied.indexOf(g) < 0 && !checked;
        li.hidden = hide;
        if (hide) hidden += 1;
      });
      toggle.hidden = hidden === 0 && !showAll;
      toggle.textContent = showAll ? "Toon alleen partijen van deze gemeente" : "Toon alle partijen (" + hidden + " van andere gemeenten)";
      if (status) {
        var name = select.options[select.selectedIndex] ? select.options[select.selectedIndex].text : "";
        status.textContent = g && !showAll ? "Partijen voor " + name + " en landelijke partijen." : "";
      }
    }
    toggle.addEventListener("click", function () { showAll = !showAll; apply(); });
    list.parentNode.insertBefore(toggle, list.nextSibling);
    select.addEventListener("change", apply);
    apply();
  }

  counters();
  partiesForGemeente();
  // After load: the browser's own jump to a URL fragment (#realisaties) happens at load and would
  // take the focus away again.
  if (document.readyState === "complete") firstError();
  else window.addEventListener("load", function () { setTimeout(firstError, 0); });
})();
