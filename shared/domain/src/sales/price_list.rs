//! Price lists [listas de precios]: per list, one currency and a row per product with its
//! prices, each by minimum quantity [escala] and date window [vigencia].
//!
//! A list is versioned: the ERP's sync or an import writes version n + 1 beside n and
//! publishes it at the end, and a quote keeps the version it was priced from. Pricing a line
//! is pure: the row's price whose window holds the day and whose minimum quantity is the
//! largest the line reaches.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ids::{PriceListKey, ProductCode, UserId};
use crate::messages as msg;
use crate::money::MAX_AMOUNT_MINOR;
use crate::validation::ValidationErrors;

pub const NAME_MAX: usize = 120;
/// Prices one product may have in one list (quantity breaks × date windows).
pub const MAX_PRICES_PER_ROW: usize = 20;
/// Rows one sync request may write; a bigger list is sent in several requests of one version.
pub const MAX_ROWS_PER_SYNC: usize = 2_000;
/// Lines one pricing request may price.
pub const MAX_PRICED_LINES: usize = 200;
/// Thousandths per unit: quantities have at most three decimals (2.5 kg, 0.125 m³).
pub const QUANTITY_SCALE: i64 = 1000;
const MAX_QUANTITY_MILLI: i64 = 1_000_000_000 * QUANTITY_SCALE;

/// A quantity of a product's unit with up to three decimals, kept exactly as thousandths. It is
/// a JSON number on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "f64")]
pub struct Quantity(i64);

impl Serialize for Quantity {
    /// Whole quantities as integers (`10`, not `10.0`).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % QUANTITY_SCALE == 0 {
            s.serialize_i64(self.0 / QUANTITY_SCALE)
        } else {
            s.serialize_f64(f64::from(*self))
        }
    }
}

impl Quantity {
    pub const ZERO: Quantity = Quantity(0);
    pub const ONE: Quantity = Quantity(QUANTITY_SCALE);

    pub fn from_milli(milli: i64) -> Option<Self> {
        (0..=MAX_QUANTITY_MILLI).contains(&milli).then_some(Self(milli))
    }

    pub fn milli(self) -> i64 {
        self.0
    }

    /// Parses what staff type: `2`, `2.5`, `2,5`.
    pub fn parse(text: &str) -> Option<Self> {
        let value: f64 = text.trim().replace(',', ".").parse().ok()?;
        Self::try_from(value).ok()
    }
}

impl TryFrom<f64> for Quantity {
    type Error = String;
    fn try_from(value: f64) -> Result<Self, String> {
        let milli = value * QUANTITY_SCALE as f64;
        let rounded = milli.round();
        if !value.is_finite() || (milli - rounded).abs() > 1e-6 {
            return Err("a quantity has at most three decimals".into());
        }
        Quantity::from_milli(rounded as i64).ok_or_else(|| "a quantity is between 0 and 1000000000".into())
    }
}

impl From<Quantity> for f64 {
    fn from(q: Quantity) -> f64 {
        q.0 as f64 / QUANTITY_SCALE as f64
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, fraction) = (self.0 / QUANTITY_SCALE, self.0 % QUANTITY_SCALE);
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Quantity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some("A quantity with at most three decimals"))
            .minimum(Some(0.0))
            .maximum(Some(1_000_000_000.0))
            .multiple_of(Some(0.001))
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Quantity {}

/// One price of a product: from a quantity on, within a window of days (either end open).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Price {
    /// The price holds from this quantity on (default 0: any quantity).
    #[serde(default)]
    pub min_quantity: Quantity,
    /// Per unit, in the list's currency's minor unit, before tax.
    pub unit_price_minor: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_from: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<Date>,
}

impl Price {
    fn holds_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// A product's prices in one list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceRowInput {
    pub product: ProductCode,
    pub prices: Vec<Price>,
}

