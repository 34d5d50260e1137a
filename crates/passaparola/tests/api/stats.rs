//! The figures of `/stats` and `/trends`, recomputed here from the raw rows of the database
//! with `docs/scoring.md`'s definitions (not calling the server's or the domain's code), over
//! random invitations, reviews, replies, edits, withdrawals and erasures spread over 400 days.
//! Each test prints its seed; `PP_SEED=<seed> cargo nextest run -p passaparola stats` replays
//! a run.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use domain::ids::{InvitationId, ReviewId};
use domain::invitation::{InvitationInput, NewInvitation, ProductInput};
use domain::lifecycle::LifecycleError;
use domain::review::{
    ProductRatingInput, ReplyDraft, ReviewDraft, ReviewInput, ReviewPatch, ReviewStatus,
};
use domain::secret::TokenHash;
use store::{Eraser, ReviewCommand, StoreError};

use crate::helpers::{TestApp, each, seed, sqlite_only};

const DAY_MS: i64 = 86_400_000;

/// One review as the database holds it.
#[derive(Debug)]
struct Row {
    relationship: String,
    verified: bool,
    published: bool,
    rating: i64,
    nps: Option<i64>,
    created_ms: i64,
    reply_ms: Option<i64>,
    /// The products it rated, with their ratings.
    products: Vec<(String, i64)>,
}

impl Row {
    /// The row as one product's figures count it: with the product's rating.
    fn for_product(&self, product: Option<&str>) -> Option<Row> {
        let rating = match product {
            None => self.rating,
            Some(p) => self.products.iter().find(|(sku, _)| sku == p)?.1,
        };
        Some(Row {
            relationship: self.relationship.clone(),
            products: Vec::new(),
            rating,
            ..*self
        })
    }
}

#[derive(Debug)]
struct InvitationRow {
    relationship: String,
    created_ms: i64,
    answered: bool,
    products: Vec<String>,
}

async fn raw_rows(app: &TestApp) -> (Vec<Row>, Vec<InvitationRow>) {
    let db = app.sql().await;
    let mut reviews = Vec::new();
    for r in db
        .rows(
            "SELECT r.relationship, r.verified, r.status = 'published', r.rating, r.nps,
                    r.created_at, p.created_at, r.id
             FROM reviews r LEFT JOIN replies p ON p.review_id = r.id",
            &[],
        )
        .await
    {
        let products = db
            .rows(
                each(
                    "SELECT sku, rating FROM product_reviews WHERE review_id = ?1",
                    "SELECT sku, rating FROM product_reviews WHERE review_id = $1",
                ),
                &[(&r[7].text()).into()],
            )
            .await
            .iter()
            .map(|p| (p[0].text(), p[1].int()))
            .collect();
        reviews.push(Row {
            relationship: r[0].text(),
            verified: r[1].bool(),
            published: r[2].bool(),
            rating: r[3].int(),
            nps: r[4].opt_int(),
            created_ms: r[5].int(),
            reply_ms: r[6].opt_int(),
            products,
        });
    }
    let mut invitations = Vec::new();
    for i in db
        .rows(
            "SELECT i.id, i.relationship, i.created_at,
                    EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id)
             FROM invitations i",
            &[],
        )
        .await
    {
        let products = db
            .rows(
                each(
                    "SELECT sku FROM invitation_products WHERE invitation_id = ?1",
                    "SELECT sku FROM invitation_products WHERE invitation_id = $1",
                ),
                &[(&i[0].text()).into()],
            )
            .await
            .iter()
            .map(|p| p[0].text())
            .collect();
        invitations.push(InvitationRow {
            relationship: i[1].text(),
            created_ms: i[2].int(),
            answered: i[3].bool(),
            products,
        });
    }
    (reviews, invitations)
}

