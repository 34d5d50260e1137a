-- Issue 15: shops that send their orders, and links a business signs itself (as SQLite's
-- 0015_shops.sql).

-- The secret each shop signs its webhooks with (Shopify's or WooCommerce's HMAC key).
-- Kept as given: verifying an HMAC needs the key itself, so it cannot be stored hashed
-- (docs/security.md says who can read it).
CREATE TABLE shop_connections (
    business_id uuid    NOT NULL REFERENCES businesses (id),
    kind        text    NOT NULL,
    secret      text    NOT NULL,
    created_at  bigint  NOT NULL,
    PRIMARY KEY (business_id, kind)
);

-- Each webhook delivery once: a shop that sends it again (it retries until it sees a 2xx)
-- is answered without doing anything twice.
CREATE TABLE shop_deliveries (
    business_id uuid    NOT NULL REFERENCES businesses (id),
    kind        text    NOT NULL,
    delivery_id text    NOT NULL,
    received_at bigint  NOT NULL,
    PRIMARY KEY (business_id, kind, delivery_id)
);

-- The generation of a business's link secret. The secret itself is derived from the
-- instance key and this number, so it is stored nowhere; rotating it is a new generation,
-- and every link signed with the old one stops working.
CREATE TABLE link_secrets (
    business_id uuid    PRIMARY KEY REFERENCES businesses (id),
    generation  bigint  NOT NULL,
    created_at  bigint  NOT NULL
);
