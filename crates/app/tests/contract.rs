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
            let backend = Backend::open(&url, signer).unwrap();
            Fresh::new(backend.store(), dir)
        })
    }

    store::contract_suite!(open);
}
