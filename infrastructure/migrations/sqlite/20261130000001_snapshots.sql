-- Snapshots of long streams' aggregates (a popular sku's stock): a load reads the snapshot and
-- only the events after `version`. `schema_version` is the writer's snapshot schema; a reader
-- with another one ignores the row and folds the stream from its start (see SnapshotPolicy).
CREATE TABLE snapshots (
    stream_id       TEXT PRIMARY KEY,
    version         INTEGER NOT NULL CHECK (version > 0),
    position        INTEGER NOT NULL,
    schema_version  INTEGER NOT NULL,
    state           TEXT NOT NULL,
    taken_at        TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
