//! The webhooks worker's use cases and the delivery log. An announced event becomes one
//! delivery per subscription that wants it; each attempt is claimed on the delivery (so two
//! copies of one message never post twice), signed with the subscription's live secrets, and
//! its outcome recorded with the retry that follows it in one atomic write. A delivered
//! delivery is never posted again; a receiver dedupes the rare repeat of a worker that died
//! between posting and recording by `webhook-id`.

use crate::access::{Module, Operation, Permission};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::outbox::{OutboxOwner, effect_id};
use super::webhooks::SubscriptionWrite;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::actor::{Actor, Forbidden};
use crate::case_type::Recipient;
use crate::effects::{EffectBody, EffectMessage, Notification, Subject, WebhookAttempt, WebhookEvent};
use crate::ids::{EntityId, TenantId};
use crate::keys;
use crate::ports::{Condition, Item, Query, QueueError, StoreError, TransportError, WebhookTransport, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;
use crate::webhook::{
    ATTEMPT_TIMEOUT, AttemptOutcome, DELIVERY_RETENTION, Delivery, DeliveryStatus, HealthChange, RESPONSE_EXCERPT,
    Subscription, SubscriptionStatus, signature_header,
};
use crate::{Page, Versioned};

pub const DELIVERY_ENTITY: &str = "WebhookDelivery";
/// The e-mail an admin gets when Gestiona disables their subscription.
pub const DISABLED_TEMPLATE: &str = "webhook_disabled";
/// How long past an attempt's timeout its claim holds before another worker may take it over.
const CLAIM_MARGIN: jiff::SignedDuration = jiff::SignedDuration::from_secs(50);

/// The body a subscriber receives.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    id: EntityId,
    #[serde(rename = "type")]
    event_type: &'static str,
    occurred_at: jiff::Timestamp,
    tenant: &'a TenantId,
    data: &'a serde_json::Value,
}

/// What the worker did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// An event became this many deliveries.
    FannedOut { deliveries: usize },
    /// An attempt was made; the delivery now stands so.
    Attempted(DeliveryStatus),
    /// An attempt came early and was put back until its time.
    Deferred,
    /// Nothing to do (a repeat, or a delivery already settled).
    Skipped(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookWorkError {
    /// Not a webhook message: it never will be.
    #[error("not a webhook message: {0}")]
    Malformed(String),
    /// Another worker is mid-attempt on the delivery: try again after its claim.
    #[error("another worker is attempting delivery {0}")]
    Busy(EntityId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// A cursor that is not one of this list's.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("no such delivery")]
    NotFound,
    /// Its subscription is disabled: enable it first.
    #[error("the subscription is disabled")]
    Disabled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ListError> for ReplayError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::Invalid(v) => Self::Invalid(v),
            ListError::Store(s) => Self::Store(s),
        }
    }
}

/// The id of `event`'s delivery to `subscription`: a ULID of the event's time, the same each time
/// the event is fanned out (so a repeated message creates nothing twice), distinct per endpoint.
fn delivery_id(event: EntityId, subscription: EntityId) -> EntityId {
    let digest = Sha256::new().chain_update(event.to_string()).chain_update(subscription.to_string()).finalize();
    let mut random = [0u8; 16];
    random.copy_from_slice(&digest[..16]);
    let ulid = ulid::Ulid::from_parts(event.as_ulid().timestamp_ms(), u128::from_be_bytes(random));
    EntityId::from_ulid(ulid)
}

impl Services {
    /// Handles one message of the webhooks queue with `transport`.
    pub async fn handle_webhook_message(
        &self,
        message: &EffectMessage,
        transport: &dyn WebhookTransport,
    ) -> Result<Handled, WebhookWorkError> {
        match &message.body {
            EffectBody::WebhookEvent(event) => self.fan_out(event, transport).await,
            EffectBody::WebhookAttempt(attempt) => self.attempt_again(message, attempt, transport).await,
            other => Err(WebhookWorkError::Malformed(other.label())),
        }
    }

