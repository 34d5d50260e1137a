// Passaparola's pages in Debian's Chromium (playwright-core). Run by ./run.sh, which starts
// the server with the demo data and passes its address, an API key and a user's password.
// The tests run in order on one server; the script-payload test comes last, so that the
// screenshots show the demo data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.PP_BASE;
const SHOTS = process.env.PP_SCREENSHOTS;
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

/// A fresh visitor, whose browser speaks `locale`; every dialog (alert) is recorded.
async function visitor(locale) {
  const context = await browser.newContext({ locale, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.dialogs = [];
  page.on('dialog', async (d) => { page.dialogs.push(d.message()); await d.dismiss(); });
  return page;
}

/// Presses Tab until the field named `name` has the focus, as a keyboard user would.
async function tabTo(page, name) {
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((n) => document.activeElement?.name === n, name)) return;
  }
  assert.fail(`Tab never reached ${name}`);
}

async function api(method, path, body, key) {
  const res = await fetch(BASE + path, {
    method,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

async function invite(reference) {
  const inv = await api('POST', '/api/v1/invitations', { reference, locale: 'it' }, process.env.PP_API_KEY);
  assert.equal(inv.status, 201);
  return inv.body.token;
}

test('a customer completes an invitation in Italian with the keyboard only', async () => {
  const page = await visitor('it-IT');
  await page.goto(`${BASE}/r/${await invite('BROWSER-1')}`);
  // The link's token stays out of the address bar: the form lives at /review.
  assert.equal(new URL(page.url()).pathname, '/review');
  assert.equal(await page.getAttribute('html', 'lang'), 'it');
  assert.match(await page.title(), /Recensisci Trattoria da Gino/);
  // Tab to the star rating, choose four stars with the arrow keys.
  await tabTo(page, 'rating');
  await page.keyboard.press('ArrowRight'); // 1 → 2 stars
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.querySelector('input[name=rating]:checked')?.value), '4');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Cena da ricordare');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Tortellini ottimi, servizio gentile. Torneremo.');
  await page.keyboard.press('Tab');
  await page.keyboard.type('9'); // the NPS select
  await tabTo(page, 'author_name'); // the date stays empty (its parts take a Tab each)
  await page.keyboard.type('Maria R.');
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/form-it.png`, fullPage: true });
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.equal(await page.textContent('h1'), 'Grazie!');
  await Promise.all([page.waitForNavigation(), page.click('text=Vedi la recensione pubblicata')]);
  const card = await page.textContent('article.review');
  assert.match(card, /Cena da ricordare/);
  assert.match(card, /Verificata/);
  assert.match(card, /Maria R\./);
  await page.context().close();
});

/// A business user, logged in on the inbox.
async function loggedIn(locale) {
  const page = await visitor(locale);
  await page.goto(`${BASE}/inbox`);
  assert.match(page.url(), /\/login\?next=\/inbox$/);
  await page.fill('#f-email', process.env.PP_EMAIL);
  await page.fill('#f-password', process.env.PP_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form.review-form button[type=submit]')]);
  assert.match(page.url(), /\/inbox$/, await page.textContent('main'));
  return page;
}

test('the business logs in, replies, and the reply is public', async () => {
  const page = await loggedIn('en-GB');
  assert.equal(await page.textContent('h1'), 'Reviews to answer');
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/inbox-en.png`, fullPage: false });
  // The most urgent review first: answer it.
  // Several demo reviews share a title: the review is found by its id.
  const id = (await page.locator('#inbox-list .inbox-item').first().getAttribute('id')).slice(2);
  const textarea = page.locator('form textarea').first();
  await textarea.fill('Thank you for telling us: we will call you today. Giulia');
  await Promise.all([page.waitForNavigation(), page.locator('form.review-form button').first().click()]);
  assert.match(await page.textContent('[role=status]'), /The reply is published/);
  await page.goto(`${BASE}/b/trattoria-da-gino/r/${id}`);
  const answered = page.locator('article.review');
  assert.match(await answered.first().textContent(), /Reply from Giulia Zanetti, Titolare/);
  assert.match(await answered.first().textContent(), /we will call you today/);

  // The reply is edited from the inbox, and every version stays listed.
  await page.goto(`${BASE}/inbox`);
  await Promise.all([page.waitForNavigation(), page.locator('ul.answered a').first().click()]);
  assert.match(await page.textContent("h1"), /^Reply to /);
  await page.fill('textarea[name=body]', 'Thank you for telling us: we called you this morning. Giulia');
  await Promise.all([page.waitForNavigation(), page.click('form.review-form button[type=submit]')]);
  const versions = await page.textContent('ol.versions');
  assert.match(versions, /we will call you today[\s\S]*we called you this morning/);
  assert.match(versions, /Reply edited/);
  await page.context().close();
});

