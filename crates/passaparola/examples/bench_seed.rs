//! Seeds a database for the benchmarks in `BENCHMARKS.md`: one business with `--reviews`
//! published reviews (every third one replied), plus `--tokens` unused invitations whose
//! tokens are written one per line to `--out`, for the submission benchmark.
//!
//! Everything goes through the store's normal write path, concurrently, so the writer
//! batches it as it would real traffic. The reviews are spread evenly over the last
//! `BENCH_SPAN_DAYS` days (default 1,095: three years, so the figures' cells are as many as
//! a long-lived business has); every fifth order lists one of 20 products, which the
//! reviewer rates.
//!
//! With `BENCH_BUSINESSES=N` (default 1) it also creates `bench-0001` … `bench-{N-1}`, and
//! with `BENCH_SPREAD=M` and `BENCH_SPREAD_OUT=FILE`, M more unused invitations spread
//! round-robin over all N businesses (the first included), their tokens written to FILE: for
//! submissions to many businesses at once (`bench/truth.sh`).
//!
//! cargo run --release --example bench_seed -- DATA_DIR REVIEWS TOKENS OUT

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fixture"
)]

use std::io::Write;
use std::sync::Arc;

use app::tokens::{self, InstanceKey};
use chrono::{Duration, Utc};
use domain::business::NewBusiness;
use domain::ids::{InvitationId, ReviewId};
use domain::invitation::{InvitationInput, NewInvitation, ProductInput};
use domain::review::{ProductRatingInput, ReplyDraft, ReviewDraft, ReviewInput};
use store::{Businesses, Invitations, ReviewCommand, Reviews};
use store_sqlite::SqliteStore;

