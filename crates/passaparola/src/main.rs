//! `passaparola`: the command line. It parses arguments and calls the server and store
//! crates; it holds no business logic.

mod audit;
mod batch;
mod copy;
mod invitations;
mod jobs;
mod mail;
mod reviews;
mod shops;
mod users;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use app::backend::Backend;
use app::tokens;
use chrono::Utc;
use clap::{Parser, Subcommand};
use domain::business::{NewBusiness, Slug};
use ledger::note::LogSigner;
use store::Store;
use url::Url;

/// Passaparola: certified customer reviews, every one published, with a verifiable history.
#[derive(Debug, Parser)]
#[command(name = "passaparola", version, about)]
struct Cli {
    /// Where Passaparola keeps its files: the SQLite database (by default) and the instance
    /// key.
    #[arg(
        long,
        global = true,
        env = "PASSAPAROLA_DATA_DIR",
        default_value = "./data"
    )]
    data_dir: PathBuf,

    /// The database: `sqlite://PATH` (the embedded default). Defaults to `passaparola.db`
    /// in the data directory.
    #[arg(long, global = true, env = "PASSAPAROLA_DATABASE_URL")]
    database_url: Option<String>,

    /// Log filter (`info`, `debug`, `server=debug,info`, …).
    #[arg(long, global = true, env = "PASSAPAROLA_LOG", default_value = "info")]
    log: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// The address to listen on.
        #[arg(long, env = "PASSAPAROLA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The public address of this instance, for links (default: http://LISTEN).
        #[arg(long, env = "PASSAPAROLA_BASE_URL")]
        base_url: Option<Url>,
        /// Seed a demo data set (three Italian businesses) if it is not there yet.
        #[arg(long, env = "PASSAPAROLA_DEMO")]
        demo: bool,
        /// The public log's name, used when its key is first created (default: the base
        /// URL without its scheme, followed by `/log`).
        #[arg(long, env = "PASSAPAROLA_LOG_ORIGIN")]
        log_origin: Option<String>,
        /// Served behind a reverse proxy that appends the client's address to
        /// `X-Forwarded-For` (used to limit failed log-ins per client).
        #[arg(long, env = "PASSAPAROLA_BEHIND_PROXY")]
        behind_proxy: bool,
        /// Serve every public read from the database, never from the in-process cache (for
        /// several servers on one database without a shared cache, and for benchmarks).
        #[arg(long, env = "PASSAPAROLA_NO_PUBLIC_CACHE")]
        no_public_cache: bool,
        /// Lift the limits on writes per credential and per client (docs/security.md): for
        /// benchmarks and load tests only, never for a public instance.
        #[arg(long, env = "PASSAPAROLA_NO_RATE_LIMITS")]
        no_rate_limits: bool,
        /// Connections served normally at once (default 10,000); kept below the descriptor
        /// limit, which the server raises to its hard limit. Past it, connections answer one
        /// request each under short timeouts.
        #[arg(long, env = "PASSAPAROLA_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
        max_connections: Option<u32>,
        /// Serve Prometheus metrics at `/metrics` on this address, a listener of its own
        /// (off by default; bind it where only your monitoring reaches).
        #[arg(long, env = "PASSAPAROLA_METRICS_LISTEN")]
        metrics_listen: Option<SocketAddr>,
        #[command(flatten)]
        mail: Box<mail::MailArgs>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Move an instance from its SQLite file to an empty PostgreSQL database: every business,
    /// user, key, invitation, review with its history, figure, and the log with the same
    /// entries and checkpoints. Stop the servers first. The target is written in one
    /// transaction: an interrupted copy leaves it empty, and can run again.
    Copy {
        /// The instance's SQLite database (`sqlite://PATH`).
        #[arg(long)]
        from: String,
        /// The empty PostgreSQL database (`postgres://…`), which must exist.
        #[arg(long)]
        to: String,
    },
    /// Copy the instance (the SQLite database and the data directory's keys) into a new
    /// file, while the server may go on writing.
    Backup {
        /// The backup file to create (readable by its owner only).
        file: PathBuf,
    },
    /// Restore a backup into a data directory that holds neither a database nor keys;
    /// refused unless the copy's log verifies against its signed checkpoint.
    Restore {
        file: PathBuf,
        /// The log's verifier key as auditors know it: a backup of another log is refused.
        #[arg(long)]
        key: Option<String>,
    },
    /// Manage businesses.
    #[command(subcommand)]
    Business(BusinessCommand),
    /// The public log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Manage the people who log in to a business's pages.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Invitations: import them from a CSV file.
    #[command(subcommand)]
    Invitations(invitations::InvitationsCommand),
    /// Act on reviews as the operator; import reviews collected elsewhere.
    #[command(subcommand, visible_alias = "reviews")]
    Review(reviews::ReviewCommandCli),
    /// Connect a business's shop (Shopify, WooCommerce): its orders become invitations.
    #[command(subcommand)]
    Shop(shops::ShopCommand),
    /// The outbox: invitation e-mail waiting to be sent, sent, failed or cancelled.
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Audit a Passaparola log from the outside, with its verifier key only.
    #[command(subcommand)]
    Verify(VerifyCommand),
}

