//! The outbox (see `store::outbox`): jobs, unsubscribed addresses, mail settings. Every
//! change runs on the writer, so a job is committed with the write that caused it.

use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, InvitationId};
use rusqlite::{Connection, OptionalExtension, params};
use store::{Job, JobKind, JobOutcome, JobState, MailSettings, NewMail};
use uuid::Uuid;

use crate::{Result, corrupt, from_ms, parse_uuid, to_ms};

/// Schedules a new invitation's e-mail and its reminder (inside the invitation's write).
pub(crate) fn schedule(
    c: &Connection,
    business: BusinessId,
    invitation: InvitationId,
    mail: &NewMail,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut insert = c.prepare_cached(
        "INSERT INTO outbox (id, kind, business_id, invitation_id, due_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let jobs = std::iter::once((mail.job, JobKind::Invitation, mail.send_at))
        .chain(mail.reminder.map(|(id, due)| (id, JobKind::Reminder, due)));
    for (id, kind, due) in jobs {
        insert.execute(params![
            id.to_string(),
            kind.as_str(),
            business.to_string(),
            invitation.to_string(),
            to_ms(due),
            to_ms(at),
        ])?;
    }
    Ok(())
}

pub(crate) fn is_suppressed(c: &Connection, business: BusinessId, hash: &[u8; 32]) -> Result<bool> {
    Ok(c.prepare_cached(
        "SELECT 1 FROM mail_suppressions WHERE business_id = ?1 AND email_hash = ?2",
    )?
    .query_row(params![business.to_string(), hash.as_slice()], |_| Ok(()))
    .optional()?
    .is_some())
}

const COLUMNS: &str = "id, kind, business_id, invitation_id, state, due_at, attempts, \
                       last_error, created_at, done_at";

fn job(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

type Raw = (
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    Option<i64>,
);

fn decode(raw: Raw) -> Result<Job> {
    let (id, kind, business, invitation, state, due_at, attempts, last_error, created, done) = raw;
    Ok(Job {
        id: parse_uuid(&id)?,
        kind: JobKind::parse(&kind).ok_or_else(|| corrupt("job kind", &kind))?,
        business_id: BusinessId(parse_uuid(&business)?),
        invitation_id: invitation
            .map(|i| parse_uuid(&i).map(InvitationId))
            .transpose()?,
        state: JobState::parse(&state).ok_or_else(|| corrupt("job state", &state))?,
        due_at: from_ms(due_at)?,
        attempts: u32::try_from(attempts).map_err(|_| corrupt("attempts", attempts))?,
        last_error,
        created_at: from_ms(created)?,
        done_at: done.map(from_ms).transpose()?,
    })
}

pub(crate) fn claim(
    c: &Connection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: u32,
) -> Result<Vec<Job>> {
    let raws = c
        .prepare_cached(&format!(
            "UPDATE outbox SET attempts = attempts + 1, leased_until = ?2
             WHERE id IN (SELECT id FROM outbox
                          WHERE state = 'pending' AND due_at <= ?1
                            AND (leased_until IS NULL OR leased_until <= ?1)
                          ORDER BY due_at, id LIMIT ?3)
             RETURNING {COLUMNS}"
        ))?
        .query_map(params![to_ms(now), to_ms(now + lease), limit], job)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut jobs = raws.into_iter().map(decode).collect::<Result<Vec<_>>>()?;
    jobs.sort_by_key(|j| (j.due_at, j.id));
    Ok(jobs)
}

pub(crate) fn finish(
    c: &Connection,
    id: Uuid,
    attempt: u32,
    outcome: &JobOutcome,
    at: DateTime<Utc>,
) -> Result<bool> {
    // Only the latest claim's outcome counts: a worker that outlived its lease, or whose job
    // was cancelled meanwhile, changes nothing.
    let found: Option<(String, Option<String>)> = c
        .prepare_cached(
            "SELECT kind, invitation_id FROM outbox
             WHERE id = ?1 AND state = 'pending' AND attempts = ?2",
        )?
        .query_row(params![id.to_string(), attempt], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((kind, invitation)) = found else {
        return Ok(false);
    };
    let (state, error) = match outcome {
        JobOutcome::Sent => (JobState::Sent, None),
        JobOutcome::Retry { at: again, error } => {
            c.prepare_cached(
                "UPDATE outbox SET due_at = ?2, leased_until = NULL, last_error = ?3
                 WHERE id = ?1 AND state = 'pending'",
            )?
            .execute(params![id.to_string(), to_ms(*again), error])?;
            return Ok(true);
        }
        JobOutcome::Failed { error, .. } => (JobState::Failed, Some(error.as_str())),
        JobOutcome::Cancelled { reason } => (JobState::Cancelled, Some(reason.as_str())),
    };
    c.prepare_cached(
        "UPDATE outbox SET state = ?2, leased_until = NULL, done_at = ?3,
             last_error = COALESCE(?4, last_error)
         WHERE id = ?1",
    )?
    .execute(params![id.to_string(), state.as_str(), to_ms(at), error])?;
    let Some(invitation) = invitation else {
        return Ok(true);
    };
    let kind = JobKind::parse(&kind).ok_or_else(|| corrupt("job kind", &kind))?;
    let status = outcome.mail_status(kind);
    if let Some(status) = status {
        c.prepare_cached(
            "UPDATE invitations SET mail_status = ?2, mail_error = ?3 WHERE id = ?1
               AND mail_status <> 'unsubscribed'",
        )?
        .execute(params![invitation, status.as_str(), error])?;
    }
    // An address that can never receive the invitation cannot receive its reminder.
    if outcome.cancels_the_rest(kind) {
        c.prepare_cached(
            "UPDATE outbox SET state = 'cancelled', done_at = ?2,
                 last_error = 'the invitation e-mail failed'
             WHERE invitation_id = ?1 AND state = 'pending'",
        )?
        .execute(params![invitation, to_ms(at)])?;
    }
    Ok(true)
}

pub(crate) fn list(
    c: &Connection,
    state: Option<JobState>,
    business: Option<BusinessId>,
    limit: u32,
) -> Result<Vec<Job>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR business_id = ?2)
         ORDER BY created_at DESC, id DESC LIMIT ?3"
    ))?
    .query_map(
        params![
            state.map(JobState::as_str),
            business.map(|b| b.to_string()),
            limit
        ],
        job,
    )?
    .collect::<rusqlite::Result<Vec<_>>>()?
    .into_iter()
    .map(decode)
    .collect()
}

