//! `/webhooks`: a tenant admin's endpoints, their signing secrets and their delivery logs.
//!
//! A subscription's secrets are shown once: in the answer that creates them (subscribing, or
//! rotating). Every other answer names them by a hint of their last characters.

use gestiona_domain::messages as msg;
use gestiona_domain::service::webhook_deliveries::ReplayError;
use gestiona_domain::service::webhooks::{GetSubscriptionError, SaveSubscriptionError, SubscriptionInput};
use gestiona_domain::webhook::{
    AttemptOutcome, Delivery, DeliveryStatus, DisabledBy, Subscription, SubscriptionStatus, WebhookEventType,
};
use gestiona_domain::{EntityId, Page, UserId, Versioned};
use http::StatusCode;
use jiff::Timestamp;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::Api;
use crate::edge::{self, ListResponse, QueryParams, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<SaveSubscriptionError> for Problem {
    fn from(e: SaveSubscriptionError) -> Self {
        match e {
            SaveSubscriptionError::Forbidden(f) => f.into(),
            SaveSubscriptionError::Invalid(v) => v.into(),
            SaveSubscriptionError::NotFound => Problem::not_found(),
            SaveSubscriptionError::Stale(Some(expected)) => Problem::stale(expected),
            SaveSubscriptionError::Stale(None) => Problem::conflict("duplicate", msg::title_exists()),
            SaveSubscriptionError::Store(s) => Problem::store(s),
        }
    }
}

impl From<GetSubscriptionError> for Problem {
    fn from(e: GetSubscriptionError) -> Self {
        match e {
            GetSubscriptionError::Forbidden(f) => f.into(),
            GetSubscriptionError::NotFound => Problem::not_found(),
            GetSubscriptionError::Store(s) => Problem::store(s),
        }
    }
}

impl From<ReplayError> for Problem {
    fn from(e: ReplayError) -> Self {
        match e {
            ReplayError::Forbidden(f) => f.into(),
            ReplayError::Invalid(v) => v.into(),
            ReplayError::NotFound => Problem::not_found(),
            ReplayError::Disabled => Problem::conflict("webhook-disabled", msg::title_webhook_disabled())
                .detail(msg::detail_webhook_disabled()),
            ReplayError::Store(s) => Problem::store(s),
        }
    }
}

/// What an admin sends to subscribe an endpoint, or to change a subscription.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// A public `https://` address (the local runner also takes loopback `http://`).
    #[schema(max_length = 2000)]
    url: String,
    #[schema(min_items = 1)]
    events: Vec<WebhookEventType>,
    #[schema(max_length = 200)]
    #[serde(default)]
    description: Option<String>,
    /// On a change only: `active` switches it back on (forgetting past failures), `disabled` off.
    #[serde(default)]
    status: Option<SubscriptionStatus>,
}

impl From<SubscriptionRequest> for SubscriptionInput {
    fn from(request: SubscriptionRequest) -> Self {
        SubscriptionInput {
            url: request.url,
            events: request.events.into_iter().map(|e| e.as_str().to_owned()).collect(),
            description: request.description,
            status: request.status,
        }
    }
}

/// A signing secret as answers name it: by its last characters.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretHint {
    /// `whsec_…` and the secret's last four characters.
    hint: String,
    created_at: Timestamp,
    /// Set on the secret a rotation replaced: it signs beside the new one until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
}

/// A webhook subscription.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSubscription {
    id: EntityId,
    url: String,
    events: Vec<WebhookEventType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    status: SubscriptionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_by: Option<DisabledBy>,
    /// The first failed attempt since the last success: a day of failures disables it.
    #[serde(skip_serializing_if = "Option::is_none")]
    failing_since: Option<Timestamp>,
    /// Newest first: the current secret, then the one a rotation replaced while it still signs.
    secrets: Vec<SecretHint>,
    /// The new signing secret, in full: only in the answer that created it (subscribing or
    /// rotating). Keep it: it is never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    created_at: Timestamp,
    created_by: UserId,
    updated_at: Timestamp,
}

impl WebhookSubscription {
    fn of(subscription: &Subscription) -> Self {
        Self {
            id: subscription.id,
            url: subscription.url.clone(),
            events: subscription.events.clone(),
            description: subscription.description.clone(),
            status: subscription.status,
            disabled_by: subscription.disabled_by.clone(),
            failing_since: subscription.failing_since,
            secrets: subscription
                .secrets
                .iter()
                .map(|s| SecretHint { hint: s.hint(), created_at: s.created_at, expires_at: s.expires_at })
                .collect(),
            secret: None,
            created_at: subscription.created_at,
            created_by: subscription.created_by.clone(),
            updated_at: subscription.updated_at,
        }
    }

    /// The answer that shows the current secret, once.
    fn revealing(subscription: &Subscription) -> Self {
        Self { secret: subscription.secrets.first().map(|s| s.secret.clone()), ..Self::of(subscription) }
    }
}

fn view(
    subscription: Versioned<Subscription>,
    show: fn(&Subscription) -> WebhookSubscription,
) -> Versioned<WebhookSubscription> {
    Versioned { version: subscription.version, value: show(&subscription.value) }
}

/// One event on its way to one endpoint, and the last attempt's fate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// The `webhook-id` header: the same on each retry of this delivery.
    id: EntityId,
    subscription_id: EntityId,
    /// The event's id (the body's `id`): a replay sends the same event as a new delivery.
    event_id: EntityId,
    event_type: WebhookEventType,
    status: DeliveryStatus,
    attempts: u32,
    created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_at: Option<Timestamp>,
    /// Set while an attempt is under way (`attempts` already counts it).
    #[serde(skip_serializing_if = "Option::is_none")]
    in_flight_until: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_attempt: Option<AttemptOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay_of: Option<EntityId>,
    /// The JSON body exactly as it is signed and sent.
    payload: String,
}