#[derive(Debug, Subcommand)]
enum VerifyCommand {
    /// Verify a review's receipt (a `.tlog-proof` file) offline.
    Receipt {
        file: PathBuf,
        /// The log's verifier key (`<origin>+<id>+<base64>`), obtained from its operator.
        #[arg(long)]
        key: String,
    },
    /// Monitor a log: check its checkpoint, every entry, tile and review chain, and its
    /// consistency with the checkpoint seen last time (kept in `--state`).
    Log {
        /// The log's prefix URL (`https://host/log`, as C2SP tools take it) or the
        /// instance's base URL (`https://host`, whose log is under `/log`).
        url: String,
        #[arg(long)]
        key: String,
        /// A file holding the last checkpoint seen; created or updated on success.
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Print the log's verifier key (`<origin>+<id>+<base64>`), to give to auditors.
    Key,
}

#[derive(Debug, Subcommand)]
enum BusinessCommand {
    /// Register a business and print its first API key (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// The short name in its address, such as `trattoria-da-gino`.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        website: Option<String>,
    },
    /// Revoke every API key of a business and print a new one (shown once).
    RotateKey {
        #[arg(long)]
        slug: String,
    },
    /// Make a new secret for the links the business's shop signs itself
    /// (docs/invitation-links.md) and print it (shown once); links signed with an earlier
    /// one stop working.
    LinkSecret {
        #[arg(long)]
        slug: String,
    },
}

/// The log directives that keep the PostgreSQL client's query parameters out of the log.
const NO_QUERY_PARAMETERS: [&str; 2] = ["tokio_postgres=info", "tokio_postgres::query=off"];

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The PostgreSQL client logs every query's parameters at debug level: customers' e-mail
    // addresses and names among them. Personal data is never logged, whatever level the
    // operator asks for.
    for directive in NO_QUERY_PARAMETERS {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the store. With the log's signer (the server) it checks and seals the log; the
/// other commands append their entries for the server to seal.
async fn open_store(cli: &Cli, signer: Option<LogSigner>) -> Result<Arc<dyn Store>> {
    Ok(open_backend(cli, signer).await?.store())
}

/// The backend that `--database-url` names (by default the SQLite file in the data
/// directory).
async fn open_backend(cli: &Cli, signer: Option<LogSigner>) -> Result<Backend> {
    let url = database_url(cli);
    Backend::open(&url, signer)
        .await
        .with_context(|| format!("opening the database {}", app::backend::redacted(&url)))
}

/// `--database-url`, or the SQLite file in the data directory.
fn database_url(cli: &Cli) -> String {
    match &cli.database_url {
        Some(url) => url.clone(),
        None => Backend::default_url(&cli.data_dir),
    }
}

fn log_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("log.key")
}

