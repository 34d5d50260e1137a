//! Connecting: the `postgres://` URL, TLS to the database, the pool, and the dedicated
//! connections (the listener, the sequencer) that must not go back to a pool.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use store::StoreError;
use tokio_postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How many pooled connections one server keeps at most (`pool_size=` in the URL).
pub const DEFAULT_POOL_SIZE: usize = 16;

/// What the URL says, parsed: the client's settings, the TLS it uses, the pool's size.
#[derive(Clone)]
pub struct Target {
    pub config: Config,
    pub tls: MakeRustlsConnect,
    pub pool_size: usize,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Target")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

impl Target {
    /// The database and its hosts, never the password.
    pub fn describe(&self) -> String {
        let hosts: Vec<String> = self
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(h) => h.clone(),
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            })
            .collect();
        format!(
            "PostgreSQL database {} on {}",
            self.config.get_dbname().unwrap_or("(the user's)"),
            hosts.join(",")
        )
    }
}

/// Parses a `postgres://` (or `postgresql://`) URL. Besides libpq's parameters that
/// tokio-postgres knows (`sslmode=disable|prefer|require`, `connect_timeout`,
/// `application_name`, …), two are ours: `sslrootcert=FILE`, PEM certificates to trust
/// besides the public roots (a self-signed server), and `pool_size=N`.
///
/// TLS certificates are always verified: `sslmode=require` refuses a server whose
/// certificate does not verify (libpq's `verify-full`), and `prefer`, the default, uses TLS
/// when the server offers it, verified the same way, but goes on in plain text with a server
/// that declines TLS (as libpq's `prefer` does): `require` is the setting for an untrusted
/// network.
pub fn parse(url: &str) -> Result<Target, StoreError> {
    let bad = |why: String| StoreError::Config(format!("invalid PostgreSQL URL: {why}"));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut root_cert = None;
    let mut pool_size = DEFAULT_POOL_SIZE;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslrootcert" => root_cert = Some(value.to_owned()),
            "pool_size" => {
                pool_size = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| bad(format!("pool_size {value:?} is not 1 to 1000")))?
            }
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let mut config: Config = rest.parse().map_err(|e| bad(format!("{e}")))?;
    if config.get_application_name().is_none() {
        config.application_name("passaparola");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config.keepalives_idle(Duration::from_secs(30));
    let tls = tls(root_cert.as_deref())?;
    Ok(Target {
        config,
        tls,
        pool_size,
    })
}

fn tls(root_cert: Option<&str>) -> Result<MakeRustlsConnect, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = root_cert {
        let pem = std::fs::read(path)
            .map_err(|e| StoreError::Config(format!("cannot read sslrootcert {path}: {e}")))?;
        let mut added = 0;
        for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
            let cert: rustls::pki_types::CertificateDer<'static> = cert.map_err(|e| {
                StoreError::Config(format!("sslrootcert {path} is not PEM certificates: {e}"))
            })?;
            roots.add(cert).map_err(|e| {
                StoreError::Config(format!("sslrootcert {path} holds a bad certificate: {e}"))
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(StoreError::Config(format!(
                "sslrootcert {path} holds no certificate"
            )));
        }
    }
    // The provider named, not the process default: no other crate can change it under us.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The pool of connections every read and write borrows from.
pub fn pool(target: &Target) -> Result<Pool, StoreError> {
    let manager = Manager::from_config(
        target.config.clone(),
        target.tls.clone(),
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(target.pool_size)
        .build()
        .map_err(|e| StoreError::Config(format!("cannot build the connection pool: {e}")))
}

/// An error with its causes, for the operator ("error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer" rather than its first words).
pub fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}
