//! The SQLite backend through the storage contract: group commit, the tallies against a
//! recomputation from the rows, and opening rules.

#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::business::NewBusiness;
use domain::ids::{BusinessId, InvitationId, ReviewId};
use domain::invitation::{InvitationInput, NewInvitation, Relationship};
use domain::lifecycle::LifecycleError;
use domain::review::{FollowUpBody, ReplyDraft, ReviewDraft, ReviewInput, ReviewPatch};
use domain::secret::TokenHash;
use store::sqlite::{SqliteStore, path_from_url};
use store::{ReviewCommand, Store, StoreError};

struct Fixture {
    store: Arc<SqliteStore>,
    business: BusinessId,
    dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("t.db"), None).unwrap());
    let business = store
        .create_business(
            NewBusiness::parse("bottega", "Bottega", None).unwrap(),
            TokenHash::of("key"),
            Utc::now(),
        )
        .await
        .unwrap()
        .id;
    Fixture {
        store,
        business,
        dir,
    }
}

async fn invite(f: &Fixture, reference: &str, relationship: &str, at: DateTime<Utc>) -> TokenHash {
    let token = TokenHash::of(reference);
    let inv = NewInvitation::parse(
        InvitationInput {
            reference,
            relationship: Some(relationship),
            ..Default::default()
        },
        at,
    )
    .unwrap();
    f.store
        .create_invitation(f.business, InvitationId::generate(), inv, token, at)
        .await
        .unwrap();
    token
}

fn submit(token: TokenHash, rating: i64, nps: Option<i64>, at: DateTime<Utc>) -> ReviewCommand {
    ReviewCommand::Submit {
        invitation: token,
        id: ReviewId::generate(),
        draft: ReviewDraft::parse(
            ReviewInput {
                rating,
                title: "Titolo",
                body: "Testo",
                nps,
                author_name: "Autore",
                ..Default::default()
            },
            at,
        )
        .unwrap(),
        edit_token: TokenHash::of(&format!("edit-{token:?}-{rating}")),
        at,
    }
}

#[tokio::test]
async fn a_refused_write_in_a_batch_does_not_undo_the_others() {
    let f = fixture().await;
    let now = Utc::now();
    let mut tokens = Vec::new();
    for i in 0..50 {
        tokens.push(invite(&f, &format!("R{i}"), "customer", now).await);
    }
    // Every token twice, all at once: the writer batches them, and exactly one use of each
    // token may win.
    let handles: Vec<_> = tokens
        .iter()
        .chain(tokens.iter())
        .map(|t| {
            let store = f.store.clone();
            let cmd = submit(*t, 4, None, now);
            tokio::spawn(async move { store.write_review(cmd).await })
        })
        .collect();
    let (mut ok, mut used) = (0, 0);
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Rule(LifecycleError::InvitationUsed)) => used += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!((ok, used), (50, 50));
    let summary = f
        .store
        .summary(f.business, Relationship::Customer)
        .await
        .unwrap();
    assert_eq!(summary.review_count, 50);
    let conn = rusqlite::Connection::open(f.dir.path().join("t.db")).unwrap();
    let (reviews, events): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM reviews), (SELECT COUNT(*) FROM review_events)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((reviews, events), (50, 50), "no refused write left a trace");
}

