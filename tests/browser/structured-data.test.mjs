// The schema.org JSON-LD of the business and product pages against Google's review-snippet
// rules. Run by ./run.sh against a server with the demo data (env PP_BASE); plain fetch, no
// browser.
//
// Two layers:
//  1. @adobe/structured-data-validator, an offline validator that encodes Google's
//     rich-result requirements per type (Review, Rating, AggregateRating, Product, Organization,
//     Person, Brand...). It is run without the schema.org vocabulary (which it would have to
//     download), so it checks Google's rules, not schema.org property names.
//  2. Our own reading of https://developers.google.com/search/docs/appearance/structured-data/review-snippet
//     (quoted in the comments below), including the guidelines no validator can check: the
//     rating and the reviews marked up are those the page shows, and they are the customers'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Validator from '@adobe/structured-data-validator';
import ProductMerchant from '@adobe/structured-data-validator/src/types/ProductMerchant.js';

const BASE = process.env.PP_BASE;
assert.ok(BASE, 'PP_BASE: the address of a server with the demo data');
const SLUG = 'trattoria-da-gino';
const BUSINESS = `/b/${SLUG}`;
const PRODUCT = `/b/${SLUG}/p/TAGL-RAGU`;

async function get(path) {
  const res = await fetch(BASE + path);
  assert.equal(res.status, 200, `GET ${path}`);
  return res.text();
}

const LD = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/g;

/// The page's JSON-LD objects, and its HTML without them (what a visitor sees).
function split(html) {
  const items = [...html.matchAll(LD)].map((m) => JSON.parse(m[1]));
  return { items, visible: html.replace(LD, '') };
}

