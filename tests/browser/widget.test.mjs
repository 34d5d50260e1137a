// The embeddable widget in Debian's Chromium (playwright-core), on a business's own site: a
// tiny server here plays that site, on the same host as Passaparola (PP_BASE) but another
// port, hence another origin of the same site, where a request carrying our cookies would
// carry them for real. Run by ./run.sh, which starts the server with the demo data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const BASE = process.env.PP_BASE;
const SHOTS = process.env.PP_SCREENSHOTS;
const SLUG = 'trattoria-da-gino';
const API_PATH = `/api/v1/businesses/${SLUG}/widget`;
let browser, server, SITE;

const tag = (attrs) => `<script src="${BASE}/widget.js" ${attrs} async></script>`;

// The business's site: its pages, with a strict CSP that lets in our script and our API
// and nothing else (no inline style either: its own stylesheet is a file).
const SITE_CSS = `body{margin:0;font:17px/1.6 Georgia,serif;background:#faf6ef;color:#3b2f2a}
header,main{max-width:62rem;margin:0 auto;padding:0 1rem}h1{margin:0;padding:1rem 0 0}
.cols{display:grid;gap:1.5rem;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));align-items:start}
.night{background:#15181b;color:#ddd;padding:1rem;border-radius:6px}`;
const page = (title, body) => `<!doctype html><html lang="en-GB"><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>${title}</title>
<link rel="stylesheet" href="/site.css"><header><h1>${title}</h1></header><main>${body}</main>`;
const PAGES = {
  '/': page('Trattoria da Gino', `<p>Bologna, since 1962. Tortellini in brodo every day.</p>
    <div class="cols"><div>${tag(`data-business="${SLUG}" data-lang="en" data-theme="light"`)}</div>
    <div class="night"><p>Also in Italian, dark:</p>${tag(`data-business="${SLUG}" data-lang="it" data-theme="dark"`)}</div></div>`),
  '/one': page('One widget', tag(`data-business="${SLUG}" data-lang="en"`)),
  '/auto': page('Light or dark', tag(`data-business="${SLUG}" data-lang="en" data-theme="auto"`)),
  '/missing': page('No such business', `${tag('data-business="no-such-business-here" data-lang="en"')}<p id="after">The page goes on.</p>`),
  '/frame': page('The iframe', `<iframe src="${BASE}/widget/${SLUG}?lang=en&amp;theme=dark" title="Reviews"
    width="360" height="520"></iframe>`),
};

before(async () => {
  const host = new URL(BASE).hostname;
  server = http.createServer((req, res) => {
    if (req.url === '/site.css') return res.writeHead(200, { 'content-type': 'text/css' }).end(SITE_CSS);
    const html = PAGES[req.url];
    if (!html) return res.writeHead(204).end(); // the favicon
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': `default-src 'none'; style-src 'self'; script-src ${BASE}; `
        + `connect-src ${BASE}; frame-src ${BASE}`,
    }).end(html);
  });
  await new Promise((ok) => server.listen(0, host, ok));
  SITE = `http://${host}:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); server?.close(); });

/// The widget's JSON, as the server gives it to anyone.
async function widgetJson(lang) {
  const res = await fetch(`${BASE}${API_PATH}?lang=${lang}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  return res.json();
}

/// A page of the business's site in a fresh browser (with our `pp_lang` cookie set if
/// `cookie`, and `prepare` called before it loads), recording every request, dialog,
/// console warning or error and page error.
async function visit(path, { cookie = false, width = 1000, colorScheme = 'light', prepare } = {}) {
  const context = await browser.newContext({ locale: 'en-GB', viewport: { width, height: 900 }, colorScheme });
  if (cookie) {
    const ours = await context.newPage();
    await ours.goto(`${BASE}/lang/en`);
    assert.ok((await context.cookies(BASE)).some((c) => c.name === 'pp_lang'), 'a cookie of ours is set');
    await ours.close();
  }
  const p = await context.newPage();
  Object.assign(p, { requests: [], dialogs: [], console: [], errors: [] });
  p.on('request', (r) => p.requests.push(r));
  p.on('dialog', async (d) => { p.dialogs.push(d.message()); await d.dismiss(); });
  p.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') p.console.push(m.text()); });
  p.on('pageerror', (e) => p.errors.push(e.message));
  await prepare?.(p);
  await p.goto(SITE + path);
  return p;
}

