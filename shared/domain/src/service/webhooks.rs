//! Webhook subscriptions [integraciones]: a tenant admin's endpoints, and the events the use
//! cases announce to them. An announced event is an outbox entry written in the same atomic
//! batch as the change it reports (so it is never lost, and never sent for a change that did
//! not commit); the webhooks worker (`webhook_deliveries`) turns it into signed deliveries.

use crate::access::{Module, Operation, Permission};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::outbox::{OutboxOwner, effect_id};
use super::{Services, conditions};
use crate::actor::{Actor, Forbidden};
use crate::effects::{EffectMessage, WebhookEvent};
use crate::ids::{EntityId, TenantId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;
use crate::webhook::{
    EndpointPolicy, MAX_SUBSCRIPTIONS, SigningSecret, Subscription, SubscriptionStatus, WebhookEventType,
    check_endpoint,
};
use crate::{ExpectedVersion, Versioned};

pub const SUBSCRIPTION_ENTITY: &str = "WebhookSubscription";
pub const DESCRIPTION_MAX: usize = 200;
/// How long a function trusts the subscriptions it read when it decides whether to announce an
/// event: a subscription created in another function is seen within this time.
const DIRECTORY_TTL: Duration = Duration::from_secs(30);

/// The events a tenant's active subscriptions want: one item, read by key, so every announcing
/// function (the public form's too, which may not query) learns with one read whether a change
/// is worth an event. It is written in the same atomic write as each subscription change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WantedEvents {
    pub events: Vec<WebhookEventType>,
}

pub const WANTED_EVENTS_ENTITY: &str = "WebhookEvents";

/// The events each tenant's subscriptions want, as the announcing use cases last read them.
#[derive(Default)]
pub(crate) struct WantedEventsCache {
    tenants: Mutex<HashMap<TenantId, (Instant, Arc<WantedEvents>)>>,
}

/// An announcement to add to a change: its outbox entry, and the message published once the
/// change commits.
pub(crate) type Announcement = (WriteOp, EffectMessage);

impl WantedEventsCache {
    fn fresh(&self, tenant: &TenantId) -> Option<Arc<WantedEvents>> {
        let tenants = self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tenants.get(tenant).filter(|(read, _)| read.elapsed() < DIRECTORY_TTL).map(|(_, wanted)| Arc::clone(wanted))
    }

    fn keep(&self, tenant: &TenantId, wanted: WantedEvents) -> Arc<WantedEvents> {
        let wanted = Arc::new(wanted);
        let mut tenants = self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tenants.insert(tenant.clone(), (Instant::now(), Arc::clone(&wanted)));
        wanted
    }

    fn forget(&self, tenant: &TenantId) {
        self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(tenant);
    }
}

/// What one write does to one subscription.
pub(super) enum SubscriptionWrite<'a> {
    /// Stores it over `version` (`None`: as new).
    Put {
        subscription: &'a Subscription,
        version: Option<u64>,
    },
    Delete {
        id: EntityId,
        version: u64,
    },
}

/// Tries of a subscription write whose index of wanted events another admin's write moved.
const INDEX_ATTEMPTS: usize = 3;

