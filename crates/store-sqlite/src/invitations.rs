//! Invitations.

use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, InvitationId};
use domain::invitation::NewInvitation;
use domain::secret::TokenHash;
use rusqlite::{Connection, OptionalExtension, params};

use crate::Result;
use crate::{corrupt, from_ms, parse_uuid, to_ms};
use store::{Invitation, InvitationWrite, MailStatus, NewMail, ProductRecord};

/// When an invitation `i` was used: its own `used_at` (set by writes before issue 12; no
/// longer written), else the creation of the review written from it. Every query that asks
/// shares it.
pub(crate) const USED_AT: &str =
    "COALESCE(i.used_at, (SELECT r.created_at FROM reviews r WHERE r.invitation_id = i.id))";

/// What a new invitation is made of (the contract's `create_invitation`'s arguments).
pub(super) struct Request<'a> {
    pub business: BusinessId,
    pub id: InvitationId,
    pub new: &'a NewInvitation,
    pub token: &'a TokenHash,
    pub mail: Option<&'a NewMail>,
}

pub(super) fn create(
    c: &Connection,
    cells: &mut crate::stats::Cells,
    Request {
        business,
        id,
        new,
        token,
        mail,
    }: Request<'_>,
    at: DateTime<Utc>,
) -> Result<InvitationWrite> {
    // The reference is the idempotency key: the same order is never invited twice.
    let existing: Option<String> = c
        .prepare_cached("SELECT id FROM invitations WHERE business_id = ?1 AND reference = ?2")?
        .query_row(params![business.to_string(), new.reference.as_str()], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(existing) = existing {
        let invitation = one(c, "i.id = ?1", &existing)?;
        return Ok(InvitationWrite {
            invitation,
            created: false,
        });
    }
    // An address that asked the business for no more mail gets none, whoever asks.
    let suppressed = match mail {
        Some(m) => crate::outbox::is_suppressed(c, business, &m.recipient)?,
        None => false,
    };
    let status = match mail {
        None => MailStatus::None,
        Some(_) if suppressed => MailStatus::Unsubscribed,
        Some(_) => MailStatus::Scheduled,
    };
    c.prepare_cached(
        "INSERT INTO invitations (id, business_id, reference, token_hash, relationship,
             customer_name, customer_email, locale, created_at, expires_at,
             source, send_at, mail_status, email_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        id.to_string(),
        business.to_string(),
        new.reference.as_str(),
        token.as_bytes(),
        new.relationship.as_str(),
        new.customer_name.as_ref().map(|n| n.as_str()),
        new.customer_email.as_ref().map(|e| e.as_str()),
        new.locale.as_str(),
        to_ms(at),
        to_ms(new.expires_at),
        new.source.as_str(),
        mail.map(|m| to_ms(m.send_at)),
        status.as_str(),
        mail.map(|m| m.recipient.to_vec()),
    ])?;
    if let Some(m) = mail.filter(|_| !suppressed) {
        crate::outbox::schedule(c, business, id, m, at)?;
    }
    let mut insert_product = c.prepare_cached(
        "INSERT INTO invitation_products (invitation_id, position, sku, name, url, image, gtin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (position, p) in new.products.iter().enumerate() {
        let url = p.url.as_ref().map(|u| u.as_str());
        let image = p.image.as_ref().map(|u| u.as_str());
        let gtin = p.gtin.as_ref().map(|g| g.as_str());
        insert_product.execute(params![
            id.to_string(),
            position as i64,
            p.sku.as_str(),
            p.name.as_str(),
            url,
            image,
            gtin,
        ])?;
        // The latest invitation names the product on its page, and describes it where it
        // says something (one that leaves the picture out keeps the one before).
        c.prepare_cached(
            "INSERT INTO products (business_id, sku, name, url, image, gtin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (business_id, sku) DO UPDATE SET name = excluded.name,
                 url = COALESCE(excluded.url, products.url),
                 image = COALESCE(excluded.image, products.image),
                 gtin = COALESCE(excluded.gtin, products.gtin)",
        )?
        .execute(params![
            business.to_string(),
            p.sku.as_str(),
            p.name.as_str(),
            url,
            image,
            gtin,
        ])?;
    }
    for m in domain::plan::invitation_cells(business, new, at) {
        cells.push(&m);
    }
    Ok(InvitationWrite {
        invitation: one(c, "i.id = ?1", &id.to_string())?,
        created: true,
    })
}

