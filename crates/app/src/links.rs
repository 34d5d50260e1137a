//! Links a shop signs itself (`docs/invitation-links.md`): with no API call, a shop builds
//! `GET /i/{slug}?ref=R&rel=customer&exp=UNIX&email=E&sig=S`, where `S` is the unpadded
//! base64url HMAC-SHA-256, keyed with the business's link secret (its UTF-8 bytes), of
//! [`signed_text`]. The first visit creates the invitation; this module only checks links.
//!
//! The signature is checked, in constant time, before anything it covers is believed: a
//! link's expiry is read only once its signature holds.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The version the signed text starts with; another scheme would start with another.
const VERSION: &str = "v1";
/// A link secret's prefix, so a leaked one is recognised (by people and secret scanners).
pub const SECRET_PREFIX: &str = "pls_";
/// The relationship of a link without `rel`, and the one its signed text names.
pub const DEFAULT_RELATIONSHIP: &str = "customer";

/// A signed link's query, as received (`axum::extract::Query` fills it). Every field is
/// optional here so that [`verify`] can say which required one is missing; unknown
/// parameters (a mailer's `utm_source`) are ignored, and are not signed.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct LinkQuery {
    /// `ref`: the shop's reference (its order number); required.
    #[serde(rename = "ref")]
    pub r#ref: Option<String>,
    /// `rel`: the relationship; absent or empty means `customer`.
    pub rel: Option<String>,
    /// `exp`: when the link stops working, in Unix seconds; required.
    pub exp: Option<String>,
    /// `email`: the customer's address; absent means none.
    pub email: Option<String>,
    /// `sig`: the signature, unpadded base64url; required.
    pub sig: Option<String>,
}

/// The e-mail address is personal data and the signature a bearer credential: neither is
/// ever written to a log.
impl std::fmt::Debug for LinkQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkQuery")
            .field("ref", &self.r#ref)
            .field("rel", &self.rel)
            .field("exp", &self.exp)
            .field("email", &self.email.as_ref().map(|_| "redacted"))
            .field("sig", &self.sig.as_ref().map(|_| "redacted"))
            .finish()
    }
}

/// What a link whose signature holds, and which has not expired, says. Its fields are as
/// the shop signed them, not yet validated as an invitation (`NewInvitation::parse` does).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedLink {
    /// The shop's reference: the invitation's idempotency key.
    pub reference: String,
    /// The relationship, `customer` when the link has none.
    pub relationship: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// The customer's address, `None` when the link has none or an empty one.
    pub email: Option<String>,
}

/// The e-mail address is personal data: never in a log.
impl std::fmt::Debug for SignedLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedLink")
            .field("reference", &self.reference)
            .field("relationship", &self.relationship)
            .field("expires_at", &self.expires_at)
            .field("email", &self.email.as_ref().map(|_| "redacted"))
            .finish()
    }
}

/// Why a link is refused.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// A required parameter (`ref`, `exp` or `sig`) is absent or empty.
    #[error("the link has no {0}")]
    Missing(&'static str),
    /// The signature is not the business's over this link (or not a signature at all), or
    /// what it covers cannot be a link: the visitor sees a 403 page.
    #[error("the link's signature does not hold")]
    BadSignature,
    /// The signature holds, but the link's time is past: the visitor sees a 410 page.
    #[error("the link has expired")]
    Expired,
}

/// The text a link signs: `v1\n{slug}\n{ref}\n{rel}\n{exp}\n{email}`, with no line break
/// at the end (`email` may be empty).
pub fn signed_text(
    slug: &str,
    reference: &str,
    relationship: &str,
    exp: i64,
    email: &str,
) -> String {
    join(slug, reference, relationship, &exp.to_string(), email)
}

/// The signed text with `exp` as received, since the signature covers it as sent.
fn join(slug: &str, reference: &str, relationship: &str, exp: &str, email: &str) -> String {
    format!("{VERSION}\n{slug}\n{reference}\n{relationship}\n{exp}\n{email}")
}

/// A required parameter's value: present and not empty.
fn required<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, LinkError> {
    match value.as_deref() {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(LinkError::Missing(name)),
    }
}

fn mac(secret: &str, text: &str) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(text.as_bytes());
    mac
}