/// docs/scoring.md: a delay counts truncated to two significant digits.
fn bucket(seconds: i64) -> i64 {
    let digits = seconds.max(0).to_string();
    if digits.len() <= 2 {
        return seconds.max(0);
    }
    let kept: i64 = digits[..2].parse().unwrap();
    kept * 10i64.pow(digits.len() as u32 - 2)
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => {
            let (a, b) = (v[n / 2 - 1], v[n / 2]);
            Some(a + (b - a + 1) / 2)
        }
    }
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

fn ratio(a: usize, b: usize, decimals: i32) -> Value {
    if b == 0 {
        Value::Null
    } else {
        round(a as f64 / b as f64, decimals).into()
    }
}

/// docs/scoring.md, "The formula".
fn score(rows: &[&Row], as_of_ms: i64) -> Option<(f64, f64, f64)> {
    if rows.is_empty() {
        return None;
    }
    let (h, c, m0, sd0) = (365.0, 10.0, 3.5, 1.2);
    let (mut w, mut wr, mut wrr, mut ww) = (0.0, 0.0, 0.0, 0.0);
    for row in rows {
        let age = (as_of_ms - row.created_ms) as f64 / DAY_MS as f64;
        let wi = 2f64.powf(-age / h);
        let r = row.rating as f64;
        w += wi;
        wr += wi * r;
        wrr += wi * r * r;
        ww += wi * wi;
    }
    let s = (c * m0 + wr) / (c + w);
    let d = (wrr - 2.0 * s * wr + s * s * w) + c * (sd0 * sd0 + (m0 - s) * (m0 - s));
    let half = 1.96 * ((d / (c + w)) / ((c + w) * (c + w) / (c + ww))).sqrt();
    Some((s, (s - half).max(1.0), (s + half).min(5.0)))
}

struct Filter<'a> {
    period: Option<i64>,
    relationship: &'a str,
    product: Option<&'a str>,
    verified_only: bool,
}

/// The reviews a filter counts, each with the rating it counts (the product's, for a product).
fn rows_of(f: &Filter<'_>, reviews: &[Row], now_ms: i64) -> Vec<Row> {
    let today = now_ms.div_euclid(DAY_MS);
    reviews
        .iter()
        .filter(|r| r.published && r.relationship == f.relationship)
        .filter(|r| {
            f.period
                .is_none_or(|n| r.created_ms.div_euclid(DAY_MS) > today - n)
        })
        .filter(|r| r.verified || !f.verified_only)
        .filter_map(|r| r.for_product(f.product))
        .collect()
}