const SLUG: &str = "bottega-bench";
const TASKS: usize = 256;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, data_dir, reviews, tokens_wanted, out] = args.as_slice() else {
        eprintln!("usage: bench_seed DATA_DIR REVIEWS TOKENS OUT");
        std::process::exit(2);
    };
    let reviews: usize = reviews.parse().expect("REVIEWS is a number");
    let tokens_wanted: usize = tokens_wanted.parse().expect("TOKENS is a number");
    let data_dir = std::path::Path::new(data_dir);
    // No log key here: the entries are appended as the command line would, and the server
    // signs a checkpoint over them when it starts.
    let store = Arc::new(SqliteStore::open(&data_dir.join("passaparola.db"), None).unwrap());
    let key = InstanceKey::load_or_create(&data_dir.join("instance.key")).unwrap();
    let api_key = tokens::new_api_key();
    let now = Utc::now();
    let business = store
        .create_business(
            NewBusiness::parse(SLUG, "Bottega Bench", None).unwrap(),
            api_key.hash(),
            now - Duration::days(800),
        )
        .await
        .expect("a fresh data directory");
    let env_number = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.parse::<usize>().expect("a number"))
    };
    let businesses_wanted = env_number("BENCH_BUSINESSES").unwrap_or(1).max(1);
    let spread = env_number("BENCH_SPREAD").unwrap_or(0);
    let spread_out = std::env::var("BENCH_SPREAD_OUT").ok();
    assert!(
        spread == 0 || spread_out.is_some(),
        "BENCH_SPREAD needs BENCH_SPREAD_OUT"
    );
    let mut created = Vec::new();
    for k in 1..businesses_wanted {
        let (store, api_key) = (store.clone(), tokens::new_api_key().hash());
        created.push(tokio::spawn(async move {
            store
                .create_business(
                    NewBusiness::parse(&format!("bench-{k:04}"), &format!("Bench {k}"), None)
                        .unwrap(),
                    api_key,
                    now - Duration::days(800),
                )
                .await
                .expect("a fresh data directory")
                .id
        }));
    }
    let mut businesses = vec![business.id];
    for h in created {
        businesses.push(h.await.unwrap());
    }
    let businesses = Arc::new(businesses);

    let span_minutes: i64 = std::env::var("BENCH_SPAN_DAYS")
        .ok()
        .and_then(|d| d.parse::<i64>().ok())
        .unwrap_or(1095)
        * 1440;
    let started = std::time::Instant::now();
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let (store, key, businesses) = (store.clone(), key.clone(), businesses.clone());
        handles.push(tokio::spawn(async move {
            let mut unused = Vec::new();
            let mut spread_tokens = Vec::new();
            for i in (task..reviews + tokens_wanted + spread).step_by(TASKS) {
                let spread_index = i.checked_sub(reviews + tokens_wanted);
                let to = match spread_index {
                    Some(j) => businesses[j % businesses.len()],
                    None => business.id,
                };
                // Reviews spread over the past; unused invitations fresh, so none has expired.
                let at = if i < reviews {
                    let back = (reviews - i) as i64 * span_minutes / reviews as i64;
                    now - Duration::minutes(back + 60)
                } else {
                    now - Duration::minutes(30)
                };
                let sku = format!("P-{:02}", i % 20);
                let name = format!("Prodotto {}", i % 20);
                let products = if i % 5 == 0 {
                    vec![ProductInput::new(&sku, &name)]
                } else {
                    Vec::new()
                };
                let invitation = NewInvitation::parse(
                    InvitationInput {
                        reference: &format!("BENCH-{i}"),
                        products,
                        ..Default::default()
                    },
                    at - Duration::hours(1),
                )
                .unwrap();
                let id = InvitationId::generate();
                let token = key.invitation_token(id);
                store
                    .create_invitation(to, id, invitation, token.hash(), None, at)
                    .await
                    .unwrap();
                if let Some(j) = spread_index {
                    spread_tokens.push((j, token.expose().to_owned()));
                    continue;
                }
                if i >= reviews {
                    unused.push(token.expose().to_owned());
                    continue;
                }
                let rating = (i * 7 % 5 + 1) as i64;
                let draft = ReviewDraft::parse(
                    ReviewInput {
                        rating,
                        title: "Recensione di prova",
                        body: "Un testo di media lunghezza, come quello di una recensione vera: \
                               consegna puntuale, prodotto come descritto, assistenza cortese.",
                        nps: Some((i % 11) as i64),
                        author_name: "Cliente",
                        products: if i % 5 == 0 {
                            vec![ProductRatingInput {
                                sku: &sku,
                                rating: (i * 3 % 5 + 1) as i64,
                                body: None,
                            }]
                        } else {
                            Vec::new()
                        },
                        ..Default::default()
                    },
                    at,
                )
                .unwrap();
                let review = ReviewId::generate();
                store
                    .write_review(ReviewCommand::Submit {
                        invitation: token.hash(),
                        id: review,
                        draft,
                        edit_token: tokens::new_edit_token().hash(),
                        at,
                    })
                    .await
                    .unwrap();
                if i % 3 == 0 {
                    store
                        .write_review(ReviewCommand::Reply {
                            review,
                            business: business.id,
                            reply: ReplyDraft::parse("Grazie!", "Titolare", None).unwrap(),
                            at: at + Duration::minutes((i % 600) as i64),
                        })
                        .await
                        .unwrap();
                }
            }
            (unused, spread_tokens)
        }));
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    let mut spread_file =
        spread_out.map(|path| std::io::BufWriter::new(std::fs::File::create(path).unwrap()));
    let mut spread_tokens = Vec::new();
    for h in handles {
        let (unused, spread) = h.await.unwrap();
        for token in unused {
            writeln!(file, "{token}").unwrap();
        }
        spread_tokens.extend(spread);
    }
    file.flush().unwrap();
    // In order, so that consecutive lines go to consecutive businesses, round-robin.
    spread_tokens.sort_unstable();
    if let Some(f) = spread_file.as_mut() {
        for (_, token) in spread_tokens {
            writeln!(f, "{token}").unwrap();
        }
        f.flush().unwrap();
    }
    eprintln!(
        "seeded {reviews} reviews and {tokens_wanted} unused invitations for {SLUG}, \
         {} businesses and {spread} invitations spread over them, in {:.1} s",
        businesses.len(),
        started.elapsed().as_secs_f64()
    );
}
