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

  // <select data-filter="输入单位名称筛选">: a search box above a long list keeps only the
  // options whose text contains what is typed. Without JavaScript the plain select still works.
  var FILTER_MIN_OPTIONS = 10;
  function enhanceSelectFilters(root) {
    var selects = root.querySelectorAll ? root.querySelectorAll("select[data-filter]") : [];
    Array.prototype.forEach.call(selects, function (select) {
      if (select.dataset.filterReady || select.options.length < FILTER_MIN_OPTIONS) { return; }
      select.dataset.filterReady = "1";
      var all = Array.prototype.slice.call(select.options);
      var box = document.createElement("input");
      box.type = "search";
      box.className = "select-filter";
      box.placeholder = select.dataset.filter;
      box.setAttribute("aria-label", select.dataset.filter);
      box.setAttribute("aria-controls", select.id);
      box.autocomplete = "off";
      var count = document.createElement("small");
      count.className = "hint select-filter-count";
      count.setAttribute("aria-live", "polite");
      select.parentNode.insertBefore(box, select);
      select.parentNode.insertBefore(count, select.nextSibling);
      box.addEventListener("input", function () {
        var words = box.value.replace(/\s+/g, "").toLowerCase();
        var chosen = select.value;
        var shown = 0;
        // Options are taken out and put back (hidden options still show in some mobile pickers);
        // the placeholder and the chosen option always stay.
        all.forEach(function (option) {
          var keep = !option.value || option.value === chosen ||
            option.text.replace(/\s+/g, "").toLowerCase().indexOf(words) !== -1;
          if (keep && option.value) { shown += 1; }
          if (keep && option.parentNode !== select) { select.appendChild(option); }
          if (!keep && option.parentNode === select) { select.removeChild(option); }
        });
        all.forEach(function (option) { if (option.parentNode === select) { select.appendChild(option); } });
        select.value = chosen;
        count.textContent = words ? "找到 " + shown + " 项" : "";
      });
    });
  }
  enhanceSelectFilters(document);
  document.addEventListener("htmx:load", function (event) { enhanceSelectFilters(event.target); });
})();