/// HTML text as a reader sees it: entities decoded, white space collapsed.
function text(html) {
  return html
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/// The validator's issues for the page's JSON-LD, in the shape it expects from
/// @marbec/web-auto-extractor: `{jsonld: {RootType: [item, ...]}}`.
async function validate(items) {
  const validator = new Validator(); // no schema.org vocabulary: that would need the network
  // The validator applies Google's merchant-listing rules (image, offers, gtin...) to every
  // Product. Google applies them only to pages where the product can be bought, i.e. with
  // `offers`; a Product with only reviews is a "product snippet" (Product.js's rules, kept).
  class MerchantListing extends ProductMerchant {
    validate(data) { return data.offers ? super.validate(data) : []; }
  }
  validator.registeredHandlers.Product = [
    validator.registeredHandlers.Product[0],
    async () => ({ default: MerchantListing }),
  ];
  const jsonld = {};
  for (const item of items) (jsonld[item['@type']] ??= []).push(item);
  return validator.validate({ jsonld });
}

function where(issue) {
  return (issue.path ?? [])
    .map((p) => (p.property ?? p.type) + (p.index !== undefined ? `[${p.index}]` : ''))
    .join('.');
}

async function assertValid(items, page) {
  const issues = await validate(items);
  for (const w of issues.filter((i) => i.severity !== 'ERROR')) {
    console.log(`${page}: warning at ${where(w)}: ${w.issueMessage}`);
  }
  const errors = issues.filter((i) => i.severity === 'ERROR');
  // The same error repeats for every review: show each message once, with its places.
  const grouped = {};
  for (const e of errors) (grouped[e.issueMessage] ??= []).push(where(e));
  assert.deepEqual(grouped, {}, `${page}: the structured-data validator reports errors`);
}

const asArray = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/// A Rating or AggregateRating's value within its scale. Google: "ratingValue: a numerical
/// quality rating for the item"; "bestRating: ... if omitted, 5 is assumed"; "worstRating:
/// ... if omitted, 1 is assumed". Numbers, with a period as the decimal separator.
function assertRating(r, what) {
  assert.ok(r && typeof r === 'object', `${what}: missing`);
  const best = r.bestRating ?? 5;
  const worst = r.worstRating ?? 1;
  const value = r.ratingValue;
  assert.ok(Number.isFinite(Number(value)), `${what}: ratingValue ${value} is not a number`);
  assert.ok(Number(worst) < Number(best), `${what}: worstRating ${worst} >= bestRating ${best}`);
  assert.ok(Number(value) >= Number(worst) && Number(value) <= Number(best),
    `${what}: ratingValue ${value} outside [${worst}, ${best}]`);
  return Number(value);
}

/// Google's AggregateRating: "ratingValue" required; "ratingCount" or "reviewCount" required
/// ("at least one"), the total number of ratings or reviews; Google shows no stars for zero.
function assertAggregate(a, what) {
  assert.equal(a?.['@type'], 'AggregateRating', `${what}: aggregateRating @type`);
  const value = assertRating(a, `${what} aggregateRating`);
  const count = Number(a.ratingCount ?? a.reviewCount);
  assert.ok(a.ratingCount !== undefined || a.reviewCount !== undefined,
    `${what}: aggregateRating needs ratingCount or reviewCount`);
  for (const k of ['ratingCount', 'reviewCount']) {
    if (a[k] !== undefined) assert.ok(Number.isInteger(Number(a[k])) && Number(a[k]) > 0, `${what}: ${k} ${a[k]}`);
  }
  return { value, count };
}

/// Google's Review: "author" required, a Person or Organization whose "name" is a valid name
/// (our reading: non-empty and under 100 characters, as the review's byline); "reviewRating"
/// required with its "ratingValue"; "datePublished" recommended, an ISO 8601 date;
/// "itemReviewed" required unless the review is nested in the item it reviews ("If the
/// review is nested in another schema.org type using the review property, you can omit
/// itemReviewed"); when present, with its "@type" (one of Google's supported types, such as
/// Organization or Product) and "name".
function assertReview(r, item, what) {
  assert.equal(r['@type'], 'Review', `${what}: @type`);
  assert.ok(['Person', 'Organization'].includes(r.author?.['@type']), `${what}: author @type`);
  const name = r.author?.name;
  assert.equal(typeof name, 'string', `${what}: author.name`);
  assert.ok(name.trim().length > 0 && name.length < 100, `${what}: author.name ${JSON.stringify(name)}`);
  assertRating(r.reviewRating, `${what} reviewRating`);
  assert.equal(r.reviewRating['@type'], 'Rating', `${what}: reviewRating @type`);
  assert.match(String(r.datePublished), /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/,
    `${what}: datePublished ${r.datePublished} is not an ISO 8601 date`);
  const date = new Date(r.datePublished);
  assert.ok(!Number.isNaN(date.getTime()) && date.getTime() <= Date.now() + 86_400_000,
    `${what}: datePublished ${r.datePublished}`);
  // The item reviewed: named in the review, the item the review is nested in, or a JSON-LD
  // node reference ("@id") to that item, which is how a nested review names it without
  // repeating it as a second, unrated item.
  const ref = r.itemReviewed?.['@id'];
  if (ref !== undefined) assert.equal(ref, item['@id'], `${what}: itemReviewed refers to ${ref}, not the page's item`);
  const reviewed = ref !== undefined ? item : (r.itemReviewed ?? item);
  assert.ok(['Organization', 'LocalBusiness', 'Restaurant', 'Product'].includes(reviewed?.['@type']),
    `${what}: itemReviewed @type ${reviewed?.['@type']}`);
  assert.ok(typeof reviewed.name === 'string' && reviewed.name.length > 0, `${what}: itemReviewed name`);
  if (r.itemReviewed && ref === undefined) {
    assert.equal(r.itemReviewed['@type'], item['@type'], `${what}: itemReviewed is not the page's item`);
    assert.equal(r.itemReviewed.name, item.name, `${what}: itemReviewed is not the page's item`);
  }
}

/// Google: "Ratings must be sourced directly from users" and the markup must describe what
/// the page shows: the published ratingValue is the average in the page's `<p class="big">`
/// ("3,7" in Italian, "3.7" in English), rounded to one decimal.
function assertShownAverage(visible, value, what) {
  const shown = visible.match(/<p class="big">\s*([0-9]+(?:[.,][0-9]+)?)\s*<\/p>/);
  assert.ok(shown, `${what}: no average shown in <p class="big">`);
  const number = Number(shown[1].replace(',', '.'));
  assert.ok(Math.abs(number - value) <= 0.05 + 1e-9,
    `${what}: the markup says ${value}, the page shows ${shown[1]}`);
}

/// Google: "Don't aggregate reviews or ratings from other websites" and, for the business
/// page, the ratings are its customers': no employee's or supplier's review is marked up
/// (issue: "the markup must never include employees'/suppliers' reviews"). Each review's
/// relationship, as the public API tells it.
async function assertCustomers(reviews, what) {
  for (const [i, r] of reviews.entries()) {
    const id = new URL(r.url).pathname.match(/\/r\/([^/]+)$/)?.[1];
    assert.ok(id, `${what} review[${i}]: url ${r.url} is not a review's permalink`);
    const res = await fetch(`${BASE}/api/v1/reviews/${id}`);
    assert.equal(res.status, 200, `${what} review[${i}]: GET /api/v1/reviews/${id}`);
    const { relationship, author_name: author } = await res.json();
    assert.equal(relationship, 'customer',
      `${what} review[${i}] by ${author} (${r.url}) is a ${relationship}'s review`);
  }
}

/// The page's one root item of `type`, with its rating.
function root(items, type, what) {
  assert.equal(items.length, 1, `${what}: expected one JSON-LD script, found ${items.length}`);
  const [item] = items;
  assert.match(String(item['@context']), /^https?:\/\/schema\.org\/?$/, `${what}: @context`);
  assert.equal(item['@type'], type, `${what}: @type`);
  assert.ok(typeof item.name === 'string' && item.name.length > 0, `${what}: name`);
  return item;
}

test('the business page: Organization markup passes the validator', async () => {
  const { items } = split(await get(BUSINESS));
  await assertValid(items, BUSINESS);
});

test("the business page: Google's review-snippet rules", async () => {
  const { items, visible } = split(await get(BUSINESS));
  const org = root(items, 'Organization', BUSINESS);
  const { value } = assertAggregate(org.aggregateRating, BUSINESS);
  assertShownAverage(visible, value, BUSINESS);
  const reviews = asArray(org.review);
  assert.ok(reviews.length > 0, `${BUSINESS}: no review marked up`);
  const page = text(visible);
  for (const [i, r] of reviews.entries()) {
    const what = `${BUSINESS} review[${i}]`;
    assertReview(r, org, what);
    // Google: "Make sure the reviews and ratings you mark up are readily available to users
    // from the marked-up page": the body and the author's name are on the page.
    assert.ok(typeof r.reviewBody === 'string' && r.reviewBody.trim(), `${what}: reviewBody`);
    for (const line of r.reviewBody.split(/\n+/).map((l) => l.replace(/\s+/g, ' ').trim()).filter(Boolean)) {
      assert.ok(page.includes(line), `${what}: "${line}" is not on the page`);
    }
    assert.ok(page.includes(r.author.name.replace(/\s+/g, ' ')), `${what}: author ${r.author.name} is not on the page`);
  }
  await assertCustomers(reviews, BUSINESS);
});

test('the product page: Product markup passes the validator', async () => {
  const { items } = split(await get(PRODUCT));
  await assertValid(items, PRODUCT);
});

test("the product page: Google's review-snippet rules", async () => {
  const { items, visible } = split(await get(PRODUCT));
  const product = root(items, 'Product', PRODUCT);
  assert.equal(product.sku, 'TAGL-RAGU');
  const { value } = assertAggregate(product.aggregateRating, PRODUCT);
  assertShownAverage(visible, value, PRODUCT);
  const reviews = asArray(product.review);
  assert.ok(reviews.length > 0, `${PRODUCT}: no review marked up`);
  for (const [i, r] of reviews.entries()) {
    const what = `${PRODUCT} review[${i}]`;
    assertReview(r, product, what);
    // Visible on the page: a product rating may have no text, so each one marked up is found
    // by the link to its review's permalink.
    const path = new URL(r.url).pathname;
    assert.ok(visible.includes(`href="${path}"`) || visible.includes(`href="${r.url}"`),
      `${what}: no link to ${path} on the page`);
  }
  await assertCustomers(reviews, PRODUCT);
});

test("employees' and suppliers' views carry no rating markup", async () => {
  for (const relationship of ['employee', 'supplier']) {
    const path = `${BUSINESS}?relationship=${relationship}`;
    const html = await get(path);
    const { items } = split(html);
    for (const item of items) {
      assert.equal(item.aggregateRating, undefined, `${path}: aggregateRating in the JSON-LD`);
      assert.equal(item.review, undefined, `${path}: reviews in the JSON-LD`);
    }
  }
  // Not vacuous: the demo's supplier view has a rating of its own, which must stay out.
  assert.match(await get(`${BUSINESS}?relationship=supplier`), /<p class="big">/);
});
