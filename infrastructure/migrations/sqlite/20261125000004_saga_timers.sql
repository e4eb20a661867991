-- Durable timers of process managers (sagas): a timeout survives restarts. Times are Unix
-- milliseconds so both dialects compare them the same way. A cancelled timer stays as a
-- tombstone, so replaying the event that set it does not set it again. `claimed_until` is the
-- lease of the runner firing it: a runner that dies mid-fire lets another take over later.
CREATE TABLE saga_timers (
    saga           TEXT NOT NULL,
    key            TEXT NOT NULL,
    due_at         BIGINT NOT NULL,
    payload        TEXT NOT NULL,
    claimed_until  BIGINT,
    fired_at       BIGINT,
    cancelled_at   BIGINT,
    PRIMARY KEY (saga, key)
);

CREATE INDEX saga_timers_due ON saga_timers (saga, due_at)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;
