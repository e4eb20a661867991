-- Idempotent commands: a command's events carry its id; a redelivered command finds them here.
CREATE INDEX events_command_id ON events (json_extract(metadata, '$.command_id'))
    WHERE json_extract(metadata, '$.command_id') IS NOT NULL;
