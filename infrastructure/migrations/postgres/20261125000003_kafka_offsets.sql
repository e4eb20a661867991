-- Kafka consumers that keep a read model store their offsets beside it, updated in the same
-- transaction as the batch's effects (exactly-once effect); `next_offset` is the first offset
-- not yet applied.
CREATE TABLE kafka_offsets (
    consumer     text NOT NULL,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);
