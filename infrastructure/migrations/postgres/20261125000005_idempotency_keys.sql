-- Idempotency-Key on writes: per caller (user id, or 'anonymous') and key, the fingerprint of the
-- first request and, once it finished, its response. `status` is NULL while the first request
-- is in flight (a concurrent duplicate waits for it). Times are Unix milliseconds; rows older
-- than 24 hours are ignored and purged.
CREATE TABLE idempotency_keys (
    owner         text NOT NULL,
    key           text NOT NULL,
    method        text NOT NULL,
    path          text NOT NULL,
    body_sha256   text NOT NULL,
    created_at    bigint NOT NULL,
    status        integer,
    headers       text,
    body          bytea,
    PRIMARY KEY (owner, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
