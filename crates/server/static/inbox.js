// The inbox, live: a new review appears in its place (most urgent first) without a reload,
// and what is being typed in a reply is never touched. Without this script (or without
// EventSource) the inbox is the same page, reloaded by hand.
"use strict";
(function () {
  const list = document.getElementById("inbox-list");
  const live = document.getElementById("inbox-live");
  if (!list || !live || !("EventSource" in window)) return;

  function say(text) {
    live.textContent = "";
    // A fresh node in the live region is announced even when the text repeats.
    window.setTimeout(() => { live.textContent = text; }, 50);
  }

  // An item may go if nothing was typed in it and the keyboard is not in it.
  function untouched(item) {
    const typed = item.querySelector("textarea");
    return (!typed || typed.value.trim() === "") && !item.contains(document.activeElement);
  }

  function setCount(text) {
    const here = document.getElementById("inbox-count");
    if (here && text) here.textContent = text;
  }

  // Makes the list the server's: brings in the reviews missing here, each before the first
  // review that follows it there, and drops untouched ones the server no longer lists.
  async function sync(announce) {
    const response = await fetch("/inbox", { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const items = Array.from(fresh.querySelectorAll("#inbox-list > .inbox-item"));
    const wanted = new Set(items.map((item) => item.id));
    list.querySelectorAll(":scope > .inbox-item").forEach((item) => {
      if (!wanted.has(item.id) && untouched(item)) item.remove();
    });
    let added = 0;
    items.forEach((item, i) => {
      if (document.getElementById(item.id)) return;
      let before = null;
      for (let j = i + 1; j < items.length && !before; j++) {
        before = document.getElementById(items[j].id);
      }
      const node = document.importNode(item, true);
      node.classList.add("fresh");
      list.insertBefore(node, before);
      added++;
    });
    const count = fresh.getElementById("inbox-count");
    setCount(count && count.textContent);
    if (added && announce) say(live.dataset.new);
  }

  // One fetch at a time; news that arrives meanwhile asks for one more, not one each.
  let running = null;
  let again = false;
  let announceNext = false;
  function refresh(announce) {
    announceNext = announceNext || announce;
    if (running) { again = true; return; }
    const announceNow = announceNext;
    announceNext = false;
    running = sync(announceNow).catch(() => {}).finally(() => {
      running = null;
      if (again) { again = false; refresh(false); }
    });
  }

  // A review left the inbox (answered, perhaps by a colleague, or withdrawn): an untouched
  // item goes; one with a reply being typed stays, with a note.
  function gone(id, note) {
    const item = document.getElementById("i-" + id);
    if (!item) return;
    if (untouched(item)) {
      item.remove();
    } else if (note && !item.querySelector(".gone-note")) {
      const p = document.createElement("p");
      p.className = "gone-note";
      p.setAttribute("role", "status");
      p.textContent = note;
      item.prepend(p);
    }
  }

  // What the stream says, wherever it was heard.
  function heard(type, data) {
    if (type === "open" || type === "reload") refresh(false); // whatever was missed, once
    else if (type === "review") refresh(true);
    else if (type === "replied") gone(data, live.dataset.replied);
    else if (type === "gone") gone(data, live.dataset.gone);
  }
  const TYPES = ["open", "review", "replied", "gone", "reload"];
  function open(relay) {
    const source = new EventSource("/inbox/events");
    TYPES.forEach((type) => source.addEventListener(type, (e) => {
      heard(type, e.data);
      if (relay) relay.postMessage({ type, data: e.data || "" });
    }));
    return source;
  }

  // A browser keeps only six connections to a site; an event stream holds one for good. So
  // the inbox tabs of one browser share one stream: the tab that holds the lock opens it and
  // tells the others over a BroadcastChannel; when that tab goes, the lock (and the stream)
  // passes to another. (Web Locks need a secure context: HTTPS, or localhost.)
  if (navigator.locks && "BroadcastChannel" in window) {
    const channel = new BroadcastChannel("passaparola-inbox");
    channel.onmessage = (e) => {
      if (e.data && TYPES.includes(e.data.type)) heard(e.data.type, String(e.data.data));
    };
    let wait = 1000;
    const lead = () => navigator.locks.request("passaparola-inbox-events", () => new Promise((release) => {
      // Held until this page goes, or its stream dies.
      const source = open(channel);
      source.addEventListener("open", () => { wait = 1000; });
      // EventSource never retries a stream refused with an error status (403 after a
      // log-out, 5xx while the server restarts): hand the stream on after a while, and
      // queue for it again, waiting longer each time.
      source.addEventListener("error", () => {
        if (source.readyState !== EventSource.CLOSED) return;
        window.setTimeout(() => { release(); lead(); }, wait);
        wait = Math.min(2 * wait, 60000);
      });
    }));
    lead();
    return;
  }

  // Otherwise each tab has its own stream, and a hidden or closed tab gives it back.
  let source = null;
  function connect() {
    if (!source) source = open(null);
  }
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      if (source) { source.close(); source = null; }
    } else {
      connect();
    }
  });
  window.addEventListener("pagehide", () => { if (source) { source.close(); source = null; } });
  if (!document.hidden) connect();
})();
