//! Which access tokens are refused before they expire: the identity side of
//! `http_kernel::Revocations`.
//!
//! Access tokens are signed JWTs checked without a database, so what ends one early is an
//! event: `role_revoked` and `sessions_revoked` end every token of the user issued before them
//! (a token carries the version of the user's stream it was read from, `gen`: ASP.NET
//! Identity's security stamp, made of the stream version), `signed_out` ends one token by its
//! `jti`. [`TokenRevocations`] keeps that in memory, so the check on every request is a hash
//! lookup and no query; [`TokenRevocationsProjection`] keeps it in two tables too, so a process
//! that starts loads it instead of replaying the whole store.
//!
//! Every process runs the projection on the store's feed (never on Kafka, whose consumer group
//! would give each process only some partitions) and folds every event it receives into its
//! memory through `Projection::observe`, whichever process wrote the tables. A revoke written
//! by another process (`agora users revoke`) is therefore seen as soon as this process's tail
//! sees the event: at once on PostgreSQL (LISTEN/NOTIFY), within the tail's idle re-check
//! (5 s) on SQLite, which has no cross-process notifications.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use event_schemas::identity::{ROLE_REVOKED, SESSIONS_REVOKED, SIGNED_OUT, UserEvent};
use http_kernel::{AccessClaims, Revocations};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate as _, DomainEvent as _, Recorded};
use sqlx::{AnyConnection, AnyPool, Row as _};

use crate::domain::User;

/// The projection's name (its checkpoint key).
pub const TOKEN_REVOCATIONS: &str = "identity.token_revocations";

/// How long past its expiry a signed-out token is still remembered: the verifier's clock
/// leeway, and a margin.
const REMEMBER_AFTER_EXPIRY_SECS: i64 = 60;
/// How often expired token ids are dropped from memory at most, in seconds.
const PURGE_EVERY_SECS: i64 = 60;

const SCHEMA: &[&str] = &[
    // Per user: the stream version of its latest revocation; tokens with a lower `gen` fail.
    "CREATE TABLE IF NOT EXISTS identity_token_revocations (
        user_id    TEXT PRIMARY KEY,
        not_before BIGINT NOT NULL
    )",
    // Signed-out tokens until they expire (Unix seconds).
    "CREATE TABLE IF NOT EXISTS identity_signed_out_tokens (
        token_id   TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL,
        expires_at BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS identity_signed_out_tokens_expiry
        ON identity_signed_out_tokens (expires_at)",
];

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The event types that end tokens.
const RELEVANT: &[&str] = &[ROLE_REVOKED, SESSIONS_REVOKED, SIGNED_OUT];

/// What a user event means for tokens, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fact {
    /// Tokens of `user` issued from a version below `version` are refused.
    RevokedBefore { user: UserId, version: u64 },
    /// The token `token_id` of `user` is refused until `expires_at` (Unix seconds).
    SignedOut {
        user: UserId,
        token_id: String,
        expires_at: i64,
    },
}

/// The token fact `event` records; `Ok(None)` for every other event.
fn fact_of(event: &Recorded) -> Result<Option<Fact>, shared_kernel::DecodeError> {
    if event.stream_id.kind() != User::KIND || !RELEVANT.contains(&event.event_type.as_str()) {
        return Ok(None);
    }
    let fact = match UserEvent::decode(&event.event_type, event.schema_version, event.data.clone())?
    {
        UserEvent::RoleRevoked(e) => Fact::RevokedBefore {
            user: e.user_id,
            version: event.stream_version,
        },
        UserEvent::SessionsRevoked(e) => Fact::RevokedBefore {
            user: e.user_id,
            version: event.stream_version,
        },
        UserEvent::SignedOut(e) => Fact::SignedOut {
            user: e.user_id,
            token_id: e.token_id,
            expires_at: e.expires_at.timestamp(),
        },
        _ => return Ok(None),
    };
    Ok(Some(fact))
}

#[derive(Debug, Default)]
struct State {
    /// Per user: the stream version of its latest revocation.
    not_before: HashMap<UserId, u64>,
    /// Signed-out token ids with their expiry, Unix seconds.
    signed_out: HashMap<String, i64>,
    /// When expired ids were last dropped, Unix seconds.
    purged_at: i64,
}

