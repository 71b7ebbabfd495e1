// The expert's live word count against the publication's guide, beside the answer's body.
(function () {
  "use strict";
  function count(text) {
    var words = text.trim().split(/\s+/);
    return words[0] === "" ? 0 : words.length;
  }
  function start() {
    var counter = document.querySelector(".word-count[data-min]");
    var body = document.querySelector("textarea[name='body']");
    if (!counter || !body) return;
    var min = parseInt(counter.dataset.min, 10);
    var max = parseInt(counter.dataset.max, 10);
    function update() {
      var n = count(body.value);
      var verdict = n < min ? " (a little short)" : n > max ? " (over the guide)" : "";
      counter.textContent = n + (n === 1 ? " word" : " words") + verdict;
      counter.classList.toggle("off-guide", verdict !== "");
    }
    body.addEventListener("input", update);
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
