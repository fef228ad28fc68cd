// Small behaviours on top of htmx. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  // A failed htmx request (403, 500, lost connection) must not fail silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = xhr && xhr.status === 403 ? "没有权限执行此操作。" :
      xhr && xhr.status === 400 ? "页面已过期，请刷新后重试。" : "操作未能完成，请稍后重试。";
    showNotice(text);
  });
  document.addEventListener("htmx:sendError", function () {
    showNotice("无法连接服务器，请检查网络后重试。");
  });
  function showNotice(text) {
    var box = document.getElementById("htmx-notice");
    if (!box) {
      box = document.createElement("p");
      box.id = "htmx-notice";
      box.className = "flash flash-error floating";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = text;
    window.setTimeout(function () { if (box.parentNode) { box.parentNode.removeChild(box); } }, 6000);
  }
})();