async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Serve {
            listen,
            base_url,
            demo,
            log_origin,
            behind_proxy,
            no_public_cache,
            no_rate_limits,
            max_connections,
            metrics_listen,
            mail,
        } => {
            if let Some(address) = metrics_listen {
                server::metrics::serve(*address).await?;
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            let local = listener.local_addr()?;
            let base_url = match base_url {
                Some(url) => url.clone(),
                None => Url::parse(&format!("http://{local}"))?,
            };
            let config = app::Config {
                data_dir: cli.data_dir.clone(),
                database_url: cli.database_url.clone(),
                base_url: base_url.clone(),
                log_origin: log_origin.clone(),
                demo: *demo,
                rate_limits: !*no_rate_limits,
                mail: mail.config()?,
            };
            let cache = if *no_public_cache {
                server::cache::PublicCache::disabled()
            } else {
                server::cache::PublicCache::default()
            };
            let built = app::build(&config, Arc::new(cache.clone())).await?;
            for b in &built.seeded {
                // Printed, not logged: API keys never reach a log line.
                println!("demo business {}: API key {}", b.slug, b.api_key.expose());
            }
            if *no_rate_limits {
                tracing::warn!("writes are not rate-limited (--no-rate-limits)");
            }
            if *demo && built.seeded.is_empty() {
                tracing::info!("demo data already present");
            }
            let mut state = server::AppState::new(built.app, cache);
            state.behind_proxy = *behind_proxy;
            state.max_connections = max_connections.map(|n| n as usize);
            // Open inboxes' event streams end at shutdown, so that draining need not wait.
            let live = state.live.clone();
            let shutdown = async move {
                shutdown_signal().await;
                tracing::info!("stopping: no new connections; finishing the requests in flight");
                live.close();
            };
            let store = state.store.clone();

            tracing::info!(%local, base_url = %base_url, "Passaparola is listening");
            println!("Passaparola is listening on http://{local}");
            server::serve(listener, state, shutdown).await?;
            // Every answered write was committed before its answer. One last write goes
            // through the writer behind anything still queued, and signs a checkpoint over
            // every entry, other processes' too.
            match tokio::time::timeout(FINAL_SEAL_WITHIN, store.seal_log()).await {
                Ok(Ok(())) => tracing::info!("stopped; the log's last checkpoint is signed"),
                Ok(Err(e)) => tracing::error!(error = %e, "stopped; the last checkpoint failed"),
                Err(_) => tracing::error!("stopped; the last checkpoint did not finish in time"),
            }
            Ok(())
        }
        Command::Backup { file } => {
            app::backup::backup(&cli.data_dir, &database_url(&cli), file)?;
            println!("backed up the instance to {}", file.display());
            println!("It holds the instance's keys: keep it as safe as the data directory.");
            Ok(())
        }
        Command::Restore { file, key } => {
            let url = database_url(&cli);
            let restored = app::backup::restore(&cli.data_dir, &url, file, key.as_deref())?;
            println!(
                "restored {} ({} log entries, verified against the signed checkpoint)",
                restored.database.display(),
                restored.entries
            );
            Ok(())
        }
        Command::Copy { from, to } => copy::run(from, to).await,
        Command::Migrate => {
            let backend = open_backend(&cli, None).await?;
            println!("{}", backend.describe().await?);
            Ok(())
        }
        Command::Business(BusinessCommand::Create {
            name,
            slug,
            website,
        }) => {
            let new = NewBusiness::parse(slug, name, website.as_deref()).map_err(|e| {
                let lines: Vec<_> =
                    e.0.iter()
                        .map(|f| format!("--{}: {}", f.field, f.message))
                        .collect();
                anyhow::anyhow!("invalid business:\n  {}", lines.join("\n  "))
            })?;
            let store = open_store(&cli, None).await?;
            let key = tokens::new_api_key();
            let business = store
                .create_business(new, key.hash(), Utc::now())
                .await
                .map_err(|e| match e {
                    store::StoreError::SlugTaken => {
                        anyhow::anyhow!("the slug {slug:?} is already taken")
                    }
                    e => e.into(),
                })?;
            println!("business id: {}", business.id);
            println!("slug:        {}", business.slug);
            println!("API key:     {}", key.expose());
            println!(
                "Keep the API key now: it is stored only as a hash and cannot be shown again."
            );
            Ok(())
        }
        Command::Log(command) => log_command(&cli, command).await,
        Command::Verify(VerifyCommand::Receipt { file, key }) => audit::receipt(file, key),
        Command::Verify(VerifyCommand::Log { url, key, state }) => {
            audit::log(url, key, state.as_deref()).await
        }
        Command::User(command) => {
            users::run(open_store(&cli, None).await?.as_ref(), command.clone()).await
        }
        Command::Invitations(command) => invitations::run(&cli, command).await,
        Command::Shop(command) => {
            shops::run(open_store(&cli, None).await?.as_ref(), command.clone()).await
        }
        Command::Business(BusinessCommand::LinkSecret { slug }) => {
            let store = open_store(&cli, None).await?;
            shops::link_secret(store.as_ref(), &cli.data_dir, slug).await
        }
        Command::Jobs(command) => {
            jobs::run(open_store(&cli, None).await?.as_ref(), command.clone()).await
        }
        Command::Review(command) => reviews::run(open_store(&cli, None).await?, command).await,
        Command::Business(BusinessCommand::RotateKey { slug }) => {
            let slug = Slug::parse(slug).map_err(|e| anyhow::anyhow!("--slug: {e}"))?;
            let store = open_store(&cli, None).await?;
            let key = app::accounts::rotate_keys(store.as_ref(), &slug)
                .await
                .map_err(|e| match e {
                    store::StoreError::NotFound(_) => {
                        anyhow::anyhow!("no business with the slug {slug}")
                    }
                    e => e.into(),
                })?;
            println!("API key:     {}", key.expose());
            println!(
                "Every earlier key of {slug} is revoked. Keep this one now: it cannot be shown again."
            );
            Ok(())
        }
    }
}

async fn log_command(cli: &Cli, command: &LogCommand) -> Result<()> {
    match command {
        LogCommand::Key => {
            let path = log_key_path(&cli.data_dir);
            let signer = tokens::load_log_key(&path)
                .with_context(|| format!("reading the log key {}", path.display()))?
                .with_context(|| {
                    format!(
                        "there is no log key at {} yet: start the server once to create it",
                        path.display()
                    )
                })?;
            println!("{}", signer.verifier_key());
            Ok(())
        }
    }
}

/// How long the last checkpoint may take at shutdown.
const FINAL_SEAL_WITHIN: std::time::Duration = std::time::Duration::from_secs(10);

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