/// A link's `sig`: the unpadded base64url HMAC-SHA-256 of [`signed_text`], keyed with the
/// secret's UTF-8 bytes. What the shop computes; the server only needs it in tests and
/// tools.
pub fn sign(
    secret: &str,
    slug: &str,
    reference: &str,
    relationship: &str,
    exp: i64,
    email: &str,
) -> String {
    let text = signed_text(slug, reference, relationship, exp, email);
    URL_SAFE_NO_PAD.encode(mac(secret, &text).finalize().into_bytes())
}

/// Checks a link to `/i/{slug}` with the business's secret: required parameters first,
/// then the signature (in constant time), and only then the expiry, so that an unsigned
/// link learns nothing but that it is refused. A link without `rel` (or with an empty one)
/// is a `customer` link, signed as such; one without `email` is signed with an empty one.
pub fn verify(
    secret: &str,
    slug: &str,
    query: &LinkQuery,
    now: DateTime<Utc>,
) -> Result<SignedLink, LinkError> {
    let reference = required(&query.r#ref, "ref")?;
    let exp = required(&query.exp, "exp")?;
    let sig = required(&query.sig, "sig")?;
    let relationship = match query.rel.as_deref() {
        Some(rel) if !rel.is_empty() => rel,
        _ => DEFAULT_RELATIONSHIP,
    };
    let email = query.email.as_deref().unwrap_or_default();
    // A line break inside a field would let one signed text be read as several links.
    if [reference, relationship, exp, email]
        .iter()
        .any(|field| field.contains('\n'))
    {
        return Err(LinkError::BadSignature);
    }
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| LinkError::BadSignature)?;
    mac(secret, &join(slug, reference, relationship, exp, email))
        .verify_slice(&sig)
        .map_err(|_| LinkError::BadSignature)?;
    // Signed, yet no time: the shop's mistake, and no link either.
    let expires_at = exp
        .parse::<i64>()
        .ok()
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .ok_or(LinkError::BadSignature)?;
    if expires_at <= now {
        return Err(LinkError::Expired);
    }
    Ok(SignedLink {
        reference: reference.to_owned(),
        relationship: relationship.to_owned(),
        expires_at,
        email: (!email.is_empty()).then(|| email.to_owned()),
    })
}

/// Why a signed link opens nothing.
#[derive(Debug)]
pub enum Refused {
    /// Not signed with the business's current secret (or the business has none): `403`.
    Forbidden,
    /// Signed, but past its `exp`: `410`.
    Expired,
    /// A required parameter is missing: `400`.
    Missing(&'static str),
    /// Signed, but not an invitation (a reference too long, an unknown relationship): `400`.
    Invalid(domain::ValidationErrors),
    Store(store::StoreError),
}

impl From<store::StoreError> for Refused {
    fn from(e: store::StoreError) -> Self {
        Self::Store(e)
    }
}

/// The first visit of a link the business signed: checks it against the business's current
/// link secret, then creates its invitation (or finds the one its reference already has),
/// expiring with the link (1 to 365 days). No e-mail is sent: whoever opened the link is
/// already here. The caller continues to the review form exactly as `/r/{token}` does.
pub async fn open(
    app: &crate::App,
    business: domain::ids::BusinessId,
    slug: &str,
    query: &LinkQuery,
    now: DateTime<Utc>,
) -> Result<crate::invitations::Invited, Refused> {
    use domain::invitation::{InvitationInput, InvitationSource, NewInvitation};
    let Some(generation) = app.store.link_generation(business).await? else {
        return Err(Refused::Forbidden);
    };
    let secret = app.instance_key.link_secret(business, generation);
    let link = verify(&secret, slug, query, now).map_err(|e| match e {
        LinkError::Missing(field) => Refused::Missing(field),
        LinkError::BadSignature => Refused::Forbidden,
        LinkError::Expired => Refused::Expired,
    })?;
    let days = ((link.expires_at - now).num_seconds() + 86_399) / 86_400;
    let days = days.clamp(1, 365);
    let invitation = NewInvitation::parse(
        InvitationInput {
            reference: &link.reference,
            relationship: Some(&link.relationship),
            customer_email: link.email.as_deref(),
            expires_in_days: Some(days),
            ..Default::default()
        },
        now,
    )
    .map_err(Refused::Invalid)?;
    // The invitation expires with the link (within the longest validity).
    let invitation = NewInvitation {
        source: InvitationSource::Link,
        expires_at: link.expires_at.min(invitation.expires_at),
        ..invitation
    };
    Ok(crate::invitations::invite_without_mail(app, business, invitation, now).await?)
}

/// A new link secret: `pls_` and 32 random bytes in unpadded base64url (256 bits). Shown
/// once; the HMAC key is the whole string's UTF-8 bytes, prefix included.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;

