//! JSON request bodies whose rejections are problem+json: malformed JSON is 400, JSON of the
//! wrong shape or with refused text 422, a body over the limit 413, a body that is not JSON 415.
//!
//! Every body is parsed into a [`serde_json::Value`] first ([`strict`]: a JSON object, each key
//! once at every depth) and walked before it is typed, so these rules hold for every field of
//! every route without each route repeating them:
//! - the body is one JSON object (an array, a string or a number is refused, even where its
//!   elements would fill a struct's fields in order, as serde would otherwise allow);
//! - no object names a key twice (RFC 8259 leaves the meaning of a repeated name open; taking
//!   the last, as serde does, lets two readers of one body disagree);
//! - no string (value or object key) holds a control character other than tab, line feed and
//!   carriage return (NUL and the like fail in the stores, and never belong in text);
//! - no string is longer than [`MAX_STRING_CHARS`] characters, a backstop above every field's
//!   own documented limit (which the domain checks).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ApiError;

mod strict;

/// The longest string any JSON body may hold, in characters (Unicode scalar values). The
/// longest field a route documents is a post body (40,000 characters); this is above it, so it
/// only stops what no field allows.
pub const MAX_STRING_CHARS: usize = 50_000;

/// A JSON body, typed as `T` (the body must be sent as `application/json` or `...+json`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// A JSON body that may be absent: an empty body (or only whitespace) is `T::default()`;
/// anything else must be JSON, checked as [`Json`] checks it. For routes whose body is
/// optional (`DELETE /sessions`, joining a community, moderation without a reason).
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(not_json());
        }
        let bytes = body_bytes(req, state).await?;
        parse(&bytes).map(Self)
    }
}

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers());
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        if !json {
            return Err(not_json());
        }
        parse(&bytes).map(Self)
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    #[allow(clippy::disallowed_types)] // serialising a response: axum's is the one to use
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn not_json() -> ApiError {
    ApiError::UnsupportedMediaType(
        "the request body must be JSON, sent with `Content-Type: application/json`".into(),
    )
}

/// `application/json`, or any `application/...+json`, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The whole body, within the route's body limit (`DefaultBodyLimit`).
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::MalformedJson(rejection.body_text())
        }
    })
}

/// Parses, walks ([`check_value`]) and types a JSON body.
///
/// # Errors
/// [`ApiError::MalformedJson`] for text that is not JSON; [`ApiError::Validation`] for a
/// refused string or JSON of another shape than `T` (the message names the field's path).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = strict::parse(bytes)?;
    check_value(&value)?;
    if !value.is_object() {
        return Err(ApiError::Validation(format!(
            "the body must be a JSON object, not {}",
            strict::kind_of(&value)
        )));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = strict::plain_message(&e.into_inner().to_string());
        if path == "." {
            ApiError::Validation(inner)
        } else {
            ApiError::Validation(format!("{path}: {inner}"))
        }
    })
}

/// Checks every string in `value` (object keys too) against the rules of this module.
///
/// # Errors
/// [`ApiError::Validation`] naming the first refused string's path.
pub fn check_value(value: &Value) -> Result<(), ApiError> {
    walk(value, &mut Vec::new())
}

