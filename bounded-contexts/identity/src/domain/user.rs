//! The User aggregate: an account with a profile, a password hash and roles.

use shared_kernel::RejectionKind;
use std::collections::BTreeSet;

use event_schemas::identity::{
    PasswordSet, ProfileUpdated, RoleGranted, RoleRevoked, SessionsRevoked, SignedOut, UserEvent,
    UserRegistered,
};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate, Timestamp};

use super::role::{Role, RoleError};

const MAX_EMAIL: usize = 254;
const MAX_DISPLAY_NAME: usize = 100;
const MAX_HASH: usize = 512;
/// Longest token id a sign-out records (ours are 36-character UUIDs).
const MAX_TOKEN_ID: usize = 64;
/// The reason of the `SessionsRevoked` a password change records.
pub const PASSWORD_CHANGED: &str = "password_changed";

/// The canonical form of an address: trimmed and lower-cased. Two addresses that differ only
/// in case are one account (mail providers treat them so in practice).
#[must_use]
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[derive(Clone, Default, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub registered: bool,
    pub email: String,
    pub display_name: String,
    /// argon2id PHC string; `None` before registration.
    pub password_hash: Option<String>,
    pub roles: BTreeSet<Role>,
}

// The hash stays out of logs even when a whole user is debug-printed.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("registered", &self.registered)
            .field("display_name", &self.display_name)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// What a sign-up provides (the password already hashed by the application layer).
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    Register(NewUser),
    /// Only the user themself changes their profile.
    UpdateProfile {
        actor: UserId,
        display_name: String,
    },
    /// The application layer checked the current password (or the caller is trusted). Every
    /// session of the old password ends with it.
    SetPassword {
        actor: UserId,
        password_hash: String,
    },
    /// Logout: the access token `token_id` (its `jti`), valid until `expires_at`, ends now.
    SignOut {
        actor: UserId,
        token_id: String,
        expires_at: Timestamp,
    },
    /// Authorised by the application layer (an admin, or the command line).
    GrantRole {
        role: Role,
        by: Option<UserId>,
    },
    RevokeRole {
        role: Role,
        by: Option<UserId>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("user already registered")]
    AlreadyRegistered,
    #[error("user not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Role(#[from] RoleError),
}

impl shared_kernel::Rejection for UserError {
    /// The stable error code, and the kind of refusal the edge answers with.
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::AlreadyRegistered => ("user_exists", RejectionKind::Conflict),
            Self::NotFound => ("not_found", RejectionKind::NotFound),
            Self::Invalid(_) | Self::Role(_) => ("validation_failed", RejectionKind::Invalid),
        }
    }
}

fn check_email(email: &str) -> Result<(), UserError> {
    let invalid = || UserError::Invalid("email must be an address like name@example.org".into());
    let odd = |c: char| c.is_whitespace() || c.is_control();
    if email.len() > MAX_EMAIL || email.chars().any(odd) {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(invalid());
    }
    Ok(())
}

fn check_display_name(name: &str) -> Result<(), UserError> {
    let len = name.trim().chars().count();
    if len == 0 || name.chars().count() > MAX_DISPLAY_NAME || name.chars().any(char::is_control) {
        return Err(UserError::Invalid(format!(
            "display_name must be 1 to {MAX_DISPLAY_NAME} characters without control characters"
        )));
    }
    Ok(())
}

fn check_hash(hash: &str) -> Result<(), UserError> {
    // Catches a clear-text password passed by mistake: only PHC argon2id strings are stored.
    if !hash.starts_with("$argon2id$") || hash.len() > MAX_HASH {
        return Err(UserError::Invalid(
            "password hash must be an argon2id PHC string".into(),
        ));
    }
    Ok(())
}

impl User {
    fn existing(&self) -> Result<(), UserError> {
        if self.registered {
            Ok(())
        } else {
            Err(UserError::NotFound)
        }
    }

    fn is_self(&self, actor: UserId) -> Result<(), UserError> {
        self.existing()?;
        if actor == self.id {
            Ok(())
        } else {
            // Someone else's account looks like no account.
            Err(UserError::NotFound)
        }
    }

    /// Roles in their token form (`moderator:<community>`), sorted.
    #[must_use]
    pub fn role_claims(&self) -> Vec<String> {
        self.roles.iter().map(ToString::to_string).collect()
    }
}

