//! Path and query extractors whose rejections are problem+json, like [`crate::Json`]'s.
//!
//! axum's own `Path` and `Query` answer `text/plain`; every route uses these instead (clippy's
//! `disallowed-types` in `clippy.toml` keeps it so). Control characters in the path or query
//! never reach them: [`crate::edge::refuse_control_characters`] refuses them first.

use axum::extract::FromRequestParts;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// The route's path parameters, typed as `T` (`String`, `(String, String)`, a struct...).
///
/// A parameter that does not parse as `T` names nothing: 404 `not_found`, as an unknown id
/// does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

/// The query string, typed as `T`: 422 `validation_failed` when a parameter has the wrong
/// type (`?limit=abc`) or a required one is missing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[allow(clippy::disallowed_types)] // the one place that wraps axum's
        let path = axum::extract::Path::<T>::from_request_parts(parts, state).await;
        match path {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                tracing::debug!(error = %e.body_text(), "path parameter does not parse");
                Err(ApiError::NotFound("resource".into()))
            }
            // No parameters where the route declared some: a wiring fault, not the client's.
            Err(other) => Err(ApiError::Internal(other.body_text().into())),
        }
    }
}

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        #[allow(clippy::disallowed_types)] // the one place that wraps axum's
        let query = axum::extract::Query::<T>::try_from_uri(&parts.uri);
        query
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|e| ApiError::Validation(query_message(&e)))
    }
}

/// axum's message without its prefix: `limit: invalid digit found in string`.
fn query_message(rejection: &QueryRejection) -> String {
    let text = rejection.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    format!("the query string is not valid: {detail}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use axum::http::Request;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Page {
        limit: Option<i64>,
    }

    async fn query(uri: &str) -> Result<Query<Page>, ApiError> {
        let (mut parts, ()) = Request::get(uri).body(()).unwrap().into_parts();
        <Query<Page> as FromRequestParts<()>>::from_request_parts(&mut parts, &()).await
    }

    #[tokio::test]
    async fn a_query_of_the_wrong_type_is_a_validation_problem() {
        assert_eq!(query("/x?limit=5").await.unwrap().0.limit, Some(5));
        assert_eq!(query("/x").await.unwrap().0.limit, None);
        let Err(ApiError::Validation(m)) = query("/x?limit=abc").await else {
            panic!("accepted")
        };
        assert!(m.contains("limit"), "{m}");
    }
}