    /// `pls_` and the bytes 0 to 31: the documentation's example secret.
    const SECRET: &str = "pls_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const SLUG: &str = "trattoria-da-gino";
    const REF: &str = "ORD-2024/0042";
    const EMAIL: &str = "maria.rossi+ordini@example.it";
    /// 2026-01-01T00:00:00Z.
    const EXP: i64 = 1_767_225_600;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn query(rel: Option<&str>, email: Option<&str>) -> LinkQuery {
        let sig = sign(
            SECRET,
            SLUG,
            REF,
            rel.unwrap_or(DEFAULT_RELATIONSHIP),
            EXP,
            email.unwrap_or_default(),
        );
        LinkQuery {
            r#ref: Some(REF.into()),
            rel: rel.map(Into::into),
            exp: Some(EXP.to_string()),
            email: email.map(Into::into),
            sig: Some(sig),
        }
    }

    #[test]
    fn links_round_trip() {
        let link = verify(
            SECRET,
            SLUG,
            &query(Some("supplier"), Some(EMAIL)),
            at(EXP - 1),
        )
        .unwrap();
        assert_eq!(
            link,
            SignedLink {
                reference: REF.into(),
                relationship: "supplier".into(),
                expires_at: at(EXP),
                email: Some(EMAIL.into()),
            }
        );
    }

    #[test]
    fn rel_and_email_may_be_left_out() {
        let link = verify(SECRET, SLUG, &query(None, None), at(EXP - 1)).unwrap();
        assert_eq!(link.relationship, "customer");
        assert_eq!(link.email, None);
        // An empty email is none, and an empty rel is `customer`, signed as such.
        let mut q = query(None, None);
        q.email = Some(String::new());
        q.rel = Some(String::new());
        let link = verify(SECRET, SLUG, &q, at(EXP - 1)).unwrap();
        assert_eq!(link.relationship, "customer");
        assert_eq!(link.email, None);
        // `customer` written out is signed the same as left out.
        let mut q = query(None, Some(EMAIL));
        q.rel = Some("customer".into());
        assert!(verify(SECRET, SLUG, &q, at(EXP - 1)).is_ok());
    }

