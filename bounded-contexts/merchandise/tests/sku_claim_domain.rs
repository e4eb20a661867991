//! Given events, when a command, then events or an error: the SkuClaim aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Duration;
use event_schemas::merchandise::SkuClaimEvent;
use merchandise::domain::{SKU_ABANDONED_AFTER_SECS, SkuClaim, SkuClaimCommand, SkuClaimError};
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::testing::{Given, given, now};

fn claim(product_id: ProductId, seller_id: UserId) -> SkuClaimCommand {
    SkuClaimCommand::Claim {
        sku: "CHESS-1".into(),
        product_id,
        seller_id,
        abandoned_by: None,
    }
}

fn claimed_by(product_id: ProductId, seller_id: UserId) -> Given<SkuClaim> {
    let mut sku = given(&[]);
    sku.and(claim(product_id, seller_id));
    sku
}

#[test]
fn the_first_product_claims_a_sku_and_a_retry_claims_nothing_more() {
    let (product, seller) = (ProductId::new(), UserId::new());
    let mut sku = given::<SkuClaim>(&[]);
    let events = sku.and(claim(product, seller));
    assert!(
        matches!(events.as_slice(), [SkuClaimEvent::Claimed(c)]
            if c.product_id == product && c.seller_id == seller && c.sku == "CHESS-1"),
        "{events:?}"
    );
    assert_eq!(sku.state().holder.unwrap().product_id, product);
    sku.when(claim(product, seller)).then_nothing();
}

#[test]
fn a_sku_held_by_one_product_is_refused_to_any_other_of_any_seller() {
    let (product, seller) = (ProductId::new(), UserId::new());
    let held = claimed_by(product, seller);
    // Another seller.
    held.when(claim(ProductId::new(), UserId::new()))
        .then_rejects(SkuClaimError::Taken("CHESS-1".into()));
    // The same seller's second product would share the first one's stock: refused too.
    assert!(
        held.when(claim(ProductId::new(), seller))
            .into_result()
            .is_err()
    );
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
    assert!(
        held.when(take_over.clone()).into_result().is_err(),
        "too young"
    );
    let later = held
        .clone()
        .at(now() + Duration::seconds(SKU_ABANDONED_AFTER_SECS));
    let taken_over = later.when(take_over);
    assert!(
        matches!(taken_over.events(), [SkuClaimEvent::Released(r), SkuClaimEvent::Claimed(c)]
            if r.product_id == ghost && c.product_id == product),
        "{:?}",
        taken_over.events()
    );
    // Naming a holder that is not the current one takes nothing over.
    let wrong = SkuClaimCommand::Claim {
        sku: "CHESS-1".into(),
        product_id: product,
        seller_id: other,
        abandoned_by: Some(ProductId::new()),
    };
    assert!(later.when(wrong).into_result().is_err());
}

#[test]
fn only_the_holder_releases_a_claim() {
    let (product, seller) = (ProductId::new(), UserId::new());
    let mut held = claimed_by(product, seller);
    let release = |product_id| SkuClaimCommand::Release {
        sku: "CHESS-1".into(),
        product_id,
        reason: "product creation failed".into(),
    };
    held.when(release(ProductId::new())).then_nothing();
    assert_eq!(held.and(release(product)).len(), 1);
    assert_eq!(held.state().holder, None);
    assert_eq!(
        held.when(claim(ProductId::new(), UserId::new()))
            .events()
            .len(),
        1
    );
}