/// A tiny deterministic generator, so that a failure can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn tallies_equal_a_recomputation_from_the_rows() {
    let f = fixture().await;
    let mut rng = Lcg(7);
    let start = Utc::now() - Duration::days(30);
    let rels = ["customer", "supplier"];
    let mut live: Vec<(ReviewId, TokenHash)> = Vec::new();
    for step in 0..300 {
        let at = start + Duration::minutes(step * 7);
        match rng.next(6) {
            0..=2 => {
                let rel = rels[rng.next(2) as usize];
                let token = invite(&f, &format!("S{step}"), rel, at).await;
                let nps = (rng.next(3) > 0).then(|| rng.next(11) as i64);
                let cmd = submit(token, rng.next(5) as i64 + 1, nps, at);
                let ReviewCommand::Submit { edit_token, .. } = &cmd else {
                    unreachable!()
                };
                let edit = *edit_token;
                let w = f.store.write_review(cmd).await.unwrap();
                live.push((w.review.id, edit));
            }
            _ if live.is_empty() => {}
            3 => {
                let (id, edit) = live[rng.next(live.len() as u64) as usize];
                let patch = ReviewPatch::parse(Some(rng.next(5) as i64 + 1), None, None).unwrap();
                let _ = f
                    .store
                    .write_review(ReviewCommand::Edit {
                        review: id,
                        edit_token: edit,
                        patch,
                        at,
                    })
                    .await;
            }
            4 => {
                let (id, edit) = live[rng.next(live.len() as u64) as usize];
                let reply = ReplyDraft::parse("Grazie", "Titolare", None).unwrap();
                let at = at + Duration::seconds(rng.next(100_000) as i64);
                let _ = f
                    .store
                    .write_review(ReviewCommand::Reply {
                        review: id,
                        business: f.business,
                        reply,
                        at,
                    })
                    .await;
                let _ = f
                    .store
                    .write_review(ReviewCommand::FollowUp {
                        review: id,
                        edit_token: edit,
                        body: FollowUpBody::parse("Ok").unwrap(),
                        at,
                    })
                    .await;
            }
            _ => {
                let i = rng.next(live.len() as u64) as usize;
                let (id, edit) = live.swap_remove(i);
                f.store
                    .write_review(ReviewCommand::Withdraw {
                        review: id,
                        edit_token: edit,
                        at,
                    })
                    .await
                    .unwrap();
            }
        }
    }

    let conn = rusqlite::Connection::open(f.dir.path().join("t.db")).unwrap();
    let (withdrawn, edited, replied): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM reviews WHERE status = 'withdrawn'),
                    (SELECT COUNT(*) FROM reviews WHERE edit_count > 0),
                    (SELECT COUNT(*) FROM replies)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(
        withdrawn > 5 && edited > 5 && replied > 5,
        "the walk covers every step"
    );
    for rel in [Relationship::Customer, Relationship::Supplier] {
        let s = f.store.summary(f.business, rel).await.unwrap();
        let rows: Vec<(i64, Option<i64>, Option<i64>)> = conn
            .prepare(
                "SELECT r.rating, r.nps, p.created_at - r.created_at
                 FROM reviews r LEFT JOIN replies p ON p.review_id = r.id
                 WHERE r.status = 'published' AND r.relationship = ?1",
            )
            .unwrap()
            .query_map([rel.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(s.review_count, rows.len() as u64, "{rel}");
        for stars in 1..=5 {
            let n = rows.iter().filter(|r| r.0 == stars).count() as u64;
            assert_eq!(
                s.distribution.0[stars as usize - 1],
                n,
                "{rel} {stars} stars"
            );
        }
        let nps: Vec<i64> = rows.iter().filter_map(|r| r.1).collect();
        assert_eq!(s.nps_responses, nps.len() as u64);
        if !nps.is_empty() {
            let p = nps.iter().filter(|n| **n >= 9).count() as f64;
            let d = nps.iter().filter(|n| **n <= 6).count() as f64;
            let expected = ((p - d) / nps.len() as f64 * 1000.0).round() / 10.0;
            assert_eq!(s.nps, Some(expected), "{rel} NPS");
        }
        let mut delays: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.2.map(|ms| ms / 1000))
            .collect();
        delays.sort_unstable();
        let median = match delays.len() {
            0 => None,
            n if n % 2 == 1 => Some(delays[n / 2]),
            n => {
                let (a, b) = (delays[n / 2 - 1], delays[n / 2]);
                Some(a + (b - a + 1) / 2)
            }
        };
        assert_eq!(s.median_reply_seconds, median, "{rel} median");
        let replied = rows.iter().filter(|r| r.2.is_some()).count() as f64;
        if !rows.is_empty() {
            let rate = (replied / rows.len() as f64 * 10_000.0).round() / 10_000.0;
            assert_eq!(s.reply_rate, Some(rate), "{rel} reply rate");
        }
    }
}

