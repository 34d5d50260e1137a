//! Embedded migrations, tracked in SQLite's own `user_version`. Hand-written because it is a
//! dozen lines: each migration runs once, in order, in its own immediate transaction (so two
//! processes starting on a new file do not both apply it). A migration that has shipped is
//! never edited; a change is a new file.

use rusqlite::{Connection, TransactionBehavior};

use crate::Result;
use store::StoreError;

/// A migration's Rust step, run after its SQL in the same transaction.
type Step = fn(&rusqlite::Transaction) -> Result<()>;

const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    ("0002_log", include_str!("../migrations/0002_log.sql")),
    (
        "0003_erasure",
        include_str!("../migrations/0003_erasure.sql"),
    ),
    ("0004_users", include_str!("../migrations/0004_users.sql")),
    ("0005_score", include_str!("../migrations/0005_score.sql")),
    ("0006_stats", include_str!("../migrations/0006_stats.sql")),
    (
        "0007_products",
        include_str!("../migrations/0007_products.sql"),
    ),
    (
        "0008_week_cells",
        include_str!("../migrations/0008_week_cells.sql"),
    ),
    (
        "0009_drop_summary_tallies",
        include_str!("../migrations/0009_drop_summary_tallies.sql"),
    ),
    (
        "0010_lean_writes",
        include_str!("../migrations/0010_lean_writes.sql"),
    ),
    (
        "0011_health_probe",
        include_str!("../migrations/0011_health_probe.sql"),
    ),
    (
        "0012_disabled_users",
        include_str!("../migrations/0012_disabled_users.sql"),
    ),
    (
        "0013_sessions_by_expiry",
        include_str!("../migrations/0013_sessions_by_expiry.sql"),
    ),
    ("0014_outbox", include_str!("../migrations/0014_outbox.sql")),
    ("0015_shops", include_str!("../migrations/0015_shops.sql")),
    (
        "0016_product_details",
        include_str!("../migrations/0016_product_details.sql"),
    ),
    (
        "0017_imported_reviews",
        include_str!("../migrations/0017_imported_reviews.sql"),
    ),
    (
        "0018_invitation_templates",
        include_str!("../migrations/0018_invitation_templates.sql"),
    ),
];

/// The Rust steps, by migration name.
const STEPS: &[(&str, Step)] = &[
    ("0005_score", score_sums),
    ("0006_stats", stat_cells),
    ("0014_outbox", mail_columns),
    ("0016_product_details", product_columns),
    ("0017_imported_reviews", import_columns),
];

/// Each of `columns` added to `table` unless it is there (a migration may run again over a
/// schema that has them: SQLite's ADD COLUMN has no IF NOT EXISTS).
fn add_missing_columns(
    tx: &rusqlite::Transaction,
    table: &str,
    columns: &[(&str, &str)],
) -> Result<()> {
    let existing = tx
        .prepare("SELECT name FROM pragma_table_info(?1)")?
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (name, definition) in columns {
        if !existing.iter().any(|e| e == name) {
            tx.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {name} {definition}"
            ))?;
        }
    }
    Ok(())
}

/// The products' columns of 0016: a product's page, picture and GTIN, on the invitation's
/// products and on the business's.
fn product_columns(tx: &rusqlite::Transaction) -> Result<()> {
    const COLUMNS: [(&str, &str); 3] = [("url", "TEXT"), ("image", "TEXT"), ("gtin", "TEXT")];
    add_missing_columns(tx, "invitation_products", &COLUMNS)?;
    add_missing_columns(tx, "products", &COLUMNS)
}

/// The reviews' columns of 0017: where and when an imported review was written, and its
/// identifier there.
fn import_columns(tx: &rusqlite::Transaction) -> Result<()> {
    const COLUMNS: [(&str, &str); 3] = [
        ("import_source", "TEXT"),
        ("original_date", "TEXT"),
        ("external_id", "TEXT"),
    ];
    add_missing_columns(tx, "reviews", &COLUMNS)?;
    tx.execute_batch(
        "CREATE UNIQUE INDEX IF NOT EXISTS reviews_by_import
             ON reviews (business_id, import_source, external_id)
             WHERE import_source IS NOT NULL",
    )?;
    Ok(())
}

/// The invitations' columns of 0014, each added unless it is there (a migration may run
/// again over a schema that has them: SQLite's ADD COLUMN has no IF NOT EXISTS).
fn mail_columns(tx: &rusqlite::Transaction) -> Result<()> {
    const COLUMNS: [(&str, &str); 5] = [
        ("source", "TEXT NOT NULL DEFAULT 'api'"),
        ("send_at", "INTEGER"),
        ("mail_status", "TEXT NOT NULL DEFAULT 'none'"),
        ("mail_error", "TEXT"),
        ("email_hash", "BLOB"),
    ];
    add_missing_columns(tx, "invitations", &COLUMNS)?;
    tx.execute_batch(
        "CREATE INDEX IF NOT EXISTS invitations_by_recipient
             ON invitations (business_id, email_hash) WHERE email_hash IS NOT NULL",
    )?;
    Ok(())
}

/// Adds the invitations and published reviews of before 0006 to the figures' time cells,
/// through the write path's own `stats::apply`, to the spans 0006 knew (0008 adds weeks).
/// As in the writer's batches, the changes are summed in memory and each cell is written
/// once: on millions of rows that is one upsert per cell, not several per row.
fn stat_cells(tx: &rusqlite::Transaction) -> Result<()> {
    let mut cells = crate::stats::BatchCells::default();
    stat_cell_changes(tx, &mut cells)?;
    cells.flush(tx)
}