/// Every request went to the site itself or to Passaparola, and to Passaparola only for
/// the paths in `ours` (if given).
function onlyOurRequests(p, ours) {
  for (const r of p.requests) {
    const url = new URL(r.url());
    assert.ok([SITE, BASE].includes(url.origin), `a request left for ${r.url()}`);
    if (ours && url.origin === BASE) assert.ok(ours.includes(url.pathname), `an unexpected request to ${r.url()}`);
  }
}

/// What each widget on the page shows (one entry per script tag), read from its shadow root.
function widgets(p) {
  return p.evaluate(() => [...document.querySelectorAll('script[data-business]')].map((s) => {
    const root = s.nextElementSibling?.shadowRoot;
    if (!root) return null;
    const box = root.querySelector('h2')?.parentElement;
    return {
      text: box?.innerText ?? '',
      title: root.querySelector('h2')?.textContent,
      scoreLabel: root.querySelector('[role=img]')?.getAttribute('aria-label'),
      reviews: [...root.querySelectorAll('ul > li')].map((li) => ({
        title: li.querySelector('h3')?.textContent,
        label: li.querySelector('[role=img]')?.getAttribute('aria-label'),
      })),
      links: [...root.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), target: a.target, rel: a.rel })),
      tags: [...new Set([...root.querySelectorAll('*')].map((e) => e.localName))],
      background: box && getComputedStyle(box).backgroundColor,
      overflows: box ? box.scrollWidth > box.clientWidth : null,
    };
  }));
}

/// Waits until every widget tag on the page has its shadow root drawn.
const drawn = (p) => p.waitForFunction(() => [...document.querySelectorAll('script[data-business]')]
  .every((s) => s.nextElementSibling?.shadowRoot?.querySelector('h2')), null, { timeout: 10000 });

