// The inbox, live: a new review appears in its place (most urgent first) without a reload,
// and what is being typed in other replies is never touched. Without this script (or
// without EventSource) the inbox is the same page, reloaded by hand.
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

  // Brings in the reviews that are on the server's inbox but not on this page, each
  // before the first review that follows it there.
  async function refresh(announce) {
    const response = await fetch("/inbox", { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const items = fresh.querySelectorAll("#inbox-list > .inbox-item");
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
    const here = document.getElementById("inbox-count");
    if (count && here) here.textContent = count.textContent;
    if (added && announce) say(live.dataset.new);
  }

  // A review left the inbox (answered, perhaps by a colleague, or withdrawn): an untouched
  // item goes; one with a reply being typed stays, with a note.
  function gone(id, note) {
    const item = document.getElementById("i-" + id);
    if (!item) return;
    const typed = item.querySelector("textarea");
    if (typed && typed.value.trim() === "") {
      item.remove();
    } else if (note && !item.querySelector(".gone-note")) {
      const p = document.createElement("p");
      p.className = "gone-note";
      p.textContent = note;
      item.prepend(p);
    }
  }

  const source = new EventSource("/inbox/events");
  source.addEventListener("review", () => { refresh(true).catch(() => {}); });
  source.addEventListener("replied", (e) => gone(e.data, live.dataset.replied));
  source.addEventListener("gone", (e) => gone(e.data, null));
  source.addEventListener("reload", () => { refresh(false).catch(() => {}); });
})();
