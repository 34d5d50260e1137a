//! The test harness: a fresh server per test, and typed request helpers.

use std::sync::Arc;

use app::tokens;
use chrono::Utc;
use domain::business::NewBusiness;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::Store;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The first business, with its API key.
    pub slug: String,
    pub api_key: String,
    pub store: Arc<dyn Store>,
    /// The SQLite file, when the tests run on SQLite (see [`TestApp::sql`]).
    pub db_path: std::path::PathBuf,
    /// The PostgreSQL database, when the tests run on PostgreSQL.
    pub database_url: Option<String>,
    /// The log's verifier key.
    pub log_key: String,
    _dir: tempfile::TempDir,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, and for errors that the body is a problem of that status.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        if status >= 400 {
            assert_eq!(self.content_type(), "application/problem+json");
            assert_eq!(self.body["status"], status);
            assert!(
                self.body["type"]
                    .as_str()
                    .unwrap()
                    .starts_with("/problems/")
            );
            assert!(!self.body["detail"].as_str().unwrap().is_empty());
        }
        self
    }
}

/// Options of a test server.
#[derive(Debug, Clone)]
struct Options {
    behind_proxy: bool,
    rate_limits: bool,
    max_connections: Option<usize>,
    mail: Option<app::mail::MailConfig>,
}

impl TestApp {
    /// The server as `passaparola serve` starts it, limits and all.
    pub async fn spawn() -> Self {
        Self::spawn_with(Options {
            behind_proxy: false,
            rate_limits: true,
            max_connections: None,
            mail: None,
        })
        .await
    }

    /// The server with a cap of `n` connections served normally (`--max-connections`).
    pub async fn spawn_with_max_connections(n: usize) -> Self {
        Self::spawn_with(Options {
            behind_proxy: false,
            rate_limits: true,
            max_connections: Some(n),
            mail: None,
        })
        .await
    }

    /// The server as if behind a reverse proxy (`--behind-proxy`).
    pub async fn spawn_behind_proxy() -> Self {
        Self::spawn_with(Options {
            behind_proxy: true,
            rate_limits: true,
            max_connections: None,
            mail: None,
        })
        .await
    }

    /// The server without write limits (`--no-rate-limits`), for tests that need more
    /// writes from one client or token than a person makes (a log of hundreds of entries).
    pub async fn spawn_unlimited() -> Self {
        Self::spawn_with(Options {
            behind_proxy: false,
            rate_limits: false,
            max_connections: None,
            mail: None,
        })
        .await
    }

    /// The server sending e-mail through the SMTP server at `smtp_url` (`--smtp-url`),
    /// from `Trattoria Test <inviti@passaparola.test>`, with a lease of `lease` (the
    /// shortest `--outbox-lease` allows, so that a crash's resend comes quickly).
    pub async fn spawn_with_mail(smtp_url: &str, lease: std::time::Duration) -> Self {
        Self::spawn_with_mail_config(app::mail::MailConfig {
            smtp_url: smtp_url.to_owned(),
            from: "Trattoria Test <inviti@passaparola.test>".to_owned(),
            dkim: None,
            lease,
        })
        .await
    }

    /// The server sending e-mail as `config` says (e.g. with `--dkim-*`).
    pub async fn spawn_with_mail_config(config: app::mail::MailConfig) -> Self {
        Self::spawn_with(Options {
            behind_proxy: false,
            rate_limits: true,
            max_connections: None,
            mail: Some(config),
        })
        .await
    }

