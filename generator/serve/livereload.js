/* archive serve: live reload for the preview server only (never part of a built site).
 *
 * Listens for build statuses (through one SharedWorker for all tabs, so many
 * open tabs share a single connection; a direct EventSource where shared
 * workers are missing). A page older than the current build epoch fetches its
 * own URL again. When the build left it as it was (the server's digest of the
 * page is the same; a build's deferred search index, say, changes other files),
 * nothing happens to it: it only learns the epoch, which it keeps in its
 * script tag's data-epoch. A page that changed is patched in place: the
 * differences go into the open document (text, attributes, added and removed
 * elements), which keeps the scroll position and the stylesheets already
 * loaded, and shows the new text a navigation sooner. That is only done to a
 * page that is still exactly what the server sent (it fetches that once, after
 * loading, to know), so nothing a script or the reader changed in it is undone
 * without the script running again. Any other page, one whose scripts changed
 * (they would have to run again), or one that cannot be fetched as the same
 * HTML page, reloads instead and returns to its scroll position.
 * A build that changed only stylesheets swaps them in place; build errors show
 * as an overlay until a good build clears it.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  var epoch = Number(me.getAttribute("data-epoch") || 0);
  var server = me.getAttribute("data-server") || "";
  // The server's digest of the HTML this document shows (the page as built).
  var digest = me.getAttribute("data-digest") || "";
  var scrollKey = "archive-serve:scroll:" + location.pathname + location.search;
  var OVERLAY = "archive-serve-overlay";
  var EPOCH_PARAM = "archive-epoch";

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

  // --- in-place refresh ---------------------------------------------------------

  function runs(script) {
    var type = (script.getAttribute("type") || "").trim().toLowerCase();
    return !type || type === "module" || /^(text|application)\/(x-)?(java|ecma)script$/.test(type);
  }

  function isOurs(node) {
    return node.nodeType === 1 && (node.id === OVERLAY || node.hasAttribute("data-archive-serve"));
  }

  // The document without what this script adds to it, as text, to compare pages.
  function serialize(doc) {
    var copy = doc.documentElement.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("#" + OVERLAY + ", script[data-archive-serve]"),
      function (node) { node.remove(); });
    return copy.outerHTML;
  }

  function epochOf(doc) {
    var tag = doc.querySelector("script[data-archive-serve]");
    return tag ? Number(tag.getAttribute("data-epoch") || -1) : -1;
  }

  function digestOf(doc) {
    var tag = doc.querySelector("script[data-archive-serve]");
    return tag ? tag.getAttribute("data-digest") || "" : "";
  }

  // The page shows the site of epoch `value` (the tag tells the page's own scripts and tests).
  function reached(value) {
    epoch = value;
    me.setAttribute("data-epoch", String(epoch));
  }

  // What the server sent for this page at this epoch, serialized; null while unknown.
  var base = null;

  function learnBase() {
    var asked = epoch;
    fetch(location.href, { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      return r.redirected ? "" : r.text();
    }).then(function (text) {
      if (!text || refreshing || epoch !== asked) return;
      var sent = new DOMParser().parseFromString(text, "text/html");
      if (digest && digestOf(sent) === digest) base = serialize(sent);
    }).catch(function () {});
  }

  // The scripts that ran in this page; a new page with other scripts needs a real reload.
  function scriptsOf(root) {
    return Array.prototype.filter.call(root.querySelectorAll("script"), function (s) {
      return !s.hasAttribute("data-archive-serve") && runs(s);
    }).map(function (s) { return s.outerHTML; }).join("\n");
  }
  var scripts = scriptsOf(document);

  function withoutEpoch(href) {
    var url = new URL(href, location.href);
    url.searchParams.delete(EPOCH_PARAM);
    return url.href;
  }

  // A stylesheet swapped in after a CSS-only build carries the epoch in its URL; it is
  // the same sheet as the page's plain link, and re-pointing it would flash unstyled.
  function sameSheet(old, fresh) {
    return old.nodeName === "LINK" && /\bstylesheet\b/i.test(old.getAttribute("rel") || "") &&
      old.hasAttribute("href") && fresh.hasAttribute("href") &&
      withoutEpoch(old.getAttribute("href")) === new URL(fresh.getAttribute("href"), location.href).href;
  }

  function syncAttributes(old, fresh) {
    var i, a;
    for (i = old.attributes.length - 1; i >= 0; i--) {
      a = old.attributes[i];
      if (!fresh.hasAttributeNS(a.namespaceURI, a.localName)) old.removeAttributeNS(a.namespaceURI, a.localName);
    }
    for (i = 0; i < fresh.attributes.length; i++) {
      a = fresh.attributes[i];
      if (old.getAttributeNS(a.namespaceURI, a.localName) !== a.value) old.setAttributeNS(a.namespaceURI, a.name, a.value);
    }
  }

  // Make `old` (in this document) look like `fresh` (parsed from the new HTML), touching
  // only what differs: unchanged elements keep their listeners, loaded resources and state.
  function morph(old, fresh) {
    if (old.nodeType !== 1) {
      if (old.nodeValue !== fresh.nodeValue) old.nodeValue = fresh.nodeValue;
      return;
    }
    if (sameSheet(old, fresh)) return;
    if (old.nodeName === "SCRIPT" && runs(old)) {
      // Scripts are the same set (checked before); one that ran stays as it is.
      if (old.outerHTML !== fresh.outerHTML) old.parentNode.replaceChild(document.importNode(fresh, true), old);
      return;
    }
    syncAttributes(old, fresh);
    var kept = Array.prototype.filter.call(old.childNodes, function (n) { return !isOurs(n); });
    var wanted = Array.prototype.filter.call(fresh.childNodes, function (n) { return !isOurs(n); });
    for (var i = 0; i < wanted.length; i++) {
      var o = kept[i], f = wanted[i];
      if (!o) {
        old.appendChild(document.importNode(f, true));
      } else if (o.nodeType === f.nodeType && o.nodeName === f.nodeName) {
        morph(o, f);
      } else {
        old.replaceChild(document.importNode(f, true), o);
      }
    }
    for (var j = wanted.length; j < kept.length; j++) old.removeChild(kept[j]);
  }

  var wantedEpoch = epoch;
  var refreshing = false;

  function refresh() {
    if (refreshing) return;
    refreshing = true;
    var goal = wantedEpoch;
    fetch(location.href, { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      var kind = r.headers.get("Content-Type") || "";
      if (r.redirected || (!r.ok && r.status !== 404) || kind.indexOf("text/html") !== 0) throw new Error("not the same page");
      return r.text();
    }).then(function (text) {
      var fresh = new DOMParser().parseFromString(text, "text/html");
      var next = digestOf(fresh);
      // Asked first, so that a build that left this page alone never reloads it, even one
      // whose scripts changed it, or one that has not learned what the server sent yet.
      if (!digest || next !== digest) {
        // changed since it loaded (or not known yet): only running its scripts again is right
        if (base === null || serialize(document) !== base) throw new Error("the page is not as it was sent");
        if (scriptsOf(fresh) !== scripts) throw new Error("its scripts changed");
        var x = window.scrollX, y = window.scrollY;
        base = serialize(fresh);
        digest = next;
        morph(document.documentElement, fresh.documentElement);
        window.scrollTo(x, y);
        reached(Math.max(epoch, goal, epochOf(fresh)));
        // For the page's own scripts (and benchmarks): the content was replaced in place.
        document.dispatchEvent(new CustomEvent("archive-serve:refreshed", { detail: { epoch: epoch } }));
      } else {
        reached(Math.max(epoch, goal, epochOf(fresh)));
      }
      refreshing = false;
      if (wantedEpoch > epoch) refresh();
    }).catch(reload);
  }

  // --- stylesheets and errors -------------------------------------------------------

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
      var pristine = base !== null && serialize(document) === base;
      var done = function () {
        if (--pending > 0) return;
        old.forEach(function (l) { l.remove(); });
        base = pristine ? serialize(document) : null;  // the swapped links are the server's, in effect
      };
      if (!pending) { done(); return; }
      fresh.forEach(function (link) {
        var url = new URL(link.getAttribute("href"), location.href);
        url.searchParams.set(EPOCH_PARAM, String(newEpoch));
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
    if (status.server !== server) {
      reload();  // another server run: nothing here can be trusted to match
      return;
    }
    if (status.epoch > wantedEpoch) {
      if (status.css && status.epoch === wantedEpoch + 1 && !refreshing) {
        wantedEpoch = status.epoch;
        reached(status.epoch);
        swapStylesheets(status.epoch);
      } else {
        wantedEpoch = status.epoch;
        refresh();
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
  if (document.readyState === "complete") learnBase();
  else window.addEventListener("load", learnBase, { once: true });
})();
