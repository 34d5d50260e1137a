//! `passaparola jobs …`: the outbox, for the operator. What leaves the building (invitation
//! e-mail now) waits there until a server sends it; a job that failed for good stays
//! visible until someone retries or cancels it.

use anyhow::{Result, anyhow, bail};
use chrono::Utc;
use clap::Subcommand;
use store::{JobState, Store};

#[derive(Debug, Clone, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List {
        /// Only jobs in this state: pending, sent, failed or cancelled.
        #[arg(long)]
        state: Option<String>,
        /// Only this business's jobs (its slug).
        #[arg(long)]
        business: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Send a failed or cancelled job again, now (with the same Message-ID).
    Retry { id: String },
    /// Cancel a pending job: it will not be sent.
    Cancel { id: String },
}

pub async fn run(store: &dyn Store, command: JobsCommand) -> Result<()> {
    match command {
        JobsCommand::List {
            state,
            business,
            limit,
        } => {
            let state = state
                .map(|s| {
                    JobState::parse(&s).ok_or_else(|| {
                        anyhow!("--state {s:?}: one of pending, sent, failed, cancelled")
                    })
                })
                .transpose()?;
            let business = match business {
                None => None,
                Some(slug) => Some(
                    store
                        .business_by_slug(&slug)
                        .await?
                        .ok_or_else(|| anyhow!("no business has the slug {slug:?}"))?
                        .id,
                ),
            };
            let jobs = store.jobs(state, business, limit).await?;
            if jobs.is_empty() {
                println!("no jobs");
            }
            for j in jobs {
                println!(
                    "{}  {:<10} {:<9} attempts {:<2} due {}  {}",
                    j.id,
                    j.kind.as_str(),
                    j.state.as_str(),
                    j.attempts,
                    j.due_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    j.last_error.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        JobsCommand::Retry { id } => {
            if store.retry_job(parse(&id)?, Utc::now()).await? {
                println!("job {id} will be sent again now");
                Ok(())
            } else {
                bail!("no failed or cancelled job has the id {id}")
            }
        }
        JobsCommand::Cancel { id } => {
            if store.cancel_job(parse(&id)?, Utc::now()).await? {
                println!("job {id} cancelled");
                Ok(())
            } else {
                bail!("no pending job has the id {id}")
            }
        }
    }
}

fn parse(id: &str) -> Result<uuid::Uuid> {
    id.parse()
        .map_err(|_| anyhow!("{id:?} is not a job id (a UUID, as `jobs list` shows)"))
}
