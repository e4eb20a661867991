//! Commands as messages: the envelope the command bus carries and the reply it brings back.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

impl CommandEnvelope {
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

    /// The reply of a command that broke a rule (nothing was appended).
    #[must_use]
    pub fn reject(&self, status: u16, code: &str, message: impl Into<String>) -> CommandReply {
        CommandReply {
            command_id: self.command_id,
            outcome: CommandOutcome::Rejected {
                code: code.to_owned(),
                message: message.into(),
                status,
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
    /// The command broke a rule; nothing was appended. `code` is the stable snake_case error code.
    Rejected {
        code: String,
        message: String,
        status: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandReply {
    pub command_id: Uuid,
    #[serde(flatten)]
    pub outcome: CommandOutcome,
}
