//! Receivables [cartera]: invoices synchronised from the ERP, their payments and credit notes,
//! the aging of what is owed, and the dunning ladder [escalera de cobranza] that reminds
//! customers before and after the due date.
//!
//! Pure rules, no I/O: the service (`service::receivables`) stores them, the sweep applies the
//! ladder. Money is integer minor units of one currency per invoice. Days are calendar days
//! in the tenant's time zone.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::ids::{CaseTypeKey, DocumentNumber, EntityId, UserId};
use crate::messages as msg;
use crate::money::{MAX_AMOUNT_MINOR, Money};
use crate::validation::{ValidationErrors, nullable};

pub const DESCRIPTION_MAX: usize = 500;
pub const NOTE_MAX: usize = 500;
pub const MAX_LADDER_STEPS: usize = 12;
/// Earliest and latest offsets a step may have, in days from the due date.
pub const OFFSET_RANGE: std::ops::RangeInclusive<i32> = -60..=365;
/// Dates outside these years are typing mistakes, not invoices.
const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

// ---------------------------------------------------------------- invoices

/// An invoice [factura] as Gestiona keeps it: what the ERP sent, plus what was paid, credited
/// or written off, and the collections fields staff set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    pub number: DocumentNumber,
    pub account_id: EntityId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<EntityId>,
    /// ISO 4217 code of every amount on the invoice.
    pub currency: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub issued_on: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub due_on: Date,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub credited_minor: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The date the customer promised to pay [fecha que pagará]; reminders wait until after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub promised_on: Option<Date>,
    /// No more reminders for this invoice (a dispute, a payment plan).
    #[serde(default)]
    pub stop_dunning: bool,
    /// Overrides the account's collections agent [asesor de cartera].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections_agent: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_off: Option<WriteOff>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub last_paid_on: Option<Date>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WriteOff {
    pub reason: String,
    /// The balance written off.
    pub amount_minor: i64,
    pub at: Timestamp,
    pub by: UserId,
}

/// Derived, never stored: it depends on the day it is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InvoiceStatus {
    Open,
    PartiallyPaid,
    Overdue,
    Paid,
    WrittenOff,
}

impl InvoiceStatus {
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

impl Invoice {
    /// What is still owed.
    pub fn balance_minor(&self) -> i64 {
        self.total_minor - self.paid_minor - self.credited_minor
    }

    pub fn balance(&self) -> Money {
        Money { amount_minor: self.balance_minor(), currency: self.currency.clone() }
    }

    /// Owed and collectable: a balance, not written off.
    pub fn is_open(&self) -> bool {
        self.balance_minor() > 0 && self.written_off.is_none()
    }

    /// Days past the due date on `today` (negative before it).
    pub fn days_past_due(&self, today: Date) -> i64 {
        days_between(self.due_on, today)
    }

    pub fn status(&self, today: Date) -> InvoiceStatus {
        if self.written_off.is_some() {
            InvoiceStatus::WrittenOff
        } else if self.balance_minor() <= 0 {
            InvoiceStatus::Paid
        } else if today > self.due_on {
            InvoiceStatus::Overdue
        } else if self.paid_minor + self.credited_minor > 0 {
            InvoiceStatus::PartiallyPaid
        } else {
            InvoiceStatus::Open
        }
    }

