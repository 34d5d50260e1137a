//! Inviting a customer.

use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, InvitationId};
use domain::invitation::Email;
use domain::invitation::NewInvitation;
use domain::secret::Secret;
use store::{InvitationWrite, NewMail, StoreError};

use crate::App;

/// A new or existing invitation, with its token.
#[derive(Debug)]
pub struct Invited {
    pub write: InvitationWrite,
    /// The single-use link's token, derived from the invitation's id (so the same again
    /// for an existing invitation).
    pub token: Secret,
}

/// Creates an invitation, or finds the business's one for the same reference, and if it is
/// new drops the business's cached reads (the figures count invitations). In a task of its
/// own, as [`crate::reviews::write`].
pub async fn invite(
    app: &App,
    business: BusinessId,
    invitation: NewInvitation,
    now: DateTime<Utc>,
) -> Result<Invited, StoreError> {
    create(app, business, invitation, true, now).await
}

/// The same, sending no e-mail whatever the invitation holds: for a link the customer
/// opened, who is already at the form.
pub async fn invite_without_mail(
    app: &App,
    business: BusinessId,
    invitation: NewInvitation,
    now: DateTime<Utc>,
) -> Result<Invited, StoreError> {
    create(app, business, invitation, false, now).await
}

async fn create(
    app: &App,
    business: BusinessId,
    invitation: NewInvitation,
    mailed: bool,
    now: DateTime<Utc>,
) -> Result<Invited, StoreError> {
    let app = app.clone();
    tokio::spawn(async move {
        let id = InvitationId::generate();
        let token = app.instance_key.invitation_token(id);
        let mail = match (&app.mail, &invitation.customer_email) {
            (Some(_), Some(_)) if !mailed => None,
            (Some(_), Some(email)) => {
                Some(schedule(&app, business, &invitation, email, now).await?)
            }
            _ => None,
        };
        let due_now = mail.as_ref().is_some_and(|m| m.send_at <= now);
        let write = app
            .store
            .create_invitation(business, id, invitation, token.hash(), mail, now)
            .await?;
        if write.created {
            app.cache.invalidate(&write.invitation.business_slug);
            if due_now && let Some(mailer) = &app.mail {
                mailer.wake.notify_one();
            }
        }
        let token = app.instance_key.invitation_token(write.invitation.id);
        Ok(Invited { write, token })
    })
    .await
    .map_err(|e| StoreError::Backend(Box::new(e)))?
}

/// The e-mail a new invitation schedules: at its `send_at` (else at once), and its one
/// reminder after the business's delay, if that falls before the invitation expires.
async fn schedule(
    app: &App,
    business: BusinessId,
    invitation: &NewInvitation,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<NewMail, StoreError> {
    let settings = app.store.mail_settings(business).await?;
    let send_at = invitation.send_at.unwrap_or(now).max(now);
    let reminder = settings
        .reminder_days
        .map(|days| send_at + chrono::Duration::days(i64::from(days)))
        .filter(|at| *at < invitation.expires_at)
        .map(|at| (uuid::Uuid::new_v4(), at));
    Ok(NewMail {
        recipient: app.instance_key.recipient_hash(email.as_str()),
        job: uuid::Uuid::new_v4(),
        send_at,
        reminder,
    })
}

/// A business's mail settings, checked: the shop delay at most
/// [`MailSettings::MAX_SHOP_DELAY_HOURS`], the reminder 1 to
/// [`MailSettings::MAX_REMINDER_DAYS`] days (or none).
pub fn mail_settings(
    shop_delay_hours: u32,
    reminder_days: Option<u32>,
) -> Result<store::MailSettings, domain::ValidationErrors> {
    use store::MailSettings;
    let mut errors = domain::ValidationErrors::new();
    if shop_delay_hours > MailSettings::MAX_SHOP_DELAY_HOURS {
        errors.check::<()>(
            "shop_delay_hours",
            Err(domain::error::Invalid::new(
                "out_of_range",
                format!(
                    "must be between 0 and {}",
                    MailSettings::MAX_SHOP_DELAY_HOURS
                ),
            )),
        );
    }
    if let Some(days) = reminder_days
        && !(1..=MailSettings::MAX_REMINDER_DAYS).contains(&days)
    {
        errors.check::<()>(
            "reminder_days",
            Err(domain::error::Invalid::new(
                "out_of_range",
                format!("must be between 1 and {}", MailSettings::MAX_REMINDER_DAYS),
            )),
        );
    }
    errors.into_result()?;
    Ok(MailSettings {
        shop_delay_hours,
        reminder_days,
    })
}
