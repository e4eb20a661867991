//! Who is calling: verified access tokens.
//!
//! A [`TokenVerifier`] holds the public keys that may sign access tokens (by `kid`) and accepts
//! only EdDSA: `alg: none`, HMAC or any other algorithm, an unknown `kid`, a bad signature, a
//! wrong issuer or audience and an expired token are all refused. The [`authenticate`]
//! middleware verifies the token of every request once (from `Authorization: Bearer` or the
//! [`SESSION_COOKIE`]) and leaves the outcome in the request's extensions, where the [`Caller`]
//! extractor, and `Option<Caller>` for routes anonymous callers may also use, pick it up.
//! Routes in another process verify the same tokens with the keys from
//! `/.well-known/jwks.json`: no secret is shared.
//!
//! A signature only proves what was true when the token was issued. Roles revoked and sessions
//! ended since then are the job of a [`Revocations`] port the verifier asks on every request:
//! the identity context implements it as an in-memory view of its events (every process runs
//! it), so the check costs a hash-map lookup and no query.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::UserId;

use crate::ApiError;

/// The cookie login can set: the access token, HTTP-only, SameSite=Strict.
pub const SESSION_COOKIE: &str = "agora_session";
/// The `iss` of every access token.
pub const ISSUER: &str = "agora";
/// The `aud` of every access token.
pub const AUDIENCE: &str = "agora-api";
/// Clock skew tolerated between the issuer and a verifier, in seconds: a token is accepted
/// until `exp` + this (README, "Configuration").
pub const LEEWAY_SECS: u64 = 2;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// Unique per token: what logout revokes, and what audit trails name.
    pub jti: String,
    /// `admin`, `analyst`, `moderator:<community>`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The version of the user's account (its `user-<id>` stream) the token was issued from:
    /// a token issued before the account's latest revocation (a role taken back, every
    /// session ended) is refused. `0` in tokens issued before the claim existed.
    #[serde(rename = "gen", default)]
    pub generation: u64,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    /// As in [`AccessClaims::roles`], at the time the token was issued; a token whose roles
    /// were reduced since is refused (see [`Revocations`]), so these are still held.
    pub roles: Vec<String>,
    /// The token's `jti` (what logout revokes).
    pub token_id: String,
    /// The token's `exp`, Unix seconds (how long a revocation of it must be remembered).
    pub expires_at: i64,
}

impl Caller {
    #[must_use]
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.has_role("admin")
    }

    /// Moderator of `community` (admins moderate everywhere).
    #[must_use]
    pub fn moderates(&self, community: &str) -> bool {
        self.is_admin()
            || self
                .roles
                .iter()
                .any(|r| r.strip_prefix("moderator:") == Some(community))
    }
}

/// Why a token was refused. Never shown to the client (it gets a plain 401), only logged at
/// debug level: telling an attacker which check failed helps them.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token header: {0}")]
    Header(#[source] jsonwebtoken::errors::Error),
    #[error("token algorithm {0:?} is not accepted")]
    Algorithm(Algorithm),
    #[error("token has no kid")]
    NoKeyId,
    #[error("unknown key id {0:?}")]
    UnknownKey(String),
    #[error("invalid token: {0}")]
    Invalid(#[source] jsonwebtoken::errors::Error),
    #[error("token subject is not a user id")]
    Subject,
    #[error("token was revoked (signed out, or issued before the account's latest revocation)")]
    Revoked,
}

impl TokenError {
    /// What a client is told of the refusal (`error_description` of the `WWW-Authenticate`
    /// challenge): expired or revoked, which the client can act on, else only "not valid" (how
    /// a forged token failed is not the client's business).
    #[must_use]
    pub fn public_reason(&self) -> &'static str {
        match self {
            Self::Invalid(e)
                if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) =>
            {
                "the access token expired"
            }
            Self::Revoked => "the access token was revoked",
            _ => "the access token is not valid",
        }
    }
}

/// The port a [`TokenVerifier`] asks whether a well-signed, unexpired token was revoked since
/// it was issued. Called on every authenticated request: implementations answer from memory
/// (no I/O, no await) and keep that memory current on their own.
pub trait Revocations: Send + Sync + std::fmt::Debug {
    /// Whether `claims` (of a token naming `user`) may no longer be used: its `jti` was
    /// signed out, or its [`AccessClaims::generation`] is older than the user's latest
    /// revocation.
    fn is_revoked(&self, user: UserId, claims: &AccessClaims) -> bool;
}

