//! Invitation templates (see `store::templates`): a new revision and its log entry are
//! written in one writer transaction, like a review's event.

use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, ReviewId};
use domain::invitation::Locale;
use domain::lifecycle::EventKind;
use domain::log_entry::{LogEntry, commitment};
use domain::template::InvitationTemplate;
use rusqlite::{Connection, OptionalExtension, Row, params};
use store::{Entity, Opening, StoreError, TemplateRevision};
use uuid::Uuid;

use crate::writer::Effects;
use crate::{Result, SqliteStore, StoreResult, corrupt, from_ms, parse_uuid, to_ms};

const COLUMNS: &str = "template_id, business_id, locale, revision, subject, intro, created_at,
    log_index, salt, content";

/// A revision's columns, as stored.
type Stored = (
    String,
    String,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    Vec<u8>,
    Vec<u8>,
);

fn revision(r: &Row<'_>) -> rusqlite::Result<Stored> {
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

fn decode(stored: Stored) -> Result<TemplateRevision> {
    let (template, business, locale, revision, subject, intro, at, index, salt, content) = stored;
    Ok(TemplateRevision {
        template_id: parse_uuid(&template)?,
        business: BusinessId(parse_uuid(&business)?),
        locale: locale.parse().map_err(|_| corrupt("locale", &locale))?,
        revision: u32::try_from(revision).map_err(|_| corrupt("revision", revision))?,
        subject,
        intro,
        created_at: from_ms(at)?,
        log_index: Some(u64::try_from(index).map_err(|_| corrupt("log index", index))?),
        opening: Opening {
            salt: salt
                .try_into()
                .map_err(|_| corrupt("template salt", "length"))?,
            content,
        },
    })
}

fn current(
    c: &Connection,
    business: BusinessId,
    locale: Locale,
) -> Result<Option<TemplateRevision>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM invitation_templates WHERE business_id = ?1 AND locale = ?2
         ORDER BY revision DESC LIMIT 1"
    ))?
    .query_row(params![business.to_string(), locale.as_str()], revision)
    .optional()?
    .map(decode)
    .transpose()
}

/// A new revision, unless the words are the current one's; see
/// `store::InvitationTemplates::set_template`.
fn set(
    c: &Connection,
    effects: &mut Effects,
    business: BusinessId,
    template: &InvitationTemplate,
    at: DateTime<Utc>,
) -> Result<(TemplateRevision, bool)> {
    let exists: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM businesses WHERE id = ?1)")?
        .query_row([business.to_string()], |r| r.get(0))?;
    if !exists {
        return Err(StoreError::NotFound(Entity::Business).into());
    }
    let now = current(c, business, template.locale)?;
    if let Some(now) = now
        .as_ref()
        .filter(|n| n.subject == template.subject.as_str() && n.intro == template.intro.as_str())
    {
        return Ok((now.clone(), false));
    }
    let template_id = now.as_ref().map_or_else(Uuid::now_v7, |n| n.template_id);
    let content = template.content();
    let salt: [u8; 32] = rand::random();
    let committed = commitment(&salt, &content);
    let entry = LogEntry {
        kind: EventKind::InvitationTemplateChanged,
        at_ms: to_ms(at),
        business,
        review: ReviewId(template_id),
        previous: now.as_ref().and_then(|n| n.log_index),
        commitment: committed,
    };
    let index = crate::log::append(c, Some(&mut effects.log), &entry.encode())?;
    let revision = now.map_or(1, |n| n.revision + 1);
    c.prepare_cached(
        "INSERT INTO invitation_templates (business_id, locale, revision, template_id, subject,
             intro, created_at, log_index, salt, content, commitment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        business.to_string(),
        template.locale.as_str(),
        revision,
        template_id.to_string(),
        template.subject.as_str(),
        template.intro.as_str(),
        to_ms(at),
        index as i64,
        &salt[..],
        &content,
        &committed[..],
    ])?;
    // Read back: what a read returns (times in milliseconds).
    let written = current(c, business, template.locale)?
        .ok_or_else(|| corrupt("invitation template", template_id))?;
    Ok((written, true))
}

#[async_trait::async_trait]
impl store::InvitationTemplates for SqliteStore {
    async fn set_template(
        &self,
        business: BusinessId,
        template: InvitationTemplate,
        at: DateTime<Utc>,
    ) -> StoreResult<(TemplateRevision, bool)> {
        self.writer
            .write(move |c, effects| set(c, effects, business, &template, at))
            .await
    }

    async fn template(
        &self,
        business: BusinessId,
        locale: Locale,
    ) -> StoreResult<Option<TemplateRevision>> {
        self.read(move |c| current(c, business, locale)).await
    }

    async fn template_history(
        &self,
        business: BusinessId,
        skip: u32,
        limit: u32,
    ) -> StoreResult<Vec<TemplateRevision>> {
        self.read(move |c| {
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM invitation_templates WHERE business_id = ?1
                     ORDER BY created_at DESC, locale, revision DESC LIMIT ?2 OFFSET ?3"
                ))?
                .query_map(params![business.to_string(), limit, skip], revision)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter().map(decode).collect()
        })
        .await
    }
}
