//! Money: integer minor units plus an ISO 4217 currency code. Never floating point.

use serde::{Deserialize, Serialize};

use crate::messages as msg;
use crate::validation::ValidationErrors;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// Amount in the currency's minor unit (cents, céntimos): `125000` CRC is ₡1 250,00.
    pub amount_minor: i64,
    /// ISO 4217 alphabetic code, upper case.
    pub currency: String,
}

/// Amounts above this are refused: far beyond any case amount, and safe in every JSON parser.
pub const MAX_AMOUNT_MINOR: i64 = 9_007_199_254_740_991;

impl Money {
    /// Validates the currency code and bounds, reporting under `field`.
    pub fn validate(&self, field: &str, errors: &mut ValidationErrors) -> bool {
        let mut ok = true;
        if iso_currency::Currency::from_code(&self.currency).is_none() {
            errors.add(format!("{field}.currency"), msg::currency_code());
            ok = false;
        }
        if !(0..=MAX_AMOUNT_MINOR).contains(&self.amount_minor) {
            errors.add(format!("{field}.amountMinor"), msg::between(0, MAX_AMOUNT_MINOR));
            ok = false;
        }
        ok
    }
}

impl Money {
    /// The amount in major units with the currency's decimals (`125000` CRC → `1250.00`,
    /// `500` JPY → `500`), plain, for CSV and spreadsheets.
    pub fn decimal_string(&self) -> String {
        let exponent = iso_currency::Currency::from_code(&self.currency).and_then(|c| c.exponent()).unwrap_or(2) as u32;
        if exponent == 0 {
            return self.amount_minor.to_string();
        }
        let scale = 10i64.pow(exponent);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let whole = (self.amount_minor / scale).abs();
        let fraction = (self.amount_minor % scale).abs();
        format!("{sign}{whole}.{fraction:0width$}", width = exponent as usize)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_strings_follow_the_currency() {
        let money = |amount_minor, currency: &str| Money { amount_minor, currency: currency.into() };
        assert_eq!(money(125_000, "CRC").decimal_string(), "1250.00");
        assert_eq!(money(5, "USD").decimal_string(), "0.05");
        assert_eq!(money(500, "JPY").decimal_string(), "500");
        assert_eq!(money(1_234_567, "BHD").decimal_string(), "1234.567");
    }

    use super::*;

    #[test]
    fn currency_codes_are_iso_4217() {
        let mut errors = ValidationErrors::new();
        assert!(Money { amount_minor: 125_000, currency: "CRC".into() }.validate("amount", &mut errors));
        assert!(!Money { amount_minor: 1, currency: "crc".into() }.validate("amount", &mut errors));
        assert!(!Money { amount_minor: 1, currency: "XYZ".into() }.validate("amount", &mut errors));
        assert!(!Money { amount_minor: -1, currency: "USD".into() }.validate("amount", &mut errors));
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["amount.currency", "amount.currency", "amount.amountMinor"]);
    }
}
