//! The OpenAPI description of the identity routes ([`openapi`]), and the schemas of the bodies
//! the routes build as JSON (documentation only: nothing constructs them).
#![allow(dead_code)]

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub(super) use http_kernel::Problem;
pub(super) use http_kernel::openapi::IdempotencyKeyHeader;

use super::{accounts, sessions};

/// The identity context's part of the API document.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    IdentityDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    paths(
        accounts::jwks,
        accounts::register,
        sessions::login,
        sessions::refresh,
        sessions::logout,
        accounts::me,
        accounts::update_profile,
        accounts::change_password,
        accounts::grant_role,
        accounts::revoke_role,
    ),
    components(schemas(
        accounts::Register,
        accounts::UpdateProfile,
        accounts::ChangePassword,
        sessions::Login,
        sessions::Refresh,
        sessions::Logout,
        UserRef,
        Profile,
        Tokens,
        Jwk,
        Jwks,
        Problem,
    )),
    tags((
        name = "identity",
        description = "Accounts, sessions (EdDSA JWT access tokens, rotating refresh tokens, \
                       an optional session cookie), profiles and roles, and the public keys \
                       that verify tokens."
    ))
)]
struct IdentityDoc;

/// A user's id.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({ "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab" }))]
pub(super) struct UserRef {
    #[schema(format = Uuid)]
    id: String,
}

/// The caller's profile.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "email": "ada@example.org",
    "display_name": "Ada", "roles": ["moderator:chess"]
}))]
pub(super) struct Profile {
    #[schema(format = Uuid)]
    id: String,
    #[schema(format = Email)]
    email: String,
    display_name: String,
    /// `admin`, `analyst`, `moderator:<community>`.
    roles: Vec<String>,
}

/// The tokens of a session.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Tokens {
    /// An EdDSA JWT: send it as `Authorization: Bearer <token>`.
    access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    expires_in: u64,
    /// Exchanges for new tokens at `POST /api/v1/sessions/refresh` (once).
    refresh_token: String,
}

/// An Ed25519 public key (RFC 8037).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Jwk {
    /// `OKP`.
    kty: String,
    /// `Ed25519`.
    crv: String,
    /// `EdDSA`.
    alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    key_use: String,
    /// The key id access tokens name in their header.
    kid: String,
    /// The public key, base64url.
    x: String,
}

/// A JSON Web Key Set.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Jwks {
    keys: Vec<Jwk>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    /// Every route of `router`, as `METHOD path`.
    const ROUTES: &[&str] = &[
        "GET /.well-known/jwks.json",
        "POST /api/v1/users",
        "PUT /api/v1/users/{id}/roles/{role}",
        "DELETE /api/v1/users/{id}/roles/{role}",
        "POST /api/v1/sessions",
        "DELETE /api/v1/sessions",
        "POST /api/v1/sessions/refresh",
        "GET /api/v1/me",
        "PATCH /api/v1/me",
        "POST /api/v1/me/password",
    ];

    #[test]
    fn every_route_is_described_with_its_errors_as_problems() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let mut described = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let route = format!("{} {path}", method.to_uppercase());
                assert_eq!(op["tags"], serde_json::json!(["identity"]), "{route}");
                for (status, response) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        let schema = &response["content"]["application/problem+json"]["schema"];
                        assert_eq!(
                            schema["$ref"], "#/components/schemas/Problem",
                            "{route} {status}"
                        );
                    }
                }
                described.insert(route);
            }
        }
        let routes: BTreeSet<String> = ROUTES.iter().map(|r| (*r).to_owned()).collect();
        assert_eq!(described, routes);
    }
}
