/* archive serve: one event stream shared by every open tab of the preview.
 * Browsers allow few connections per host; a stream per tab would starve
 * page loads once a handful of tabs are open. */
"use strict";
var ports = [];
var last = null;
var source = new EventSource("/__archive/events");
source.addEventListener("status", function (event) {
  last = JSON.parse(event.data);
  ports.forEach(function (port) { port.postMessage(last); });
});
self.onconnect = function (event) {
  var port = event.ports[0];
  ports.push(port);
  port.start();
  if (last) port.postMessage(last);
};
