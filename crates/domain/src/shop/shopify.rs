//! Shopify's order webhooks. Shopify posts the order (the Admin API's `Order` resource) as
//! the JSON body, names the topic in `X-Shopify-Topic` and signs the body in
//! `X-Shopify-Hmac-Sha256`. Only `orders/fulfilled` invites: an order is reviewed once its
//! goods have left, not when it is paid.

use super::{Delivery, Id, ShopError, ShopOrder, ShopProduct};
use super::{distinct_products, full_name, malformed, non_empty};
use serde::Deserialize;

/// The one topic that yields an order.
pub const FULFILLED: &str = "orders/fulfilled";

#[derive(Deserialize)]
struct Order {
    name: Option<String>,
    id: Option<Id>,
    email: Option<String>,
    contact_email: Option<String>,
    customer: Option<Customer>,
    billing_address: Option<Address>,
    shipping_address: Option<Address>,
    customer_locale: Option<String>,
    line_items: Option<Vec<LineItem>>,
}

#[derive(Deserialize)]
struct Customer {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct Address {
    name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct LineItem {
    sku: Option<String>,
    variant_id: Option<Id>,
    product_id: Option<Id>,
    name: Option<String>,
    title: Option<String>,
}

/// Reads one delivery: `topic` is the `X-Shopify-Topic` header, `body` the raw body.
pub fn parse(topic: &str, body: &[u8]) -> Result<Delivery, ShopError> {
    if topic.trim() != FULFILLED {
        return Ok(Delivery::Ignored("not the orders/fulfilled topic"));
    }
    let order: Order = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    let reference = non_empty(order.name)
        .or_else(|| order.id.and_then(Id::into_text))
        .ok_or_else(|| ShopError::Malformed("the order has neither name nor id".into()))?;
    let (customer_email, customer_name) = match order.customer {
        Some(c) => (c.email, full_name(c.first_name, c.last_name)),
        None => (None, None),
    };
    let email = non_empty(order.email)
        .or_else(|| non_empty(order.contact_email))
        .or_else(|| non_empty(customer_email));
    let customer_name = customer_name
        .or_else(|| order.billing_address.and_then(address_name))
        .or_else(|| order.shipping_address.and_then(address_name));
    let lines = order.line_items.unwrap_or_default();
    Ok(Delivery::Order(ShopOrder {
        reference,
        email,
        customer_name,
        locale: non_empty(order.customer_locale),
        products: distinct_products(lines.into_iter().filter_map(product)),
    }))
}

fn address_name(address: Address) -> Option<String> {
    non_empty(address.name).or_else(|| full_name(address.first_name, address.last_name))
}

/// The line's product; `None` for a line that names no product or has no title.
fn product(line: LineItem) -> Option<ShopProduct> {
    let sku = non_empty(line.sku)
        .or_else(|| line.variant_id.and_then(Id::into_text))
        .or_else(|| line.product_id.and_then(Id::into_text))?;
    let title = non_empty(line.name).or_else(|| non_empty(line.title))?;
    Some(ShopProduct {
        sku,
        title,
        url: None,
        image: None,
        gtin: None,
    })
}

#[cfg(test)]
mod tests {
    // The fixture is Shopify's sample payload for the `orders/fulfilled` topic (the orders/*
    // topics share it), https://shopify.dev/docs/api/webhooks/latest?reference=toml
    // (list of topics, `orders/fulfilled`, "Sample Payload"), copied byte for byte from a
    // public copy of that sample: the stored copy of shopify.dev available here was cut
    // short before the order topics. Variants are derived by editing the parsed JSON.
    use super::*;
    use serde_json::{Value, json};

    const FIXTURE: &str = include_str!("fixtures/shopify_orders_fulfilled.json");

    fn sample() -> Value {
        serde_json::from_str(FIXTURE).expect("the fixture is JSON")
    }

    fn order_of(value: &Value) -> ShopOrder {
        let body = serde_json::to_vec(value).expect("serialises");
        match parse(FULFILLED, &body) {
            Ok(Delivery::Order(order)) => order,
            other => panic!("expected an order, got {other:?}"),
        }
    }

    #[test]
    fn the_documented_sample_parses() {
        let order = match parse("orders/fulfilled", FIXTURE.as_bytes()) {
            Ok(Delivery::Order(order)) => order,
            other => panic!("expected an order, got {other:?}"),
        };
        assert_eq!(order.reference, "#9999");
        assert_eq!(order.email.as_deref(), Some("jon@example.com"));
        assert_eq!(order.customer_name.as_deref(), Some("John Smith"));
        assert_eq!(order.locale.as_deref(), Some("en"));
        let products: Vec<(&str, &str)> = order
            .products
            .iter()
            .map(|p| (p.sku.as_str(), p.title.as_str()))
            .collect();
        assert_eq!(
            products,
            [
                ("SKU2006-001", "Aviator sunglasses"),
                ("LENS-PROTECT-2YR", "Lens Protection Plan (2 Year)"),
                ("CASE-LEATHER-PREM", "Premium Leather Case"),
                ("SKU2006-020", "Mid-century lounger"),
                ("SKU2006-035", "Coffee table"),
            ]
        );
        assert!(
            order
                .products
                .iter()
                .all(|p| p.url.is_none() && p.image.is_none() && p.gtin.is_none())
        );
    }