impl PriceRowInput {
    /// Checks the row under `field` (`rows[3]`) and returns its prices in a canonical order
    /// (by minimum quantity, then start), so the same prices sent in another order are the
    /// same row and write nothing.
    pub fn validate(&self, field: &str, e: &mut ValidationErrors) -> Option<Vec<Price>> {
        let before = e.0.len();
        if self.prices.is_empty() || self.prices.len() > MAX_PRICES_PER_ROW {
            e.add(format!("{field}.prices"), msg::between(1, MAX_PRICES_PER_ROW));
        }
        for (i, price) in self.prices.iter().enumerate() {
            if !(0..=MAX_AMOUNT_MINOR).contains(&price.unit_price_minor) {
                e.add(format!("{field}.prices[{i}].unitPriceMinor"), msg::between(0, MAX_AMOUNT_MINOR));
            }
            if let (Some(from), Some(to)) = (price.valid_from, price.valid_to)
                && from > to
            {
                e.add(format!("{field}.prices[{i}].validTo"), msg::not_before_valid_from());
                continue;
            }
            // Between prices of the same quantity the one that started last applies: two that start
            // on the same day would leave the price to chance.
            if self.prices[..i].iter().any(|p| p.min_quantity == price.min_quantity && p.valid_from == price.valid_from)
            {
                e.add(format!("{field}.prices[{i}]"), msg::ambiguous_price());
            }
        }
        if e.0.len() > before {
            return None;
        }
        let mut prices = self.prices.clone();
        prices.sort_by_key(|p| (p.min_quantity, p.valid_from));
        Some(prices)
    }
}

/// A product's row as a version of the list has it. `since` is the version that wrote it; a
/// row removed in a version is kept as a tombstone (`removed`) so that readers of the version
/// before still find the row they priced from in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceRow {
    pub product: ProductCode,
    pub prices: Vec<Price>,
    pub since: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

impl PriceRow {
    /// The price of `quantity` on `day`: among the prices whose window holds the day and whose
    /// minimum the quantity reaches, the largest minimum; between equal minimums, the one that
    /// started last (an offer over the standing price).
    pub fn price_for(&self, quantity: Quantity, day: Date) -> Option<&Price> {
        if self.removed {
            return None;
        }
        self.prices
            .iter()
            .filter(|p| p.min_quantity <= quantity && p.holds_on(day))
            .max_by_key(|p| (p.min_quantity, p.valid_from))
    }
}

/// A price list's settings and where its versions stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceList {
    pub key: PriceListKey,
    pub name: String,
    /// ISO 4217: every price of the list is in it.
    pub currency: String,
    pub active: bool,
    /// The published version (0: nothing published yet).
    pub published_version: u32,
    /// Rows in the published version.
    pub rows: u64,
    /// A version being written and not yet published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<Draft>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// A version being written by one or more sync requests (or an import), published by the
/// last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Draft {
    pub version: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
}

/// `PUT /price-lists/{key}`: a list's settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceListInput {
    pub name: String,
    pub currency: String,
    /// Default: active.
    #[serde(default)]
    pub active: Option<bool>,
    /// Makes it the tenant's default list: the one priced from when an account has none, or
    /// its list lacks the product.
    #[serde(default)]
    pub default: bool,
}

/// The checked settings of a [`PriceListInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceListSettings {
    pub name: String,
    pub currency: String,
    pub active: bool,
    pub default: bool,
}

impl PriceListInput {
    /// `current` is the list as stored: its currency is fixed once a version is published, since
    /// every price of it is in that currency.
    pub fn validate(&self, current: Option<&PriceList>) -> Result<PriceListSettings, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = e.text("name", &self.name, NAME_MAX, false).unwrap_or_default();
        if iso_currency::Currency::from_code(&self.currency).is_none() {
            e.add("currency", msg::currency_code());
        } else if current.is_some_and(|c| c.published_version > 0 && c.currency != self.currency) {
            e.add("currency", msg::fixed_once_priced());
        }
        let active = self.active.unwrap_or(true);
        if self.default && !active {
            e.add("default", msg::default_must_be_active());
        }
        e.finish()?;
        Ok(PriceListSettings { name, currency: self.currency.clone(), active, default: self.default })
    }
}

/// `POST /price-lists/{key}/prices`: rows to add or change and products to take out, as part
/// of the next version.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceSync {
    /// The draft version this request continues (as a previous request's answer named it);
    /// absent, a new draft is opened after the published version.
    #[serde(default)]
    pub version: Option<u32>,
    #[serde(default)]
    pub rows: Vec<PriceRowInput>,
    #[serde(default)]
    pub remove: Vec<ProductCode>,
    /// Publishes the draft with this request (default); `false` leaves it open for more.
    #[serde(default = "yes")]
    pub publish: bool,
}

