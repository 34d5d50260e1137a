// Passaparola's review widget, for businesses to paste into their own sites:
//   <script src="https://HOST/widget.js" data-business="SLUG"
//           data-theme="light|dark|auto" data-lang="it|en" async></script>
// Plain ES2020, no dependencies, no build step. Each tag is drawn once, in a shadow root right
// after it, from one request to the script's own origin (no cookies, no storage, nothing
// from anyone else). Every word shown comes from the server's JSON, and all of it goes in
// with textContent and setAttribute only: review texts are strangers' input. If anything
// fails, nothing is shown and one warning goes to the console; the host page never breaks.
(() => {
  "use strict";
  const me = document.currentScript;
  const originOf = (s) => { try { return new URL(s.src).origin; } catch { return ""; } };
  const mine = me && originOf(me);

  const light = "--i:#1d2327;--m:#56606a;--l:#d9dee3;--p:#fff;--a:#0b6e4f;--s:#b35c00;--o:#b8bfc6";
  const dark = "--i:#e7eaed;--m:#a9b3bc;--l:#3a424a;--p:#1c2126;--a:#6fd3ab;--s:#f0a845;--o:#59626b";
  const CSS = `:host{all:initial;display:block}
.w{${light};box-sizing:border-box;max-width:100%;padding:.9em 1em;border:1px solid var(--l);border-radius:8px;
background:var(--p);color:var(--i);font:.94em/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
.d{${dark}}@media(prefers-color-scheme:dark){.a{${dark}}}
p{margin:0}a{color:var(--a)}a:focus-visible{outline:3px solid #f2b705;outline-offset:2px}
h2{margin:0;font-size:.85em;font-weight:600;color:var(--m)}
.n{font-size:1.2em;font-weight:700;line-height:1.25}.n a{color:inherit;text-decoration:none}.n a:hover{text-decoration:underline}
.sc,.by{display:flex;flex-wrap:wrap;align-items:center;gap:.2em .7em}.sc{margin:.3em 0 .2em}
.big{font-size:1.6em;font-weight:700;line-height:1.1}
.st{position:relative;display:inline-block;color:var(--o);letter-spacing:.08em;white-space:nowrap;line-height:1}
.st span{position:absolute;top:0;left:0;overflow:hidden;color:var(--s)}
.m{color:var(--m);font-size:.87em}
ul{list-style:none;margin:.6em 0 0;padding:0}li{border-top:1px solid var(--l);padding:.65em 0}
h3{margin:.25em 0 .1em;font-size:1em;line-height:1.3}.b{white-space:pre-line}.by{margin-top:.2em}
.all{margin-top:.5em}.v{margin-top:.5em;font-size:.8em;color:var(--m)}`;

  let sheet;
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  };

  // Five stars, the first `filled` of them (0 to 5, fractions allowed) coloured; read
  // out as `label`. The glyph is written \u2605 so the page's charset cannot garble it.
  const stars = (filled, label) => {
    const five = "\u2605".repeat(5);
    const s = el("span", "st", five);
    const on = el("span", null, five);
    on.style.width = Math.max(0, Math.min(5, Number(filled) || 0)) * 20 + "%";
    s.prepend(on);
    s.setAttribute("role", "img");
    s.setAttribute("aria-label", String(label ?? ""));
    return s;
  };

  function draw(tag, data, base, theme) {
    const L = data.labels;
    // Only our own pages are linked (never a javascript: or foreign address), in a new tab.
    const link = (url, text) => {
      if (typeof url !== "string" || !url.startsWith(base + "/")) return el("span", null, text);
      const a = el("a", null, text);
      a.setAttribute("href", url);
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener");
      return a;
    };
    const w = el("section", "w " + theme[0]);
    w.setAttribute("lang", data.lang === "en" ? "en" : "it");
    const head = el("p", "n");
    head.append(link(data.business.url, data.business.name));
    w.append(el("h2", null, L.title), head);
    if (data.score && L.score) {
      const row = el("p", "sc");
      row.append(el("span", "big", L.score), stars(data.score.value, L.score_label), el("span", "m", L.count));
      w.append(row);
    } else {
      w.append(el("p", "m", L.empty));
    }
    const reviews = Array.isArray(data.reviews) ? data.reviews : [];
    if (reviews.length) {
      const ul = el("ul");
      for (const r of reviews) {
        const li = el("li");
        const h3 = el("h3");
        h3.append(link(r.url, r.title));
        const by = el("p", "by m");
        const when = el("time", null, r.date);
        if (typeof r.published_at === "string") when.setAttribute("datetime", r.published_at);
        by.append(el("span", null, r.author_name), when);
        li.append(stars(r.rating, r.rating_label), h3, el("p", "b", r.body), by);
        ul.append(li);
      }
      w.append(ul);
    }
    const all = el("p", "all");
    all.append(link(data.business.url, L.read_all));
    w.append(all, el("p", "v", L.verified));

    const host = el("div");
    const root = host.attachShadow({ mode: "open" });
    // A constructed stylesheet also works on pages whose CSP forbids inline styles; a
    // <style> element where constructed sheets are missing.
    if ("adoptedStyleSheets" in root) {
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.append(el("style", null, CSS));
    }
    root.append(w);
    tag.after(host);
  }

  async function run(tag) {
    const slug = tag.dataset.business;
    try {
      const base = originOf(tag);
      const l = tag.dataset.lang;
      const lang = l === "it" || l === "en" ? l : /^en/i.test(document.documentElement.lang) ? "en" : "it";
      const t = tag.dataset.theme;
      const theme = t === "dark" || t === "auto" ? t : "light";
      const url = `${base}/api/v1/businesses/${encodeURIComponent(slug)}/widget?lang=${lang}`;
      const res = await fetch(url, { credentials: "omit", mode: "cors" });
      if (res.status !== 200) throw new Error("HTTP " + res.status);
      draw(tag, await res.json(), base, theme);
    } catch (e) {
      console.warn("Passaparola widget (" + slug + "):", e);
    }
  }

  // This tag, then any other not drawn yet (from our own origin, if we know it).
  for (const tag of [me, ...document.querySelectorAll('script[data-business][src*="widget.js"]')]) {
    if (!tag || !tag.dataset.business || tag.hasAttribute("data-pp-done")) continue;
    if (mine && originOf(tag) !== mine) continue;
    tag.setAttribute("data-pp-done", "");
    run(tag);
  }
})();
