//! An invoice on *Cartera*: what it is and what is left, its payments and credit notes, the
//! collections data staff own (promised date, reminders stopped, agent), its history with every
//! reminder queued or skipped, and the forms that record a payment or write the balance off.
//!
//! The payment form carries an id minted when it was shown (or the bank's reference when the
//! user types one), so a double click or a retried post records the payment once. The other
//! forms carry the version they were shown at: a change made meanwhile is refused and shown.

use gestiona_domain::access_log::{AccessAction, RecordRef};
use std::collections::BTreeMap;

use askama::Template;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::messages as msg;
use gestiona_domain::receivables::{Invoice, InvoicePatch, InvoiceView, PaymentInput};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::receivables::{GetInvoiceError, InvoiceChangeError, InvoiceMovements};
use gestiona_domain::validation::ValidationErrors;
use gestiona_domain::{DocumentNumber, Message, UserId, format};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::history::entries;
use super::{amount, status_label, status_name};
use crate::pages::case::timeline::Entry;
use crate::pages::form::{Control, FieldInput};
use crate::pages::input::parse_amount;
use crate::pages::{Chrome, page};
use crate::session::SignedIn;
use crate::{Console, response};

/// The page's forms, by the name their posts carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Payment,
    Collections,
    WriteOff,
}

/// What the user's last post left on the page: a notice, or the form again with their values
/// and each error at its input.
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    alert: Option<String>,
    form: Option<Form>,
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
}

impl Outcome {
    fn notice(text: String) -> Self {
        Self { notice: Some(text), ..Default::default() }
    }

    /// The form again, with what went wrong.
    fn refused(form: Form, values: BTreeMap<String, String>, alert: Option<String>) -> Self {
        Self { alert, form: Some(form), values, ..Default::default() }
    }

    /// What the user typed in `form`'s input `name`, or `shown` when they did not post it.
    fn value(&self, form: Form, name: &str, shown: impl FnOnce() -> String) -> String {
        match (self.form, self.values.get(name)) {
            (Some(posted), Some(value)) if posted == form => value.clone(),
            // An unticked box is not posted at all.
            (Some(posted), None) if posted == form && name == "stopDunning" => String::new(),
            _ => shown(),
        }
    }
}

pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct MovementRow {
    pub number: String,
    pub date: String,
    pub amount: String,
    pub detail: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage {
    chrome: Chrome,
    number: String,
    account: (String, String),
    status: String,
    late: bool,
    facts: Vec<Fact>,
    version: u64,
    notice: Option<String>,
    alert: Option<String>,
    /// The payment form, while there is a balance to pay.
    payment: Option<Vec<FieldInput>>,
    payment_id: String,
    collections: Vec<FieldInput>,
    /// The write-off form, for supervisors while there is a balance.
    write_off: Option<Vec<FieldInput>>,
    payments: Vec<MovementRow>,
    credit_notes: Vec<MovementRow>,
    history: Vec<Entry>,
}

fn number_of(raw: &str) -> Option<DocumentNumber> {
    DocumentNumber::parse(raw).ok()
}

/// `GET /app/receivables/invoices/{number}`.
pub async fn show(console: &Console, signed_in: &SignedIn, number: &str) -> Response<Body> {
    let page = render(console, signed_in, number, StatusCode::OK, Outcome::default()).await;
    if page.status() == StatusCode::OK {
        console
            .services
            .log_access(&signed_in.actor, AccessAction::Read, Some(RecordRef::new("invoice", number)))
            .await;
    }
    page
}

async fn render(
    console: &Console,
    signed_in: &SignedIn,
    number: &str,
    status: StatusCode,
    outcome: Outcome,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "receivables");
    let locale = chrome.locale;
    let Some(number) = number_of(number) else { return response::not_found(locale) };
    let actor = signed_in.actor.clone();
    let everyone = PageRequest::new(Some(100), None).expect("a valid page size");
    let services = &console.services;
    let (invoice, movements, history, today, users) = tokio::join!(
        services.get_invoice(&actor, &number),
        services.invoice_movements(&actor, &number),
        services.invoice_history(&actor, &number),
        services.tenant_today(&actor.tenant),
        services.list_users(&actor, &everyone),
    );
    let read = || -> Result<_, GetInvoiceError> { Ok((invoice?, movements?, history?, today?)) };
    let (invoice, movements, history, today) = match read() {
        Ok(read) => read,
        Err(GetInvoiceError::NotFound) => return response::not_found(locale),
        Err(GetInvoiceError::Store(error)) => {
            tracing::error!(%error, "the invoice could not be read");
            return response::unavailable(locale);
        }
    };
    let users = match users {
        Ok(users) => users,
        Err(error) => {
            tracing::error!(?error, "the users could not be listed");
            return response::unavailable(locale);
        }
    };
    let account_id = invoice.value.account_id;
    let account_name = match services.account_names(&actor, [account_id]).await {
        Ok(names) => names.get(&account_id).cloned().unwrap_or_else(|| account_id.to_string()),
        Err(error) => {
            tracing::error!(%error, "the invoice's account could not be read");
            return response::unavailable(locale);
        }
    };
    let view = invoice.value.view(today);
    let users: Vec<(String, String)> =
        users.items.into_iter().map(|u| (u.value.id.to_string(), u.value.name)).collect();
    let open = invoice.value.is_open();
    let page_data = InvoicePage {
        number: number.to_string(),
        account: (account_id.to_string(), account_name),
        status: chrome.t(status_label(&view)),
        late: view.days_past_due.is_some_and(|d| d > 0),
        facts: facts(&view, &users, &chrome),
        version: invoice.version,
        payment: (open && actor.allows(Permission::new(Module::Receivables, Operation::Create)))
            .then(|| payment_inputs(&outcome, today, &chrome)),
        payment_id: outcome.values.get("paymentId").cloned().unwrap_or_else(|| console.services.new_id().to_string()),
        collections: collections_inputs(&invoice.value, &outcome, users, &chrome),
        write_off: (open && actor.allows(Permission::new(Module::Receivables, Operation::Archive)))
            .then(|| write_off_inputs(&outcome, &chrome)),
        payments: payment_rows(&movements, &chrome),
        credit_notes: credit_note_rows(&movements, &chrome),
        history: entries(&history, &invoice.value.currency, &chrome),
        notice: outcome.notice,
        alert: outcome.alert,
        chrome,
    };
    page(status, &page_data)
}

/// The invoice's figures and collections data, as a definition list.
fn facts(view: &InvoiceView, users: &[(String, String)], chrome: &Chrome) -> Vec<Fact> {
    let invoice = &view.invoice;
    let locale = chrome.locale;
    let money = |minor: i64| amount(&invoice.currency, minor, locale);
    let mut facts = vec![
        (msg::ui_issued(), format::date(invoice.issued_on, locale)),
        (msg::ui_due(), format::date(invoice.due_on, locale)),
        (msg::ui_total(), money(invoice.total_minor)),
        (msg::ui_paid_so_far(), money(invoice.paid_minor)),
        (msg::ui_credited(), money(invoice.credited_minor)),
        (msg::ui_balance(), money(view.balance_minor)),
    ];
    if let Some(days) = view.days_past_due.filter(|d| *d > 0) {
        facts.push((msg::ui_days_late(), days.to_string()));
    }
    if let Some(description) = &invoice.description {
        facts.push((msg::ui_description(), description.clone()));
    }
    if let Some(promised) = invoice.promised_on {
        facts.push((msg::ui_promised_on(), format::date(promised, locale)));
    }
    if invoice.stop_dunning {
        facts.push((msg::ui_reminders_stopped(), chrome.t(msg::ui_yes())));
    }
    if let Some(agent) = &invoice.collections_agent {
        let name = users.iter().find(|(id, _)| id == agent.as_str()).map_or(agent.as_str(), |(_, n)| n.as_str());
        facts.push((msg::ui_collections_agent(), name.to_owned()));
    }
    if let Some(off) = &invoice.written_off {
        let text = msg::ui_written_off_by(money(off.amount_minor), off.by.as_str(), off.reason.as_str());
        facts.push((msg::ui_invoice_written_off(), chrome.t(text)));
    }
    facts.into_iter().map(|(label, value)| Fact { label: chrome.t(label), value }).collect()
}