impl From<Delivery> for WebhookDelivery {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            subscription_id: d.subscription_id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            in_flight_until: d.in_flight_until,
            last_attempt: d.last_attempt,
            replay_of: d.replay_of,
            payload: d.payload,
        }
    }
}

fn delivery(delivery: Versioned<Delivery>) -> Versioned<WebhookDelivery> {
    Versioned { version: delivery.version, value: delivery.value.into() }
}

/// 32 bytes from the operating system for a new signing secret.
fn random_secret() -> Result<[u8; 32], Problem> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "the operating system gave no randomness");
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", msg::title_unavailable())
    })?;
    Ok(bytes)
}

#[utoipa::path(get, path = "/webhooks", tag = "webhooks", description = "The tenant's webhook subscriptions, oldest first.",
    responses((status = 200, body = ListResponse<Record<WebhookSubscription>>)), security(("bearer" = [])))]
pub async fn list(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let subscriptions = api.services.list_subscriptions(&actor).await?;
    let items = subscriptions.into_iter().map(|s| view(s, WebhookSubscription::of)).collect();
    Ok(edge::page(&Page { items, next_cursor: None }))
}

#[utoipa::path(post, path = "/webhooks", tag = "webhooks",
    description = "Subscribes an endpoint to events. The answer carries the signing secret, once.",
    request_body = SubscriptionRequest,
    responses((status = 201, description = "Created; `Location` and `ETag` set; `secret` is shown only here", body = Record<WebhookSubscription>),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let input: SubscriptionRequest = edge::json_body(request)?;
    let created = api.services.create_subscription(&actor, input.into(), random_secret()?).await?;
    let location = format!("/webhooks/{}", created.value.id);
    Ok(edge::created(location, &view(created, WebhookSubscription::revealing)))
}

#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = EntityId, Path)),
    responses((status = 200, description = "`ETag` is the version", body = Record<WebhookSubscription>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let subscription = api.services.get_subscription(&actor, id).await?;
    Ok(edge::versioned(StatusCode::OK, &view(subscription, WebhookSubscription::of)))
}

#[utoipa::path(put, path = "/webhooks/{id}", tag = "webhooks",
    description = "Changes the endpoint, its events, description or status, at the version read.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)), request_body = SubscriptionRequest,
    responses((status = 200, body = Record<WebhookSubscription>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 428, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    let input: SubscriptionRequest = edge::json_body(request)?;
    let saved = api.services.update_subscription(&actor, id, Some(expected), input.into()).await?;
    Ok(edge::versioned(StatusCode::OK, &view(saved, WebhookSubscription::of)))
}

#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks",
    description = "Removes the subscription; its pending deliveries are not attempted again.",
    params(("id" = EntityId, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 428, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn delete(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let expected = edge::if_match(request)?;
    api.services.delete_subscription(&actor, id, Some(expected)).await?;
    Ok(edge::no_content())
}

#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks",
    description = "A new signing secret, shown once in the answer. The previous one keeps signing beside it for 24 hours, so the receiver can switch without losing a delivery.",
    params(("id" = EntityId, Path)),
    responses((status = 200, body = Record<WebhookSubscription>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn rotate_secret(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let rotated = api.services.rotate_subscription_secret(&actor, id, random_secret()?).await?;
    Ok(edge::versioned(StatusCode::OK, &view(rotated, WebhookSubscription::revealing)))
}

#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks",
    description = "The subscription's delivery log, newest first (kept 30 days).",
    params(("id" = EntityId, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<Record<WebhookDelivery>>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn deliveries(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let page = QueryParams::of(request).page()?;
    let found = api.services.list_deliveries(&actor, id, &page).await?;
    Ok(edge::page(&Page { items: found.items.into_iter().map(delivery).collect(), next_cursor: found.next_cursor }))
}

#[utoipa::path(get, path = "/webhooks/{id}/deliveries/{deliveryId}", tag = "webhooks",
    params(("id" = EntityId, Path), ("deliveryId" = EntityId, Path)),
    responses((status = 200, body = Record<WebhookDelivery>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_delivery(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let delivery_id = edge::path_id(request, "deliveryId")?;
    let found = api.services.get_delivery(&actor, id, delivery_id).await?;
    Ok(edge::versioned(StatusCode::OK, &delivery(found)))
}

#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{deliveryId}/replay", tag = "webhooks",
    description = "Sends the delivery's event again, as a new delivery (its own `webhook-id`, the same event id and body), attempted at once.",
    params(("id" = EntityId, Path), ("deliveryId" = EntityId, Path)),
    responses((status = 202, description = "The new delivery, pending; `Location` set", body = Record<WebhookDelivery>),
              (status = 404, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 409, description = "The subscription is disabled", body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn replay(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let id = edge::path_id(request, "id")?;
    let delivery_id = edge::path_id(request, "deliveryId")?;
    let replayed = api.services.replay_delivery(&actor, id, delivery_id).await?;
    let location = format!("/webhooks/{id}/deliveries/{}", replayed.value.id);
    let mut response = edge::created(location, &delivery(replayed));
    *response.status_mut() = StatusCode::ACCEPTED;
    Ok(response)
}
