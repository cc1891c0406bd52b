/* Datasette table pages list every column's description before the rows; fold them into
   one line the reader can open. Without scripts the list stays as it was. */
(function () {
  function fold() {
    document.querySelectorAll("dl.column-descriptions").forEach(function (dl) {
      if (dl.parentNode.classList.contains("column-descriptions-fold")) { return; }
      var details = document.createElement("details");
      details.className = "column-descriptions-fold";
      var summary = document.createElement("summary");
      summary.textContent = "What the columns mean (" + dl.querySelectorAll("dt").length + ")";
      details.appendChild(summary);
      dl.parentNode.insertBefore(details, dl);
      details.appendChild(dl);
    });
  }
  // Datasette puts extra scripts in <head>, before the list exists.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fold);
  } else {
    fold();
  }
})();