    /// The view the API returns: the record plus what depends on `today`.
    pub fn view(&self, today: Date) -> InvoiceView {
        InvoiceView {
            invoice: self.clone(),
            balance_minor: self.balance_minor(),
            status: self.status(today),
            days_past_due: if self.is_open() { Some(self.days_past_due(today)) } else { None },
            aging_bucket: if self.is_open() { Some(AgingBucket::of(self.days_past_due(today))) } else { None },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceView {
    #[serde(flatten)]
    pub invoice: Invoice,
    pub balance_minor: i64,
    pub status: InvoiceStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_past_due: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aging_bucket: Option<AgingBucket>,
}

/// `PUT /invoices/{number}`: the invoice as the ERP knows it. Sending it again changes nothing.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceInput {
    pub account_id: EntityId,
    #[serde(default)]
    pub contact_id: Option<EntityId>,
    pub currency: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub issued_on: Date,
    /// Defaults to the issue date plus the account's days of credit.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub due_on: Option<Date>,
    pub total_minor: i64,
    #[serde(default)]
    pub description: Option<String>,
}

/// The checked fields of an [`InvoiceInput`], with the due date resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceFields {
    pub account_id: EntityId,
    pub contact_id: Option<EntityId>,
    pub currency: String,
    pub issued_on: Date,
    pub due_on: Date,
    pub total_minor: i64,
    pub description: Option<String>,
}

impl InvoiceInput {
    /// `credit_days` is the account's days of credit, used when the ERP sends no due date.
    pub fn validate(&self, credit_days: Option<u16>) -> Result<InvoiceFields, ValidationErrors> {
        let mut e = ValidationErrors::new();
        Money { amount_minor: self.total_minor, currency: self.currency.clone() }.validate("invoice", &mut e);
        // Money names its fields `invoice.amountMinor` / `invoice.currency`; the input's are flat.
        for error in &mut e.0 {
            error.field = match error.field.as_str() {
                "invoice.amountMinor" => "totalMinor".into(),
                _ => "currency".into(),
            };
        }
        if self.total_minor == 0 {
            e.add("totalMinor", msg::more_than_zero());
        }
        check_date(&mut e, "issuedOn", self.issued_on);
        let due_on = match (self.due_on, credit_days) {
            (Some(due), _) => due,
            (None, Some(days)) => add_days(self.issued_on, i64::from(days)),
            (None, None) => {
                e.add("dueOn", msg::due_date_needed());
                self.issued_on
            }
        };
        check_date(&mut e, "dueOn", due_on);
        if due_on < self.issued_on {
            e.add("dueOn", msg::not_before_issued_on());
        }
        let description = e.optional_text("description", self.description.as_deref(), DESCRIPTION_MAX, true);
        e.finish()?;
        Ok(InvoiceFields {
            account_id: self.account_id,
            contact_id: self.contact_id,
            currency: self.currency.clone(),
            issued_on: self.issued_on,
            due_on,
            total_minor: self.total_minor,
            description,
        })
    }
}

/// `PATCH /invoices/{number}`: the collections fields staff own (the ERP owns the rest).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoicePatch {
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub promised_on: Option<Option<Date>>,
    #[serde(default)]
    pub stop_dunning: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub collections_agent: Option<Option<UserId>>,
}

impl InvoicePatch {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if let Some(Some(date)) = self.promised_on {
            check_date(&mut e, "promisedOn", date);
        }
        e.finish()
    }
}

/// `PUT /invoices/{number}/payments/{paymentId}`: the payment id is the ERP's reference, so
/// sending a payment twice records it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentInput {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9_007_199_254_740_991_i64))]
    pub amount_minor: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub paid_on: Date,
    /// Transfer, card, cash, cheque… as the ERP names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PaymentInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(1..=MAX_AMOUNT_MINOR).contains(&self.amount_minor) {
            e.add("amountMinor", msg::between(1, MAX_AMOUNT_MINOR));
        }
        check_date(&mut e, "paidOn", self.paid_on);
        e.optional_text("method", self.method.as_deref(), 40, false);
        e.optional_text("note", self.note.as_deref(), NOTE_MAX, true);
        e.finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    pub id: DocumentNumber,
    pub invoice: DocumentNumber,
    pub currency: String,
    #[serde(flatten)]
    pub input: PaymentInput,
    pub recorded_at: Timestamp,
    pub recorded_by: UserId,
}

/// `PUT /invoices/{number}/credit-notes/{noteNumber}` [nota de crédito].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditNoteInput {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9_007_199_254_740_991_i64))]
    pub amount_minor: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date, pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"))]
    pub issued_on: Date,
    pub reason: String,
}

impl CreditNoteInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(1..=MAX_AMOUNT_MINOR).contains(&self.amount_minor) {
            e.add("amountMinor", msg::between(1, MAX_AMOUNT_MINOR));
        }
        check_date(&mut e, "issuedOn", self.issued_on);
        e.text("reason", &self.reason, NOTE_MAX, true);
        e.finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditNote {
    pub number: DocumentNumber,
    pub invoice: DocumentNumber,
    pub currency: String,
    #[serde(flatten)]
    pub input: CreditNoteInput,
    pub recorded_at: Timestamp,
    pub recorded_by: UserId,
}

