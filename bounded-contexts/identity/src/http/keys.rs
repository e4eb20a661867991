//! `/.well-known/jwks.json`: the public keys access tokens are verified with (at the root, where
//! JWKS clients look for it).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use http_kernel::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::IdentityApi;
use crate::application::Jwk;

/// A JSON Web Key Set.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Jwks {
    keys: Vec<Jwk>,
}

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    summary = "The public keys that verify access tokens (JWKS)",
    responses(
        (status = 200, description = "The Ed25519 public keys (`kty` OKP, `alg` EdDSA), by `kid`; cacheable for 5 minutes", body = Jwks,
            headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
    ),
)]
pub(super) async fn jwks(State(api): State<IdentityApi>) -> impl IntoResponse {
    let keys = Jwks {
        keys: vec![api.extra.issuer.key().jwk()],
    };
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(keys))
}
