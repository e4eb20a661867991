//! Every fixture of every version of every event must still decode, and every event type in a
//! catalogue must have a fixture of its current version: the contract analysts rely on.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::path::Path;

use event_schemas::communities::{self, AnyCommunitiesEvent};
use event_schemas::identity::{self, EmailClaimEvent, UserEvent};
use event_schemas::inventory::{self, ReservationEvent, StockEvent};
use event_schemas::merchandise::{self, ProductEvent, SkuClaimEvent};
use event_schemas::ordering::{self, OrderEvent};
use event_schemas::payments::{self, PaymentEvent, SellerLedgerEvent, WalletEvent};
use event_schemas::podcasts::{self, DownloadEvent, EpisodeEvent, ShowEvent, SubscriptionEvent};
use serde_json::Value;
use shared_kernel::DomainEvent;

fn fixtures(context: &str) -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(context);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        out.push((
            path.display().to_string(),
            serde_json::from_str(&text).unwrap(),
        ));
    }
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

fn parts(fixture: &Value) -> (&str, u32, Value) {
    (
        fixture["type"].as_str().unwrap(),
        u32::try_from(fixture["schema_version"].as_u64().unwrap()).unwrap(),
        fixture["data"].clone(),
    )
}

/// Decodes a fixture as `E`, and checks that re-encoding yields the current version, which
/// decodes to the same value; false when it is not an `E` at all.
fn round_trip<E: DomainEvent + PartialEq + std::fmt::Debug>(
    path: &str,
    t: &str,
    v: u32,
    data: Value,
) -> bool {
    let Ok(event) = E::decode(t, v, data) else {
        return false;
    };
    assert_eq!(event.event_type(), t, "{path}");
    let again = E::decode(t, event.schema_version(), event.to_data().unwrap()).unwrap();
    assert_eq!(again, event, "{path}");
    true
}

#[test]
fn every_merchandise_fixture_decodes_to_the_current_shape() {
    // A merchandise event belongs to exactly one of the two stream kinds.
    for (path, fixture) in fixtures("merchandise") {
        let (t, v, data) = parts(&fixture);
        let product = round_trip::<ProductEvent>(&path, t, v, data.clone());
        let claim = round_trip::<SkuClaimEvent>(&path, t, v, data);
        assert!(
            product ^ claim,
            "{path}: decodes as neither or both stream kinds"
        );
    }
}

#[test]
fn every_identity_fixture_decodes_to_the_current_shape() {
    // An identity event belongs to exactly one of the two stream kinds.
    for (path, fixture) in fixtures("identity") {
        let (t, v, data) = parts(&fixture);
        let user = round_trip::<UserEvent>(&path, t, v, data.clone());
        let claim = round_trip::<EmailClaimEvent>(&path, t, v, data);
        assert!(
            user ^ claim,
            "{path}: decodes as neither or both stream kinds"
        );
    }
}

#[test]
fn every_communities_fixture_decodes_to_the_current_shape() {
    for (path, fixture) in fixtures("communities") {
        let (t, v, data) = parts(&fixture);
        let event =
            AnyCommunitiesEvent::decode(t, v, data).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (again_type, again_data) = match &event {
            AnyCommunitiesEvent::Community(e) => (e.event_type(), e.to_data().unwrap()),
            AnyCommunitiesEvent::Membership(e) => (e.event_type(), e.to_data().unwrap()),
            AnyCommunitiesEvent::Post(e) => (e.event_type(), e.to_data().unwrap()),
            AnyCommunitiesEvent::Comment(e) => (e.event_type(), e.to_data().unwrap()),
            AnyCommunitiesEvent::Vote(e) => (e.event_type(), e.to_data().unwrap()),
            AnyCommunitiesEvent::Report(e) => (e.event_type(), e.to_data().unwrap()),
        };
        assert_eq!(again_type, t, "{path}");
        let again = AnyCommunitiesEvent::decode(t, 1, again_data).unwrap();
        assert_eq!(again, event, "{path}");
    }
}

