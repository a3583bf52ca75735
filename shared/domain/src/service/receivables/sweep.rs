//! The invoice-due sweep: every due dunning step, once, day by day from its watermark.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{DunningState, FIRST_SWEEP_DAYS, WATERMARK_ENTITY, local_day, send_instant, state_item};
use crate::actor::Actor;
use crate::case_type::Recipient;
use crate::document::DocumentTemplate;
use crate::effects::{DocumentJob, EffectMessage, Notification, Subject};
use crate::history::{EventKind, SkipCause};
use crate::ids::{DocumentNumber, EntityId, TenantId};
use crate::keys;
use crate::ports::{Condition, Index, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::receivables::{DunningLadder, DunningStep, Invoice, days_between};
use crate::records;
use crate::service::change::ChangeSet;
use crate::service::outbox::{OutboxOwner, effect_id};
use crate::service::transitions::CaseSeed;
use crate::service::webhooks::Announcement;
use crate::service::{Services, conditions, utc_stamp as stamp};
use crate::webhook::WebhookEventType;

/// How far the invoice sweep got: the last day it finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InvoiceWatermark {
    pub(crate) day: Date,
    pub(crate) at: String,
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
    /// `invoice.overdue` announcements queued (for tenants whose webhooks want them).
    pub announced_overdue: usize,
}

impl Services {
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

