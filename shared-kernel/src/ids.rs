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
    };
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
    fn later_ids_sort_after_earlier_ones() {
        let a = OrderId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = OrderId::new();
        assert!(a < b);
    }
}
