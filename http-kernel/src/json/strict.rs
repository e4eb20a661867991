//! Parsing a body into a [`Value`] as strictly as the API's contract reads it: a repeated key
//! is an error, not "the last one wins"; and serde's messages told in JSON's terms rather than
//! in the names of our Rust types.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::ApiError;

/// Parses `bytes` as one JSON value, refusing a key repeated in any object.
///
/// # Errors
/// [`ApiError::MalformedJson`] for text that is not JSON; [`ApiError::Validation`] naming the
/// path of a repeated key.
pub(super) fn parse(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = de::DeserializeSeed::deserialize(
        Strict {
            at: &mut Vec::new(),
        },
        &mut deserializer,
    )
    .and_then(|value| deserializer.end().map(|()| value));
    match parsed {
        Ok(value) => Ok(value),
        Err(e) => {
            let text = e.to_string();
            match text.strip_prefix(DUPLICATE) {
                Some(rest) => Err(ApiError::Validation(
                    rest.split(" at line ").next().unwrap_or(rest).to_owned(),
                )),
                None => Err(ApiError::MalformedJson(format!(
                    "the body is not valid JSON: {e}"
                ))),
            }
        }
    }
}

/// What a value is, in JSON's words.
pub(super) const fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde's message with the Rust names of what was expected replaced by JSON's: `expected
/// struct Money` becomes `expected a JSON object`, `expected a sequence` `expected an array`.
pub(super) fn plain_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("expected ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "expected ".len()..];
        let (said, skip) = if let Some(tail) = after.strip_prefix("struct ") {
            (
                "expected a JSON object",
                "struct ".len() + rust_name_len(tail),
            )
        } else if let Some(tail) = after.strip_prefix("tuple struct ") {
            (
                "expected an array",
                "tuple struct ".len() + rust_name_len(tail),
            )
        } else if let Some(tail) = after.strip_prefix("enum ") {
            (
                "expected one of its values",
                "enum ".len() + rust_name_len(tail),
            )
        } else if after.starts_with("a sequence") {
            ("expected an array", "a sequence".len())
        } else if after.starts_with("a map") {
            ("expected a JSON object", "a map".len())
        } else {
            ("expected ", 0)
        };
        out.push_str(said);
        rest = &after[skip..];
        // `with N elements` belongs to the Rust shape, not to the client's.
        if let Some(tail) = rest.strip_prefix(" with ")
            && let Some(end) = tail.find(" element")
            && tail[..end].chars().all(|c| c.is_ascii_digit())
        {
            let plural = tail[end..].starts_with(" elements");
            rest = &tail[end
                + if plural {
                    " elements".len()
                } else {
                    " element".len()
                }..];
        }
    }
    out.push_str(rest);
    out
}

/// The length of the Rust type name at the start of `text` (identifier characters).
fn rust_name_len(text: &str) -> usize {
    text.find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

/// The message prefix of a repeated key, told apart from JSON syntax errors.
const DUPLICATE: &str = "duplicate key: ";

/// A seed that builds a [`Value`], keeping the path to report a repeated key.
struct Strict<'a> {
    at: &'a mut Vec<String>,
}

impl<'de> de::DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            self.at.push(format!("[{}]", items.len()));
            let item = seq.next_element_seed(Strict { at: self.at });
            self.at.pop();
            match item? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.at.push(key.clone());
            if fields.contains_key(&key) {
                let path = path_text(self.at);
                return Err(de::Error::custom(format!(
                    "{DUPLICATE}{path}: the key appears twice"
                )));
            }
            let value = map.next_value_seed(Strict { at: self.at });
            self.at.pop();
            fields.insert(key, value?);
        }
        Ok(Value::Object(fields))
    }
}

fn path_text(path: &[String]) -> String {
    path.iter().fold(String::new(), |mut all, p| {
        if !all.is_empty() && !p.starts_with('[') {
            all.push('.');
        }
        all.push_str(p);
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names_become_json_words() {
        assert_eq!(
            plain_message("invalid length 0, expected struct CreateProduct with 8 elements"),
            "invalid length 0, expected a JSON object"
        );
        assert_eq!(
            plain_message("invalid type: string \"x\", expected a sequence"),
            "invalid type: string \"x\", expected an array"
        );
        assert_eq!(
            plain_message("unknown variant `x`, expected one of `a`, `b`"),
            "unknown variant `x`, expected one of `a`, `b`"
        );
        assert_eq!(
            plain_message("invalid type: null, expected enum Sort"),
            "invalid type: null, expected one of its values"
        );
        assert_eq!(
            plain_message("invalid type: integer `5`, expected u32"),
            "invalid type: integer `5`, expected u32"
        );
    }
}
