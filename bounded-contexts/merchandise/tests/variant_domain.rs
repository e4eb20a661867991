//! Given events, when a command, then events or an error: variants of the Product aggregate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use shared_kernel::RejectionKind;
use std::collections::BTreeMap;

use event_schemas::merchandise::{
    ProductCreated, ProductEvent, ProductOption, ProductOptionsSet, VariantAdded,
    VariantPriceChanged,
};
use merchandise::domain::{NewProduct, NewVariant, Product, ProductCommand, ProductError};
use shared_kernel::ids::{ProductId, UserId};
use shared_kernel::testing::given;
use shared_kernel::{Currency, Money};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn options() -> Vec<ProductOption> {
    vec![
        ProductOption {
            name: "size".into(),
            values: vec!["S".into(), "M".into()],
        },
        ProductOption {
            name: "colour".into(),
            values: vec!["red".into(), "blue".into()],
        },
    ]
}

fn variant(sku: &str, size: &str, colour: &str, price: Option<i64>) -> NewVariant {
    NewVariant {
        sku: sku.into(),
        option_values: BTreeMap::from([
            ("size".to_owned(), size.to_owned()),
            ("colour".to_owned(), colour.to_owned()),
        ]),
        price: price.map(eur),
    }
}

fn tee(id: ProductId, seller: UserId, variants: Vec<NewVariant>) -> NewProduct {
    NewProduct {
        product_id: id,
        seller_id: seller,
        title: "Tee".into(),
        description: String::new(),
        category: "clothing".into(),
        sku: variants.first().map(|v| v.sku.clone()).unwrap_or_default(),
        price: eur(2000),
        attributes: BTreeMap::new(),
        options: options(),
        variants,
    }
}

fn added(id: ProductId, seller: UserId, v: &NewVariant) -> ProductEvent {
    ProductEvent::VariantAdded(VariantAdded {
        product_id: id,
        seller_id: seller,
        sku: v.sku.clone(),
        option_values: v.option_values.clone(),
        price: v.price,
    })
}

/// The events of a tee created with S/red (default) and M/blue at 25.00.
fn created_tee(id: ProductId, seller: UserId) -> Vec<ProductEvent> {
    let (first, second) = (
        variant("TEE-S-RED", "S", "red", None),
        variant("TEE-M-BLUE", "M", "blue", Some(2500)),
    );
    vec![
        ProductEvent::Created(ProductCreated {
            product_id: id,
            seller_id: seller,
            title: "Tee".into(),
            description: String::new(),
            category: "clothing".into(),
            sku: "TEE-S-RED".into(),
            price: eur(2000),
            attributes: BTreeMap::new(),
        }),
        ProductEvent::OptionsSet(ProductOptionsSet {
            product_id: id,
            options: options(),
        }),
        added(id, seller, &first),
        added(id, seller, &second),
    ]
}

#[test]
fn a_product_with_options_is_created_with_its_variants_the_first_being_the_default() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let new = tee(
        id,
        seller,
        vec![
            variant("TEE-S-RED", "S", "red", None),
            variant("TEE-M-BLUE", "M", "blue", Some(2500)),
        ],
    );
    let product = given::<Product>(&[])
        .when(ProductCommand::Create(new))
        .then(created_tee(id, seller));
    assert_eq!(product.sku, "TEE-S-RED");
    assert_eq!(product.variants.len(), 2);
    assert_eq!(product.variants["TEE-M-BLUE"].price, Some(eur(2500)));
}