/// The revoked tokens, in memory: what the token verifier asks on every request. Only ever
/// grows (a later version wins, a signed-out id stays until it expires), so events folded in
/// twice or in any order, and a table loaded on top, give the same answer.
#[derive(Debug, Default)]
pub struct TokenRevocations {
    state: RwLock<State>,
}

impl TokenRevocations {
    /// Nothing revoked yet; [`load`](Self::load) and the projection fill it.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn note(&self, fact: Fact) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        match fact {
            Fact::RevokedBefore { user, version } => {
                let entry = state.not_before.entry(user).or_insert(0);
                *entry = (*entry).max(version);
            }
            Fact::SignedOut {
                token_id,
                expires_at,
                ..
            } => {
                let now = unix_now();
                if expires_at + REMEMBER_AFTER_EXPIRY_SECS > now {
                    state.signed_out.insert(token_id, expires_at);
                }
                if now - state.purged_at >= PURGE_EVERY_SECS {
                    state.purged_at = now;
                    state
                        .signed_out
                        .retain(|_, expires_at| *expires_at + REMEMBER_AFTER_EXPIRY_SECS > now);
                }
            }
        }
    }

    /// Folds one stored event in (events that say nothing about tokens are ignored).
    pub fn observe(&self, event: &Recorded) {
        match fact_of(event) {
            Ok(Some(fact)) => self.note(fact),
            Ok(None) => {}
            // The table's projector meets the same event and reports it; a token is not
            // refused on a fact this code cannot read.
            Err(e) => {
                tracing::warn!(error = %e, event_id = %event.event_id, "cannot read a token revocation")
            }
        }
    }

    /// Merges what the projection's tables hold: how a starting process learns the revocations
    /// recorded before it. Load after the projector has read its checkpoint: the tables then
    /// hold at least everything before the events the projector will hand to
    /// [`observe`](Self::observe).
    ///
    /// # Errors
    /// The read-model database failed.
    pub async fn load(&self, pool: &AnyPool) -> Result<(), sqlx::Error> {
        let revoked = sqlx::query("SELECT user_id, not_before FROM identity_token_revocations")
            .fetch_all(pool)
            .await?;
        let signed_out = sqlx::query(
            "SELECT token_id, user_id, expires_at FROM identity_signed_out_tokens \
             WHERE expires_at > $1",
        )
        .bind(unix_now() - REMEMBER_AFTER_EXPIRY_SECS)
        .fetch_all(pool)
        .await?;
        for row in revoked {
            let user: String = row.try_get("user_id")?;
            let version: i64 = row.try_get("not_before")?;
            if let Ok(user) = user.parse() {
                self.note(Fact::RevokedBefore {
                    user,
                    version: u64::try_from(version).unwrap_or(0),
                });
            }
        }
        for row in signed_out {
            let user: String = row.try_get("user_id")?;
            if let Ok(user) = user.parse() {
                self.note(Fact::SignedOut {
                    user,
                    token_id: row.try_get("token_id")?,
                    expires_at: row.try_get("expires_at")?,
                });
            }
        }
        Ok(())
    }
}

impl Revocations for TokenRevocations {
    fn is_revoked(&self, user: UserId, claims: &AccessClaims) -> bool {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let not_before = state.not_before.get(&user).copied().unwrap_or(0);
        claims.generation < not_before || state.signed_out.contains_key(&claims.jti)
    }
}

/// The tables behind [`TokenRevocations`], and what feeds it the events of the store.
#[derive(Debug, Clone)]
pub struct TokenRevocationsProjection {
    revocations: std::sync::Arc<TokenRevocations>,
}

impl TokenRevocationsProjection {
    /// The projection that keeps `revocations` current.
    #[must_use]
    pub const fn new(revocations: std::sync::Arc<TokenRevocations>) -> Self {
        Self { revocations }
    }
}