test('a new review appears in the open inbox without a reload, and a draft is kept', async () => {
  const page = await loggedIn('en-GB');
  const draft = 'A reply I am still writing';
  await page.locator('#inbox-list textarea').first().fill(draft);
  const before = await page.locator('#inbox-list .inbox-item').count();
  let navigations = 0;
  page.on('framenavigated', () => { navigations++; });
  const created = await api('POST', '/api/v1/reviews', {
    token: await invite('BROWSER-LIVE'), rating: 1, title: 'Cold soup, live',
    body: 'The soup came cold and nobody noticed.', author_name: 'Live Tester',
  });
  assert.equal(created.status, 201);
  // A one-star review: the most urgent, so it comes first.
  await page.waitForSelector(`#i-${created.body.id}`, { timeout: 10000 });
  assert.equal(await page.locator('#inbox-list .inbox-item').first().getAttribute('id'), `i-${created.body.id}`);
  assert.equal(await page.locator('#inbox-list .inbox-item').count(), before + 1);
  assert.equal(navigations, 0, 'no reload');
  assert.equal(await page.inputValue(`#inbox-list textarea >> nth=1`), draft, 'the draft is kept');
  await page.waitForFunction(() => document.getElementById('inbox-live').textContent !== '');
  assert.equal(await page.textContent('#inbox-live'), 'A new review has arrived.');
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/inbox-live-en.png`, fullPage: false });
  await page.context().close();
});

test('eight inbox tabs of one browser share one stream, and each hears the news', async () => {
  // A browser keeps six connections to a site: eight streams of their own would stall it.
  const first = await loggedIn('en-GB');
  const tabs = [first];
  for (let i = 1; i < 8; i++) {
    const tab = await first.context().newPage();
    await tab.goto(`${BASE}/inbox`);
    tabs.push(tab);
  }
  const created = await api('POST', '/api/v1/reviews', {
    token: await invite('BROWSER-TABS'), rating: 2, title: 'Eight tabs',
    body: 'Every open tab should show this review.', author_name: 'Tab Tester',
  });
  assert.equal(created.status, 201);
  for (const tab of tabs) await tab.waitForSelector(`#i-${created.body.id}`, { timeout: 10000 });
  // And the site still answers this browser's other requests.
  const other = await first.context().newPage();
  const response = await other.goto(`${BASE}/inbox`, { timeout: 5000 });
  assert.equal(response.status(), 200);
  // The tab holding the stream goes: another takes it over, and hears the next review.
  await first.close();
  const next = await api('POST', '/api/v1/reviews', {
    token: await invite('BROWSER-TABS-2'), rating: 2, title: 'After the first tab',
    body: 'The other tabs still hear the news.', author_name: 'Tab Tester',
  });
  assert.equal(next.status, 201);
  for (const tab of tabs.slice(1)) await tab.waitForSelector(`#i-${next.body.id}`, { timeout: 10000 });
  await other.context().close();
});

