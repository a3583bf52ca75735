//! Receivables use cases: invoices synchronised from the ERP (idempotent upserts), payments and
//! credit notes (idempotent by their own numbers, over-payment refused), write-offs, the
//! collections fields staff own, aging, the dunning ladder, and the invoice-due sweep.
//!
//! Every invoice has a dunning state item beside it (`#DUNNING`) holding its progress along
//! the ladder. While a step is pending and the invoice is collectable, the state sits in a
//! sparse due index keyed by the UTC day and a shard of the instant the step falls due; every
//! write to the invoice rewrites the state in the same transaction, so a payment that settles
//! the invoice takes it out of the index atomically. The sweep reads only what is due, day by
//! day from its watermark, takes each step once with a versioned write of the state, and
//! never sends a stale reminder after missed days (see [`DunningLadder::decide`]).

mod aging;
mod collections;
mod invoices;
mod sweep;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::change::event_put;
use super::{Services, utc_stamp as stamp};
use crate::Versioned;
use crate::actor::{Actor, Forbidden};
use crate::history::EventKind;
use crate::ids::{DocumentNumber, EntityId, TenantId, UserId};
use crate::keys;
use crate::ports::{Index, Item, StoreError, WriteOp};
use crate::receivables::{AgingBucket, CreditNote, DunningLadder, Invoice, InvoiceInput, InvoiceStatus, Payment};
use crate::records;
use crate::validation::ValidationErrors;

pub use aging::{AccountAging, AgingGroup, AgingReport, AgingRow};
pub use sweep::InvoiceSweepReport;
pub(crate) use sweep::InvoiceWatermark;

pub const INVOICE_ENTITY: &str = "Invoice";
pub const PAYMENT_ENTITY: &str = "Payment";
pub const CREDIT_NOTE_ENTITY: &str = "CreditNote";
pub const DUNNING_ENTITY: &str = "DunningState";
pub const LADDER_ENTITY: &str = "DunningLadder";
pub const PROFILE_ENTITY: &str = "CollectionsProfile";
pub(crate) const WATERMARK_ENTITY: &str = "Watermark";

/// How many days back a first sweep (no watermark yet) looks.
const FIRST_SWEEP_DAYS: i64 = 2;
/// Attempts of an invoice change that lost a race with another change of the same invoice.
const ATTEMPTS: usize = 5;
/// Largest `POST /invoice-batches`.
pub const MAX_BATCH: usize = 100;
const DEFAULT_TIME_ZONE: &str = "America/Costa_Rica";

#[derive(Debug, thiserror::Error)]
pub enum SaveInvoiceError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the invoice changed concurrently; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetInvoiceError {
    #[error("no such invoice")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum InvoiceChangeError {
    #[error("no such invoice")]
    NotFound,
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// A payment or credit note of this number exists with other data.
    #[error("{0} exists with other data")]
    Duplicate(crate::Message),
    /// Written off or settled: nothing more can be applied.
    #[error("the invoice is {0:?}")]
    Closed(InvoiceStatus),
    #[error("it changed since version {0}")]
    Stale(u64),
    #[error("the invoice changed concurrently; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CollectionsSettingsError {
    #[error("no such account")]
    NotFound,
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("it changed since version {expected:?}")]
    Stale { expected: Option<u64> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub use super::Upserted;

/// One line of `POST /invoice-batches`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchInvoice {
    pub number: String,
    pub invoice: InvoiceInput,
}

/// The outcome of one line of a batch.
#[derive(Debug, Clone)]
pub struct BatchResult {
    pub number: String,
    /// `created`, `updated`, `unchanged`, `invalid` or `failed` (retry the line).
    pub outcome: String,
    pub version: Option<u64>,
    pub errors: Vec<crate::validation::FieldError>,
}

/// `GET /invoices` filters.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub account_id: Option<EntityId>,
    pub status: Option<InvoiceStatus>,
    /// Open invoices of this age only.
    pub bucket: Option<AgingBucket>,
    /// Only what is still owed: open, partly paid or overdue.
    pub owed: bool,
    /// Invoices this user collects: named on the invoice, or else on its account's profile.
    pub agent: Option<UserId>,
    pub due_from: Option<Date>,
    pub due_to: Option<Date>,
}

/// Payments and credit notes of one invoice.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceMovements {
    pub payments: Vec<Payment>,
    pub credit_notes: Vec<CreditNote>,
}

