//! One click that stops all further mail from a business to an address (RFC 8058): the
//! link in every message's `List-Unsubscribe` header and footer.

use chrono::{DateTime, Utc};
use store::StoreError;

use crate::App;

/// What an unsubscribe link names, for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub business_name: String,
}

/// The business an unsubscribe token's invitation belongs to; `None` for a token that is
/// not genuine or names no invitation.
pub async fn look_up(app: &App, token: &str) -> Result<Option<Unsubscribe>, StoreError> {
    let Some(id) = app.instance_key.unsubscribe_invitation(token) else {
        return Ok(None);
    };
    Ok(app.store.invitation_by_id(id).await?.map(|i| Unsubscribe {
        business_name: i.business_name,
    }))
}

/// Records that the address of the token's invitation wants no more mail from its business:
/// its pending messages are cancelled, and every later invitation to it (by the API, a
/// page, an import, a shop) sends nothing. `None` for a token that is not genuine.
/// Idempotent. An invitation whose address was erased has nothing left to suppress.
pub async fn confirm(
    app: &App,
    token: &str,
    at: DateTime<Utc>,
) -> Result<Option<Unsubscribe>, StoreError> {
    let Some(id) = app.instance_key.unsubscribe_invitation(token) else {
        return Ok(None);
    };
    let Some(invitation) = app.store.invitation_by_id(id).await? else {
        return Ok(None);
    };
    if let Some(email) = &invitation.customer_email {
        let recipient = app.instance_key.recipient_hash(email);
        app.store
            .suppress(invitation.business_id, recipient, at)
            .await?;
    }
    Ok(Some(Unsubscribe {
        business_name: invitation.business_name,
    }))
}
