//! Money as integer minor units plus an ISO 4217 currency. Never floats; every arithmetic
//! operation is checked, and mixing currencies is an error rather than a silent conversion.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency must be an ISO 4217 currency code such as EUR or USD, got {0:?}")]
    InvalidCurrency(String),
    #[error("currency mismatch: {0} vs {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflow")]
    Overflow,
    #[error("amount must not be negative")]
    Negative,
}

/// An ISO 4217 alphabetic code of a currency, e.g. `EUR`: one of the codes the `iso_currency`
/// crate lists (maintained from the ISO 4217 tables, superseded codes included so older
/// amounts stay readable), in upper case. Its "special" codes are refused: precious metals
/// (`XAU`...), units of account (`XDR`...), `XTS` (testing) and `XXX` (no currency) price
/// nothing here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const EUR: Self = Self(*b"EUR");
    pub const USD: Self = Self(*b"USD");

    #[must_use]
    pub fn as_str(&self) -> &str {
        // The constructor admits only ASCII upper-case letters, so this is always valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let listed = iso_currency::Currency::from_code(s).filter(|c| !c.is_special());
        match (s.as_bytes(), listed) {
            // `from_code` is case-sensitive today; the shape check keeps it so if it changes.
            ([a, b, c], Some(_)) if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => {
                Ok(Self([*a, *b, *c]))
            }
            _ => Err(MoneyError::InvalidCurrency(s.to_owned())),
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.as_str().to_owned()
    }
}

// In the OpenAPI document: a named schema, an ISO 4217 code.
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("An ISO 4217 currency code"))
            .examples([serde_json::json!("EUR")])
            .into()
    }
}

// In the published events' JSON Schemas: an ISO 4217 code, inline.
impl schemars::JsonSchema for Currency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Currency")
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": "An ISO 4217 currency code",
        })
    }
}

impl utoipa::ToSchema for Currency {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Currency")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money: `{ "amount_minor": 1999, "currency": "EUR" }` on the wire.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
#[schema(example = json!({"amount_minor": 1999, "currency": "EUR"}))]
pub struct Money {
    /// The amount in the currency's minor unit (cents for EUR): 1999 is 19.99 EUR.
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    #[must_use]
    pub const fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }

    #[must_use]
    pub const fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// # Errors
    /// Different currencies, or an overflow of i64 minor units.
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// # Errors
    /// Different currencies, or an overflow of i64 minor units.
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount_minor
            .checked_sub(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// # Errors
    /// An overflow of i64 minor units.
    pub fn checked_mul(self, quantity: i64) -> Result<Self, MoneyError> {
        let amount = self
            .amount_minor
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(amount, self.currency))
    }

    /// # Errors
    /// A negative amount: prices and payments are never below zero.
    pub fn non_negative(self) -> Result<Self, MoneyError> {
        if self.amount_minor < 0 {
            Err(MoneyError::Negative)
        } else {
            Ok(self)
        }
    }

    fn same_currency(self, other: Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl Currency {
    /// How many digits of the minor unit the currency has (ISO 4217: 2 for EUR, 0 for JPY, 3
    /// for BHD); 2 when the list gives none.
    #[must_use]
    pub fn exponent(&self) -> u32 {
        iso_currency::Currency::from_code(self.as_str())
            .and_then(|c| c.exponent())
            .map_or(2, u32::from)
    }
}

/// Money as people read it: `138.00 EUR`, `-3.50 EUR`, `500 JPY` (the currency's own number
/// of decimals). On the wire it stays `{amount_minor, currency}`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exponent = self.currency.exponent();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let minor = self.amount_minor.unsigned_abs();
        if exponent == 0 {
            return write!(f, "{sign}{minor} {}", self.currency);
        }
        let unit = 10_u64.pow(exponent);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            minor / unit,
            minor % unit,
            self.currency,
            width = exponent as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_in_the_currency_s_own_decimals() {
        let eur = |m| Money::new(m, Currency::EUR).to_string();
        assert_eq!(eur(13_800), "138.00 EUR");
        assert_eq!(eur(99_999_999), "999999.99 EUR");
        assert_eq!(eur(-350), "-3.50 EUR");
        assert_eq!(eur(5), "0.05 EUR");
        assert_eq!(eur(i64::MIN), "-92233720368547758.08 EUR");
        let jpy: Currency = "JPY".parse().unwrap();
        assert_eq!(Money::new(500, jpy).to_string(), "500 JPY");
        let bhd: Currency = "BHD".parse().unwrap();
        assert_eq!(Money::new(1_234, bhd).to_string(), "1.234 BHD");
    }

    #[test]
    fn adds_and_subtracts_in_one_currency() {
        let a = Money::new(1999, Currency::EUR);
        let b = Money::new(1, Currency::EUR);
        assert_eq!(a.checked_add(b).unwrap().amount_minor, 2000);
        assert_eq!(a.checked_sub(b).unwrap().amount_minor, 1998);
        assert_eq!(a.checked_mul(3).unwrap().amount_minor, 5997);
    }

    #[test]
    fn refuses_to_mix_currencies() {
        let e = Money::new(1, Currency::EUR).checked_add(Money::new(1, Currency::USD));
        assert_eq!(
            e,
            Err(MoneyError::CurrencyMismatch(Currency::EUR, Currency::USD))
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let max = Money::new(i64::MAX, Currency::EUR);
        assert_eq!(
            max.checked_add(Money::new(1, Currency::EUR)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn currency_codes_are_validated() {
        for good in ["EUR", "USD", "JPY", "GBP", "CHF", "BOV"] {
            assert_eq!(good.parse::<Currency>().unwrap().as_str(), good);
        }
        for bad in [
            "eur", "EU", "EURO", "E1R", "", "XYZ", "ABC", "XXX", "XTS", "XAU",
        ] {
            assert!(bad.parse::<Currency>().is_err(), "{bad} accepted");
        }
        let json = r#"{"amount_minor":1999,"currency":"EUR"}"#;
        let m: Money = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), json);
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1,"currency":"xx"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1.5,"currency":"EUR"}"#).is_err());
    }

    #[test]
    fn sums_are_associative_and_exact() {
        // Property-style check over a deterministic spread of values.
        let mut seed: i64 = 17;
        for _ in 0..1000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let (a, b, c) = (
                seed % 1_000_000,
                (seed / 7) % 1_000_000,
                (seed / 13) % 1_000_000,
            );
            let m = |x| Money::new(x, Currency::EUR);
            let left = m(a).checked_add(m(b)).unwrap().checked_add(m(c)).unwrap();
            let right = m(a).checked_add(m(b).checked_add(m(c)).unwrap()).unwrap();
            assert_eq!(left, right);
            assert_eq!(left.amount_minor, a + b + c);
        }
    }
}
