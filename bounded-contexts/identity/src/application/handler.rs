//! The identity command handler: load, decide, append, reply.
//!
//! Registration touches two streams. It first claims the address (`email-<hash>`, see
//! `domain::EmailClaim`), then registers the user (`user-<id>`). If the second step fails the
//! claim is released again (best effort); if even that fails (the process dies in between), the
//! claim names a user that does not exist, and a later sign-up of the address takes it over
//! once it is older than `ABANDONED_AFTER_SECS`.

use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{ExecuteError, Executed, execute, load};
use shared_kernel::ids::UserId;
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandOutcome, CommandReply, EventMetadata,
    EventStore, StoreError, StreamId,
};

use super::IdentityCommand;
use super::accounts::email_stream;
use crate::domain::{
    EmailClaim, EmailClaimCommand, EmailClaimError, NewUser, Role, User, UserCommand,
};

/// The actor of commands sent by `agora users ...` on the command line: trusted to grant roles
/// (how the first admin comes to be).
pub const SYSTEM_CLI: &str = "system:cli";

#[derive(Debug)]
pub struct IdentityHandler {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
}

fn accepted<A: Aggregate>(
    envelope: &CommandEnvelope,
    stream: &StreamId,
    done: &Executed<A>,
    user_id: UserId,
) -> CommandReply {
    CommandReply {
        command_id: envelope.command_id,
        outcome: CommandOutcome::Accepted {
            stream_id: stream.to_string(),
            stream_version: done.version,
            position: done.position,
            body: serde_json::json!({ "id": user_id }),
        },
    }
}

/// Who sent a command, as far as authorisation is concerned.
enum Actor {
    User(UserId),
    System,
}

impl IdentityHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Turns an execution result into a reply; infrastructure failures stay errors.
    fn reply<A: Aggregate>(
        envelope: &CommandEnvelope,
        stream: &StreamId,
        user_id: UserId,
        result: Result<Executed<A>, ExecuteError<A::Error>>,
        code_and_status: impl Fn(&A::Error) -> (&'static str, u16),
    ) -> Result<CommandReply, StoreError> {
        match result {
            Ok(done) => Ok(accepted(envelope, stream, &done, user_id)),
            Err(ExecuteError::Domain(e)) => {
                let (code, status) = code_and_status(&e);
                Ok(envelope.reject(status, code, e.to_string()))
            }
            Err(ExecuteError::Conflict) => Ok(envelope.reject(
                409,
                "concurrency_conflict",
                "the account changed concurrently; try again",
            )),
            Err(ExecuteError::Store(e)) => Err(e),
            Err(e @ (ExecuteError::Decode(_) | ExecuteError::Encode(_))) => {
                Err(StoreError::Corrupt(e.to_string()))
            }
        }
    }

    async fn register(
        &self,
        envelope: &CommandEnvelope,
        metadata: &EventMetadata,
        new: NewUser,
    ) -> Result<CommandReply, StoreError> {
        let claim_stream = email_stream(&new.email);
        let user_stream = StreamId::of(User::KIND, new.user_id);
        // The claim is its own step with its own events: it carries no command id, so the
        // idempotency record of the command belongs to the user stream's events alone.
        let claim_metadata = EventMetadata {
            command_id: None,
            ..metadata.clone()
        };
        let abandoned_by = self.abandoned_holder(&claim_stream, new.user_id).await?;
        let claim = execute::<EmailClaim>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &claim_stream,
            EmailClaimCommand::Claim {
                user_id: new.user_id,
                abandoned_by,
            },
            &claim_metadata,
        )
        .await;
        match claim {
            Ok(_) => {}
            Err(ExecuteError::Domain(EmailClaimError::Taken) | ExecuteError::Conflict) => {
                return Ok(envelope.reject(
                    409,
                    "email_taken",
                    "an account with this e-mail address already exists",
                ));
            }
            Err(ExecuteError::Store(e)) => return Err(e),
            Err(e) => return Err(StoreError::Corrupt(e.to_string())),
        }
        let user_id = new.user_id;
        let result = execute::<User>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &user_stream,
            UserCommand::Register(new),
            metadata,
        )
        .await;
        let failed = result.is_err();
        let reply = Self::reply(envelope, &user_stream, user_id, result, |e| {
            e.code_and_status()
        });
        if failed {
            self.release(&claim_stream, user_id, &claim_metadata).await;
        }
        reply
    }

    /// The holder of `claim`, if it is not `user_id` and its registration never happened.
    async fn abandoned_holder(
        &self,
        claim: &StreamId,
        user_id: UserId,
    ) -> Result<Option<UserId>, StoreError> {
        let holder = load::<EmailClaim>(self.store.as_ref(), claim)
            .await
            .map_err(|e| match e {
                ExecuteError::Store(e) => e,
                other => StoreError::Corrupt(other.to_string()),
            })?
            .state
            .holder;
        let Some((holder, _)) = holder.filter(|(h, _)| *h != user_id) else {
            return Ok(None);
        };
        let events = self
            .store
            .read_stream(&StreamId::of(User::KIND, holder), 1)
            .await?;
        Ok(events.is_empty().then_some(holder))
    }

    /// Compensation: gives the address back after a registration that did not happen.
    async fn release(&self, claim: &StreamId, user_id: UserId, metadata: &EventMetadata) {
        let released = execute::<EmailClaim>(
            self.store.as_ref(),
            self.clock.as_ref(),
            claim,
            EmailClaimCommand::Release {
                user_id,
                reason: "registration failed".into(),
            },
            metadata,
        )
        .await;
        if let Err(e) = released {
            // The claim stays; a later sign-up takes it over once it counts as abandoned.
            tracing::warn!(error = %e, %user_id, "cannot release the e-mail claim of a failed registration");
        }
    }

    /// May `actor` change roles? Admins may (checked on their current state, not on the
    /// roles in a possibly older token), and so may the command line.
    async fn may_change_roles(&self, actor: &Actor) -> Result<bool, StoreError> {
        match actor {
            Actor::System => Ok(true),
            Actor::User(id) => {
                let loaded = load::<User>(self.store.as_ref(), &StreamId::of(User::KIND, *id))
                    .await
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(loaded.state.roles.contains(&Role::Admin))
            }
        }
    }
}

