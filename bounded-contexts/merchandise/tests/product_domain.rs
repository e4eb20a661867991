//! Given events, when a command, then events or an error: the Product aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeMap;

use chrono::Utc;
use event_schemas::merchandise::{
    ProductCreated, ProductEvent, ProductPriceChanged, ProductPublished,
};
use merchandise::domain::{NewProduct, Product, ProductCommand, ProductError, ProductStatus};
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::{Aggregate, Currency, Money};

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

fn when(
    given: &[ProductEvent],
    command: ProductCommand,
) -> Result<Vec<ProductEvent>, ProductError> {
    Product::replay(given).decide(command, Utc::now())
}

#[test]
fn creating_a_product_records_it_as_a_draft_with_a_trimmed_title() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let events = when(&[], ProductCommand::Create(new_product(id, seller))).unwrap();
    assert_eq!(events, vec![created(id, seller)]);
    assert_eq!(Product::replay(&events).status, ProductStatus::Draft);
}

#[test]
fn a_product_cannot_be_created_twice() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let err = when(
        &[created(id, seller)],
        ProductCommand::Create(new_product(id, seller)),
    );
    assert_eq!(err, Err(ProductError::AlreadyExists));
}

#[test]
fn invalid_products_are_refused() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let cases: [fn(&mut NewProduct); 6] = [
        |p| p.title = String::new(),
        |p| p.title = "x".repeat(201),
        |p| p.category = " ".into(),
        |p| p.sku = "a b".into(),
        |p| p.price = eur(0),
        |p| p.price = eur(-1),
    ];
    for mutate in cases {
        let mut p = new_product(id, seller);
        mutate(&mut p);
        assert!(matches!(
            when(&[], ProductCommand::Create(p)),
            Err(ProductError::Invalid(_))
        ));
    }
}

#[test]
fn only_the_seller_publishes_and_publishing_twice_is_a_no_op() {
    let (id, seller, other) = (ProductId::new(), UserId::new(), UserId::new());
    let given = [created(id, seller)];
    assert_eq!(
        when(&given, ProductCommand::Publish { actor: other }),
        Err(ProductError::NotSeller)
    );
    let events = when(&given, ProductCommand::Publish { actor: seller }).unwrap();
    assert_eq!(
        events,
        vec![ProductEvent::Published(ProductPublished { product_id: id })]
    );
    let published = [created(id, seller), events[0].clone()];
    assert_eq!(
        when(&published, ProductCommand::Publish { actor: seller }),
        Ok(vec![])
    );
}

#[test]
fn commands_on_a_missing_product_are_not_found() {
    let actor = UserId::new();
    assert_eq!(
        when(&[], ProductCommand::Publish { actor }),
        Err(ProductError::NotFound)
    );
    assert_eq!(
        when(
            &[],
            ProductCommand::ChangePrice {
                actor,
                price: eur(1)
            }
        ),
        Err(ProductError::NotFound)
    );
}

#[test]
fn price_changes_keep_the_currency_and_skip_no_change() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let given = [created(id, seller)];
    let events = when(
        &given,
        ProductCommand::ChangePrice {
            actor: seller,
            price: eur(9900),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![ProductEvent::PriceChanged(ProductPriceChanged {
            product_id: id,
            price: eur(9900)
        })]
    );
    assert_eq!(
        when(
            &given,
            ProductCommand::ChangePrice {
                actor: seller,
                price: eur(12900)
            }
        ),
        Ok(vec![])
    );
    let usd = Money::new(9900, Currency::USD);
    assert!(matches!(
        when(
            &given,
            ProductCommand::ChangePrice {
                actor: seller,
                price: usd
            }
        ),
        Err(ProductError::Invalid(_))
    ));
}

#[test]
fn archived_products_cannot_change_or_be_published() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let archived = when(
        &[created(id, seller)],
        ProductCommand::Archive { actor: seller },
    )
    .unwrap();
    let given = [created(id, seller), archived[0].clone()];
    assert!(matches!(
        when(&given, ProductCommand::Publish { actor: seller }),
        Err(ProductError::InvalidTransition("archived", _))
    ));
    assert!(matches!(
        when(
            &given,
            ProductCommand::ChangeDetails {
                actor: seller,
                title: Some("x".into()),
                description: None,
                category: None
            }
        ),
        Err(ProductError::InvalidTransition(..))
    ));
    assert_eq!(
        when(&given, ProductCommand::Archive { actor: seller }),
        Ok(vec![])
    );
}
