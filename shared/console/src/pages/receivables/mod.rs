//! *Cartera*: receivables by age ([`list`]), an invoice with its payments, collections data and
//! reminder history ([`invoice`]), and an account's receivables on its customer file
//! ([`Receivables`]). The tables are shared: `aging_table.html` and `invoice_rows.html`.

mod history;
pub mod invoice;
pub mod list;

use std::collections::HashMap;

use gestiona_domain::format;
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::receivables::{AgingBucket, AgingTotals, InvoiceStatus, InvoiceView};
use gestiona_domain::service::receivables::AccountAging;
use gestiona_domain::{EntityId, Locale, Message};

use super::Chrome;

/// One row of an aging table: a currency (on the customer file) or an account or agent in
/// one currency (on *Cartera*).
pub struct AgingLine {
    pub label: String,
    /// The invoices the row adds up, when the page links them.
    pub href: Option<String>,
    /// Each bucket's amount and, when it is owed and the page links it, its invoices.
    pub buckets: Vec<(String, Option<String>)>,
    pub total: String,
}

/// An aging table: its rows, the totals at its foot, and what its first column holds.
pub struct AgingTable {
    pub first_column: String,
    pub lines: Vec<AgingLine>,
    pub totals: Vec<AgingLine>,
}

impl AgingLine {
    /// `link(bucket)` is the address of the row's invoices (of one bucket, or all with `None`).
    fn of(
        label: String,
        totals: &AgingTotals,
        locale: Locale,
        link: Option<&dyn Fn(Option<AgingBucket>) -> String>,
    ) -> Self {
        let money = |minor: i64| amount(&totals.currency, minor, locale);
        let buckets = AgingBucket::ALL
            .iter()
            .map(|b| {
                let owed = totals.bucket(*b);
                (money(owed), link.filter(|_| owed != 0).map(|l| l(Some(*b))))
            })
            .collect();
        Self { label, href: link.map(|l| l(None)), buckets, total: money(totals.total) }
    }
}

/// An amount in minor units, in the page's locale.
fn amount(currency: &str, minor: i64, locale: Locale) -> String {
    format::money(&Money { amount_minor: minor, currency: currency.to_owned() }, locale)
}

/// The API name of a bucket, as the list's `bucket` parameter takes it.
fn bucket_key(bucket: AgingBucket) -> String {
    serde_json::to_value(bucket).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn bucket_label(bucket: AgingBucket) -> Message {
    match bucket {
        AgingBucket::Current => msg::ui_aging_current(),
        AgingBucket::Days1To30 => msg::ui_aging_1_30(),
        AgingBucket::Days31To60 => msg::ui_aging_31_60(),
        AgingBucket::Days61To90 => msg::ui_aging_61_90(),
        AgingBucket::Over90 => msg::ui_aging_over_90(),
    }
}

/// A status in a word, as filters and refusals name it.
fn status_name(status: InvoiceStatus) -> Message {
    match status {
        InvoiceStatus::Open => msg::ui_invoice_open(),
        InvoiceStatus::PartiallyPaid => msg::ui_invoice_partially_paid(),
        InvoiceStatus::Overdue => msg::ui_overdue(),
        InvoiceStatus::Paid => msg::ui_invoice_paid(),
        InvoiceStatus::WrittenOff => msg::ui_invoice_written_off(),
    }
}

/// A status as an invoice's badge says it: overdue with its days.
fn status_label(view: &InvoiceView) -> Message {
    match view.status {
        InvoiceStatus::Overdue => msg::ui_invoice_overdue(view.days_past_due.unwrap_or_default()),
        other => status_name(other),
    }
}

/// One invoice in a table.
pub struct InvoiceLine {
    pub number: String,
    /// The account's id and name, when the table lists several accounts.
    pub account: Option<(String, String)>,
    pub issued: String,
    pub due: String,
    pub total: String,
    pub balance: String,
    pub status: String,
    pub late: bool,
    pub agent: String,
}

impl InvoiceLine {
    /// `names` holds the accounts' names when the table shows them.
    fn of(view: &InvoiceView, names: Option<&HashMap<EntityId, String>>, chrome: &Chrome) -> Self {
        let invoice = &view.invoice;
        let locale = chrome.locale;
        let account = names.map(|names| {
            let name = names.get(&invoice.account_id).cloned().unwrap_or_else(|| invoice.account_id.to_string());
            (invoice.account_id.to_string(), name)
        });
        Self {
            number: invoice.number.to_string(),
            account,
            issued: format::date(invoice.issued_on, locale),
            due: format::date(invoice.due_on, locale),
            total: amount(&invoice.currency, invoice.total_minor, locale),
            balance: amount(&invoice.currency, view.balance_minor, locale),
            status: chrome.t(status_label(view)),
            late: view.status == InvoiceStatus::Overdue,
            agent: invoice.collections_agent.as_ref().map(ToString::to_string).unwrap_or_default(),
        }
    }
}

/// An account's receivables on its customer file.
pub struct Receivables {
    pub aging: AgingTable,
    pub invoices: Vec<InvoiceLine>,
    /// Credit left (negative over the limit), when the account has a limit.
    pub credit_left: Option<String>,
    pub over_limit: bool,
    /// The account's invoices on *Cartera*, paid ones included.
    pub all_invoices: String,
}

impl Receivables {
    pub fn of(aging: &AccountAging, chrome: &Chrome) -> Self {
        let locale = chrome.locale;
        let account = aging.account_id;
        let link = move |bucket: Option<AgingBucket>| match bucket {
            Some(b) => format!("/app/receivables?account={account}&bucket={}", bucket_key(b)),
            None => format!("/app/receivables?account={account}&status=owed"),
        };
        let lines = aging.totals.iter().map(|t| AgingLine::of(t.currency.clone(), t, locale, Some(&link))).collect();
        let aging_table = AgingTable { first_column: chrome.t(msg::ui_currency()), lines, totals: Vec::new() };
        let invoices = aging.invoices.iter().map(|view| InvoiceLine::of(view, None, chrome)).collect();
        let currency =
            aging.profile.credit_currency.clone().or_else(|| aging.totals.first().map(|t| t.currency.clone()));
        let credit_left =
            aging.available_credit_minor.zip(currency).map(|(minor, currency)| amount(&currency, minor, locale));
        Self {
            aging: aging_table,
            invoices,
            credit_left,
            over_limit: aging.over_limit,
            all_invoices: format!("/app/receivables?account={account}"),
        }
    }
}