fn input(form: &str, name: &str, label: Message, control: Control, value: String, chrome: &Chrome) -> FieldInput {
    FieldInput {
        name: name.to_owned(),
        dom_id: format!("{form}-{name}"),
        label: chrome.t(label),
        control,
        value,
        options: Vec::new(),
        required: false,
        read_only: false,
        error: None,
    }
}

/// Each input's error from the last post of its form.
fn with_errors(mut inputs: Vec<FieldInput>, form: Form, outcome: &Outcome) -> Vec<FieldInput> {
    if outcome.form == Some(form) {
        for input in &mut inputs {
            input.error = outcome.errors.get(&input.name).cloned();
        }
    }
    inputs
}

fn payment_inputs(outcome: &Outcome, today: jiff::civil::Date, chrome: &Chrome) -> Vec<FieldInput> {
    let value = |name: &str, shown: fn() -> String| outcome.value(Form::Payment, name, shown);
    let today = today.to_string();
    let mut inputs = vec![
        input("payment", "amount", msg::ui_amount(), Control::Money, value("amount", String::new), chrome),
        input(
            "payment",
            "paidOn",
            msg::ui_paid_on(),
            Control::Date,
            outcome.value(Form::Payment, "paidOn", || today),
            chrome,
        ),
        input("payment", "method", msg::ui_payment_method(), Control::Text, value("method", String::new), chrome),
        input(
            "payment",
            "reference",
            msg::ui_payment_reference(),
            Control::Text,
            value("reference", String::new),
            chrome,
        ),
        input("payment", "note", msg::ui_note(), Control::LongText, value("note", String::new), chrome),
    ];
    inputs[0].required = true;
    inputs[1].required = true;
    with_errors(inputs, Form::Payment, outcome)
}

fn collections_inputs(
    invoice: &Invoice,
    outcome: &Outcome,
    users: Vec<(String, String)>,
    chrome: &Chrome,
) -> Vec<FieldInput> {
    let promised = || invoice.promised_on.map(|d| d.to_string()).unwrap_or_default();
    let stopped = || if invoice.stop_dunning { "true".to_owned() } else { String::new() };
    let agent = || invoice.collections_agent.as_ref().map(ToString::to_string).unwrap_or_default();
    let mut agent_input = input(
        "collections",
        "agent",
        msg::ui_collections_agent(),
        Control::Choice,
        outcome.value(Form::Collections, "agent", agent),
        chrome,
    );
    agent_input.options = users;
    let inputs = vec![
        input(
            "collections",
            "promisedOn",
            msg::ui_promised_on(),
            Control::Date,
            outcome.value(Form::Collections, "promisedOn", promised),
            chrome,
        ),
        agent_input,
        input(
            "collections",
            "stopDunning",
            msg::ui_stop_reminders(),
            Control::Checkbox,
            outcome.value(Form::Collections, "stopDunning", stopped),
            chrome,
        ),
    ];
    with_errors(inputs, Form::Collections, outcome)
}

fn write_off_inputs(outcome: &Outcome, chrome: &Chrome) -> Vec<FieldInput> {
    let reason = outcome.value(Form::WriteOff, "reason", String::new);
    let mut inputs = vec![input("writeoff", "reason", msg::ui_reason(), Control::LongText, reason, chrome)];
    inputs[0].required = true;
    with_errors(inputs, Form::WriteOff, outcome)
}

