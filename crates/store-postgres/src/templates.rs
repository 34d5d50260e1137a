//! Invitation templates (see `store::templates`), as SQLite's: a new revision is recorded
//! with its commitment in one transaction, and the sequencer logs it like a review's event
//! (`sequencer.rs` reads both queues in one order).

use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::invitation::Locale;
use domain::log_entry::commitment;
use domain::template::InvitationTemplate;
use store::{Entity, Opening, StoreError, TemplateRevision};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::db::{Db, Result, bytes32, corrupt, from_ms, to_ms};
use crate::{PostgresStore, StoreResult};

const COLUMNS: &str = "template_id, business_id, locale, revision, subject, intro, created_at,
    log_index, salt, content";

fn decode(r: &Row) -> Result<TemplateRevision> {
    let locale: String = r.try_get(2)?;
    let revision: i32 = r.try_get(3)?;
    let index: Option<i64> = r.try_get(7)?;
    Ok(TemplateRevision {
        template_id: r.try_get(0)?,
        business: BusinessId(r.try_get(1)?),
        locale: locale.parse().map_err(|_| corrupt("locale", &locale))?,
        revision: u32::try_from(revision).map_err(|_| corrupt("revision", revision))?,
        subject: r.try_get(4)?,
        intro: r.try_get(5)?,
        created_at: from_ms(r.try_get(6)?)?,
        log_index: index
            .map(|i| u64::try_from(i).map_err(|_| corrupt("log index", i)))
            .transpose()?,
        opening: Opening {
            salt: bytes32("template salt", r.try_get(8)?)?,
            content: r.try_get(9)?,
        },
    })
}

async fn current(
    db: &dyn Db,
    business: BusinessId,
    locale: Locale,
) -> Result<Option<TemplateRevision>> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM invitation_templates WHERE business_id = $1 AND locale = $2
             ORDER BY revision DESC LIMIT 1"
        ),
        &[&business.0, &locale.as_str()],
    )
    .await?
    .as_ref()
    .map(decode)
    .transpose()
}

/// A new revision, unless the words are the current one's. Locks the business's row
/// against other revisions (not against its other writes' foreign-key checks), so that two
/// changes at once are numbered one after the other.
async fn set(
    db: &dyn Db,
    business: BusinessId,
    template: &InvitationTemplate,
    at: DateTime<Utc>,
) -> Result<(TemplateRevision, bool)> {
    db.query_opt(
        "SELECT 1 FROM businesses WHERE id = $1 FOR NO KEY UPDATE",
        &[&business.0],
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Business))?;
    let now = current(db, business, template.locale).await?;
    if let Some(now) = now
        .as_ref()
        .filter(|n| n.subject == template.subject.as_str() && n.intro == template.intro.as_str())
    {
        return Ok((now.clone(), false));
    }
    let template_id = now.as_ref().map_or_else(Uuid::now_v7, |n| n.template_id);
    let revision = now.as_ref().map_or(1, |n| n.revision + 1);
    let content = template.content();
    let salt: [u8; 32] = rand::random();
    let committed = commitment(&salt, &content);
    let row = db
        .query_one(
            &format!(
                "INSERT INTO invitation_templates (business_id, locale, revision, template_id,
                     subject, intro, created_at, salt, content, commitment)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 RETURNING {COLUMNS}"
            ),
            &[
                &business.0,
                &template.locale.as_str(),
                &i32::try_from(revision).map_err(|_| corrupt("revision", revision))?,
                &template_id,
                &template.subject.as_str(),
                &template.intro.as_str(),
                &to_ms(at),
                &&salt[..],
                &content,
                &&committed[..],
            ],
        )
        .await?;
    Ok((decode(&row)?, true))
}

#[async_trait::async_trait]
impl store::InvitationTemplates for PostgresStore {
    async fn set_template(
        &self,
        business: BusinessId,
        template: InvitationTemplate,
        at: DateTime<Utc>,
    ) -> StoreResult<(TemplateRevision, bool)> {
        let written = transaction!(self, tx => set(&tx, business, &template, at).await?)?;
        if written.1 {
            // Logged by the sequencer, soon: a read shows the index once it is.
            if let Some(s) = &self.sequencer {
                s.wake();
            }
        }
        Ok(written)
    }

    async fn template(
        &self,
        business: BusinessId,
        locale: Locale,
    ) -> StoreResult<Option<TemplateRevision>> {
        Ok(current(&client!(self), business, locale).await?)
    }

    async fn template_history(
        &self,
        business: BusinessId,
        skip: u32,
        limit: u32,
    ) -> StoreResult<Vec<TemplateRevision>> {
        let rows = Db::query(
            &client!(self),
            &format!(
                "SELECT {COLUMNS} FROM invitation_templates WHERE business_id = $1
                 ORDER BY created_at DESC, locale, revision DESC LIMIT $2 OFFSET $3"
            ),
            &[&business.0, &i64::from(limit), &i64::from(skip)],
        )
        .await?;
        Ok(rows.iter().map(decode).collect::<Result<Vec<_>>>()?)
    }
}
