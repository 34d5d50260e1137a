//! schema.org JSON-LD for the business and product pages, following Google's review-snippet
//! rules (`docs/structured-data.md`): ratings of real customers that the page itself shows,
//! a best and worst rating, the author's name as shown, and the item reviewed named.

use serde_json::{Value, json};
use store::Review;

/// A review as structured data; `None` for a tombstone.
fn review(r: &Review, rating: u8, body: Option<&str>, item: &Value, base: &str) -> Option<Value> {
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

/// A product page's `Product`, with its aggregate rating and the product ratings shown.
pub fn product(
    product: &store::ProductSummary,
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