/// An account's credit terms and collections settings [información de cartera].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionsProfile {
    /// Credit limit [cupo de crédito], in `creditCurrency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_limit_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_currency: Option<String>,
    /// Days of credit [días de crédito]: an invoice without a due date is due this many days
    /// after its issue date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_days: Option<u16>,
    /// The collections agent [asesor de cartera] who gets follow-up tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collections_agent: Option<UserId>,
    /// No reminders to this account until unpaused.
    #[serde(default)]
    pub dunning_paused: bool,
    /// A ladder of its own instead of the tenant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ladder: Option<DunningLadder>,
}

impl CollectionsProfile {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        match (self.credit_limit_minor, &self.credit_currency) {
            (Some(limit), Some(currency)) => {
                Money { amount_minor: limit, currency: currency.clone() }.validate("credit", &mut e);
                for error in &mut e.0 {
                    error.field = match error.field.as_str() {
                        "credit.amountMinor" => "creditLimitMinor".into(),
                        _ => "creditCurrency".into(),
                    };
                }
            }
            (Some(_), None) => e.add("creditCurrency", msg::required_with("creditLimitMinor")),
            (None, Some(_)) => e.add("creditLimitMinor", msg::required_with("creditCurrency")),
            (None, None) => {}
        }
        if self.credit_days.is_some_and(|d| d > 365) {
            e.add("creditDays", msg::at_most_days(365));
        }
        if let Some(ladder) = &self.ladder
            && let Err(errors) = ladder.validate()
        {
            for error in errors.0 {
                e.add(format!("ladder.{}", error.field), error.reason);
            }
        }
        e.finish()
    }
}

// ---------------------------------------------------------------- aging

/// Receivables aging buckets [cartera por edades].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AgingBucket {
    /// Not yet due [sin vencer].
    Current,
    #[serde(rename = "days1To30")]
    Days1To30,
    #[serde(rename = "days31To60")]
    Days31To60,
    #[serde(rename = "days61To90")]
    Days61To90,
    /// More than 90 days past due [más de 90 días].
    Over90,
}

impl AgingBucket {
    pub const ALL: [AgingBucket; 5] =
        [Self::Current, Self::Days1To30, Self::Days31To60, Self::Days61To90, Self::Over90];

    pub fn of(days_past_due: i64) -> Self {
        match days_past_due {
            ..=0 => Self::Current,
            1..=30 => Self::Days1To30,
            31..=60 => Self::Days31To60,
            61..=90 => Self::Days61To90,
            _ => Self::Over90,
        }
    }

    /// The bucket by its API name (`current`, `days1To30`, …, `over90`).
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Days1To30 => "1-30",
            Self::Days31To60 => "31-60",
            Self::Days61To90 => "61-90",
            Self::Over90 => ">90",
        }
    }
}

/// What is owed in one currency, by bucket. Currencies are never added together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgingTotals {
    pub currency: String,
    pub current: i64,
    #[serde(rename = "days1To30")]
    pub days_1_to_30: i64,
    #[serde(rename = "days31To60")]
    pub days_31_to_60: i64,
    #[serde(rename = "days61To90")]
    pub days_61_to_90: i64,
    pub over_90: i64,
    pub total: i64,
    pub invoices: usize,
}

impl AgingTotals {
    pub fn add(&mut self, bucket: AgingBucket, amount: i64) {
        *match bucket {
            AgingBucket::Current => &mut self.current,
            AgingBucket::Days1To30 => &mut self.days_1_to_30,
            AgingBucket::Days31To60 => &mut self.days_31_to_60,
            AgingBucket::Days61To90 => &mut self.days_61_to_90,
            AgingBucket::Over90 => &mut self.over_90,
        } += amount;
        self.total += amount;
        self.invoices += 1;
    }

    pub fn bucket(&self, bucket: AgingBucket) -> i64 {
        match bucket {
            AgingBucket::Current => self.current,
            AgingBucket::Days1To30 => self.days_1_to_30,
            AgingBucket::Days31To60 => self.days_31_to_60,
            AgingBucket::Days61To90 => self.days_61_to_90,
            AgingBucket::Over90 => self.over_90,
        }
    }
}

/// Ages the open invoices on `today`: one total per currency, sorted by currency code.
pub fn age<'a>(invoices: impl IntoIterator<Item = &'a Invoice>, today: Date) -> Vec<AgingTotals> {
    let mut totals: std::collections::BTreeMap<&str, AgingTotals> = Default::default();
    for invoice in invoices.into_iter().filter(|i| i.is_open()) {
        totals
            .entry(invoice.currency.as_str())
            .or_insert_with(|| AgingTotals { currency: invoice.currency.clone(), ..Default::default() })
            .add(AgingBucket::of(invoice.days_past_due(today)), invoice.balance_minor());
    }
    totals.into_values().collect()
}

