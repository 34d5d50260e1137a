//! schema.org JSON-LD for the business and product pages, following Google's review-snippet
//! rules (`docs/structured-data.md`): ratings of real customers that the page itself shows,
//! a best and worst rating, the author's name as shown, and the item reviewed named.

use serde_json::{Value, json};
use store::Review;

/// A review as structured data; `None` for a tombstone, and for an imported review
/// (Passaparola cannot vouch for it: it stays out of what search engines are told).
fn review(r: &Review, rating: u8, body: Option<&str>, item: &Value, base: &str) -> Option<Value> {
    if r.imported.is_some() {
        return None;
    }
    let c = r.content.as_ref()?;
    let mut v = json!({
        "@type": "Review",
        "url": format!("{base}/b/{}/r/{}", r.business.slug, r.id),
        "author": {"@type": "Person", "name": c.author_name},
        "datePublished": r.created_at.date_naive().to_string(),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": rating,
            "bestRating": 5,
            "worstRating": 1,
        },
        "itemReviewed": item,
        "inLanguage": c.language,
    });
    if let Some(body) = body {
        v["reviewBody"] = body.into();
    }
    Some(v)
}

fn aggregate(average: Option<f64>, count: u64) -> Option<Value> {
    // Google wants a rating only with at least one review behind it.
    let average = average.filter(|_| count > 0)?;
    Some(json!({
        "@type": "AggregateRating",
        "ratingValue": average,
        "bestRating": 5,
        "worstRating": 1,
        "ratingCount": count,
        "reviewCount": count,
    }))
}

/// The business page's `Organization`, with its customers' aggregate rating and the
/// reviews shown on the page.
pub fn organization(
    name: &str,
    url: &str,
    website: Option<&str>,
    average: Option<f64>,
    count: u64,
    reviews: &[Review],
    base: &str,
) -> String {
    // Nested reviews name their item by reference: a repeated item would read as a second
    // organisation without ratings.
    let id = format!("{url}#organization");
    let item = json!({"@id": id});
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": id,
        "name": name,
        "url": url,
    });
    if let Some(site) = website {
        v["sameAs"] = site.into();
    }
    if let Some(a) = aggregate(average, count) {
        v["aggregateRating"] = a;
        let shown: Vec<Value> = reviews
            .iter()
            .filter_map(|r| {
                let c = r.content.as_ref()?;
                review(r, c.rating, Some(&c.body), &item, base)
            })
            .collect();
        if !shown.is_empty() {
            v["review"] = shown.into();
        }
    }
    script(&v)
}

/// A product page's `Product`, with its aggregate rating and the product ratings shown, and
/// what the business's latest invitations said of it (`described`): its own page as
/// `sameAs` (as the business's website is the organisation's), its picture as `image`, its
/// GTIN as `gtin8`, `gtin12`, `gtin13` or `gtin14` by its length; each only where given.
pub fn product(
    product: &store::ProductSummary,
    described: Option<&store::ProductRecord>,
    url: &str,
    brand: &str,
    reviews: &[Review],
    base: &str,
) -> String {
    let (name, sku) = (&product.name, &product.sku);
    let id = format!("{url}#product");
    let item = json!({"@id": id});
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "@id": id,
        "name": name,
        "sku": sku,
        "url": url,
        "brand": {"@type": "Brand", "name": brand},
    });
    if let Some(d) = described {
        if let Some(page) = &d.url {
            v["sameAs"] = page.as_str().into();
        }
        if let Some(image) = &d.image {
            v["image"] = image.as_str().into();
        }
        if let Some(gtin) = &d.gtin {
            v[gtin_property(gtin)] = gtin.as_str().into();
        }
    }
    if let Some(a) = aggregate(product.rating_average, product.reviews) {
        v["aggregateRating"] = a;
        let shown: Vec<Value> = reviews
            .iter()
            .filter_map(|r| {
                let p = r
                    .content
                    .as_ref()?
                    .products
                    .iter()
                    .find(|p| &p.sku == sku)?;
                review(r, p.rating, p.body.as_deref(), &item, base)
            })
            .collect();
        if !shown.is_empty() {
            v["review"] = shown.into();
        }
    }
    script(&v)
}

/// schema.org's property for a GTIN of its length (`gtin13` for an EAN-13), which Google's
/// product markup reads as it reads `gtin`; `gtin` itself for a length GS1 does not define
/// (none is stored: `domain::invitation::Gtin` is 8, 12, 13 or 14 digits).
fn gtin_property(gtin: &str) -> &'static str {
    match gtin.len() {
        8 => "gtin8",
        12 => "gtin12",
        13 => "gtin13",
        14 => "gtin14",
        _ => "gtin",
    }
}

/// The JSON for a `<script type="application/ld+json">` element: `<`, `>` and `&` escaped as
/// JSON's `\u` escapes, so that no text (a review saying `</script>`) can end the element.
fn script(v: &Value) -> String {
    let json = serde_json::to_string(v).unwrap_or_else(|_| "{}".into());
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_close_the_script_element() {
        let s = script(&json!({"reviewBody": "</script><script>alert(1)</script> & more"}));
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(
            back["reviewBody"],
            "</script><script>alert(1)</script> & more"
        );
    }

    fn summary() -> store::ProductSummary {
        store::ProductSummary {
            sku: "MOKA".into(),
            name: "Moka 3 tazze".into(),
            reviews: 0,
            rating_average: None,
        }
    }

    fn product_of(described: Option<&store::ProductRecord>) -> Value {
        serde_json::from_str(&product(
            &summary(),
            described,
            "https://x/b/g/p/MOKA",
            "Gino",
            &[],
            "https://x",
        ))
        .unwrap()
    }

    #[test]
    fn a_product_is_described_where_its_invitations_gave_the_details() {
        let described = store::ProductRecord {
            url: Some("https://gino.example.it/moka".into()),
            image: Some("https://gino.example.it/moka.jpg".into()),
            gtin: Some("4006381333931".into()),
            ..store::ProductRecord::named("MOKA", "Moka 3 tazze")
        };
        let v = product_of(Some(&described));
        assert_eq!(v["url"], "https://x/b/g/p/MOKA");
        assert_eq!(v["sameAs"], "https://gino.example.it/moka");
        assert_eq!(v["image"], "https://gino.example.it/moka.jpg");
        assert_eq!(v["gtin13"], "4006381333931");
        for (gtin, property) in [
            ("96385074", "gtin8"),
            ("036000291452", "gtin12"),
            ("10012345678902", "gtin14"),
        ] {
            let v = product_of(Some(&store::ProductRecord {
                gtin: Some(gtin.into()),
                ..store::ProductRecord::named("MOKA", "Moka 3 tazze")
            }));
            assert_eq!(v[property], gtin);
            assert!(v.get("sameAs").is_none() && v.get("image").is_none());
        }
        // Nothing given, nothing said.
        for v in [
            product_of(None),
            product_of(Some(&store::ProductRecord::named("MOKA", "Moka 3 tazze"))),
        ] {
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            assert!(
                keys.iter()
                    .all(|k| !["sameAs", "image"].contains(k) && !k.starts_with("gtin")),
                "{keys:?}"
            );
        }
    }

    #[test]
    fn no_rating_without_reviews() {
        let v: Value = serde_json::from_str(&organization(
            "Gino",
            "https://x/b/g",
            None,
            None,
            0,
            &[],
            "",
        ))
        .unwrap();
        assert!(v.get("aggregateRating").is_none());
        assert_eq!(v["@type"], "Organization");
    }
}
