//! `passaparola invitations …`: invitations from the command line. `import` reads a CSV file
//! whole and checks every row before it writes anything (`app::import`), then creates the
//! invitations in file order, a few at a time, through the same use case as the API
//! (`app::invitations::invite`). Each invitation is found again by its reference, so a run
//! cut short is completed by running the same file again.
//!
//! The command never sends e-mail itself: with the mail options, each new invitation's
//! e-mail is written to the outbox with it, and a running server started with the same
//! options sends it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use app::import::{ImportError, ImportRow};
use chrono::Utc;
use clap::Subcommand;

use crate::mail::MailArgs;

#[derive(Debug, Subcommand)]
pub enum InvitationsCommand {
    /// Import invitations from a CSV file, all of them or none.
    ///
    /// The header row names the columns, in any order: reference (required), email, name,
    /// relationship, locale, products (`SKU=Name;SKU=Name`), send_at (a time or a date).
    /// Every row is checked first: one bad row and nothing is imported. An invitation whose
    /// reference the business already has is left as it is, so the same file can be
    /// imported again safely.
    Import {
        /// The business's slug.
        #[arg(long)]
        business: String,
        /// The CSV file, in UTF-8, with a header row naming its columns.
        file: PathBuf,
        /// The same e-mail options as `passaparola serve`: with them, each new invitation
        /// with an e-mail address has its e-mail scheduled, for a running server to send.
        #[command(flatten)]
        mail: Box<MailArgs>,
    },
}

pub async fn run(cli: &crate::Cli, command: &InvitationsCommand) -> Result<()> {
    match command {
        InvitationsCommand::Import {
            business,
            file,
            mail,
        } => import(cli, business, file, mail).await,
    }
}

/// The command line writes no public cache: a server's watch notices other processes'
/// writes and drops its own.
#[derive(Debug)]
struct NoCache;

impl app::Invalidate for NoCache {
    fn invalidate(&self, _slug: &str) {}
}

async fn import(cli: &crate::Cli, slug: &str, file: &Path, mail: &MailArgs) -> Result<()> {
    // The options first: a mistake in them is found before anything else is done.
    let mailer = mail
        .config()?
        .as_ref()
        .map(app::mail::Mailer::new)
        .transpose()?;
    let data = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let now = Utc::now();
    let rows = app::import::parse(data.as_slice(), now).map_err(|e| match e {
        // Its message lists every bad line and says that nothing was imported.
        ImportError::Rows(_) => anyhow!("{}: {e}", file.display()),
        e => anyhow!("{}: {e}; nothing was imported", file.display()),
    })?;

    let store = crate::open_store(cli, None).await?;
    let business = store
        .business_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow!("no business has the slug {slug:?}; nothing was imported"))?;
    let instance_key = instance_key(cli)?;
    let app = app::App::new(app::Inner {
        store,
        // The same key as the server's: invitation tokens derive from it.
        instance_key,
        // Used for links only, and this command prints none: the e-mail's links are
        // rendered by the server that sends it, with its own base URL.
        base_url: url::Url::parse("http://localhost")?,
        log_verifier_key: None,
        logins: Default::default(),
        hashing: Default::default(),
        limits: app::limits::Limits::new(true),
        live: Default::default(),
        cache: Arc::new(NoCache),
        // Only to schedule the e-mail: no worker runs in this process.
        mail: mailer,
    });

    let progress = crate::batch::progress(rows.len(), format!("importing into {slug}"));
    let mut tally = Tally::default();
    let rows = rows.into_iter().map(
        |ImportRow {
             line, invitation, ..
         }| (line, invitation),
    );
    let failed = crate::batch::write_all(
        rows,
        &progress,
        |invitation| {
            let has_email = invitation.customer_email.is_some();
            let app = app.clone();
            tokio::spawn(async move {
                app::invitations::invite(&app, business.id, invitation, now)
                    .await
                    .map(|invited| (invited.write.created, has_email))
            })
        },
        |(created, has_email)| tally.count(created, has_email),
    )
    .await;
    if let Some((line, error)) = failed {
        progress.abandon();
        bail!(
            "{}, line {line}: {error}\n\
             the import stopped there: {} new invitation(s) were written and {} were already \
             there; the rows from line {line} on were not all imported. Running the same \
             command again is safe: it leaves the invitations already there as they are (same \
             reference) and imports the rest",
            file.display(),
            tally.created,
            tally.existing,
        );
    }
    progress.finish_and_clear();

    println!(
        "imported {} invitations ({} already there)",
        tally.created, tally.existing
    );
    if tally.with_email > 0 {
        if app.mail.is_some() {
            println!(
                "e-mail scheduled for {} of them: a server running with --smtp-url sends it",
                tally.with_email
            );
        } else {
            println!(
                "no e-mail scheduled: pass --smtp-url and --mail-from (as to passaparola serve) \
                 to have the {} new invitation(s) with an e-mail address mailed. Importing the \
                 file again will not mail the ones imported now",
                tally.with_email
            );
        }
    }
    Ok(())
}

/// The instance's key, which derives the invitations' tokens: the server's, from the same
/// data directory. The server creates it at its first start; this command creates it only
/// beside the SQLite database it belongs with. Anywhere else a missing key means another
/// data directory than the server's, and a new key there would give every imported
/// invitation a link that the server's e-mail could not carry.
fn instance_key(cli: &crate::Cli) -> Result<app::tokens::InstanceKey> {
    let path = cli.data_dir.join("instance.key");
    if !path.exists() {
        let url = crate::database_url(cli);
        let directory = |p: &Path| std::fs::canonicalize(p).ok();
        let beside = app::backend::Backend::is_sqlite(&url)
            && store_sqlite::path_from_url(&url).is_ok_and(|database| {
                let parent = database.parent().and_then(directory);
                parent.is_some() && parent == directory(&cli.data_dir)
            });
        if !beside {
            bail!(
                "there is no instance key at {}: point --data-dir at the server's data \
                 directory (or a copy of its keys), or start the server once with this one; \
                 nothing was imported",
                path.display()
            );
        }
    }
    Ok(app::config::instance_key(&cli.data_dir)?)
}

/// What the rows written so far did.
#[derive(Debug, Default)]
struct Tally {
    created: u64,
    existing: u64,
    /// New invitations with an e-mail address.
    with_email: u64,
}

impl Tally {
    fn count(&mut self, created: bool, has_email: bool) {
        if created {
            self.created += 1;
            self.with_email += u64::from(has_email);
        } else {
            self.existing += 1;
        }
    }
}
