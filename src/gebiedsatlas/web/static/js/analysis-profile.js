// Area profile: loads the "Type en kwetsbaarheid" section after the page has rendered (the analyses
// can take seconds the first time after an import). Without JavaScript the section keeps its link.
(function () {
  "use strict";
  const section = document.getElementById("kwetsbaarheid");
  if (!section || !section.dataset.analysisSrc) return;
  const body = section.querySelector(".analysis-area-body");
  fetch(section.dataset.analysisSrc)
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    })
    .then((html) => { body.innerHTML = html; })
    .catch(() => { /* keep the link to the page */ })
    .finally(() => { section.setAttribute("aria-busy", "false"); });
}());
