//! Invitations: how a business asks someone it really dealt with for a review. Everyone
//! invited gets the same neutral invitation, whatever they are expected to say.

use crate::error::{Invalid, ValidationErrors};
use crate::text::{Lines, bounded_text};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Who the reviewer is to the business. Each relationship has its own voice and its own
/// figures: a supplier's review never counts towards the customers' score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Customer,
    Supplier,
    Employee,
    Partner,
    Investor,
    Other,
}

impl Relationship {
    pub const ALL: [Relationship; 6] = [
        Self::Customer,
        Self::Supplier,
        Self::Employee,
        Self::Partner,
        Self::Investor,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Supplier => "supplier",
            Self::Employee => "employee",
            Self::Partner => "partner",
            Self::Investor => "investor",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Relationship {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Invalid::new(
                    "invalid_choice",
                    "must be one of customer, supplier, employee, partner, investor, other",
                )
            })
    }
}

/// The languages the platform speaks to people in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    It,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::It => "it",
            Self::En => "en",
        }
    }
}

impl FromStr for Locale {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s {
            "it" => Ok(Self::It),
            "en" => Ok(Self::En),
            _ => Err(Invalid::new("invalid_choice", "must be one of it, en")),
        }
    }
}

bounded_text!(
    /// The business's own reference for the interaction, such as an order number. It is the
    /// invitation's idempotency key: one invitation per reference and business.
    Reference,
    1,
    100,
    Lines::Single
);
bounded_text!(
    /// The invited person's name, as the business knows it. Private to the business.
    CustomerName,
    1,
    120,
    Lines::Single
);
bounded_text!(
    /// A product's stock-keeping unit, as the business names it.
    Sku,
    1,
    64,
    Lines::Single
);
bounded_text!(
    /// A product's display name.
    ProductName,
    1,
    200,
    Lines::Single
);

/// An e-mail address. Personal data: stored for sending, never logged, never public.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.len() > 254 || !email_address::EmailAddress::is_valid(s) {
            return Err(Invalid::new(
                "invalid_email",
                "must be a valid e-mail address",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(redacted)")
    }
}

/// Where an invitation came from, for the public figures of `/b/{slug}/invitations`: a
/// shop connection, or a person (the API, the pages, a CSV import, a link the shop signed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationSource {
    Api,
    Page,
    Csv,
    Link,
    Shopify,
    Woocommerce,
}

impl InvitationSource {
    pub const ALL: [InvitationSource; 6] = [
        Self::Api,
        Self::Page,
        Self::Csv,
        Self::Link,
        Self::Shopify,
        Self::Woocommerce,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Page => "page",
            Self::Csv => "csv",
            Self::Link => "link",
            Self::Shopify => "shopify",
            Self::Woocommerce => "woocommerce",
        }
    }

    /// Whether a shop connection created it (rather than a person, by hand).
    pub fn is_shop(self) -> bool {
        matches!(self, Self::Shopify | Self::Woocommerce)
    }
}

impl FromStr for InvitationSource {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| Invalid::new("invalid_choice", "unknown invitation source"))
    }
}

/// An address on the web of something a product has (its page, its picture): an absolute
/// `http` or `https` URL with a host, at most [`ProductUrl::MAX_LEN`] characters once
/// normalised (non-ASCII characters percent-encoded, the host in punycode). Refused: any
/// other scheme (`javascript:`, `data:`, `ftp:`…), credentials (`https://user:pw@host/`),
/// and control characters anywhere (the URL standard would silently drop tabs and line
/// breaks; here they are an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ProductUrl(String);

