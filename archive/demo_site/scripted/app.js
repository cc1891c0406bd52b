// Renders the story from the site's JSON API, as many news sites do: the HTML as served
// holds no article text. Images below the fold load when scrolled into view.
(function () {
  var root = document.getElementById("story");
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  fetch(root.getAttribute("data-src")).then(function (r) { return r.json(); }).then(function (s) {
    var art = el("article", "story");
    art.appendChild(el("h1", "headline", s.headline));
    var by = el("p", "byline", "By " + s.author + " · " + s.published.slice(0, 10));
    art.appendChild(by);
    var fig = el("figure", "hero");
    var img = el("img");
    img.src = root.getAttribute("data-hero");
    img.alt = "";
    fig.appendChild(img);
    fig.appendChild(el("figcaption", "", s.caption));
    art.appendChild(fig);
    s.paragraphs.forEach(function (p) { art.appendChild(el("p", "", p)); });
    root.appendChild(art);
    document.title = s.headline;
  });
  var lazy = document.querySelectorAll("img[data-lazy]");
  var io = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) { e.target.src = e.target.getAttribute("data-lazy"); io.unobserve(e.target); }
    });
  });
  lazy.forEach(function (i) { io.observe(i); });
})();