/// What an admin sends to subscribe an endpoint or change a subscription.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubscriptionInput {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    /// Only on a change: switch it on (which also forgets past failures) or off.
    pub status: Option<SubscriptionStatus>,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveSubscriptionError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("no such subscription")]
    NotFound,
    #[error("the subscription changed since version {0:?}")]
    Stale(Option<u64>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetSubscriptionError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such subscription")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Services {
    /// Where this deployment lets deliveries go (the local runner allows loopback HTTP).
    pub fn with_endpoint_policy(mut self, policy: EndpointPolicy) -> Self {
        self.endpoints = policy;
        self
    }

    /// The tenant's subscriptions, oldest first (admins only).
    pub async fn list_subscriptions(
        &self,
        actor: &Actor,
    ) -> Result<Vec<Versioned<Subscription>>, GetSubscriptionError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Read))?;
        Ok(self.subscriptions_of(&actor.tenant).await?)
    }

    pub(crate) async fn subscriptions_of(&self, tenant: &TenantId) -> Result<Vec<Versioned<Subscription>>, StoreError> {
        let page = self
            .store
            .query(
                &Query::partition(keys::webhook_subscriptions_partition(tenant))
                    .range(SortKeyRange::BeginsWith(keys::WEBHOOK_SUBSCRIPTION_PREFIX.into()))
                    .limit(MAX_SUBSCRIPTIONS as u32 + 5),
            )
            .await?;
        page.items.iter().map(|item| Ok(Versioned { version: item.version, value: records::read(item)? })).collect()
    }

    pub async fn get_subscription(
        &self,
        actor: &Actor,
        id: EntityId,
    ) -> Result<Versioned<Subscription>, GetSubscriptionError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Read))?;
        self.load(&keys::webhook_subscription(&actor.tenant, id)).await?.ok_or(GetSubscriptionError::NotFound)
    }

    /// Subscribes an endpoint; `secret` is its first signing secret (32 random bytes the edge
    /// drew), shown to the admin once, in the answer.
    pub async fn create_subscription(
        &self,
        actor: &Actor,
        input: SubscriptionInput,
        secret: [u8; 32],
    ) -> Result<Versioned<Subscription>, SaveSubscriptionError> {
        self.create_subscription_once(actor, input, secret, self.new_id()).await
    }

    /// Subscribes under the id a form was given when it was shown ([`Services::new_id`]), so
    /// the same form posted twice (a double click, a retried post) makes one subscription: the
    /// second post gets the first one's.
    pub async fn create_subscription_once(
        &self,
        actor: &Actor,
        input: SubscriptionInput,
        secret: [u8; 32],
        id: EntityId,
    ) -> Result<Versioned<Subscription>, SaveSubscriptionError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        if let Some(made) = self.made_by_form(actor, id).await? {
            return Ok(made);
        }
        let mut errors = ValidationErrors::new();
        let (events, description) = self.check_subscription(&input, &mut errors);
        let existing = self.subscriptions_of(&actor.tenant).await?;
        if existing.len() >= MAX_SUBSCRIPTIONS {
            errors.add("url", msg::webhook_limit(MAX_SUBSCRIPTIONS));
        }
        errors.finish()?;
        let now = self.clock.now();
        let subscription = Subscription {
            id,
            url: input.url.trim().to_owned(),
            events,
            description,
            status: SubscriptionStatus::Active,
            disabled_by: None,
            failing_since: None,
            secrets: vec![SigningSecret::from_random(secret, now)],
            created_at: now,
            created_by: actor.user.clone(),
            updated_at: now,
        };
        match self.put_subscription(&actor.tenant, &subscription, None).await {
            Ok(()) => Ok(Versioned { value: subscription, version: 1 }),
            // The same form, posted twice at once: the other post made it.
            Err(SaveSubscriptionError::Stale(None)) => {
                self.made_by_form(actor, id).await?.ok_or(SaveSubscriptionError::Stale(None))
            }
            Err(error) => Err(error),
        }
    }

    /// The subscription a form already made under `id`: only its maker's post finds it.
    async fn made_by_form(
        &self,
        actor: &Actor,
        id: EntityId,
    ) -> Result<Option<Versioned<Subscription>>, SaveSubscriptionError> {
        match self.load::<Subscription>(&keys::webhook_subscription(&actor.tenant, id)).await? {
            Some(made) if made.value.created_by == actor.user => Ok(Some(made)),
            Some(_) => Err(ValidationErrors::single("formId", msg::form_not_yours()).into()),
            None => Ok(None),
        }
    }

    /// Changes an endpoint, its events, description or status, at the version the admin read.
    pub async fn update_subscription(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: Option<ExpectedVersion>,
        input: SubscriptionInput,
    ) -> Result<Versioned<Subscription>, SaveSubscriptionError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let mut errors = ValidationErrors::new();
        let (events, description) = self.check_subscription(&input, &mut errors);
        errors.finish()?;
        let stored = self.stored_subscription(&actor.tenant, id, expected).await?;
        let mut subscription = stored.value;
        subscription.url = input.url.trim().to_owned();
        subscription.events = events;
        subscription.description = description;
        match input.status {
            Some(SubscriptionStatus::Active) if subscription.status == SubscriptionStatus::Disabled => {
                subscription.status = SubscriptionStatus::Active;
                subscription.disabled_by = None;
                subscription.failing_since = None;
            }
            Some(SubscriptionStatus::Disabled) if subscription.status == SubscriptionStatus::Active => {
                subscription.status = SubscriptionStatus::Disabled;
                subscription.disabled_by = Some(crate::webhook::DisabledBy::Admin);
            }
            _ => {}
        }
        subscription.updated_at = self.clock.now();
        self.put_subscription(&actor.tenant, &subscription, Some(stored.version)).await?;
        Ok(Versioned { value: subscription, version: stored.version + 1 })
    }

    /// A new signing secret; the previous one keeps signing beside it for a day, so receivers
    /// can switch without losing a delivery.
    pub async fn rotate_subscription_secret(
        &self,
        actor: &Actor,
        id: EntityId,
        secret: [u8; 32],
    ) -> Result<Versioned<Subscription>, SaveSubscriptionError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let stored = self.stored_subscription(&actor.tenant, id, None).await?;
        let mut subscription = stored.value;
        let now = self.clock.now();
        subscription.rotate(SigningSecret::from_random(secret, now), now);
        subscription.updated_at = now;
        self.put_subscription(&actor.tenant, &subscription, Some(stored.version)).await?;
        Ok(Versioned { value: subscription, version: stored.version + 1 })
    }

    /// Removes a subscription; its pending deliveries fail at their next attempt, and its log
    /// expires with them.
    pub async fn delete_subscription(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: Option<ExpectedVersion>,
    ) -> Result<(), SaveSubscriptionError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let stored = self.stored_subscription(&actor.tenant, id, expected).await?;
        let change = SubscriptionWrite::Delete { id, version: stored.version };
        match self.write_subscription(&actor.tenant, change, Vec::new()).await {
            Err(StoreError::ConditionFailed { name: conditions::WEBHOOK_SUBSCRIPTION }) => {
                Err(SaveSubscriptionError::Stale(Some(stored.version)))
            }
            other => Ok(other?),
        }
    }

    async fn stored_subscription(
        &self,
        tenant: &TenantId,
        id: EntityId,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<Subscription>, SaveSubscriptionError> {
        let stored: Versioned<Subscription> =
            self.load(&keys::webhook_subscription(tenant, id)).await?.ok_or(SaveSubscriptionError::NotFound)?;
        if let Some(expected) = expected
            && expected.admit(stored.version).is_none()
        {
            return Err(SaveSubscriptionError::Stale(Some(expected.named())));
        }
        Ok(stored)
    }

    fn check_subscription(
        &self,
        input: &SubscriptionInput,
        errors: &mut ValidationErrors,
    ) -> (Vec<WebhookEventType>, Option<String>) {
        check_endpoint(input.url.trim(), self.endpoints, errors);
        let mut events = Vec::new();
        for (n, name) in input.events.iter().enumerate() {
            match WebhookEventType::parse(name) {
                Some(event) if !events.contains(&event) => events.push(event),
                Some(_) => {}
                None => errors.add(
                    format!("events/{n}"),
                    msg::one_of(WebhookEventType::ALL.map(WebhookEventType::as_str).join(", ")),
                ),
            }
        }
        if input.events.is_empty() {
            errors.add("events", msg::webhook_events_required());
        }
        events.sort();
        let description = errors.optional_text("description", input.description.as_deref(), DESCRIPTION_MAX, false);
        (events, description)
    }

    /// Writes a subscription at `version` (`None`: a new one).
    pub(crate) async fn put_subscription(
        &self,
        tenant: &TenantId,
        subscription: &Subscription,
        version: Option<u64>,
    ) -> Result<(), SaveSubscriptionError> {
        match self.write_subscription(tenant, SubscriptionWrite::Put { subscription, version }, Vec::new()).await {
            Err(StoreError::ConditionFailed { name: conditions::WEBHOOK_SUBSCRIPTION }) => {
                Err(SaveSubscriptionError::Stale(version))
            }
            other => Ok(other?),
        }
    }

    /// Announces `event_type` about `case` (see [`Services::announce`]): the event's data names
    /// the case and where it stands; an integrator reads the rest through the API.
    pub(crate) async fn announce_case(
        &self,
        tenant: &TenantId,
        case: &crate::case::Case,
        version: u64,
        event_type: WebhookEventType,
        extra: Value,
    ) -> Result<Option<Announcement>, StoreError> {
        let mut data = serde_json::json!({
            "object": "case",
            "id": case.id,
            "version": version,
            "caseType": case.case_type,
            "state": case.state,
            "stateClass": case.state_class,
            "owner": case.owner,
            "accountId": case.account_id,
        });
        if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
            data.extend(extra);
        }
        self.announce(tenant, OutboxOwner::Case(case.id), event_type, data).await
    }

    /// Announces `event_type` about `lead`: its status, owner and where it came from.
    pub(crate) async fn announce_lead(
        &self,
        tenant: &TenantId,
        lead: &crate::lead::Lead,
        version: u64,
        event_type: WebhookEventType,
    ) -> Result<Option<Announcement>, StoreError> {
        let mut data = serde_json::json!({
            "object": "lead",
            "id": lead.id,
            "version": version,
            "status": lead.status,
            "owner": lead.owner,
            "channel": lead.source.channel,
            "campaign": lead.source.campaign,
        });
        if let (Some(data), Some(conversion)) = (data.as_object_mut(), &lead.converted) {
            data.insert("accountId".into(), serde_json::json!(conversion.account_id));
            data.insert("contactId".into(), serde_json::json!(conversion.contact_id));
            data.insert("opportunityId".into(), serde_json::json!(conversion.opportunity_id));
        }
        self.announce(tenant, OutboxOwner::Lead(lead.id), event_type, data).await
    }

    /// Announces `event_type` about `invoice`: its account, amounts and due date.
    pub(crate) async fn announce_invoice(
        &self,
        tenant: &TenantId,
        invoice: &crate::receivables::Invoice,
        version: u64,
        event_type: WebhookEventType,
    ) -> Result<Option<Announcement>, StoreError> {
        let data = serde_json::json!({
            "object": "invoice",
            "number": invoice.number,
            "version": version,
            "accountId": invoice.account_id,
            "currency": invoice.currency,
            "totalMinor": invoice.total_minor,
            "balanceMinor": invoice.balance_minor(),
            "dueOn": invoice.due_on,
        });
        self.announce(tenant, OutboxOwner::Invoice(invoice.number.clone()), event_type, data).await
    }

    /// Whether an active subscription of the tenant wants `event_type`: one item read by key,
    /// kept for a while per function.
    pub(crate) async fn wants(&self, tenant: &TenantId, event_type: WebhookEventType) -> Result<bool, StoreError> {
        let wanted = match self.wanted_events.fresh(tenant) {
            Some(wanted) => wanted,
            None => {
                let read = self.load::<WantedEvents>(&keys::webhook_events(tenant)).await?;
                self.wanted_events.keep(tenant, read.map(|r| r.value).unwrap_or_default())
            }
        };
        Ok(wanted.events.contains(&event_type))
    }

    /// The announcement of `event_type` about `owner`, to add to the change that caused it, when
    /// an active subscription of the tenant wants it; `None` otherwise.
    pub(crate) async fn announce(
        &self,
        tenant: &TenantId,
        owner: OutboxOwner,
        event_type: WebhookEventType,
        data: Value,
    ) -> Result<Option<Announcement>, StoreError> {
        if !self.wants(tenant, event_type).await? {
            return Ok(None);
        }
        let event =
            WebhookEvent { tenant: tenant.clone(), id: self.new_id(), event_type, occurred_at: self.clock.now(), data };
        let id = effect_id(tenant, &format!("webhook:{}", event.id), "", event_type.as_str());
        let message = EffectMessage::new(id, event);
        Ok(Some((self.outbox_op(tenant, owner, &message)?, message)))
    }
}

