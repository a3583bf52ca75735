//! Pricing quote lines: which list a line is priced from, and what it costs there.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::price_list::{MAX_PRICED_LINES, PriceList, PriceRow, Quantity};
use super::product::Product;
use crate::ids::{EntityId, PriceListKey, ProductCode};
use crate::messages as msg;
use crate::validation::ValidationErrors;

/// `POST /pricing`: lines to price for an account (its list, then the tenant's default), or
/// from a list named outright, on a day (default: today).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PricingRequest {
    #[serde(default)]
    pub account_id: Option<EntityId>,
    #[serde(default)]
    pub price_list: Option<PriceListKey>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub date: Option<Date>,
    pub lines: Vec<PricingLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PricingLine {
    pub product: ProductCode,
    pub quantity: Quantity,
}

impl PricingRequest {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.lines.is_empty() || self.lines.len() > MAX_PRICED_LINES {
            e.add("lines", msg::between(1, MAX_PRICED_LINES));
        }
        for (i, line) in self.lines.iter().enumerate() {
            if line.quantity == Quantity::ZERO {
                e.add(format!("lines[{i}].quantity"), msg::more_than_zero());
            }
        }
        e.finish()
    }
}

/// The answer for one line: the product as the catalogue has it and its price, or why none.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PricedLine {
    pub product: ProductCode,
    pub quantity: Quantity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Hundredths of a percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_rate_bp: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<LinePrice>,
    /// Why the line has no price: `notInCatalogue`, `inactive` or `notInPriceList`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<PricingProblem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PricingProblem {
    NotInCatalogue,
    Inactive,
    NotInPriceList,
}

/// Where a line's price comes from and what it is. A quote keeps all of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinePrice {
    pub price_list: PriceListKey,
    /// The list's published version it was priced from.
    pub version: u32,
    pub currency: String,
    pub unit_price_minor: i64,
    /// The quantity break applied.
    pub min_quantity: Quantity,
    /// Before tax: quantity × unit price, rounded half up to the minor unit.
    pub net_minor: i64,
}

/// Quantity (thousandths) × unit price, rounded half up to the minor unit.
pub fn line_net_minor(quantity: Quantity, unit_price_minor: i64) -> i64 {
    let scale = i128::from(super::price_list::QUANTITY_SCALE);
    let product = i128::from(quantity.milli()) * i128::from(unit_price_minor);
    ((product + scale / 2) / scale).min(i128::from(i64::MAX)) as i64
}

/// Prices one line: from the first list (in order) whose row has a price for it.
pub fn price_line(
    line: &PricingLine,
    product: Option<&Product>,
    lists: &[(&PriceList, Option<&PriceRow>)],
    day: Date,
) -> PricedLine {
    let mut priced = PricedLine {
        product: line.product.clone(),
        quantity: line.quantity,
        name: product.map(|p| p.details.name.clone()),
        unit: product.map(|p| p.details.unit.clone()),
        tax_rate_bp: product.map(|p| p.details.tax_rate_bp),
        price: None,
        problem: None,
    };
    match product {
        None => priced.problem = Some(PricingProblem::NotInCatalogue),
        Some(p) if !p.details.active => priced.problem = Some(PricingProblem::Inactive),
        Some(_) => {
            let found = lists.iter().find_map(|(list, row)| {
                row.and_then(|row| row.price_for(line.quantity, day)).map(|price| LinePrice {
                    price_list: list.key.clone(),
                    version: list.published_version,
                    currency: list.currency.clone(),
                    unit_price_minor: price.unit_price_minor,
                    min_quantity: price.min_quantity,
                    net_minor: line_net_minor(line.quantity, price.unit_price_minor),
                })
            });
            priced.problem = found.is_none().then_some(PricingProblem::NotInPriceList);
            priced.price = found;
        }
    }
    priced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_amounts_round_half_up_to_the_minor_unit() {
        let q = |milli| Quantity::from_milli(milli).unwrap();
        assert_eq!(line_net_minor(q(2500), 1999), 4998); // 4997.5 → 4998
        assert_eq!(line_net_minor(q(1), 499), 0); // 0.499 → 0
        assert_eq!(line_net_minor(q(1), 500), 1); // 0.5 → 1
        assert_eq!(line_net_minor(q(3000), 1000), 3000);
    }
}
