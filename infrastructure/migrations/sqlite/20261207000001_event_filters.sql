-- Indexes of the analysts' filtered reads of the log (`EventStore::read_filtered`): by type
-- (also every type of a prefix or a context, expanded with a loose scan of the same index), by
-- stream, each in global order (position), and the recording time that bounds a time range.
CREATE INDEX IF NOT EXISTS events_type_order ON events (event_type, position);
CREATE INDEX IF NOT EXISTS events_stream_order ON events (stream_id, position);
CREATE INDEX IF NOT EXISTS events_recorded_at ON events (recorded_at);
