//! Orders as shops send them in their webhooks: Shopify's and WooCommerce's payloads read
//! into one shape, so that a fulfilled (or completed) order can become a review invitation.
//!
//! Each platform has its module (`shopify`, `woocommerce`) with one `parse`, which says what
//! a delivery is: an order to invite for, a ping, or something to acknowledge and ignore.
//! The signature over the body is checked before parsing, by `app::shops`. Nothing here
//! does I/O, and nothing here keeps a payload's personal data where a log could show it.

pub mod shopify;
pub mod woocommerce;

use crate::error::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The most products one order brings into an invitation; further lines are left out.
pub const MAX_PRODUCTS: usize = 50;

/// The shop platforms whose webhooks Passaparola reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShopKind {
    Shopify,
    WooCommerce,
}

impl ShopKind {
    /// Every platform, in the order the pages list them.
    pub const ALL: [ShopKind; 2] = [Self::Shopify, Self::WooCommerce];

    /// The platform's name in URLs, the API and storage: `shopify` or `woocommerce`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shopify => "shopify",
            Self::WooCommerce => "woocommerce",
        }
    }
}

impl fmt::Display for ShopKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ShopKind {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Invalid::new("invalid_choice", "must be one of shopify, woocommerce"))
    }
}

/// An order a shop reported as fulfilled or completed: who bought, and what.
/// Its `Debug` leaves out the email address and the name.
#[derive(Clone, PartialEq, Eq)]
pub struct ShopOrder {
    /// The shop's own reference for the order (`#1001`, `727`), as its customers see it.
    pub reference: String,
    /// Where the invitation goes, when the order has an address.
    pub email: Option<String>,
    /// The buyer's name, as the order gives it.
    pub customer_name: Option<String>,
    /// The buyer's language as the shop recorded it (`it`, `en-US`), unvalidated.
    pub locale: Option<String>,
    /// One per distinct SKU, in the order's order, at most [`MAX_PRODUCTS`].
    pub products: Vec<ShopProduct>,
}

impl fmt::Debug for ShopOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "redacted");
        f.debug_struct("ShopOrder")
            .field("reference", &self.reference)
            .field("email", &redacted(&self.email))
            .field("customer_name", &redacted(&self.customer_name))
            .field("locale", &self.locale)
            .field("products", &self.products)
            .finish()
    }
}

/// One product of an order. Only what the payload carries: nothing is looked up or guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopProduct {
    /// The shop's SKU, or its product (and variant) id where the line has no SKU.
    pub sku: String,
    /// The product's name as the order shows it.
    pub title: String,
    /// The product's page, when the payload has it.
    pub url: Option<String>,
    /// The product's picture, when the payload has it.
    pub image: Option<String>,
    /// The product's GTIN (EAN, UPC, ISBN), when the payload has it.
    pub gtin: Option<String>,
}

/// What one webhook delivery asks of Passaparola.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An order to invite its buyer for.
    Order(ShopOrder),
    /// The shop checking that the address answers (WooCommerce, when a webhook is created).
    Ping,
    /// A delivery to acknowledge and drop, and why (`"order not completed"`, …).
    Ignored(&'static str),
}

/// Why a delivery could not be read. The reason never quotes the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopError {
    /// The body is not the JSON its topic promises.
    #[error("malformed payload: {0}")]
    Malformed(String),
}

/// The error for a body serde_json refused: its kind and place, never its content (serde's
/// own messages quote the values they met, which may be an email address).
pub(crate) fn malformed(e: &serde_json::Error) -> ShopError {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io | Category::Syntax => "not valid JSON",
        Category::Eof => "JSON cut short",
        Category::Data => "JSON of an unexpected shape",
    };
    ShopError::Malformed(format!("{what} (line {}, column {})", e.line(), e.column()))
}

/// An id that a payload gives as a number or as a string; zero means "none".
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Id {
    Number(u64),
    Text(String),
}

impl Id {
    /// The id as text, `None` for zero or blank.
    pub(crate) fn into_text(self) -> Option<String> {
        match self {
            Self::Number(0) => None,
            Self::Number(n) => Some(n.to_string()),
            Self::Text(s) => non_empty(Some(s)),
        }
    }
}

/// The trimmed text, `None` when there is none.
pub(crate) fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// "First Last" from the two halves, whichever are there.
pub(crate) fn full_name(first: Option<String>, last: Option<String>) -> Option<String> {
    let parts: Vec<String> = [first, last].into_iter().filter_map(non_empty).collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The first product of each SKU, at most [`MAX_PRODUCTS`] of them.
pub(crate) fn distinct_products(all: impl IntoIterator<Item = ShopProduct>) -> Vec<ShopProduct> {
    let mut products: Vec<ShopProduct> = Vec::new();
    for product in all {
        if products.len() == MAX_PRODUCTS {
            break;
        }
        if !products.iter().any(|p| p.sku == product.sku) {
            products.push(product);
        }
    }
    products
}

/// `text` with HTML character references decoded (WordPress stores names with `&ndash;` and
/// `&#8217;`); references it does not know are kept as they are.
pub(crate) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest[1..]
            .find(';')
            .filter(|&end| end <= 10)
            .and_then(|end| entity(&rest[1..1 + end]).map(|c| (c, end + 2)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| !c.is_control());
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(sku: &str, title: &str) -> ShopProduct {
        ShopProduct {
            sku: sku.into(),
            title: title.into(),
            url: None,
            image: None,
            gtin: None,
        }
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in ShopKind::ALL {
            assert_eq!(kind.as_str().parse::<ShopKind>().ok(), Some(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert!("magento".parse::<ShopKind>().is_err());
        assert!("Shopify".parse::<ShopKind>().is_err());
    }

    #[test]
    fn debug_never_shows_the_buyer() {
        let order = ShopOrder {
            reference: "#1001".into(),
            email: Some("anna.rossi@example.it".into()),
            customer_name: Some("Anna Rossi".into()),
            locale: Some("it".into()),
            products: vec![product("A1", "Moka")],
        };
        let shown = format!("{:?}", Delivery::Order(order));
        assert!(
            !shown.contains("anna") && !shown.contains("Rossi"),
            "{shown}"
        );
        assert!(shown.contains("#1001") && shown.contains("Moka"), "{shown}");
    }

    #[test]
    fn products_keep_the_first_of_each_sku_up_to_the_cap() {
        let kept = distinct_products([product("A", "first"), product("B", "b"), product("A", "x")]);
        assert_eq!(kept, vec![product("A", "first"), product("B", "b")]);
        let many = (0..80).map(|i| product(&format!("S{i}"), "t"));
        assert_eq!(distinct_products(many).len(), MAX_PRODUCTS);
    }

    #[test]
    fn names_join_whichever_halves_there_are() {
        assert_eq!(
            full_name(Some(" Anna ".into()), Some("Rossi".into())).as_deref(),
            Some("Anna Rossi")
        );
        assert_eq!(
            full_name(None, Some("Rossi".into())).as_deref(),
            Some("Rossi")
        );
        assert_eq!(full_name(Some("".into()), None), None);
    }

    #[test]
    fn entities_decode_and_unknown_ones_stay() {
        assert_eq!(decode_entities("Ship &ndash; M"), "Ship – M");
        assert_eq!(decode_entities("Tom&#8217;s &amp; &#x41;"), "Tom’s & A");
        assert_eq!(decode_entities("R&D &bogus; & 100%"), "R&D &bogus; & 100%");
        assert_eq!(decode_entities("&#0; &#xD800;"), "&#0; &#xD800;");
    }
}
