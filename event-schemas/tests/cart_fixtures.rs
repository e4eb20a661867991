//! The cart events' golden fixtures (`fixtures/cart`, kept apart from the order's so each
//! stream kind's fixtures decode as that kind): every one decodes and round-trips, and every
//! current version has one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::Path;

use event_schemas::cart::{self, CartEvent};
use serde_json::Value;
use shared_kernel::DomainEvent;

fn fixtures() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("cart");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        out.push((
            path.display().to_string(),
            serde_json::from_str(&text).unwrap(),
        ));
    }
    out
}

#[test]
fn every_cart_fixture_decodes_to_the_current_shape_and_back() {
    for (path, fixture) in fixtures() {
        let t = fixture["type"].as_str().unwrap();
        let v = u32::try_from(fixture["schema_version"].as_u64().unwrap()).unwrap();
        let event = CartEvent::decode(t, v, fixture["data"].clone())
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(event.event_type(), t, "{path}");
        let again = CartEvent::decode(t, event.schema_version(), event.to_data().unwrap()).unwrap();
        assert_eq!(again, event, "{path}");
        assert_eq!(
            event.buyer_id().to_string(),
            "0192f3a0-7c1e-7b3a-9c2d-00000000c001"
        );
    }
}

#[test]
fn every_current_cart_version_has_a_fixture() {
    let all = fixtures();
    for (t, v) in cart::CATALOGUE {
        assert!(
            all.iter()
                .any(|(_, f)| f["type"] == *t && f["schema_version"] == *v),
            "no fixture for {t} v{v}"
        );
    }
    assert_eq!(cart::CATALOGUE.len(), cart::CART_EVENTS.len());
}
