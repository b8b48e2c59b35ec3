/* The directory: rows (cards on a phone) are rendered by the page (escaped); this fills
   the "open now" badges and hides the rows the filters leave out. */
(function () {
  "use strict";
  var rows = document.querySelectorAll("#directory tbody tr");
  window.PlannerMarket.fillBadges();
  window.PlannerFilters.watch(function (visible) {
    for (var k = 0; k < rows.length; k++) {
      var i = +rows[k].getAttribute("data-index");
      rows[k].style.display = visible[i] ? "" : "none";
    }
  });
  // Refresh the badges every minute while the page is open.
  setInterval(function () { window.PlannerMarket.fillBadges(); }, 60000);
})();
