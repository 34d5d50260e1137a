-- A business's products, by SKU, with the name its latest invitation gave them: the product
-- pages' titles. Filled from the invitations so far, then by every new invitation.
CREATE TABLE products (
    business_id TEXT NOT NULL REFERENCES businesses (id),
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (business_id, sku)
) STRICT, WITHOUT ROWID;
INSERT INTO products (business_id, sku, name)
    SELECT i.business_id, p.sku, p.name
    FROM invitation_products p JOIN invitations i ON i.id = p.invitation_id
    WHERE true
    ORDER BY i.created_at
    ON CONFLICT (business_id, sku) DO UPDATE SET name = excluded.name;

-- A reviewer's rating (and optional words) of one of the invitation's products. Published
-- and withdrawn with its review; erasure empties the body. created_at is the review's.
CREATE TABLE product_reviews (
    review_id   TEXT    NOT NULL REFERENCES reviews (id),
    business_id TEXT    NOT NULL,
    sku         TEXT    NOT NULL,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body        TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (review_id, sku)
) STRICT, WITHOUT ROWID;
CREATE INDEX product_reviews_by_product ON product_reviews (business_id, sku, created_at);