impl Aggregate for User {
    const KIND: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;

    fn decide(&self, command: UserCommand, _now: Timestamp) -> Result<Vec<UserEvent>, UserError> {
        match command {
            UserCommand::Register(new) => {
                let email = normalize_email(&new.email);
                if self.registered {
                    // The same sign-up delivered twice is not an error.
                    return if self.id == new.user_id && self.email == email {
                        Ok(vec![])
                    } else {
                        Err(UserError::AlreadyRegistered)
                    };
                }
                check_email(&email)?;
                check_display_name(&new.display_name)?;
                check_hash(&new.password_hash)?;
                Ok(vec![
                    UserEvent::Registered(UserRegistered {
                        user_id: new.user_id,
                        email,
                        display_name: new.display_name.trim().to_owned(),
                    }),
                    UserEvent::PasswordSet(PasswordSet {
                        user_id: new.user_id,
                        password_hash: new.password_hash,
                    }),
                ])
            }
            UserCommand::UpdateProfile {
                actor,
                display_name,
            } => {
                self.is_self(actor)?;
                check_display_name(&display_name)?;
                let display_name = display_name.trim().to_owned();
                if display_name == self.display_name {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::ProfileUpdated(ProfileUpdated {
                    user_id: self.id,
                    display_name,
                })])
            }
            UserCommand::SetPassword {
                actor,
                password_hash,
            } => {
                self.is_self(actor)?;
                check_hash(&password_hash)?;
                // Tokens issued under the old password are refused from here on.
                Ok(vec![
                    UserEvent::PasswordSet(PasswordSet {
                        user_id: self.id,
                        password_hash,
                    }),
                    UserEvent::SessionsRevoked(SessionsRevoked {
                        user_id: self.id,
                        reason: PASSWORD_CHANGED.to_owned(),
                    }),
                ])
            }
            UserCommand::SignOut {
                actor,
                token_id,
                expires_at,
            } => {
                self.is_self(actor)?;
                if token_id.is_empty() || token_id.len() > MAX_TOKEN_ID {
                    return Err(UserError::Invalid(format!(
                        "token id must be 1 to {MAX_TOKEN_ID} bytes"
                    )));
                }
                // Signing out twice records it twice: harmless, and cheaper than remembering
                // every token ever signed out in the aggregate.
                Ok(vec![UserEvent::SignedOut(SignedOut {
                    user_id: self.id,
                    token_id,
                    expires_at,
                })])
            }
            UserCommand::GrantRole { role, by } => {
                self.existing()?;
                if self.roles.contains(&role) {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::RoleGranted(RoleGranted {
                    user_id: self.id,
                    role: role.name().to_owned(),
                    scope: role.scope().map(str::to_owned),
                    granted_by: by,
                })])
            }
            UserCommand::RevokeRole { role, by } => {
                self.existing()?;
                if !self.roles.contains(&role) {
                    return Ok(vec![]);
                }
                Ok(vec![UserEvent::RoleRevoked(RoleRevoked {
                    user_id: self.id,
                    role: role.name().to_owned(),
                    scope: role.scope().map(str::to_owned),
                    revoked_by: by,
                })])
            }
        }
    }

    fn evolve(mut self, event: &UserEvent) -> Self {
        match event {
            UserEvent::Registered(e) => {
                self.id = e.user_id;
                self.registered = true;
                self.email.clone_from(&e.email);
                self.display_name.clone_from(&e.display_name);
            }
            UserEvent::PasswordSet(e) => self.password_hash = Some(e.password_hash.clone()),
            UserEvent::ProfileUpdated(e) => self.display_name.clone_from(&e.display_name),
            UserEvent::RoleGranted(e) => {
                // A role this code no longer knows is dropped rather than failing the load.
                if let Ok(role) = Role::parse(&e.role, e.scope.as_deref()) {
                    self.roles.insert(role);
                }
            }
            UserEvent::RoleRevoked(e) => {
                if let Ok(role) = Role::parse(&e.role, e.scope.as_deref()) {
                    self.roles.remove(&role);
                }
            }
            // Facts about tokens, kept by the token-revocation view, not by the account.
            UserEvent::SignedOut(_) | UserEvent::SessionsRevoked(_) => {}
        }
        self
    }
}