/// [`stat_cells`]' changes, one row at a time.
fn stat_cell_changes(
    tx: &rusqlite::Transaction,
    cells: &mut crate::stats::BatchCells,
) -> Result<()> {
    use domain::stats::Span;
    let mut apply3 = |_: &rusqlite::Transaction,
                      scope: &domain::plan::CellScope,
                      day: i64,
                      d: &domain::stats::CellDelta| {
        cells.add(scope, day, d, &[Span::Day, Span::Month, Span::All]);
        Ok::<_, crate::Error>(())
    };
    use domain::review::{Nps, Rating};
    use domain::stats::{CellDelta, day_of};
    let bad = |what: &str| StoreError::Config(format!("a stored {what} is invalid"));
    let time = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).ok_or_else(|| bad("time"));
    // Invitations: sent, and answered if a review came of them; for each listed product too.
    let mut stmt = tx.prepare(
        "SELECT i.business_id, i.relationship, i.created_at,
                EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id),
                (SELECT group_concat(sku, char(31)) FROM invitation_products
                 WHERE invitation_id = i.id)
         FROM invitations i",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let business = super::parse_uuid(&row.get::<_, String>(0)?)?;
        let relationship = row
            .get::<_, String>(1)?
            .parse()
            .map_err(|_| bad("relationship"))?;
        let day = day_of(time(row.get(2)?)?);
        let answered: bool = row.get(3)?;
        let skus: Option<String> = row.get(4)?;
        let products =
            std::iter::once("").chain(skus.as_deref().into_iter().flat_map(|s| s.split('\u{1f}')));
        for product in products {
            let scope = domain::plan::CellScope {
                business: domain::ids::BusinessId(business),
                product: product.to_owned(),
                relationship,
                verified: true,
            };
            apply3(tx, &scope, day, &CellDelta::invited())?;
            if answered {
                apply3(tx, &scope, day, &CellDelta::answered())?;
            }
        }
    }
    drop(rows);
    drop(stmt);
    // Published reviews, with their first reply's delay.
    let mut stmt = tx.prepare(
        "SELECT r.business_id, r.relationship, r.verified, r.rating, r.nps, r.created_at,
                d.seconds
         FROM reviews r LEFT JOIN reply_delays d ON d.review_id = r.id
         WHERE r.status = 'published'",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let scope = domain::plan::CellScope {
            business: domain::ids::BusinessId(super::parse_uuid(&row.get::<_, String>(0)?)?),
            product: String::new(),
            relationship: row
                .get::<_, String>(1)?
                .parse()
                .map_err(|_| bad("relationship"))?,
            verified: row.get(2)?,
        };
        let rating = Rating::new(row.get(3)?).map_err(|_| bad("rating"))?;
        let nps = row
            .get::<_, Option<i64>>(4)?
            .map(|n| Nps::new(n).map_err(|_| bad("nps")))
            .transpose()?;
        let at = time(row.get(5)?)?;
        let day = day_of(at);
        apply3(tx, &scope, day, &CellDelta::published(rating, nps, at))?;
        if let Some(seconds) = row.get::<_, Option<i64>>(6)? {
            apply3(tx, &scope, day, &CellDelta::first_reply(rating, seconds))?;
        }
    }
    Ok(())
}

/// Adds the published reviews of before 0005 to the score's sums.
fn score_sums(tx: &rusqlite::Transaction) -> Result<()> {
    use domain::review::Rating;
    use domain::score::ScoreSums;
    let mut sums: std::collections::BTreeMap<(String, String), ScoreSums> = Default::default();
    let mut stmt = tx.prepare(
        "SELECT business_id, relationship, rating, created_at FROM reviews
         WHERE status = 'published'",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let rating = Rating::new(row.get(2)?)
            .map_err(|e| StoreError::Config(format!("a stored rating is invalid: {e}")))?;
        let at = chrono::DateTime::from_timestamp_millis(row.get(3)?).unwrap_or_default();
        let key = (row.get(0)?, row.get(1)?);
        let sum = sums.entry(key).or_default();
        *sum = sum.plus(ScoreSums::of(rating, at));
    }
    for ((business, relationship), s) in sums {
        tx.execute(
            "UPDATE summary_tallies
             SET score_w = ?3, score_wr = ?4, score_wrr = ?5, score_ww = ?6
             WHERE business_id = ?1 AND relationship = ?2",
            rusqlite::params![business, relationship, s.w, s.wr, s.wrr, s.ww],
        )?;
    }
    Ok(())
}

/// The schema version this build writes.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

pub(crate) fn apply(conn: &mut Connection) -> Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if current > LATEST {
            return Err(StoreError::Config(format!(
                "the database is at schema version {current}, newer than this build's \
                 {LATEST}: upgrade Passaparola"
            ))
            .into());
        }
        let Some((name, sql)) = usize::try_from(current)
            .ok()
            .and_then(|i| MIGRATIONS.get(i))
        else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        if let Some((_, step)) = STEPS.iter().find(|(n, _)| n == name) {
            step(&tx)?;
        }
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        tracing::info!(migration = name, version = current + 1, "applied migration");
    }
}
