//! Commands as messages: the envelope the command bus carries and the reply it brings back.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::rejection::RejectionKind;

/// A request to one context. `name` selects the handler inside the context; `payload` is the
/// command's JSON as published in `event-schemas`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandEnvelope {
    /// Unique per logical command: a redelivery or an HTTP retry carries the same id.
    pub command_id: Uuid,
    pub context: String,
    pub name: String,
    pub payload: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
}

/// A context's command enum (serde-tagged `{"name": ..., "payload": ...}`), which knows the
/// context it is addressed to and so wraps itself for the bus.
pub trait ContextCommand: serde::Serialize + Sized {
    /// The context whose handler takes these commands (its queue on the bus).
    const CONTEXT: &'static str;

    /// Wraps the command for the bus, on behalf of `actor` (a user id, or `system:<who>`).
    ///
    /// # Errors
    /// The command does not serialise to a `name` + `payload` object (not expected for a
    /// derived `Serialize` with `tag = "name", content = "payload"`).
    fn envelope(
        &self,
        command_id: Uuid,
        actor: impl Into<String>,
    ) -> Result<CommandEnvelope, serde_json::Error> {
        CommandEnvelope::wrap(Self::CONTEXT, self, command_id, actor.into())
    }
}

impl CommandEnvelope {
    /// Wraps a context's command enum (serde-tagged `{"name": ..., "payload": ...}`) for the
    /// bus, on behalf of `actor`; a fresh command starts its own correlation.
    ///
    /// # Errors
    /// The command does not serialise to a `name` + `payload` object.
    pub fn wrap<C: serde::Serialize>(
        context: &str,
        command: &C,
        command_id: Uuid,
        actor: String,
    ) -> Result<Self, serde_json::Error> {
        let mut value = serde_json::to_value(command)?;
        let name = value["name"]
            .as_str()
            .ok_or_else(|| serde::ser::Error::custom("a command enum must be tagged with `name`"))?
            .to_owned();
        let payload = value
            .get_mut("payload")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        Ok(Self {
            command_id,
            context: context.to_owned(),
            name,
            payload,
            actor: Some(actor),
            correlation_id: Some(command_id),
            causation_id: None,
        })
    }

    /// The context's command enum back from `name` + `payload`.
    ///
    /// # Errors
    /// Unknown name or a payload of the wrong shape.
    pub fn unwrap_command<C: serde::de::DeserializeOwned>(&self) -> Result<C, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "name": self.name, "payload": self.payload }))
    }
    /// The metadata its events carry: correlation, causation (the command itself unless it
    /// was caused by an event), actor, and the command id that makes handling idempotent.
    #[must_use]
    pub fn event_metadata(&self) -> crate::EventMetadata {
        crate::EventMetadata {
            correlation_id: self.correlation_id,
            causation_id: self.causation_id.or(Some(self.command_id)),
            actor: self.actor.clone(),
            command_id: Some(self.command_id),
        }
    }

    /// The reply of a command that broke a rule (nothing was appended): what kind of refusal
    /// it is, its stable `code` and a message for humans.
    #[must_use]
    pub fn reject(
        &self,
        kind: RejectionKind,
        code: &str,
        message: impl Into<String>,
    ) -> CommandReply {
        CommandReply {
            command_id: self.command_id,
            outcome: CommandOutcome::Rejected {
                code: code.to_owned(),
                message: message.into(),
                kind,
                details: None,
            },
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CommandOutcome {
    /// Events were appended (or the command was a repeat of one that was).
    Accepted {
        stream_id: String,
        stream_version: u64,
        /// Global position of the last event: the client's read-your-writes token.
        position: u64,
        #[serde(default)]
        body: serde_json::Value,
    },
    /// The command broke a rule; nothing was appended. `code` is the stable snake_case error
    /// code; `kind` says what sort of refusal it is (the HTTP edge picks the status from it).
    Rejected {
        code: String,
        message: String,
        kind: RejectionKind,
        /// Facts of the refusal for programs (amounts in minor units, limits...), which the
        /// HTTP edge adds to the problem as extension members; `None` when there are none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<serde_json::Value>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandReply {
    pub command_id: Uuid,
    #[serde(flatten)]
    pub outcome: CommandOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "name", content = "payload", rename_all = "snake_case")]
    enum Demo {
        DoThing { n: u32 },
    }

    #[test]
    fn commands_wrap_and_unwrap() {
        let id = Uuid::now_v7();
        let envelope =
            CommandEnvelope::wrap("demo", &Demo::DoThing { n: 7 }, id, "u".into()).unwrap();
        assert_eq!(
            (envelope.context.as_str(), envelope.name.as_str()),
            ("demo", "do_thing")
        );
        assert_eq!(envelope.payload, serde_json::json!({ "n": 7 }));
        assert_eq!(envelope.correlation_id, Some(id));
        assert_eq!(
            envelope.unwrap_command::<Demo>().unwrap(),
            Demo::DoThing { n: 7 }
        );
        let reply = envelope.reject(RejectionKind::Conflict, "conflict", "busy");
        assert!(matches!(
            reply.outcome,
            CommandOutcome::Rejected {
                kind: RejectionKind::Conflict,
                ..
            }
        ));
        assert!(
            CommandEnvelope::wrap("demo", &5_u8, id, "u".into()).is_err(),
            "not a tagged enum"
        );
    }
}
