//! Quotes [cotizaciones]: lines from the catalogue priced from the account's list, or typed by
//! hand; a discount and a tax rate per line; totals in the quote's currency; a validity date;
//! revisions; sent, then accepted or rejected with a reason.
//!
//! Amounts are integer minor units of the quote's currency. Each line is rounded once, half up:
//! its amount (quantity × unit price), its discount, and its tax on what is left; the totals are
//! sums of rounded lines, so the lines always add up to the total a customer checks by hand.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::price_list::Quantity;
use super::pricing::line_net_minor;
use crate::ids::{EntityId, PriceListKey, ProductCode, UserId};
use crate::messages as msg;
use crate::money::MAX_AMOUNT_MINOR;
use crate::validation::ValidationErrors;

pub const MAX_LINES: usize = 200;
pub const DESCRIPTION_MAX: usize = 500;
pub const NOTES_MAX: usize = 4000;
pub const REASON_MAX: usize = 500;
/// 100 % in hundredths of a percent.
const ALL_BP: i64 = 10_000;
/// How long a quote is valid when no date is given.
pub const DEFAULT_VALID_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum QuoteStatus {
    /// Being written; changed in place.
    Draft,
    /// Sent to the customer: a change makes the next revision.
    Sent,
    Accepted,
    Rejected,
}

impl QuoteStatus {
    pub fn is_decided(self) -> bool {
        matches!(self, QuoteStatus::Accepted | QuoteStatus::Rejected)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "draft",
            QuoteStatus::Sent => "sent",
            QuoteStatus::Accepted => "accepted",
            QuoteStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [QuoteStatus::Draft, QuoteStatus::Sent, QuoteStatus::Accepted, QuoteStatus::Rejected]
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

/// One line as the quote keeps it: what was sold, at what price from where, and its amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteLine {
    /// Absent on a line typed by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductCode>,
    pub description: String,
    pub quantity: Quantity,
    pub unit: String,
    pub unit_price_minor: i64,
    /// Hundredths of a percent off the line's amount.
    pub discount_bp: u16,
    /// Hundredths of a percent on the line's amount after its discount.
    pub tax_rate_bp: u16,
    /// The list and published version the price came from; absent when typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_list: Option<PriceListKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_list_version: Option<u32>,
    pub amounts: LineAmounts,
}

/// A line's amounts, each rounded half up to the minor unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineAmounts {
    /// Quantity × unit price.
    pub gross_minor: i64,
    pub discount_minor: i64,
    /// Gross less discount: the tax's base.
    pub net_minor: i64,
    pub tax_minor: i64,
    /// Net plus tax.
    pub total_minor: i64,
}

fn share(amount: i64, basis_points: u16) -> i64 {
    let product = i128::from(amount) * i128::from(basis_points);
    ((product + i128::from(ALL_BP) / 2) / i128::from(ALL_BP)) as i64
}

impl LineAmounts {
    pub fn of(quantity: Quantity, unit_price_minor: i64, discount_bp: u16, tax_rate_bp: u16) -> Self {
        let gross_minor = line_net_minor(quantity, unit_price_minor);
        let discount_minor = share(gross_minor, discount_bp);
        let net_minor = gross_minor - discount_minor;
        let tax_minor = share(net_minor, tax_rate_bp);
        LineAmounts { gross_minor, discount_minor, net_minor, tax_minor, total_minor: net_minor + tax_minor }
    }
}

/// The quote's totals: sums of its lines, and the tax by rate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteTotals {
    pub gross_minor: i64,
    pub discount_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// One per tax rate of the lines, lowest first.
    pub taxes: Vec<TaxLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaxLine {
    pub rate_bp: u16,
    /// The net of the lines at this rate.
    pub base_minor: i64,
    pub tax_minor: i64,
}

impl QuoteTotals {
    pub fn of(lines: &[QuoteLine]) -> Self {
        let mut totals = QuoteTotals::default();
        let mut taxes: std::collections::BTreeMap<u16, TaxLine> = std::collections::BTreeMap::new();
        for line in lines {
            let a = &line.amounts;
            totals.gross_minor += a.gross_minor;
            totals.discount_minor += a.discount_minor;
            totals.net_minor += a.net_minor;
            totals.tax_minor += a.tax_minor;
            totals.total_minor += a.total_minor;
            let tax = taxes.entry(line.tax_rate_bp).or_insert(TaxLine {
                rate_bp: line.tax_rate_bp,
                base_minor: 0,
                tax_minor: 0,
            });
            tax.base_minor += a.net_minor;
            tax.tax_minor += a.tax_minor;
        }
        totals.taxes = taxes.into_values().collect();
        totals
    }
}