/// Every figure of `/stats`, recomputed from the raw rows.
fn expected(
    f: &Filter<'_>,
    reviews: &[Row],
    invitations: &[InvitationRow],
    now_ms: i64,
) -> BTreeMap<&'static str, Value> {
    let today = now_ms.div_euclid(DAY_MS);
    let in_period = |ms: i64| f.period.is_none_or(|n| ms.div_euclid(DAY_MS) > today - n);
    let of_product =
        |products: &[String]| f.product.is_none_or(|p| products.iter().any(|x| x == p));
    let owned = rows_of(f, reviews, now_ms);
    let rows: Vec<&Row> = owned.iter().collect();
    let sent: Vec<&InvitationRow> = invitations
        .iter()
        .filter(|i| i.relationship == f.relationship && in_period(i.created_ms))
        .filter(|i| of_product(&i.products))
        .collect();
    let n = rows.len();
    let low: Vec<&&Row> = rows.iter().filter(|r| r.rating <= 2).collect();
    let delays = |rows: &mut dyn Iterator<Item = &&Row>| -> Vec<i64> {
        rows.filter_map(|r| r.reply_ms.map(|p| bucket((p - r.created_ms) / 1000)))
            .collect()
    };
    let nps: Vec<i64> = rows.iter().filter_map(|r| r.nps).collect();
    let promoters = nps.iter().filter(|&&v| v >= 9).count();
    let detractors = nps.iter().filter(|&&v| v <= 6).count();
    let stars: Vec<usize> = (1..=5)
        .map(|s| rows.iter().filter(|r| r.rating == s).count())
        .collect();
    let answered = sent.iter().filter(|i| i.answered).count();
    let mut e = BTreeMap::new();
    e.insert("review_count", n.into());
    e.insert(
        "rating_average",
        if n == 0 {
            Value::Null
        } else {
            let total: i64 = rows.iter().map(|r| r.rating).sum();
            round(total as f64 / n as f64, 2).into()
        },
    );
    e.insert(
        "distribution",
        serde_json::json!({"1": stars[0], "2": stars[1], "3": stars[2], "4": stars[3], "5": stars[4]}),
    );
    e.insert("nps_responses", nps.len().into());
    e.insert("promoters", promoters.into());
    e.insert("detractors", detractors.into());
    e.insert("passives", (nps.len() - promoters - detractors).into());
    e.insert(
        "nps",
        if nps.is_empty() {
            Value::Null
        } else {
            round(
                (promoters as f64 - detractors as f64) / nps.len() as f64 * 100.0,
                1,
            )
            .into()
        },
    );
    e.insert(
        "reply_rate",
        ratio(rows.iter().filter(|r| r.reply_ms.is_some()).count(), n, 4),
    );
    e.insert(
        "median_reply_seconds",
        median(delays(&mut rows.iter())).into(),
    );
    e.insert("low_count", low.len().into());
    e.insert(
        "reply_rate_low",
        ratio(
            low.iter().filter(|r| r.reply_ms.is_some()).count(),
            low.len(),
            4,
        ),
    );
    e.insert(
        "median_reply_seconds_low",
        median(delays(&mut low.iter().copied())).into(),
    );
    e.insert("invitations_sent", sent.len().into());
    e.insert("invitations_answered", answered.into());
    e.insert(
        "reviews_per_invitation",
        ratio(rows.iter().filter(|r| r.verified).count(), sent.len(), 4),
    );
    e.insert(
        "non_response_rate",
        ratio(sent.len() - answered, sent.len(), 4),
    );
    e
}

fn same(got: &Value, want: &Value) -> bool {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => (g - w).abs() <= 1e-9,
        _ => got == want,
    }
}

/// What the test knows of a review it wrote, to tell what each next step must do.
struct Written {
    id: ReviewId,
    edit: domain::secret::Secret,
    at: DateTime<Utc>,
    status: ReviewStatus,
    /// The reply's body, if the business replied.
    reply: Option<String>,
}

/// The lifecycle's refusal of a step on a review in `status`: edits and replies need it
/// published (docs/api.md: `review-withdrawn`, `review-erased`).
fn refusal(status: ReviewStatus) -> Option<LifecycleError> {
    match status {
        ReviewStatus::Published => None,
        ReviewStatus::Withdrawn => Some(LifecycleError::ReviewWithdrawn),
        ReviewStatus::Erased => Some(LifecycleError::ReviewErased),
    }
}

