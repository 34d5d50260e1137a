//! The published score, recomputed from `ratings.csv` with `docs/scoring.md`'s formula,
//! written here from the document (not calling `domain::score`), over random reviews of
//! random ages, after edits and withdrawals.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::json;

use domain::review::{ReviewDraft, ReviewInput};
use domain::secret::TokenHash;
use store::ReviewCommand;

use crate::helpers::{TestApp, sqlite_only};

/// docs/scoring.md, "The formula".
fn recompute(rows: &[(DateTime<Utc>, f64)], as_of: DateTime<Utc>) -> (f64, f64, f64) {
    let (h, c, m0, sd0) = (365.0, 10.0, 3.5, 1.2);
    let (mut w, mut wr, mut wrr, mut ww) = (0.0, 0.0, 0.0, 0.0);
    for (at, r) in rows {
        let age = (as_of - *at).num_milliseconds() as f64 / 86_400_000.0;
        let wi = 2f64.powf(-age / h);
        w += wi;
        wr += wi * r;
        wrr += wi * r * r;
        ww += wi * wi;
    }
    let s = (c * m0 + wr) / (c + w);
    let d = (wrr - 2.0 * s * wr + s * s * w) + c * (sd0 * sd0 + (m0 - s) * (m0 - s));
    let v = d / (c + w);
    let n = (c + w) * (c + w) / (c + ww);
    let half = 1.96 * (v / n).sqrt();
    (s, (s - half).max(1.0), (s + half).min(5.0))
}