pub(super) fn by_token(c: &Connection, token: &TokenHash) -> Result<Option<Invitation>> {
    find(c, "i.token_hash = ?1", token.as_bytes())
}

pub(super) fn by_id(c: &Connection, id: InvitationId) -> Result<Option<Invitation>> {
    find(c, "i.id = ?1", id.to_string())
}

fn one(c: &Connection, condition: &str, key: &str) -> Result<Invitation> {
    find(c, condition, key)?.ok_or_else(|| corrupt("invitation", key))
}

fn find(c: &Connection, condition: &str, key: impl rusqlite::ToSql) -> Result<Option<Invitation>> {
    type Raw = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        i64,
        i64,
        Option<i64>,
        String,
        Option<i64>,
        String,
        Option<String>,
    );
    let raw: Option<Raw> = c
        .prepare_cached(&format!(
            "SELECT i.id, i.business_id, b.slug, b.name, i.reference, i.relationship,
                    i.customer_name, i.customer_email, i.locale, i.created_at, i.expires_at,
                    {USED_AT}, i.source, i.send_at, i.mail_status, i.mail_error
             FROM invitations i JOIN businesses b ON b.id = i.business_id
             WHERE {condition}"
        ))?
        .query_row([key], |r| {
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
                r.get(10)?,
                r.get(11)?,
                r.get(12)?,
                r.get(13)?,
                r.get(14)?,
                r.get(15)?,
            ))
        })
        .optional()?;
    let Some((
        id,
        business_id,
        business_slug,
        business_name,
        reference,
        relationship,
        customer_name,
        customer_email,
        locale,
        created_at,
        expires_at,
        used_at,
        source,
        send_at,
        mail_status,
        mail_error,
    )) = raw
    else {
        return Ok(None);
    };
    let products = c
        .prepare_cached(
            "SELECT sku, name, url, image, gtin FROM invitation_products
             WHERE invitation_id = ?1 ORDER BY position",
        )?
        .query_map([&id], |r| {
            Ok(ProductRecord {
                sku: r.get(0)?,
                name: r.get(1)?,
                url: r.get(2)?,
                image: r.get(3)?,
                gtin: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(Invitation {
        id: InvitationId(parse_uuid(&id)?),
        business_id: BusinessId(parse_uuid(&business_id)?),
        business_slug,
        business_name,
        reference,
        relationship: relationship
            .parse()
            .map_err(|_| corrupt("relationship", &relationship))?,
        customer_name,
        customer_email,
        products,
        locale: locale.parse().map_err(|_| corrupt("locale", &locale))?,
        created_at: from_ms(created_at)?,
        expires_at: from_ms(expires_at)?,
        used_at: used_at.map(from_ms).transpose()?,
        source: source.parse().map_err(|_| corrupt("source", &source))?,
        send_at: send_at.map(from_ms).transpose()?,
        mail: MailStatus::parse(&mail_status).ok_or_else(|| corrupt("mail", &mail_status))?,
        mail_error,
    }))
}

/// The business's latest invitations, newest first.
pub(super) fn latest(c: &Connection, business: BusinessId, limit: u32) -> Result<Vec<Invitation>> {
    let ids: Vec<String> = c
        .prepare_cached(
            "SELECT id FROM invitations WHERE business_id = ?1
             ORDER BY created_at DESC, id DESC LIMIT ?2",
        )?
        .query_map(rusqlite::params![business.to_string(), limit], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // One indexed read each: a page shows a few dozen.
    ids.iter().map(|id| one(c, "i.id = ?1", id)).collect()
}
