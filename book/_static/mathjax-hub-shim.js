// The ipywidgets embedder (@jupyter-widgets/html-manager 1.0) typesets widget text with the
// MathJax 2 API (MathJax.Hub.Queue); the book loads MathJax 3, which has no Hub. Give it a
// no-op Hub (no widget of the book shows math) so that rendering a widget raises no error.
(function () {
  function shim() {
    if (window.MathJax && !window.MathJax.Hub) { window.MathJax.Hub = { Queue: function () {} }; }
  }
  shim();
  window.addEventListener("load", shim);
  var timer = setInterval(shim, 50);
  setTimeout(function () { clearInterval(timer); }, 15000);
})();
