// The main navigation as a disclosure on a phone: one "Menu" button (aria-expanded, aria-controls)
// that shows and hides the list. On wider screens the button is not shown (CSS) and the list stays
// open; without JavaScript the button stays hidden and the list is always shown.
(function () {
  "use strict";
  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 40rem)") : null;

  function setup(nav) {
    var button = nav.querySelector(".atlas-nav__toggle");
    if (!button) return;
    nav.classList.add("atlas-nav--js");
    button.hidden = false;
    var sync = function () {
      // Collapsed by default on a phone; always open on a wide screen.
      button.setAttribute("aria-expanded", PHONE && PHONE.matches ? "false" : "true");
    };
    sync();
    if (PHONE) PHONE.addEventListener("change", sync);
    button.addEventListener("click", function () {
      button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && PHONE && PHONE.matches && button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  document.querySelectorAll("[data-nav]").forEach(setup);
})();