pub(crate) fn retry(c: &Connection, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
    let changed = c
        .prepare_cached(
            "UPDATE outbox SET state = 'pending', due_at = ?2, attempts = 0,
                 leased_until = NULL, done_at = NULL
             WHERE id = ?1 AND state IN ('failed', 'cancelled')",
        )?
        .execute(params![id.to_string(), to_ms(at)])?;
    if changed > 0 {
        // The invitation's e-mail is on its way again (unless the address unsubscribed:
        // then the worker cancels it when it comes due).
        c.prepare_cached(
            "UPDATE invitations SET mail_status = 'scheduled', mail_error = NULL
             WHERE id = (SELECT invitation_id FROM outbox WHERE id = ?1 AND kind = 'invitation')
               AND mail_status IN ('failed', 'undeliverable')",
        )?
        .execute([id.to_string()])?;
        restore_reminder(c, id, at)?;
    }
    Ok(changed > 0)
}

/// A reminder cancelled with its invitation e-mail (which failed, or was cancelled) comes
/// back when that e-mail is tried again: due the business's reminder delay after this new
/// attempt at the earliest, and only while the business sends reminders. (One cancelled
/// for an unsubscribe, or by the operator, stays cancelled.)
fn restore_reminder(c: &Connection, job: Uuid, at: DateTime<Utc>) -> Result<()> {
    let found: Option<(String, String)> = c
        .prepare_cached(
            "SELECT invitation_id, business_id FROM outbox
             WHERE id = ?1 AND kind = 'invitation' AND invitation_id IS NOT NULL",
        )?
        .query_row([job.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((invitation, business)) = found else {
        return Ok(());
    };
    let business = BusinessId(crate::parse_uuid(&business)?);
    let Some(days) = settings(c, business)?.reminder_days else {
        return Ok(());
    };
    let earliest = at + chrono::Duration::days(i64::from(days));
    c.prepare_cached(
        "UPDATE outbox SET state = 'pending', due_at = MAX(due_at, ?2), attempts = 0,
             leased_until = NULL, done_at = NULL, last_error = NULL
         WHERE invitation_id = ?1 AND kind = 'reminder' AND state = 'cancelled'
           AND last_error IN ('the invitation e-mail failed',
                              'the invitation e-mail was cancelled')",
    )?
    .execute(params![invitation, to_ms(earliest)])?;
    Ok(())
}

pub(crate) fn cancel(c: &Connection, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
    let cancelled: Option<(String, Option<String>)> = c
        .prepare_cached(
            "UPDATE outbox SET state = 'cancelled', done_at = ?2, leased_until = NULL,
                 last_error = 'cancelled by the operator'
             WHERE id = ?1 AND state = 'pending'
               AND (leased_until IS NULL OR leased_until <= ?2)
             RETURNING kind, invitation_id",
        )?
        .query_row(params![id.to_string(), to_ms(at)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((kind, invitation)) = cancelled else {
        return Ok(false);
    };
    if let (Some(invitation), Some(JobKind::Invitation)) = (invitation, JobKind::parse(&kind)) {
        // No invitation e-mail, so no reminder either; the business sees why.
        c.prepare_cached(
            "UPDATE invitations SET mail_status = 'failed',
                 mail_error = 'cancelled by the operator'
             WHERE id = ?1 AND mail_status = 'scheduled'",
        )?
        .execute([&invitation])?;
        c.prepare_cached(
            "UPDATE outbox SET state = 'cancelled', done_at = ?2,
                 last_error = 'the invitation e-mail was cancelled'
             WHERE invitation_id = ?1 AND state = 'pending'",
        )?
        .execute(params![invitation, to_ms(at)])?;
    }
    Ok(true)
}

pub(crate) fn suppress(
    c: &Connection,
    business: BusinessId,
    hash: &[u8; 32],
    at: DateTime<Utc>,
) -> Result<u64> {
    let b = business.to_string();
    c.prepare_cached(
        "INSERT INTO mail_suppressions (business_id, email_hash, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
    )?
    .execute(params![b, hash.as_slice(), to_ms(at)])?;
    let cancelled = c
        .prepare_cached(
            "UPDATE outbox SET state = 'cancelled', done_at = ?3, leased_until = NULL,
                 last_error = 'the address unsubscribed'
             WHERE state = 'pending' AND invitation_id IN
                 (SELECT id FROM invitations WHERE business_id = ?1 AND email_hash = ?2)",
        )?
        .execute(params![b, hash.as_slice(), to_ms(at)])?;
    c.prepare_cached(
        "UPDATE invitations SET mail_status = 'unsubscribed'
         WHERE business_id = ?1 AND email_hash = ?2 AND mail_status = 'scheduled'",
    )?
    .execute(params![b, hash.as_slice()])?;
    Ok(cancelled as u64)
}

pub(crate) fn settings(c: &Connection, business: BusinessId) -> Result<MailSettings> {
    let row: Option<(i64, Option<i64>)> = c
        .prepare_cached(
            "SELECT shop_delay_hours, reminder_days FROM mail_settings WHERE business_id = ?1",
        )?
        .query_row([business.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match row {
        None => MailSettings::default(),
        Some((delay, reminder)) => MailSettings {
            shop_delay_hours: u32::try_from(delay).map_err(|_| corrupt("delay", delay))?,
            reminder_days: reminder
                .map(|d| u32::try_from(d).map_err(|_| corrupt("reminder", d)))
                .transpose()?,
        },
    })
}

pub(crate) fn set_settings(c: &Connection, business: BusinessId, s: MailSettings) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO mail_settings (business_id, shop_delay_hours, reminder_days)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (business_id) DO UPDATE SET shop_delay_hours = excluded.shop_delay_hours,
             reminder_days = excluded.reminder_days",
    )?
    .execute(params![
        business.to_string(),
        s.shop_delay_hours,
        s.reminder_days
    ])?;
    Ok(())
}

#[async_trait::async_trait]
impl store::Outbox for crate::SqliteStore {
    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> store::Result<Vec<Job>> {
        self.writer
            .write(move |c, _| claim(c, now, lease, limit))
            .await
    }

    async fn finish_job(
        &self,
        id: Uuid,
        attempt: u32,
        outcome: JobOutcome,
        at: DateTime<Utc>,
    ) -> store::Result<bool> {
        self.writer
            .write(move |c, _| finish(c, id, attempt, &outcome, at))
            .await
    }

    async fn jobs(
        &self,
        state: Option<JobState>,
        business: Option<BusinessId>,
        limit: u32,
    ) -> store::Result<Vec<Job>> {
        self.read(move |c| list(c, state, business, limit)).await
    }

    async fn retry_job(&self, id: Uuid, at: DateTime<Utc>) -> store::Result<bool> {
        self.writer.write(move |c, _| retry(c, id, at)).await
    }

    async fn cancel_job(&self, id: Uuid, at: DateTime<Utc>) -> store::Result<bool> {
        self.writer.write(move |c, _| cancel(c, id, at)).await
    }

    async fn suppress(
        &self,
        business: BusinessId,
        recipient: [u8; 32],
        at: DateTime<Utc>,
    ) -> store::Result<u64> {
        self.writer
            .write(move |c, _| suppress(c, business, &recipient, at))
            .await
    }

    async fn is_suppressed(
        &self,
        business: BusinessId,
        recipient: [u8; 32],
    ) -> store::Result<bool> {
        self.read(move |c| is_suppressed(c, business, &recipient))
            .await
    }

    async fn mail_settings(&self, business: BusinessId) -> store::Result<MailSettings> {
        self.read(move |c| settings(c, business)).await
    }

    async fn set_mail_settings(
        &self,
        business: BusinessId,
        settings: MailSettings,
    ) -> store::Result<()> {
        self.writer
            .write(move |c, _| set_settings(c, business, settings))
            .await
    }
}