impl ProductUrl {
    /// The longest URL stored, in characters (of its normalised, ASCII, form).
    pub const MAX_LEN: usize = 2000;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("invalid_url", "must be an absolute http:// or https:// URL");
        let s = input.trim();
        // Far too long to be stored: not worth parsing.
        if s.len() > 4 * Self::MAX_LEN {
            return Err(too_long_url());
        }
        if s.chars().any(char::is_control) {
            return Err(Invalid::new(
                "invalid_character",
                "must not contain control characters",
            ));
        }
        let url = url::Url::parse(s).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(bad());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(
                "invalid_url",
                "must not contain a user name or password",
            ));
        }
        let url: String = url.into();
        if url.len() > Self::MAX_LEN {
            return Err(too_long_url());
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn too_long_url() -> Invalid {
    Invalid::new(
        "too_long",
        format!("must be at most {} characters", ProductUrl::MAX_LEN),
    )
}

/// A Global Trade Item Number (EAN, UPC, JAN, ISBN-13, ITF-14): 8, 12, 13 or 14 digits, the
/// last of them GS1's check digit, kept as given (no padding added or taken away).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Gtin(String);

impl Gtin {
    /// The lengths GS1 defines: GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN, ISBN-13), GTIN-14.
    pub const LENGTHS: [usize; 4] = [8, 12, 13, 14];

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        if !Self::LENGTHS.contains(&input.len()) || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "invalid_gtin",
                "must be 8, 12, 13 or 14 digits (no spaces or hyphens)",
            ));
        }
        if input.bytes().all(|b| b == b'0') {
            return Err(Invalid::new("invalid_gtin", "must not be all zeros"));
        }
        if !gs1_check_digit_valid(input.as_bytes()) {
            return Err(Invalid::new(
                "invalid_check_digit",
                "its last digit is not the GS1 check digit of the others",
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How many digits it has: 8, 12, 13 or 14 (GS1's GTIN-8 … GTIN-14).
    pub fn digits(&self) -> usize {
        self.0.len()
    }
}

/// GS1's check: from the right, the check digit weighs 1, the digit before it 3, the one
/// before that 1, and so on; the weighted sum is a multiple of 10. `digits` are ASCII
/// digits.
fn gs1_check_digit_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    sum.is_multiple_of(10)
}

/// A product the invitation is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub sku: Sku,
    pub name: ProductName,
    /// The product's own page (on the business's site).
    pub url: Option<ProductUrl>,
    /// A picture of the product.
    pub image: Option<ProductUrl>,
    /// Its GTIN, when it has one.
    pub gtin: Option<Gtin>,
}

/// The raw fields of one product of an invitation request, before validation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductInput<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    pub url: Option<&'a str>,
    pub image: Option<&'a str>,
    pub gtin: Option<&'a str>,
}

impl<'a> ProductInput<'a> {
    /// A product with a SKU and a name only.
    pub fn new(sku: &'a str, name: &'a str) -> Self {
        Self {
            sku,
            name,
            ..Self::default()
        }
    }
}

/// The most products one invitation may list.
pub const MAX_PRODUCTS: usize = 50;
/// How long an invitation stays valid unless the business says otherwise.
pub const DEFAULT_EXPIRY_DAYS: i64 = 90;
/// The longest validity a business may ask for.
pub const MAX_EXPIRY_DAYS: i64 = 365;

/// An invitation as the business asked for it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub reference: Reference,
    pub relationship: Relationship,
    pub customer_name: Option<CustomerName>,
    pub customer_email: Option<Email>,
    pub products: Vec<Product>,
    pub locale: Locale,
    pub expires_at: DateTime<Utc>,
    /// When the invitation e-mail goes out (if there is an address and e-mail is
    /// configured); `None`: at once.
    pub send_at: Option<DateTime<Utc>>,
    /// Who asked for it; [`InvitationSource::Api`] unless the caller says otherwise.
    pub source: InvitationSource,
}

/// The raw fields of an invitation request, before validation.
#[derive(Debug, Clone, Default)]
pub struct InvitationInput<'a> {
    pub reference: &'a str,
    pub relationship: Option<&'a str>,
    pub customer_name: Option<&'a str>,
    pub customer_email: Option<&'a str>,
    pub products: Vec<ProductInput<'a>>,
    pub locale: Option<&'a str>,
    pub expires_in_days: Option<i64>,
    /// When to send the e-mail; `None`: at once.
    pub send_at: Option<DateTime<Utc>>,
}

