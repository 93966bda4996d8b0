/* SkyLight Chat dashboard: live updates over Server-Sent Events.
 *
 * One EventSource per page load (htmx's boosted navigation keeps the document, so it stays
 * open across pages). Elements that show something an event changes carry
 * data-refresh-on="<event types>" (and data-contact-id to narrow message events to one
 * conversation) plus hx-trigger="refresh": on a matching event htmx re-fetches them. */
(function () {
  "use strict";

  var TYPES = [
    "message.received", "message.sent", "message.failed", "message.status_updated",
    "contact.created", "contact.opted_out", "contact.opted_in", "contacts.imported",
    "channel.status_changed", "channel.disconnected", "campaign.completed"
  ];

  function wants(element, type, data) {
    var wanted = (element.getAttribute("data-refresh-on") || "").split(/\s+/);
    if (wanted.indexOf(type) === -1) {
      return false;
    }
    var contact = element.getAttribute("data-contact-id");
    return !(contact && data && data.contact_id !== undefined && String(data.contact_id) !== contact);
  }

  // htmx drops a request on an element that has one in flight, and that one may have read the
  // database before this event: remember to refresh again once it is done (or swapped).
  // (An element swapped out mid-request never reports its end: it no longer counts as busy.)
  var busy = new Map();
  var again = new Set();

  function refresh(element) {
    var inFlight = busy.get(element.id);
    if (inFlight && inFlight.isConnected) {
      again.add(element.id);
    } else if (window.htmx) {
      window.htmx.trigger(element, "refresh");
    }
  }

  // A boosted navigation (a link or a form, the redirect after a POST) renders its page from
  // a read made while it is in flight; an event in that window reaches the old page, and the
  // new one would show the state before it. Keep them, and replay them on the new page.
  var navigating = null;
  var missed = [];

  function dispatch(type, data) {
    if (navigating) {
      missed.push([type, data]);
    }
    document.querySelectorAll("[data-refresh-on][id]").forEach(function (element) {
      if (wants(element, type, data)) {
        refresh(element);
      }
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var element = event.detail.elt;
    if (event.detail.boosted) {
      navigating = event.detail.xhr;
      missed = [];
    }
    if (element.id && element.hasAttribute("data-refresh-on")) {
      busy.set(element.id, element);
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail.elt;
    // (htmx reports the end on an ancestor when the element itself was swapped out.)
    if (event.detail.boosted && navigating === event.detail.xhr) {
      // The new page is swapped in by now (settling is immediate): refresh what it shows.
      var events = missed;
      navigating = null;
      missed = [];
      events.forEach(function (pair) { dispatch(pair[0], pair[1]); });
    }
    if (!element.id || busy.get(element.id) !== element) {
      return;
    }
    busy.delete(element.id);
    var swapped = event.detail.successful && event.detail.xhr.status !== 204;
    if (!swapped && again.delete(element.id)) {
      refresh(element);
    }
  });
  // A swapped-in element is ready for htmx once loaded (at once: the page sets
  // defaultSettleDelay to 0, so no event can reach a new element htmx has not set up yet).
  // Refresh it if an event came while the request that brought it was in flight.
  document.addEventListener("htmx:load", function (event) {
    var element = event.target;
    if (element.id && again.delete(element.id)) {
      refresh(element);
    }
  });

  function setState(state) {
    var badge = document.getElementById("live");
    if (badge) {
      badge.setAttribute("data-state", state);
      badge.title = state === "on" ? "Live updates are on" : "Live updates are reconnecting";
    }
    document.body.setAttribute("data-live", state);
  }

  function connect() {
    var url = document.body.getAttribute("data-stream");
    if (!url || !window.EventSource) {
      return;
    }
    var source = new EventSource(url);
    source.onopen = function () { setState("on"); };
    source.onerror = function () { setState("connecting"); };
    TYPES.forEach(function (type) {
      source.addEventListener(type, function (event) {
        var payload = {};
        try {
          payload = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        dispatch(type, payload.data);
      });
    });
  }

  // After a boosted navigation the live badge is new: show the stream's current state.
  document.addEventListener("htmx:afterSettle", function () {
    setState(document.body.getAttribute("data-live") || "off");
  });

  // Keep the newest message in view when a thread is (re)loaded.
  function scrollThread() {
    var log = document.querySelector(".thread .messages");
    if (log) {
      log.lastElementChild && log.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  }
  document.addEventListener("htmx:afterSettle", scrollThread);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { connect(); scrollThread(); });
  } else {
    connect();
    scrollThread();
  }
})();
