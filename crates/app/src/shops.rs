//! Orders from shops: verifying their webhooks' signatures, and the secrets they sign with.
//!
//! Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`) sign alike:
//! the header is the standard, padded base64 of HMAC-SHA-256(secret, raw body). The body is
//! checked as it arrived, before any parsing (`domain::shop`), and compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Whether `header` is the signature of `body` under `secret`. A header that is not base64,
/// or an empty secret (a connection not yet set up), is never valid.
pub fn signature_valid(secret: &[u8], body: &[u8], header: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Ok(signature) = STANDARD.decode(header.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// The signature a shop sends with `body`: what [`signature_valid`] accepts.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// A new webhook secret for a shop connection: 256 random bits, base64url without padding
/// (43 characters), to paste into the shop's webhook settings.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a verified delivery did.
#[derive(Debug)]
pub enum Received {
    /// An invitation for the order: new (`created`), or the one the reference already had.
    Invited(Box<crate::invitations::Invited>),
    /// This delivery was handled before (the shop sent it again).
    Duplicate,
    /// The shop checking the address.
    Ping,
    /// Not an order to invite for.
    Ignored(&'static str),
}

/// Handles a delivery whose signature was verified: a fulfilled or completed order becomes
/// one invitation (idempotent on its reference), mailed after the business's shop delay.
/// Deduplicated on the shop's delivery id. Nothing from a shop ever creates a review.
pub async fn receive(
    app: &crate::App,
    business: domain::ids::BusinessId,
    kind: domain::shop::ShopKind,
    delivery_id: Option<&str>,
    delivery: domain::shop::Delivery,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Received, store::StoreError> {
    use domain::shop::Delivery;
    // Ids longer than any platform's are not ids: not stored, not deduplicated on.
    let delivery_id = delivery_id.filter(|d| !d.is_empty() && d.len() <= 200);
    if let Some(id) = delivery_id
        && app.store.delivery_seen(business, kind, id).await?
    {
        return Ok(Received::Duplicate);
    }
    let received = match delivery {
        Delivery::Ping => Received::Ping,
        Delivery::Ignored(why) => Received::Ignored(why),
        Delivery::Order(order) => {
            let settings = app.store.mail_settings(business).await?;
            let send_at = now + chrono::Duration::hours(i64::from(settings.shop_delay_hours));
            // What is left unusable (no reference at all) is acknowledged and dropped: a
            // refusal would only make the shop send it again, and disable its webhook.
            match order_invitation(&order, kind, send_at, now) {
                Ok(invitation) => Received::Invited(Box::new(
                    crate::invitations::invite(app, business, invitation, now).await?,
                )),
                Err(_) => Received::Ignored("the order cannot become an invitation"),
            }
        }
    };
    // Recorded after the work: a delivery whose handling failed is handled again when the
    // shop retries it (the invitation is idempotent on the reference anyway).
    if let Some(id) = delivery_id {
        app.store.record_delivery(business, kind, id, now).await?;
    }
    Ok(received)
}

/// The invitation an order asks for. What the shop sends is trimmed to what an invitation
/// holds (a reference of 100 characters, products' SKUs of 64 and names of 200, at most 50
/// products); an address that is not valid is dropped (the invitation is still made, its
/// link shown on the invitations page), and so is a product's page, picture or GTIN that is
/// not valid (the product is still listed); the buyer's language picks Italian or English.
pub fn order_invitation(
    order: &domain::shop::ShopOrder,
    kind: domain::shop::ShopKind,
    send_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<domain::invitation::NewInvitation, domain::ValidationErrors> {
    use domain::invitation::{CustomerName, ProductName, Sku};
    use domain::invitation::{
        Email, Gtin, InvitationInput, InvitationSource, NewInvitation, ProductInput, ProductUrl,
    };
    // Control characters (a tab in a title) become spaces; then the length is cut to what an
    // invitation holds, so that a shop's odd order still becomes an invitation.
    let cut = |s: &str, n: usize| -> String {
        let clean: String = s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        clean
            .trim()
            .chars()
            .take(n)
            .collect::<String>()
            .trim()
            .to_owned()
    };
    let reference = cut(&order.reference, 100);
    let email = order
        .email
        .as_deref()
        .filter(|e| Email::parse(e).is_ok())
        .map(str::to_owned);
    let name = order
        .customer_name
        .as_deref()
        .map(|n| cut(n, 120))
        .filter(|n| CustomerName::parse(n).is_ok());
    let locale = match order.locale.as_deref().map(str::to_ascii_lowercase) {
        Some(l) if l.starts_with("en") => "en",
        _ => "it",
    };
    // Each SKU once, after cutting (two long SKUs may share their first 64 characters).
    let mut products: Vec<(String, String, &domain::shop::ShopProduct)> = Vec::new();
    for p in &order.products {
        let (sku, name) = (cut(&p.sku, 64), cut(&p.title, 200));
        let valid = Sku::parse(&sku).is_ok()
            && ProductName::parse(&name).is_ok()
            && sku != "."
            && sku != "..";
        if valid && !products.iter().any(|(s, _, _)| *s == sku) {
            products.push((sku, name, p));
        }
    }
    products.truncate(domain::invitation::MAX_PRODUCTS);
    // A product's page, picture or GTIN that is not valid is left out, not the order.
    fn url(u: &Option<String>) -> Option<&str> {
        u.as_deref().filter(|u| ProductUrl::parse(u).is_ok())
    }
    let invitation = NewInvitation::parse(
        InvitationInput {
            reference: &reference,
            customer_name: name.as_deref(),
            customer_email: email.as_deref(),
            products: products
                .iter()
                .map(|(sku, name, p)| ProductInput {
                    sku,
                    name,
                    url: url(&p.url),
                    image: url(&p.image),
                    gtin: p.gtin.as_deref().filter(|g| Gtin::parse(g).is_ok()),
                })
                .collect(),
            locale: Some(locale),
            send_at: Some(send_at),
            ..Default::default()
        },
        now,
    )?;
    Ok(NewInvitation {
        source: match kind {
            domain::shop::ShopKind::Shopify => InvitationSource::Shopify,
            domain::shop::ShopKind::WooCommerce => InvitationSource::Woocommerce,
        },
        ..invitation
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b"secret", b"body", hashlib.sha256).digest()).decode())'
    const KNOWN: &str = "3EaYNVf+oSe0OvchRn65s/3iM4/j4U9RlSqoR4wT01U=";

    #[test]
    fn a_known_signature_is_valid() {
        assert!(signature_valid(b"secret", b"body", KNOWN));
        assert!(signature_valid(b"secret", b"body", &format!(" {KNOWN}\n")));
    }

    #[test]
    fn a_tampered_body_or_another_secret_is_not() {
        assert!(!signature_valid(b"secret", b"body ", KNOWN));
        assert!(!signature_valid(b"secret", b"Body", KNOWN));
        assert!(!signature_valid(b"secret2", b"body", KNOWN));
        assert!(!signature_valid(b"", b"body", KNOWN));
    }

    #[test]
    fn a_header_that_is_not_the_signature_is_not() {
        assert!(!signature_valid(b"secret", b"body", "not base64!"));
        assert!(!signature_valid(b"secret", b"body", ""));
        assert!(!signature_valid(
            b"secret",
            b"body",
            &KNOWN[..KNOWN.len() - 1]
        ));
        assert!(!signature_valid(
            b"secret",
            b"body",
            &STANDARD.encode([0u8; 32])
        ));
        assert!(!signature_valid(
            b"secret",
            b"body",
            &STANDARD.encode([0u8; 16])
        ));
    }

    #[test]
    fn an_order_keeps_the_valid_product_details_and_drops_the_others() {
        use domain::shop::{ShopKind, ShopOrder, ShopProduct};
        let product = |sku: &str, url: &str, image: &str, gtin: &str| ShopProduct {
            sku: sku.into(),
            title: format!("Prodotto {sku}"),
            url: Some(url.into()),
            image: Some(image.into()),
            gtin: Some(gtin.into()),
        };
        let order = ShopOrder {
            reference: "#1001".into(),
            email: None,
            customer_name: None,
            locale: None,
            products: vec![
                product(
                    "MOKA",
                    "https://shop.example.it/moka",
                    "https://cdn.example.it/moka.jpg",
                    "4006381333931",
                ),
                product(
                    "TAZZA",
                    "javascript:alert(1)",
                    "https://u:p@cdn.example.it/t.jpg",
                    "4006381333932",
                ),
            ],
        };
        let now = chrono::Utc::now();
        let invitation = order_invitation(&order, ShopKind::WooCommerce, now, now).unwrap();
        let [moka, tazza] = &invitation.products[..] else {
            panic!("two products: {:?}", invitation.products);
        };
        assert_eq!(
            moka.url.as_ref().map(|u| u.as_str()),
            Some("https://shop.example.it/moka")
        );
        assert_eq!(
            moka.image.as_ref().map(|u| u.as_str()),
            Some("https://cdn.example.it/moka.jpg")
        );
        assert_eq!(
            moka.gtin.as_ref().map(|g| g.as_str()),
            Some("4006381333931")
        );
        assert_eq!(tazza.sku.as_str(), "TAZZA");
        assert!(tazza.url.is_none() && tazza.image.is_none() && tazza.gtin.is_none());
    }

    #[test]
    fn new_secrets_are_long_url_safe_and_different() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).map(|v| v.len()).ok(), Some(32));
        assert_ne!(a, b);
    }
}
