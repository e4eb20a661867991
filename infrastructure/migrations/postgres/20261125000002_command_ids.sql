-- Idempotent commands: a command's events carry its id; a redelivered command finds them here.
CREATE INDEX events_command_id ON events ((metadata ->> 'command_id'))
    WHERE metadata ? 'command_id';