#[test]
fn every_current_version_has_a_fixture() {
    for (context, catalogue) in [
        ("merchandise", merchandise::CATALOGUE),
        ("identity", identity::CATALOGUE),
        ("communities", communities::CATALOGUE),
        ("inventory", inventory::CATALOGUE),
        ("payments", payments::CATALOGUE),
        ("ordering", ordering::CATALOGUE),
        ("podcasts", podcasts::CATALOGUE),
    ] {
        let all = fixtures(context);
        for (t, v) in catalogue {
            assert!(
                all.iter()
                    .any(|(_, f)| parts(f).0 == *t && parts(f).1 == *v),
                "no fixture for {t} v{v}"
            );
        }
    }
}

#[test]
fn password_hashes_never_show_in_debug_output() {
    let (_, fixture) = fixtures("identity")
        .into_iter()
        .find(|(p, _)| p.ends_with("password_set.v1.json"))
        .unwrap();
    let (t, v, data) = parts(&fixture);
    let hash = data["password_hash"].as_str().unwrap().to_owned();
    let event = UserEvent::decode(t, v, data).unwrap();
    assert!(!format!("{event:?}").contains(&hash));
    assert!(identity::CONFIDENTIAL.contains(&t));
}

#[test]
fn v1_product_created_is_upcast_to_money() {
    let (_, fixture) = fixtures("merchandise")
        .into_iter()
        .find(|(p, _)| p.ends_with("product_created.v1.json"))
        .unwrap();
    let (t, v, data) = parts(&fixture);
    let ProductEvent::Created(created) = ProductEvent::decode(t, v, data).unwrap() else {
        panic!("not a product_created");
    };
    assert_eq!(created.price.amount_minor, 12900);
    assert_eq!(created.price.currency.as_str(), "EUR");
    assert!(created.attributes.is_empty());
}

#[test]
fn unknown_and_future_versions_are_refused() {
    let data = serde_json::json!({ "product_id": "0192f3a0-7c1e-7b3a-9c2d-1a2b3c4d5e6f" });
    assert!(ProductEvent::decode("agora.merchandise.nope", 1, data.clone()).is_err());
    assert!(ProductEvent::decode(merchandise::PRODUCT_PUBLISHED, 2, data.clone()).is_err());
    assert!(
        ProductEvent::decode(merchandise::PRODUCT_PUBLISHED, 1, serde_json::json!({})).is_err()
    );
}

/// Decodes `fixture` as `E` and checks the round trip; false when it is not an `E` event.
fn decodes_as<E: DomainEvent + PartialEq + std::fmt::Debug>(path: &str, fixture: &Value) -> bool {
    let (t, v, data) = parts(fixture);
    let Ok(event) = E::decode(t, v, data) else {
        return false;
    };
    assert_eq!(event.event_type(), t, "{path}");
    let again = E::decode(t, event.schema_version(), event.to_data().unwrap()).unwrap();
    assert_eq!(again, event, "{path}");
    true
}

#[test]
fn every_commerce_fixture_decodes_as_exactly_one_stream_kind() {
    for (path, fixture) in fixtures("inventory") {
        let stock = decodes_as::<StockEvent>(&path, &fixture);
        let reservation = decodes_as::<ReservationEvent>(&path, &fixture);
        assert!(stock ^ reservation, "{path}");
    }
    for (path, fixture) in fixtures("payments") {
        let payment = decodes_as::<PaymentEvent>(&path, &fixture);
        let wallet = decodes_as::<WalletEvent>(&path, &fixture);
        let ledger = decodes_as::<SellerLedgerEvent>(&path, &fixture);
        assert_eq!(
            [payment, wallet, ledger]
                .iter()
                .filter(|kind| **kind)
                .count(),
            1,
            "{path}"
        );
    }
    for (path, fixture) in fixtures("ordering") {
        assert!(decodes_as::<OrderEvent>(&path, &fixture), "{path}");
    }
}

#[test]
fn every_podcasts_fixture_decodes_as_exactly_one_stream_kind() {
    let mut seen = 0;
    for (path, fixture) in fixtures("podcasts") {
        let kinds = [
            decodes_as::<ShowEvent>(&path, &fixture),
            decodes_as::<EpisodeEvent>(&path, &fixture),
            decodes_as::<SubscriptionEvent>(&path, &fixture),
            decodes_as::<DownloadEvent>(&path, &fixture),
        ];
        assert_eq!(kinds.iter().filter(|k| **k).count(), 1, "{path}");
        seen += 1;
    }
    assert_eq!(seen, podcasts::CATALOGUE.len());
}