/// Random history: invitations over 400 days, most answered some time later, some replied
/// after a random delay, some edited, withdrawn or erased. Every write's outcome is checked
/// against what the lifecycle allows in the review's state at that moment (`seed` names the
/// run in every failure).
async fn random_history(app: &TestApp, rng: &mut StdRng, now: DateTime<Utc>, seed: u64) {
    let business = app
        .store
        .business_by_slug(&app.slug)
        .await
        .unwrap()
        .unwrap();
    let mut written = Vec::new();
    for i in 0..90 {
        let invited = now - Duration::milliseconds(rng.random_range(0..400 * DAY_MS));
        let relationship = if i % 6 == 0 { "supplier" } else { "customer" };
        let products = match i % 4 {
            0 => vec![
                ProductInput::new("SKU-A", "Tagliatelle"),
                ProductInput::new("SKU-B", "Tiramisù"),
            ],
            1 => vec![ProductInput::new("SKU-A", "Tagliatelle")],
            _ => Vec::new(),
        };
        let reference = format!("ST-{i}");
        let new = NewInvitation::parse(
            InvitationInput {
                reference: &reference,
                relationship: Some(relationship),
                products,
                ..InvitationInput::default()
            },
            invited,
        )
        .unwrap();
        let token = format!("test-token-{i}-{}", rng.random::<u64>());
        app.store
            .create_invitation(
                business.id,
                InvitationId::generate(),
                new,
                TokenHash::of(&token),
                None,
                invited,
            )
            .await
            .unwrap();
        if rng.random_bool(0.25) {
            continue; // never answered
        }
        let lag = rng.random_range(0..=(now - invited).num_milliseconds().min(20 * DAY_MS));
        let at = invited + Duration::milliseconds(lag);
        let rating = rng.random_range(1..=5);
        let nps = rng.random_bool(0.7).then(|| rng.random_range(0..=10));
        let skus: &[&str] = match i % 4 {
            0 => &["SKU-A", "SKU-B"],
            1 => &["SKU-A"],
            _ => &[],
        };
        let mut product_ratings = Vec::new();
        for &sku in skus {
            if rng.random_bool(0.7) {
                product_ratings.push(ProductRatingInput {
                    sku,
                    rating: rng.random_range(1..=5),
                    body: rng.random_bool(0.5).then_some("Buono."),
                });
            }
        }
        let draft = ReviewDraft::parse(
            ReviewInput {
                rating,
                title: "Titolo",
                body: "Testo della recensione.",
                nps,
                experience_date: None,
                author_name: "Cliente",
                language: Some("it"),
                products: product_ratings,
            },
            at,
        )
        .unwrap();
        let edit = app::tokens::new_edit_token();
        let id = ReviewId::generate();
        let submitted = app
            .store
            .write_review(ReviewCommand::Submit {
                invitation: TokenHash::of(&token),
                id,
                draft,
                edit_token: edit.hash(),
                at,
            })
            .await
            .unwrap_or_else(|e| panic!("review {i} refused: {e:?} (seed {seed})"));
        assert!(
            submitted.created && submitted.review.status == ReviewStatus::Published,
            "review {i} not published as new (seed {seed})"
        );
        let mut reply = None;
        if rng.random_bool(0.6) {
            let delay = rng.random_range(0..=(now - at).num_milliseconds());
            for (k, extra) in [(0, 0), (1, 1000)] {
                // The second reply is an edit: it must not move the delay.
                if k == 1 && !rng.random_bool(0.3) {
                    break;
                }
                let body = format!("Grazie {k}");
                let replied = app
                    .store
                    .write_review(ReviewCommand::Reply {
                        review: id,
                        business: business.id,
                        reply: ReplyDraft::parse(&body, "Gino", None).unwrap(),
                        at: at
                            + Duration::milliseconds(
                                (delay + extra).min((now - at).num_milliseconds()),
                            ),
                    })
                    .await
                    .unwrap_or_else(|e| {
                        panic!("reply {k} to review {i} refused: {e:?} (seed {seed})")
                    });
                assert_eq!(
                    replied.created,
                    k == 0,
                    "only the first reply is new (review {i}, seed {seed})"
                );
                assert_eq!(
                    replied.review.reply.as_ref().map(|r| r.body.as_str()),
                    Some(body.as_str()),
                    "(seed {seed})"
                );
                reply = Some(body);
            }
        }
        written.push(Written {
            id,
            edit,
            at,
            status: ReviewStatus::Published,
            reply,
        });
    }
    // Then up to three more steps per review, in random order: edits, late first replies,
    // withdrawals, erasures, whatever came before. Steps the lifecycle refuses (an edit of a
    // withdrawn review) must be refused, with the lifecycle's reason, and change nothing; the
    // others must succeed and leave the review in the state the lifecycle says.
    let mut steps: Vec<usize> = (0..written.len()).flat_map(|i| [i, i, i]).collect();
    for k in (1..steps.len()).rev() {
        steps.swap(k, rng.random_range(0..=k));
    }
    for i in steps {
        let w = &mut written[i];
        let before = w.status;
        // (the command, what it must be refused with, the status and reply it must leave,
        // whether it must count as new)
        let (command, refused, status, reply, created) = match rng.random_range(0..12) {
            0..=2 => {
                let rating = rng.random_range(1..=5);
                (
                    ReviewCommand::Edit {
                        review: w.id,
                        edit_token: w.edit.hash(),
                        patch: ReviewPatch::parse(Some(rating), None, None).unwrap(),
                        at: w.at,
                    },
                    refusal(before),
                    before,
                    w.reply.clone(),
                    false,
                )
            }
            // A second withdrawal, or one after an erasure, is answered as done, changing
            // nothing.
            3 => (
                ReviewCommand::Withdraw {
                    review: w.id,
                    edit_token: w.edit.hash(),
                    at: w.at,
                },
                None,
                match before {
                    ReviewStatus::Published => ReviewStatus::Withdrawn,
                    other => other,
                },
                w.reply.clone(),
                before == ReviewStatus::Published,
            ),
            // Erasure happens once, in any state; it takes the reply's words too.
            4 => (
                ReviewCommand::Erase {
                    review: w.id,
                    by: Eraser::Operator,
                    at: w.at,
                },
                None,
                ReviewStatus::Erased,
                None,
                before != ReviewStatus::Erased,
            ),
            5 | 6 => {
                let body = "Grazie, a presto";
                (
                    ReviewCommand::Reply {
                        review: w.id,
                        business: business.id,
                        reply: ReplyDraft::parse(body, "Gino", None).unwrap(),
                        at: w.at
                            + Duration::milliseconds(
                                rng.random_range(0..=(now - w.at).num_milliseconds()),
                            ),
                    },
                    refusal(before),
                    before,
                    Some(body.to_owned()),
                    w.reply.is_none(),
                )
            }
            _ => continue,
        };
        let what = format!("{command:?}");
        let outcome = app.store.write_review(command).await;
        match (refused, outcome) {
            (Some(rule), Err(StoreError::Rule(got))) => assert_eq!(
                got, rule,
                "review {i} ({before:?}): {what} refused for the wrong reason (seed {seed})"
            ),
            (Some(rule), other) => panic!(
                "review {i} ({before:?}): {what} must be refused with {rule:?}, got {other:?} \
                 (seed {seed})"
            ),
            (None, Ok(write)) => {
                assert_eq!(
                    write.review.status, status,
                    "review {i} ({before:?}) after {what} (seed {seed})"
                );
                assert_eq!(
                    write.created, created,
                    "review {i} ({before:?}): {what} new or not (seed {seed})"
                );
                if status == ReviewStatus::Published {
                    assert_eq!(
                        write.review.reply.as_ref().map(|r| r.body.as_str()),
                        reply.as_deref(),
                        "review {i}: the reply after {what} (seed {seed})"
                    );
                }
                w.status = status;
                w.reply = reply;
            }
            (None, Err(e)) => panic!(
                "review {i} ({before:?}): {what} must succeed, refused with {e:?} (seed {seed})"
            ),
        }
    }
    // Asking again for an invitation that exists (same reference) changes nothing.
    let again = NewInvitation::parse(
        InvitationInput {
            reference: "ST-0",
            products: vec![
                ProductInput::new("SKU-A", "Tagliatelle"),
                ProductInput::new("SKU-B", "Tiramisù"),
            ],
            ..InvitationInput::default()
        },
        now,
    )
    .unwrap();
    let write = app
        .store
        .create_invitation(
            business.id,
            InvitationId::generate(),
            again,
            TokenHash::of("another token"),
            None,
            now,
        )
        .await
        .unwrap();
    assert!(!write.created);
}

