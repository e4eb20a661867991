//! The committed JSON Schemas (`event-schemas/schemas/`) and the event catalogue
//! (`docs/events.md`) are what the code generates, and no published version changed in a way
//! its stored events or its consumers would not survive.
//!
//! `AGORA_WRITE_SCHEMAS=1 cargo test -p event-schemas --test schemas` writes them, refusing a
//! breaking change to a published version (add a new version with an upcaster instead).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use event_schemas::compat::breaking_changes;
use event_schemas::schemas::{self, EventSchema};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn writing() -> bool {
    std::env::var_os("AGORA_WRITE_SCHEMAS").is_some_and(|v| v == "1")
}

fn pretty(schema: &Value) -> String {
    serde_json::to_string_pretty(schema).unwrap() + "\n"
}

/// Every committed schema file, as `schemas/<type>/v<N>.json`.
fn committed() -> BTreeSet<String> {
    let dir = root().join("schemas");
    let mut out = BTreeSet::new();
    let Ok(types) = std::fs::read_dir(&dir) else {
        return out;
    };
    for t in types {
        let t = t.unwrap().path();
        for v in std::fs::read_dir(&t).unwrap() {
            let v = v.unwrap().path();
            let rel = v.strip_prefix(root()).unwrap();
            out.insert(rel.display().to_string());
        }
    }
    out
}

fn read(path: &Path) -> Option<Value> {
    std::fs::read_to_string(path)
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap())
}

#[test]
fn every_catalogued_type_has_a_schema_at_its_current_version() {
    let all = schemas::all();
    for (t, v) in schemas::catalogue() {
        assert!(
            all.iter().any(|s| s.event_type == t && s.version == v),
            "{t} v{v} has no schema"
        );
    }
    for s in &all {
        assert_eq!(s.schema["title"], s.event_type.as_str());
        assert_eq!(s.schema["x-schema-version"], s.version);
        assert_eq!(s.schema["type"], "object", "{}", s.event_type);
    }
}

#[test]
fn committed_schemas_are_what_the_code_generates() {
    let all = schemas::all();
    let mut problems = Vec::new();
    for s in &all {
        let path = root().join(s.file());
        let generated = pretty(&s.schema);
        match read(&path) {
            Some(published) => {
                let breaking = breaking_changes(&published, &s.schema);
                if !breaking.is_empty() {
                    problems.push(format!(
                        "{} v{} changed incompatibly (publish a new version with an upcaster \
                         instead): {breaking:?}",
                        s.event_type, s.version
                    ));
                } else if std::fs::read_to_string(&path).unwrap() != generated {
                    if writing() {
                        std::fs::write(&path, &generated).unwrap();
                    } else {
                        problems.push(format!(
                            "{} differs from the code (a compatible change: regenerate with \
                             AGORA_WRITE_SCHEMAS=1)",
                            s.file()
                        ));
                    }
                }
            }
            None if writing() => {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &generated).unwrap();
            }
            None => problems.push(format!("{} is not committed", s.file())),
        }
    }
    // A published version may not disappear: its stored events still need it.
    let generated: BTreeSet<String> = all.iter().map(EventSchema::file).collect();
    for gone in committed().difference(&generated) {
        problems.push(format!("{gone} is published but no longer generated"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_event_catalogue_is_what_the_code_generates() {
    let path = root().join("../docs/events.md");
    let generated = schemas::catalogue_markdown();
    if writing() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/events.md differs from the code: regenerate with AGORA_WRITE_SCHEMAS=1"
    );
    for s in schemas::all() {
        assert!(committed.contains(&format!("`{}` | {}", s.event_type, s.version)));
    }
}

#[test]
fn golden_fixtures_fit_their_schemas() {
    for context in std::fs::read_dir(root().join("fixtures")).unwrap() {
        for file in std::fs::read_dir(context.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let fixture: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let t = fixture["type"].as_str().unwrap();
            let v = u32::try_from(fixture["schema_version"].as_u64().unwrap()).unwrap();
            let schema = schemas::find(t, v)
                .unwrap_or_else(|| panic!("{}: no schema for {t} v{v}", path.display()))
                .schema;
            let data = fixture["data"].as_object().unwrap();
            let properties = schema["properties"].as_object().unwrap();
            for key in data.keys() {
                assert!(
                    properties.contains_key(key),
                    "{}: {key} not in the schema",
                    path.display()
                );
            }
            for key in schema["required"].as_array().into_iter().flatten() {
                let key = key.as_str().unwrap();
                assert!(
                    data.contains_key(key),
                    "{}: required {key} missing",
                    path.display()
                );
            }
        }
    }
}

mod broken {
    //! A test-only copy of a published event with the changes the check must refuse: the
    //! proof that a breaking change to a published version fails the build.

    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// `agora.merchandise.product_price_changed` v1 as published: `product_id`, `price`.
    #[derive(Serialize, Deserialize, JsonSchema)]
    pub struct PriceChangedRetyped {
        /// Retyped: was a UUID string.
        pub product_id: i64,
        pub price: shared_kernel::Money,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub struct PriceChangedWithoutPrice {
        pub product_id: shared_kernel::ids::ProductId,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub struct PriceChangedWithNewRequiredField {
        pub product_id: shared_kernel::ids::ProductId,
        pub price: shared_kernel::Money,
        pub reason: String,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub struct PriceChangedWithNewOptionalField {
        pub product_id: shared_kernel::ids::ProductId,
        pub price: shared_kernel::Money,
        #[serde(default)]
        pub reason: Option<String>,
    }
}

#[test]
fn a_breaking_change_to_a_published_version_is_refused() {
    let published = read(&root().join("schemas/agora.merchandise.product_price_changed/v1.json"))
        .expect("the published schema is committed");
    let check = |schema: schemars::Schema| breaking_changes(&published, &schema.to_value());
    let retyped = check(schemars::schema_for!(broken::PriceChangedRetyped));
    assert!(
        retyped
            .iter()
            .any(|c| c.starts_with("$.product_id: type changed")),
        "{retyped:?}"
    );
    let removed = check(schemars::schema_for!(broken::PriceChangedWithoutPrice));
    assert_eq!(removed, ["$.price: removed"]);
    let required = check(schemars::schema_for!(
        broken::PriceChangedWithNewRequiredField
    ));
    assert_eq!(required, ["$.reason: new required property"]);
    let optional = check(schemars::schema_for!(
        broken::PriceChangedWithNewOptionalField
    ));
    assert!(
        optional.is_empty(),
        "an optional field is compatible: {optional:?}"
    );
}
