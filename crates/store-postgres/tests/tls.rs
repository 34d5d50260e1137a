//! TLS to the database: verified against the authority `sslrootcert` names, never silently
//! plain. Runs where `tests/postgres/run.sh` started a cluster that takes TLS (it exports
//! `PASSAPAROLA_TEST_POSTGRES_CA`); elsewhere it says so and passes.

#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

use store::Businesses;
use store_postgres::PostgresStore;
use store_postgres::testing::{ENV, scratch_database};

#[tokio::test]
async fn tls_to_the_database_is_verified_and_never_silently_plain() {
    let (Ok(admin), Ok(ca)) = (
        std::env::var(ENV),
        std::env::var("PASSAPAROLA_TEST_POSTGRES_CA"),
    ) else {
        eprintln!("skipped: needs a cluster that takes TLS (tests/postgres/run.sh)");
        return;
    };
    let url = scratch_database(&admin).await.unwrap();
    let base = url.split('?').next().unwrap().to_owned();
    let database = base.rsplit('/').next().unwrap().to_owned();

    // With the authority: the store opens, and its connections are encrypted.
    let tls = format!("{base}?sslmode=require&sslrootcert={ca}");
    let store = PostgresStore::open(&tls, None).await.unwrap();
    assert!(store.business_by_slug("nessuna").await.unwrap().is_none());
    let (admin_client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let (encrypted, plain): (i64, i64) = {
        let row = admin_client
            .query_one(
                "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl)
                 FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                 WHERE a.datname = $1",
                &[&database],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert!(encrypted >= 1, "no encrypted connection");
    assert_eq!(plain, 0, "a connection went in plain text");

    // Without the authority the server's certificate is refused: with sslmode=require, and
    // with the default (prefer), which never falls back to plain text after a failed check.
    for url in [format!("{base}?sslmode=require"), base.clone()] {
        let refused = PostgresStore::open(&url, None).await.unwrap_err();
        assert!(
            refused.to_string().contains("certificate"),
            "{url}: {refused}"
        );
    }

    // A file that is not there is a clear configuration error, before any connection.
    let missing = PostgresStore::open(&format!("{base}?sslrootcert=/nonexistent/ca.crt"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, store::StoreError::Config(ref m) if m.contains("sslrootcert")),
        "{missing}"
    );
}
