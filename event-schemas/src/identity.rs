//! Events of the `identity` context: accounts, their credentials and roles, and the claims that
//! keep e-mail addresses unique.
//!
//! | type | version | stream | note |
//! |---|---|---|---|
//! | `agora.identity.user_registered` | 1 | `user-<id>` | e-mail as given at sign-up (lower-cased) |
//! | `agora.identity.password_set` | 1 | `user-<id>` | **confidential**: an argon2id PHC hash, never a password; not for analysts |
//! | `agora.identity.profile_updated` | 1 | `user-<id>` | |
//! | `agora.identity.role_granted` | 1 | `user-<id>` | `scope` is the community of a `moderator` |
//! | `agora.identity.role_revoked` | 1 | `user-<id>` | also ends every access token issued before it |
//! | `agora.identity.signed_out` | 1 | `user-<id>` | one access token (`token_id` = its `jti`) ended by logout |
//! | `agora.identity.sessions_revoked` | 1 | `user-<id>` | every access token issued before it ends (password changed) |
//! | `agora.identity.email_claimed` | 1 | `email-<sha256 hex>` | the uniqueness guard, see below |
//! | `agora.identity.email_released` | 1 | `email-<sha256 hex>` | an abandoned claim given up |
//!
//! E-mail uniqueness is the set-validation problem; it is solved with the event store itself:
//! each address owns a stream `email-<hex sha256 of the lower-cased address>`, and a sign-up
//! first appends `email_claimed` there expecting *no stream*. The store's unique
//! `(stream_id, stream_version)` index lets exactly one of any number of racing sign-ups win.
//! The claim names the user id, so a claim whose `user_registered` never got written can be
//! recognised and released later.
//!
//! Access tokens are stateless (signed JWTs), so what ends them early is recorded here and
//! every process keeps a view of it: a token carries the version of its user's stream it was
//! issued from (`gen`), and is refused once a `role_revoked` or `sessions_revoked` at a later
//! version exists, or once a `signed_out` names its `jti`.
//!
//! The password hash lives in its own event type (`password_set`) rather than inside
//! `user_registered`, so consumers that publish or show events can drop that one type whole.

use serde::{Deserialize, Serialize};
use shared_kernel::Timestamp;
use shared_kernel::ids::UserId;

use crate::upcast::{Catalogue, Upcaster};

pub const USER_REGISTERED: &str = "agora.identity.user_registered";
pub const PASSWORD_SET: &str = "agora.identity.password_set";
pub const PROFILE_UPDATED: &str = "agora.identity.profile_updated";
pub const ROLE_GRANTED: &str = "agora.identity.role_granted";
pub const ROLE_REVOKED: &str = "agora.identity.role_revoked";
pub const EMAIL_CLAIMED: &str = "agora.identity.email_claimed";
pub const EMAIL_RELEASED: &str = "agora.identity.email_released";
pub const SIGNED_OUT: &str = "agora.identity.signed_out";
pub const SESSIONS_REVOKED: &str = "agora.identity.sessions_revoked";

/// Event types whose data must not leave the identity context (relays, analyst APIs).
pub const CONFIDENTIAL: &[&str] = &[PASSWORD_SET];

/// Every identity event type with its current schema version.
pub const CATALOGUE: Catalogue = &[
    (USER_REGISTERED, 1),
    (PASSWORD_SET, 1),
    (PROFILE_UPDATED, 1),
    (ROLE_GRANTED, 1),
    (ROLE_REVOKED, 1),
    (EMAIL_CLAIMED, 1),
    (EMAIL_RELEASED, 1),
    (SIGNED_OUT, 1),
    (SESSIONS_REVOKED, 1),
];

pub const UPCASTERS: &[Upcaster] = &[];

/// An account was created (its password hash follows, in `password_set`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRegistered {
    pub user_id: UserId,
    /// Trimmed and lower-cased.
    pub email: String,
    pub display_name: String,
}

/// A new password hash (argon2id, PHC string format). Confidential.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordSet {
    pub user_id: UserId,
    pub password_hash: String,
}

// Never print the hash, not even in a debug log of an event.
impl std::fmt::Debug for PasswordSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordSet")
            .field("user_id", &self.user_id)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

/// The user changed their display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdated {
    pub user_id: UserId,
    pub display_name: String,
}

/// A role was granted: `admin`, `analyst`, or `moderator` of a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleGranted {
    pub user_id: UserId,
    /// `admin`, `analyst` or `moderator`.
    pub role: String,
    /// The community a `moderator` moderates; `None` for platform-wide roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The admin who granted it; `None` when bootstrapped from the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<UserId>,
}

/// A role was taken back; the user's access tokens issued before stop working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRevoked {
    pub user_id: UserId,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<UserId>,
}

/// The user signed out of one session: the access token `token_id` (its `jti`) is refused from
/// now on, until it would have expired anyway at `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedOut {
    pub user_id: UserId,
    pub token_id: String,
    pub expires_at: Timestamp,
}

/// Every access token of `user_id` issued before this event is refused from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsRevoked {
    pub user_id: UserId,
    /// Why, e.g. `password_changed`.
    pub reason: String,
}

/// `email-<hash>` now belongs to `user_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailClaimed {
    pub user_id: UserId,
    pub claimed_at: Timestamp,
}

/// The claim of `user_id` is given up (its registration never completed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailReleased {
    pub user_id: UserId,
    pub reason: String,
}

/// The events of a `user-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum UserEvent {
    #[serde(rename = "agora.identity.user_registered")]
    Registered(UserRegistered),
    #[serde(rename = "agora.identity.password_set")]
    PasswordSet(PasswordSet),
    #[serde(rename = "agora.identity.profile_updated")]
    ProfileUpdated(ProfileUpdated),
    #[serde(rename = "agora.identity.role_granted")]
    RoleGranted(RoleGranted),
    #[serde(rename = "agora.identity.role_revoked")]
    RoleRevoked(RoleRevoked),
    #[serde(rename = "agora.identity.signed_out")]
    SignedOut(SignedOut),
    #[serde(rename = "agora.identity.sessions_revoked")]
    SessionsRevoked(SessionsRevoked),
}

/// The events of an `email-<hash>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum EmailClaimEvent {
    #[serde(rename = "agora.identity.email_claimed")]
    Claimed(EmailClaimed),
    #[serde(rename = "agora.identity.email_released")]
    Released(EmailReleased),
}

crate::domain_event!(UserEvent, CATALOGUE, UPCASTERS, {
    Registered => USER_REGISTERED,
    PasswordSet => PASSWORD_SET,
    ProfileUpdated => PROFILE_UPDATED,
    RoleGranted => ROLE_GRANTED,
    RoleRevoked => ROLE_REVOKED,
    SignedOut => SIGNED_OUT,
    SessionsRevoked => SESSIONS_REVOKED,
});

crate::domain_event!(EmailClaimEvent, CATALOGUE, UPCASTERS, {
    Claimed => EMAIL_CLAIMED,
    Released => EMAIL_RELEASED,
});
