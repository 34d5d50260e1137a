//! The outbox: work that leaves the building (an invitation's e-mail and its one reminder
//! now; webhooks and alerts later), written as a job in the same transaction as the change
//! that causes it and sent by a worker after the commit.
//!
//! A worker claims due jobs with a lease ([`Outbox::claim_jobs`] counts the attempt and
//! commits before anything is sent), sends, then records the outcome
//! ([`Outbox::finish_job`]). A worker that dies in between leaves the job leased; once the
//! lease runs out another claim picks it up and sends it again, with the same job id, so
//! the resend is recognisable (the e-mail's `Message-ID` is made from it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, InvitationId};
use uuid::Uuid;

use crate::Result;

/// What a job sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// The invitation e-mail.
    Invitation,
    /// Its one reminder, sent only if the invitation is still open then.
    Reminder,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Reminder => "reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invitation" => Some(Self::Invitation),
            "reminder" => Some(Self::Reminder),
            _ => None,
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for its time, being sent, or waiting to be tried again.
    Pending,
    Sent,
    /// Given up: a permanent refusal, or too many attempts. `passaparola jobs retry` brings
    /// it back.
    Failed,
    /// Not to be sent: cancelled by the operator, the address unsubscribed, the invitation
    /// answered or expired before its reminder.
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 4] = [Self::Pending, Self::Sent, Self::Failed, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One job, as the worker and `passaparola jobs` see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Stable across attempts: a resend carries the same id.
    pub id: Uuid,
    pub kind: JobKind,
    pub business_id: BusinessId,
    pub invitation_id: Option<InvitationId>,
    pub state: JobState,
    pub due_at: DateTime<Utc>,
    /// Attempts started so far (a claim counts one).
    pub attempts: u32,
    /// The latest failure, for people (never personal data).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it was sent, given up or cancelled.
    pub done_at: Option<DateTime<Utc>>,
}

/// The e-mail a new invitation schedules, decided by the caller (who knows whether e-mail
/// is configured, the business's settings and the instance's key for hashing addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// A keyed hash of the lower-cased address: what an unsubscribe is stored as.
    pub recipient: [u8; 32],
    /// The invitation e-mail's job id.
    pub job: Uuid,
    /// When it goes out.
    pub send_at: DateTime<Utc>,
    /// The reminder's job id and time, if the business sends one.
    pub reminder: Option<(Uuid, DateTime<Utc>)>,
}

/// What became of a claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Sent,
    /// A transient failure: try again at `at`.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Given up. `undeliverable`: the receiving server refused the address for good, and
    /// the invitation is marked so (its reminder is cancelled).
    Failed {
        error: String,
        undeliverable: bool,
    },
    /// Nothing to send any more (the invitation was answered, expired, erased or
    /// unsubscribed meanwhile).
    Cancelled {
        reason: String,
    },
}

impl JobOutcome {
    /// Where an invitation's e-mail stands after this outcome of its job of `kind`, if that
    /// moves it (both backends record it in the job's transaction).
    pub fn mail_status(&self, kind: JobKind) -> Option<MailStatus> {
        let reminder = kind == JobKind::Reminder;
        match self {
            Self::Sent if reminder => Some(MailStatus::Reminded),
            Self::Sent => Some(MailStatus::Sent),
            Self::Failed {
                undeliverable: true,
                ..
            } => Some(MailStatus::Undeliverable),
            Self::Failed { .. } if !reminder => Some(MailStatus::Failed),
            // Nothing went out, and nothing will: answered, expired or erased first.
            Self::Cancelled { .. } if !reminder => Some(MailStatus::None),
            _ => None,
        }
    }

    /// Whether the invitation's other pending jobs are cancelled with it: an address that
    /// never received the invitation is not reminded of it.
    pub fn cancels_the_rest(&self, kind: JobKind) -> bool {
        matches!(self, Self::Failed { .. } | Self::Cancelled { .. }) && kind == JobKind::Invitation
    }
}

/// Where an invitation's e-mail stands, as its business sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailStatus {
    /// No e-mail: no address, or e-mail is not configured.
    None,
    Scheduled,
    Sent,
    Reminded,
    /// Given up after transient failures (or cancelled by the operator).
    Failed,
    /// The receiving server refused the address for good.
    Undeliverable,
    /// The address asked for no more mail from this business.
    Unsubscribed,
}