fn yes() -> bool {
    true
}

/// A published version's entry in the list's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceListVersion {
    pub number: u32,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    /// Rows in the list once published.
    pub rows: u64,
    pub published_at: Timestamp,
    pub published_by: UserId,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn price(min: i64, unit_price_minor: i64, from: Option<&str>, to: Option<&str>) -> Price {
        Price {
            min_quantity: Quantity::from_milli(min * QUANTITY_SCALE).unwrap(),
            unit_price_minor,
            valid_from: from.map(day),
            valid_to: to.map(day),
        }
    }

    fn row(prices: Vec<Price>) -> PriceRow {
        PriceRow { product: ProductCode::parse("TOR-1").unwrap(), prices, since: 1, removed: false }
    }

    fn quantity(units: i64) -> Quantity {
        Quantity::from_milli(units * QUANTITY_SCALE).unwrap()
    }

    #[test]
    fn the_largest_break_reached_wins_and_an_offer_beats_the_standing_price() {
        let row = row(vec![
            price(0, 1000, None, None),
            price(10, 900, None, None),
            price(100, 800, None, None),
            price(10, 850, Some("2026-12-01"), Some("2026-12-31")),
        ]);
        let unit = |q, d| row.price_for(quantity(q), day(d)).map(|p| p.unit_price_minor);
        assert_eq!(unit(1, "2026-11-15"), Some(1000));
        assert_eq!(unit(10, "2026-11-15"), Some(900));
        assert_eq!(unit(99, "2026-12-15"), Some(850), "the December offer");
        assert_eq!(unit(99, "2027-01-01"), Some(900), "the offer ended");
        assert_eq!(unit(100, "2026-12-15"), Some(800));
    }

    #[test]
    fn no_price_outside_every_window_nor_below_every_break_nor_once_removed() {
        let dated = row(vec![price(5, 700, Some("2027-01-01"), None)]);
        assert_eq!(dated.price_for(quantity(10), day("2026-12-31")), None);
        assert_eq!(dated.price_for(quantity(4), day("2027-01-02")), None);
        assert!(dated.price_for(quantity(5), day("2027-01-02")).is_some());
        let removed = PriceRow { removed: true, ..dated };
        assert_eq!(removed.price_for(quantity(5), day("2027-01-02")), None);
    }

    #[test]
    fn rows_are_refused_when_a_price_is_left_to_chance() {
        let mut e = ValidationErrors::new();
        let input = PriceRowInput {
            product: ProductCode::parse("TOR-1").unwrap(),
            prices: vec![
                price(0, 1000, Some("2026-12-01"), Some("2026-12-31")),
                price(0, 950, Some("2026-12-01"), None),
                price(0, -1, Some("2027-02-01"), Some("2027-01-01")),
            ],
        };
        assert_eq!(input.validate("rows[0]", &mut e), None);
        let fields: Vec<_> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["rows[0].prices[1]", "rows[0].prices[2].unitPriceMinor", "rows[0].prices[2].validTo"]);
    }

    #[test]
    fn the_same_prices_in_another_order_are_the_same_row() {
        let mut e = ValidationErrors::new();
        let product = ProductCode::parse("TOR-1").unwrap();
        let a = vec![price(10, 900, None, None), price(0, 1000, None, None)];
        let b = vec![price(0, 1000, None, None), price(10, 900, None, None)];
        let a = PriceRowInput { product: product.clone(), prices: a }.validate("rows[0]", &mut e);
        let b = PriceRowInput { product, prices: b }.validate("rows[1]", &mut e);
        assert_eq!(a, b);
        assert!(e.is_empty());
    }

    #[test]
    fn quantities_are_exact_thousandths() {
        let q: Quantity = serde_json::from_str("2.5").unwrap();
        assert_eq!(q.milli(), 2500);
        assert_eq!(serde_json::to_string(&q).unwrap(), "2.5");
        assert_eq!(serde_json::to_string(&Quantity::ONE).unwrap(), "1");
        assert!(serde_json::from_str::<Quantity>("0.0001").is_err());
        assert!(serde_json::from_str::<Quantity>("-1").is_err());
        assert_eq!(Quantity::parse("2,125").map(|q| q.to_string()), Some("2.125".into()));
        assert_eq!(Quantity::parse("12").map(|q| q.to_string()), Some("12".into()));
    }
}
