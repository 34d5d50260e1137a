//! For tests: a database of its own for each test, in the cluster that
//! `PASSAPAROLA_TEST_POSTGRES` names (`tests/postgres/run.sh` starts a throwaway one).

use store::StoreError;

/// The variable that names the test cluster, as an administrator's URL.
pub const ENV: &str = "PASSAPAROLA_TEST_POSTGRES";

/// Whether the tests have a PostgreSQL cluster to use.
pub fn configured() -> bool {
    std::env::var_os(ENV).is_some_and(|v| !v.is_empty())
}

/// Creates an empty database in the cluster `admin_url` reaches and returns its URL. The
/// databases are named `passaparola_test_…` and left behind: the cluster is a throwaway.
pub async fn scratch_database(admin_url: &str) -> Result<String, StoreError> {
    let target = crate::connect::parse(admin_url)?;
    let (client, connection) = target
        .config
        .connect(target.tls.clone())
        .await
        .map_err(|e| StoreError::Config(format!("cannot reach the test cluster: {e}")))?;
    let driver = tokio::spawn(connection);
    let name = format!("passaparola_test_{}", uuid::Uuid::now_v7().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?;
    drop(client);
    let _ = driver.await;
    let (base, query) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    let (server, _) = base.rsplit_once('/').unwrap_or((base, ""));
    // A URL without a path (`postgres://host`) has `//host` as its last slash's left side.
    let server = if server.ends_with('/') { base } else { server };
    let mut url = format!("{server}/{name}");
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    Ok(url)
}

/// The database of a test's data directory: created on first use (in the cluster `ENV`
/// names) and remembered in the directory, so that every command and server a test starts
/// on that directory shares it. `None` when no cluster is configured (the test runs on
/// SQLite). Blocking: it creates the database on a thread of its own.
pub fn database_for(data_dir: &std::path::Path) -> Option<String> {
    if !configured() {
        return None;
    }
    let remembered = data_dir.join("test-database-url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return Some(url);
    }
    let admin = std::env::var(ENV).ok()?;
    let url = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Config(e.to_string()))?
            .block_on(scratch_database(&admin))
    })
    .join()
    .unwrap_or_else(|_| {
        Err(StoreError::Config(
            "creating a test database panicked".into(),
        ))
    })
    .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
    std::fs::create_dir_all(data_dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&remembered, &url).unwrap_or_else(|e| panic!("{e}"));
    Some(url)
}