    #[test]
    fn every_tampered_field_breaks_the_signature() {
        let good = query(Some("customer"), Some(EMAIL));
        let now = at(EXP - 1);
        let tampered: [fn(&mut LinkQuery); 7] = [
            |q| q.r#ref = Some("ORD-2024/0043".into()),
            |q| q.rel = Some("employee".into()),
            |q| q.exp = Some((EXP + 1).to_string()),
            // The same time written otherwise is another signed text.
            |q| q.exp = Some(format!("0{EXP}")),
            |q| q.email = Some("someone@example.it".into()),
            |q| q.email = None,
            |q| {
                let mut sig = q.sig.take().unwrap().into_bytes();
                sig[0] = if sig[0] == b'A' { b'B' } else { b'A' };
                q.sig = Some(String::from_utf8(sig).unwrap());
            },
        ];
        for (i, tamper) in tampered.iter().enumerate() {
            let mut q = good.clone();
            tamper(&mut q);
            assert_eq!(
                verify(SECRET, SLUG, &q, now),
                Err(LinkError::BadSignature),
                "#{i}"
            );
        }
        // Another business, or a rotated secret.
        assert_eq!(
            verify(SECRET, "pizzeria", &good, now),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            verify(&new_secret(), SLUG, &good, now),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn signatures_that_are_not_base64url_are_bad() {
        let good = query(None, None);
        let sig = good.sig.clone().unwrap();
        for bad in [
            format!("{sig}="),
            sig.replace('-', "+").replace('_', "/"),
            sig[..20].to_owned(),
            "not a signature".to_owned(),
        ] {
            let q = LinkQuery {
                sig: Some(bad),
                ..good.clone()
            };
            assert_eq!(
                verify(SECRET, SLUG, &q, at(EXP - 1)),
                Err(LinkError::BadSignature)
            );
        }
    }

    #[test]
    fn line_breaks_in_a_field_are_refused() {
        // Signed by the secret's holder, yet readable as another link: refused anyway.
        let rel = "customer\n1767225600";
        let q = LinkQuery {
            r#ref: Some(REF.into()),
            rel: Some(rel.into()),
            exp: Some(EXP.to_string()),
            email: None,
            sig: Some(sign(SECRET, SLUG, REF, rel, EXP, "")),
        };
        assert_eq!(
            verify(SECRET, SLUG, &q, at(EXP - 1)),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn expiry_is_checked_after_the_signature() {
        let good = query(None, Some(EMAIL));
        assert_eq!(
            verify(SECRET, SLUG, &good, at(EXP)),
            Err(LinkError::Expired)
        );
        assert_eq!(
            verify(SECRET, SLUG, &good, at(EXP + 86_400)),
            Err(LinkError::Expired)
        );
        let almost = at(EXP) - chrono::Duration::milliseconds(1);
        assert!(verify(SECRET, SLUG, &good, almost).is_ok());
        // An expired link with a bad signature is a bad link, not an expired one.
        let forged = LinkQuery {
            r#ref: Some("ORD-2024/0043".into()),
            ..good
        };
        assert_eq!(
            verify(SECRET, SLUG, &forged, at(EXP + 1)),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn a_signed_exp_that_is_no_time_is_a_bad_link() {
        for exp in ["soon", "1.5", "99999999999999999999", "9223372036854775807"] {
            let text = join(SLUG, REF, "customer", exp, "");
            let sig = URL_SAFE_NO_PAD.encode(mac(SECRET, &text).finalize().into_bytes());
            let q = LinkQuery {
                r#ref: Some(REF.into()),
                exp: Some(exp.into()),
                sig: Some(sig),
                ..LinkQuery::default()
            };
            assert_eq!(
                verify(SECRET, SLUG, &q, at(0)),
                Err(LinkError::BadSignature),
                "{exp}"
            );
        }
    }

    #[test]
    fn required_parameters_are_named() {
        let good = query(None, None);
        let now = at(EXP - 1);
        for (name, blank) in [
            (
                "ref",
                LinkQuery {
                    r#ref: None,
                    ..good.clone()
                },
            ),
            (
                "exp",
                LinkQuery {
                    exp: None,
                    ..good.clone()
                },
            ),
            (
                "sig",
                LinkQuery {
                    sig: None,
                    ..good.clone()
                },
            ),
            (
                "sig",
                LinkQuery {
                    sig: Some(String::new()),
                    ..good.clone()
                },
            ),
        ] {
            assert_eq!(
                verify(SECRET, SLUG, &blank, now),
                Err(LinkError::Missing(name))
            );
        }
        assert_eq!(
            verify(SECRET, SLUG, &LinkQuery::default(), now),
            Err(LinkError::Missing("ref"))
        );
    }

    /// The documentation's worked example, computed independently with:
    ///
    /// ```sh
    /// python3 -c 'import hmac,hashlib,base64; print(base64.urlsafe_b64encode(hmac.new(
    ///   b"pls_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    ///   b"v1\ntrattoria-da-gino\nORD-2024/0042\ncustomer\n1767225600\nmaria.rossi+ordini@example.it",
    ///   hashlib.sha256).digest()).rstrip(b"=").decode())'
    /// ```
    ///
    /// (and with `b"...\n1767225600\n"` for the link without an e-mail address).
    #[test]
    fn the_documented_vector() {
        assert_eq!(
            signed_text(SLUG, REF, "customer", EXP, EMAIL),
            "v1\ntrattoria-da-gino\nORD-2024/0042\ncustomer\n1767225600\nmaria.rossi+ordini@example.it"
        );
        assert_eq!(
            sign(SECRET, SLUG, REF, "customer", EXP, EMAIL),
            "BaPa-K_bquFulwb38OREYCqC3pLUOMulT5xHTE1V5e8"
        );
        assert_eq!(
            sign(SECRET, SLUG, REF, "customer", EXP, ""),
            "8pI-TemSnxM2O-VipAdqmzrNt0wqdFpJsj2C-V9SjgU"
        );
    }

    /// The secret the documentation uses is what `pls_` and the bytes 0 to 31 encode to,
    /// and a new one looks like it.
    #[test]
    fn secrets_are_prefixed_256_bits() {
        let bytes: Vec<u8> = (0..32).collect();
        assert_eq!(format!("pls_{}", URL_SAFE_NO_PAD.encode(&bytes)), SECRET);
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(a.len(), SECRET_PREFIX.len() + 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a[4..]).unwrap().len(), 32);
    }

    #[test]
    fn debug_never_shows_the_email_or_the_signature() {
        let q = query(None, Some(EMAIL));
        let shown = format!("{q:?}");
        assert!(!shown.contains("maria"), "{shown}");
        assert!(!shown.contains(q.sig.as_deref().unwrap()), "{shown}");
        let link = verify(SECRET, SLUG, &q, at(EXP - 1)).unwrap();
        let shown = format!("{link:?}");
        assert!(!shown.contains("maria"), "{shown}");
        assert!(shown.contains(REF), "{shown}");
    }

    /// The Python example in the documentation (`docs/examples/invitation_link.py`) signs
    /// links this module accepts, with every value percent-encoded in the URL.
    #[test]
    fn the_python_example_signs_links_we_accept() {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/invitation_link.py");
        let run = |args: &[&str]| {
            let out = Command::new("python3")
                .arg(&script)
                .args(args)
                .output()
                .expect("python3 runs docs/examples/invitation_link.py");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{stderr}");
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        let check = |printed: &str, email: Option<&str>, reference: &str| {
            let url = url::Url::parse(printed).unwrap();
            let slug = url.path().strip_prefix("/pp/i/").unwrap();
            let mut q = LinkQuery::default();
            for (key, value) in url.query_pairs() {
                let field = match key.as_ref() {
                    "ref" => &mut q.r#ref,
                    "rel" => &mut q.rel,
                    "exp" => &mut q.exp,
                    "email" => &mut q.email,
                    "sig" => &mut q.sig,
                    other => panic!("unexpected parameter {other}"),
                };
                assert!(field.replace(value.into_owned()).is_none(), "{key} twice");
            }
            let link = verify(SECRET, slug, &q, at(EXP - 1)).unwrap();
            assert_eq!(link.reference, reference);
            assert_eq!(link.relationship, "customer");
            assert_eq!(link.expires_at, at(EXP));
            assert_eq!(link.email.as_deref(), email);
        };
        let base = "https://reviews.example.org/pp/";
        let exp = EXP.to_string();
        let printed = run(&[base, SLUG, SECRET, REF, &exp, EMAIL]);
        assert_eq!(
            printed,
            "https://reviews.example.org/pp/i/trattoria-da-gino?ref=ORD-2024%2F0042\
             &rel=customer&exp=1767225600&email=maria.rossi%2Bordini%40example.it\
             &sig=BaPa-K_bquFulwb38OREYCqC3pLUOMulT5xHTE1V5e8"
        );
        check(&printed, Some(EMAIL), REF);
        // No e-mail address; a reference with spaces, `&`, `=`, `+` and non-ASCII letters.
        let awkward = "Ordine n° 42 & 43 = a+b ✓";
        let printed = run(&[base, SLUG, SECRET, awkward, &exp]);
        assert!(!printed.contains("email="), "{printed}");
        check(&printed, None, awkward);
        // Without exp, the example makes one 30 days from now: not yet expired.
        let printed = run(&[base, SLUG, SECRET, REF]);
        let url = url::Url::parse(&printed).unwrap();
        let exp: i64 = url
            .query_pairs()
            .find(|(k, _)| k == "exp")
            .unwrap()
            .1
            .parse()
            .unwrap();
        let days = (at(exp) - Utc::now()).num_days();
        assert!((29..=30).contains(&days), "{days}");
    }
}