async fn check_all_figures(app: &TestApp, seed: u64) {
    let (reviews, invitations) = raw_rows(app).await;
    let mut checked = 0;
    for period in ["7", "30", "90", "365", "all"] {
        for relationship in ["customer", "supplier"] {
            for product in [None, Some("SKU-A"), Some("SKU-B")] {
                for verified in [false, true] {
                    let mut path = format!(
                        "/api/v1/businesses/{}/stats?period={period}&relationship={relationship}&verified={verified}",
                        app.slug
                    );
                    if let Some(p) = product {
                        path.push_str(&format!("&product={p}"));
                        // A product has figures where it has a page: once a published
                        // review of the relationship rates it (issue 13.8).
                        let rated = reviews.iter().any(|r| {
                            r.published
                                && r.relationship == relationship
                                && r.products.iter().any(|(sku, _)| sku == p)
                        });
                        if !rated {
                            app.get(&path).await.expect(404);
                            checked += 1;
                            continue;
                        }
                    }
                    let got = app.get(&path).await.expect(200).body;
                    let as_of = got["score"]["as_of"]
                        .as_str()
                        .map(|s| DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis());
                    let now_ms = as_of.unwrap_or_else(|| Utc::now().timestamp_millis());
                    let filter = Filter {
                        period: period.parse().ok(),
                        relationship,
                        product,
                        verified_only: verified,
                    };
                    let want = expected(&filter, &reviews, &invitations, now_ms);
                    for (name, value) in &want {
                        assert!(
                            same(&got[name], value),
                            "{path}: {name} is {}, recomputed {value} (seed {seed})",
                            got[name]
                        );
                    }
                    let matching = rows_of(&filter, &reviews, now_ms);
                    match score(&matching.iter().collect::<Vec<_>>(), now_ms) {
                        None => assert!(got["score"].is_null(), "{path}"),
                        Some((s, low, high)) => {
                            for (name, v) in [("value", s), ("low", low), ("high", high)] {
                                let published = got["score"][name].as_f64().unwrap();
                                assert!(
                                    (published - v).abs() <= 0.000_5 + 1e-9,
                                    "{path}: score {name} {published}, recomputed {v} (seed {seed})"
                                );
                            }
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 60);
}

#[tokio::test]
async fn every_figure_matches_a_recomputation_from_raw_rows() {
    let app = TestApp::spawn().await;
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now();
    random_history(&app, &mut rng, now, seed).await;
    check_all_figures(&app, seed).await;

    // The weekly trend reads week cells, which migration 0008 sums from the day cells.
    let customers = store::StatsFilter {
        period: domain::stats::Period::All,
        relationship: domain::invitation::Relationship::Customer,
        product: None,
        verified_only: false,
    };
    let id = app
        .store
        .business_by_slug(&app.slug)
        .await
        .unwrap()
        .unwrap()
        .id;
    let weeks_before = app
        .store
        .trend(id, customers.clone(), store::TrendGrain::Week, 60, now)
        .await
        .unwrap();
    // The same figures after an upgrade from before the cells (and before products, which
    // came after them, and with the summary's own table, which 0009 drops): migration 0006's
    // Rust step rebuilds them from the reviews and invitations.
    if !sqlite_only("the upgrade from SQLite's schema version 5") {
        return;
    }
    {
        let db = rusqlite::Connection::open(&app.db_path).unwrap();
        db.execute_batch(
            "DROP TABLE stat_cells; DROP TABLE stat_delays; DROP TABLE product_reviews;
             DROP TABLE products;
             CREATE TABLE summary_tallies (
                 business_id TEXT NOT NULL REFERENCES businesses (id),
                 relationship TEXT NOT NULL,
                 PRIMARY KEY (business_id, relationship)
             ) STRICT, WITHOUT ROWID;
             PRAGMA user_version = 5;",
        )
        .unwrap();
    }
    let reopened = store_sqlite::SqliteStore::open(&app.db_path, None).unwrap();
    let reopened: &dyn store::Store = &reopened;
    let business = reopened.business_by_slug(&app.slug).await.unwrap().unwrap();
    let (reviews, invitations) = raw_rows(&app).await;
    let weeks_after = reopened
        .trend(business.id, customers, store::TrendGrain::Week, 60, now)
        .await
        .unwrap();
    assert_eq!(
        weeks_after, weeks_before,
        "weeks rebuilt from days (seed {seed})"
    );
    for period in [domain::stats::Period::Days(30), domain::stats::Period::All] {
        let filter = store::StatsFilter {
            period,
            relationship: domain::invitation::Relationship::Customer,
            product: None,
            verified_only: false,
        };
        let figures = reopened
            .stats(business.id, filter, Utc::now())
            .await
            .unwrap();
        let got = serde_json::to_value(&figures).unwrap();
        let want = expected(
            &Filter {
                period: match period {
                    domain::stats::Period::Days(n) => Some(i64::from(n)),
                    domain::stats::Period::All => None,
                },
                relationship: "customer",
                product: None,
                verified_only: false,
            },
            &reviews,
            &invitations,
            Utc::now().timestamp_millis(),
        );
        for (name, value) in &want {
            assert!(
                same(&got[name], value),
                "after upgrade, {name}: {} vs {value}",
                got[name]
            );
        }
    }
}

#[tokio::test]
async fn trends_add_up_to_the_figures_and_bad_filters_are_named() {
    let app = TestApp::spawn().await;
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    random_history(&app, &mut rng, Utc::now(), seed).await;
    let (reviews, _) = raw_rows(&app).await;
    let now_ms = Utc::now().timestamp_millis();
    let today = now_ms.div_euclid(DAY_MS);

    let weeks = app
        .get(&format!(
            "/api/v1/businesses/{}/trends?grain=week",
            app.slug
        ))
        .await
        .expect(200)
        .body;
    let points = weeks["points"].as_array().unwrap();
    assert_eq!(points.len(), 26);
    for p in points {
        let start =
            chrono::NaiveDate::parse_from_str(p["start"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        assert_eq!(start.weekday(), chrono::Weekday::Mon);
        let first = start
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
            / DAY_MS;
        let mine: Vec<&Row> = reviews
            .iter()
            .filter(|r| r.published && r.relationship == "customer")
            .filter(|r| (first..first + 7).contains(&r.created_ms.div_euclid(DAY_MS)))
            .collect();
        assert_eq!(p["reviews"], mine.len(), "week of {start} (seed {seed})");
        assert_eq!(
            p["replied"],
            mine.iter().filter(|r| r.reply_ms.is_some()).count()
        );
        let delays = mine
            .iter()
            .filter_map(|r| r.reply_ms.map(|t| bucket((t - r.created_ms) / 1000)))
            .collect();
        assert_eq!(p["median_reply_seconds"], serde_json::json!(median(delays)));
    }
    let last = chrono::NaiveDate::parse_from_str(points[25]["start"].as_str().unwrap(), "%Y-%m-%d")
        .unwrap();
    let last_day = last
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
        / DAY_MS;
    assert!(
        (0..7).contains(&(today - last_day)),
        "the last week is this week"
    );

    let months = app
        .get(&format!(
            "/api/v1/businesses/{}/trends?grain=month",
            app.slug
        ))
        .await
        .expect(200)
        .body;
    let points = months["points"].as_array().unwrap();
    assert_eq!(points.len(), 24);
    let total: u64 = points.iter().map(|p| p["reviews"].as_u64().unwrap()).sum();
    let all = app
        .get(&format!("/api/v1/businesses/{}/stats?period=all", app.slug))
        .await
        .expect(200)
        .body;
    assert_eq!(
        total,
        all["review_count"].as_u64().unwrap(),
        "24 months hold all 400 days of reviews"
    );

    let bad = app
        .get(&format!(
            "/api/v1/businesses/{}/stats?period=31&relationship=fans&verified=maybe&product=",
            app.slug
        ))
        .await
        .expect(400)
        .body;
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["period", "relationship", "product", "verified"]);
    app.get(&format!("/api/v1/businesses/{}/trends?grain=day", app.slug))
        .await
        .expect(400);
    app.get("/api/v1/businesses/nobody/stats").await.expect(404);
}
