//! The outbox (see `store::outbox`), as SQLite's: jobs, unsubscribed addresses, mail
//! settings. Several servers drain it at once: a claim takes due jobs `FOR UPDATE SKIP
//! LOCKED`, so each goes to one server, and leases them before anything is sent.

use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, InvitationId};
use store::{Job, JobKind, JobOutcome, JobState, MailSettings, NewMail};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::db::{Db, Result, corrupt, from_ms, to_ms};
use crate::{PostgresStore, StoreResult};

/// Schedules a new invitation's e-mail and its reminder (inside the invitation's write).
pub(crate) async fn schedule(
    db: &dyn Db,
    business: BusinessId,
    invitation: InvitationId,
    mail: &NewMail,
    at: DateTime<Utc>,
) -> Result<()> {
    let jobs = std::iter::once((mail.job, JobKind::Invitation, mail.send_at))
        .chain(mail.reminder.map(|(id, due)| (id, JobKind::Reminder, due)));
    for (id, kind, due) in jobs {
        db.execute(
            "INSERT INTO outbox (id, kind, business_id, invitation_id, due_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id,
                &kind.as_str(),
                &business.0,
                &invitation.0,
                &to_ms(due),
                &to_ms(at),
            ],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn is_suppressed(
    db: &dyn Db,
    business: BusinessId,
    hash: &[u8; 32],
) -> Result<bool> {
    let hash: &[u8] = hash;
    Ok(db
        .query_opt(
            "SELECT 1 FROM mail_suppressions WHERE business_id = $1 AND email_hash = $2",
            &[&business.0, &hash],
        )
        .await?
        .is_some())
}

const COLUMNS: &str = "id, kind, business_id, invitation_id, state, due_at, attempts, \
                       last_error, created_at, done_at";

fn decode(r: &Row) -> Result<Job> {
    let kind: String = r.try_get(1)?;
    let state: String = r.try_get(4)?;
    let attempts: i32 = r.try_get(6)?;
    let invitation: Option<Uuid> = r.try_get(3)?;
    let done: Option<i64> = r.try_get(9)?;
    Ok(Job {
        id: r.try_get(0)?,
        kind: JobKind::parse(&kind).ok_or_else(|| corrupt("job kind", &kind))?,
        business_id: BusinessId(r.try_get(2)?),
        invitation_id: invitation.map(InvitationId),
        state: JobState::parse(&state).ok_or_else(|| corrupt("job state", &state))?,
        due_at: from_ms(r.try_get(5)?)?,
        attempts: u32::try_from(attempts).map_err(|_| corrupt("attempts", attempts))?,
        last_error: r.try_get(7)?,
        created_at: from_ms(r.try_get(8)?)?,
        done_at: done.map(from_ms).transpose()?,
    })
}

async fn finish(
    db: &dyn Db,
    id: Uuid,
    attempt: u32,
    outcome: &JobOutcome,
    at: DateTime<Utc>,
) -> Result<bool> {
    // Only the latest claim's outcome counts: a worker that outlived its lease, or whose job
    // was cancelled meanwhile, changes nothing.
    let attempt = i32::try_from(attempt).unwrap_or(i32::MAX);
    let Some(found) = db
        .query_opt(
            "SELECT kind, invitation_id FROM outbox
             WHERE id = $1 AND state = 'pending' AND attempts = $2 FOR UPDATE",
            &[&id, &attempt],
        )
        .await?
    else {
        return Ok(false);
    };
    let kind: String = found.try_get(0)?;
    let invitation: Option<Uuid> = found.try_get(1)?;
    let (state, error) = match outcome {
        JobOutcome::Sent => (JobState::Sent, None),
        JobOutcome::Retry { at: again, error } => {
            db.execute(
                "UPDATE outbox SET due_at = $2, leased_until = NULL, last_error = $3
                 WHERE id = $1 AND state = 'pending'",
                &[&id, &to_ms(*again), error],
            )
            .await?;
            return Ok(true);
        }
        JobOutcome::Failed { error, .. } => (JobState::Failed, Some(error.as_str())),
        JobOutcome::Cancelled { reason } => (JobState::Cancelled, Some(reason.as_str())),
    };
    db.execute(
        "UPDATE outbox SET state = $2, leased_until = NULL, done_at = $3,
             last_error = COALESCE($4, last_error)
         WHERE id = $1",
        &[&id, &state.as_str(), &to_ms(at), &error],
    )
    .await?;
    let Some(invitation) = invitation else {
        return Ok(true);
    };
    let kind = JobKind::parse(&kind).ok_or_else(|| corrupt("job kind", &kind))?;
    let status = outcome.mail_status(kind);
    if let Some(status) = status {
        db.execute(
            "UPDATE invitations SET mail_status = $2, mail_error = $3
             WHERE id = $1 AND mail_status <> 'unsubscribed'",
            &[&invitation, &status.as_str(), &error],
        )
        .await?;
    }
    // An address that can never receive the invitation cannot receive its reminder.
    if outcome.cancels_the_rest(kind) {
        db.execute(
            "UPDATE outbox SET state = 'cancelled', done_at = $2,
                 last_error = 'the invitation e-mail failed'
             WHERE invitation_id = $1 AND state = 'pending'",
            &[&invitation, &to_ms(at)],
        )
        .await?;
    }
    Ok(true)
}

async fn suppress(
    db: &dyn Db,
    business: BusinessId,
    hash: &[u8; 32],
    at: DateTime<Utc>,
) -> Result<u64> {
    let hash: &[u8] = hash;
    db.execute(
        "INSERT INTO mail_suppressions (business_id, email_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&business.0, &hash, &to_ms(at)],
    )
    .await?;
    let cancelled = db
        .execute(
            "UPDATE outbox SET state = 'cancelled', done_at = $3, leased_until = NULL,
                 last_error = 'the address unsubscribed'
             WHERE state = 'pending' AND invitation_id IN
                 (SELECT id FROM invitations WHERE business_id = $1 AND email_hash = $2)",
            &[&business.0, &hash, &to_ms(at)],
        )
        .await?;
    db.execute(
        "UPDATE invitations SET mail_status = 'unsubscribed'
         WHERE business_id = $1 AND email_hash = $2 AND mail_status = 'scheduled'",
        &[&business.0, &hash],
    )
    .await?;
    Ok(cancelled)
}

/// A reminder cancelled with its invitation e-mail (which failed, or was cancelled) comes
/// back when that e-mail is tried again: due the business's reminder delay after this new
/// attempt at the earliest, and only while the business sends reminders. (One cancelled
/// for an unsubscribe, or by the operator, stays cancelled.)
async fn restore_reminder(db: &dyn Db, job: Uuid, at: DateTime<Utc>) -> Result<()> {
    let Some(row) = db
        .query_opt(
            "SELECT invitation_id, business_id FROM outbox
             WHERE id = $1 AND kind = 'invitation' AND invitation_id IS NOT NULL",
            &[&job],
        )
        .await?
    else {
        return Ok(());
    };
    let invitation: Uuid = row.try_get(0)?;
    let business = BusinessId(row.try_get(1)?);
    let Some(days) = settings(db, business).await?.reminder_days else {
        return Ok(());
    };
    let earliest = at + chrono::Duration::days(i64::from(days));
    db.execute(
        "UPDATE outbox SET state = 'pending', due_at = GREATEST(due_at, $2), attempts = 0,
             leased_until = NULL, done_at = NULL, last_error = NULL
         WHERE invitation_id = $1 AND kind = 'reminder' AND state = 'cancelled'
           AND last_error IN ('the invitation e-mail failed',
                              'the invitation e-mail was cancelled')",
        &[&invitation, &to_ms(earliest)],
    )
    .await?;
    Ok(())
}

async fn settings(db: &dyn Db, business: BusinessId) -> Result<MailSettings> {
    let row = db
        .query_opt(
            "SELECT shop_delay_hours, reminder_days FROM mail_settings WHERE business_id = $1",
            &[&business.0],
        )
        .await?;
    let Some(row) = row else {
        return Ok(MailSettings::default());
    };
    let (delay, reminder): (i32, Option<i32>) = (row.try_get(0)?, row.try_get(1)?);
    Ok(MailSettings {
        shop_delay_hours: u32::try_from(delay).map_err(|_| corrupt("delay", delay))?,
        reminder_days: reminder
            .map(|d| u32::try_from(d).map_err(|_| corrupt("reminder", d)))
            .transpose()?,
    })
}

#[async_trait::async_trait]
impl store::Outbox for PostgresStore {
    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> StoreResult<Vec<Job>> {
        let (now, until, limit) = (to_ms(now), to_ms(now + lease), i64::from(limit));
        let mut jobs = transaction!(self, tx => {
            let rows = Db::query(
                &tx,
                &format!(
                    "UPDATE outbox SET attempts = attempts + 1, leased_until = $2
                     WHERE id IN (SELECT id FROM outbox
                                  WHERE state = 'pending' AND due_at <= $1
                                    AND (leased_until IS NULL OR leased_until <= $1)
                                  ORDER BY due_at, id LIMIT $3
                                  FOR UPDATE SKIP LOCKED)
                     RETURNING {COLUMNS}"
                ),
                &[&now, &until, &limit],
            )
            .await?;
            rows.iter().map(decode).collect::<Result<Vec<_>>>()?
        })?;
        jobs.sort_by_key(|j| (j.due_at, j.id));
        Ok(jobs)
    }

    async fn finish_job(
        &self,
        id: Uuid,
        attempt: u32,
        outcome: JobOutcome,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        transaction!(self, tx => finish(&tx, id, attempt, &outcome, at).await?)
    }

    async fn jobs(
        &self,
        state: Option<JobState>,
        business: Option<BusinessId>,
        limit: u32,
    ) -> StoreResult<Vec<Job>> {
        let rows = Db::query(
            &client!(self),
            &format!(
                "SELECT {COLUMNS} FROM outbox
                 WHERE ($1::text IS NULL OR state = $1) AND ($2::uuid IS NULL OR business_id = $2)
                 ORDER BY created_at DESC, id DESC LIMIT $3"
            ),
            &[
                &state.map(JobState::as_str),
                &business.map(|b| b.0),
                &i64::from(limit),
            ],
        )
        .await?;
        Ok(rows.iter().map(decode).collect::<Result<Vec<_>>>()?)
    }

    async fn retry_job(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        transaction!(self, tx => {
            let changed = Db::execute(
                &tx,
                "UPDATE outbox SET state = 'pending', due_at = $2, attempts = 0,
                     leased_until = NULL, done_at = NULL
                 WHERE id = $1 AND state IN ('failed', 'cancelled')",
                &[&id, &to_ms(at)],
            )
            .await?;
            if changed > 0 {
                Db::execute(
                    &tx,
                    "UPDATE invitations SET mail_status = 'scheduled', mail_error = NULL
                     WHERE id = (SELECT invitation_id FROM outbox
                                 WHERE id = $1 AND kind = 'invitation')
                       AND mail_status IN ('failed', 'undeliverable')",
                    &[&id],
                )
                .await?;
                restore_reminder(&tx, id, at).await?;
            }
            changed > 0
        })
    }

    async fn cancel_job(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        transaction!(self, tx => {
            let cancelled = Db::query_opt(
                &tx,
                "UPDATE outbox SET state = 'cancelled', done_at = $2, leased_until = NULL,
                     last_error = 'cancelled by the operator'
                 WHERE id = $1 AND state = 'pending'
                   AND (leased_until IS NULL OR leased_until <= $2)
                 RETURNING kind, invitation_id",
                &[&id, &to_ms(at)],
            )
            .await?;
            match cancelled {
                None => false,
                Some(row) => {
                    let kind: String = row.try_get(0)?;
                    let invitation: Option<Uuid> = row.try_get(1)?;
                    if let (Some(invitation), Some(JobKind::Invitation)) =
                        (invitation, JobKind::parse(&kind))
                    {
                        // No invitation e-mail, so no reminder either; the business sees why.
                        Db::execute(
                            &tx,
                            "UPDATE invitations SET mail_status = 'failed',
                                 mail_error = 'cancelled by the operator'
                             WHERE id = $1 AND mail_status = 'scheduled'",
                            &[&invitation],
                        )
                        .await?;
                        Db::execute(
                            &tx,
                            "UPDATE outbox SET state = 'cancelled', done_at = $2,
                                 last_error = 'the invitation e-mail was cancelled'
                             WHERE invitation_id = $1 AND state = 'pending'",
                            &[&invitation, &to_ms(at)],
                        )
                        .await?;
                    }
                    true
                }
            }
        })
    }

    async fn suppress(
        &self,
        business: BusinessId,
        recipient: [u8; 32],
        at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        transaction!(self, tx => suppress(&tx, business, &recipient, at).await?)
    }

    async fn is_suppressed(&self, business: BusinessId, recipient: [u8; 32]) -> StoreResult<bool> {
        Ok(is_suppressed(&client!(self), business, &recipient).await?)
    }

    async fn mail_settings(&self, business: BusinessId) -> StoreResult<MailSettings> {
        Ok(settings(&client!(self), business).await?)
    }

    async fn set_mail_settings(
        &self,
        business: BusinessId,
        settings: MailSettings,
    ) -> StoreResult<()> {
        let delay = i32::try_from(settings.shop_delay_hours).unwrap_or(i32::MAX);
        let reminder = settings
            .reminder_days
            .map(|d| i32::try_from(d).unwrap_or(i32::MAX));
        transaction!(self, tx => {
            Db::execute(
                &tx,
                "INSERT INTO mail_settings (business_id, shop_delay_hours, reminder_days)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (business_id) DO UPDATE SET
                     shop_delay_hours = excluded.shop_delay_hours,
                     reminder_days = excluded.reminder_days",
                &[&business.0, &delay, &reminder],
            )
            .await?;
        })
    }
}