impl Services {
    /// Writes one subscription's change with the index of wanted events it leaves, and `extra`,
    /// in one atomic write. Another admin's change to another subscription moves the index
    /// meanwhile: the write is then made again on what is there now. A change of this
    /// subscription by someone else fails on `conditions::WEBHOOK_SUBSCRIPTION`.
    pub(super) async fn write_subscription(
        &self,
        tenant: &TenantId,
        change: SubscriptionWrite<'_>,
        extra: Vec<WriteOp>,
    ) -> Result<(), StoreError> {
        for _ in 0..INDEX_ATTEMPTS {
            let (id, written, after) = match change {
                SubscriptionWrite::Put { subscription, version } => {
                    (subscription.id, subscription_op(tenant, subscription, version)?, Some(subscription))
                }
                SubscriptionWrite::Delete { id, version } => {
                    let key = keys::webhook_subscription(tenant, id);
                    let condition = Condition::version_is(conditions::WEBHOOK_SUBSCRIPTION, version);
                    (id, WriteOp::Delete { key, condition }, None)
                }
            };
            let others = self.subscriptions_of(tenant).await?;
            let mut events = std::collections::BTreeSet::new();
            for subscription in others.iter().map(|s| &s.value).filter(|s| s.id != id).chain(after) {
                if subscription.status == SubscriptionStatus::Active {
                    events.extend(subscription.events.iter().copied());
                }
            }
            let index = self.load::<WantedEvents>(&keys::webhook_events(tenant)).await?.map(|i| i.version);
            let item = Item::new(
                keys::webhook_events(tenant),
                WANTED_EVENTS_ENTITY,
                index.map_or(1, |v| v + 1),
                records::body(&WantedEvents { events: events.into_iter().collect() })?,
            );
            let mut ops = vec![
                written,
                WriteOp::Put { item, condition: Condition::version_or_new(conditions::WEBHOOK_EVENTS, index) },
            ];
            ops.extend(extra.iter().cloned());
            let result = self.store.write(ops).await;
            self.wanted_events.forget(tenant);
            match result {
                Err(StoreError::ConditionFailed { name: conditions::WEBHOOK_EVENTS }) => continue,
                other => return other,
            }
        }
        Err(StoreError::Unavailable("the webhook subscriptions kept changing; try again".into()))
    }
}

/// The write that stores `subscription` over `version` (or as new), failing on another's change.
fn subscription_op(
    tenant: &TenantId,
    subscription: &Subscription,
    version: Option<u64>,
) -> Result<WriteOp, StoreError> {
    let item = Item::new(
        keys::webhook_subscription(tenant, subscription.id),
        SUBSCRIPTION_ENTITY,
        version.map_or(1, |v| v + 1),
        records::body(subscription)?,
    );
    Ok(WriteOp::Put { item, condition: Condition::version_or_new(conditions::WEBHOOK_SUBSCRIPTION, version) })
}
