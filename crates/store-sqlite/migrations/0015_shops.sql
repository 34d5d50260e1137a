-- Issue 15: shops that send their orders, and links a business signs itself.

-- The secret each shop signs its webhooks with (Shopify's or WooCommerce's HMAC key).
-- Kept as given: verifying an HMAC needs the key itself, so it cannot be stored hashed
-- (docs/security.md says who can read it).
CREATE TABLE IF NOT EXISTS shop_connections (
    business_id TEXT    NOT NULL REFERENCES businesses (id),
    kind        TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (business_id, kind)
) STRICT, WITHOUT ROWID;

-- Each webhook delivery once: a shop that sends it again (it retries until it sees a 2xx)
-- is answered without doing anything twice.
CREATE TABLE IF NOT EXISTS shop_deliveries (
    business_id TEXT    NOT NULL REFERENCES businesses (id),
    kind        TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (business_id, kind, delivery_id)
) STRICT, WITHOUT ROWID;

-- The generation of a business's link secret. The secret itself is derived from the
-- instance key and this number, so it is stored nowhere; rotating it is a new generation,
-- and every link signed with the old one stops working.
CREATE TABLE IF NOT EXISTS link_secrets (
    business_id TEXT    PRIMARY KEY REFERENCES businesses (id),
    generation  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
