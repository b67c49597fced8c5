// The page of an Excel import (/afspraken/excel/taak/<id>): poll its status once a second and show the
// phase and the count; reload when it is finished, so the server renders the result or the errors.
// Without JavaScript the page has a link to refresh it.
(function () {
  "use strict";
  var box = document.getElementById("import-voortgang");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var phase = document.getElementById("import-fase");
  var count = document.getElementById("import-aantal");
  var bar = document.getElementById("import-balk");

  function show(status) {
    // Only a change of phase is announced (role=status); the count is plain text.
    if (phase.textContent !== status.label) { phase.textContent = status.label; }
    count.textContent = status.count || "";
    if (status.total) {
      bar.max = status.total;
      bar.value = status.done;
    } else {
      bar.removeAttribute("value");
    }
  }

  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (status) {
        if (status.finished) {
          window.location.reload();
          return;
        }
        show(status);
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
}());
