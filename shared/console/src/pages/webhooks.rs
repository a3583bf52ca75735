//! *Webhooks* (administrators): the tenant's subscriptions, subscribing an endpoint to events
//! with its signing secret shown once, enabling, disabling, rotating and deleting, and each
//! subscription's delivery log, where a delivery can be sent again.
//!
//! A new secret is kept for the session's next page, which the post redirects to: that page
//! shows it once, and a reload, the back button or another tab finds it gone.

use askama::Template;
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::webhook_deliveries::ReplayError;
use gestiona_domain::service::webhooks::{GetSubscriptionError, SaveSubscriptionError, SubscriptionInput};
use gestiona_domain::webhook::{Delivery, DisabledBy, Subscription, SubscriptionStatus, WebhookEventType};
use gestiona_domain::{EntityId, Message, ValidationErrors, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::form::{Control, FieldInput};
use super::{Chrome, form_version, labels, page, query_value};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

const LIST: &str = "/app/settings/webhooks";
const DELIVERIES_PER_PAGE: u32 = 25;

/// One event a subscription can be told about, as a checkbox.
pub struct EventChoice {
    pub key: &'static str,
    pub label: String,
    pub checked: bool,
}

/// The subscription form: what was typed (or is stored) and what was wrong with it.
pub struct SubscriptionForm {
    pub url: FieldInput,
    pub description: FieldInput,
    pub events: Vec<EventChoice>,
    pub events_error: Option<String>,
}

impl SubscriptionForm {
    fn new(chrome: &Chrome, url: &str, description: &str, events: &[WebhookEventType]) -> Self {
        let input = |name: &str, label: Message, control, value: &str, required| FieldInput {
            name: name.to_owned(),
            dom_id: format!("webhook-{name}"),
            label: chrome.t(label),
            control,
            value: value.to_owned(),
            options: Vec::new(),
            required,
            read_only: false,
            error: None,
        };
        Self {
            url: input("url", msg::ui_endpoint_url(), Control::Url, url, true),
            description: input("description", msg::ui_description(), Control::Text, description, false),
            events: WebhookEventType::ALL
                .into_iter()
                .map(|event| EventChoice {
                    key: event.as_str(),
                    label: chrome.t(labels::webhook_event(event)),
                    checked: events.contains(&event),
                })
                .collect(),
            events_error: None,
        }
    }

    fn of(chrome: &Chrome, subscription: &Subscription) -> Self {
        let description = subscription.description.as_deref().unwrap_or_default();
        Self::new(chrome, &subscription.url, description, &subscription.events)
    }

    /// The form as posted, with the use case's errors on their inputs.
    fn posted(chrome: &Chrome, input: &SubscriptionInput, errors: &ValidationErrors) -> Self {
        let events: Vec<WebhookEventType> = input.events.iter().filter_map(|e| WebhookEventType::parse(e)).collect();
        let mut form = Self::new(chrome, &input.url, input.description.as_deref().unwrap_or_default(), &events);
        for error in &errors.0 {
            let reason = Some(chrome.t(error.reason.clone()));
            match error.field.split('/').next().unwrap_or_default() {
                "url" => form.url.error = reason,
                "description" => form.description.error = reason,
                _ => form.events_error = reason,
            }
        }
        form
    }
}

/// What the posted form asks for. Unknown event names are kept so the use case names them.
fn input_of(request: &Request) -> SubscriptionInput {
    let mut input = SubscriptionInput::default();
    for (name, value) in form_urlencoded::parse(request.body().as_ref()) {
        match name.as_ref() {
            "url" => input.url = value.trim().to_owned(),
            "description" => input.description = Some(value.trim().to_owned()).filter(|d| !d.is_empty()),
            "events" => input.events.push(value.into_owned()),
            _ => {}
        }
    }
    input
}

pub struct SubscriptionRow {
    pub id: String,
    pub url: String,
    pub description: String,
    pub events: String,
    pub status: String,
    pub active: bool,
}

impl SubscriptionRow {
    fn of(subscription: &Subscription, chrome: &Chrome) -> Self {
        let events: Vec<String> = subscription.events.iter().map(|e| chrome.t(labels::webhook_event(*e))).collect();
        Self {
            id: subscription.id.to_string(),
            url: subscription.url.clone(),
            description: subscription.description.clone().unwrap_or_default(),
            events: events.join(", "),
            status: status_text(subscription, chrome),
            active: subscription.status == SubscriptionStatus::Active && subscription.failing_since.is_none(),
        }
    }
}

fn status_text(subscription: &Subscription, chrome: &Chrome) -> String {
    chrome.t(match (&subscription.status, &subscription.disabled_by, subscription.failing_since) {
        (SubscriptionStatus::Disabled, Some(DisabledBy::Failures), _) => msg::ui_webhook_disabled_by_failures(),
        (SubscriptionStatus::Disabled, _, _) => msg::ui_webhook_disabled_by_admin(),
        (SubscriptionStatus::Active, _, Some(since)) => msg::ui_webhook_failing_since(chrome.when(since)),
        (SubscriptionStatus::Active, _, None) => msg::ui_webhook_active(),
    })
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    rows: Vec<SubscriptionRow>,
    form: SubscriptionForm,
    /// Minted when the form is shown: posting it twice makes one subscription.
    form_id: String,
    notice: Option<String>,
}

/// The answer to someone who is not an administrator.
fn admins_only(chrome: &Chrome) -> Option<Response<Body>> {
    (!chrome.admin).then(|| response::message_page(StatusCode::FORBIDDEN, chrome.locale, msg::ui_admins_only()))
}

/// `GET /app/settings/webhooks`.
pub async fn list(console: &Console, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    let form = SubscriptionForm::new(&chrome, "", "", &[]);
    render_list(console, signed_in, chrome, StatusCode::OK, form, None, None).await
}

async fn render_list(
    console: &Console,
    signed_in: &SignedIn,
    chrome: Chrome,
    status: StatusCode,
    form: SubscriptionForm,
    form_id: Option<EntityId>,
    notice: Option<Message>,
) -> Response<Body> {
    if let Some(refused) = admins_only(&chrome) {
        return refused;
    }
    let subscriptions = match console.services.list_subscriptions(&signed_in.actor).await {
        Ok(found) => found,
        Err(GetSubscriptionError::Forbidden(_)) => return response::forbidden(signed_in),
        Err(error) => {
            tracing::error!(?error, "the webhook subscriptions could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let rows = subscriptions.iter().map(|s| SubscriptionRow::of(&s.value, &chrome)).collect();
    let notice = notice.map(|n| chrome.t(n));
    let form_id = form_id.unwrap_or_else(|| console.services.new_id()).to_string();
    page(status, &WebhooksPage { chrome, rows, form, form_id, notice })
}

/// `POST /app/settings/webhooks`: subscribes an endpoint; the answer shows its secret, once.
pub async fn create(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    if let Some(refused) = admins_only(&chrome) {
        return refused;
    }
    let Some(form_id) = form_value(request, "formId").and_then(|v| EntityId::parse(&v).ok()) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let input = input_of(request);
    let Some(secret) = random_secret() else { return response::unavailable(chrome.locale) };
    let actor = signed_in.actor.clone();
    match console.services.create_subscription_once(&actor, input.clone(), secret, form_id).await {
        Ok(created) => reveal(console, request, signed_in, created, StatusCode::CREATED).await,
        Err(SaveSubscriptionError::Invalid(errors)) => {
            let form = SubscriptionForm::posted(&chrome, &input, &errors);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_list(console, signed_in, chrome, status, form, Some(form_id), None).await
        }
        Err(error) => failed(error, signed_in),
    }
}

/// Sends the admin to the subscription's page, which shows its new secret once. Should the
/// session not keep it, this answer shows it instead: a secret is never lost unseen.
async fn reveal(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    subscription: Versioned<Subscription>,
    status: StatusCode,
) -> Response<Body> {
    let id = subscription.value.id.to_string();
    let secret = subscription.value.secrets.first().map(|s| s.secret.clone()).unwrap_or_default();
    match console.services.keep_shown_once(&signed_in.secret, &id, &secret).await {
        Ok(()) => response::redirect(&format!("{LIST}/{id}")),
        Err(error) => {
            tracing::warn!(%error, "the new secret could not be kept for the next page: shown now");
            let shown = Shown { secret: Some(secret), ..Shown::default() };
            render_one(console, request, signed_in, subscription, status, shown).await
        }
    }
}

/// 32 bytes from the operating system for a new signing secret.
fn random_secret() -> Option<[u8; 32]> {
    let mut bytes = [0u8; 32];
    match getrandom::fill(&mut bytes) {
        Ok(()) => Some(bytes),
        Err(error) => {
            tracing::error!(%error, "the operating system gave no randomness");
            None
        }
    }
}

/// A failure no form can mend.
fn failed(error: SaveSubscriptionError, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    match error {
        SaveSubscriptionError::Forbidden(_) => response::forbidden(signed_in),
        SaveSubscriptionError::NotFound => response::not_found(locale),
        error => {
            tracing::error!(?error, "the webhook subscription could not be stored");
            response::unavailable(locale)
        }
    }
}

pub struct DeliveryRow {
    pub id: String,
    pub event: String,
    pub created: String,
    pub status: String,
    pub delivered: bool,
    pub attempts: u32,
    pub last_answer: String,
    pub next_attempt: String,
    pub replay_of: Option<String>,
}

impl DeliveryRow {
    fn of(delivery: &Delivery, chrome: &Chrome) -> Self {
        let last_answer = delivery.last_attempt.as_ref().map_or_else(String::new, |attempt| {
            let said = attempt.status_code.map(|code| code.to_string()).or(attempt.error.clone()).unwrap_or_default();
            format!("{said} · {} ms", attempt.duration_ms)
        });
        Self {
            id: delivery.id.to_string(),
            event: delivery.event_type.as_str().to_owned(),
            created: chrome.when(delivery.created_at),
            status: chrome.t(labels::delivery_status(delivery.status)),
            delivered: delivery.status == gestiona_domain::webhook::DeliveryStatus::Delivered,
            attempts: delivery.attempts,
            last_answer,
            next_attempt: delivery.next_attempt_at.map(|at| chrome.when(at)).unwrap_or_default(),
            replay_of: delivery.replay_of.map(|id| chrome.t(msg::ui_replay_of(id.to_string()))),
        }
    }
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct WebhookPage {
    chrome: Chrome,
    subscription: SubscriptionRow,
    version: u64,
    disabled: bool,
    secrets: Vec<String>,
    created: String,
    form: SubscriptionForm,
    /// A signing secret just made: shown here once.
    secret: Option<String>,
    notice: Option<String>,
    errors: Vec<String>,
    deliveries: Vec<DeliveryRow>,
    next_page: Option<String>,
}

/// What the subscription page shows besides the subscription itself.
#[derive(Default)]
struct Shown {
    secret: Option<String>,
    form: Option<SubscriptionForm>,
    notice: Option<Message>,
    errors: Vec<Message>,
}

/// `GET /app/settings/webhooks/{id}?cursor=`: the subscription, its form and its deliveries.
pub async fn show(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    if let Some(refused) = admins_only(&chrome) {
        return refused;
    }
    let subscription = match read(console, signed_in, id).await {
        Ok(subscription) => subscription,
        Err(answer) => return answer,
    };
    let secret = match console.services.take_shown_once(&signed_in.secret, id).await {
        Ok(secret) => secret,
        Err(error) => {
            tracing::error!(%error, "the new secret could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    render_one(console, request, signed_in, subscription, StatusCode::OK, Shown { secret, ..Shown::default() }).await
}

async fn read(console: &Console, signed_in: &SignedIn, id: &str) -> Result<Versioned<Subscription>, Response<Body>> {
    let locale = signed_in.session.locale;
    let Ok(id) = EntityId::parse(id) else { return Err(response::not_found(locale)) };
    match console.services.get_subscription(&signed_in.actor, id).await {
        Ok(subscription) => Ok(subscription),
        Err(GetSubscriptionError::NotFound) => Err(response::not_found(locale)),
        Err(GetSubscriptionError::Forbidden(_)) => Err(response::forbidden(signed_in)),
        Err(GetSubscriptionError::Store(error)) => {
            tracing::error!(%error, "the webhook subscription could not be read");
            Err(response::unavailable(locale))
        }
    }
}

async fn render_one(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    subscription: Versioned<Subscription>,
    status: StatusCode,
    shown: Shown,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    let id = subscription.value.id;
    let Ok(paging) = PageRequest::new(Some(DELIVERIES_PER_PAGE), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let log = match console.services.list_deliveries(&signed_in.actor, id, &paging).await {
        Ok(log) => log,
        Err(ReplayError::Invalid(_)) => return response::status_page(StatusCode::BAD_REQUEST, chrome.locale),
        Err(error) => {
            tracing::error!(?error, "the webhook deliveries could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let next_page = log.next_cursor.map(|cursor| {
        let cursor: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
        format!("{LIST}/{id}?cursor={cursor}")
    });
    let value = &subscription.value;
    let secrets = value
        .secrets
        .iter()
        .map(|s| match s.expires_at {
            Some(until) => format!("{} ({})", s.hint(), chrome.t(msg::ui_secret_valid_until(chrome.when(until)))),
            None => s.hint(),
        })
        .collect();
    let view = WebhookPage {
        subscription: SubscriptionRow::of(value, &chrome),
        version: subscription.version,
        disabled: value.status == SubscriptionStatus::Disabled,
        secrets,
        created: format!("{} · {}", chrome.when(value.created_at), value.created_by),
        form: shown.form.unwrap_or_else(|| SubscriptionForm::of(&chrome, value)),
        secret: shown.secret,
        notice: shown.notice.map(|m| chrome.t(m)),
        errors: shown.errors.into_iter().map(|m| chrome.t(m)).collect(),
        deliveries: log.items.iter().map(|d| DeliveryRow::of(&d.value, &chrome)).collect(),
        next_page,
        chrome,
    };
    page(status, &view)
}

/// Shows the subscription as it is now after a change that failed, with why.
async fn rerender(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    id: &str,
    status: StatusCode,
    shown: Shown,
) -> Response<Body> {
    match read(console, signed_in, id).await {
        Ok(subscription) => render_one(console, request, signed_in, subscription, status, shown).await,
        Err(answer) => answer,
    }
}

/// The subscription as it is now, after a change made at a version someone else changed.
async fn changed_meanwhile(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let shown = Shown { notice: Some(msg::ui_webhook_stale()), ..Shown::default() };
    rerender(console, request, signed_in, id, StatusCode::CONFLICT, shown).await
}

/// Answers a change of the subscription: its page again, or why not.
async fn after_change(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    id: &str,
    outcome: Result<Versioned<Subscription>, SaveSubscriptionError>,
    form: Option<SubscriptionForm>,
) -> Response<Body> {
    match outcome {
        Ok(_) => response::redirect(&format!("{LIST}/{id}")),
        Err(SaveSubscriptionError::Stale(_)) => changed_meanwhile(console, request, signed_in, id).await,
        Err(SaveSubscriptionError::Invalid(errors)) => {
            let shown = match form {
                Some(form) => Shown { form: Some(form), ..Shown::default() },
                None => Shown { errors: errors.0.into_iter().map(|e| e.reason).collect(), ..Shown::default() },
            };
            rerender(console, request, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
        Err(error) => failed(error, signed_in),
    }
}

/// `POST /app/settings/webhooks/{id}`: a new address, description or events.
pub async fn update(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    if let Some(refused) = admins_only(&chrome) {
        return refused;
    }
    let (Ok(subscription), Some(expected)) = (EntityId::parse(id), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let input = input_of(request);
    let outcome = console
        .services
        .update_subscription(&signed_in.actor, subscription, Some(expected.into()), input.clone())
        .await;
    let form = match &outcome {
        Err(SaveSubscriptionError::Invalid(errors)) => Some(SubscriptionForm::posted(&chrome, &input, errors)),
        _ => None,
    };
    after_change(console, request, signed_in, id, outcome, form).await
}

/// `POST /app/settings/webhooks/{id}/status`: `active` or `disabled`, at the version shown.
pub async fn set_status(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    if let Some(refused) = admins_only(&chrome) {
        return refused;
    }
    let status = match form_value(request, "status").as_deref() {
        Some("active") => SubscriptionStatus::Active,
        Some("disabled") => SubscriptionStatus::Disabled,
        _ => return response::status_page(StatusCode::BAD_REQUEST, chrome.locale),
    };
    let Some(expected) = form_version(request) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let current = match read(console, signed_in, id).await {
        Ok(current) => current,
        Err(answer) => return answer,
    };
    let value = current.value;
    // Everything else as stored: only the status changes (the version guards the rest).
    let input = SubscriptionInput {
        url: value.url,
        events: value.events.iter().map(|e| e.as_str().to_owned()).collect(),
        description: value.description,
        status: Some(status),
    };
    let outcome = console.services.update_subscription(&signed_in.actor, value.id, Some(expected.into()), input).await;
    after_change(console, request, signed_in, id, outcome, None).await
}

/// `POST /app/settings/webhooks/{id}/rotate`: a new secret, shown once; the old one signs
/// beside it for a day.
pub async fn rotate(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    if let Some(refused) = admins_only(&chrome) {
        return refused;
    }
    let Ok(subscription) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let Some(secret) = random_secret() else { return response::unavailable(chrome.locale) };
    match console.services.rotate_subscription_secret(&signed_in.actor, subscription, secret).await {
        Ok(rotated) => reveal(console, request, signed_in, rotated, StatusCode::OK).await,
        Err(SaveSubscriptionError::Stale(_)) => changed_meanwhile(console, request, signed_in, id).await,
        Err(error) => failed(error, signed_in),
    }
}

/// `POST /app/settings/webhooks/{id}/delete`, at the version shown.
pub async fn delete(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    if let Some(refused) = admins_only(&chrome) {
        return refused;
    }
    let (Ok(subscription), Some(expected)) = (EntityId::parse(id), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let actor = signed_in.actor.clone();
    match console.services.delete_subscription(&actor, subscription, Some(expected.into())).await {
        Ok(()) => {
            let form = SubscriptionForm::new(&chrome, "", "", &[]);
            let notice = Some(msg::ui_webhook_deleted());
            render_list(console, signed_in, chrome, StatusCode::OK, form, None, notice).await
        }
        Err(SaveSubscriptionError::Stale(_)) => changed_meanwhile(console, request, signed_in, id).await,
        Err(error) => failed(error, signed_in),
    }
}

/// `POST /app/settings/webhooks/{id}/deliveries/{delivery}/replay`: the event again, as a new
/// delivery attempted at once.
pub async fn replay(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    id: &str,
    delivery: &str,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "webhooks");
    if let Some(refused) = admins_only(&chrome) {
        return refused;
    }
    let (Ok(subscription), Ok(delivery)) = (EntityId::parse(id), EntityId::parse(delivery)) else {
        return response::not_found(chrome.locale);
    };
    let (status, shown) = match console.services.replay_delivery(&signed_in.actor, subscription, delivery).await {
        Ok(_) => (StatusCode::OK, Shown { notice: Some(msg::ui_sent_again()), ..Shown::default() }),
        Err(ReplayError::Disabled) => {
            (StatusCode::CONFLICT, Shown { errors: vec![msg::detail_webhook_disabled()], ..Shown::default() })
        }
        Err(ReplayError::NotFound) => return response::not_found(chrome.locale),
        Err(ReplayError::Forbidden(_)) => return response::forbidden(signed_in),
        Err(error) => {
            tracing::error!(?error, "the delivery could not be replayed");
            return response::unavailable(chrome.locale);
        }
    };
    rerender(console, request, signed_in, id, status, shown).await
}
