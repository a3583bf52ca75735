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

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::accounts::GetAccountError;
use super::change::ChangeSet;
use super::outbox::{OutboxOwner, effect_id};
use super::transitions::CaseSeed;
use super::{ListError, PageRequest, Services, conditions, list_page, utc_stamp as stamp};
use crate::actor::{Actor, Forbidden, Role};
use crate::case_type::Recipient;
use crate::document::DocumentTemplate;
use crate::effects::{DocumentJob, EffectMessage, Notification, Subject};
use crate::history::{EventKind, FieldChange, HistoryEvent};
use crate::ids::{DocumentNumber, EntityId, TenantId, UserId};
use crate::keys;
use crate::ports::{Condition, Index, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::receivables::{
    AgingBucket, AgingTotals, CollectionsProfile, CreditNote, CreditNoteInput, DunningLadder, Invoice, InvoiceFields,
    InvoiceInput, InvoicePatch, InvoiceStatus, InvoiceView, Payment, PaymentInput, WriteOff, age, days_between,
};
use crate::records;
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const INVOICE_ENTITY: &str = "Invoice";
pub const PAYMENT_ENTITY: &str = "Payment";
pub const CREDIT_NOTE_ENTITY: &str = "CreditNote";
pub const DUNNING_ENTITY: &str = "DunningState";
pub const LADDER_ENTITY: &str = "DunningLadder";
pub const PROFILE_ENTITY: &str = "CollectionsProfile";
pub(crate) const WATERMARK_ENTITY: &str = "Watermark";

/// How far the invoice sweep got: the last day it finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InvoiceWatermark {
    pub(crate) day: Date,
    pub(crate) at: String,
}
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
    Duplicate(String),
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

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Upserted {
    Created,
    Updated,
    /// The same data again: nothing written.
    Unchanged,
}

/// One line of `POST /invoice-batches`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchInvoice {
    pub number: String,
    pub invoice: InvoiceInput,
}

/// The outcome of one line of a batch.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResult {
    pub number: String,
    /// `created`, `updated`, `unchanged`, `invalid` or `failed` (retry the line).
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<crate::validation::FieldError>,
}

/// `GET /invoices` filters.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub account_id: Option<EntityId>,
    pub status: Option<InvoiceStatus>,
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

/// `GET /accounts/{id}/aging`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountAging {
    pub account_id: EntityId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub as_of: Date,
    pub profile: CollectionsProfile,
    pub totals: Vec<AgingTotals>,
    /// Credit limit less what is owed in its currency; negative when over the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_credit_minor: Option<i64>,
    pub over_limit: bool,
    pub invoices: Vec<InvoiceView>,
}

/// One row of `GET /reports/aging`: a group (account or agent) in one currency.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgingRow {
    /// The account id or the agent's user id (`unassigned` when none).
    pub group: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub totals: AgingTotals,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgingReport {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub as_of: Date,
    pub group_by: String,
    pub rows: Vec<AgingRow>,
    /// Per currency, over every row.
    pub totals: Vec<AgingTotals>,
}

/// How `GET /reports/aging` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgingGroup {
    Account,
    Agent,
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
}

/// What an invoice sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceSweepReport {
    pub days: usize,
    pub queries: usize,
    /// Due-index entries read (plus one ladder per tenant met).
    pub items_read: usize,
    /// Reminders queued.
    pub sent: usize,
    /// Steps passed over as stale or superseded.
    pub skipped_steps: usize,
    /// Entries another sweep or a payment changed first.
    pub lost_races: usize,
}

/// Money applied to an invoice under a number of its own: a payment or a credit note.
enum Movement<'a> {
    Payment(&'a DocumentNumber, &'a PaymentInput),
    CreditNote(&'a DocumentNumber, &'a CreditNoteInput),
}

impl Movement<'_> {
    fn key(&self, tenant: &TenantId, invoice: &DocumentNumber) -> crate::ports::Key {
        match self {
            Self::Payment(id, _) => keys::payment(tenant, invoice, id),
            Self::CreditNote(id, _) => keys::credit_note(tenant, invoice, id),
        }
    }

    fn name(&self) -> String {
        match self {
            Self::Payment(id, _) => format!("payment {id}"),
            Self::CreditNote(id, _) => format!("credit note {id}"),
        }
    }

    fn amount_minor(&self) -> i64 {
        match self {
            Self::Payment(_, input) => input.amount_minor,
            Self::CreditNote(_, input) => input.amount_minor,
        }
    }

    /// Whether the stored movement is this one (a replay).
    fn same_as(&self, stored: &Item) -> Result<bool, StoreError> {
        Ok(match self {
            Self::Payment(_, input) => &records::read::<Payment>(stored)?.input == *input,
            Self::CreditNote(_, input) => &records::read::<CreditNote>(stored)?.input == *input,
        })
    }

    /// Applies the movement to `invoice` and returns its item.
    fn apply(
        &self,
        invoice: &mut Invoice,
        key: crate::ports::Key,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Item, StoreError> {
        let (number, currency, by) = (invoice.number.clone(), invoice.currency.clone(), actor.user.clone());
        match self {
            Self::Payment(id, input) => {
                invoice.paid_minor += input.amount_minor;
                invoice.last_paid_on = Some(invoice.last_paid_on.map_or(input.paid_on, |d| d.max(input.paid_on)));
                let input = (*input).clone();
                let payment =
                    Payment { id: (*id).clone(), invoice: number, currency, input, recorded_at: now, recorded_by: by };
                Ok(Item::new(key, PAYMENT_ENTITY, 1, records::body(&payment)?))
            }
            Self::CreditNote(id, input) => {
                invoice.credited_minor += input.amount_minor;
                let input = (*input).clone();
                let note = CreditNote {
                    number: (*id).clone(),
                    invoice: number,
                    currency,
                    input,
                    recorded_at: now,
                    recorded_by: by,
                };
                Ok(Item::new(key, CREDIT_NOTE_ENTITY, 1, records::body(&note)?))
            }
        }
    }

    fn event(&self, balance_minor: i64) -> EventKind {
        match self {
            Self::Payment(id, input) => EventKind::PaymentRecorded {
                payment_id: id.to_string(),
                amount_minor: input.amount_minor,
                balance_minor,
            },
            Self::CreditNote(id, input) => EventKind::CreditNoteIssued {
                note_number: id.to_string(),
                amount_minor: input.amount_minor,
                balance_minor,
            },
        }
    }
}

