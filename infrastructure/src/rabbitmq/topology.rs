//! Declaring exchanges and queues. Idempotent: clients and workers both declare what they use,
//! so commands sent before any worker started wait in a durable queue instead of being lost.
//! Every name starts with the configured prefix ([`RabbitConfig::prefix`], `agora` by
//! default), so several deployments (or test runs) can share one broker and vhost.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Channel, ExchangeKind};

use super::RabbitConfig;

/// The command exchange under the default prefix.
pub const EXCHANGE: &str = "agora.commands";
/// The dead-letter exchange under the default prefix.
pub const DLX: &str = "agora.commands.dlx";

/// A context's command queue under the default prefix: `agora.<context>.commands`.
#[must_use]
pub fn queue(context: &str) -> String {
    RabbitConfig::new("").queue(context)
}

/// A context's dead-letter queue under the default prefix: `agora.<context>.commands.dead`.
#[must_use]
pub fn dead_letter_queue(context: &str) -> String {
    RabbitConfig::new("").dead_letter_queue(context)
}

fn durable_exchange() -> ExchangeDeclareOptions {
    ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    }
}

/// Declares both exchanges and the context's command and dead-letter queues (names under
/// `config`'s prefix; dead-lettered after `config.delivery_limit` deliveries).
///
/// # Errors
/// The broker refused a declaration (e.g. an existing queue with other arguments).
pub async fn declare(channel: &Channel, config: &RabbitConfig, context: &str) -> lapin::Result<()> {
    let (exchange, dlx) = (config.exchange(), config.dead_letter_exchange());
    channel
        .exchange_declare(
            exchange.as_str().into(),
            ExchangeKind::Direct,
            durable_exchange(),
            FieldTable::default(),
        )
        .await?;
    channel
        .exchange_declare(
            dlx.as_str().into(),
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
        AMQPValue::LongLongInt(i64::from(config.delivery_limit)),
    );
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(LongString::from(dlx.as_str())),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(LongString::from(context)),
    );
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    let q = config.queue(context);
    channel
        .queue_declare(q.as_str().into(), durable, args)
        .await?;
    channel
        .queue_bind(
            q.as_str().into(),
            exchange.as_str().into(),
            context.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;

    let dead = config.dead_letter_queue(context);
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
            dlx.as_str().into(),
            context.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok(())
}
