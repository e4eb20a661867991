-- Kafka consumers that keep a read model store their offsets beside it, updated in the same
-- transaction as the batch's effects (exactly-once effect); `next_offset` is the first offset
-- not yet applied.
CREATE TABLE kafka_offsets (
    consumer     TEXT NOT NULL,
    topic        TEXT NOT NULL,
    partition    INTEGER NOT NULL,
    next_offset  INTEGER NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);
