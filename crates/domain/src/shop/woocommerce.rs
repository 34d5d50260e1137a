//! WooCommerce's order webhooks. WooCommerce posts the order as its REST API (v3) shows it,
//! names the topic in `X-WC-Webhook-Topic` and signs the body in `X-WC-Webhook-Signature`.
//! When a webhook is created it first posts a ping, a form body `webhook_id=NN` with no
//! topic. An order invites once its status is `completed`; WooCommerce has no "fulfilled"
//! topic, so `order.created` and `order.updated` are both read and the status decides.

use super::{Delivery, Id, ShopError, ShopOrder, ShopProduct};
use super::{decode_entities, distinct_products, full_name, malformed, non_empty};
use serde::Deserialize;

/// The topics whose payload is an order.
pub const ORDER_TOPICS: [&str; 2] = ["order.created", "order.updated"];

/// The status of an order whose goods the buyer has.
pub const COMPLETED: &str = "completed";

/// The line-item meta keys that may carry a GTIN.
const GTIN_KEYS: [&str; 2] = ["_global_unique_id", "gtin"];

#[derive(Deserialize)]
struct Order {
    id: Option<Id>,
    number: Option<Id>,
    status: Option<String>,
    billing: Option<Billing>,
    line_items: Option<Vec<LineItem>>,
}

