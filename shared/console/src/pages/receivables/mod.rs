//! An account's receivables on its customer file: what it owes by age and currency, its credit
//! left, and its open invoices.

use gestiona_domain::format;
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::receivables::{AgingTotals, InvoiceStatus, InvoiceView};
use gestiona_domain::service::receivables::AccountAging;

use super::Chrome;

/// One currency's balance by age, as words.
pub struct AgingLine {
    pub currency: String,
    pub current: String,
    pub days_1_to_30: String,
    pub days_31_to_60: String,
    pub days_61_to_90: String,
    pub over_90: String,
    pub total: String,
}

pub struct InvoiceLine {
    pub number: String,
    pub issued: String,
    pub due: String,
    pub total: String,
    pub balance: String,
    pub status: String,
    pub late: bool,
}

pub struct Receivables {
    pub lines: Vec<AgingLine>,
    pub invoices: Vec<InvoiceLine>,
    /// Credit left (negative over the limit), when the account has a limit.
    pub credit_left: Option<String>,
    pub over_limit: bool,
}

impl Receivables {
    pub fn of(aging: &AccountAging, chrome: &Chrome) -> Self {
        let locale = chrome.locale;
        let money = |currency: &str, minor: i64| {
            format::money(&Money { amount_minor: minor, currency: currency.to_owned() }, locale)
        };
        let lines = aging
            .totals
            .iter()
            .map(|t: &AgingTotals| AgingLine {
                currency: t.currency.clone(),
                current: money(&t.currency, t.current),
                days_1_to_30: money(&t.currency, t.days_1_to_30),
                days_31_to_60: money(&t.currency, t.days_31_to_60),
                days_61_to_90: money(&t.currency, t.days_61_to_90),
                over_90: money(&t.currency, t.over_90),
                total: money(&t.currency, t.total),
            })
            .collect();
        let invoices = aging
            .invoices
            .iter()
            .map(|view: &InvoiceView| {
                let invoice = &view.invoice;
                let status = match view.status {
                    InvoiceStatus::Open => msg::ui_invoice_open(),
                    InvoiceStatus::PartiallyPaid => msg::ui_invoice_partially_paid(),
                    InvoiceStatus::Overdue => msg::ui_invoice_overdue(view.days_past_due.unwrap_or_default()),
                    InvoiceStatus::Paid => msg::ui_invoice_paid(),
                    InvoiceStatus::WrittenOff => msg::ui_invoice_written_off(),
                };
                InvoiceLine {
                    number: invoice.number.to_string(),
                    issued: format::date(invoice.issued_on, locale),
                    due: format::date(invoice.due_on, locale),
                    total: money(&invoice.currency, invoice.total_minor),
                    balance: money(&invoice.currency, view.balance_minor),
                    status: chrome.t(status),
                    late: view.status == InvoiceStatus::Overdue,
                }
            })
            .collect();
        let currency =
            aging.profile.credit_currency.clone().or_else(|| aging.totals.first().map(|t| t.currency.clone()));
        let credit_left = aging.available_credit_minor.zip(currency).map(|(minor, currency)| money(&currency, minor));
        Self { lines, invoices, credit_left, over_limit: aging.over_limit }
    }
}
