//! The business's invitation template (`domain::template`): a change is a new revision,
//! logged, and the public invitations page shows it at once.

use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::template::InvitationTemplate;
use store::{StoreError, TemplateRevision};

use crate::App;

/// Makes `template` the business's template for its locale; `true` when it changed (the same
/// words again change nothing, and log nothing).
pub async fn set(
    app: &App,
    business: BusinessId,
    slug: &str,
    template: InvitationTemplate,
    at: DateTime<Utc>,
) -> Result<(TemplateRevision, bool), StoreError> {
    let (revision, changed) = app.store.set_template(business, template, at).await?;
    if changed {
        app.cache.invalidate(slug);
    }
    Ok((revision, changed))
}
