//! Embedded migrations, tracked in `schema_migrations`. Hand-written because it is a few
//! lines: each migration runs once, in order, in its own transaction, under an advisory
//! lock, so that servers starting together on a new database do not both apply it. A
//! migration that has shipped is never edited; a change is a new file.

use crate::db::{Db, Result};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "0001_init", include_str!("../migrations/0001_init.sql")),
    (
        2,
        "0002_outbox",
        include_str!("../migrations/0002_outbox.sql"),
    ),
    (
        3,
        "0003_shops",
        include_str!("../migrations/0003_shops.sql"),
    ),
    (
        4,
        "0004_product_details",
        include_str!("../migrations/0004_product_details.sql"),
    ),
    (
        5,
        "0005_imported_reviews",
        include_str!("../migrations/0005_imported_reviews.sql"),
    ),
    (
        6,
        "0006_invitation_templates",
        include_str!("../migrations/0006_invitation_templates.sql"),
    ),
];

/// The advisory lock key that serialises migrations ("pp-migr" in ASCII).
const MIGRATION_LOCK: i64 = 0x0070_702d_6d69_6772;

/// Applies the migrations the database has not seen yet.
pub(crate) async fn apply(client: &mut deadpool_postgres::Client) -> Result<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    bigint PRIMARY KEY,
                 name       text   NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    for (version, name, sql) in MIGRATIONS {
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let done = tx
            .query_opt(
                "SELECT 1 FROM schema_migrations WHERE version = $1",
                &[version],
            )
            .await?
            .is_some();
        if !done {
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[version, name],
            )
            .await?;
            tracing::info!(migration = name, "applied a migration");
        }
        tx.commit().await?;
    }
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    let at = version(&*client).await?;
    if at > newest {
        return Err(store::StoreError::Config(format!(
            "the database is at schema version {at}, newer than this build knows ({newest}): \
             upgrade Passaparola"
        ))
        .into());
    }
    Ok(())
}

/// The newest migration applied.
pub(crate) async fn version(db: &dyn Db) -> Result<i64> {
    let row = db
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?;
    Ok(row.get(0))
}
