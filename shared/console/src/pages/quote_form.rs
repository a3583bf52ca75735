//! The quote editor's form as typed: its lines as rows of text, read into a quote's input
//! (every figure in the staff member's own convention), and the preview of what it comes to.

use gestiona_domain::ids::{EntityId, ProductCode};
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::sales::Quote;
use gestiona_domain::sales::price_list::Quantity;
use gestiona_domain::sales::quote::{QuoteInput, QuoteLine, QuoteLineInput, QuoteTotals};
use gestiona_domain::{Locale, Message};
use lambda_http::Request;

use super::Chrome;
use super::input::parse_amount;
use crate::session::{form_value, form_values};

/// Blank rows the editor offers below the lines typed.
pub const BLANK_ROWS: usize = 3;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineDraft {
    pub product: String,
    pub description: String,
    pub quantity: String,
    pub price: String,
    pub discount: String,
    pub tax: String,
}

impl LineDraft {
    fn is_blank(&self) -> bool {
        [&self.product, &self.description, &self.quantity, &self.price, &self.discount, &self.tax]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteDraft {
    pub account: String,
    /// The opportunity the quote is for, if any.
    pub opportunity: String,
    pub currency: String,
    pub valid_until: String,
    pub notes: String,
    pub lines: Vec<LineDraft>,
}

/// A figure with `decimals` decimals as the reader writes it (`12,5` / `12.5`).
fn figure(value: i64, decimals: u32, locale: Locale) -> String {
    let scale = 10i64.pow(decimals);
    let (whole, fraction) = (value / scale, value % scale);
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = format!("{fraction:0width$}", width = decimals as usize);
    let mark = if locale == Locale::Es { ',' } else { '.' };
    format!("{whole}{mark}{}", digits.trim_end_matches('0'))
}

fn exponent(currency: &str) -> u32 {
    gestiona_domain::format::exponent(currency)
}

impl QuoteDraft {
    /// The form as sent, with its blank rows dropped.
    pub fn of(request: &Request) -> Self {
        let field = |name: &str| form_value(request, name).map(|v| v.trim().to_owned()).unwrap_or_default();
        let column = |name: &str| form_values(request, name);
        let (products, descriptions, quantities) = (column("product"), column("description"), column("quantity"));
        let (prices, discounts, taxes) = (column("price"), column("discount"), column("tax"));
        let at = |values: &[String], i: usize| values.get(i).map(|v| v.trim().to_owned()).unwrap_or_default();
        let lines = (0..products.len().max(descriptions.len()))
            .map(|i| LineDraft {
                product: at(&products, i).to_uppercase(),
                description: at(&descriptions, i),
                quantity: at(&quantities, i),
                price: at(&prices, i),
                discount: at(&discounts, i),
                tax: at(&taxes, i),
            })
            .filter(|line| !line.is_blank())
            .collect();
        QuoteDraft {
            account: field("account"),
            opportunity: field("opportunity"),
            currency: field("currency").to_uppercase(),
            valid_until: field("valid_until"),
            notes: form_value(request, "notes").unwrap_or_default(),
            lines,
        }
    }

    /// A stored quote as its editor shows it.
    pub fn of_quote(quote: &Quote, locale: Locale) -> Self {
        let decimals = exponent(&quote.currency);
        QuoteDraft {
            account: quote.account_id.to_string(),
            opportunity: quote.opportunity_id.map(|o| o.to_string()).unwrap_or_default(),
            currency: quote.currency.clone(),
            valid_until: quote.valid_until.to_string(),
            notes: quote.notes.clone().unwrap_or_default(),
            lines: quote
                .lines
                .iter()
                .map(|l| LineDraft {
                    product: l.product.as_ref().map(ToString::to_string).unwrap_or_default(),
                    description: l.description.clone(),
                    quantity: figure(l.quantity.milli(), 3, locale),
                    // A price from a list is left for the list to give again; a typed one is kept.
                    price: if l.price_list.is_none() {
                        figure(l.unit_price_minor, decimals, locale)
                    } else {
                        String::new()
                    },
                    discount: if l.discount_bp == 0 {
                        String::new()
                    } else {
                        figure(i64::from(l.discount_bp), 2, locale)
                    },
                    tax: figure(i64::from(l.tax_rate_bp), 2, locale),
                })
                .collect(),
        }
    }

    /// The rows the editor shows: the lines, then `blank` empty ones.
    pub fn rows(&self, blank: usize) -> Vec<LineDraft> {
        let mut rows = self.lines.clone();
        rows.extend(std::iter::repeat_n(LineDraft::default(), blank));
        rows
    }

    /// The input the draft says, or the fields it cannot be read for (by their API names, so
    /// the use case's errors and these land on the same inputs).
    pub fn input(&self) -> Result<QuoteInput, Vec<(String, Message)>> {
        let mut errors = Vec::new();
        let account = EntityId::parse(&self.account).ok();
        if account.is_none() {
            errors.push(("accountId".to_owned(), msg::no_such_account()));
        }
        let opportunity = match self.opportunity.as_str() {
            "" => None,
            text => {
                let parsed = EntityId::parse(text).ok();
                if parsed.is_none() {
                    errors.push(("opportunityId".to_owned(), msg::no_such_opportunity_of_account()));
                }
                parsed
            }
        };
        let currency = Some(self.currency.clone()).filter(|c| !c.is_empty());
        let decimals = exponent(currency.as_deref().unwrap_or("CRC"));
        let valid_until = match self.valid_until.as_str() {
            "" => None,
            text => match text.parse() {
                Ok(date) => Some(date),
                Err(_) => {
                    errors.push(("validUntil".to_owned(), msg::date_format()));
                    None
                }
            },
        };
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, line) in self.lines.iter().enumerate() {
            let mut bad = |name: &str, reason: Message| errors.push((format!("lines[{i}].{name}"), reason));
            let product = match line.product.as_str() {
                "" => None,
                code => match ProductCode::parse(code) {
                    Ok(code) => Some(code),
                    Err(e) => {
                        bad("product", e.into());
                        None
                    }
                },
            };
            let quantity = match line.quantity.as_str() {
                "" => Some(Quantity::ONE),
                text => parse_amount(text, 3).and_then(Quantity::from_milli),
            };
            if quantity.is_none() {
                bad("quantity", msg::ui_quantity_format());
            }
            let price = match line.price.as_str() {
                "" => None,
                text => {
                    let parsed = parse_amount(text, decimals);
                    if parsed.is_none() {
                        bad("unitPriceMinor", msg::ui_amount_format());
                    }
                    parsed
                }
            };
            let percent = |text: &str, name: &str, bad: &mut dyn FnMut(&str, Message)| match text {
                "" => None,
                text => {
                    let parsed = parse_amount(text, 2).and_then(|bp| u16::try_from(bp).ok()).filter(|bp| *bp <= 10_000);
                    if parsed.is_none() {
                        bad(name, msg::ui_percent_format());
                    }
                    parsed
                }
            };
            let discount = percent(&line.discount, "discountBp", &mut bad);
            let tax = percent(&line.tax, "taxRateBp", &mut bad);
            lines.push(QuoteLineInput {
                product,
                description: Some(line.description.clone()).filter(|d| !d.is_empty()),
                quantity: quantity.unwrap_or(Quantity::ONE),
                unit_price_minor: price,
                discount_bp: discount,
                tax_rate_bp: tax,
            });
        }
        if lines.is_empty() {
            errors.push(("lines".to_owned(), msg::ui_quote_needs_a_line()));
        }
        match (errors.is_empty(), account) {
            (true, Some(account_id)) => Ok(QuoteInput {
                account_id,
                contact_id: None,
                opportunity_id: opportunity,
                currency,
                price_list: None,
                valid_until,
                notes: Some(self.notes.clone()).filter(|n| !n.trim().is_empty()),
                lines,
            }),
            _ => Err(errors),
        }
    }
}

/// One line of a preview or a quote, in words.
pub struct LineView {
    pub product: String,
    pub description: String,
    pub quantity: String,
    pub unit: String,
    pub unit_price: String,
    pub discount: String,
    pub tax: String,
    pub net: String,
    pub total: String,
    /// `Lista general v3`, or empty for a typed price.
    pub source: String,
}

/// A quote's lines and totals, in words.
pub struct AmountsView {
    pub lines: Vec<LineView>,
    pub gross: String,
    pub discount: String,
    pub net: String,
    /// `(rate, base, tax)`.
    pub taxes: Vec<(String, String, String)>,
    pub total: String,
}

impl AmountsView {
    pub fn of(currency: &str, lines: &[QuoteLine], totals: &QuoteTotals, chrome: &Chrome) -> Self {
        let money = |amount_minor: i64| {
            gestiona_domain::format::money(&Money { amount_minor, currency: currency.to_owned() }, chrome.locale)
        };
        let percent = |bp: u16| gestiona_domain::format::percent(u32::from(bp), chrome.locale);
        AmountsView {
            lines: lines
                .iter()
                .map(|l| LineView {
                    product: l.product.as_ref().map(ToString::to_string).unwrap_or_default(),
                    description: l.description.clone(),
                    quantity: figure(l.quantity.milli(), 3, chrome.locale),
                    unit: l.unit.clone(),
                    unit_price: money(l.unit_price_minor),
                    discount: if l.discount_bp == 0 { String::new() } else { percent(l.discount_bp) },
                    tax: percent(l.tax_rate_bp),
                    net: money(l.amounts.net_minor),
                    total: money(l.amounts.total_minor),
                    source: match (&l.price_list, l.price_list_version) {
                        (Some(list), Some(version)) => format!("{list} v{version}"),
                        _ => String::new(),
                    },
                })
                .collect(),
            gross: money(totals.gross_minor),
            discount: money(totals.discount_minor),
            net: money(totals.net_minor),
            taxes: totals.taxes.iter().map(|t| (percent(t.rate_bp), money(t.base_minor), money(t.tax_minor))).collect(),
            total: money(totals.total_minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_typed_and_shown_in_the_readers_convention() {
        assert_eq!(figure(2500, 3, Locale::Es), "2,5");
        assert_eq!(figure(2500, 3, Locale::En), "2.5");
        assert_eq!(figure(12_000, 3, Locale::Es), "12");
        assert_eq!(figure(1250, 2, Locale::Es), "12,5");
        let draft = QuoteDraft {
            account: "01JQ8Z5X3D4K6M7N8P9R0S1T2V".into(),
            opportunity: String::new(),
            currency: "CRC".into(),
            valid_until: String::new(),
            notes: String::new(),
            lines: vec![LineDraft {
                product: String::new(),
                description: "Instalación".into(),
                quantity: "1.250".into(),
                price: "4.500,50".into(),
                discount: "12,5".into(),
                tax: "13".into(),
            }],
        };
        let input = draft.input().unwrap();
        let line = &input.lines[0];
        assert_eq!(line.quantity.milli(), 1_250_000, "1.250 is a thousand two hundred and fifty");
        assert_eq!(
            (line.unit_price_minor, line.discount_bp, line.tax_rate_bp),
            (Some(450_050), Some(1250), Some(1300))
        );
    }
}