#[async_trait]
impl CommandHandler for IdentityHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        let command = match IdentityCommand::from_envelope(&envelope) {
            Ok(c) => c,
            Err(e) => return Ok(envelope.reject(422, "invalid_command", e.to_string())),
        };
        let actor = match envelope.actor.as_deref() {
            Some(SYSTEM_CLI) => Actor::System,
            Some(a) => match a.parse::<UserId>() {
                Ok(id) => Actor::User(id),
                Err(_) => {
                    return Ok(envelope.reject(401, "unauthenticated", "unknown actor"));
                }
            },
            None => {
                return Ok(envelope.reject(401, "unauthenticated", "a user must send this"));
            }
        };
        let user_id = command.user_id();
        let stream = StreamId::of(User::KIND, user_id);
        let metadata = envelope.event_metadata();
        let by = match actor {
            Actor::User(id) => Some(id),
            Actor::System => None,
        };
        let domain = match command {
            IdentityCommand::RegisterUser {
                user_id,
                email,
                display_name,
                password_hash,
            } => {
                let new = NewUser {
                    user_id,
                    email,
                    display_name,
                    password_hash: password_hash.into_string(),
                };
                return self.register(&envelope, &metadata, new).await;
            }
            IdentityCommand::UpdateProfile { display_name, .. } => {
                let Some(actor) = by else {
                    return Ok(envelope.reject(403, "forbidden", "users change their own profile"));
                };
                UserCommand::UpdateProfile {
                    actor,
                    display_name,
                }
            }
            IdentityCommand::ChangePassword { password_hash, .. } => {
                let Some(actor) = by else {
                    return Ok(envelope.reject(
                        403,
                        "forbidden",
                        "users change their own password",
                    ));
                };
                UserCommand::SetPassword {
                    actor,
                    password_hash: password_hash.into_string(),
                }
            }
            IdentityCommand::SignOut {
                token_id,
                expires_at,
                ..
            } => {
                let Some(actor) = by else {
                    return Ok(envelope.reject(403, "forbidden", "users sign themselves out"));
                };
                let Some(expires_at) = chrono::DateTime::from_timestamp(expires_at, 0) else {
                    return Ok(envelope.reject(
                        422,
                        "validation_failed",
                        "expires_at is not a time",
                    ));
                };
                UserCommand::SignOut {
                    actor,
                    token_id,
                    expires_at,
                }
            }
            IdentityCommand::GrantRole { role, scope, .. }
            | IdentityCommand::RevokeRole { role, scope, .. } => {
                if !self.may_change_roles(&actor).await? {
                    return Ok(envelope.reject(
                        403,
                        "forbidden",
                        "only an admin may grant or revoke roles",
                    ));
                }
                let role = match Role::parse(&role, scope.as_deref()) {
                    Ok(r) => r,
                    Err(e) => {
                        return Ok(envelope.reject(422, "validation_failed", e.to_string()));
                    }
                };
                if envelope.name == "grant_role" {
                    UserCommand::GrantRole { role, by }
                } else {
                    UserCommand::RevokeRole { role, by }
                }
            }
        };
        let result = execute::<User>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &stream,
            domain,
            &metadata,
        )
        .await;
        Self::reply(&envelope, &stream, user_id, result, |e| e.code_and_status())
    }
}