// ---------------------------------------------------------------- dunning ladder

/// How a reminder reaches the customer. Only e-mail today; SMS and WhatsApp fit here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = DunningChannel))]
pub enum Channel {
    #[default]
    Email,
}

/// A follow-up case opened for the collections agent when a step is taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DunningTask {
    pub case_type: CaseTypeKey,
}

/// One rung of the ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DunningStep {
    /// Stable name of the step (`due-soon`, `overdue-30`); part of each reminder's effect id.
    pub key: String,
    /// Days from the due date: negative before it, 0 on it.
    pub offset_days: i32,
    #[serde(default)]
    pub channel: Channel,
    /// The e-mail template (one of the invoice templates).
    pub template: String,
    /// Also file a collection letter [carta de cobro] (PDF) on the follow-up case.
    #[serde(default)]
    pub collection_letter: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<DunningTask>,
}

/// The tenant's (or an account's) reminder steps, in order of their offsets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DunningLadder {
    pub steps: Vec<DunningStep>,
    /// Local hour (tenant time zone) at which a step falls due on its day.
    #[serde(default = "default_send_hour")]
    #[cfg_attr(feature = "openapi", schema(maximum = 23))]
    pub send_hour: u8,
}

fn default_send_hour() -> u8 {
    8
}

/// E-mail templates a ladder step may use.
pub const REMINDER_TEMPLATES: &[&str] = &["invoice_reminder", "invoice_final_notice"];

impl Default for DunningLadder {
    /// The ladder TecnoCRM's users asked for: due in 5 days, due today, 5, 30 and 60 days late.
    fn default() -> Self {
        let step = |key: &str, offset_days: i32, template: &str| DunningStep {
            key: key.into(),
            offset_days,
            channel: Channel::Email,
            template: template.into(),
            collection_letter: false,
            task: None,
        };
        Self {
            steps: vec![
                step("due-soon", -5, "invoice_reminder"),
                step("due-today", 0, "invoice_reminder"),
                step("overdue-5", 5, "invoice_reminder"),
                step("overdue-30", 30, "invoice_reminder"),
                step("overdue-60", 60, "invoice_final_notice"),
            ],
            send_hour: default_send_hour(),
        }
    }
}

