/* The directory table: rows are rendered by the page (escaped); this only hides rows. */
(function () {
  "use strict";
  var rows = document.querySelectorAll("#directory tbody tr");
  window.PlannerFilters.watch(function (visible) {
    for (var k = 0; k < rows.length; k++) {
      var i = +rows[k].getAttribute("data-index");
      rows[k].style.display = visible[i] ? "" : "none";
    }
  });
})();