    async fn spawn_with(
        Options {
            behind_proxy,
            rate_limits,
            max_connections,
            mail,
        }: Options,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("test.db");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        // The same start-up as `passaparola serve`, on a fresh data directory.
        let postgres = store_postgres::testing::database_for(dir.path());
        let config = app::Config {
            data_dir: dir.path().to_owned(),
            database_url: Some(
                postgres
                    .clone()
                    .unwrap_or_else(|| format!("sqlite://{}", db_path.display())),
            ),
            base_url: url::Url::parse(&address).unwrap(),
            log_origin: None,
            demo: false,
            rate_limits,
            mail,
        };
        let cache = server::cache::PublicCache::default();
        let built = app::build(&config, Arc::new(cache.clone())).await.unwrap();
        let store = built.app.store.clone();
        let log_key = built.app.log_verifier_key.as_deref().unwrap().to_owned();
        let mut state = server::AppState::new(built.app, cache);
        state.behind_proxy = behind_proxy;
        state.max_connections = max_connections;
        tokio::spawn(server::serve(listener, state, std::future::pending()));
        let mut app = Self {
            address,
            client: reqwest::Client::new(),
            slug: String::new(),
            api_key: String::new(),
            store,
            db_path,
            database_url: postgres,
            log_key,
            _dir: dir,
        };
        let (slug, key) = app
            .create_business("trattoria-test", "Trattoria Test")
            .await;
        app.slug = slug;
        app.api_key = key;
        app
    }

    /// Registers another business directly in the store; returns its slug and API key.
    pub async fn create_business(&self, slug: &str, name: &str) -> (String, String) {
        let key = tokens::new_api_key();
        self.store
            .create_business(
                NewBusiness::parse(slug, name, None).unwrap(),
                key.hash(),
                Utc::now(),
            )
            .await
            .unwrap();
        (slug.to_owned(), key.expose().to_owned())
    }

    /// A web user of the first business, with this password.
    pub async fn create_user(&self, email: &str, password: &str) {
        self.store
            .create_user(
                store::NewUser {
                    business_slug: self.slug.clone(),
                    email: domain::invitation::Email::parse(email).unwrap(),
                    name: domain::review::ResponderName::parse("Giulia Bianchi").unwrap(),
                    role: None,
                },
                app::passwords::hash(password).unwrap(),
                Utc::now(),
            )
            .await
            .unwrap();
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        read(req.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None, None).await
    }

    /// Invites `reference` for the first business; returns the created invitation.
    pub async fn invite(&self, reference: &str) -> Value {
        self.request(
            Method::POST,
            "/api/v1/invitations",
            Some(&self.api_key),
            Some(&json!({"reference": reference, "customer_email": "cliente@example.it"})),
        )
        .await
        .expect(201)
        .body
    }

    /// Invites and reviews with `rating`; returns the submission (with `edit_token`).
    pub async fn review(&self, reference: &str, rating: i64) -> Value {
        let token = self.invite(reference).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        self.request(
            Method::POST,
            "/api/v1/reviews",
            None,
            Some(&review_body(&token, rating)),
        )
        .await
        .expect(201)
        .body
    }

    /// A connection to this server's database, to check or change what the API does not
    /// show: its PostgreSQL database, or its SQLite file.
    pub async fn sql(&self) -> Sql {
        match &self.database_url {
            Some(url) => Sql::postgres(url).await,
            None => Sql::sqlite(&self.db_path),
        }
    }
}

pub fn review_body(token: &str, rating: i64) -> Value {
    json!({
        "token": token,
        "rating": rating,
        "title": "Servizio cortese",
        "body": "Tutto come promesso, consegna puntuale.",
        "author_name": "Maria",
        "nps": 9,
        "experience_date": "2026-01-15",
    })
}

pub async fn read(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            panic!(
                "status {status}: body is not JSON: {:?}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// The seed of a randomised test: `PP_SEED` if set (to replay a failure), else a fresh one.
/// Printed either way, so that a failing run names the seed that replays it.
pub fn seed() -> u64 {
    let seed = match std::env::var("PP_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("PP_SEED must be a u64, not {s:?}")),
        Err(_) => rand::random(),
    };
    eprintln!("seed {seed} (replay with PP_SEED={seed})");
    seed
}

/// Whether the tests run on PostgreSQL (`PASSAPAROLA_TEST_POSTGRES` names a cluster) rather
/// than SQLite.
pub fn on_postgres() -> bool {
    store_postgres::testing::configured()
}

/// For a check about SQLite itself (its file, its writer, its old schemas): true on SQLite;
/// on PostgreSQL, says that it is skipped and why, and false.
pub fn sqlite_only(why: &str) -> bool {
    if on_postgres() {
        eprintln!("skipped on PostgreSQL: {why}");
        return false;
    }
    true
}

/// Runs `future` to its end, for a test without a runtime of its own.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

pub use crate::sql::{Sql, each};
