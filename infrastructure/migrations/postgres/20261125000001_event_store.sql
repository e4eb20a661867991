-- The event store: every stream's events, and the global log in commit order.
--
-- `position` is handed out when a row is inserted, not when its transaction commits, so a
-- reader that follows `position > last` alone can skip an event whose transaction commits after
-- a later position's. `transaction_id` records the writing transaction; readers only read rows
-- of transactions older than every running one (pg_snapshot_xmin) and page by
-- (transaction_id, position). See DESIGN.md, hard problem 1.
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid NOT NULL,
    stream_id       text NOT NULL,
    stream_version  bigint NOT NULL CHECK (stream_version > 0),
    event_type      text NOT NULL,
    schema_version  integer NOT NULL CHECK (schema_version > 0),
    data            jsonb NOT NULL,
    metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_global_order ON events (transaction_id, position);

-- Durable reading positions of consumers that keep no read model of their own (relay, sagas)
-- and of projectors (which update theirs in the same transaction as their read model).
CREATE TABLE checkpoints (
    name            text PRIMARY KEY,
    transaction_id  bigint NOT NULL,
    position        bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
