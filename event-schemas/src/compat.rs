//! Backward compatibility of a published event schema: what may change in a version once
//! events of it are stored, and what needs a new version with an upcaster instead.
//!
//! A reader of version N must keep reading every stored event of version N, and a consumer
//! written against the published schema must keep finding what it relies on. So, comparing the
//! published schema (`old`) with the one the code generates now (`new`), each of these is a
//! breaking change, at any depth (through `$ref`s, array items and `oneOf`/`anyOf` members):
//!
//! - a property that is removed;
//! - a property whose JSON type changes (e.g. integer to string, object to array);
//! - a property that becomes required (a new required field, or an optional one made
//!   required): events stored without it no longer decode;
//! - an enumerated or constant value that is no longer allowed.
//!
//! Adding an optional property, relaxing a requirement, widening a type (`integer` to
//! `["integer", "null"]`) and editing descriptions are compatible.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// The breaking changes from `old` to `new`, each as `path: what changed`; empty when `new`
/// is a compatible evolution of `old`.
#[must_use]
pub fn breaking_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let cx = Cx {
        old_defs: defs(old),
        new_defs: defs(new),
    };
    cx.compare("$", old, new, &mut found, 0);
    found
}

fn defs(schema: &Value) -> Map<String, Value> {
    schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

struct Cx {
    old_defs: Map<String, Value>,
    new_defs: Map<String, Value>,
}

/// Recursion bound: schemas of events are shallow; a cycle through `$ref`s stops here.
const MAX_DEPTH: usize = 32;

impl Cx {
    fn compare(&self, path: &str, old: &Value, new: &Value, found: &mut Vec<String>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let old = resolve(old, &self.old_defs);
        let new = resolve(new, &self.new_defs);
        let (old_types, new_types) = (types(old), types(new));
        if !old_types.is_empty() && !new_types.is_empty() && !old_types.is_subset(&new_types) {
            found.push(format!(
                "{path}: type changed from {old_types:?} to {new_types:?}"
            ));
            return;
        }
        for value in allowed(old).difference(&allowed(new)) {
            if !allowed(new).is_empty() {
                found.push(format!("{path}: value {value} is no longer allowed"));
            }
        }
        let old_props = properties(old);
        let new_props = properties(new);
        for (name, old_prop) in &old_props {
            match new_props.get(name) {
                None => found.push(format!("{path}.{name}: removed")),
                Some(new_prop) => {
                    self.compare(
                        &format!("{path}.{name}"),
                        old_prop,
                        new_prop,
                        found,
                        depth + 1,
                    );
                }
            }
        }
        let old_required = required(old);
        for name in required(new).difference(&old_required) {
            let what = if old_props.contains_key(name) {
                "became required"
            } else {
                "new required property"
            };
            found.push(format!("{path}.{name}: {what}"));
        }
        if let (Some(o), Some(n)) = (old.get("items"), new.get("items")) {
            self.compare(&format!("{path}[]"), o, n, found, depth + 1);
        }
        for key in ["additionalProperties"] {
            if let (Some(o @ Value::Object(_)), Some(n @ Value::Object(_))) =
                (old.get(key), new.get(key))
            {
                self.compare(&format!("{path}{{}}"), o, n, found, depth + 1);
            }
        }
        for key in ["oneOf", "anyOf"] {
            let (Some(o), Some(n)) = (
                old.get(key).and_then(Value::as_array),
                new.get(key).and_then(Value::as_array),
            ) else {
                continue;
            };
            // Members are matched by position: schemars writes them in declaration order.
            for (i, (om, nm)) in o.iter().zip(n).enumerate() {
                self.compare(&format!("{path}<{key} {i}>"), om, nm, found, depth + 1);
            }
            if n.len() < o.len() {
                found.push(format!("{path}: {key} lost members"));
            }
        }
    }
}

fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs.get(name))
        .unwrap_or(schema)
}

fn types(schema: &Value) -> BTreeSet<String> {
    match schema.get("type") {
        Some(Value::String(t)) => [t.clone()].into(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(Into::into)
            .collect(),
        _ => BTreeSet::new(),
    }
}

fn allowed(schema: &Value) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|vs| vs.iter().map(Value::to_string).collect())
        .unwrap_or_default();
    if let Some(c) = schema.get("const") {
        out.insert(c.to_string());
    }
    out
}

fn properties(schema: &Value) -> Map<String, Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(Into::into).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(props: Value, required: &[&str]) -> Value {
        json!({ "type": "object", "properties": props, "required": required })
    }

    #[test]
    fn additions_of_optional_fields_are_compatible() {
        let old = object(json!({ "a": { "type": "string" } }), &["a"]);
        let new = object(
            json!({ "a": { "type": "string" }, "b": { "type": ["integer", "null"] } }),
            &["a"],
        );
        assert!(breaking_changes(&old, &new).is_empty());
    }

    #[test]
    fn removed_retyped_and_newly_required_fields_break() {
        let old = object(
            json!({ "a": { "type": "string" }, "b": { "type": "integer" }, "c": { "type": "string" } }),
            &["a"],
        );
        let new = object(
            json!({ "b": { "type": "string" }, "c": { "type": "string" }, "d": { "type": "string" } }),
            &["c", "d"],
        );
        let found = breaking_changes(&old, &new);
        assert_eq!(
            found,
            [
                "$.a: removed",
                "$.b: type changed from {\"integer\"} to {\"string\"}",
                "$.c: became required",
                "$.d: new required property",
            ],
            "{found:#?}"
        );
    }

    #[test]
    fn nested_definitions_are_compared_through_refs() {
        let old = json!({ "type": "object", "properties": { "m": { "$ref": "#/$defs/M" } },
            "$defs": { "M": object(json!({ "x": { "type": "integer" } }), &["x"]) } });
        let new = json!({ "type": "object", "properties": { "m": { "$ref": "#/$defs/M" } },
            "$defs": { "M": object(json!({}), &[]) } });
        assert_eq!(breaking_changes(&old, &new), ["$.m.x: removed"]);
    }
}
