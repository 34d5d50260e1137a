//! The worker that drains the outbox: it claims due jobs (each claim is committed before
//! anything is sent), sends each, and records the outcome. Transient failures are tried
//! again after an exponential backoff with jitter, up to [`MAX_ATTEMPTS`]; then the job
//! fails visibly (`passaparola jobs list --state failed`, the invitations page). A
//! permanent refusal of the address marks the invitation undeliverable at once.
//!
//! It wakes when a job is due now (the use case rings [`super::MailerInner::wake`]) and
//! at least every second, for jobs that come due and for jobs other servers wrote.

use std::time::Duration;

use chrono::Utc;
use lettre::AsyncTransport;
use store::{Job, JobKind, JobOutcome, MailStatus};

use super::Mailer;
use crate::App;

/// Attempts before a job fails for good.
pub const MAX_ATTEMPTS: u32 = 8;
/// Jobs claimed at once: one, so that each job's lease starts when its own send does (a
/// batch's last jobs would wait for the others' sends, and their leases could run out).
const BATCH: u32 = 1;
/// How often the worker looks for due jobs when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);

/// Starts the worker (one per server; on PostgreSQL the servers share the work).
pub fn spawn(app: App, mailer: Mailer) {
    tokio::spawn(async move {
        loop {
            match drain(&app, &mailer).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "the outbox could not be read"),
            }
            tokio::select! {
                () = mailer.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
}

/// Sends one batch of due jobs; whether there may be more.
async fn drain(app: &App, mailer: &Mailer) -> store::Result<bool> {
    let lease = chrono::Duration::from_std(mailer.lease).unwrap_or(chrono::Duration::minutes(5));
    let jobs = app.store.claim_jobs(Utc::now(), lease, BATCH).await?;
    let full = jobs.len() == BATCH as usize;
    for job in jobs {
        let outcome = run(app, mailer, &job).await;
        let kind = match &outcome {
            JobOutcome::Sent => "sent",
            JobOutcome::Retry { .. } => "retry",
            JobOutcome::Failed { .. } => "failed",
            JobOutcome::Cancelled { .. } => "cancelled",
        };
        metrics::counter!("passaparola_outbox_jobs_total", "kind" => job.kind.as_str(), "outcome" => kind)
            .increment(1);
        tracing::info!(job = %job.id, kind = job.kind.as_str(), attempt = job.attempts, outcome = kind, "outbox job");
        if !app
            .store
            .finish_job(job.id, job.attempts, outcome, Utc::now())
            .await?
        {
            tracing::warn!(job = %job.id, "an outbox job moved on while it was being sent");
        }
    }
    Ok(full)
}

/// Decides and sends one job.
async fn run(app: &App, mailer: &Mailer, job: &Job) -> JobOutcome {
    let cancelled = |reason: &str| JobOutcome::Cancelled {
        reason: reason.to_owned(),
    };
    let Some(id) = job.invitation_id else {
        return cancelled("the job names no invitation");
    };
    let invitation = match app.store.invitation_by_id(id).await {
        Ok(Some(i)) => i,
        Ok(None) => return cancelled("the invitation no longer exists"),
        Err(e) => return retry(job, format!("reading the invitation: {e}")),
    };
    let now = Utc::now();
    let Some(email) = invitation.customer_email.clone() else {
        return cancelled("the invitation has no address (erased)");
    };
    if invitation.used_at.is_some() {
        return cancelled("the invitation was answered");
    }
    if invitation.expires_at <= now {
        return cancelled("the invitation expired");
    }
    let recipient = app.instance_key.recipient_hash(&email);
    match app
        .store
        .is_suppressed(invitation.business_id, recipient)
        .await
    {
        Ok(true) => return cancelled("the address unsubscribed"),
        Ok(false) => {}
        Err(e) => return retry(job, format!("reading the unsubscribed addresses: {e}")),
    }
    if job.kind == JobKind::Reminder {
        match invitation.mail {
            MailStatus::Sent => {}
            // The invitation itself is still on its way: remind later.
            MailStatus::Scheduled => {
                return JobOutcome::Retry {
                    at: now + chrono::Duration::hours(1),
                    error: "waiting for the invitation e-mail".into(),
                };
            }
            _ => return cancelled("the invitation e-mail was not delivered"),
        }
    }
    let template = match app
        .store
        .template(invitation.business_id, invitation.locale)
        .await
    {
        Ok(t) => t,
        Err(e) => return retry(job, format!("reading the invitation template: {e}")),
    };
    let message =
        match super::message::build(app, mailer, job, &invitation, template.as_ref(), &email) {
            Ok(m) => m,
            Err(e) => {
                return JobOutcome::Failed {
                    error: e.to_string(),
                    undeliverable: true,
                };
            }
        };
    // lettre's own timeout covers connecting only; a server that stalls after that would
    // hold the job past its lease, and another server could claim and send it again.
    let deadline = mailer.lease / 2;
    let Ok(sent) = tokio::time::timeout(deadline, mailer.transport.send(message)).await else {
        return retry(job, "the SMTP server did not answer in time".into());
    };
    match sent {
        Ok(_) => JobOutcome::Sent,
        Err(e) if refuses_address(&e) => JobOutcome::Failed {
            error: smtp_error(&e),
            undeliverable: true,
        },
        Err(e) => retry(job, smtp_error(&e)),
    }
}

/// Whether the receiving server refused the address for good (a 5xx on the mailbox),
/// rather than refusing us (authentication, policy), which is the operator's to fix.
fn refuses_address(e: &lettre::transport::smtp::Error) -> bool {
    e.is_permanent()
        && e.status()
            .is_some_and(|code| matches!(code.to_string().as_str(), "550" | "551" | "553"))
}

/// An SMTP failure for the job list: lettre's message is the server's reply, which names
/// the address in some servers' words; keep the code and the first words only.
fn smtp_error(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) => format!("the SMTP server answered {code}"),
        None if e.is_timeout() => "the SMTP server did not answer in time".into(),
        None => "the SMTP server could not be reached".into(),
    }
}

/// Tries again after a backoff, or gives up after [`MAX_ATTEMPTS`].
fn retry(job: &Job, error: String) -> JobOutcome {
    if job.attempts >= MAX_ATTEMPTS {
        return JobOutcome::Failed {
            error,
            undeliverable: false,
        };
    }
    JobOutcome::Retry {
        at: Utc::now() + backoff(job.attempts, rand::random()),
        error,
    }
}

/// The wait before attempt `attempts + 1`: 30 s doubled per attempt, at most 6 hours, with
/// "equal jitter" (half fixed, half random, from `unit` in [0, 1)) so that jobs failed
/// together do not come back together.
pub fn backoff(attempts: u32, unit: f64) -> chrono::Duration {
    let base = 30i64.saturating_mul(1 << attempts.saturating_sub(1).min(20));
    let capped = base.min(6 * 3600);
    let half = capped / 2;
    chrono::Duration::seconds(half + (half as f64 * unit.clamp(0.0, 1.0)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        assert_eq!(backoff(1, 0.0).num_seconds(), 15);
        assert_eq!(backoff(1, 1.0).num_seconds(), 30);
        assert_eq!(backoff(2, 1.0).num_seconds(), 60);
        assert_eq!(backoff(3, 0.5).num_seconds(), 90);
        assert_eq!(backoff(30, 1.0).num_seconds(), 6 * 3600);
        for a in 1..=MAX_ATTEMPTS {
            assert!(backoff(a, 0.0) <= backoff(a, 0.99));
            assert!(backoff(a, 0.99) <= backoff(a + 1, 0.0) * 2);
        }
    }
}