    async fn fan_out(
        &self,
        event: &WebhookEvent,
        transport: &dyn WebhookTransport,
    ) -> Result<Handled, WebhookWorkError> {
        let payload = serde_json::to_string(&Payload {
            id: event.id,
            event_type: event.event_type.as_str(),
            occurred_at: event.occurred_at,
            tenant: &event.tenant,
            data: &event.data,
        })
        .map_err(|e| WebhookWorkError::Malformed(e.to_string()))?;
        let mut deliveries = 0;
        for subscription in self.subscriptions_of(&event.tenant).await? {
            if !subscription.value.wants(event.event_type) {
                continue;
            }
            let delivery = Delivery {
                id: delivery_id(event.id, subscription.value.id),
                subscription_id: subscription.value.id,
                event_id: event.id,
                event_type: event.event_type,
                payload: payload.clone(),
                status: DeliveryStatus::Pending,
                attempts: 0,
                created_at: self.clock.now(),
                first_attempt_at: None,
                next_attempt_at: None,
                in_flight_until: None,
                last_attempt: None,
                replay_of: None,
            };
            deliveries += 1;
            let stored = match self.put_delivery(&event.tenant, &delivery, None, Vec::new()).await {
                Ok(()) => Versioned { value: delivery, version: 1 },
                // The event was fanned out before: carry on with its delivery where it stands.
                Err(StoreError::ConditionFailed { .. }) => {
                    match self.load(&keys::webhook_delivery(&event.tenant, subscription.value.id, delivery.id)).await? {
                        Some(stored) => stored,
                        None => continue,
                    }
                }
                Err(other) => return Err(other.into()),
            };
            if stored.value.status == DeliveryStatus::Pending && stored.value.attempts == 0 {
                self.attempt(&event.tenant, subscription, stored, 1, transport).await?;
            }
        }
        Ok(Handled::FannedOut { deliveries })
    }

    async fn attempt_again(
        &self,
        message: &EffectMessage,
        attempt: &WebhookAttempt,
        transport: &dyn WebhookTransport,
    ) -> Result<Handled, WebhookWorkError> {
        let now = self.clock.now();
        if let Ok(wait) = std::time::Duration::try_from(attempt.due_at.duration_since(now))
            && wait > std::time::Duration::from_secs(1)
        {
            self.queue.publish_delayed(message, wait).await?;
            return Ok(Handled::Deferred);
        }
        let tenant = &attempt.tenant;
        let key = keys::webhook_delivery(tenant, attempt.subscription_id, attempt.delivery_id);
        let Some(delivery) = self.load::<Delivery>(&key).await? else {
            return Ok(Handled::Skipped("no such delivery"));
        };
        if delivery.value.status != DeliveryStatus::Pending {
            return Ok(Handled::Skipped("already settled"));
        }
        let abandoned = delivery.value.in_flight_until.is_some_and(|until| until <= now);
        let number = match delivery.value.attempts {
            n if n + 1 == attempt.attempt => attempt.attempt,
            // A worker claimed this attempt and died before recording it: take it over.
            n if n == attempt.attempt && abandoned => attempt.attempt,
            n if n == attempt.attempt && delivery.value.in_flight_until.is_some() => {
                return Err(WebhookWorkError::Busy(attempt.delivery_id));
            }
            _ => return Ok(Handled::Skipped("a repeated attempt")),
        };
        let subscription =
            self.load::<Subscription>(&keys::webhook_subscription(tenant, attempt.subscription_id)).await?;
        match subscription {
            Some(subscription) if subscription.value.status == SubscriptionStatus::Active => {
                self.attempt(tenant, subscription, delivery, number, transport).await
            }
            gone => {
                let reason =
                    if gone.is_some() { "the subscription is disabled" } else { "the subscription was deleted" };
                let mut settled = delivery.value;
                settled.status = DeliveryStatus::Failed;
                settled.next_attempt_at = None;
                settled.in_flight_until = None;
                settled.last_attempt = Some(AttemptOutcome {
                    at: now,
                    status_code: None,
                    error: Some(reason.into()),
                    response: None,
                    duration_ms: 0,
                });
                self.put_delivery(tenant, &settled, Some(delivery.version), Vec::new()).await?;
                Ok(Handled::Attempted(DeliveryStatus::Failed))
            }
        }
    }

    /// Claims, posts and records attempt `number` of a delivery.
    async fn attempt(
        &self,
        tenant: &TenantId,
        subscription: Versioned<Subscription>,
        stored: Versioned<Delivery>,
        number: u32,
        transport: &dyn WebhookTransport,
    ) -> Result<Handled, WebhookWorkError> {
        let started = self.clock.now();
        let mut delivery = stored.value;
        delivery.attempts = number;
        delivery.in_flight_until = Some(started + ATTEMPT_TIMEOUT + CLAIM_MARGIN);
        match self.put_delivery(tenant, &delivery, Some(stored.version), Vec::new()).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => return Ok(Handled::Skipped("claimed by another worker")),
            Err(other) => return Err(other.into()),
        }
        let claimed = stored.version + 1;