/// An invoice's progress along the dunning ladder; in the due index while armed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DunningState {
    tenant: TenantId,
    number: DocumentNumber,
    account_id: EntityId,
    /// The due date the progress refers to: a new due date starts the ladder again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_on: Option<Date>,
    /// Every step up to this offset has been taken or skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    handled_through: Option<i32>,
    /// When the pending step falls due; absent when nothing is pending or reminders are off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    promised_on: Option<Date>,
    /// The account's own ladder, if it has one (else the tenant's, read by the sweep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ladder: Option<DunningLadder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact_id: Option<EntityId>,
    time_zone: String,
    /// When the invoice falls overdue, until the sweep has announced it (once per due date:
    /// a settled invoice, or one announced already, has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overdue_at: Option<Timestamp>,
}

impl DunningState {
    /// When the sweep must next look at the invoice: its pending step or its overdue
    /// announcement, whichever comes first.
    fn wake_at(&self) -> Option<Timestamp> {
        self.next_at.into_iter().chain(self.overdue_at).min()
    }
}

fn utc_day(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

fn shard(number: &DocumentNumber) -> u32 {
    super::shard_of(number.as_str(), keys::DUNNING_SHARDS)
}

pub(crate) fn zone(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The calendar day of `at` in the time zone `name`.
pub fn local_day(at: Timestamp, name: &str) -> Date {
    at.to_zoned(zone(name)).date()
}

/// The instant a step dated `day` falls due: `hour` o'clock there.
fn send_instant(day: Date, hour: u8, name: &str) -> Timestamp {
    let at = day.at(hour.min(23) as i8, 0, 0, 0);
    at.to_zoned(zone(name)).map(|z| z.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The instant an invoice due on `due_on` becomes overdue: the next day begins there.
fn overdue_instant(due_on: Date, name: &str) -> Timestamp {
    send_instant(crate::receivables::add_days(due_on, 1), 0, name)
}

fn invoice_item(tenant: &TenantId, invoice: &Invoice, version: u64) -> Result<Item, StoreError> {
    let due = invoice.due_on.to_string();
    let mut item = Item::new(keys::invoice(tenant, &invoice.number), INVOICE_ENTITY, version, records::body(invoice)?)
        .with_index(Index::Gsi1, keys::invoices_listing(tenant, &due, &invoice.number))
        .with_index(Index::Gsi2, keys::invoices_of_account(tenant, invoice.account_id, &due, &invoice.number));
    if invoice.is_open() {
        item = item.with_index(Index::Gsi3, keys::open_invoices(tenant, &due, &invoice.number));
    }
    Ok(item)
}

fn state_item(state: &DunningState, version: u64, now: Timestamp) -> Result<Item, StoreError> {
    let mut item =
        Item::new(keys::dunning_state(&state.tenant, &state.number), DUNNING_ENTITY, version, records::body(state)?);
    if let Some(at) = state.wake_at() {
        // An instant already past goes into today's bucket, which the sweep has not closed.
        let day = utc_day(at.max(now));
        let key = keys::dunning_due(&day, shard(&state.number), &stamp(at), &state.tenant, &state.number);
        item = item.with_index(Index::Gsi1, key);
    }
    Ok(item)
}

/// The invoice and its dunning state (with its version), as read before a change.
struct InvoiceContext {
    invoice: Option<Versioned<Invoice>>,
    state: Option<(DunningState, u64)>,
}

impl Services {
    pub(crate) fn invoice_history_op(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        version: u64,
        kind: EventKind,
    ) -> Result<WriteOp, StoreError> {
        let event = self.new_event(actor, version, kind);
        event_put(keys::invoice_event(&actor.tenant, number, event.id), &event)
    }

    /// The name of the tenant's time zone (the default where the tenant is not found).
    pub(crate) async fn tenant_zone(&self, tenant: &TenantId) -> Result<String, StoreError> {
        Ok(self.tenant(tenant).await?.map_or_else(|| DEFAULT_TIME_ZONE.to_owned(), |t| t.time_zone))
    }

    /// Today in the tenant's time zone: due dates and aging are calendar days there.
    pub async fn tenant_today(&self, tenant: &TenantId) -> Result<Date, StoreError> {
        Ok(local_day(self.clock.now(), &self.tenant_zone(tenant).await?))
    }

    async fn invoice_context(&self, tenant: &TenantId, number: &DocumentNumber) -> Result<InvoiceContext, StoreError> {
        let invoice = self.load::<Invoice>(&keys::invoice(tenant, number)).await?;
        let state = match self.store.get(&keys::dunning_state(tenant, number)).await? {
            Some(item) => Some((records::read::<DunningState>(&item)?, item.version)),
            None => None,
        };
        Ok(InvoiceContext { invoice, state })
    }
}
