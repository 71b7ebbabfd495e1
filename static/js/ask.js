// The question form. "Our experts have already answered": refreshed from the JSON endpoint as
// the reader types.
// Without this script the form works the same; the list is then drawn by the server.
(function () {
  "use strict";
  // After a send with errors, start at the summary: it names each error and links to its field.
  var summary = document.getElementById("form-errors-title");
  if (summary && document.activeElement !== summary) { summary.focus(); }

  var aside = document.querySelector(".similar[data-similar-url]");
  var body = document.getElementById("id_body");
  if (!aside || !body || !window.fetch) { return; }
  var list = aside.querySelector(".similar-list");
  var empty = aside.querySelector(".similar-empty");
  var timer = null;
  var lastQuery = null;

  function draw(columns) {
    list.replaceChildren();
    columns.forEach(function (column) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = column.url;
      link.textContent = column.title;
      item.appendChild(link);
      if (column.dek) {
        var dek = document.createElement("span");
        dek.className = "similar-dek";
        dek.textContent = " " + (column.dek.length > 140 ? column.dek.slice(0, 139) + "…" : column.dek);
        item.appendChild(dek);
      }
      list.appendChild(item);
    });
    empty.hidden = columns.length > 0;
  }

  function refresh() {
    var query = body.value.trim();
    if (query === lastQuery) { return; }
    lastQuery = query;
    if (query.length < 4) { draw([]); return; }
    var url = aside.getAttribute("data-similar-url") + "?q=" + encodeURIComponent(query.slice(0, 1000));
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { columns: [] }; })
      .then(function (payload) { if (query === lastQuery) { draw(payload.columns || []); } })
      .catch(function () { /* the list is a convenience; the form works without it */ });
  }

  body.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
}());
