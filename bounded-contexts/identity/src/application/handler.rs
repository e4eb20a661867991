//! The identity command handler: load, decide, append, reply.
//!
//! Registration touches two streams. It first claims the address (`email-<hash>`, see
//! `domain::EmailClaim`), then registers the user (`user-<id>`). If the second step fails the
//! claim is released again (best effort); if even that fails (the process dies in between), the
//! claim names a user that does not exist, and a later sign-up of the address takes it over
//! once it is older than `ABANDONED_AFTER_SECS`.

use shared_kernel::RejectionKind;
use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{
    Actor, CommandKit, ExecuteError, Handled, Stop, accept, decode, finish, untracked,
};
use shared_kernel::ids::UserId;
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventMetadata, EventStore,
    StoreError, StreamId,
};

use super::accounts::email_stream;
use super::{IdentityCommand, UserRef};
use crate::domain::{
    EmailClaim, EmailClaimCommand, EmailClaimError, NewUser, Role, User, UserCommand,
};

/// The actor of commands sent by `agora users ...` on the command line: trusted to grant roles
/// (how the first admin comes to be).
pub const SYSTEM_CLI: &str = "system:cli";

#[derive(Debug)]
pub struct IdentityHandler {
    kit: CommandKit,
}

impl IdentityHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
        }
    }

    /// The command's actor: a user, or the command line (no other platform component sends
    /// identity commands).
    fn actor(envelope: &CommandEnvelope) -> Result<Actor, shared_kernel::application::Stop> {
        match Actor::required(envelope)? {
            Actor::System(name) if name != SYSTEM_CLI => Err(envelope
                .reject(
                    RejectionKind::Unauthenticated,
                    "unauthenticated",
                    "unknown actor",
                )
                .into()),
            actor => Ok(actor),
        }
    }

    async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        let command: IdentityCommand = decode(envelope)?;
        let actor = Self::actor(envelope)?;
        let user_id = command.user_id();
        let stream = StreamId::of(User::KIND, user_id);
        let metadata = envelope.event_metadata();
        let by = actor.user_id();
        let forbidden = |why: &str| Ok(envelope.reject(RejectionKind::Forbidden, "forbidden", why));
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
                return self.register(envelope, &metadata, new).await;
            }
            IdentityCommand::UpdateProfile { display_name, .. } => {
                let Some(actor) = by else {
                    return forbidden("users change their own profile");
                };
                UserCommand::UpdateProfile {
                    actor,
                    display_name,
                }
            }
            IdentityCommand::ChangePassword { password_hash, .. } => {
                let Some(actor) = by else {
                    return forbidden("users change their own password");
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
                    return forbidden("users sign themselves out");
                };
                let Some(expires_at) = chrono::DateTime::from_timestamp(expires_at, 0) else {
                    return Ok(envelope.reject(
                        RejectionKind::Invalid,
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
            IdentityCommand::GrantRole { role, scope, .. } => UserCommand::GrantRole {
                role: self.role_to_change(envelope, &actor, &role, scope).await?,
                by,
            },
            IdentityCommand::RevokeRole { role, scope, .. } => UserCommand::RevokeRole {
                role: self.role_to_change(envelope, &actor, &role, scope).await?,
                by,
            },
        };
        let result = self.kit.execute::<User>(&stream, domain, &metadata).await;
        accept(envelope, &stream, result, |_| UserRef::of(user_id))
    }

    /// The role a grant or revocation names, once `actor` may change roles.
    async fn role_to_change(
        &self,
        envelope: &CommandEnvelope,
        actor: &Actor,
        role: &str,
        scope: Option<String>,
    ) -> Result<Role, Stop> {
        if !self.may_change_roles(actor).await? {
            return Err(envelope
                .reject(
                    RejectionKind::Forbidden,
                    "forbidden",
                    "only an admin may grant or revoke roles",
                )
                .into());
        }
        Role::parse(role, scope.as_deref()).map_err(|e| {
            envelope
                .reject(RejectionKind::Invalid, "validation_failed", e.to_string())
                .into()
        })
    }

    async fn register(
        &self,
        envelope: &CommandEnvelope,
        metadata: &EventMetadata,
        new: NewUser,
    ) -> Handled {
        let claim_stream = email_stream(&new.email);
        let user_stream = StreamId::of(User::KIND, new.user_id);
        // The claim is its own step with its own events: it carries no command id, so the
        // idempotency record of the command belongs to the user stream's events alone.
        let claim_metadata = untracked(metadata);
        let abandoned_by = self.abandoned_holder(&claim_stream, new.user_id).await?;
        let claim = EmailClaimCommand::Claim {
            user_id: new.user_id,
            abandoned_by,
        };
        match self
            .kit
            .execute::<EmailClaim>(&claim_stream, claim, &claim_metadata)
            .await
        {
            Ok(_) => {}
            Err(ExecuteError::Domain(EmailClaimError::Taken) | ExecuteError::Conflict) => {
                return Ok(envelope.reject(
                    RejectionKind::Conflict,
                    "email_taken",
                    "an account with this e-mail address already exists",
                ));
            }
            Err(ExecuteError::Store(e)) => return Err(e.into()),
            Err(e) => return Err(StoreError::Corrupt(e.to_string()).into()),
        }
        let user_id = new.user_id;
        let result = self
            .kit
            .execute::<User>(&user_stream, UserCommand::Register(new), metadata)
            .await;
        let failed = result.is_err();
        let reply = accept(envelope, &user_stream, result, |_| UserRef::of(user_id));
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
        let holder = self.kit.state::<EmailClaim>(claim).await?.holder;
        let Some((holder, _)) = holder.filter(|(h, _)| *h != user_id) else {
            return Ok(None);
        };
        let registered = self.kit.exists(&StreamId::of(User::KIND, holder)).await?;
        Ok((!registered).then_some(holder))
    }

    /// Compensation: gives the address back after a registration that did not happen.
    async fn release(&self, claim: &StreamId, user_id: UserId, metadata: &EventMetadata) {
        let release = EmailClaimCommand::Release {
            user_id,
            reason: "registration failed".into(),
        };
        if let Err(e) = self
            .kit
            .execute::<EmailClaim>(claim, release, metadata)
            .await
        {
            // The claim stays; a later sign-up takes it over once it counts as abandoned.
            tracing::warn!(error = %e, %user_id, "cannot release the e-mail claim of a failed registration");
        }
    }

    /// May `actor` change roles? Admins may (checked on their current state, not on the
    /// roles in a possibly older token), and so may the command line.
    async fn may_change_roles(&self, actor: &Actor) -> Result<bool, StoreError> {
        match actor {
            Actor::System(_) => Ok(true),
            Actor::User(id) => {
                let user = self
                    .kit
                    .state::<User>(&StreamId::of(User::KIND, *id))
                    .await?;
                Ok(user.roles.contains(&Role::Admin))
            }
        }
    }
}

#[async_trait]
impl CommandHandler for IdentityHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
