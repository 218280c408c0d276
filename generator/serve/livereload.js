/* archive serve: live reload for the preview server only (never part of a built site).
 *
 * Listens for build statuses (through one SharedWorker for all tabs, so many
 * open tabs share a single connection; a direct EventSource where shared
 * workers are missing). A page older than the current build epoch reloads and
 * returns to its scroll position; a build that changed only stylesheets swaps
 * them in place; build errors show as an overlay until a good build clears it.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var params = new URL(me.src, location.href).searchParams;
  var epoch = Number(params.get("epoch") || 0);
  var server = params.get("server") || "";
  var scrollKey = "archive-serve:scroll:" + location.pathname + location.search;
  var OVERLAY = "archive-serve-overlay";

  function restoreScroll() {
    var saved = null;
    try {
      saved = sessionStorage.getItem(scrollKey);
      sessionStorage.removeItem(scrollKey);
    } catch (e) { return; }
    if (!saved) return;
    var xy = JSON.parse(saved);
    var apply = function () { window.scrollTo(xy[0], xy[1]); };
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    apply();
    if (document.readyState !== "complete") window.addEventListener("load", apply, { once: true });
  }

  function reload() {
    try { sessionStorage.setItem(scrollKey, JSON.stringify([window.scrollX, window.scrollY])); } catch (e) {}
    location.reload();
  }

  function stylesheets(root) {
    return Array.prototype.slice.call(root.querySelectorAll('link[rel~="stylesheet"]'));
  }

  // The page's own HTML names the current stylesheets (their names may carry a
  // content hash), so fetch it and swap the links; old ones go once new ones load.
  function swapStylesheets(newEpoch) {
    fetch(location.href, { cache: "no-store" }).then(function (r) { return r.text(); }).then(function (text) {
      var fresh = stylesheets(new DOMParser().parseFromString(text, "text/html"));
      var old = stylesheets(document);
      if (!fresh.length && !old.length) return;
      var pending = fresh.length;
      var anchor = old.length ? old[old.length - 1] : null;
      var done = function () { if (--pending <= 0) old.forEach(function (l) { l.remove(); }); };
      if (!pending) { done(); return; }
      fresh.forEach(function (link) {
        var url = new URL(link.getAttribute("href"), location.href);
        url.searchParams.set("archive-epoch", String(newEpoch));
        var copy = document.createElement("link");
        Array.prototype.forEach.call(link.attributes, function (a) { copy.setAttribute(a.name, a.value); });
        copy.href = url.href;
        copy.addEventListener("load", done, { once: true });
        copy.addEventListener("error", done, { once: true });
        if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(copy, anchor.nextSibling);
        else document.head.appendChild(copy);
        anchor = copy;
      });
    }).catch(reload);
  }

  function showErrors(status) {
    var box = document.getElementById(OVERLAY);
    if (!status.errors.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = OVERLAY;
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;" +
        "margin:0;padding:1rem 1.25rem;background:#2b0b0b;color:#fff;border-top:4px solid #e5484d;" +
        "font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-shadow:0 -4px 16px rgba(0,0,0,.4)";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Hide build errors");
    close.style.cssText = "float:right;font:inherit;font-size:20px;background:none;color:inherit;border:0;cursor:pointer";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    var head = document.createElement("strong");
    head.textContent = status.failed
      ? "Build failed \u2014 still showing the last good site"
      : "Build finished with " + status.errors.length + " error(s)";
    box.appendChild(head);
    status.errors.forEach(function (error) {
      var row = document.createElement("pre");
      row.className = "archive-serve-error";
      row.style.cssText = "margin:.6rem 0 0;white-space:pre-wrap;font:inherit";
      var where = document.createElement("span");
      where.style.cssText = "color:#ffb4b4";
      where.textContent = error.file + (error.line ? ":" + error.line : "");
      row.appendChild(where);
      row.appendChild(document.createTextNode("\n" + error.message));
      box.appendChild(row);
    });
  }

  function onStatus(status) {
    if (status.server !== server || status.epoch > epoch) {
      if (status.server === server && status.css && status.epoch === epoch + 1) {
        epoch = status.epoch;
        swapStylesheets(status.epoch);
      } else {
        reload();
        return;
      }
    }
    showErrors(status);
  }

  function connect() {
    if (window.SharedWorker) {
      try {
        var worker = new SharedWorker("/__archive/worker.js", { name: "archive-serve" });
        worker.port.onmessage = function (event) { onStatus(event.data); };
        worker.port.start();
        return;
      } catch (e) { /* fall through to a direct connection */ }
    }
    var source = new EventSource("/__archive/events");
    source.addEventListener("status", function (event) { onStatus(JSON.parse(event.data)); });
  }

  restoreScroll();
  connect();
})();