/// How a quote was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Decision {
    pub accepted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: Timestamp,
    pub by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    pub id: EntityId,
    /// The number the customer sees (`COT-000042`), given once in creation order.
    pub number: String,
    /// 1 for the first; each change to a sent quote makes the next.
    pub revision: u32,
    pub status: QuoteStatus,
    pub account_id: EntityId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<EntityId>,
    /// ISO 4217: every amount of the quote is in it.
    pub currency: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_until: Date,
    pub lines: Vec<QuoteLine>,
    pub totals: QuoteTotals,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub owner: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// The order an accepted quote became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<EntityId>,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

impl Quote {
    /// Past its validity date and not decided: it can no longer be accepted as it is.
    pub fn is_expired(&self, today: Date) -> bool {
        !self.status.is_decided() && self.valid_until < today
    }
}

/// A line as sent: a product of the catalogue (priced from the lists unless a price is given)
/// or a line typed by hand (a description and a price).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteLineInput {
    #[serde(default)]
    pub product: Option<ProductCode>,
    /// Default: the product's name. Required on a typed line.
    #[serde(default)]
    pub description: Option<String>,
    pub quantity: Quantity,
    /// Default: the product's price in the account's list. Required on a typed line.
    #[serde(default)]
    pub unit_price_minor: Option<i64>,
    /// Hundredths of a percent; default 0.
    #[serde(default)]
    pub discount_bp: Option<u16>,
    /// Hundredths of a percent; default: the product's rate, 0 on a typed line.
    #[serde(default)]
    pub tax_rate_bp: Option<u16>,
}

/// `POST /quotes` and `PUT /quotes/{id}`: the quote as its author writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteInput {
    pub account_id: EntityId,
    #[serde(default)]
    pub contact_id: Option<EntityId>,
    #[serde(default)]
    pub opportunity_id: Option<EntityId>,
    /// Default: the currency of the list the lines are priced from.
    #[serde(default)]
    pub currency: Option<String>,
    /// Price from this list instead of the account's.
    #[serde(default)]
    pub price_list: Option<PriceListKey>,
    /// Default: 30 days from today.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_until: Option<Date>,
    #[serde(default)]
    pub notes: Option<String>,
    pub lines: Vec<QuoteLineInput>,
}

impl QuoteInput {
    /// The checks that need nothing stored: sizes, rates and texts, every problem at once.
    pub fn check(&self, today: Date, e: &mut ValidationErrors) {
        if self.lines.is_empty() || self.lines.len() > MAX_LINES {
            e.add("lines", msg::between(1, MAX_LINES));
        }
        if let Some(currency) = &self.currency
            && iso_currency::Currency::from_code(currency).is_none()
        {
            e.add("currency", msg::currency_code());
        }
        if self.valid_until.is_some_and(|d| d < today) {
            e.add("validUntil", msg::not_before(today.to_string()));
        }
        e.optional_text("notes", self.notes.as_deref(), NOTES_MAX, true);
        for (i, line) in self.lines.iter().enumerate() {
            let field = |name: &str| format!("lines[{i}].{name}");
            if line.quantity == Quantity::ZERO {
                e.add(field("quantity"), msg::more_than_zero());
            }
            if line.unit_price_minor.is_some_and(|p| !(0..=MAX_AMOUNT_MINOR).contains(&p)) {
                e.add(field("unitPriceMinor"), msg::between(0, MAX_AMOUNT_MINOR));
            }
            if line.discount_bp.is_some_and(|d| i64::from(d) > ALL_BP) {
                e.add(field("discountBp"), msg::between(0, ALL_BP));
            }
            if line.tax_rate_bp.is_some_and(|t| i64::from(t) > ALL_BP) {
                e.add(field("taxRateBp"), msg::between(0, ALL_BP));
            }
            if line.product.is_none() {
                if line.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
                    e.add(field("description"), msg::required_without_product());
                }
                if line.unit_price_minor.is_none() {
                    e.add(field("unitPriceMinor"), msg::required_without_product());
                }
            }
            e.optional_text(&field("description"), line.description.as_deref(), DESCRIPTION_MAX, true);
        }
    }
}