fn walk(value: &Value, path: &mut Vec<String>) -> Result<(), ApiError> {
    match value {
        Value::String(s) => check_string(s, path),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            path.push(format!("[{i}]"));
            let checked = walk(item, path);
            path.pop();
            checked
        }),
        Value::Object(fields) => fields.iter().try_for_each(|(key, item)| {
            path.push(key.clone());
            let checked = check_string(key, path).and_then(|()| walk(item, path));
            path.pop();
            checked
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

fn check_string(s: &str, path: &[String]) -> Result<(), ApiError> {
    let at = || {
        let joined = path.iter().fold(String::new(), |mut all, p| {
            if !all.is_empty() && !p.starts_with('[') {
                all.push('.');
            }
            all.push_str(p);
            all
        });
        if joined.is_empty() {
            "the body".to_owned()
        } else {
            joined
        }
    };
    if let Some(c) = s.chars().find(|c| is_refused_control(*c)) {
        return Err(ApiError::Validation(format!(
            "{}: control character U+{:04X} is not allowed in text",
            at(),
            u32::from(c)
        )));
    }
    // Counting stops at the limit: a huge string costs no more than a long one.
    if s.chars().nth(MAX_STRING_CHARS).is_some() {
        return Err(ApiError::Validation(format!(
            "{}: text longer than {MAX_STRING_CHARS} characters is not accepted",
            at()
        )));
    }
    Ok(())
}

/// A control character (Unicode category Cc) other than tab, line feed and carriage return.
#[must_use]
pub fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Post {
        #[allow(dead_code)]
        title: String,
        #[allow(dead_code)]
        tags: Vec<String>,
    }

    fn refused(body: &str) -> String {
        match parse::<Value>(body.as_bytes()) {
            Err(ApiError::Validation(m)) => m,
            other => panic!("{body} not refused: {other:?}"),
        }
    }

    #[test]
    fn control_characters_are_refused_wherever_they_are() {
        assert!(refused(r#"{"title":"a\u0000b"}"#).starts_with("title: control character U+0000"));
        assert!(refused(r#"{"a":{"b":["ok","x\u001b"]}}"#).starts_with("a.b[1]:"));
        assert!(refused(r#"{"k\u0007":1}"#).contains("U+0007"));
        assert!(refused(r#""\u007f""#).starts_with("the body:"));
        assert!(refused(r#"{"t":"\u0085"}"#).contains("U+0085"));
        parse::<Value>(br#"{"body":"line one\nline two\r\n\tindented"}"#).unwrap();
    }

    #[test]
    fn strings_over_the_backstop_are_refused() {
        let long = format!(r#"{{"v":"{}"}}"#, "é".repeat(MAX_STRING_CHARS + 1));
        assert!(refused(&long).contains("longer than"));
        let fits = format!(r#"{{"v":"{}"}}"#, "é".repeat(MAX_STRING_CHARS));
        parse::<Value>(fits.as_bytes()).unwrap();
    }

    #[test]
    fn shape_errors_name_the_field() {
        let Err(ApiError::Validation(m)) = parse::<Post>(br#"{"title":"t","tags":[1]}"#) else {
            panic!("accepted")
        };
        assert!(m.starts_with("tags[0]:"), "{m}");
        assert!(matches!(
            parse::<Post>(b"{\"title\":"),
            Err(ApiError::MalformedJson(_))
        ));
    }

    #[test]
    fn a_body_is_one_object_with_each_key_once() {
        #[derive(Debug, Deserialize)]
        struct Login {
            #[allow(dead_code)]
            email: String,
            #[allow(dead_code)]
            password: String,
        }
        for (body, says) in [
            (
                r#"["a@b.org","secret"]"#,
                "the body must be a JSON object, not an array",
            ),
            ("[]", "the body must be a JSON object, not an array"),
            (
                r#""a@b.org""#,
                "the body must be a JSON object, not a string",
            ),
            ("42", "the body must be a JSON object, not a number"),
            ("null", "the body must be a JSON object, not null"),
            (
                r#"{"email":"a@b.org","email":"c@d.org","password":"p"}"#,
                "email: the key appears twice",
            ),
            (r#"{"a":{"b":1,"b":2}}"#, "a.b: the key appears twice"),
        ] {
            let Err(ApiError::Validation(m)) = parse::<Login>(body.as_bytes()) else {
                panic!("{body} accepted");
            };
            assert_eq!(m, says, "{body}");
        }
        let Err(ApiError::Validation(m)) = parse::<Login>(br#"{"email":{"x":1},"password":"p"}"#)
        else {
            panic!("accepted")
        };
        assert!(!m.contains("String") && !m.contains("Login"), "{m}");
    }

    #[test]
    fn messages_name_json_not_rust_types() {
        #[derive(Debug, Deserialize)]
        struct Money {
            #[allow(dead_code)]
            amount_minor: i64,
        }
        #[derive(Debug, Deserialize)]
        struct Product {
            #[allow(dead_code)]
            price: Money,
        }
        let Err(ApiError::Validation(m)) = parse::<Product>(br#"{"price":5}"#) else {
            panic!("accepted")
        };
        assert_eq!(
            m,
            "price: invalid type: integer `5`, expected a JSON object"
        );
    }

    #[test]
    fn json_content_types() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            is_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
