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

/// A product the invitation is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub sku: Sku,
    pub name: ProductName,
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
    pub products: Vec<(&'a str, &'a str)>,
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
        for (i, (sku, name)) in input.products.iter().enumerate() {
            // "." and ".." would be path segments a URL resolves away: no product page.
            let sku = errors.check(
                &format!("products[{i}].sku"),
                Sku::parse(sku).and_then(|s| match s.as_str() {
                    "." | ".." => Err(Invalid::new("invalid", "must not be . or ..")),
                    _ => Ok(s),
                }),
            );
            let name = errors.check(&format!("products[{i}].name"), ProductName::parse(name));
            if let (Some(sku), Some(name)) = (sku, name) {
                if products.iter().any(|p: &Product| p.sku == sku) {
                    errors.check::<()>(
                        &format!("products[{i}].sku"),
                        Err(Invalid::new("duplicate", "each product may be listed once")),
                    );
                } else {
                    products.push(Product { sku, name });
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
                products: vec![("A1", "Pasta"), ("A1", "Pasta again"), ("", "x")],
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
