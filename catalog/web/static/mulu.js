/* Mulu: small progressive enhancements; every page works without this file. */
(function () {
  "use strict";

  function renumber(body) {
    var rows = body.querySelectorAll("tr.item-row");
    rows.forEach(function (row, index) {
      var no = row.querySelector("td.no");
      if (no) { no.textContent = String(index + 1); }
    });
  }

  function setupItems(fieldset) {
    var body = fieldset.querySelector(".js-items");
    var template = fieldset.querySelector("template.js-item-template");
    var add = fieldset.querySelector(".js-add-item");
    if (!body || !template || !add) { return; }

    function showRemove(row) {
      var button = row.querySelector(".js-remove-item");
      if (button) { button.hidden = false; }
    }

    body.querySelectorAll("tr.item-row").forEach(showRemove);
    add.hidden = false;

    add.addEventListener("click", function () {
      var row = template.content.firstElementChild.cloneNode(true);
      body.appendChild(row);
      showRemove(row);
      renumber(body);
      var first = row.querySelector("input, select");
      if (first) { first.focus(); }
    });

    body.addEventListener("click", function (event) {
      var button = event.target.closest(".js-remove-item");
      if (!button) { return; }
      var row = button.closest("tr.item-row");
      if (body.querySelectorAll("tr.item-row").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input, select").forEach(function (control) { control.value = ""; });
      }
      renumber(body);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("fieldset.items").forEach(setupItems);
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
