//! Given events, when a command, then events or an error: the SkuClaim aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::{Duration, TimeZone as _, Utc};
use event_schemas::merchandise::SkuClaimEvent;
use merchandise::domain::{SKU_ABANDONED_AFTER_SECS, SkuClaim, SkuClaimCommand, SkuClaimError};
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{Aggregate, Timestamp};

fn now() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

fn claim(product_id: ProductId, seller_id: UserId) -> SkuClaimCommand {
    SkuClaimCommand::Claim {
        sku: "CHESS-1".into(),
        product_id,
        seller_id,
        abandoned_by: None,
    }
}

fn claimed_by(product_id: ProductId, seller_id: UserId) -> SkuClaim {
    SkuClaim::replay(
        &SkuClaim::default()
            .decide(claim(product_id, seller_id), now())
            .unwrap(),
    )
}

#[test]
fn the_first_product_claims_a_sku_and_a_retry_claims_nothing_more() {
    let (product, seller) = (ProductId::new(), UserId::new());
    let events = SkuClaim::default()
        .decide(claim(product, seller), now())
        .unwrap();
    assert!(
        matches!(events.as_slice(), [SkuClaimEvent::Claimed(c)]
            if c.product_id == product && c.seller_id == seller && c.sku == "CHESS-1"),
        "{events:?}"
    );
    let held = SkuClaim::replay(&events);
    assert_eq!(held.holder.unwrap().product_id, product);
    assert!(
        held.decide(claim(product, seller), now())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_sku_held_by_one_product_is_refused_to_any_other_of_any_seller() {
    let (product, seller) = (ProductId::new(), UserId::new());
    let held = claimed_by(product, seller);
    // Another seller.
    assert_eq!(
        held.decide(claim(ProductId::new(), UserId::new()), now()),
        Err(SkuClaimError::Taken("CHESS-1".into()))
    );
    // The same seller's second product would share the first one's stock: refused too.
    assert!(held.decide(claim(ProductId::new(), seller), now()).is_err());
}

#[test]
fn an_abandoned_claim_is_taken_over_only_once_old_enough() {
    let (ghost, seller) = (ProductId::new(), UserId::new());
    let held = claimed_by(ghost, seller);
    let (product, other) = (ProductId::new(), UserId::new());
    let take_over = SkuClaimCommand::Claim {
        sku: "CHESS-1".into(),
        product_id: product,
        seller_id: other,
        abandoned_by: Some(ghost),
    };
    assert!(held.decide(take_over.clone(), now()).is_err(), "too young");
    let later = now() + Duration::seconds(SKU_ABANDONED_AFTER_SECS);
    let events = held.decide(take_over, later).unwrap();
    assert!(
        matches!(events.as_slice(), [SkuClaimEvent::Released(r), SkuClaimEvent::Claimed(c)]
            if r.product_id == ghost && c.product_id == product),
        "{events:?}"
    );
    // Naming a holder that is not the current one takes nothing over.
    let wrong = SkuClaimCommand::Claim {
        sku: "CHESS-1".into(),
        product_id: product,
        seller_id: other,
        abandoned_by: Some(ProductId::new()),
    };
    assert!(held.decide(wrong, later).is_err());
}

#[test]
fn only_the_holder_releases_a_claim() {
    let (product, seller) = (ProductId::new(), UserId::new());
    let held = claimed_by(product, seller);
    let release = |product_id| SkuClaimCommand::Release {
        sku: "CHESS-1".into(),
        product_id,
        reason: "product creation failed".into(),
    };
    assert!(
        held.decide(release(ProductId::new()), now())
            .unwrap()
            .is_empty()
    );
    let events = held.decide(release(product), now()).unwrap();
    assert_eq!(events.len(), 1);
    let free = events.iter().fold(held, SkuClaim::evolve);
    assert_eq!(free.holder, None);
    assert_eq!(
        free.decide(claim(ProductId::new(), UserId::new()), now())
            .unwrap()
            .len(),
        1
    );
}