impl DunningLadder {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.steps.len() > MAX_LADDER_STEPS {
            e.add("steps", msg::at_most_items(MAX_LADDER_STEPS));
        }
        if self.send_hour > 23 {
            e.add("sendHour", msg::hour_of_day());
        }
        for (i, step) in self.steps.iter().enumerate() {
            let field = |name: &str| format!("steps[{i}].{name}");
            let slug = !step.key.is_empty()
                && step.key.len() <= 40
                && step.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !slug {
                e.add(field("key"), msg::step_key());
            } else if self.steps[..i].iter().any(|s| s.key == step.key) {
                e.add(field("key"), msg::key_used_earlier(&step.key));
            }
            if !OFFSET_RANGE.contains(&step.offset_days) {
                e.add(field("offsetDays"), msg::between(OFFSET_RANGE.start(), OFFSET_RANGE.end()));
            } else if i > 0 && step.offset_days <= self.steps[i - 1].offset_days {
                e.add(field("offsetDays"), msg::later_than_previous());
            }
            if !REMINDER_TEMPLATES.contains(&step.template.as_str()) {
                e.add(field("template"), msg::one_of(REMINDER_TEMPLATES.join(", ")));
            }
            if step.collection_letter && step.task.is_none() {
                e.add(field("collectionLetter"), msg::letter_needs_task());
            }
        }
        e.finish()
    }

    pub fn step_date(&self, index: usize, due_on: Date) -> Date {
        add_days(due_on, i64::from(self.steps[index].offset_days))
    }

    /// A step is stale on `today` when sending it would say something false: "due in 5 days"
    /// on or after the due date, "due today" after it, or any step once the next one is due.
    pub fn is_stale(&self, index: usize, due_on: Date, today: Date) -> bool {
        let offset = self.steps[index].offset_days;
        (offset < 0 && today >= due_on)
            || (offset == 0 && today > due_on)
            || self.steps.get(index + 1).is_some_and(|_| self.step_date(index + 1, due_on) <= today)
    }

    /// The steps not yet handled (those with an offset above `handled_through`).
    fn pending(&self, handled_through: Option<i32>) -> impl Iterator<Item = usize> + '_ {
        (0..self.steps.len()).filter(move |&i| handled_through.is_none_or(|h| self.steps[i].offset_days > h))
    }

    /// When the next pending step falls due: today if the latest one already due is still
    /// current, else the first future step's date; `None` when nothing is left. A promised
    /// payment date holds reminders until the day after it.
    pub fn next_due(
        &self,
        due_on: Date,
        handled_through: Option<i32>,
        promised_on: Option<Date>,
        today: Date,
    ) -> Option<Date> {
        let current = self
            .pending(handled_through)
            .filter(|&i| self.step_date(i, due_on) <= today)
            .last()
            .filter(|&i| !self.is_stale(i, due_on, today));
        let date = match current {
            Some(_) => today,
            None => self.pending(handled_through).map(|i| self.step_date(i, due_on)).find(|d| *d > today)?,
        };
        Some(match promised_on {
            Some(promise) if promise >= date => add_days(promise, 1),
            _ => date,
        })
    }

    /// What to do on `today` with the pending steps already due: send the latest one unless it
    /// is stale, and skip the others (missed days never send stale reminders).
    pub fn decide(&self, due_on: Date, handled_through: Option<i32>, today: Date) -> Decision {
        let due: Vec<usize> = self.pending(handled_through).filter(|&i| self.step_date(i, due_on) <= today).collect();
        let Some(&last) = due.last() else {
            return Decision { send: None, skipped: Vec::new(), handled_through };
        };
        let send = (!self.is_stale(last, due_on, today)).then_some(last);
        let skipped = due.iter().copied().filter(|&i| Some(i) != send).collect();
        Decision { send, skipped, handled_through: Some(self.steps[last].offset_days) }
    }
}

/// The outcome of [`DunningLadder::decide`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub send: Option<usize>,
    pub skipped: Vec<usize>,
    /// The progress to store: every step up to this offset is handled.
    pub handled_through: Option<i32>,
}

/// "vence en 5 días", "vence hoy", "venció hace 5 días" — what the reminder says, computed on
/// the day it is sent.
pub fn step_label(days_past_due: i64, locale: crate::document::Locale) -> String {
    use crate::document::Locale;
    match (locale, days_past_due) {
        (Locale::Es, 0) => "vence hoy".into(),
        (Locale::Es, -1) => "vence mañana".into(),
        (Locale::Es, d) if d < 0 => format!("vence en {} días", -d),
        (Locale::Es, 1) => "venció hace 1 día".into(),
        (Locale::Es, d) => format!("venció hace {d} días"),
        (Locale::En, 0) => "is due today".into(),
        (Locale::En, -1) => "is due tomorrow".into(),
        (Locale::En, d) if d < 0 => format!("is due in {} days", -d),
        (Locale::En, 1) => "was due 1 day ago".into(),
        (Locale::En, d) => format!("was due {d} days ago"),
    }
}

// ---------------------------------------------------------------- dates

pub fn add_days(date: Date, days: i64) -> Date {
    date.saturating_add(jiff::Span::new().days(days))
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    to.duration_since(from).as_secs() / 86_400
}