    /// Announces that one invoice fell overdue, takes its due step (or passes over stale ones)
    /// and arms what comes next, in one write of its state.
    async fn take_step(
        &self,
        item: Item,
        now: Timestamp,
        ladders: &mut HashMap<TenantId, DunningLadder>,
        report: &mut InvoiceSweepReport,
    ) -> Result<(), StoreError> {
        let mut state: DunningState = records::read(&item)?;
        if state.wake_at().is_none_or(|at| at > now) {
            return Ok(());
        }
        let tenant = state.tenant.clone();
        let number = state.number.clone();
        let mut change = ChangeSet {
            ops: Vec::new(),
            messages: Vec::new(),
            occurrence: String::new(),
            version: 0,
            context: Value::Null,
        };
        if state.overdue_at.is_some_and(|at| at <= now) {
            state.overdue_at = None;
            if let Some((op, message)) = self.overdue_announcement(&state).await? {
                change.ops.push(op);
                change.messages.push(message);
                report.announced_overdue += 1;
            }
        }
        let mut case_messages = Vec::new();
        if state.next_at.is_some_and(|at| at <= now) {
            let actor = Actor::system(&tenant);
            case_messages = self.ladder_step(&actor, &mut state, now, ladders, report, &mut change).await?;
        }
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

    /// `invoice.overdue`, when a subscription wants it and the invoice is still owed on the
    /// due date the state was armed for.
    async fn overdue_announcement(&self, state: &DunningState) -> Result<Option<Announcement>, StoreError> {
        // Most tenants want no such event: they pay no read of the invoice.
        if !self.wants(&state.tenant, WebhookEventType::InvoiceOverdue).await? {
            return Ok(None);
        }
        let Some(invoice) = self.load::<Invoice>(&keys::invoice(&state.tenant, &state.number)).await? else {
            return Ok(None);
        };
        if !invoice.value.is_open() || state.due_on != Some(invoice.value.due_on) {
            return Ok(None);
        }
        self.announce_invoice(&state.tenant, &invoice.value, invoice.version, WebhookEventType::InvoiceOverdue).await
    }

    /// Takes the ladder's due step (or passes over stale ones) and arms the next. Returns the
    /// collection letters to publish from their cases' outboxes once committed.
    async fn ladder_step(
        &self,
        actor: &Actor,
        state: &mut DunningState,
        now: Timestamp,
        ladders: &mut HashMap<TenantId, DunningLadder>,
        report: &mut InvoiceSweepReport,
        change: &mut ChangeSet,
    ) -> Result<Vec<(EntityId, EffectMessage)>, StoreError> {
        let Some(due_on) = state.due_on else { return Ok(Vec::new()) };
        let ladder = self.ladder_of(state, ladders, report).await?;
        let today = local_day(now, &state.time_zone);
        let decision = match state.promised_on {
            // Promised to pay: nothing until the day after the promise.
            Some(promise) if promise >= today => {
                crate::receivables::Decision { send: None, skipped: Vec::new(), handled_through: state.handled_through }
            }
            _ => ladder.decide(due_on, state.handled_through, today),
        };
        let number = state.number.clone();
        for &index in &decision.skipped {
            let cause = if ladder.is_stale(index, due_on, today) {
                SkipCause::Stale { on: today, days_past_due: days_between(due_on, today) }
            } else {
                SkipCause::Superseded
            };
            let reason = match &cause {
                SkipCause::Stale { on, days_past_due } => {
                    let label = crate::receivables::step_label(*days_past_due, crate::document::Locale::En);
                    format!("stale on {on}: the invoice {label}")
                }
                SkipCause::Superseded => "superseded by a later step".to_owned(),
            };
            let step = ladder.steps[index].key.clone();
            let skipped = EventKind::ReminderSkipped { step, reason, cause: Some(cause) };
            change.ops.push(self.invoice_history_op(actor, &number, 0, skipped)?);
            report.skipped_steps += 1;
        }
        let mut case_messages = Vec::new();
        if let Some(index) = decision.send {
            let step = &ladder.steps[index];
            case_messages.extend(self.send_step_ops(actor, state, step, (due_on, today), change).await?);
            report.sent += 1;
        }
        state.handled_through = decision.handled_through;
        // Every step due by today is handled now, so the next one falls on a later day.
        state.next_at = ladder
            .next_due(due_on, state.handled_through, state.promised_on, today)
            .map(|day| send_instant(day, ladder.send_hour, &state.time_zone));
        Ok(case_messages)
    }

    /// A collection letter [carta de cobro] queued on the collections case, with the invoice's
    /// figures as its fields. Its outbox entry lives in the case's partition.
    /// The ladder an invoice follows: its account's own, or the tenant's (read once per sweep).
    async fn ladder_of(
        &self,
        state: &DunningState,
        ladders: &mut HashMap<TenantId, DunningLadder>,
        report: &mut InvoiceSweepReport,
    ) -> Result<DunningLadder, StoreError> {
        if let Some(ladder) = &state.ladder {
            return Ok(ladder.clone());
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = ladders.entry(state.tenant.clone()) {
            report.items_read += 1;
            slot.insert(self.dunning_ladder(&state.tenant).await?.value);
        }
        Ok(ladders[&state.tenant].clone())
    }

    /// The writes of a step taken: the reminder to the customer and, when the step has a task,
    /// a collections case (with its collection letter). Returns the case's document effect, to
    /// publish from the case's outbox once committed.
    async fn send_step_ops(
        &self,
        actor: &Actor,
        state: &DunningState,
        step: &DunningStep,
        (due_on, today): (Date, Date),
        change: &mut ChangeSet,
    ) -> Result<Option<(EntityId, EffectMessage)>, StoreError> {
        let tenant = &actor.tenant;
        let number = &state.number;
        let days_past_due = days_between(due_on, today);
        let occurrence = format!("dunning:{due_on}:{}", step.key);
        let notify_id =
            effect_id(tenant, &format!("invoice:{number}"), &occurrence, &format!("notify:{}", step.template));
        let mut notification = Notification::new(
            tenant,
            Subject::Invoice { id: number.clone() },
            step.template.clone(),
            Recipient::Customer,
        );
        notification.occurrence = Some(occurrence.clone());
        notification.context = Some(json!({"dunning": {"step": step.key, "offsetDays": step.offset_days}}));
        let message = EffectMessage::new(notify_id.clone(), notification);
        change.ops.push(self.outbox_op(tenant, OutboxOwner::Invoice(number.clone()), &message)?);
        change.messages.push(message);
        let queued = EventKind::ReminderQueued { step: step.key.clone(), effect_id: notify_id, days_past_due };
        change.ops.push(self.invoice_history_op(actor, number, 0, queued)?);
        let Some(task) = &step.task else { return Ok(None) };
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
        let case = self.opened_case_ops(actor, &task.case_type, seed, change).await?;
        let opened = EventKind::FollowUpOpened { case_id: case.id, case_type: case.case_type.to_string() };
        change.ops.push(self.invoice_history_op(actor, number, 0, opened)?);
        if !step.collection_letter {
            return Ok(None);
        }
        let document = self.collection_letter_ops(actor, number, &occurrence, case.id, change).await?;
        Ok(Some((case.id, document)))
    }

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
