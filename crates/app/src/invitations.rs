//! Inviting a customer.

use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, InvitationId};
use domain::invitation::NewInvitation;
use domain::secret::Secret;
use store::{InvitationWrite, StoreError};

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
    let app = app.clone();
    tokio::spawn(async move {
        let id = InvitationId::generate();
        let token = app.instance_key.invitation_token(id);
        let write = app
            .store
            .create_invitation(business, id, invitation, token.hash(), now)
            .await?;
        if write.created {
            app.cache.invalidate(&write.invitation.business_slug);
        }
        let token = app.instance_key.invitation_token(write.invitation.id);
        Ok(Invited { write, token })
    })
    .await
    .map_err(|e| StoreError::Backend(Box::new(e)))?
}
