-- The event store on SQLite. Writers are serialised by SQLite itself (one writer at a time),
-- so position order is commit order and the global cursor needs no transaction id.
CREATE TABLE events (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL UNIQUE,
    stream_id       TEXT NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version > 0),
    event_type      TEXT NOT NULL,
    schema_version  INTEGER NOT NULL CHECK (schema_version > 0),
    data            TEXT NOT NULL,
    metadata        TEXT NOT NULL DEFAULT '{}',
    recorded_at     TEXT NOT NULL,
    UNIQUE (stream_id, stream_version)
);

CREATE TABLE checkpoints (
    name            TEXT PRIMARY KEY,
    transaction_id  INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