fn payment_rows(movements: &InvoiceMovements, chrome: &Chrome) -> Vec<MovementRow> {
    let locale = chrome.locale;
    movements
        .payments
        .iter()
        .map(|p| MovementRow {
            number: p.id.to_string(),
            date: format::date(p.input.paid_on, locale),
            amount: amount(&p.currency, p.input.amount_minor, locale),
            detail: [p.input.method.as_deref(), p.input.note.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            by: p.recorded_by.to_string(),
        })
        .collect()
}

fn credit_note_rows(movements: &InvoiceMovements, chrome: &Chrome) -> Vec<MovementRow> {
    let locale = chrome.locale;
    movements
        .credit_notes
        .iter()
        .map(|n| MovementRow {
            number: n.number.to_string(),
            date: format::date(n.input.issued_on, locale),
            amount: amount(&n.currency, n.input.amount_minor, locale),
            detail: n.input.reason.clone(),
            by: n.recorded_by.to_string(),
        })
        .collect()
}

fn posted(request: &Request) -> BTreeMap<String, String> {
    form_urlencoded::parse(request.body().as_ref()).map(|(n, v)| (n.into_owned(), v.trim().to_owned())).collect()
}

/// The input a domain error names.
fn input_of(field: &str) -> &str {
    match field {
        "amountMinor" => "amount",
        other => other,
    }
}

/// What a post leads to: the invoice page again with an outcome, or another answer.
enum Reply {
    Page(StatusCode, Outcome),
    Other(Response<Body>),
}

/// The outcome of a refused change: errors at their inputs, or what happened, in words.
fn refusal(form: Form, values: BTreeMap<String, String>, error: InvoiceChangeError, chrome: &Chrome) -> Reply {
    let alert = |status: StatusCode, text: Message| {
        Reply::Page(status, Outcome::refused(form, values.clone(), Some(chrome.t(text))))
    };
    match error {
        InvoiceChangeError::Invalid(errors) => {
            Reply::Page(StatusCode::UNPROCESSABLE_ENTITY, invalid(form, values, &errors, chrome))
        }
        InvoiceChangeError::NotFound => Reply::Other(response::not_found(chrome.locale)),
        InvoiceChangeError::Forbidden(f) => alert(StatusCode::FORBIDDEN, f.message()),
        InvoiceChangeError::Duplicate(reason) => alert(StatusCode::CONFLICT, reason),
        InvoiceChangeError::Closed(status) => {
            alert(StatusCode::CONFLICT, msg::ui_invoice_closed(chrome.t(status_name(status))))
        }
        InvoiceChangeError::Stale(_) => alert(StatusCode::CONFLICT, msg::ui_invoice_stale()),
        InvoiceChangeError::Busy => alert(StatusCode::SERVICE_UNAVAILABLE, msg::ui_busy()),
        InvoiceChangeError::Store(error) => {
            tracing::error!(%error, "an invoice change could not be saved");
            Reply::Other(response::unavailable(chrome.locale))
        }
    }
}

fn invalid(form: Form, values: BTreeMap<String, String>, errors: &ValidationErrors, chrome: &Chrome) -> Outcome {
    let mut outcome = Outcome::refused(form, values, None);
    for error in &errors.0 {
        outcome.errors.entry(input_of(&error.field).to_owned()).or_insert_with(|| chrome.t(error.reason.clone()));
    }
    outcome
}

/// Renders the outcome of a post on the invoice page.
async fn answer(console: &Console, signed_in: &SignedIn, number: &str, reply: Reply) -> Response<Body> {
    match reply {
        Reply::Page(status, outcome) => render(console, signed_in, number, status, outcome).await,
        Reply::Other(response) => response,
    }
}

/// `POST /app/receivables/invoices/{number}/payments`: records the payment once.
pub async fn record_payment(console: &Console, request: &Request, signed_in: &SignedIn, raw: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "receivables");
    let Some(number) = number_of(raw) else { return response::not_found(chrome.locale) };
    let values = posted(request);
    let text = |name: &str| values.get(name).filter(|v| !v.is_empty()).cloned();
    let typed_reference = text("reference");
    let Some(payment_id) = typed_reference.clone().or_else(|| text("paymentId")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let mut errors = ValidationErrors::new();
    let payment_id = match DocumentNumber::parse(&payment_id) {
        Ok(id) => Some(id),
        Err(e) => {
            errors.add(if typed_reference.is_some() { "reference" } else { "paymentId" }, e.into());
            None
        }
    };
    let invoice = match console.services.get_invoice(&signed_in.actor, &number).await {
        Ok(invoice) => invoice,
        Err(GetInvoiceError::NotFound) => return response::not_found(chrome.locale),
        Err(GetInvoiceError::Store(error)) => {
            tracing::error!(%error, "the invoice could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let currency = invoice.value.currency.clone();
    let amount_minor = match text("amount") {
        None => {
            errors.add("amount", msg::required());
            0
        }
        Some(typed) => parse_amount(&typed, format::exponent(&currency)).unwrap_or_else(|| {
            errors.add("amount", msg::ui_amount_format());
            0
        }),
    };
    let paid_on = match text("paidOn").map(|d| d.parse::<jiff::civil::Date>()) {
        Some(Ok(day)) => Some(day),
        Some(Err(_)) => {
            errors.add("paidOn", msg::date_format());
            None
        }
        None => {
            errors.add("paidOn", msg::required());
            None
        }
    };
    let (Some(payment_id), Some(paid_on), true) = (payment_id, paid_on, errors.is_empty()) else {
        let outcome = invalid(Form::Payment, values, &errors, &chrome);
        return render(console, signed_in, raw, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
    };
    let input = PaymentInput { amount_minor, paid_on, method: text("method"), note: text("note") };
    let result = match console.services.record_payment(&signed_in.actor, &number, &payment_id, input).await {
        Ok((saved, true)) => {
            let balance = amount(&currency, saved.value.balance_minor(), chrome.locale);
            Reply::Page(StatusCode::OK, Outcome::notice(chrome.t(msg::ui_payment_recorded(balance))))
        }
        Ok((_, false)) => Reply::Page(StatusCode::OK, Outcome::notice(chrome.t(msg::ui_payment_replayed()))),
        Err(error) => refusal(Form::Payment, values, error, &chrome),
    };
    answer(console, signed_in, raw, result).await
}

/// The version a form was shown at.
fn version_of(values: &BTreeMap<String, String>) -> Option<u64> {
    values.get("version").and_then(|v| v.parse().ok())
}

/// `POST /app/receivables/invoices/{number}/collections`: the promised date, reminders stopped
/// and the agent, at the version the form was shown at.
pub async fn save_collections(console: &Console, request: &Request, signed_in: &SignedIn, raw: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "receivables");
    let Some(number) = number_of(raw) else { return response::not_found(chrome.locale) };
    let values = posted(request);
    let Some(expected) = version_of(&values) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let mut errors = ValidationErrors::new();
    let text = |name: &str| values.get(name).filter(|v| !v.is_empty()).cloned();
    let promised_on = match text("promisedOn").map(|d| d.parse::<jiff::civil::Date>()) {
        Some(Ok(day)) => Some(day),
        Some(Err(_)) => {
            errors.add("promisedOn", msg::date_format());
            None
        }
        None => None,
    };
    let agent = match text("agent").map(|a| UserId::parse(&a)) {
        Some(Ok(agent)) => Some(agent),
        Some(Err(e)) => {
            errors.add("agent", e.into());
            None
        }
        None => None,
    };
    if !errors.is_empty() {
        let outcome = invalid(Form::Collections, values, &errors, &chrome);
        return render(console, signed_in, raw, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
    }
    let patch = InvoicePatch {
        promised_on: Some(promised_on),
        stop_dunning: Some(text("stopDunning").as_deref() == Some("true")),
        collections_agent: Some(agent),
    };
    let result = match console.services.patch_invoice(&signed_in.actor, &number, &patch, expected.into()).await {
        Ok(_) => Reply::Page(StatusCode::OK, Outcome::notice(chrome.t(msg::ui_saved()))),
        Err(error) => refusal(Form::Collections, values, error, &chrome),
    };
    answer(console, signed_in, raw, result).await
}

/// `POST /app/receivables/invoices/{number}/write-off` (supervisors).
pub async fn write_off(console: &Console, request: &Request, signed_in: &SignedIn, raw: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "receivables");
    let Some(number) = number_of(raw) else { return response::not_found(chrome.locale) };
    let values = posted(request);
    let Some(expected) = version_of(&values) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let reason = values.get("reason").cloned().unwrap_or_default();
    let result = match console.services.write_off_invoice(&signed_in.actor, &number, &reason, expected.into()).await {
        Ok(saved) => {
            let written = saved.value.written_off.as_ref().map_or(0, |w| w.amount_minor);
            let text = msg::ui_written_off_by(
                amount(&saved.value.currency, written, chrome.locale),
                signed_in.session.user.as_str(),
                reason.as_str(),
            );
            Reply::Page(StatusCode::OK, Outcome::notice(chrome.t(text)))
        }
        Err(error) => refusal(Form::WriteOff, values, error, &chrome),
    };
    answer(console, signed_in, raw, result).await
}