#[async_trait]
impl Projection for TokenRevocationsProjection {
    fn name(&self) -> &'static str {
        TOKEN_REVOCATIONS
    }

    fn handles(&self) -> Interest {
        // Only events of `user-<id>` streams carry these types.
        Interest::Types(RELEVANT)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["identity_token_revocations", "identity_signed_out_tokens"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        match fact_of(event)? {
            None => {}
            Some(Fact::RevokedBefore { user, version }) => {
                sqlx::query(
                    "INSERT INTO identity_token_revocations (user_id, not_before) \
                     VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE \
                     SET not_before = excluded.not_before \
                     WHERE identity_token_revocations.not_before < excluded.not_before",
                )
                .bind(user.to_string())
                .bind(i64::try_from(version).unwrap_or(i64::MAX))
                .execute(&mut *conn)
                .await?;
            }
            Some(Fact::SignedOut {
                user,
                token_id,
                expires_at,
            }) => {
                // Tokens that expired before this event need no remembering: dropped here, by
                // the event's own time, so a rebuild ends with the same rows.
                sqlx::query("DELETE FROM identity_signed_out_tokens WHERE expires_at < $1")
                    .bind(event.recorded_at.timestamp() - REMEMBER_AFTER_EXPIRY_SECS)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(
                    "INSERT INTO identity_signed_out_tokens (token_id, user_id, expires_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (token_id) DO NOTHING",
                )
                .bind(token_id)
                .bind(user.to_string())
                .bind(expires_at)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }

    fn observe(&self, events: &[&Recorded]) {
        for event in events {
            self.revocations.observe(event);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use event_schemas::identity::{RoleRevoked, SignedOut};
    use shared_kernel::{Cursor, EventMetadata, StreamId};

    fn recorded(user: UserId, version: u64, event: &UserEvent) -> Recorded {
        Recorded {
            event_id: uuid::Uuid::now_v7(),
            stream_id: StreamId::of(User::KIND, user),
            stream_version: version,
            position: version,
            cursor: Cursor::new(1, version),
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            data: event.to_data().unwrap(),
            metadata: EventMetadata::default(),
            recorded_at: chrono::Utc::now(),
        }
    }

    fn claims(jti: &str, generation: u64) -> AccessClaims {
        AccessClaims {
            sub: String::new(),
            iss: String::new(),
            aud: String::new(),
            iat: 0,
            exp: 0,
            jti: jti.to_owned(),
            roles: vec![],
            generation,
        }
    }

    #[test]
    fn revocations_refuse_older_tokens_and_signed_out_ones_only() {
        let (ada, bob) = (UserId::new(), UserId::new());
        let view = TokenRevocations::new();
        assert!(!view.is_revoked(ada, &claims("a", 0)));

        let revoked = UserEvent::RoleRevoked(RoleRevoked {
            user_id: ada,
            role: "admin".into(),
            scope: None,
            revoked_by: None,
        });
        view.observe(&recorded(ada, 5, &revoked));
        // Seen twice, or an older one after it: no change.
        view.observe(&recorded(ada, 5, &revoked));
        view.observe(&recorded(ada, 3, &revoked));
        assert!(view.is_revoked(ada, &claims("a", 4)), "issued before");
        assert!(!view.is_revoked(ada, &claims("a", 5)), "issued after");
        assert!(!view.is_revoked(bob, &claims("b", 0)), "another user");

        let signed_out = UserEvent::SignedOut(SignedOut {
            user_id: bob,
            token_id: "jti-b".into(),
            expires_at: chrono::Utc::now() + chrono::Duration::minutes(5),
        });
        view.observe(&recorded(bob, 9, &signed_out));
        assert!(view.is_revoked(bob, &claims("jti-b", 9)));
        assert!(!view.is_revoked(bob, &claims("jti-c", 9)));
        // Long expired: nothing to remember.
        let stale = UserEvent::SignedOut(SignedOut {
            user_id: bob,
            token_id: "jti-old".into(),
            expires_at: chrono::Utc::now() - chrono::Duration::hours(1),
        });
        view.observe(&recorded(bob, 10, &stale));
        assert!(!view.is_revoked(bob, &claims("jti-old", 10)));
    }
}