impl NewInvitation {
    pub fn parse(input: InvitationInput<'_>, now: DateTime<Utc>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let reference = errors.check("reference", Reference::parse(input.reference));
        let relationship = match input.relationship {
            Some(r) => errors.check("relationship", r.parse()),
            None => Some(Relationship::Customer),
        };
        let customer_name = input
            .customer_name
            .and_then(|n| errors.check("customer_name", CustomerName::parse(n)));
        let customer_email = input
            .customer_email
            .and_then(|e| errors.check("customer_email", Email::parse(e)));
        if input.products.len() > MAX_PRODUCTS {
            errors.check::<()>(
                "products",
                Err(Invalid::new(
                    "too_many",
                    format!("may list at most {MAX_PRODUCTS} products"),
                )),
            );
        }
        let mut products = Vec::with_capacity(input.products.len());
        for (i, p) in input.products.iter().enumerate() {
            // "." and ".." would be path segments a URL resolves away: no product page.
            let sku = errors.check(
                &format!("products[{i}].sku"),
                Sku::parse(p.sku).and_then(|s| match s.as_str() {
                    "." | ".." => Err(Invalid::new("invalid", "must not be . or ..")),
                    _ => Ok(s),
                }),
            );
            let name = errors.check(&format!("products[{i}].name"), ProductName::parse(p.name));
            // `Some(None)`: not given; `None`: given and invalid (its error recorded).
            let url = match p.url {
                Some(u) => errors
                    .check(&format!("products[{i}].url"), ProductUrl::parse(u))
                    .map(Some),
                None => Some(None),
            };
            let image = match p.image {
                Some(u) => errors
                    .check(&format!("products[{i}].image"), ProductUrl::parse(u))
                    .map(Some),
                None => Some(None),
            };
            let gtin = match p.gtin {
                Some(g) => errors
                    .check(&format!("products[{i}].gtin"), Gtin::parse(g))
                    .map(Some),
                None => Some(None),
            };
            if let (Some(sku), Some(name), Some(url), Some(image), Some(gtin)) =
                (sku, name, url, image, gtin)
            {
                if products.iter().any(|p: &Product| p.sku == sku) {
                    errors.check::<()>(
                        &format!("products[{i}].sku"),
                        Err(Invalid::new("duplicate", "each product may be listed once")),
                    );
                } else {
                    products.push(Product {
                        sku,
                        name,
                        url,
                        image,
                        gtin,
                    });
                }
            }
        }
        let locale = match input.locale {
            Some(l) => errors.check("locale", l.parse()),
            None => Some(Locale::It),
        };
        let days = input.expires_in_days.unwrap_or(DEFAULT_EXPIRY_DAYS);
        if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
            errors.check::<()>(
                "expires_in_days",
                Err(Invalid::new(
                    "out_of_range",
                    format!("must be between 1 and {MAX_EXPIRY_DAYS}"),
                )),
            );
        }
        let expires_at = now + Duration::days(days);
        if let Some(at) = input.send_at
            && (at >= expires_at || at < now - Duration::days(1))
        {
            errors.check::<()>(
                "send_at",
                Err(Invalid::new(
                    "out_of_range",
                    "must be from today until the invitation expires",
                )),
            );
        }
        errors.into_result()?;
        match (reference, relationship, locale) {
            (Some(reference), Some(relationship), Some(locale)) => Ok(Self {
                reference,
                relationship,
                customer_name,
                customer_email,
                products,
                locale,
                expires_at,
                send_at: input.send_at,
                source: InvitationSource::Api,
            }),
            // Unreachable in practice: every `None` above recorded an error.
            _ => Err(ValidationErrors::single(
                "reference",
                "invalid",
                "invalid invitation",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn defaults_customer_italian_ninety_days() {
        let inv = NewInvitation::parse(
            InvitationInput {
                reference: "ORD-1",
                ..Default::default()
            },
            now(),
        )
        .unwrap();
        assert_eq!(inv.relationship, Relationship::Customer);
        assert_eq!(inv.locale, Locale::It);
        assert_eq!(inv.expires_at - now(), Duration::days(90));
    }

    #[test]
    fn reports_each_bad_field_by_name() {
        let err = NewInvitation::parse(
            InvitationInput {
                reference: "",
                relationship: Some("friend"),
                customer_email: Some("not-an-email"),
                products: vec![
                    ProductInput::new("A1", "Pasta"),
                    ProductInput::new("A1", "Pasta again"),
                    ProductInput::new("", "x"),
                ],
                locale: Some("fr"),
                expires_in_days: Some(0),
                ..Default::default()
            },
            now(),
        )
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "reference",
                "relationship",
                "customer_email",
                "products[1].sku",
                "products[2].sku",
                "locale",
                "expires_in_days"
            ]
        );
    }

    #[test]
    fn real_gtins_are_accepted() {
        for (gtin, digits) in [
            ("4006381333931", 13),  // EAN-13, the barcode articles' example
            ("036000291452", 12),   // UPC-A, likewise
            ("96385074", 8),        // EAN-8, likewise
            ("9780306406157", 13),  // ISBN 978-0-306-40615-7
            ("8076802085738", 13),  // GS1 Italy's prefix (80–83)
            ("10012345678902", 14), // GTIN-14, packaging indicator 1
            ("00012345600012", 14), // a GTIN-12 padded to 14 digits
        ] {
            let parsed = Gtin::parse(gtin).unwrap_or_else(|e| panic!("{gtin}: {e}"));
            assert_eq!(parsed.as_str(), gtin);
            assert_eq!(parsed.digits(), digits);
        }
    }

    #[test]
    fn gtins_with_a_wrong_check_digit_or_shape_are_refused() {
        for (gtin, code) in [
            ("4006381333932", "invalid_check_digit"),
            ("036000291453", "invalid_check_digit"),
            ("96385075", "invalid_check_digit"),
            ("4006381333913", "invalid_check_digit"), // two digits swapped
            ("10012345678903", "invalid_check_digit"),
            ("", "invalid_gtin"),
            ("1234567", "invalid_gtin"),
            ("96385074 ", "invalid_gtin"),
            ("400638133393", "invalid_check_digit"), // 12 digits, not a valid one
            ("40063813339310", "invalid_check_digit"),
            ("123456789012345", "invalid_gtin"),
            ("0360002914", "invalid_gtin"),
            ("4006-381333931", "invalid_gtin"),
            ("400638133393a", "invalid_gtin"),
            ("４００６３８１３３３９３１", "invalid_gtin"), // full-width digits
            ("00000000", "invalid_gtin"),
            ("0000000000000", "invalid_gtin"),
        ] {
            let err = Gtin::parse(gtin).expect_err(gtin);
            assert_eq!(err.code, code, "{gtin:?}");
        }
    }

    #[test]
    fn every_single_digit_error_is_caught() {
        // GS1's check digit catches any one wrong digit.
        let good = b"4006381333931";
        for at in 0..good.len() {
            for d in b'0'..=b'9' {
                if d == good[at] {
                    continue;
                }
                let mut bad = good.to_vec();
                bad[at] = d;
                assert!(!gs1_check_digit_valid(&bad), "{:?}", String::from_utf8(bad));
            }
        }
    }

    #[test]
    fn product_urls_are_absolute_http_without_credentials_or_controls() {
        for (ok, stored) in [
            (
                "https://shop.example.it/p/moka",
                "https://shop.example.it/p/moka",
            ),
            ("  http://EXAMPLE.it/a?b=c#d ", "http://example.it/a?b=c#d"),
            ("https://bottega.it/caffè", "https://bottega.it/caff%C3%A8"),
            ("https://xn--caff-8oa.it/", "https://xn--caff-8oa.it/"),
            (
                "https://example.it:8443/x.png",
                "https://example.it:8443/x.png",
            ),
        ] {
            let parsed = ProductUrl::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(parsed.as_str(), stored);
        }
        for (bad, code) in [
            ("javascript:alert(1)", "invalid_url"),
            ("JavaScript:alert(1)", "invalid_url"),
            ("data:image/png;base64,AAAA", "invalid_url"),
            ("ftp://example.it/x.png", "invalid_url"),
            ("file:///etc/passwd", "invalid_url"),
            ("mailto:a@example.it", "invalid_url"),
            ("/p/moka", "invalid_url"),
            ("//example.it/p", "invalid_url"),
            ("example.it/p", "invalid_url"),
            ("https://", "invalid_url"),
            ("", "invalid_url"),
            ("https://user:secret@example.it/", "invalid_url"),
            ("https://user@example.it/", "invalid_url"),
            ("https://:secret@example.it/", "invalid_url"),
            ("https://example.it/a\tb", "invalid_character"),
            ("https://example.it/a\nb", "invalid_character"),
            ("https://exa\rmple.it/", "invalid_character"),
            ("https://example.it/a\u{0}b", "invalid_character"),
            ("https://example.it/a\u{85}b", "invalid_character"),
            ("https://example.it/a\u{7f}b", "invalid_character"),
        ] {
            let err = ProductUrl::parse(bad).expect_err(bad);
            assert_eq!(err.code, code, "{bad:?}");
        }
    }

    #[test]
    fn product_urls_are_at_most_two_thousand_characters_once_normalised() {
        let base = "https://example.it/";
        let longest = format!("{base}{}", "a".repeat(ProductUrl::MAX_LEN - base.len()));
        assert_eq!(ProductUrl::parse(&longest).unwrap().as_str().len(), 2000);
        let err = ProductUrl::parse(&format!("{longest}a")).unwrap_err();
        assert_eq!(err.code, "too_long");
        // 1,000 characters that percent-encode to 6,000.
        let err = ProductUrl::parse(&format!("{base}{}", "è".repeat(1000))).unwrap_err();
        assert_eq!(err.code, "too_long");
        let err = ProductUrl::parse(&format!("{base}{}", "a".repeat(100_000))).unwrap_err();
        assert_eq!(err.code, "too_long");
    }

    #[test]
    fn products_carry_their_details_and_each_bad_one_is_named() {
        let inv = NewInvitation::parse(
            InvitationInput {
                reference: "ORD-1",
                products: vec![
                    ProductInput {
                        sku: "MOKA",
                        name: "Moka 3 tazze",
                        url: Some("https://shop.example.it/moka"),
                        image: Some("https://cdn.example.it/moka.jpg"),
                        gtin: Some("8076802085738"),
                    },
                    ProductInput::new("TAZZA", "Tazza"),
                ],
                ..Default::default()
            },
            now(),
        )
        .unwrap();
        let moka = &inv.products[0];
        assert_eq!(
            moka.url.as_ref().map(ProductUrl::as_str),
            Some("https://shop.example.it/moka")
        );
        assert_eq!(
            moka.image.as_ref().map(ProductUrl::as_str),
            Some("https://cdn.example.it/moka.jpg")
        );
        assert_eq!(moka.gtin.as_ref().map(Gtin::as_str), Some("8076802085738"));
        let tazza = &inv.products[1];
        assert!(tazza.url.is_none() && tazza.image.is_none() && tazza.gtin.is_none());

        let err = NewInvitation::parse(
            InvitationInput {
                reference: "ORD-2",
                products: vec![
                    ProductInput::new("A1", "Pasta"),
                    ProductInput {
                        url: Some("javascript:alert(1)"),
                        image: Some("https://u:p@example.it/x.png"),
                        gtin: Some("4006381333932"),
                        ..ProductInput::new("A2", "Sugo")
                    },
                ],
                ..Default::default()
            },
            now(),
        )
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("products[1].url", "invalid_url"),
                ("products[1].image", "invalid_url"),
                ("products[1].gtin", "invalid_check_digit"),
            ]
        );
    }

    #[test]
    fn email_debug_is_redacted() {
        let e = Email::parse("mario.rossi@example.it").unwrap();
        assert!(!format!("{e:?}").contains("mario"));
    }

    #[test]
    fn relationship_round_trips() {
        for r in Relationship::ALL {
            assert_eq!(r.as_str().parse::<Relationship>().unwrap(), r);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
    }
}
