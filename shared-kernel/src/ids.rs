//! Identifiers: UUIDv7 newtypes, so a product id cannot be passed where an order id is meant,
//! and ids sort by creation time (good B-tree locality, keyset pagination for free).

/// Declares a UUIDv7 identifier newtype with parsing, display and serde as a plain string.
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            /// A new time-ordered (v7) id. Application code calls this; domain code receives ids.
            #[must_use]
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }

            /// The id named `name` under `parent` (a command id): the same for every retry of
            /// that command, see [`derive_id`](crate::ids::derive_id).
            #[must_use]
            pub fn derived(parent: ::uuid::Uuid, name: &str) -> Self {
                Self($crate::ids::derive_id(parent, name))
            }

            #[must_use]
            pub const fn as_uuid(&self) -> &::uuid::Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self(::uuid::Uuid::nil())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                ::uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl From<::uuid::Uuid> for $name {
            fn from(id: ::uuid::Uuid) -> Self {
                Self(id)
            }
        }

        // In the OpenAPI document: a named schema, a UUID string.
        impl $crate::ids::__utoipa::PartialSchema for $name {
            fn schema() -> $crate::ids::__utoipa::openapi::RefOr<
                $crate::ids::__utoipa::openapi::schema::Schema,
            > {
                $crate::ids::uuid_schema(stringify!($name))
            }
        }

        impl $crate::ids::__utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        // In the published events' JSON Schemas: a UUID string, inline.
        impl $crate::ids::__schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(
                _: &mut $crate::ids::__schemars::SchemaGenerator,
            ) -> $crate::ids::__schemars::Schema {
                $crate::ids::uuid_json_schema(stringify!($name))
            }
        }
    };
}

#[doc(hidden)]
pub use schemars as __schemars;

/// The JSON Schema of the id type called `name`: a UUID as a string.
#[doc(hidden)]
#[must_use]
pub fn uuid_json_schema(name: &str) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "format": "uuid",
        "description": format!("{name}: a UUID"),
    })
}

#[doc(hidden)]
pub use utoipa as __utoipa;

/// The OpenAPI schema of the id type called `name`: a UUID as a string.
#[doc(hidden)]
#[must_use]
pub fn uuid_schema(name: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .description(Some(format!("{name}: a UUID (v7, time-ordered)")))
        .examples([serde_json::json!("01936b2e-6f1c-7cc3-9b5e-2f2a1d6c8e10")])
        .into()
}

/// The id called `name` under `parent`: deterministic, so a command retried under the same
/// command id creates the same order, post or product instead of a second one, and the
/// store's command-id deduplication answers it with the first result.
///
/// A valid UUIDv7 that sorts with its parent: the first 48 bits (the Unix-millisecond
/// timestamp) are `parent`'s, the rest come from a UUIDv5 hash of `name` under `parent`.
/// Distinct names give distinct ids (up to hash collisions of 74 bits).
#[must_use]
pub fn derive_id(parent: uuid::Uuid, name: &str) -> uuid::Uuid {
    let hashed = uuid::Uuid::new_v5(&parent, name.as_bytes());
    let mut bytes = *hashed.as_bytes();
    bytes[..6].copy_from_slice(&parent.as_bytes()[..6]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    uuid::Uuid::from_bytes(bytes)
}

define_id!(
    /// A registered user (buyer, seller, member).
    UserId
);
define_id!(
    /// A product in the catalog.
    ProductId
);
define_id!(
    /// An order placed by a buyer.
    OrderId
);
define_id!(
    /// A payment for an order.
    PaymentId
);
define_id!(
    /// A community (forum). Derived from its name (UUIDv5), see the communities context.
    CommunityId
);
define_id!(
    /// A post in a community.
    PostId
);
define_id!(
    /// A comment on a post (or a reply to a comment).
    CommentId
);
define_id!(
    /// A user's report of a post or comment to the moderators.
    ReportId
);
define_id!(
    /// A command sent to a context; the key of idempotent handling.
    CommandId
);
define_id!(
    /// An event; unique across the whole store.
    EventId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id = ProductId::new();
        let parsed: ProductId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(id.as_uuid().get_version_num(), 7);
    }

    #[test]
    fn derived_ids_are_stable_distinct_and_sort_with_their_parent() {
        let command = uuid::Uuid::now_v7();
        let order = OrderId::derived(command, "order");
        assert_eq!(order, OrderId::derived(command, "order"));
        assert_ne!(order.0, derive_id(command, "payment"));
        assert_ne!(order, OrderId::derived(uuid::Uuid::now_v7(), "order"));
        assert_eq!(order.as_uuid().get_version_num(), 7);
        assert_eq!(order.as_uuid().as_bytes()[..6], command.as_bytes()[..6]);
    }

    #[test]
    fn ids_are_named_uuid_schemas() {
        use utoipa::{PartialSchema, ToSchema};
        assert_eq!(OrderId::name(), "OrderId");
        let schema = serde_json::to_value(OrderId::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["format"], "uuid");
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let a = OrderId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = OrderId::new();
        assert!(a < b);
    }
}