#[derive(Deserialize)]
struct Billing {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct LineItem {
    name: Option<String>,
    product_id: Option<Id>,
    variation_id: Option<Id>,
    sku: Option<String>,
    image: Option<Image>,
    meta_data: Option<Vec<Meta>>,
}

#[derive(Deserialize)]
struct Image {
    src: Option<String>,
}

#[derive(Deserialize)]
struct Meta {
    key: Option<String>,
    #[serde(default)]
    value: serde_json::Value,
}

/// Reads one delivery: `topic` is the `X-WC-Webhook-Topic` header, `content_type` the
/// `Content-Type` header, `body` the raw body.
pub fn parse(
    topic: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Delivery, ShopError> {
    if is_ping(content_type, body) {
        return Ok(Delivery::Ping);
    }
    if !topic.is_some_and(|t| ORDER_TOPICS.contains(&t.trim())) {
        return Ok(Delivery::Ignored("not an order topic"));
    }
    let order: Order = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    if order.status.as_deref().map(str::trim) != Some(COMPLETED) {
        return Ok(Delivery::Ignored("order not completed"));
    }
    let reference = order
        .number
        .and_then(Id::into_text)
        .or_else(|| order.id.and_then(Id::into_text))
        .ok_or_else(|| ShopError::Malformed("the order has neither number nor id".into()))?;
    let (email, customer_name) = match order.billing {
        Some(b) => (non_empty(b.email), full_name(b.first_name, b.last_name)),
        None => (None, None),
    };
    let lines = order.line_items.unwrap_or_default();
    Ok(Delivery::Order(ShopOrder {
        reference,
        email,
        customer_name,
        locale: None,
        products: distinct_products(lines.into_iter().filter_map(product)),
    }))
}

/// Whether the delivery is the ping: a form body `webhook_id=<digits>`.
fn is_ping(content_type: Option<&str>, body: &[u8]) -> bool {
    let form = content_type.is_none_or(|ct| {
        let media = ct.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    let id = body.trim_ascii().strip_prefix(b"webhook_id=");
    form && id.is_some_and(|id| !id.is_empty() && id.iter().all(u8::is_ascii_digit))
}

/// The line's product; `None` for a line that names no product or has no name.
fn product(line: LineItem) -> Option<ShopProduct> {
    let sku = non_empty(line.sku).or_else(|| {
        let product = line.product_id.and_then(Id::into_text)?;
        Some(match line.variation_id.and_then(Id::into_text) {
            Some(variation) => format!("{product}-{variation}"),
            None => product,
        })
    })?;
    let title = non_empty(line.name.map(|n| decode_entities(&n)))?;
    let gtin = line
        .meta_data
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.key.as_deref().is_some_and(|k| GTIN_KEYS.contains(&k)))
        .find_map(|m| match m.value {
            serde_json::Value::String(s) => non_empty(Some(s)),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
    Some(ShopProduct {
        sku,
        title,
        url: None,
        image: line.image.and_then(|i| non_empty(i.src)),
        gtin,
    })
}

#[cfg(test)]
mod tests {
    // The fixture is the "JSON response example" of "Retrieve an order" in WooCommerce's REST
    // API docs (https://woocommerce.github.io/woocommerce-rest-api-docs/#retrieve-an-order),
    // from woocommerce/woocommerce-rest-api-docs, source/includes/wp-api-v3/_orders.md at
    // 6cb00aed0e78a2bd5632fa2906ffb58eb31429f6; a webhook's payload is that same response
    // (docs, "Webhooks" > "Delivery/payload"). Its status is `processing`: the completed
    // order, the image and the GTIN are derived by editing the parsed JSON. The ping's body
    // is what WC_Webhook::deliver_ping sends (woocommerce/woocommerce,
    // plugins/woocommerce/includes/class-wc-webhook.php): 'webhook_id=' . $this->get_id().
    use super::*;
    use serde_json::{Value, json};

    const FIXTURE: &str = include_str!("fixtures/woocommerce_order.json");
    const JSON: Option<&str> = Some("application/json");

    fn sample() -> Value {
        serde_json::from_str(FIXTURE).expect("the fixture is JSON")
    }

    fn completed() -> Value {
        let mut value = sample();
        value["status"] = json!("completed");
        value
    }

    fn parse_value(topic: &str, value: &Value) -> Result<Delivery, ShopError> {
        let body = serde_json::to_vec(value).expect("serialises");
        parse(Some(topic), JSON, &body)
    }

    fn order_of(value: &Value) -> ShopOrder {
        match parse_value("order.updated", value) {
            Ok(Delivery::Order(order)) => order,
            other => panic!("expected an order, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_order_once_completed_parses() {
        let order = order_of(&completed());
        assert_eq!(order.reference, "727");
        assert_eq!(order.email.as_deref(), Some("john.doe@example.com"));
        assert_eq!(order.customer_name.as_deref(), Some("John Doe"));
        assert_eq!(order.locale, None);
        let expected = [
            ShopProduct {
                sku: "93".into(),
                title: "Woo Single #1".into(),
                url: None,
                image: None,
                gtin: None,
            },
            ShopProduct {
                sku: "Bar3".into(),
                title: "Ship Your Idea – Color: Black, Size: M Test".into(),
                url: None,
                image: None,
                gtin: None,
            },
        ];
        assert_eq!(order.products, expected);
        let created = parse_value("order.created", &completed());
        assert!(matches!(created, Ok(Delivery::Order(o)) if o.reference == "727"));
    }

    #[test]
    fn an_order_not_completed_is_ignored() {
        let body = FIXTURE.as_bytes();
        assert_eq!(
            parse(Some("order.updated"), JSON, body),
            Ok(Delivery::Ignored("order not completed"))
        );
        for status in ["pending", "on-hold", "cancelled", "refunded", "failed"] {
            let mut value = sample();
            value["status"] = json!(status);
            assert_eq!(
                parse_value("order.updated", &value),
                Ok(Delivery::Ignored("order not completed"))
            );
        }
    }

    #[test]
    fn other_topics_are_ignored_unread() {
        let body = serde_json::to_vec(&completed()).expect("serialises");
        for topic in [
            Some("order.deleted"),
            Some("product.updated"),
            Some("coupon.created"),
            None,
        ] {
            assert_eq!(
                parse(topic, JSON, &body),
                Ok(Delivery::Ignored("not an order topic"))
            );
        }
        assert_eq!(
            parse(Some("customer.created"), JSON, b"not json"),
            Ok(Delivery::Ignored("not an order topic"))
        );
    }

    #[test]
    fn the_ping_is_recognised() {
        let form = Some("application/x-www-form-urlencoded; charset=UTF-8");
        assert_eq!(parse(None, form, b"webhook_id=42"), Ok(Delivery::Ping));
        assert_eq!(parse(None, None, b"webhook_id=7\n"), Ok(Delivery::Ping));
        assert_eq!(
            parse(None, form, b"webhook_id="),
            Ok(Delivery::Ignored("not an order topic"))
        );
        assert_eq!(
            parse(None, form, b"webhook_id=4x"),
            Ok(Delivery::Ignored("not an order topic"))
        );
        assert!(
            parse(Some("order.updated"), JSON, b"webhook_id=42").is_err(),
            "JSON promised"
        );
    }

    #[test]
    fn malformed_bodies_are_errors_that_quote_nothing() {
        for body in [&b"{"[..], b"", b"[1, 2", b"webhook_id=42"] {
            let err = parse(Some("order.updated"), JSON, body).expect_err("malformed");
            assert!(matches!(err, ShopError::Malformed(_)));
        }
        let mut value = completed();
        value["line_items"] = json!("john.doe@example.com");
        let err = parse_value("order.updated", &value).expect_err("line_items is not a list");
        assert!(!err.to_string().contains("john.doe"), "{err}");
        let mut value = completed();
        value["number"] = json!("");
        value["id"] = json!(0);
        assert!(
            parse_value("order.updated", &value).is_err(),
            "no number, no id"
        );
    }

    #[test]
    fn a_line_without_sku_is_known_by_product_and_variation() {
        let mut value = completed();
        value["line_items"][1]["sku"] = json!("");
        let skus: Vec<String> = order_of(&value)
            .products
            .into_iter()
            .map(|p| p.sku)
            .collect();
        assert_eq!(skus, ["93", "22-23"]);
        value["line_items"][0]["product_id"] = json!(0);
        let skus: Vec<String> = order_of(&value)
            .products
            .into_iter()
            .map(|p| p.sku)
            .collect();
        assert_eq!(skus, ["22-23"], "a deleted product names nothing: left out");
    }

    #[test]
    fn image_and_gtin_are_read_where_the_payload_has_them() {
        let mut value = completed();
        let src = "https://example.com/wp-content/uploads/2017/03/bar3.jpg";
        value["line_items"][1]["image"] = json!({ "id": 41, "src": src });
        value["line_items"][1]["meta_data"]
            .as_array_mut()
            .expect("list")
            .push(json!({ "id": 2097, "key": "_global_unique_id", "value": "4006381333931" }));
        value["line_items"][0]["image"] = json!({ "id": "", "src": "" });
        let order = order_of(&value);
        assert_eq!(order.products[1].image.as_deref(), Some(src));
        assert_eq!(order.products[1].gtin.as_deref(), Some("4006381333931"));
        assert_eq!(order.products[0].image, None, "an empty src is no image");
        assert_eq!(order.products[0].gtin, None);
    }
}
