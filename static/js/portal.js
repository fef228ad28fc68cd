// Small behaviours on top of htmx. No inline script anywhere (the CSP forbids it).
(function () {
  "use strict";
  // A failed htmx request (403, 500, lost connection) must not fail silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = xhr && xhr.status === 403 ? "没有权限执行此操作。" :
      xhr && xhr.status === 400 ? "页面已过期，请刷新后重试。" :
      xhr && xhr.status === 503 ? "系统存储空间不足或只读，暂时无法保存，请联系管理员。" :
      "操作未能完成，请稍后重试。";
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

  // --- Focus (WCAG 2.4.3, 3.3.1) --------------------------------------------------------------
  // After a failed submit the page (or the swapped fragment) comes back with aria-invalid
  // controls: focus goes to the first one, whose aria-describedby reads out the error.
  function focusFirstInvalid(root) {
    var invalid = root.querySelector('[aria-invalid="true"]');
    if (invalid) {
      invalid.focus();
      // After a boosted swap htmx scrolls to the top; the field must be in view.
      window.setTimeout(function () { invalid.scrollIntoView({ block: "center" }); }, 0);
      return true;
    }
    var summary = root.querySelector(".form-errors");
    if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus(); return true; }
    return false;
  }
  var main = document.getElementById("main");
  if (main) { focusFirstInvalid(main); }

  // An htmx swap replaces the control the person was using (the subject select, a delete
  // button): remember it, then focus the same control in the new content, or else the target.
  var remembered = null;
  function controlKey(element) {
    if (!element || element === document.body) { return null; }
    if (element.id) { return { id: element.id }; }
    var form = element.form || element.closest("form");
    return { name: element.name || null, action: form ? form.getAttribute("action") : null,
      text: element.textContent };
  }
  function findControl(key, root) {
    if (key.id) { return document.getElementById(key.id); }
    var candidates = root.querySelectorAll("button, input, select, textarea, a[href]");
    for (var i = 0; i < candidates.length; i += 1) {
      var c = candidates[i];
      var form = c.form || c.closest("form");
      if ((form ? form.getAttribute("action") : null) === key.action &&
          (c.name || null) === key.name && c.textContent === key.text) { return c; }
    }
    return null;
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    remembered = null;
    if (target && active && (target === active || target.contains(active))) {
      remembered = { key: controlKey(active), submit: isSubmit(event) };
    }
  });
  function isSubmit(event) {
    var config = event.detail.requestConfig;
    var trigger = config && config.triggeringEvent;
    return !!(trigger && trigger.type === "submit");
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    // An outerHTML swap replaced the target itself: the new element has the same id.
    if (target && !document.contains(target) && target.id) { target = document.getElementById(target.id); }
    if (!target || !document.contains(target)) { target = document.getElementById("main"); }
    if (event.detail.xhr && event.detail.xhr.status === 422 && isSubmit(event) &&
        focusFirstInvalid(target)) { remembered = null; return; }
    if (!remembered) { return; }
    var key = remembered.key;
    remembered = null;
    var control = key && findControl(key, target);
    if (control && control !== document.activeElement) { control.focus(); return; }
    if (!control && !target.contains(document.activeElement)) {
      if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  });

  // A live error (htmx out-of-band, <p id="live-error-NAME">) marks its control invalid.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var box = event.target;  // the new element (the old one, detail.target, is gone)
    if (!box || !box.id || box.className.indexOf("live-error") === -1) { return; }
    var controls = document.querySelectorAll('[aria-describedby~="' + box.id + '"]');
    Array.prototype.forEach.call(controls, function (control) {
      if (box.textContent.trim()) { control.setAttribute("aria-invalid", "true"); }
      else if (!control.closest(".has-error")) { control.removeAttribute("aria-invalid"); }
    });
  });

  // --- Regions that scroll sideways (WCAG 2.1.1) ---------------------------------------------
  // A .table-wrap wider than the screen can be reached and scrolled with the keyboard, is named
  // after its section's heading, and shows a shadow at its edge.
  function markScrollRegions(root) {
    var wraps = (root.querySelectorAll ? root : document).querySelectorAll(".table-wrap");
    Array.prototype.forEach.call(wraps, function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle("scrolls", scrolls);
      if (scrolls) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var section = wrap.closest("section, article, main");
        var heading = section && section.querySelector("h1, h2, h3");
        wrap.setAttribute("aria-label", (heading ? heading.textContent.trim() + "：" : "") + "表格，可左右滚动");
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  markScrollRegions(document);
  document.addEventListener("htmx:load", function () { markScrollRegions(document); });
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () { markScrollRegions(document); }, 150);
  });
})();