        let timestamp = started.as_second();
        let signature = signature_header(
            &subscription.value.signing_secrets(started),
            &delivery.id.to_string(),
            timestamp,
            delivery.payload.as_bytes(),
        );
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("user-agent", "Gestiona-Webhooks/1".to_owned()),
            ("webhook-id", delivery.id.to_string()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
            ("gestiona-event", delivery.event_type.as_str().to_owned()),
            ("gestiona-attempt", number.to_string()),
        ];
        let sent = std::time::Instant::now();
        let answer = transport.post(&subscription.value.url, &headers, delivery.payload.as_bytes()).await;
        let duration_ms = u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX);
        let at = self.clock.now();
        let outcome = match answer {
            Ok(answer) => AttemptOutcome {
                at,
                status_code: Some(answer.status),
                error: None,
                response: Some(answer.body.chars().take(RESPONSE_EXCERPT).collect()).filter(|b: &String| !b.is_empty()),
                duration_ms,
            },
            Err(error) => {
                let error = match error {
                    TransportError::Timeout(_) | TransportError::Failed(_) => error.to_string(),
                };
                AttemptOutcome { at, status_code: None, error: Some(error), response: None, duration_ms }
            }
        };
        let succeeded = outcome.succeeded();
        delivery.record(outcome);
        tracing::info!(delivery = %delivery.id, attempt = number, status = ?delivery.status, "webhook attempt");

        // The retry is an outbox entry of the same write, so a crash after it loses nothing.
        let mut extra = Vec::new();
        let mut retry = None;
        if let (DeliveryStatus::Pending, Some(due_at)) = (delivery.status, delivery.next_attempt_at) {
            let body = WebhookAttempt {
                tenant: tenant.clone(),
                subscription_id: delivery.subscription_id,
                delivery_id: delivery.id,
                attempt: number + 1,
                due_at,
            };
            let id =
                effect_id(tenant, &format!("webhook-delivery:{}", delivery.id), &(number + 1).to_string(), "attempt");
            let message = EffectMessage::new(id, body);
            extra.push(self.outbox_op(tenant, OutboxOwner::Webhook(delivery.subscription_id), &message)?);
            retry = Some((message, due_at));
        }
        self.put_delivery(tenant, &delivery, Some(claimed), extra).await?;
        if let Some((message, due_at)) = retry {
            let wait = std::time::Duration::try_from(due_at.duration_since(self.clock.now())).unwrap_or_default();
            self.publish_committed_after(tenant, OutboxOwner::Webhook(delivery.subscription_id), &message, wait).await;
        }
        self.record_health(tenant, subscription, succeeded).await?;
        Ok(Handled::Attempted(delivery.status))
    }

    /// Keeps the subscription's failing streak; a day of failures disables it and tells the
    /// admin who subscribed it, in the same write.
    async fn record_health(
        &self,
        tenant: &TenantId,
        mut subscription: Versioned<Subscription>,
        succeeded: bool,
    ) -> Result<(), StoreError> {
        for _ in 0..3 {
            let change = subscription.value.record_outcome(succeeded, self.clock.now());
            if change == HealthChange::None {
                return Ok(());
            }
            let mut extra = Vec::new();
            let mut told = None;
            if change == HealthChange::Disabled {
                let id = subscription.value.id;
                let mut notification =
                    Notification::new(tenant, Subject::Webhook { id }, DISABLED_TEMPLATE, Recipient::Owner);
                notification.users = vec![subscription.value.created_by.clone()];
                notification.occurrence = Some(subscription.value.updated_at.to_string());
                let message = EffectMessage::new(
                    effect_id(tenant, &format!("webhook:{id}"), &subscription.value.updated_at.to_string(), "disabled"),
                    notification,
                );
                extra.push(self.outbox_op(tenant, OutboxOwner::Webhook(id), &message)?);
                told = Some(message);
            }
            let write =
                SubscriptionWrite::Put { subscription: &subscription.value, version: Some(subscription.version) };
            match self.write_subscription(tenant, write, extra).await {
                Ok(()) => {
                    if let Some(message) = told {
                        tracing::warn!(subscription = %subscription.value.id, "webhook subscription disabled after a day of failures");
                        let owner = OutboxOwner::Webhook(subscription.value.id);
                        self.publish_committed(tenant, owner, std::slice::from_ref(&message)).await;
                    }
                    return Ok(());
                }
                Err(StoreError::ConditionFailed { name: conditions::WEBHOOK_SUBSCRIPTION }) => {
                    // Changed meanwhile (an admin, another attempt): judge again on what it is now.
                    match self.load(&keys::webhook_subscription(tenant, subscription.value.id)).await? {
                        Some(now) => subscription = now,
                        None => return Ok(()),
                    }
                }
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    async fn put_delivery(
        &self,
        tenant: &TenantId,
        delivery: &Delivery,
        version: Option<u64>,
        extra: Vec<WriteOp>,
    ) -> Result<(), StoreError> {
        let mut item = Item::new(
            keys::webhook_delivery(tenant, delivery.subscription_id, delivery.id),
            DELIVERY_ENTITY,
            version.map_or(1, |v| v + 1),
            records::body(delivery)?,
        );
        item.ttl = Some((delivery.created_at + DELIVERY_RETENTION).as_second());
        let condition = Condition::version_or_new(conditions::WEBHOOK_DELIVERY, version);
        let mut ops = vec![WriteOp::Put { item, condition }];
        ops.extend(extra);
        self.store.write(ops).await
    }

    /// A subscription's deliveries, newest first (admins only).
    pub async fn list_deliveries(
        &self,
        actor: &Actor,
        subscription: EntityId,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Delivery>>, ReplayError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Read))?;
        if self.load::<Subscription>(&keys::webhook_subscription(&actor.tenant, subscription)).await?.is_none() {
            return Err(ReplayError::NotFound);
        }
        let query = Query::partition(keys::webhook_partition(&actor.tenant, subscription))
            .range(crate::ports::SortKeyRange::BeginsWith(keys::WEBHOOK_DELIVERY_PREFIX.into()))
            .backward();
        Ok(list_page(self.store.as_ref(), query, page, |_: &Delivery| true).await?)
    }

    pub async fn get_delivery(
        &self,
        actor: &Actor,
        subscription: EntityId,
        id: EntityId,
    ) -> Result<Versioned<Delivery>, ReplayError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Read))?;
        self.load(&keys::webhook_delivery(&actor.tenant, subscription, id)).await?.ok_or(ReplayError::NotFound)
    }

    /// Sends a delivery's event again, as a new delivery (its own `webhook-id`, the same event
    /// id and body) attempted at once.
    pub async fn replay_delivery(
        &self,
        actor: &Actor,
        subscription_id: EntityId,
        id: EntityId,
    ) -> Result<Versioned<Delivery>, ReplayError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let tenant = &actor.tenant;
        let subscription: Versioned<Subscription> =
            self.load(&keys::webhook_subscription(tenant, subscription_id)).await?.ok_or(ReplayError::NotFound)?;
        if subscription.value.status != SubscriptionStatus::Active {
            return Err(ReplayError::Disabled);
        }
        let original: Versioned<Delivery> =
            self.load(&keys::webhook_delivery(tenant, subscription_id, id)).await?.ok_or(ReplayError::NotFound)?;
        let now = self.clock.now();
        let replay = Delivery {
            id: self.new_id(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            created_at: now,
            first_attempt_at: None,
            next_attempt_at: Some(now),
            in_flight_until: None,
            last_attempt: None,
            replay_of: Some(original.value.id),
            ..original.value
        };
        let body =
            WebhookAttempt { tenant: tenant.clone(), subscription_id, delivery_id: replay.id, attempt: 1, due_at: now };
        let message =
            EffectMessage::new(effect_id(tenant, &format!("webhook-delivery:{}", replay.id), "1", "attempt"), body);
        let owner = OutboxOwner::Webhook(subscription_id);
        let outbox = self.outbox_op(tenant, owner.clone(), &message)?;
        self.put_delivery(tenant, &replay, None, vec![outbox]).await?;
        self.publish_committed(tenant, owner, std::slice::from_ref(&message)).await;
        Ok(Versioned { value: replay, version: 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_id_is_the_events_time_and_distinct_per_subscription() {
        let event = EntityId::parse("01KAW3Z8Q4V6B3M9X2R5T7Y1PN").unwrap();
        let a = EntityId::parse("01KAW40000000000000000000A").unwrap();
        let b = EntityId::parse("01KAW40000000000000000000B").unwrap();
        assert_eq!(delivery_id(event, a), delivery_id(event, a));
        assert_ne!(delivery_id(event, a), delivery_id(event, b));
        assert_eq!(delivery_id(event, a).as_ulid().timestamp_ms(), event.as_ulid().timestamp_ms());
    }
}