fn utc_day(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d").to_string()
}

fn shard(number: &DocumentNumber) -> u32 {
    super::shard_of(number.as_str(), keys::DUNNING_SHARDS)
}

fn zone(name: &str) -> jiff::tz::TimeZone {
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
    if let Some(at) = state.next_at {
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
        let id = self.new_id();
        let event = HistoryEvent { id, at: self.clock.now(), actor: actor.user.clone(), case_version: version, kind };
        let item = Item::new(
            keys::invoice_event(&actor.tenant, number, id),
            super::cases::EVENT_ENTITY,
            1,
            records::body(&event)?,
        );
        Ok(WriteOp::Put { item, condition: Condition::not_exists(conditions::HISTORY_EVENT) })
    }

    async fn tenant_zone(&self, tenant: &TenantId) -> Result<String, StoreError> {
        Ok(self.tenant(tenant).await?.map_or_else(|| DEFAULT_TIME_ZONE.to_owned(), |t| t.time_zone))
    }

    /// Today in the tenant's time zone: due dates and aging are calendar days there.
    pub async fn tenant_today(&self, tenant: &TenantId) -> Result<Date, StoreError> {
        Ok(local_day(self.clock.now(), &self.tenant_zone(tenant).await?))
    }

    pub async fn dunning_ladder(&self, tenant: &TenantId) -> Result<Versioned<DunningLadder>, StoreError> {
        Ok(self
            .load::<DunningLadder>(&keys::dunning_ladder(tenant))
            .await?
            .unwrap_or(Versioned { value: DunningLadder::default(), version: 0 }))
    }

    /// `PUT /dunning-ladder` (admins). Applies to each invoice from its next step or change.
    pub async fn save_dunning_ladder(
        &self,
        actor: &Actor,
        ladder: DunningLadder,
        expected: Option<u64>,
    ) -> Result<Versioned<DunningLadder>, CollectionsSettingsError> {
        actor.require(Role::Admin)?;
        ladder.validate()?;
        self.check_task_types(&actor.tenant, &ladder, "").await?;
        let next = expected.map_or(1, |v| v + 1);
        let item = Item::new(keys::dunning_ladder(&actor.tenant), LADDER_ENTITY, next, records::body(&ladder)?);
        let condition = Condition::version_or_new(conditions::DUNNING_LADDER, expected);
        match self.store.write(vec![WriteOp::Put { item, condition }]).await {
            Ok(()) => Ok(Versioned { value: ladder, version: next }),
            Err(StoreError::ConditionFailed { name: conditions::DUNNING_LADDER }) => {
                Err(CollectionsSettingsError::Stale { expected })
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn check_task_types(
        &self,
        tenant: &TenantId,
        ladder: &DunningLadder,
        prefix: &str,
    ) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        for (i, step) in ladder.steps.iter().enumerate() {
            if let Some(task) = &step.task {
                let exists = self.store.get(&keys::case_type(tenant, &task.case_type)).await;
                if !matches!(exists, Ok(Some(_))) {
                    errors
                        .add(format!("{prefix}steps[{i}].task.caseType"), format!("no case type '{}'", task.case_type));
                }
            }
        }
        errors.finish()
    }

    /// `GET /accounts/{id}/collections`: the account's collections profile (defaults until set).
    pub async fn account_collections_profile(
        &self,
        actor: &Actor,
        account: EntityId,
    ) -> Result<Versioned<CollectionsProfile>, GetAccountError> {
        if self.store.get(&keys::account(&actor.tenant, account)).await?.is_none() {
            return Err(GetAccountError::NotFound);
        }
        Ok(self.collections_profile(&actor.tenant, account).await?)
    }

    pub async fn collections_profile(
        &self,
        tenant: &TenantId,
        account: EntityId,
    ) -> Result<Versioned<CollectionsProfile>, StoreError> {
        Ok(self
            .load::<CollectionsProfile>(&keys::collections_profile(tenant, account))
            .await?
            .unwrap_or(Versioned { value: CollectionsProfile::default(), version: 0 }))
    }

    /// `PUT /accounts/{id}/collections` (supervisors): credit terms, collections agent, paused
    /// reminders, an account ladder. The account's open invoices are re-armed to match.
    pub async fn save_collections_profile(
        &self,
        actor: &Actor,
        account: EntityId,
        profile: CollectionsProfile,
        expected: Option<u64>,
    ) -> Result<Versioned<CollectionsProfile>, CollectionsSettingsError> {
        actor.require(Role::Supervisor)?;
        let tenant = &actor.tenant;
        if self.store.get(&keys::account(tenant, account)).await?.is_none() {
            return Err(CollectionsSettingsError::NotFound);
        }
        profile.validate()?;
        if let Some(ladder) = &profile.ladder {
            self.check_task_types(tenant, ladder, "ladder.").await?;
        }
        let next = expected.map_or(1, |v| v + 1);
        let item =
            Item::new(keys::collections_profile(tenant, account), PROFILE_ENTITY, next, records::body(&profile)?);
        let condition = Condition::version_or_new(conditions::COLLECTIONS_PROFILE, expected);
        match self.store.write(vec![WriteOp::Put { item, condition }]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { name: conditions::COLLECTIONS_PROFILE }) => {
                return Err(CollectionsSettingsError::Stale { expected });
            }
            Err(e) => return Err(e.into()),
        }
        // Re-arm what the account owes: a pause takes its invoices out of the due index, an
        // unpause or a new ladder puts them back at their current step.
        let query = Query::index(Index::Gsi2, keys::invoices_of_account_partition(tenant, account)).limit(100);
        let invoices: Vec<Invoice> = self.read_all(query).await?;
        for invoice in invoices.into_iter().filter(Invoice::is_open) {
            self.rearm(actor, &invoice.number, &profile).await?;
        }
        Ok(Versioned { value: profile, version: next })
    }

    /// Rewrites one invoice's dunning state from what is stored now (after a profile change).
    async fn rearm(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        profile: &CollectionsProfile,
    ) -> Result<(), StoreError> {
        for _ in 0..ATTEMPTS {
            let context = self.invoice_context(&actor.tenant, number).await?;
            let Some(invoice) = context.invoice else { return Ok(()) };
            let mut ops = Vec::new();
            self.arm_ops(actor, &invoice.value, context.state, profile, &mut ops).await?;
            ops.push(WriteOp::Check {
                key: keys::invoice(&actor.tenant, number),
                condition: Condition::version_is(conditions::INVOICE, invoice.version),
            });
            match self.store.write(ops).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn invoice_context(&self, tenant: &TenantId, number: &DocumentNumber) -> Result<InvoiceContext, StoreError> {
        let invoice = self.load::<Invoice>(&keys::invoice(tenant, number)).await?;
        let state = match self.store.get(&keys::dunning_state(tenant, number)).await? {
            Some(item) => Some((records::read::<DunningState>(&item)?, item.version)),
            None => None,
        };
        Ok(InvoiceContext { invoice, state })
    }

    /// Adds the write of `invoice`'s dunning state, armed at its next pending step (or out of
    /// the due index when it is settled, written off, stopped or paused). `profile` is the
    /// collections profile of the invoice's account, which the caller has read already.
    async fn arm_ops(
        &self,
        actor: &Actor,
        invoice: &Invoice,
        previous: Option<(DunningState, u64)>,
        profile: &CollectionsProfile,
        ops: &mut Vec<WriteOp>,
    ) -> Result<(), StoreError> {
        let tenant = &actor.tenant;
        let now = self.clock.now();
        let time_zone = self.tenant_zone(tenant).await?;
        let (condition, version) = match &previous {
            Some((_, v)) => (Condition::version_is(conditions::COLLECTIONS_STATE, *v), v + 1),
            None => (Condition::not_exists(conditions::COLLECTIONS_STATE), 1),
        };
        let mut state = match previous {
            Some((state, _)) => state,
            None => DunningState {
                tenant: tenant.clone(),
                number: invoice.number.clone(),
                account_id: invoice.account_id,
                due_on: None,
                handled_through: None,
                next_at: None,
                promised_on: None,
                ladder: None,
                agent: None,
                contact_id: None,
                time_zone: time_zone.clone(),
            },
        };
        if state.due_on != Some(invoice.due_on) {
            // A new due date (the ERP moved it) starts the ladder again for that date.
            state.due_on = Some(invoice.due_on);
            state.handled_through = None;
        }
        state.account_id = invoice.account_id;
        state.promised_on = invoice.promised_on;
        state.ladder = profile.ladder.clone();
        state.agent = invoice.collections_agent.clone().or(profile.collections_agent.clone());
        state.contact_id = invoice.contact_id;
        state.time_zone = time_zone;
        let active = invoice.is_open() && !invoice.stop_dunning && !profile.dunning_paused;
        state.next_at = if active {
            let ladder = match &state.ladder {
                Some(ladder) => ladder.clone(),
                None => self.dunning_ladder(tenant).await?.value,
            };
            let today = local_day(now, &state.time_zone);
            ladder
                .next_due(invoice.due_on, state.handled_through, invoice.promised_on, today)
                .map(|day| send_instant(day, ladder.send_hour, &state.time_zone))
        } else {
            None
        };
        ops.push(WriteOp::Put { item: state_item(&state, version, now)?, condition });
        Ok(())
    }

    /// `PUT /invoices/{number}`: creates or updates an invoice as the ERP knows it. Sending the
    /// same data again writes nothing. What was paid and credited stays; a total below it, or
    /// a new currency or account once money moved, is refused.
    pub async fn upsert_invoice(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        input: &InvoiceInput,
    ) -> Result<(Versioned<Invoice>, Upserted), SaveInvoiceError> {
        let tenant = &actor.tenant;
        let account_exists = self.store.get(&keys::account(tenant, input.account_id)).await?.is_some();
        let profile = self.collections_profile(tenant, input.account_id).await?.value;
        let fields = match input.validate(profile.credit_days) {
            Ok(fields) if account_exists => fields,
            Ok(_) => return Err(ValidationErrors::single("accountId", "no such account").into()),
            Err(mut errors) => {
                if !account_exists {
                    errors.add("accountId", "no such account");
                }
                return Err(errors.into());
            }
        };
        if let Some(contact) = fields.contact_id {
            let belongs = self
                .load::<crate::contact::Contact>(&keys::contact(tenant, contact))
                .await?
                .is_some_and(|c| c.value.account_id == Some(fields.account_id));
            if !belongs {
                return Err(ValidationErrors::single("contactId", "no such contact of this account").into());
            }
        }
        for _ in 0..ATTEMPTS {
            let context = self.invoice_context(tenant, number).await?;
            match self.try_upsert(actor, number, &fields, &profile, context).await {
                Err(SaveInvoiceError::Busy) => continue,
                other => return other,
            }
        }
        Err(SaveInvoiceError::Busy)
    }

    async fn try_upsert(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        fields: &InvoiceFields,
        profile: &CollectionsProfile,
        context: InvoiceContext,
    ) -> Result<(Versioned<Invoice>, Upserted), SaveInvoiceError> {
        let tenant = &actor.tenant;
        let now = self.clock.now();
        let (invoice, version, condition, outcome, event) = match &context.invoice {
            None => {
                let invoice = Invoice {
                    number: number.clone(),
                    account_id: fields.account_id,
                    contact_id: fields.contact_id,
                    currency: fields.currency.clone(),
                    issued_on: fields.issued_on,
                    due_on: fields.due_on,
                    total_minor: fields.total_minor,
                    paid_minor: 0,
                    credited_minor: 0,
                    description: fields.description.clone(),
                    promised_on: None,
                    stop_dunning: false,
                    collections_agent: None,
                    written_off: None,
                    last_paid_on: None,
                    created_at: now,
                    updated_at: now,
                    updated_by: actor.user.clone(),
                };
                let event = EventKind::InvoiceRecorded {
                    total_minor: invoice.total_minor,
                    currency: invoice.currency.clone(),
                    due_on: invoice.due_on,
                };
                (invoice, 1, Condition::not_exists(conditions::INVOICE), Upserted::Created, event)
            }
            Some(current) => {
                let before = &current.value;
                let mut after = before.clone();
                after.account_id = fields.account_id;
                after.contact_id = fields.contact_id;
                after.currency = fields.currency.clone();
                after.issued_on = fields.issued_on;
                after.due_on = fields.due_on;
                after.total_minor = fields.total_minor;
                after.description = fields.description.clone();
                let changes = FieldChange::between(before, &after);
                if changes.is_empty() {
                    return Ok((current.clone(), Upserted::Unchanged));
                }
                let moved = before.paid_minor + before.credited_minor;
                let mut errors = ValidationErrors::new();
                if moved > 0 && after.currency != before.currency {
                    errors.add("currency", "cannot change once payments or credit notes were applied");
                }
                if moved > 0 && after.account_id != before.account_id {
                    errors.add("accountId", "cannot change once payments or credit notes were applied");
                }
                if after.total_minor < moved {
                    errors.add("totalMinor", format!("must be at least {moved}, already paid and credited"));
                }
                errors.finish()?;
                after.updated_at = now;
                after.updated_by = actor.user.clone();
                let condition = Condition::version_is(conditions::INVOICE, current.version);
                (after, current.version + 1, condition, Upserted::Updated, EventKind::Updated { changes })
            }
        };
        let mut ops = vec![
            WriteOp::Put { item: invoice_item(tenant, &invoice, version)?, condition },
            self.invoice_history_op(actor, number, version, event)?,
        ];
        self.arm_ops(actor, &invoice, context.state, profile, &mut ops).await?;
        match self.store.write(ops).await {
            Ok(()) => Ok((Versioned { value: invoice, version }, outcome)),
            Err(StoreError::ConditionFailed { .. }) => Err(SaveInvoiceError::Busy),
            Err(e) => Err(e.into()),
        }
    }

    /// `POST /invoice-batches`: up to [`MAX_BATCH`] upserts, each on its own (one bad line does
    /// not hold back the others), answered line by line.
    pub async fn upsert_invoices(
        &self,
        actor: &Actor,
        batch: Vec<BatchInvoice>,
    ) -> Result<Vec<BatchResult>, StoreError> {
        let mut results = Vec::with_capacity(batch.len());
        for line in batch {
            let result = |outcome: &str, version, errors| BatchResult {
                number: line.number.clone(),
                outcome: outcome.into(),
                version,
                errors,
            };
            let number = match DocumentNumber::parse(&line.number) {
                Ok(number) => number,
                Err(invalid) => {
                    results.push(result("invalid", None, ValidationErrors::single("number", invalid.0).0));
                    continue;
                }
            };
            results.push(match self.upsert_invoice(actor, &number, &line.invoice).await {
                Ok((saved, outcome)) => {
                    let name = serde_json::to_value(outcome).ok().and_then(|v| v.as_str().map(str::to_owned));
                    result(name.as_deref().unwrap_or("updated"), Some(saved.version), Vec::new())
                }
                Err(SaveInvoiceError::Invalid(errors)) => result("invalid", None, errors.0),
                Err(SaveInvoiceError::Busy) => result("failed", None, Vec::new()),
                Err(SaveInvoiceError::Store(e)) => return Err(e),
            });
        }
        Ok(results)
    }

    pub async fn get_invoice(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
    ) -> Result<Versioned<Invoice>, GetInvoiceError> {
        self.load(&keys::invoice(&actor.tenant, number)).await?.ok_or(GetInvoiceError::NotFound)
    }

    /// `GET /invoices`: by due date; `account` reads that account's index, `status` filters.
    pub async fn list_invoices(
        &self,
        actor: &Actor,
        filter: &InvoiceFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<InvoiceView>>, ListError> {
        let tenant = &actor.tenant;
        let today = self.tenant_today(tenant).await?;
        let mut query = match (filter.account_id, filter.status) {
            (Some(account), _) => Query::index(Index::Gsi2, keys::invoices_of_account_partition(tenant, account)),
            (None, Some(InvoiceStatus::Open | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue)) => {
                Query::index(Index::Gsi3, keys::open_invoices_partition(tenant))
            }
            (None, _) => Query::index(Index::Gsi1, keys::invoices_listing_partition(tenant)),
        };
        if filter.due_from.is_some() || filter.due_to.is_some() {
            let from = filter.due_from.map_or_else(|| "0".to_owned(), |d| d.to_string());
            let to = filter.due_to.map_or_else(|| "9".to_owned(), |d| format!("{d}#~"));
            query = query.range(SortKeyRange::Between(from, to));
        }
        let status = filter.status;
        let page = list_page(self.store.as_ref(), query, page, |invoice: &Invoice| {
            status.is_none_or(|s| invoice.status(today) == s)
        })
        .await?;
        let items = page.items.into_iter().map(|i| Versioned { value: i.value.view(today), version: i.version });
        Ok(Page { items: items.collect(), next_cursor: page.next_cursor })
    }

    pub async fn invoice_history(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
    ) -> Result<Vec<HistoryEvent>, GetInvoiceError> {
        let tenant = &actor.tenant;
        if self.store.get(&keys::invoice(tenant, number)).await?.is_none() {
            return Err(GetInvoiceError::NotFound);
        }
        let query = Query::partition(keys::invoice_partition(tenant, number))
            .range(SortKeyRange::BeginsWith(keys::CASE_EVENT_PREFIX.into()))
            .limit(100);
        Ok(self.read_all(query).await?)
    }

    pub async fn invoice_movements(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
    ) -> Result<InvoiceMovements, GetInvoiceError> {
        let tenant = &actor.tenant;
        if self.store.get(&keys::invoice(tenant, number)).await?.is_none() {
            return Err(GetInvoiceError::NotFound);
        }
        let partition = keys::invoice_partition(tenant, number);
        let payments =
            Query::partition(partition.clone()).range(SortKeyRange::BeginsWith(keys::PAYMENT_PREFIX.into())).limit(100);
        let notes =
            Query::partition(partition).range(SortKeyRange::BeginsWith(keys::CREDIT_NOTE_PREFIX.into())).limit(100);
        Ok(InvoiceMovements { payments: self.read_all(payments).await?, credit_notes: self.read_all(notes).await? })
    }

    /// `PUT /invoices/{number}/payments/{paymentId}`: applies a payment once. The same payment
    /// again is a replay (`false`); another amount under the same id is a conflict; more than
    /// the balance is refused. A payment that settles the invoice takes it out of the due index
    /// in the same write.
    pub async fn record_payment(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        payment_id: &DocumentNumber,
        input: PaymentInput,
    ) -> Result<(Versioned<Invoice>, bool), InvoiceChangeError> {
        input.validate()?;
        self.apply_once(actor, number, Movement::Payment(payment_id, &input)).await
    }

    /// `PUT /invoices/{number}/credit-notes/{noteNumber}` (supervisors): like a payment.
    pub async fn issue_credit_note(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        note_number: &DocumentNumber,
        input: CreditNoteInput,
    ) -> Result<(Versioned<Invoice>, bool), InvoiceChangeError> {
        actor.require(Role::Supervisor)?;
        input.validate()?;
        self.apply_once(actor, number, Movement::CreditNote(note_number, &input)).await
    }

    /// Applies a payment or credit note once, in one write: the movement (which must not
    /// exist), the invoice (at the version read), its history event and its dunning state. A
    /// lost race re-reads and decides again, so concurrent movements never over-pay.
    async fn apply_once(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        movement: Movement<'_>,
    ) -> Result<(Versioned<Invoice>, bool), InvoiceChangeError> {
        let tenant = &actor.tenant;
        let key = movement.key(tenant, number);
        for _ in 0..ATTEMPTS {
            let context = self.invoice_context(tenant, number).await?;
            let current = context.invoice.ok_or(InvoiceChangeError::NotFound)?;
            if let Some(existing) = self.store.get(&key).await? {
                return if movement.same_as(&existing)? {
                    Ok((current, false))
                } else {
                    Err(InvoiceChangeError::Duplicate(movement.name()))
                };
            }
            let mut invoice = current.value.clone();
            if !invoice.is_open() {
                return Err(InvoiceChangeError::Closed(invoice.status(self.tenant_today(tenant).await?)));
            }
            if movement.amount_minor() > invoice.balance_minor() {
                let balance = format!("{} {}", invoice.balance().decimal_string(), invoice.currency);
                return Err(ValidationErrors::single("amountMinor", format!("exceeds the balance of {balance}")).into());
            }
            let now = self.clock.now();
            let item = movement.apply(&mut invoice, key.clone(), actor, now)?;
            invoice.updated_at = now;
            invoice.updated_by = actor.user.clone();
            let event = movement.event(invoice.balance_minor());
            let version = current.version + 1;
            let mut ops = vec![
                WriteOp::Put { item, condition: Condition::not_exists(conditions::MOVEMENT) },
                WriteOp::Put {
                    item: invoice_item(tenant, &invoice, version)?,
                    condition: Condition::version_is(conditions::INVOICE, current.version),
                },
                self.invoice_history_op(actor, number, version, event)?,
            ];
            let profile = self.collections_profile(tenant, invoice.account_id).await?.value;
            self.arm_ops(actor, &invoice, context.state, &profile, &mut ops).await?;
            match self.store.write(ops).await {
                Ok(()) => return Ok((Versioned { value: invoice, version }, true)),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(InvoiceChangeError::Busy)
    }

    /// `POST /invoices/{number}/write-off` (supervisors): the balance is written off; no more
    /// reminders.
    pub async fn write_off_invoice(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        reason: &str,
        expected: u64,
    ) -> Result<Versioned<Invoice>, InvoiceChangeError> {
        actor.require(Role::Supervisor)?;
        let mut errors = ValidationErrors::new();
        let reason = errors.text("reason", reason, crate::receivables::NOTE_MAX, true);
        errors.finish()?;
        let tenant = &actor.tenant;
        let context = self.invoice_context(tenant, number).await?;
        let current = context.invoice.ok_or(InvoiceChangeError::NotFound)?;
        if current.version != expected {
            return Err(InvoiceChangeError::Stale(expected));
        }
        let mut invoice = current.value.clone();
        if !invoice.is_open() {
            return Err(InvoiceChangeError::Closed(invoice.status(self.tenant_today(tenant).await?)));
        }
        let reason = reason.unwrap_or_default();
        let amount_minor = invoice.balance_minor();
        invoice.written_off =
            Some(WriteOff { reason: reason.clone(), amount_minor, at: self.clock.now(), by: actor.user.clone() });
        invoice.updated_at = self.clock.now();
        invoice.updated_by = actor.user.clone();
        let version = current.version + 1;
        let mut ops = vec![
            WriteOp::Put {
                item: invoice_item(tenant, &invoice, version)?,
                condition: Condition::version_is(conditions::INVOICE, expected),
            },
            self.invoice_history_op(actor, number, version, EventKind::WrittenOff { amount_minor, reason })?,
        ];
        let profile = self.collections_profile(tenant, invoice.account_id).await?.value;
        self.arm_ops(actor, &invoice, context.state, &profile, &mut ops).await?;
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: invoice, version }),
            Err(StoreError::ConditionFailed { name: conditions::INVOICE }) => Err(InvoiceChangeError::Stale(expected)),
            Err(e) => Err(e.into()),
        }
    }

    /// `PATCH /invoices/{number}`: promised payment date, stop dunning, collections agent.
    pub async fn patch_invoice(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        patch: &InvoicePatch,
        expected: u64,
    ) -> Result<Versioned<Invoice>, InvoiceChangeError> {
        patch.validate()?;
        let tenant = &actor.tenant;
        let context = self.invoice_context(tenant, number).await?;
        let current = context.invoice.ok_or(InvoiceChangeError::NotFound)?;
        if current.version != expected {
            return Err(InvoiceChangeError::Stale(expected));
        }
        let mut invoice = current.value.clone();
        if let Some(promised) = patch.promised_on {
            invoice.promised_on = promised;
        }
        if let Some(stop) = patch.stop_dunning {
            invoice.stop_dunning = stop;
        }
        if let Some(agent) = &patch.collections_agent {
            invoice.collections_agent = agent.clone();
        }
        let changes = FieldChange::between(&current.value, &invoice);
        if changes.is_empty() {
            return Ok(current);
        }
        invoice.updated_at = self.clock.now();
        invoice.updated_by = actor.user.clone();
        let version = current.version + 1;
        let mut ops = vec![
            WriteOp::Put {
                item: invoice_item(tenant, &invoice, version)?,
                condition: Condition::version_is(conditions::INVOICE, expected),
            },
            self.invoice_history_op(actor, number, version, EventKind::Updated { changes })?,
        ];
        let profile = self.collections_profile(tenant, invoice.account_id).await?.value;
        self.arm_ops(actor, &invoice, context.state, &profile, &mut ops).await?;
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: invoice, version }),
            Err(StoreError::ConditionFailed { name: conditions::INVOICE }) => Err(InvoiceChangeError::Stale(expected)),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /accounts/{id}/aging`: the account's open invoices by bucket and currency, with its
    /// credit terms and how much credit is left.
    pub async fn account_aging(&self, actor: &Actor, account: EntityId) -> Result<AccountAging, GetInvoiceError> {
        let tenant = &actor.tenant;
        if self.store.get(&keys::account(tenant, account)).await?.is_none() {
            return Err(GetInvoiceError::NotFound);
        }
        let today = self.tenant_today(tenant).await?;
        let profile = self.collections_profile(tenant, account).await?.value;
        let query = Query::index(Index::Gsi2, keys::invoices_of_account_partition(tenant, account)).limit(100);
        let invoices: Vec<Invoice> = self.read_all(query).await?;
        let open: Vec<&Invoice> = invoices.iter().filter(|i| i.is_open()).collect();
        let totals = age(open.iter().copied(), today);
        let available = match (profile.credit_limit_minor, &profile.credit_currency) {
            (Some(limit), Some(currency)) => {
                let owed = totals.iter().find(|t| &t.currency == currency).map_or(0, |t| t.total);
                Some(limit - owed)
            }
            _ => None,
        };
        Ok(AccountAging {
            account_id: account,
            as_of: today,
            over_limit: available.is_some_and(|a| a < 0),
            available_credit_minor: available,
            profile,
            totals,
            invoices: open.into_iter().map(|i| i.view(today)).collect(),
        })
    }

    /// `GET /reports/aging`: every open invoice of the tenant (the sparse open index, so paid
    /// history costs nothing), grouped by account or by collections agent.
    pub async fn aging_report(
        &self,
        actor: &Actor,
        group_by: AgingGroup,
        agent: Option<&UserId>,
    ) -> Result<AgingReport, StoreError> {
        let tenant = &actor.tenant;
        let today = self.tenant_today(tenant).await?;
        let query = Query::index(Index::Gsi3, keys::open_invoices_partition(tenant)).limit(100);
        let invoices: Vec<Invoice> = self.read_all(query).await?;
        let mut profiles: HashMap<EntityId, CollectionsProfile> = HashMap::new();
        let mut names: HashMap<EntityId, String> = HashMap::new();
        let mut groups: std::collections::BTreeMap<(String, String), AgingTotals> = Default::default();
        let mut selected = Vec::new();
        for invoice in invoices.iter().filter(|i| i.is_open()) {
            if let std::collections::hash_map::Entry::Vacant(slot) = profiles.entry(invoice.account_id) {
                slot.insert(self.collections_profile(tenant, invoice.account_id).await?.value);
                let account = self.load::<crate::account::Account>(&keys::account(tenant, invoice.account_id)).await?;
                let name = account.map(|a| a.value.name).unwrap_or_default();
                names.insert(invoice.account_id, name);
            }
            let owner =
                invoice.collections_agent.clone().or_else(|| profiles[&invoice.account_id].collections_agent.clone());
            if agent.is_some_and(|a| owner.as_ref() != Some(a)) {
                continue;
            }
            let group = match group_by {
                AgingGroup::Account => invoice.account_id.to_string(),
                AgingGroup::Agent => owner.map_or_else(|| "unassigned".to_owned(), |u| u.to_string()),
            };
            groups
                .entry((group, invoice.currency.clone()))
                .or_insert_with(|| AgingTotals { currency: invoice.currency.clone(), ..Default::default() })
                .add(AgingBucket::of(invoice.days_past_due(today)), invoice.balance_minor());
            selected.push(invoice);
        }
        let rows = groups
            .into_iter()
            .map(|((group, _), totals)| {
                let name = match group_by {
                    AgingGroup::Account => EntityId::parse(&group).ok().and_then(|id| names.get(&id).cloned()),
                    AgingGroup::Agent => None,
                };
                AgingRow { group, name, totals }
            })
            .collect();
        Ok(AgingReport {
            as_of: today,
            group_by: match group_by {
                AgingGroup::Account => "account".into(),
                AgingGroup::Agent => "agent".into(),
            },
            rows,
            totals: age(selected, today),
        })
    }

    /// Takes every dunning step that is due, once, reading the due index from the watermark's
    /// day to today's (UTC).
    pub async fn sweep_invoices(&self) -> Result<InvoiceSweepReport, StoreError> {
        let now = self.clock.now();
        let mut report = InvoiceSweepReport::default();
        let watermark: Option<Date> = self
            .store
            .get(&keys::invoice_sweep_watermark())
            .await?
            .map(|item| records::read::<InvoiceWatermark>(&item))
            .transpose()?
            .map(|w| w.day);
        let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
        let mut day = watermark.unwrap_or_else(|| crate::receivables::add_days(today, -FIRST_SWEEP_DAYS));
        let upper = format!("{}~", stamp(now));
        let mut ladders: HashMap<TenantId, DunningLadder> = HashMap::new();
        while day <= today {
            report.days += 1;
            for shard in 0..keys::DUNNING_SHARDS {
                let mut query = Query::index(Index::Gsi1, keys::dunning_due_partition(&day.to_string(), shard))
                    // "0" sorts before every instant ("2…"); DynamoDB refuses empty key values.
                    .range(SortKeyRange::Between("0".into(), upper.clone()))
                    .limit(100);
                loop {
                    report.queries += 1;
                    let page = self.store.query(&query).await?;
                    for item in page.items {
                        report.items_read += 1;
                        self.take_step(item, now, &mut ladders, &mut report).await?;
                    }
                    match page.next_cursor {
                        Some(cursor) => query.cursor = Some(cursor),
                        None => break,
                    }
                }
            }
            day = crate::receivables::add_days(day, 1);
        }
        let body = records::body(&InvoiceWatermark { day: today, at: stamp(now) })?;
        let item = Item::new(keys::invoice_sweep_watermark(), WATERMARK_ENTITY, 1, body);
        self.store.write(vec![WriteOp::Put { item, condition: Condition::ALWAYS }]).await?;
        Ok(report)
    }

    /// Takes the due step of one invoice (or passes over stale ones) and arms the next.
    async fn take_step(
        &self,
        item: Item,
        now: Timestamp,
        ladders: &mut HashMap<TenantId, DunningLadder>,
        report: &mut InvoiceSweepReport,
    ) -> Result<(), StoreError> {
        let mut state: DunningState = records::read(&item)?;
        let (Some(at), Some(due_on)) = (state.next_at, state.due_on) else { return Ok(()) };
        if at > now {
            return Ok(());
        }
        let tenant = state.tenant.clone();
        let actor = Actor::system(&tenant);
        let ladder = match &state.ladder {
            Some(ladder) => ladder.clone(),
            None => {
                if let std::collections::hash_map::Entry::Vacant(slot) = ladders.entry(tenant.clone()) {
                    report.items_read += 1;
                    slot.insert(self.dunning_ladder(&tenant).await?.value);
                }
                ladders[&tenant].clone()
            }
        };
        let today = local_day(now, &state.time_zone);
        let decision = match state.promised_on {
            // Promised to pay: nothing until the day after the promise.
            Some(promise) if promise >= today => {
                crate::receivables::Decision { send: None, skipped: Vec::new(), handled_through: state.handled_through }
            }
            _ => ladder.decide(due_on, state.handled_through, today),
        };
        let number = state.number.clone();
        let mut change = ChangeSet {
            ops: Vec::new(),
            messages: Vec::new(),
            occurrence: String::new(),
            version: 0,
            context: Value::Null,
        };
        let mut case_messages = Vec::new();
        for &index in &decision.skipped {
            let step = &ladder.steps[index];
            let reason = if ladder.is_stale(index, due_on, today) {
                format!(
                    "stale on {today}: {}",
                    crate::receivables::step_label(days_between(due_on, today), crate::document::Locale::Es)
                )
            } else {
                "superseded by a later step".to_owned()
            };
            change.ops.push(self.invoice_history_op(
                &actor,
                &number,
                0,
                EventKind::ReminderSkipped { step: step.key.clone(), reason },
            )?);
            report.skipped_steps += 1;
        }
        if let Some(index) = decision.send {
            let step = &ladder.steps[index];
            let days_past_due = days_between(due_on, today);
            let occurrence = format!("dunning:{due_on}:{}", step.key);
            let subject = format!("invoice:{number}");
            let notify_id = effect_id(&tenant, &subject, &occurrence, &format!("notify:{}", step.template));
            let mut notification = Notification::new(
                &tenant,
                Subject::Invoice { id: number.clone() },
                step.template.clone(),
                Recipient::Customer,
            );
            notification.occurrence = Some(occurrence.clone());
            notification.context = Some(json!({"dunning": {"step": step.key, "offsetDays": step.offset_days}}));
            let message = EffectMessage::new(notify_id.clone(), notification);
            change.ops.push(self.outbox_op(&tenant, OutboxOwner::Invoice(number.clone()), &message)?);
            change.messages.push(message);
            change.ops.push(self.invoice_history_op(
                &actor,
                &number,
                0,
                EventKind::ReminderQueued { step: step.key.clone(), effect_id: notify_id, days_past_due },
            )?);
            if let Some(task) = &step.task {
                let seed = CaseSeed {
                    subject: format!("Cobro factura {number} ({})", step.key),
                    description: Some(format!(
                        "Gestión de cobro de la factura {number}: {}",
                        crate::receivables::step_label(days_past_due, crate::document::Locale::Es)
                    )),
                    account_id: Some(state.account_id),
                    contact_id: state.contact_id,
                    owner: state.agent.clone(),
                    branch: None,
                    channel: crate::case::Channel::Other,
                };
                let case = self.opened_case_ops(&actor, &task.case_type, seed, &mut change).await?;
                change.ops.push(self.invoice_history_op(
                    &actor,
                    &number,
                    0,
                    EventKind::FollowUpOpened { case_id: case.id, case_type: case.case_type.to_string() },
                )?);
                if step.collection_letter {
                    let document =
                        self.collection_letter_ops(&actor, &number, &occurrence, case.id, &mut change).await?;
                    case_messages.push((case.id, document));
                }
            }
            report.sent += 1;
        }
        state.handled_through = decision.handled_through;
        // Every step due by today is handled now, so the next one falls on a later day.
        state.next_at = ladder
            .next_due(due_on, state.handled_through, state.promised_on, today)
            .map(|day| send_instant(day, ladder.send_hour, &state.time_zone));
        change.ops.push(WriteOp::Put {
            item: state_item(&state, item.version + 1, now)?,
            condition: Condition::version_is(conditions::COLLECTIONS_STATE, item.version),
        });
        match self.store.write(change.ops).await {
            Ok(()) => {
                self.publish_committed(&tenant, OutboxOwner::Invoice(number), &change.messages).await;
                for (case, message) in case_messages {
                    self.publish_committed(&tenant, OutboxOwner::Case(case), std::slice::from_ref(&message)).await;
                }
                Ok(())
            }
            Err(StoreError::ConditionFailed { .. }) => {
                report.lost_races += 1;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// A collection letter [carta de cobro] queued on the collections case, with the invoice's
    /// figures as its fields. Its outbox entry lives in the case's partition.
    async fn collection_letter_ops(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        occurrence: &str,
        case: EntityId,
        change: &mut ChangeSet,
    ) -> Result<EffectMessage, StoreError> {
        let tenant = &actor.tenant;
        let invoice =
            self.load::<Invoice>(&keys::invoice(tenant, number)).await?.ok_or_else(|| StoreError::Corrupt {
                pk: keys::invoice(tenant, number).pk,
                sk: keys::META.into(),
                reason: "dunning state without its invoice".into(),
            })?;
        let template = DocumentTemplate::CollectionLetter;
        let effect = effect_id(tenant, &format!("invoice:{number}"), occurrence, "document:collection_letter");
        let (document_id, op) = self.queued_document(actor, case, template, &effect)?;
        change.ops.push(op);
        let mut job = DocumentJob::new(tenant, case, template.key());
        job.document_id = Some(document_id);
        job.fields = json!({
            "reference": number.as_str(),
            "amountDueMinor": invoice.value.balance_minor(),
            "currency": invoice.value.currency,
            "dueDate": invoice.value.due_on.to_string(),
        })
        .as_object()
        .cloned();
        job.notify = true;
        job.occurrence = Some(occurrence.to_owned());
        let message = EffectMessage::new(effect.clone(), job);
        change.ops.push(self.outbox_op(tenant, OutboxOwner::Case(case), &message)?);
        change.ops.push(self.history_op(
            actor,
            case,
            1,
            self.new_id(),
            EventKind::DocumentRequested { document_id, template: template.key().into(), effect_id: Some(effect) },
        )?);
        Ok(message)
    }
}