#[test]
fn variants_must_name_one_known_value_of_every_option_and_differ() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let mut missing = variant("TEE-S", "S", "red", None);
    missing.option_values.remove("colour");
    let cases = [
        (missing, "variant_options_mismatch"),
        (
            variant("TEE-XL", "XL", "red", None),
            "variant_options_mismatch",
        ),
        (
            variant("TEE-S-RED-2", "S", "red", None),
            "duplicate_variant",
        ),
    ];
    for (bad, code) in cases {
        let new = tee(
            id,
            seller,
            vec![variant("TEE-S-RED", "S", "red", None), bad],
        );
        let when = given::<Product>(&[]).when(ProductCommand::Create(new));
        let error = when.error();
        let (got, status) = shared_kernel::application::Rejection::code_and_kind(error);
        assert_eq!((got, status), (code, RejectionKind::Invalid), "{error}");
    }
    let mut extra = variant("TEE-M-RED", "M", "red", None);
    extra
        .option_values
        .insert("material".into(), "cotton".into());
    given::<Product>(&created_tee(id, seller))
        .when(ProductCommand::AddVariant {
            actor: seller,
            variant: extra,
        })
        .then_rejects(ProductError::VariantOptions(
            "TEE-M-RED".into(),
            "the product has no option \"material\"".into(),
        ));
}

#[test]
fn a_variant_is_added_once_and_its_values_stay_unique() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let new = variant("TEE-M-RED", "M", "red", Some(2200));
    given::<Product>(&created_tee(id, seller))
        .when(ProductCommand::AddVariant {
            actor: seller,
            variant: new.clone(),
        })
        .then([added(id, seller, &new)]);
    let mut history = created_tee(id, seller);
    history.push(added(id, seller, &new));
    // The same again is a retry: nothing new.
    given::<Product>(&history)
        .when(ProductCommand::AddVariant {
            actor: seller,
            variant: new.clone(),
        })
        .then([]);
    given::<Product>(&history)
        .when(ProductCommand::AddVariant {
            actor: seller,
            variant: variant("TEE-M-RED", "S", "blue", None),
        })
        .then_rejects(ProductError::VariantExists("TEE-M-RED".into()));
    given::<Product>(&history)
        .when(ProductCommand::AddVariant {
            actor: seller,
            variant: variant("TEE-M-RED-B", "M", "red", None),
        })
        .then_rejects(ProductError::DuplicateVariant("TEE-M-RED-B".into()));
    given::<Product>(&history)
        .when(ProductCommand::AddVariant {
            actor: UserId::new(),
            variant: variant("TEE-S-BLUE", "S", "blue", None),
        })
        .then_rejects(ProductError::NotSeller);
}

#[test]
fn a_single_sku_product_takes_no_variants() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let created = created_tee(id, seller).remove(0);
    given::<Product>(&[created])
        .when(ProductCommand::AddVariant {
            actor: seller,
            variant: variant("TEE-M-RED", "M", "red", None),
        })
        .then_rejects(ProductError::NoOptions);
}

#[test]
fn a_variant_price_is_set_in_the_product_currency_and_cleared() {
    let (id, seller) = (ProductId::new(), UserId::new());
    let history = created_tee(id, seller);
    given::<Product>(&history)
        .when(ProductCommand::ChangeVariantPrice {
            actor: seller,
            sku: "TEE-M-BLUE".into(),
            price: None,
        })
        .then([ProductEvent::VariantPriceChanged(VariantPriceChanged {
            product_id: id,
            sku: "TEE-M-BLUE".into(),
            price: None,
        })]);
    given::<Product>(&history)
        .when(ProductCommand::ChangeVariantPrice {
            actor: seller,
            sku: "TEE-M-BLUE".into(),
            price: Some(eur(2500)),
        })
        .then([]);
    assert!(matches!(
        given::<Product>(&history)
            .when(ProductCommand::ChangeVariantPrice {
                actor: seller,
                sku: "TEE-M-BLUE".into(),
                price: Some(Money::new(2500, Currency::USD)),
            })
            .error(),
        ProductError::Invalid(_)
    ));
    given::<Product>(&history)
        .when(ProductCommand::ChangeVariantPrice {
            actor: seller,
            sku: "NOPE".into(),
            price: None,
        })
        .then_rejects(ProductError::VariantNotFound("NOPE".into()));
}
