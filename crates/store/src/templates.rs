//! Each business's invitation template per locale (`domain::template`), every revision kept
//! and logged: the public invitations page shows the history, and the log proves it whole.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::invitation::Locale;
use domain::template::InvitationTemplate;
use uuid::Uuid;

use crate::{Opening, Result};

/// One revision of a business's template for one locale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRevision {
    /// The template's id: the subject of its log entries, the same for every revision of
    /// one business's template in one locale.
    pub template_id: Uuid,
    pub business: BusinessId,
    pub locale: Locale,
    /// 1 for the first revision, then 2, 3 …
    pub revision: u32,
    pub subject: String,
    pub intro: String,
    pub created_at: DateTime<Utc>,
    /// Its `invitation_template_changed` entry, once the log holds it (on PostgreSQL, once
    /// the sequencer has logged it).
    pub log_index: Option<u64>,
    /// What opens the entry's commitment: always public, as the template is.
    pub opening: Opening,
}

impl TemplateRevision {
    /// The revision as a template again.
    pub fn template(&self) -> Option<InvitationTemplate> {
        InvitationTemplate::parse(self.locale, &self.subject, &self.intro).ok()
    }
}

#[async_trait]
pub trait InvitationTemplates: Send + Sync {
    /// Makes `template` the business's template for its locale: a new revision, with its
    /// `invitation_template_changed` event (on SQLite appended to the log in the same
    /// transaction; on PostgreSQL recorded with its commitment there, and appended by the
    /// sequencer). The same words as the current revision change nothing (`false`, and that
    /// revision).
    async fn set_template(
        &self,
        business: BusinessId,
        template: InvitationTemplate,
        at: DateTime<Utc>,
    ) -> Result<(TemplateRevision, bool)>;
    /// The business's current revision for `locale`, if it ever set one.
    async fn template(
        &self,
        business: BusinessId,
        locale: Locale,
    ) -> Result<Option<TemplateRevision>>;
    /// Revisions of the business's templates, newest first: at most `limit`, after skipping
    /// the `skip` newest.
    async fn template_history(
        &self,
        business: BusinessId,
        skip: u32,
        limit: u32,
    ) -> Result<Vec<TemplateRevision>>;
}