fn parse_csv(csv: &str) -> Vec<(DateTime<Utc>, u8, String, bool)> {
    let mut lines = csv.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(
        lines.next(),
        Some("published_at,rating,relationship,verified")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            (
                DateTime::parse_from_rfc3339(f[0]).unwrap().to_utc(),
                f[1].parse().unwrap(),
                f[2].to_owned(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn anyone_can_recompute_the_score_from_the_csv() {
    let app = TestApp::spawn().await;
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let now = Utc::now();

    // No review: no score, and a CSV with its header alone.
    let empty = app
        .get(&format!("/api/v1/businesses/{}/summary", app.slug))
        .await
        .expect(200);
    assert!(empty.body["score"].is_null());

    // Reviews of random ages (up to four years) and ratings, customers and suppliers.
    let mut written = Vec::new();
    for i in 0..60 {
        let relationship = if i % 7 == 0 { "supplier" } else { "customer" };
        let invitation = app
            .request(
                Method::POST,
                "/api/v1/invitations",
                Some(&app.api_key),
                Some(&json!({"reference": format!("S-{i}"), "relationship": relationship})),
            )
            .await
            .expect(201)
            .body;
        let token = invitation["token"].as_str().unwrap();
        let at = now - Duration::milliseconds(rng.random_range(0..4 * 365 * 86_400_000i64));
        let rating = rng.random_range(1..=5);
        let draft = ReviewDraft::parse(
            ReviewInput {
                rating,
                title: "Titolo",
                body: "Testo della recensione.",
                nps: None,
                experience_date: None,
                author_name: "Cliente",
                language: Some("it"),
                products: Vec::new(),
            },
            at,
        )
        .unwrap();
        let edit = app::tokens::new_edit_token();
        let review = app
            .store
            .write_review(ReviewCommand::Submit {
                invitation: TokenHash::of(token),
                id: domain::ids::ReviewId::generate(),
                draft,
                edit_token: edit.hash(),
                at,
            })
            .await
            .unwrap()
            .review;
        written.push((review.id, edit));
    }
    // Some authors change their rating, some withdraw.
    for (id, edit) in written.iter().step_by(5) {
        app.request(
            Method::PATCH,
            &format!("/api/v1/reviews/{id}"),
            Some(edit.expose()),
            Some(&json!({"rating": rng.random_range(1..=5)})),
        )
        .await
        .expect(200);
    }
    for (id, edit) in written.iter().skip(2).step_by(9) {
        app.request(
            Method::DELETE,
            &format!("/api/v1/reviews/{id}"),
            Some(edit.expose()),
            None,
        )
        .await
        .expect(200);
    }

    let csv_path = format!("/api/v1/businesses/{}/ratings.csv", app.slug);
    let resp = app
        .client
        .get(format!("{}{csv_path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let rows = parse_csv(&resp.text().await.unwrap());
    let withdrawn = written.iter().skip(2).step_by(9).count();
    assert_eq!(
        rows.len(),
        written.len() - withdrawn,
        "published reviews only"
    );
    assert!(rows.windows(2).all(|w| w[0].0 <= w[1].0), "oldest first");
    assert!(rows.iter().all(|r| r.3), "invited reviews are verified");
    let not_modified = app
        .client
        .get(format!("{}{csv_path}", app.address))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);

    for relationship in ["customer", "supplier"] {
        let summary = app
            .get(&format!(
                "/api/v1/businesses/{}/summary?relationship={relationship}",
                app.slug
            ))
            .await
            .expect(200)
            .body;
        let score = &summary["score"];
        let as_of = DateTime::parse_from_rfc3339(score["as_of"].as_str().unwrap())
            .unwrap()
            .to_utc();
        let mine: Vec<(DateTime<Utc>, f64)> = rows
            .iter()
            .filter(|r| r.2 == relationship)
            .map(|r| (r.0, f64::from(r.1)))
            .collect();
        assert_eq!(summary["review_count"], mine.len());
        let (s, low, high) = recompute(&mine, as_of);
        let published = |k: &str| score[k].as_f64().unwrap();
        // Published to three decimals: within half a thousandth, and a hair for the sums.
        for (name, want) in [("value", s), ("low", low), ("high", high)] {
            assert!(
                (published(name) - want).abs() <= 0.000_5 + 1e-9,
                "{relationship} {name}: published {} recomputed {want} (seed {seed})",
                published(name)
            );
        }
        assert_eq!(score["half_life_days"], 365.0);
        assert_eq!(score["prior_weight"], 10.0);
        assert_eq!(score["prior_mean"], 3.5);
        assert_eq!(score["prior_sd"], 1.2);
    }
}

#[tokio::test]
async fn the_score_survives_a_restart_and_an_upgrade_from_before_it() {
    // Reviews written before migration 0005 get their sums from its Rust step, and the
    // figures' cells from 0006's: simulate by putting back the tables of version 4 (the
    // summary's own, dropped by 0009, without the sums) and its schema version, then
    // reopening.
    let app = TestApp::spawn().await;
    for (i, rating) in [5, 4, 2, 5].into_iter().enumerate() {
        app.review(&format!("M-{i}"), rating).await;
    }
    let path = format!("/api/v1/businesses/{}/summary", app.slug);
    let before = app.get(&path).await.expect(200).body["score"].clone();
    let reopened: Box<dyn store::Store> =
        if sqlite_only("the upgrade from SQLite's schema version 4 (the restart is checked)") {
            sqlite_from_version_4(&app)
        } else {
            let url = app.database_url.as_deref().unwrap();
            Box::new(
                store_postgres::PostgresStore::open(url, None)
                    .await
                    .unwrap(),
            )
        };
    let reopened = reopened.as_ref();
    let business = reopened.business_by_slug(&app.slug).await.unwrap().unwrap();
    let after = reopened
        .summary(business.id, domain::invitation::Relationship::Customer)
        .await
        .unwrap()
        .score
        .unwrap();
    assert!((after.value - before["value"].as_f64().unwrap()).abs() <= 0.001);
    assert!((after.low - before["low"].as_f64().unwrap()).abs() <= 0.001);
}

/// The SQLite database of `app` put back to schema version 4 and reopened, which upgrades it.
fn sqlite_from_version_4(app: &TestApp) -> Box<dyn store::Store> {
    {
        let db = rusqlite::Connection::open(&app.db_path).unwrap();
        db.execute_batch(
            "CREATE TABLE summary_tallies (
                 business_id  TEXT    NOT NULL REFERENCES businesses (id),
                 relationship TEXT    NOT NULL,
                 reviews      INTEGER NOT NULL DEFAULT 0,
                 PRIMARY KEY (business_id, relationship)
             ) STRICT, WITHOUT ROWID;
             DROP TABLE stat_cells;
             DROP TABLE stat_delays;
             DROP TABLE product_reviews;
             DROP TABLE products;
             PRAGMA user_version = 4;",
        )
        .unwrap();
    }
    Box::new(store_sqlite::SqliteStore::open(&app.db_path, None).unwrap())
}
