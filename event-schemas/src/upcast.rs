//! Schema evolution: an upcaster lifts the stored JSON of one version of an event type to the
//! next, so domain code only ever sees the current shape. Chains apply in order (v1 -> v2 -> v3).

use serde::de::DeserializeOwned;
use serde_json::Value;
use shared_kernel::DecodeError;

/// Lifts `event_type` data from `from_version` to `from_version + 1`.
#[derive(Debug, Clone, Copy)]
pub struct Upcaster {
    pub event_type: &'static str,
    pub from_version: u32,
    pub lift: fn(Value) -> Result<Value, String>,
}

/// A context's catalogue: each event type it publishes with its current version.
pub type Catalogue = &'static [(&'static str, u32)];

/// Decodes stored `data` of `event_type` v`schema_version` into the adjacently tagged enum `E`
/// (`{"type": ..., "data": ...}`), upcasting it to the current version first.
///
/// # Errors
/// An unknown type, a version newer than `catalogue` knows, a failing upcaster or bad data.
pub fn decode_event<E: DeserializeOwned>(
    catalogue: Catalogue,
    upcasters: &[Upcaster],
    event_type: &str,
    schema_version: u32,
    mut data: Value,
) -> Result<E, DecodeError> {
    let unknown = || DecodeError::UnknownType {
        event_type: event_type.to_owned(),
        schema_version,
    };
    let current = catalogue
        .iter()
        .find(|(t, _)| *t == event_type)
        .map(|(_, v)| *v)
        .ok_or_else(unknown)?;
    if schema_version > current {
        return Err(DecodeError::FromTheFuture {
            event_type: event_type.to_owned(),
            schema_version,
        });
    }
    for version in schema_version..current {
        let upcaster = upcasters
            .iter()
            .find(|u| u.event_type == event_type && u.from_version == version)
            .ok_or_else(unknown)?;
        data = (upcaster.lift)(data).map_err(|message| DecodeError::Malformed {
            event_type: event_type.to_owned(),
            source: serde::de::Error::custom(message),
        })?;
    }
    serde_json::from_value(serde_json::json!({ "type": event_type, "data": data })).map_err(
        |source| DecodeError::Malformed {
            event_type: event_type.to_owned(),
            source,
        },
    )
}

/// The `data` half of an adjacently tagged event enum.
///
/// # Errors
/// Serialisation failed.
pub fn event_data<E: serde::Serialize>(event: &E) -> Result<Value, serde_json::Error> {
    match serde_json::to_value(event)? {
        Value::Object(mut map) => Ok(map.remove("data").unwrap_or(Value::Null)),
        _ => Err(serde::ser::Error::custom(
            "event enums must be adjacently tagged",
        )),
    }
}

/// Implements `DomainEvent` for an adjacently tagged event enum whose variants each hold one
/// payload: `domain_event!(OrderEvent, CATALOGUE, UPCASTERS, { Placed => ORDER_PLACED, ... })`.
#[macro_export]
macro_rules! domain_event {
    ($enum:ty, $catalogue:expr, $upcasters:expr, { $($variant:ident => $name:expr),+ $(,)? }) => {
        impl ::shared_kernel::DomainEvent for $enum {
            fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)+
                }
            }

            fn schema_version(&self) -> u32 {
                let t = self.event_type();
                $catalogue
                    .iter()
                    .find(|(name, _)| *name == t)
                    .map_or(1, |(_, v)| *v)
            }

            fn to_data(&self) -> Result<::serde_json::Value, ::serde_json::Error> {
                $crate::upcast::event_data(self)
            }

            fn decode(
                event_type: &str,
                schema_version: u32,
                data: ::serde_json::Value,
            ) -> Result<Self, ::shared_kernel::DecodeError> {
                $crate::upcast::decode_event($catalogue, $upcasters, event_type, schema_version, data)
            }
        }
    };
}