/// `POST /quotes/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionInput {
    pub accepted: bool,
    /// Required when rejected: why [motivo de rechazo].
    #[serde(default)]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(units: i64) -> Quantity {
        Quantity::from_milli(units * 1000).unwrap()
    }

    fn line(quantity: Quantity, price: i64, discount_bp: u16, tax_rate_bp: u16) -> QuoteLine {
        QuoteLine {
            product: None,
            description: "Línea".into(),
            quantity,
            unit: "unidad".into(),
            unit_price_minor: price,
            discount_bp,
            tax_rate_bp,
            price_list: None,
            price_list_version: None,
            amounts: LineAmounts::of(quantity, price, discount_bp, tax_rate_bp),
        }
    }

    #[test]
    fn each_line_rounds_once_half_up_and_the_totals_are_its_sums() {
        // 3 × ₡333,33 = ₡999,99; 10 % off = 100,00 (99,999 → 100,00); 13 % of 899,99 = 117,00 (116,9987).
        let a = LineAmounts::of(q(3), 33_333, 1000, 1300);
        assert_eq!((a.gross_minor, a.discount_minor, a.net_minor, a.tax_minor), (99_999, 10_000, 89_999, 11_700));
        assert_eq!(a.total_minor, 101_699);
        let lines = [
            line(q(3), 33_333, 1000, 1300),
            line(Quantity::from_milli(2500).unwrap(), 1999, 0, 0),
            line(q(1), 5000, 0, 1300),
        ];
        let totals = QuoteTotals::of(&lines);
        assert_eq!(totals.net_minor, 89_999 + 4998 + 5000);
        assert_eq!(totals.tax_minor, 11_700 + 650);
        assert_eq!(totals.total_minor, lines.iter().map(|l| l.amounts.total_minor).sum::<i64>());
        let rates: Vec<_> = totals.taxes.iter().map(|t| (t.rate_bp, t.base_minor, t.tax_minor)).collect();
        assert_eq!(rates, [(0, 4998, 0), (1300, 94_999, 12_350)]);
    }

    #[test]
    fn a_typed_line_needs_its_description_and_price() {
        let input: QuoteInput = serde_json::from_value(serde_json::json!({
            "accountId": "01JQ8Z5X3D4K6M7N8P9R0S1T2V",
            "lines": [{"quantity": 1}, {"product": "TOR-1", "quantity": 0, "discountBp": 10001}]
        }))
        .unwrap();
        let mut e = ValidationErrors::new();
        input.check(jiff::civil::date(2026, 12, 1), &mut e);
        let fields: Vec<_> = e.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["lines[0].description", "lines[0].unitPriceMinor", "lines[1].quantity", "lines[1].discountBp"]
        );
    }

    #[test]
    fn a_quote_expires_after_its_date_unless_decided() {
        let at = Timestamp::UNIX_EPOCH;
        let user = UserId::parse("ana").unwrap();
        let mut quote = Quote {
            id: EntityId::from_ulid(ulid::Ulid(1)),
            number: "COT-000001".into(),
            revision: 1,
            status: QuoteStatus::Sent,
            account_id: EntityId::from_ulid(ulid::Ulid(2)),
            contact_id: None,
            opportunity_id: None,
            currency: "CRC".into(),
            valid_until: jiff::civil::date(2026, 12, 31),
            lines: Vec::new(),
            totals: QuoteTotals::default(),
            notes: None,
            owner: user.clone(),
            sent_at: None,
            decision: None,
            order_id: None,
            created_at: at,
            created_by: user.clone(),
            updated_at: at,
            updated_by: user,
        };
        assert!(!quote.is_expired(jiff::civil::date(2026, 12, 31)), "valid through its last day");
        assert!(quote.is_expired(jiff::civil::date(2027, 1, 1)));
        quote.status = QuoteStatus::Accepted;
        assert!(!quote.is_expired(jiff::civil::date(2027, 1, 1)), "a decided quote no longer expires");
        assert_eq!(QuoteStatus::parse("rejected"), Some(QuoteStatus::Rejected));
        assert_eq!(QuoteStatus::parse("lost"), None);
    }
}
