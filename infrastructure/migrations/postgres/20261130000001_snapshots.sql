-- Snapshots of long streams' aggregates (a popular sku's stock): a load reads the snapshot and
-- only the events after `version`. `schema_version` is the writer's snapshot schema; a reader
-- with another one ignores the row and folds the stream from its start (see SnapshotPolicy).
CREATE TABLE snapshots (
    stream_id       text PRIMARY KEY,
    version         bigint NOT NULL CHECK (version > 0),
    position        bigint NOT NULL,
    schema_version  integer NOT NULL,
    state           jsonb NOT NULL,
    taken_at        timestamptz NOT NULL DEFAULT now()
);
