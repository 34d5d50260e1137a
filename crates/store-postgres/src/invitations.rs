//! Invitations.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::ids::{BusinessId, InvitationId};
use domain::invitation::NewInvitation;
use domain::secret::TokenHash;
use store::{Invitation, InvitationWrite, MailStatus, NewMail, ProductRecord};
use tokio_postgres::types::ToSql;

use crate::db::{Db, Result, corrupt, from_ms, to_ms};

/// Creates an invitation (or finds the business's one for the same reference), moves the
/// figures' cells it counts in, and announces the change (`crate::listen::notify`).
/// What a new invitation is made of (the contract's `create_invitation`'s arguments).
pub(crate) struct Request<'a> {
    pub business: BusinessId,
    pub id: InvitationId,
    pub new: &'a NewInvitation,
    pub token: &'a TokenHash,
    pub mail: Option<&'a NewMail>,
}

pub(crate) async fn create(
    db: &dyn Db,
    origin: uuid::Uuid,
    Request {
        business,
        id,
        new,
        token,
        mail,
    }: Request<'_>,
    at: DateTime<Utc>,
) -> Result<InvitationWrite> {
    // The reference is the idempotency key: the same order is never invited twice. The
    // unique key decides, so that servers inviting the same reference at once agree: the
    // loser's insert waits for the winner's commit, then inserts nothing.
    let token: &[u8] = token.as_bytes();
    let (created_at, expires_at) = (to_ms(at), to_ms(new.expires_at));
    // An address that asked the business for no more mail gets none, whoever asks.
    let suppressed = match mail {
        Some(m) => crate::outbox::is_suppressed(db, business, &m.recipient).await?,
        None => false,
    };
    let status = match mail {
        None => MailStatus::None,
        Some(_) if suppressed => MailStatus::Unsubscribed,
        Some(_) => MailStatus::Scheduled,
    };
    let send_at = mail.map(|m| to_ms(m.send_at));
    let email_hash = mail.map(|m| m.recipient.to_vec());
    let inserted = db
        .query_opt(
            "WITH inserted AS (
                 INSERT INTO invitations (id, business_id, reference, token_hash, relationship,
                     customer_name, customer_email, locale, created_at, expires_at,
                     source, send_at, mail_status, email_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 ON CONFLICT (business_id, reference) DO NOTHING
                 RETURNING business_id
             )
             SELECT b.slug, b.name FROM inserted JOIN businesses b ON b.id = inserted.business_id",
            &[
                &id.0,
                &business.0,
                &new.reference.as_str(),
                &token,
                &new.relationship.as_str(),
                &new.customer_name.as_ref().map(|n| n.as_str()),
                &new.customer_email.as_ref().map(|e| e.as_str()),
                &new.locale.as_str(),
                &created_at,
                &expires_at,
                &new.source.as_str(),
                &send_at,
                &status.as_str(),
                &email_hash,
            ],
        )
        .await?;
    let Some(inserted) = inserted else {
        let invitation = find(
            db,
            "i.business_id = $1 AND i.reference = $2",
            &[&business.0, &new.reference.as_str()],
        )
        .await?
        .pop()
        .ok_or_else(|| corrupt("invitation", new.reference.as_str()))?;
        return Ok(InvitationWrite {
            invitation,
            created: false,
        });
    };
    let (business_slug, business_name): (String, String) =
        (inserted.try_get(0)?, inserted.try_get(1)?);
    if let Some(m) = mail.filter(|_| !suppressed) {
        crate::outbox::schedule(db, business, id, m, at).await?;
    }
    if !new.products.is_empty() {
        let skus: Vec<&str> = new.products.iter().map(|p| p.sku.as_str()).collect();
        let names: Vec<&str> = new.products.iter().map(|p| p.name.as_str()).collect();
        let urls: Vec<Option<&str>> = new
            .products
            .iter()
            .map(|p| p.url.as_ref().map(|u| u.as_str()))
            .collect();
        let images: Vec<Option<&str>> = new
            .products
            .iter()
            .map(|p| p.image.as_ref().map(|u| u.as_str()))
            .collect();
        let gtins: Vec<Option<&str>> = new
            .products
            .iter()
            .map(|p| p.gtin.as_ref().map(|g| g.as_str()))
            .collect();
        // The invitation's products in its order, and the business's products named after
        // the latest invitation and described where it says something (upserted in SKU
        // order, so that concurrent invitations lock them in the same order).
        db.execute(
            "WITH listed AS (
                 SELECT p.sku, p.name, p.url, p.image, p.gtin,
                        (p.ord - 1)::integer AS position
                 FROM unnest($2::text[], $3::text[], $5::text[], $6::text[], $7::text[])
                     WITH ORDINALITY AS p (sku, name, url, image, gtin, ord)
             ), listing AS (
                 INSERT INTO invitation_products
                     (invitation_id, position, sku, name, url, image, gtin)
                 SELECT $1, position, sku, name, url, image, gtin FROM listed
             )
             INSERT INTO products (business_id, sku, name, url, image, gtin)
             SELECT $4, sku, name, url, image, gtin FROM listed ORDER BY sku
             ON CONFLICT (business_id, sku) DO UPDATE SET name = excluded.name,
                 url = COALESCE(excluded.url, products.url),
                 image = COALESCE(excluded.image, products.image),
                 gtin = COALESCE(excluded.gtin, products.gtin)",
            &[&id.0, &skus, &names, &business.0, &urls, &images, &gtins],
        )
        .await?;
    }
    crate::stats::apply(db, &domain::plan::invitation_cells(business, new, at)).await?;
    crate::listen::notify(
        db,
        &crate::listen::Announcement {
            origin,
            slug: business_slug.clone(),
            event: None,
        },
    )
    .await?;
    // The invitation as a read will return it (times to the stored millisecond).
    let invitation = Invitation {
        id,
        business_id: business,
        business_slug,
        business_name,
        reference: new.reference.as_str().to_owned(),
        relationship: new.relationship,
        customer_name: new.customer_name.as_ref().map(|n| n.as_str().to_owned()),
        customer_email: new.customer_email.as_ref().map(|e| e.as_str().to_owned()),
        products: new.products.iter().map(ProductRecord::from).collect(),
        locale: new.locale,
        created_at: from_ms(created_at)?,
        expires_at: from_ms(expires_at)?,
        used_at: None,
        source: new.source,
        send_at: send_at.map(from_ms).transpose()?,
        mail: status,
        mail_error: None,
    };
    Ok(InvitationWrite {
        invitation,
        created: true,
    })
}