#[tokio::test]
async fn opening_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/t.db");
    let store = SqliteStore::open(&path, None).unwrap();
    assert_eq!(store.schema_version().await.unwrap(), 9);
    // Customers' names and addresses: readable by the owner only, whatever the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&path.with_extension("db-wal")), 0o600);
    }
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A database from a newer build is refused, not damaged.
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, None).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");

    assert_eq!(
        path_from_url("sqlite://data/p.db").unwrap().to_str(),
        Some("data/p.db")
    );
    assert_eq!(
        path_from_url("sqlite:///abs/p.db").unwrap().to_str(),
        Some("/abs/p.db")
    );
    assert_eq!(
        path_from_url("sqlite:p.db?mode=rwc").unwrap().to_str(),
        Some("p.db")
    );
    assert_eq!(path_from_url("./p.db").unwrap().to_str(), Some("./p.db"));
    assert!(path_from_url("sqlite::memory:").is_err());
    assert!(path_from_url("postgres://x/y").is_err());
}

#[tokio::test]
async fn a_log_that_does_not_match_its_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let signer = || ledger::note::LogSigner::from_seed("test.example/log", [5; 32]).unwrap();
    {
        let store = SqliteStore::open(&path, Some(signer())).unwrap();
        let f = Fixture {
            store: Arc::new(store),
            business: BusinessId::generate(),
            dir: tempfile::tempdir().unwrap(),
        };
        let business = f
            .store
            .create_business(
                NewBusiness::parse("bottega", "Bottega", None).unwrap(),
                TokenHash::of("key"),
                Utc::now(),
            )
            .await
            .unwrap()
            .id;
        let f = Fixture { business, ..f };
        for i in 0..5 {
            let token = invite(&f, &format!("R{i}"), "customer", Utc::now()).await;
            f.store
                .write_review(submit(token, 5, None, Utc::now()))
                .await
                .unwrap();
        }
    }
    // Reopening an intact log works, with the key it was signed with only.
    SqliteStore::open(&path, Some(signer())).unwrap();
    let other = ledger::note::LogSigner::from_seed("test.example/log", [6; 32]).unwrap();
    let err = SqliteStore::open(&path, Some(other)).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");

    // One entry changed behind our back (a back-dated review, say).
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let mut entry: Vec<u8> = conn
        .query_row("SELECT entry FROM log_entries WHERE idx = 2", [], |r| {
            r.get(0)
        })
        .unwrap();
    entry[9] ^= 0x01; // the time, a millisecond earlier or later
    conn.execute("UPDATE log_entries SET entry = ?1 WHERE idx = 2", [entry])
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&copy, Some(signer())).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");

    // One stored hash changed behind our back, deep in the tree.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE log_hashes SET hash = zeroblob(32) WHERE idx = 0",
        [],
    )
    .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, Some(signer())).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}

/// The writer never checkpoints the WAL (a checkpoint inside its COMMIT would stall every
/// waiting write); a thread of its own copies the WAL back into the database file. (SQLite's
/// own automatic checkpoint would wait for 1000 pages of WAL; these writes are far fewer.)
#[tokio::test]
async fn the_wal_is_checkpointed_beside_the_writer() {
    let f = fixture().await;
    let path = f.dir.path().join("t.db");
    let size = || std::fs::metadata(&path).unwrap().len();
    let before = size();
    let now = Utc::now();
    for i in 0..200 {
        invite(&f, &format!("ORD-{i}"), "customer", now).await;
    }
    let mut copied = false;
    for _ in 0..40 {
        if size() > before {
            copied = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        copied,
        "the database file never grew: the WAL was not copied back"
    );
}