test('an inbox left open through a log-out and a new log-in hears the news again', async () => {
  const inbox = await loggedIn('en-GB');
  const other = await inbox.context().newPage();
  await other.goto(`${BASE}/inbox`);
  // Log out in the other tab: the open inbox's stream ends at the next news, and its
  // reconnection is refused (403).
  await Promise.all([other.waitForNavigation(), other.click('form[action="/logout"] button')]);
  const refused = inbox.waitForResponse(
    (r) => r.url().endsWith('/inbox/events') && r.status() === 403, { timeout: 20000 });
  const unseen = await api('POST', '/api/v1/reviews', {
    token: await invite('BROWSER-RELOGIN-1'), rating: 3, title: 'While logged out',
    body: 'Nobody is logged in to hear this one.', author_name: 'Tab Tester',
  });
  assert.equal(unseen.status, 201);
  await refused; // EventSource gives up on a refused stream for good
  // Log in again: the inbox (never reloaded) picks the stream up again by itself.
  await other.goto(`${BASE}/inbox`);
  await other.fill('#f-email', process.env.PP_EMAIL);
  await other.fill('#f-password', process.env.PP_PASSWORD);
  await Promise.all([other.waitForNavigation(), other.click('form.review-form button[type=submit]')]);
  await other.close();
  const next = await api('POST', '/api/v1/reviews', {
    token: await invite('BROWSER-RELOGIN-2'), rating: 2, title: 'After logging in again',
    body: 'The open inbox hears this one.', author_name: 'Tab Tester',
  });
  assert.equal(next.status, 201);
  await inbox.waitForSelector(`#i-${next.body.id}`, { timeout: 20000 });
  await inbox.context().close();
});

test('the language switch changes the page and is remembered', async () => {
  const page = await visitor('it-IT');
  await page.goto(`${BASE}/b/trattoria-da-gino`);
  assert.equal(await page.getAttribute('html', 'lang'), 'it');
  assert.equal(await page.textContent('#score-h'), 'Valutazione media');
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/business-it.png`, fullPage: false });
  await Promise.all([page.waitForNavigation(), page.click('nav.lang >> text=English')]);
  assert.match(page.url(), /\/b\/trattoria-da-gino$/);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await page.textContent('#score-h'), 'Average rating');
  await page.goto(`${BASE}/`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en', 'remembered');
  await page.context().close();
});

test('what strangers write is shown as text and never runs', async () => {
  // The inbox is open (the only page that runs a script): the review arrives there live.
  const inbox = await loggedIn('en-GB');
  const token = await invite('BROWSER-XSS');
  const created = await api('POST', '/api/v1/reviews', {
    token, rating: 1, title: '<script>alert("title")</script>',
    body: '<img src=x onerror=alert("body")> <svg onload=alert("svg")>',
    author_name: '"><script>alert("name")</script>',
  });
  assert.equal(created.status, 201);
  const item = inbox.locator(`#i-${created.body.id}`);
  await item.waitFor({ timeout: 10000 });
  assert.match(await item.textContent(), /<img src=x onerror=alert\("body"\)>/);
  assert.equal(await item.locator('img, svg, script').count(), 0);
  await inbox.reload();
  assert.equal(await inbox.locator(`#i-${created.body.id} img, #i-${created.body.id} svg`).count(), 0);
  assert.deepEqual(inbox.dialogs, []);
  await inbox.context().close();
  const page = await visitor('en-GB');
  for (const path of ['/b/trattoria-da-gino?sort=lowest', `/b/trattoria-da-gino/r/${created.body.id}`]) {
    await page.goto(BASE + path);
    await page.waitForLoadState('load');
    assert.match(await page.textContent('body'), /<script>alert\("title"\)<\/script>/);
    assert.match(await page.textContent('body'), /<img src=x onerror=alert\("body"\)>/);
    assert.equal(await page.locator('article img, article svg, article script').count(), 0);
  }
  assert.deepEqual(page.dialogs, []);
  await page.context().close();
});