/// Relative luminance (0 black, 1 white) of a computed `rgb(…)` colour.
function luminance(rgb) {
  const [r, g, b] = rgb.match(/[\d.]+/g).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

test('widget.js is at most 6 kB gzipped', async () => {
  const res = await fetch(`${BASE}/widget.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /javascript/);
  const size = gzipSync(Buffer.from(await res.arrayBuffer()), { level: 9 }).length;
  assert.ok(size <= 6144, `widget.js is ${size} bytes gzipped`);
});

test('the widget shows the reviews on the business\'s own site, and sends no cookie', async () => {
  const [en, it] = await Promise.all([widgetJson('en'), widgetJson('it')]);
  assert.ok(en.reviews.length > 0, 'the demo data has reviews');
  const p = await visit('/', { cookie: true });
  await drawn(p);
  const [light, dark] = await widgets(p);

  assert.equal(light.title, en.labels.title);
  for (const text of [en.business.name, en.labels.score, en.labels.count, en.labels.read_all, en.labels.verified]) {
    assert.ok(light.text.includes(text), `the widget shows ${JSON.stringify(text)}`);
  }
  assert.equal(light.scoreLabel, en.labels.score_label);
  assert.deepEqual(light.reviews, en.reviews.map((r) => ({ title: r.title, label: r.rating_label })));
  assert.ok(light.links.length > 0);
  for (const a of light.links) {
    assert.ok(a.href.startsWith(`${BASE}/`), a.href);
    assert.equal(a.target, '_blank');
    assert.match(a.rel, /\bnoopener\b/);
  }
  // The second tag: in Italian, dark, and drawn once like the first.
  assert.equal(dark.title, it.labels.title);
  assert.ok(dark.text.includes(it.labels.score));
  assert.ok(luminance(light.background) > 0.8, light.background);
  assert.ok(luminance(dark.background) < 0.1, dark.background);
  assert.equal(await p.evaluate(() => [...document.querySelectorAll('*')].filter((e) => e.shadowRoot).length), 2);
  if (SHOTS) await p.screenshot({ path: `${SHOTS}/widget.png`, fullPage: true });

  // From 280 pixels wide, nothing sticks out.
  await p.setViewportSize({ width: 280, height: 900 });
  assert.deepEqual((await widgets(p)).map((w) => w.overflows), [false, false]);
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');

  onlyOurRequests(p, ['/widget.js', API_PATH]);
  const calls = p.requests.filter((r) => new URL(r.url()).pathname === API_PATH);
  assert.deepEqual(calls.map((r) => new URL(r.url()).search).sort(), ['?lang=en', '?lang=it']);
  for (const r of calls) {
    const headers = await r.allHeaders();
    assert.equal(headers.cookie, undefined, `the widget sent ${headers.cookie}`);
    assert.equal(headers.origin, SITE);
  }
  assert.deepEqual([p.dialogs, p.console, p.errors], [[], [], []]);
  // A browser may already withhold our cookie from another port (origin-bound cookies), so
  // the absence above is not proof alone: the script itself must never ask for cookies.
  const script = await (await fetch(`${BASE}/widget.js`)).text();
  assert.match(script, /credentials:\s*["']omit["']/);
  assert.doesNotMatch(script, /credentials:\s*["'](include|same-origin)["']/);
  await p.context().close();
});

test('what strangers write stays text in the widget, and only our pages are linked', async () => {
  // The widget's answer, rewritten on its way to the page.
  const hostile = async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    const r = json.reviews[0];
    json.business.url = 'javascript:alert("business")';
    json.business.name = '<img src=x onerror=alert("name")>';
    json.labels.read_all = '<a href="https://elsewhere.example/">read</a>';
    json.reviews = [
      { ...r, title: '<script>alert("title")</script>', body: '<img src=x onerror=alert("body")>',
        author_name: '"><svg onload=alert("author")>', url: 'javascript:alert("url")' },
      { ...r, title: 'Look-alike host', url: `${BASE}.elsewhere.example/b/x` },
      { ...r, title: 'User-info host', url: `${BASE}@elsewhere.example/b/x` },
      { ...r, title: 'Other site', url: 'https://elsewhere.example/b/x' },
    ];
    await route.fulfill({ response, json });
  };
  const p = await visit('/one', { width: 600, prepare: (page) => page.route((u) => u.origin === BASE && u.pathname === API_PATH, hostile) });
  await drawn(p);
  const [w] = await widgets(p);
  for (const text of ['<img src=x onerror=alert("name")>', '<script>alert("title")</script>',
    '<img src=x onerror=alert("body")>', '"><svg onload=alert("author")>', '<a href="https://elsewhere.example/">read</a>']) {
    assert.ok(w.text.includes(text), `shown as text: ${text}`);
  }
  assert.equal(w.reviews.length, 4);
  assert.deepEqual(w.links, [], 'no link to anywhere but our own pages');
  for (const name of w.tags) assert.ok(['section', 'h2', 'h3', 'p', 'span', 'ul', 'li', 'time', 'style'].includes(name), name);
  onlyOurRequests(p, ['/widget.js', API_PATH]);
  assert.deepEqual([p.dialogs, p.errors], [[], []]);
  await p.context().close();
});

test('data-theme="auto" follows the visitor\'s colour scheme', async () => {
  for (const [colorScheme, dark] of [['light', false], ['dark', true]]) {
    const p = await visit('/auto', { colorScheme });
    await drawn(p);
    const [w] = await widgets(p);
    assert.equal(luminance(w.background) < 0.1, dark, `${colorScheme}: ${w.background}`);
    await p.context().close();
  }
});

test('a business that does not exist shows nothing, and the page goes on', async () => {
  const p = await visit('/missing');
  const warned = () => p.console.filter((t) => /Passaparola/.test(t));
  for (let i = 0; i < 100 && warned().length === 0; i++) await p.waitForTimeout(50);
  await p.waitForTimeout(200); // and no second warning
  assert.equal(await p.evaluate(() => document.querySelector('script[data-business]').nextElementSibling.id), 'after');
  assert.equal(await p.evaluate(() => [...document.querySelectorAll('*')].filter((e) => e.shadowRoot).length), 0);
  assert.equal(warned().length, 1, p.console.join('\n'));
  assert.deepEqual([p.dialogs, p.errors], [[], []]);
  await p.context().close();
});

test('the iframe fallback shows the business on the business\'s own site', async () => {
  const { business } = await widgetJson('en');
  const p = await visit('/frame');
  await p.waitForLoadState('load');
  const frame = p.frames().find((f) => f.url().startsWith(`${BASE}/widget/`));
  assert.ok(frame, `the frame loaded: ${p.frames().map((f) => f.url()).join(', ')}`);
  await frame.waitForLoadState('load');
  assert.ok((await frame.textContent('body')).includes(business.name), 'the frame shows the business');
  onlyOurRequests(p);
  assert.deepEqual([p.dialogs, p.errors], [[], []]);
  await p.context().close();
});
