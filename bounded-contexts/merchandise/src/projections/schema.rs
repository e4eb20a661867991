//! The catalog's tables (see `catalog` for what each holds).

pub(super) const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS merchandise_catalog (
        id          TEXT PRIMARY KEY,
        seller_id   TEXT NOT NULL,
        status      TEXT NOT NULL,
        title       TEXT NOT NULL,
        description TEXT NOT NULL,
        category    TEXT NOT NULL,
        sku         TEXT NOT NULL,
        price_minor BIGINT NOT NULL,
        currency    TEXT NOT NULL,
        attributes  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        version     BIGINT NOT NULL,
        options     TEXT NOT NULL DEFAULT '[]',
        min_price_minor BIGINT NOT NULL,
        max_price_minor BIGINT NOT NULL,
        in_stock    BIGINT NOT NULL DEFAULT 0
    )",
    // The listing's sort orders, each with the id tiebreaker of its keyset; price sorts and
    // filters read the lowest variant price.
    "CREATE INDEX IF NOT EXISTS merchandise_catalog_by_from_price
        ON merchandise_catalog (status, min_price_minor, id)",
    "CREATE INDEX IF NOT EXISTS merchandise_catalog_by_created
        ON merchandise_catalog (status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS merchandise_catalog_by_category
        ON merchandise_catalog (status, category, created_at, id)",
    "CREATE INDEX IF NOT EXISTS merchandise_catalog_by_category_price
        ON merchandise_catalog (status, category, min_price_minor, id)",
    "CREATE TABLE IF NOT EXISTS merchandise_variants (
        sku           TEXT PRIMARY KEY,
        product_id    TEXT NOT NULL,
        option_values TEXT NOT NULL,
        price_minor   BIGINT,
        position      BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS merchandise_variants_by_product
        ON merchandise_variants (product_id, position)",
    "CREATE TABLE IF NOT EXISTS merchandise_facets (
        category TEXT NOT NULL,
        currency TEXT NOT NULL,
        band     BIGINT NOT NULL,
        in_stock BIGINT NOT NULL,
        products BIGINT NOT NULL,
        PRIMARY KEY (category, currency, band, in_stock)
    )",
    "CREATE INDEX IF NOT EXISTS merchandise_catalog_by_sku ON merchandise_catalog (sku)",
    "CREATE TABLE IF NOT EXISTS merchandise_price_history (
        product_id  TEXT NOT NULL,
        version     BIGINT NOT NULL,
        price_minor BIGINT NOT NULL,
        currency    TEXT NOT NULL,
        at          TEXT NOT NULL,
        PRIMARY KEY (product_id, version)
    )",
    "CREATE TABLE IF NOT EXISTS merchandise_stock (
        sku       TEXT PRIMARY KEY,
        available BIGINT NOT NULL,
        version   BIGINT NOT NULL
    )",
];

pub(super) const POSTGRES_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS merchandise_search (
        id       TEXT PRIMARY KEY,
        document tsvector NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS merchandise_search_document
        ON merchandise_search USING GIN (document)",
    // The planner overestimates rare words' matches (thousands for a hundred) and starts
    // parallel workers, whose start-up then costs more than the search: at 1M products a
    // 100-match search took 10 to 30 ms instead of 4. Searches are small reads; no workers.
    "ALTER TABLE merchandise_search SET (parallel_workers = 0)",
];

pub(super) const SQLITE_SCHEMA: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS merchandise_search USING fts5(
        id UNINDEXED,
        title,
        description,
        tokenize = 'porter unicode61'
    )",
];
