/* Copy buttons for citation forms. The forms are plain selectable text; this only adds
   one-click copying, so the buttons stay hidden when scripts do not run. */
(function () {
  function copyText(el) {
    var text = el.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    var ok = document.execCommand("copy");
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var label = button.textContent;
      copyText(target).then(function () {
        button.textContent = "Copied";
      }, function () {
        button.textContent = "Select and copy";
      }).then(function () {
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
})();
