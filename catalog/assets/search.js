// search.js progressively enhances the catalogue's list of APIs. Without it
// the list and its filter pages work as they are. With it, a search box
// appears and filters the list as you type, matching every word against the
// text of each entry and its record in search-index.json. It makes no request
// to another site and writes no HTML.
(function () {
  "use strict";
  var form = document.getElementById("search");
  var input = document.getElementById("search-q");
  var list = document.getElementById("api-list");
  var status = document.getElementById("search-status");
  if (!form || !input || !status || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var items = list ? Array.prototype.slice.call(list.querySelectorAll("li[data-api]")) : [];
  var texts = Object.create(null);
  items.forEach(function (li) {
    texts[li.getAttribute("data-api")] = li.textContent.toLowerCase();
  });

  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (li) {
      var text = texts[li.getAttribute("data-api")] || "";
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      li.hidden = !match;
      if (match) {
        shown++;
      }
    });
    if (words.length === 0) {
      status.textContent = "";
    } else if (shown === 1) {
      status.textContent = "1 of " + items.length + " APIs matches.";
    } else {
      status.textContent = shown + " of " + items.length + " APIs match.";
    }
  }

  fetch(form.getAttribute("data-index"), { credentials: "same-origin" })
    .then(function (r) {
      if (!r.ok) {
        throw new Error("search index: HTTP " + r.status);
      }
      return r.json();
    })
    .then(function (index) {
      (index.apis || []).forEach(function (a) {
        if (a.id in texts) {
          texts[a.id] += " " + String(a.text);
        }
      });
      apply();
    })
    .catch(function () {
      // Search still works on the visible text.
    });

  var q = new URLSearchParams(window.location.search).get("q");
  if (q) {
    input.value = q;
  }
  input.addEventListener("input", apply);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    apply();
  });
  form.hidden = false;
  apply();
})();