    #[test]
    fn other_topics_are_ignored_unread() {
        for topic in [
            "orders/paid",
            "orders/create",
            "orders/updated",
            "products/update",
            "",
        ] {
            assert_eq!(
                parse(topic, FIXTURE.as_bytes()),
                Ok(Delivery::Ignored("not the orders/fulfilled topic")),
                "{topic}"
            );
            assert!(matches!(
                parse(topic, b"not json"),
                Ok(Delivery::Ignored(_))
            ));
        }
    }

    #[test]
    fn malformed_bodies_are_errors_that_quote_nothing() {
        for body in [
            &b"not json"[..],
            b"{\"name\": \"#1\",",
            b"",
            b"{\"email\": 5}",
        ] {
            let err = parse(FULFILLED, body).expect_err("malformed");
            assert!(matches!(err, ShopError::Malformed(_)));
        }
        let mut value = sample();
        value["line_items"] = json!("jon@example.com");
        let body = serde_json::to_vec(&value).expect("serialises");
        let err = parse(FULFILLED, &body).expect_err("line_items is not a list");
        assert!(!err.to_string().contains("jon@"), "{err}");
        assert!(parse(FULFILLED, b"{}").is_err(), "no name, no id");
    }

    #[test]
    fn the_reference_falls_back_to_the_id() {
        let mut value = sample();
        value["name"] = Value::Null;
        assert_eq!(order_of(&value).reference, "820982911946154508");
    }

    #[test]
    fn the_email_falls_back_to_contact_then_customer() {
        let mut value = sample();
        value["email"] = json!("");
        value["contact_email"] = json!("contact@example.com");
        assert_eq!(
            order_of(&value).email.as_deref(),
            Some("contact@example.com")
        );
        value["contact_email"] = Value::Null;
        assert_eq!(order_of(&value).email.as_deref(), Some("john@example.com"));
        value["customer"] = Value::Null;
        assert_eq!(order_of(&value).email, None);
    }

    #[test]
    fn the_name_falls_back_to_the_addresses() {
        let mut value = sample();
        value.as_object_mut().expect("object").remove("customer");
        assert_eq!(
            order_of(&value).customer_name.as_deref(),
            Some("Steve Shipper")
        );
        value["billing_address"] = Value::Null;
        value["shipping_address"]["name"] = Value::Null;
        assert_eq!(
            order_of(&value).customer_name.as_deref(),
            Some("Steve Shipper")
        );
        value["shipping_address"] = Value::Null;
        assert_eq!(order_of(&value).customer_name, None);
    }

    #[test]
    fn a_line_without_sku_is_known_by_its_variant_then_its_product() {
        let mut value = sample();
        value["line_items"][0]["sku"] = json!("");
        value["line_items"][0]["variant_id"] = json!(39072856);
        assert_eq!(order_of(&value).products[0].sku, "39072856");
        value["line_items"][0]["variant_id"] = Value::Null;
        assert_eq!(order_of(&value).products[0].sku, "788032119674292922");
        value["line_items"][1]["sku"] = Value::Null;
        let skus: Vec<String> = order_of(&value)
            .products
            .into_iter()
            .map(|p| p.sku)
            .collect();
        assert!(
            !skus.contains(&"LENS-PROTECT-2YR".to_owned()),
            "nothing names it: left out"
        );
        assert_eq!(skus.len(), 4);
    }

    #[test]
    fn repeated_skus_keep_the_first_line_and_the_list_is_capped() {
        let mut value = sample();
        let mut repeat = value["line_items"][0].clone();
        repeat["name"] = json!("Aviator sunglasses, again");
        value["line_items"]
            .as_array_mut()
            .expect("list")
            .push(repeat.clone());
        let order = order_of(&value);
        assert_eq!(order.products.len(), 5);
        assert_eq!(order.products[0].title, "Aviator sunglasses");

        let lines: Vec<Value> = (0..70)
            .map(|i| {
                let mut line = repeat.clone();
                line["sku"] = json!(format!("SKU-{i}"));
                line
            })
            .collect();
        value["line_items"] = Value::Array(lines);
        let order = order_of(&value);
        assert_eq!(order.products.len(), super::super::MAX_PRODUCTS);
        assert_eq!(order.products[49].sku, "SKU-49");
    }
}