impl MailStatus {
    pub const ALL: [MailStatus; 7] = [
        Self::None,
        Self::Scheduled,
        Self::Sent,
        Self::Reminded,
        Self::Failed,
        Self::Undeliverable,
        Self::Unsubscribed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Scheduled => "scheduled",
            Self::Sent => "sent",
            Self::Reminded => "reminded",
            Self::Failed => "failed",
            Self::Undeliverable => "undeliverable",
            Self::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A business's choices about when invitations are mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailSettings {
    /// How long after a shop reports an order fulfilled its invitation goes out.
    pub shop_delay_hours: u32,
    /// How long after the invitation its one reminder goes out; `None`: no reminder.
    pub reminder_days: Option<u32>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            shop_delay_hours: 72,
            reminder_days: Some(7),
        }
    }
}

impl MailSettings {
    /// The longest delay a business may choose, in hours (30 days).
    pub const MAX_SHOP_DELAY_HOURS: u32 = 720;
    /// The longest reminder delay, in days.
    pub const MAX_REMINDER_DAYS: u32 = 60;
}

/// The outbox's jobs, and the addresses that asked for no more mail.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Claims up to `limit` pending jobs due at `now` whose lease (if any) ran out, oldest
    /// due first: counts an attempt and leases each until `now + lease`, and commits that
    /// before returning. Several servers may claim at once; each job goes to one.
    async fn claim_jobs(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<Job>>;
    /// Records what became of a job this worker claimed as its `attempt` (the claim's
    /// [`Job::attempts`]), and moves its invitation's mail status with it, in one
    /// transaction. A worker whose claim is no longer the job's latest (its lease ran out and
    /// another claimed it, or the job was cancelled or retried meanwhile) changes nothing:
    /// `false`.
    async fn finish_job(
        &self,
        id: Uuid,
        attempt: u32,
        outcome: JobOutcome,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Jobs, newest first: in one state, of one business, or all.
    async fn jobs(
        &self,
        state: Option<JobState>,
        business: Option<BusinessId>,
        limit: u32,
    ) -> Result<Vec<Job>>;
    /// Makes a failed or cancelled job pending again, due at `at`, its attempts counted
    /// afresh; `false` if there is no such job or it is pending or sent.
    async fn retry_job(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool>;
    /// Cancels a pending job that no worker is sending now (its lease, if any, ran out at
    /// `at`); `false` if there is no such job. An invitation job takes its reminder with it.
    async fn cancel_job(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool>;
    /// Stops all further mail from the business to the address whose hash is `recipient`:
    /// records it, cancels the pending jobs to it and marks its invitations unsubscribed.
    /// Returns how many jobs were cancelled.
    async fn suppress(
        &self,
        business: BusinessId,
        recipient: [u8; 32],
        at: DateTime<Utc>,
    ) -> Result<u64>;
    /// Whether the address asked for no more mail from the business.
    async fn is_suppressed(&self, business: BusinessId, recipient: [u8; 32]) -> Result<bool>;
    async fn mail_settings(&self, business: BusinessId) -> Result<MailSettings>;
    async fn set_mail_settings(&self, business: BusinessId, settings: MailSettings) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_moves_the_invitation_as_its_kind_says() {
        let sent = JobOutcome::Sent;
        let refused = JobOutcome::Failed {
            error: "550".into(),
            undeliverable: true,
        };
        let gave_up = JobOutcome::Failed {
            error: "451".into(),
            undeliverable: false,
        };
        let retry = JobOutcome::Retry {
            at: chrono::DateTime::UNIX_EPOCH,
            error: "451".into(),
        };
        use JobKind::{Invitation, Reminder};
        assert_eq!(sent.mail_status(Invitation), Some(MailStatus::Sent));
        assert_eq!(sent.mail_status(Reminder), Some(MailStatus::Reminded));
        assert_eq!(
            refused.mail_status(Reminder),
            Some(MailStatus::Undeliverable)
        );
        assert_eq!(gave_up.mail_status(Invitation), Some(MailStatus::Failed));
        // A reminder that could not go leaves the invitation "sent": it was.
        assert_eq!(gave_up.mail_status(Reminder), None);
        assert_eq!(retry.mail_status(Invitation), None);
        assert!(refused.cancels_the_rest(Invitation) && gave_up.cancels_the_rest(Invitation));
        assert!(!refused.cancels_the_rest(Reminder) && !sent.cancels_the_rest(Invitation));
        let answered = JobOutcome::Cancelled {
            reason: "answered".into(),
        };
        assert_eq!(answered.mail_status(Invitation), Some(MailStatus::None));
        assert_eq!(answered.mail_status(Reminder), None);
        assert!(answered.cancels_the_rest(Invitation));
    }
}
