//! Invoices: idempotent upserts from the ERP, payments and credit notes, write-offs and staff edits.

use crate::ExpectedVersion;
use crate::access::{Module, Operation, Permission};
use crate::service::outbox::OutboxOwner;
use crate::webhook::WebhookEventType;
use std::collections::HashMap;

use jiff::Timestamp;

use super::{
    ATTEMPTS, BatchInvoice, BatchResult, CREDIT_NOTE_ENTITY, GetInvoiceError, InvoiceChangeError, InvoiceContext,
    InvoiceFilter, InvoiceMovements, PAYMENT_ENTITY, SaveInvoiceError, Upserted, invoice_item,
};
use crate::actor::Actor;
use crate::history::{EventKind, FieldChange, HistoryEvent};
use crate::ids::{DocumentNumber, EntityId, TenantId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::receivables::{
    AgingBucket, CollectionsProfile, CreditNote, CreditNoteInput, Invoice, InvoiceFields, InvoiceInput, InvoicePatch,
    InvoiceStatus, InvoiceView, Payment, PaymentInput, WriteOff,
};
use crate::records;
use crate::service::search::index_changes;
use crate::service::{ListError, PageRequest, Services, conditions, list_page};
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

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

    /// Why a second movement with this number is refused.
    fn recorded_differently(&self) -> crate::Message {
        match self {
            Self::Payment(id, _) => msg::detail_payment_recorded(id),
            Self::CreditNote(id, _) => msg::detail_credit_note_recorded(id),
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

impl Services {
    /// `PUT /invoices/{number}`: creates or updates an invoice as the ERP knows it. Sending the
    /// same data again writes nothing. What was paid and credited stays; a total below it, or
    /// a new currency or account once money moved, is refused.
    pub async fn upsert_invoice(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        input: &InvoiceInput,
    ) -> Result<(Versioned<Invoice>, Upserted), SaveInvoiceError> {
        actor.permit(Permission::new(Module::Receivables, Operation::Create))?;
        let tenant = &actor.tenant;
        let account_exists = self.store.get(&keys::account(tenant, input.account_id)).await?.is_some();
        let profile = self.collections_profile(tenant, input.account_id).await?.value;
        let fields = match input.validate(profile.credit_days) {
            Ok(fields) if account_exists => fields,
            Ok(_) => return Err(ValidationErrors::single("accountId", msg::no_such_account()).into()),
            Err(mut errors) => {
                if !account_exists {
                    errors.add("accountId", msg::no_such_account());
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
                return Err(ValidationErrors::single("contactId", msg::no_such_contact_of_account()).into());
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
                    errors.add("currency", msg::fixed_once_applied());
                }
                if moved > 0 && after.account_id != before.account_id {
                    errors.add("accountId", msg::fixed_once_applied());
                }
                if after.total_minor < moved {
                    errors.add("totalMinor", msg::at_least_applied(moved));
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
        // Its number and description are found by search: only an upsert changes them.
        ops.extend(index_changes(tenant, context.invoice.as_ref().map(|c| &c.value), &invoice)?);
        self.arm_ops(actor, &invoice, context.state, profile, &mut ops).await?;
        let announced = match outcome {
            Upserted::Created => {
                self.announce_invoice(tenant, &invoice, version, WebhookEventType::InvoiceCreated).await?
            }
            _ => None,
        };
        let announced = announced.map(|(op, message)| {
            ops.push(op);
            message
        });
        match self.store.write(ops).await {
            Ok(()) => {
                if let Some(message) = announced {
                    self.publish_committed(tenant, OutboxOwner::Invoice(number.clone()), &[message]).await;
                }
                Ok((Versioned { value: invoice, version }, outcome))
            }
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
    ) -> Result<Vec<BatchResult>, SaveInvoiceError> {
        actor.permit(Permission::new(Module::Receivables, Operation::Create))?;
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
                    results.push(result("invalid", None, ValidationErrors::single("number", invalid.into()).0));
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
                Err(e @ (SaveInvoiceError::Store(_) | SaveInvoiceError::Forbidden(_))) => return Err(e),
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

    /// `GET /invoices`: by due date; `account` reads that account's index, an open status or
    /// an aging bucket the open index, and the other filters keep what matches. With an agent,
    /// an invoice that names nobody is kept when its account's profile names the agent, so a
    /// page may hold fewer rows than asked while its cursor still goes on.
    pub async fn list_invoices(
        &self,
        actor: &Actor,
        filter: &InvoiceFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<InvoiceView>>, ListError> {
        let tenant = &actor.tenant;
        let today = self.tenant_today(tenant).await?;
        let open_only = filter.owed
            || filter.bucket.is_some()
            || matches!(
                filter.status,
                Some(InvoiceStatus::Open | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue)
            );
        let mut query = match filter.account_id {
            Some(account) => Query::index(Index::Gsi2, keys::invoices_of_account_partition(tenant, account)),
            None if open_only => Query::index(Index::Gsi3, keys::open_invoices_partition(tenant)),
            None => Query::index(Index::Gsi1, keys::invoices_listing_partition(tenant)),
        };
        if filter.due_from.is_some() || filter.due_to.is_some() {
            let from = filter.due_from.map_or_else(|| "0".to_owned(), |d| d.to_string());
            let to = filter.due_to.map_or_else(|| "9".to_owned(), |d| format!("{d}#~"));
            query = query.range(SortKeyRange::Between(from, to));
        }
        let (status, bucket, agent) = (filter.status, filter.bucket, filter.agent.as_ref());
        let mut page = list_page(self.store.as_ref(), query, page, |invoice: &Invoice| {
            status.is_none_or(|s| invoice.status(today) == s)
                && (!open_only || invoice.is_open())
                && bucket.is_none_or(|b| invoice.is_open() && AgingBucket::of(invoice.days_past_due(today)) == b)
                && agent.is_none_or(|a| invoice.collections_agent.as_ref().is_none_or(|named| named == a))
        })
        .await?;
        if let Some(agent) = agent {
            let mut collects: HashMap<EntityId, bool> = HashMap::new();
            let mut kept = Vec::with_capacity(page.items.len());
            for item in page.items {
                let account = item.value.account_id;
                let keep = match (&item.value.collections_agent, collects.get(&account)) {
                    (Some(_), _) => true,
                    (None, Some(known)) => *known,
                    (None, None) => {
                        let profile = self.collections_profile(tenant, account).await?.value;
                        let known = profile.collections_agent.as_ref() == Some(agent);
                        collects.insert(account, known);
                        known
                    }
                };
                if keep {
                    kept.push(item);
                }
            }
            page.items = kept;
        }
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
        actor.permit(Permission::new(Module::Receivables, Operation::Create))?;
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
        actor.permit(Permission::new(Module::Receivables, Operation::Archive))?;
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
                    Err(InvoiceChangeError::Duplicate(movement.recorded_differently()))
                };
            }
            let mut invoice = current.value.clone();
            if !invoice.is_open() {
                return Err(InvoiceChangeError::Closed(invoice.status(self.tenant_today(tenant).await?)));
            }
            if movement.amount_minor() > invoice.balance_minor() {
                let balance = format!("{} {}", invoice.balance().decimal_string(), invoice.currency);
                return Err(ValidationErrors::single("amountMinor", msg::exceeds_balance(balance)).into());
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
            let announced = match invoice.balance_minor() {
                0 => self.announce_invoice(tenant, &invoice, version, WebhookEventType::InvoicePaid).await?,
                _ => None,
            };
            let announced = announced.map(|(op, message)| {
                ops.push(op);
                message
            });
            match self.store.write(ops).await {
                Ok(()) => {
                    if let Some(message) = announced {
                        self.publish_committed(tenant, OutboxOwner::Invoice(number.clone()), &[message]).await;
                    }
                    return Ok((Versioned { value: invoice, version }, true));
                }
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
        expected: ExpectedVersion,
    ) -> Result<Versioned<Invoice>, InvoiceChangeError> {
        actor.permit(Permission::new(Module::Receivables, Operation::Archive))?;
        let mut errors = ValidationErrors::new();
        let reason = errors.text("reason", reason, crate::receivables::NOTE_MAX, true);
        errors.finish()?;
        let tenant = &actor.tenant;
        let context = self.invoice_context(tenant, number).await?;
        let current = context.invoice.ok_or(InvoiceChangeError::NotFound)?;
        let expected = expected.admit(current.version).ok_or_else(|| InvoiceChangeError::Stale(expected.named()))?;
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
        expected: ExpectedVersion,
    ) -> Result<Versioned<Invoice>, InvoiceChangeError> {
        actor.permit(Permission::new(Module::Receivables, Operation::Update))?;
        patch.validate()?;
        let tenant = &actor.tenant;
        let context = self.invoice_context(tenant, number).await?;
        let current = context.invoice.ok_or(InvoiceChangeError::NotFound)?;
        let expected = expected.admit(current.version).ok_or_else(|| InvoiceChangeError::Stale(expected.named()))?;
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
}