/// Verifies access tokens against a set of Ed25519 public keys, by `kid`, and, when given one,
/// against a [`Revocations`] view.
#[derive(Clone)]
pub struct TokenVerifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
    revocations: Option<Arc<dyn Revocations>>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("revocations", &self.revocations.is_some())
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// A verifier that trusts the Ed25519 public keys given as `(kid, raw 32-byte key)`.
    #[must_use]
    pub fn new(keys: impl IntoIterator<Item = (String, [u8; 32])>) -> Self {
        let keys = keys
            .into_iter()
            .map(|(kid, public)| (kid, DecodingKey::from_ed_der(&public)))
            .collect();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.leeway = LEEWAY_SECS;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Self {
            keys,
            validation,
            revocations: None,
        }
    }

    /// The same verifier, also refusing tokens `revocations` says were revoked.
    #[must_use]
    pub fn with_revocations(self, revocations: Arc<dyn Revocations>) -> Self {
        Self {
            revocations: Some(revocations),
            ..self
        }
    }

    /// The caller a token names.
    ///
    /// # Errors
    /// Anything but a well-formed, unexpired EdDSA token signed by one of the keys, and a
    /// token that was revoked since.
    pub fn verify(&self, token: &str) -> Result<Caller, TokenError> {
        // `alg: none` and unknown algorithms fail here: they are not `Algorithm` values.
        let header = jsonwebtoken::decode_header(token).map_err(TokenError::Header)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Algorithm(header.alg));
        }
        let kid = header.kid.ok_or(TokenError::NoKeyId)?;
        let key = self
            .keys
            .get(&kid)
            .ok_or_else(|| TokenError::UnknownKey(kid.clone()))?;
        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map_err(TokenError::Invalid)?;
        let claims = data.claims;
        let user_id = claims
            .sub
            .parse::<UserId>()
            .map_err(|_| TokenError::Subject)?;
        if self
            .revocations
            .as_ref()
            .is_some_and(|r| r.is_revoked(user_id, &claims))
        {
            return Err(TokenError::Revoked);
        }
        Ok(Caller {
            user_id,
            roles: claims.roles,
            token_id: claims.jti,
            expires_at: claims.exp,
        })
    }
}

/// What [`authenticate`] found out about a request.
#[derive(Debug, Clone)]
pub enum Authentication {
    /// No credentials were sent.
    Anonymous,
    Verified(Caller),
    /// Credentials were sent and refused, for this (public) reason.
    Refused(&'static str),
}

/// The token a request carries: the `Authorization: Bearer` header wins over the cookie.
fn token_of(parts: &axum::http::HeaderMap) -> Option<String> {
    if let Some(value) = parts.get(AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    parts
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
}

/// Middleware: verifies the request's credentials once and records the outcome.
pub async fn authenticate(
    State(verifier): State<Arc<TokenVerifier>>,
    mut request: Request,
    next: Next,
) -> Response {
    let outcome = match token_of(request.headers()) {
        None if request.headers().contains_key(AUTHORIZATION) => {
            Authentication::Refused("the Authorization header is not `Bearer <token>`")
        }
        None => Authentication::Anonymous,
        Some(token) => match verifier.verify(&token) {
            Ok(caller) => Authentication::Verified(caller),
            Err(e) => {
                tracing::debug!(error = %e, "token refused");
                Authentication::Refused(e.public_reason())
            }
        },
    };
    request.extensions_mut().insert(outcome);
    next.run(request).await
}

fn authentication(parts: &Parts) -> Authentication {
    parts
        .extensions
        .get::<Authentication>()
        .cloned()
        .unwrap_or_else(|| {
            // A router without the layer must fail closed, and loudly.
            tracing::error!("no authentication layer in front of a route that needs a caller");
            Authentication::Refused("the token cannot be checked")
        })
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match authentication(parts) {
            Authentication::Verified(caller) => Ok(caller),
            Authentication::Anonymous => Err(ApiError::Unauthenticated(None)),
            Authentication::Refused(why) => Err(ApiError::Unauthenticated(Some(why.to_owned()))),
        }
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Caller {
    type Rejection = ApiError;

    /// No credentials: an anonymous caller. Refused credentials are still an error, so a
    /// client with an expired token learns it must refresh rather than seeing less.
    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match authentication(parts) {
            Authentication::Verified(caller) => Ok(Some(caller)),
            Authentication::Anonymous => Ok(None),
            Authentication::Refused(why) => Err(ApiError::Unauthenticated(Some(why.to_owned()))),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn bearer_wins_over_cookie_and_cookies_are_parsed() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=1; agora_session=tok2; b=3".parse().unwrap());
        assert_eq!(token_of(&h).as_deref(), Some("tok2"));
        h.insert(AUTHORIZATION, "Bearer tok1".parse().unwrap());
        assert_eq!(token_of(&h).as_deref(), Some("tok1"));
        h.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(token_of(&h), None);
    }

    #[test]
    fn moderators_are_scoped() {
        let c = Caller {
            user_id: UserId::new(),
            roles: vec!["moderator:chess".into()],
            token_id: "t".into(),
            expires_at: 0,
        };
        assert!(c.moderates("chess"));
        assert!(!c.moderates("go"));
        assert!(!c.is_admin());
    }
}
