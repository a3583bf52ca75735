//! The write machinery every case change shares: the change set a use case gathers (writes and
//! effects, committed in one atomic batch), history events, and the outbox entries and
//! `effectEnqueued` events of the effects a change sets off.

use super::outbox::{OutboxOwner, effect_id};
use super::{Services, conditions};
use crate::actor::Actor;
use crate::case::Case;
use crate::case_type::{CaseType, Effect, Recipient};
use crate::effects::{DocumentJob, EffectBody, EffectMessage, Notification, Subject};
use crate::history::{EventKind, HistoryEvent};
use crate::ids::{EntityId, TenantId, UserId};
use crate::keys;
use crate::ports::{Condition, Item, Key, StoreError, WriteOp};
use crate::records;

/// The entity of case (and lead) history events.
pub const EVENT_ENTITY: &str = "CaseEvent";

/// What an effect is about: the parts of a case its message names.
pub(crate) struct EffectSubject<'a> {
    pub id: EntityId,
    pub owner: Option<&'a UserId>,
    pub supervisors: Vec<UserId>,
    pub contact_id: Option<EntityId>,
    pub account_id: Option<EntityId>,
}

impl<'a> EffectSubject<'a> {
    pub fn of(case: &'a Case, supervisors: Vec<UserId>) -> Self {
        Self {
            id: case.id,
            owner: case.owner.as_ref(),
            supervisors,
            contact_id: case.contact_id,
            account_id: case.account_id,
        }
    }
}

/// Writes and effects gathered for one atomic change of a case.
pub(crate) struct ChangeSet {
    pub ops: Vec<WriteOp>,
    pub messages: Vec<EffectMessage>,
    /// The history event the effects belong to: their occurrence.
    pub occurrence: String,
    /// The case version the change produces.
    pub version: u64,
    /// Extra template data for the change's e-mails (e.g. the SLA clock), or null.
    pub context: serde_json::Value,
}

/// What a caller of `arm_sla` already knows, so the clocks are armed without reading it again.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known<'a> {
    /// The case's definition, when the caller read it.
    pub definition: Option<&'a CaseType>,
    /// The case is being created in the same change: it has no history and no clocks.
    pub new_case: bool,
}

/// The write of one history event of a case.
pub(crate) fn history_put(tenant: &TenantId, case: EntityId, event: &HistoryEvent) -> Result<WriteOp, StoreError> {
    event_put(keys::case_event(tenant, case, event.id), event)
}

/// The write of one history event under `key`: a case's, a lead's, a contact's or an invoice's
/// history all hold the same events.
pub(crate) fn event_put(key: Key, event: &HistoryEvent) -> Result<WriteOp, StoreError> {
    let item = Item::new(key, EVENT_ENTITY, 1, records::body(event)?);
    Ok(WriteOp::Put { item, condition: Condition::not_exists(conditions::HISTORY_EVENT) })
}

impl Services {
    /// Appends one event to the history of a case, lead or invoice, at the subject's current
    /// version (what a worker records after it acted: an e-mail sent, a document filed).
    pub async fn append_history(
        &self,
        actor: &Actor,
        subject: &Subject,
        version: u64,
        kind: EventKind,
    ) -> Result<(), StoreError> {
        let op = match subject {
            Subject::Case { id } => self.history_op(actor, *id, version, self.new_id(), kind)?,
            Subject::Lead { id } => self.lead_history_op(actor, *id, version, kind)?,
            Subject::Invoice { id } => self.invoice_history_op(actor, id, version, kind)?,
            // A subscription keeps no history: its deliveries are its log.
            Subject::Webhook { .. } => return Ok(()),
        };
        self.store.write(vec![op]).await
    }

    /// One event of a case's history, by id.
    pub async fn case_event(
        &self,
        tenant: &TenantId,
        case: EntityId,
        event: EntityId,
    ) -> Result<Option<HistoryEvent>, StoreError> {
        match self.store.get(&keys::case_event(tenant, case, event)).await? {
            Some(item) => records::read(&item).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn history_op(
        &self,
        actor: &Actor,
        case: EntityId,
        case_version: u64,
        id: EntityId,
        kind: EventKind,
    ) -> Result<WriteOp, StoreError> {
        let event = HistoryEvent { id, at: self.clock.now(), actor: actor.user.clone(), case_version, kind };
        history_put(&actor.tenant, case, &event)
    }

    /// A new history event by `actor`, now, at the subject's `version`.
    pub(crate) fn new_event(&self, actor: &Actor, version: u64, kind: EventKind) -> HistoryEvent {
        HistoryEvent { id: self.new_id(), at: self.clock.now(), actor: actor.user.clone(), case_version: version, kind }
    }

    /// Adds one notification or document effect: its outbox entry and an `effectEnqueued` event.
    pub(crate) fn effect_ops(
        &self,
        actor: &Actor,
        case: &EffectSubject<'_>,
        rule: &str,
        effect: &Effect,
        change: &mut ChangeSet,
    ) -> Result<(), StoreError> {
        let tenant = &actor.tenant;
        let (kind, template) = match effect {
            Effect::Notify { template, .. } => ("notify", template),
            Effect::Document { template, .. } => ("document", template),
            Effect::Assign { .. } | Effect::FollowUp { .. } | Effect::SetFields { .. } => return Ok(()),
        };
        let id =
            effect_id(tenant, &format!("case:{}", case.id), &change.occurrence, &format!("{rule}:{kind}:{template}"));
        let context = (!change.context.is_null()).then(|| change.context.clone());
        let body: EffectBody = match effect {
            Effect::Notify { to, template } => {
                let users: Vec<UserId> = match to {
                    Recipient::Owner => case.owner.iter().map(|u| (*u).clone()).collect(),
                    Recipient::Supervisor => case.supervisors.clone(),
                    Recipient::Customer => Vec::new(),
                };
                let mut notification = Notification::new(tenant, Subject::Case { id: case.id }, template, *to);
                notification.users = users;
                notification.contact_id = case.contact_id;
                notification.account_id = case.account_id;
                notification.case_version = Some(change.version);
                notification.occurrence = Some(change.occurrence.clone());
                notification.context = context;
                notification.into()
            }
            Effect::Document { template, send_to_customer, fields } => {
                let mut job = DocumentJob::new(tenant, case.id, template);
                job.send_to_customer = *send_to_customer;
                job.sources = fields.clone();
                // Validated with the case type; a template removed since is reported by the worker.
                if let Some(template) = crate::document::DocumentTemplate::parse(template) {
                    let (document_id, op) = self.queued_document(actor, case.id, template, &id)?;
                    change.ops.push(op);
                    job.document_id = Some(document_id);
                    job.notify = case.owner.is_some();
                }
                job.case_version = Some(change.version);
                job.occurrence = Some(change.occurrence.clone());
                job.context = context;
                job.into()
            }
            Effect::Assign { .. } | Effect::FollowUp { .. } | Effect::SetFields { .. } => return Ok(()),
        };
        let message = EffectMessage::new(id.clone(), body);
        change.ops.push(self.outbox_op(tenant, OutboxOwner::Case(case.id), &message)?);
        let event = EventKind::EffectEnqueued {
            effect_id: id,
            queue: message.queue.as_str().into(),
            kind: format!("{kind}:{template}"),
        };
        change.ops.push(self.history_op(actor, case.id, change.version, self.new_id(), event)?);
        change.messages.push(message);
        Ok(())
    }
}
