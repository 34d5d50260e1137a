-- Products described for search engines (as SQLite's 0016_product_details): an invitation
-- may give a product's own page, a picture of it and its GTIN; the business's product keeps
-- the latest invitation's value of each (an invitation that leaves one out keeps the one
-- before).
ALTER TABLE invitation_products
    ADD COLUMN IF NOT EXISTS url   text,
    ADD COLUMN IF NOT EXISTS image text,
    ADD COLUMN IF NOT EXISTS gtin  text;
ALTER TABLE products
    ADD COLUMN IF NOT EXISTS url   text,
    ADD COLUMN IF NOT EXISTS image text,
    ADD COLUMN IF NOT EXISTS gtin  text;
