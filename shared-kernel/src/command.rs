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
