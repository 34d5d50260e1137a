//! The storage contract's suite (`store::contract`) against every backend of this build,
//! each opened through the backend-neutral constructor ([`app::backend::Backend::open`]), as
//! the server opens it.

#![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

mod sqlite {
    use std::future::Future;
    use std::pin::Pin;

    use app::backend::Backend;
    use ledger::note::LogSigner;
    use store::contract::Fresh;

    fn open(signer: Option<LogSigner>) -> Pin<Box<dyn Future<Output = Fresh> + Send>> {
        Box::pin(async move {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("contract.db").display());
            let backend = Backend::open(&url, signer).await.unwrap();
            Fresh::new(backend.store(), dir)
        })
    }

    store::contract_suite!(open);
}

/// The same suite against PostgreSQL, each case on a database of its own in the cluster
/// that `PASSAPAROLA_TEST_POSTGRES` names (an administrator's URL, such as
/// `postgres://postgres@127.0.0.1:5432/postgres`; `tests/postgres/run.sh` starts a throwaway
/// cluster and sets it). Without it the cases say so and pass: `cargo test` needs no server.
mod postgres {
    use std::future::Future;
    use std::pin::Pin;

    use app::backend::Backend;
    use ledger::note::LogSigner;
    use store::contract::Fresh;

    fn open(signer: Option<LogSigner>) -> Pin<Box<dyn Future<Output = Fresh> + Send>> {
        Box::pin(async move {
            let admin = std::env::var(store_postgres::testing::ENV).unwrap();
            let url = store_postgres::testing::scratch_database(&admin)
                .await
                .unwrap();
            let backend = Backend::open(&url, signer).await.unwrap();
            Fresh::new(backend.store(), ())
        })
    }

    store::contract_suite!(open, when = store_postgres::testing::configured);
}
