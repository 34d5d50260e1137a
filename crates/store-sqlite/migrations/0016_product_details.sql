-- Products described for search engines: an invitation may give a product's own page, a
-- picture of it and its GTIN; the business's product keeps the latest invitation's value of
-- each (an invitation that leaves one out keeps the one before).

-- The columns `url`, `image` and `gtin` (TEXT, NULL when not given) of `invitation_products`
-- and of `products` are added by the step `product_columns` (migrations.rs): SQLite's ADD
-- COLUMN has no IF NOT EXISTS, and a migration may run again over a schema that has them.