pub(crate) async fn by_token(db: &dyn Db, token: &TokenHash) -> Result<Option<Invitation>> {
    let token: &[u8] = token.as_bytes();
    Ok(find(db, "i.token_hash = $1", &[&token]).await?.pop())
}

pub(crate) async fn by_id(db: &dyn Db, id: InvitationId) -> Result<Option<Invitation>> {
    Ok(find(db, "i.id = $1", &[&id.0]).await?.pop())
}

/// The business's latest invitations, newest first.
pub(crate) async fn latest(
    db: &dyn Db,
    business: BusinessId,
    limit: u32,
) -> Result<Vec<Invitation>> {
    let limit = i64::from(limit);
    find(
        db,
        "i.business_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT $2",
        &[&business.0, &limit],
    )
    .await
}

/// The invitations that meet `condition` (and its order and limit), with their products:
/// two queries, however many there are.
async fn find(
    db: &dyn Db,
    condition: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Invitation>> {
    // An invitation is used once a review was written from it.
    let rows = db
        .query(
            &format!(
                "SELECT i.id, i.business_id, b.slug, b.name, i.reference, i.relationship,
                        i.customer_name, i.customer_email, i.locale, i.created_at, i.expires_at,
                        (SELECT r.created_at FROM reviews r WHERE r.invitation_id = i.id),
                        i.source, i.send_at, i.mail_status, i.mail_error
                 FROM invitations i JOIN businesses b ON b.id = i.business_id
                 WHERE {condition}"
            ),
            params,
        )
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<uuid::Uuid>, _>>()?;
    let mut products: HashMap<uuid::Uuid, Vec<ProductRecord>> = HashMap::new();
    for r in db
        .query(
            "SELECT invitation_id, sku, name, url, image, gtin FROM invitation_products
             WHERE invitation_id = ANY ($1::uuid[]) ORDER BY invitation_id, position",
            &[&ids],
        )
        .await?
    {
        products
            .entry(r.try_get(0)?)
            .or_default()
            .push(ProductRecord {
                sku: r.try_get(1)?,
                name: r.try_get(2)?,
                url: r.try_get(3)?,
                image: r.try_get(4)?,
                gtin: r.try_get(5)?,
            });
    }
    rows.iter()
        .map(|r| {
            let id: uuid::Uuid = r.try_get(0)?;
            let relationship: String = r.try_get(5)?;
            let locale: String = r.try_get(8)?;
            let used_at: Option<i64> = r.try_get(11)?;
            let source: String = r.try_get(12)?;
            let send_at: Option<i64> = r.try_get(13)?;
            let mail: String = r.try_get(14)?;
            Ok(Invitation {
                id: InvitationId(id),
                business_id: BusinessId(r.try_get(1)?),
                business_slug: r.try_get(2)?,
                business_name: r.try_get(3)?,
                reference: r.try_get(4)?,
                relationship: relationship
                    .parse()
                    .map_err(|_| corrupt("relationship", &relationship))?,
                customer_name: r.try_get(6)?,
                customer_email: r.try_get(7)?,
                products: products.remove(&id).unwrap_or_default(),
                locale: locale.parse().map_err(|_| corrupt("locale", &locale))?,
                created_at: from_ms(r.try_get(9)?)?,
                expires_at: from_ms(r.try_get(10)?)?,
                used_at: used_at.map(from_ms).transpose()?,
                source: source.parse().map_err(|_| corrupt("source", &source))?,
                send_at: send_at.map(from_ms).transpose()?,
                mail: MailStatus::parse(&mail).ok_or_else(|| corrupt("mail", &mail))?,
                mail_error: r.try_get(15)?,
            })
        })
        .collect()
}
