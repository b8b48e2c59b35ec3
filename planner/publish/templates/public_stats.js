/* The 求人倍率 tables: each filter form hides the rows whose cells differ from its
   selections. Cells are the page's own (escaped) text; nothing is written as HTML. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.table-filter");
  Array.prototype.forEach.call(forms, function (form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    var rows = table.querySelectorAll("tbody tr");
    var selects = form.querySelectorAll("select[data-col]");
    var count = form.querySelector(".count");
    function apply() {
      var shown = 0;
      Array.prototype.forEach.call(rows, function (tr) {
        var ok = true;
        Array.prototype.forEach.call(selects, function (s) {
          if (s.value && tr.cells[+s.getAttribute("data-col")].textContent !== s.value) { ok = false; }
        });
        tr.style.display = ok ? "" : "none";
        if (ok) { shown++; }
      });
      count.textContent = "显示 " + shown + " / " + rows.length + " 行";
    }
    Array.prototype.forEach.call(selects, function (s) { s.addEventListener("change", apply); });
    apply();
  });
})();
