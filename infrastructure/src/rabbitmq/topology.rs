//! Declaring exchanges and queues. Idempotent: clients and workers both declare what they use,
//! so commands sent before any worker started wait in a durable queue instead of being lost.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Channel, ExchangeKind};

pub const EXCHANGE: &str = "agora.commands";
pub const DLX: &str = "agora.commands.dlx";

#[must_use]
pub fn queue(context: &str) -> String {
    format!("agora.{context}.commands")
}

#[must_use]
pub fn dead_letter_queue(context: &str) -> String {
    format!("agora.{context}.commands.dead")
}

fn durable_exchange() -> ExchangeDeclareOptions {
    ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    }
}

/// Declares both exchanges and the context's command and dead-letter queues.
///
/// # Errors
/// The broker refused a declaration (e.g. an existing queue with other arguments).
pub async fn declare(channel: &Channel, context: &str, delivery_limit: u32) -> lapin::Result<()> {
    channel
        .exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Direct,
            durable_exchange(),
            FieldTable::default(),
        )
        .await?;
    channel
        .exchange_declare(
            DLX.into(),
            ExchangeKind::Direct,
            durable_exchange(),
            FieldTable::default(),
        )
        .await?;

    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(LongString::from("quorum")),
    );
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(i64::from(delivery_limit)),
    );
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(LongString::from(DLX)),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(LongString::from(context)),
    );
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    let q = queue(context);
    channel
        .queue_declare(q.as_str().into(), durable, args)
        .await?;
    channel
        .queue_bind(
            q.as_str().into(),
            EXCHANGE.into(),
            context.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;

    let dead = dead_letter_queue(context);
    let mut dead_args = FieldTable::default();
    dead_args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(LongString::from("quorum")),
    );
    channel
        .queue_declare(dead.as_str().into(), durable, dead_args)
        .await?;
    channel
        .queue_bind(
            dead.as_str().into(),
            DLX.into(),
            context.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok(())
}
