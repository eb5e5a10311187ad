/* Search page: suggestions as you type; titles open the record, departments filter the search.
   The page works without this file. Words and addresses come from the list's data- attributes
   (no inline script: the Content-Security-Policy allows scripts from /static only). */
(function () {
  "use strict";

  function setup() {
    var input = document.getElementById("q");
    var list = document.getElementById("suggestions");
    if (!input || !list || !window.fetch) { return; }
    var timer = null, asked = "";
    var words = {department: list.dataset.wordDepartment, title: list.dataset.wordTitle};
    var detail = list.dataset.detailUrl;
    var search = list.dataset.searchUrl;
    var suggest = list.dataset.suggestUrl;
    function hide() { list.hidden = true; list.textContent = ""; }
    function show(items) {
      list.textContent = "";
      items.forEach(function (s) {
        var li = document.createElement("li"), a = document.createElement("a"), kind = document.createElement("span");
        a.href = s.kind === "title" ? detail.replace("__ID__", encodeURIComponent(s.value))
                                    : search + "?department=" + encodeURIComponent(s.value);
        a.textContent = s.text;
        a.setAttribute("role", "option");
        kind.className = "kind";
        kind.textContent = words[s.kind] || "";
        a.appendChild(kind);
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
    }
    function ask() {
      var prefix = input.value.trim();
      if (!prefix || prefix.length > 50) { hide(); return; }
      asked = prefix;
      fetch(suggest + "?limit=8&prefix=" + encodeURIComponent(prefix), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
        .then(function (body) { if (asked === prefix) { show(body.suggestions || []); } })
        .catch(hide);
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 150); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { hide(); }
      if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); var first = list.querySelector("a"); if (first) { first.focus(); } }
    });
    document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) { hide(); } });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
