//! Given events, when a command, then events or an error: the Product aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeMap;

use event_schemas::merchandise::{
    ProductCreated, ProductEvent, ProductPriceChanged, ProductPublished,
};
use merchandise::domain::{
    MAX_PRICE_MINOR, NewProduct, Product, ProductCommand, ProductError, ProductStatus,
};
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::testing::given;
use shared_kernel::{Currency, Money};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn new_product(id: ProductId, seller: UserId) -> NewProduct {
    NewProduct {
        product_id: id,
        seller_id: seller,
        title: " Chess set ".into(),
        description: String::new(),
        category: "games".into(),
        sku: "CHESS-1".into(),
        price: eur(12900),
        attributes: BTreeMap::new(),
        options: Vec::new(),
        variants: Vec::new(),
    }
}

fn created(id: ProductId, seller: UserId) -> ProductEvent {
    ProductEvent::Created(ProductCreated {
        product_id: id,
        seller_id: seller,
        title: "Chess set".into(),
        description: String::new(),
        category: "games".into(),
        sku: "CHESS-1".into(),
        price: eur(12900),
        attributes: BTreeMap::new(),
    })
}

#[test]
fn creating_a_product_records_it_as_a_draft_with_a_trimmed_title() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let product = given::<Product>(&[])
        .when(ProductCommand::Create(new_product(id, seller)))
        .then([created(id, seller)]);
    assert_eq!(product.status, ProductStatus::Draft);
}

#[test]
fn a_product_cannot_be_created_twice() {
    let (id, seller) = (ProductId::new(), UserId::new());
    given::<Product>(&[created(id, seller)])
        .when(ProductCommand::Create(new_product(id, seller)))
        .then_rejects(ProductError::AlreadyExists);
}

#[test]
fn invalid_products_are_refused() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let cases: [fn(&mut NewProduct); 8] = [
        |p| p.title = String::new(),
        |p| p.title = "x".repeat(201),
        |p| p.category = " ".into(),
        |p| p.sku = "a b".into(),
        |p| p.price = eur(0),
        |p| p.price = eur(-1),
        // Above the cap a sum of such prices could overflow a total or a seller's ledger.
        |p| p.price = eur(MAX_PRICE_MINOR + 1),
        |p| p.price = eur(i64::MAX),
    ];
    for mutate in cases {
        let mut p = new_product(id, seller);
        mutate(&mut p);
        assert!(matches!(
            given::<Product>(&[])
                .when(ProductCommand::Create(p))
                .error(),
            ProductError::Invalid(_)
        ));
    }
}

#[test]
fn only_the_seller_publishes_and_publishing_twice_is_a_no_op() {
    let (id, seller, other) = (ProductId::new(), UserId::new(), UserId::new());
    let mut product = given::<Product>(&[created(id, seller)]);
    product
        .when(ProductCommand::Publish { actor: other })
        .then_rejects(ProductError::NotSeller);
    assert_eq!(
        product.and(ProductCommand::Publish { actor: seller }),
        vec![ProductEvent::Published(ProductPublished { product_id: id })]
    );
    product
        .when(ProductCommand::Publish { actor: seller })
        .then_nothing();
}

#[test]
fn commands_on_a_missing_product_are_not_found() {
    let actor = UserId::new();
    let nothing = given::<Product>(&[]);
    nothing
        .when(ProductCommand::Publish { actor })
        .then_rejects(ProductError::NotFound);
    nothing
        .when(ProductCommand::ChangePrice {
            actor,
            price: eur(1),
        })
        .then_rejects(ProductError::NotFound);
}

#[test]
fn price_changes_keep_the_currency_and_skip_no_change() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let product = given::<Product>(&[created(id, seller)]);
    product
        .when(ProductCommand::ChangePrice {
            actor: seller,
            price: eur(9900),
        })
        .then([ProductEvent::PriceChanged(ProductPriceChanged {
            product_id: id,
            price: eur(9900),
        })]);
    product
        .when(ProductCommand::ChangePrice {
            actor: seller,
            price: eur(12900),
        })
        .then_nothing();
    let usd = Money::new(9900, Currency::USD);
    assert!(matches!(
        product
            .when(ProductCommand::ChangePrice {
                actor: seller,
                price: usd
            })
            .error(),
        ProductError::Invalid(_)
    ));
}

#[test]
fn archived_products_cannot_change_or_be_published() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let mut product = given::<Product>(&[created(id, seller)]);
    product.and(ProductCommand::Archive { actor: seller });
    assert!(matches!(
        product
            .when(ProductCommand::Publish { actor: seller })
            .error(),
        ProductError::InvalidTransition("archived", _)
    ));
    assert!(matches!(
        product
            .when(ProductCommand::ChangeDetails {
                actor: seller,
                title: Some("x".into()),
                description: None,
                category: None
            })
            .error(),
        ProductError::InvalidTransition(..)
    ));
    product
        .when(ProductCommand::Archive { actor: seller })
        .then_nothing();
}