fn check_date(e: &mut ValidationErrors, field: &str, date: Date) {
    if !YEARS.contains(&date.year()) {
        e.add(field, msg::date_between_years(YEARS.start(), YEARS.end()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn invoice(total: i64, paid: i64, due: &str, currency: &str) -> Invoice {
        Invoice {
            number: DocumentNumber::parse("F-1").unwrap(),
            account_id: EntityId::from_ulid(ulid::Ulid(1)),
            contact_id: None,
            currency: currency.into(),
            issued_on: d("2026-01-01"),
            due_on: d(due),
            total_minor: total,
            paid_minor: paid,
            credited_minor: 0,
            description: None,
            promised_on: None,
            stop_dunning: false,
            collections_agent: None,
            written_off: None,
            last_paid_on: None,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            updated_by: UserId::parse("erp").unwrap(),
        }
    }

    #[test]
    fn a_movement_is_from_one_minor_unit_to_the_largest_amount_and_says_so() {
        let payment = |amount_minor| PaymentInput {
            amount_minor,
            paid_on: "2026-11-20".parse().unwrap(),
            method: None,
            note: None,
        };
        assert!(payment(1).validate().is_ok());
        assert!(payment(MAX_AMOUNT_MINOR).validate().is_ok());
        for amount in [0, -5, MAX_AMOUNT_MINOR + 1, i64::MAX - 1] {
            let errors = payment(amount).validate().unwrap_err();
            let reason = errors.0[0].reason.render(crate::Locale::En);
            assert_eq!(reason, format!("must be between 1 and {MAX_AMOUNT_MINOR}"), "{amount}");
        }
        let note = CreditNoteInput {
            amount_minor: i64::MAX - 1,
            issued_on: "2026-11-20".parse().unwrap(),
            reason: "x".into(),
        };
        assert_eq!(note.validate().unwrap_err().0[0].field, "amountMinor");
    }

    #[test]
    fn status_is_derived_from_balance_and_day() {
        let today = d("2026-03-10");
        assert_eq!(invoice(100, 0, "2026-03-10", "CRC").status(today), InvoiceStatus::Open);
        assert_eq!(invoice(100, 40, "2026-03-10", "CRC").status(today), InvoiceStatus::PartiallyPaid);
        assert_eq!(invoice(100, 40, "2026-03-09", "CRC").status(today), InvoiceStatus::Overdue);
        assert_eq!(invoice(100, 100, "2026-03-09", "CRC").status(today), InvoiceStatus::Paid);
        let mut off = invoice(100, 40, "2026-03-09", "CRC");
        off.written_off = Some(WriteOff {
            reason: "quiebra".into(),
            amount_minor: 60,
            at: Timestamp::UNIX_EPOCH,
            by: UserId::parse("ana").unwrap(),
        });
        assert_eq!(off.status(today), InvoiceStatus::WrittenOff);
        assert!(!off.is_open());
        assert_eq!(InvoiceStatus::parse("partiallyPaid"), Some(InvoiceStatus::PartiallyPaid));
    }

    #[test]
    fn buckets_have_inclusive_edges() {
        let cases = [(-3, AgingBucket::Current), (0, AgingBucket::Current), (1, AgingBucket::Days1To30)];
        let more = [(30, AgingBucket::Days1To30), (31, AgingBucket::Days31To60), (60, AgingBucket::Days31To60)];
        let last = [(61, AgingBucket::Days61To90), (90, AgingBucket::Days61To90), (91, AgingBucket::Over90)];
        for (days, bucket) in cases.into_iter().chain(more).chain(last) {
            assert_eq!(AgingBucket::of(days), bucket, "{days} days");
        }
    }

    #[test]
    fn aging_keeps_currencies_apart_and_ignores_closed_invoices() {
        let today = d("2026-06-30");
        let invoices = [
            invoice(1_000, 0, "2026-07-15", "CRC"),     // current
            invoice(2_000, 500, "2026-06-01", "CRC"),   // 29 days: 1-30, balance 1 500
            invoice(3_000, 0, "2026-04-01", "CRC"),     // 90 days: 61-90
            invoice(4_000, 0, "2026-03-31", "USD"),     // 91 days: >90
            invoice(5_000, 5_000, "2026-01-01", "USD"), // paid: ignored
        ];
        let totals = age(&invoices, today);
        assert_eq!(totals.len(), 2);
        assert_eq!(
            totals[0],
            AgingTotals {
                currency: "CRC".into(),
                current: 1_000,
                days_1_to_30: 1_500,
                days_61_to_90: 3_000,
                total: 5_500,
                invoices: 3,
                ..Default::default()
            }
        );
        assert_eq!(totals[1].over_90, 4_000);
        assert_eq!(totals[1].invoices, 1);
    }

    #[test]
    fn invoice_input_resolves_the_due_date_from_the_days_of_credit() {
        let input: InvoiceInput = serde_json::from_value(serde_json::json!({
            "accountId": EntityId::from_ulid(ulid::Ulid(1)), "currency": "CRC",
            "issuedOn": "2026-11-02", "totalMinor": 125_000
        }))
        .unwrap();
        assert_eq!(input.validate(Some(30)).unwrap().due_on, d("2026-12-02"));
        let errors = input.validate(None).unwrap_err();
        assert_eq!(errors.0[0].field, "dueOn");
        let bad = InvoiceInput { currency: "colones".into(), total_minor: 0, due_on: Some(d("2026-10-01")), ..input };
        let fields: Vec<_> = bad.validate(None).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["currency", "totalMinor", "dueOn"]);
    }

    #[test]
    fn the_default_ladder_is_valid_and_bad_ladders_name_their_fields() {
        DunningLadder::default().validate().unwrap();
        let ladder: Result<DunningLadder, _> = serde_json::from_value(serde_json::json!({
            "steps": [{"key": "a", "offsetDays": 0, "template": "invoice_reminder", "channel": "sms"}]
        }));
        assert!(ladder.unwrap_err().to_string().contains("unknown variant `sms`"));
        let mut ladder = DunningLadder::default();
        ladder.steps[1].offset_days = -5;
        ladder.steps[2].key = "due-soon".into();
        ladder.steps[3].template = "case_created".into();
        ladder.steps[4].collection_letter = true;
        let fields: Vec<_> = ladder.validate().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["steps[1].offsetDays", "steps[2].key", "steps[3].template", "steps[4].collectionLetter"]);
    }

    #[test]
    fn stale_steps_are_skipped_and_only_the_latest_due_step_is_sent() {
        let ladder = DunningLadder::default(); // -5, 0, +5, +30, +60
        let due = d("2026-03-10");
        // On time: the -5 step on its day.
        let on_time = ladder.decide(due, None, d("2026-03-05"));
        assert_eq!((on_time.send, on_time.skipped.clone(), on_time.handled_through), (Some(0), vec![], Some(-5)));
        // The sweep missed -5 and 0 and runs on the 12th: neither is sent ("due in 5 days" and
        // "due today" would be false), and +5 is not due yet.
        let late = ladder.decide(due, None, d("2026-03-12"));
        assert_eq!((late.send, late.skipped, late.handled_through), (None, vec![0, 1], Some(0)));
        // Missed days deep into the ladder: only +30 goes out.
        let deep = ladder.decide(due, Some(0), d("2026-04-20"));
        assert_eq!((deep.send, deep.skipped, deep.handled_through), (Some(3), vec![2], Some(30)));
        // A day late for -5 but before the due date: still true enough ("due in 3 days").
        assert_eq!(ladder.decide(due, None, d("2026-03-07")).send, Some(0));
    }

    #[test]
    fn a_before_due_step_is_stale_from_the_due_date_even_without_a_due_day_step() {
        let mut ladder = DunningLadder::default();
        ladder.steps.retain(|s| s.offset_days == -5 || s.offset_days == 30);
        let due = d("2026-03-10");
        assert!(!ladder.is_stale(0, due, d("2026-03-09")));
        assert!(ladder.is_stale(0, due, d("2026-03-10")), "\"due in 5 days\" on the due date is false");
        let decision = ladder.decide(due, None, d("2026-03-11"));
        assert_eq!((decision.send, decision.skipped), (None, vec![0]));
    }

    #[test]
    fn next_due_arms_the_current_step_or_the_next_future_one_and_honours_promises() {
        let ladder = DunningLadder::default();
        let due = d("2026-03-10");
        assert_eq!(ladder.next_due(due, None, None, d("2026-02-01")), Some(d("2026-03-05")));
        // Imported 40 days late: the +30 step is current, so it is due now.
        assert_eq!(ladder.next_due(due, None, None, d("2026-04-19")), Some(d("2026-04-19")));
        // Imported on the 12th: -5 and 0 are stale, +5 is next.
        assert_eq!(ladder.next_due(due, None, None, d("2026-03-12")), Some(d("2026-03-15")));
        assert_eq!(ladder.next_due(due, Some(60), None, d("2026-06-01")), None);
        // Promised to pay on the 20th: nothing before the 21st.
        assert_eq!(ladder.next_due(due, Some(0), Some(d("2026-03-20")), d("2026-03-12")), Some(d("2026-03-21")));
    }

    #[test]
    fn labels_say_what_is_true_on_the_day() {
        use crate::document::Locale;
        assert_eq!(step_label(-5, Locale::Es), "vence en 5 días");
        assert_eq!(step_label(0, Locale::Es), "vence hoy");
        assert_eq!(step_label(30, Locale::Es), "venció hace 30 días");
        assert_eq!(step_label(-1, Locale::En), "is due tomorrow");
        assert_eq!(step_label(1, Locale::En), "was due 1 day ago");
    }
}
