//! The effects that travel between functions: one serde-tagged type, written by every producer
//! (transitions, assignment, documents, leads, the invoice sweep) and read by the notifier and
//! the documents worker. The queue an effect travels on follows from its kind.
//!
//! The wire format (`{"effectId", "queue", "body": {"kind": …}}`) is what outbox items and SQS
//! messages hold; the fixtures in `events/sqs/` are its golden examples, and messages written
//! before this type existed read back unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::case_type::Recipient;
use crate::document_sources::FieldSource;
use crate::ids::{DocumentNumber, EntityId, TenantId, UserId};
use crate::webhook::WebhookEventType;

/// The queues effects travel on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum QueueName {
    Notifications,
    Documents,
    Webhooks,
}

impl QueueName {
    pub const ALL: [QueueName; 3] = [QueueName::Notifications, QueueName::Documents, QueueName::Webhooks];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::Notifications => "notifications",
            QueueName::Documents => "documents",
            QueueName::Webhooks => "webhooks",
        }
    }
}

/// One effect on its way to a worker. `effect_id` is deterministic (tenant, subject, rule,
/// occurrence), so a worker that sees it twice acts once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectMessage {
    pub effect_id: String,
    /// Always `body.queue()`; carried so the publisher routes without reading the body.
    pub queue: QueueName,
    pub body: EffectBody,
}

impl EffectMessage {
    pub fn new(effect_id: String, body: impl Into<EffectBody>) -> Self {
        let body = body.into();
        Self { effect_id, queue: body.queue(), body }
    }
}

/// What the effect asks a worker to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum EffectBody {
    /// An e-mail to staff or to the customer (the notifier).
    Notify(Notification),
    /// A PDF rendered and filed on a case (the documents worker).
    Document(DocumentJob),
    /// Something happened that webhook subscriptions may be told (the webhooks worker fans it
    /// out into one delivery per subscription).
    WebhookEvent(WebhookEvent),
    /// One attempt of a webhook delivery (a retry, or a replay).
    WebhookAttempt(WebhookAttempt),
}

impl EffectBody {
    pub fn queue(&self) -> QueueName {
        match self {
            EffectBody::Notify(_) => QueueName::Notifications,
            EffectBody::Document(_) => QueueName::Documents,
            EffectBody::WebhookEvent(_) | EffectBody::WebhookAttempt(_) => QueueName::Webhooks,
        }
    }

    pub fn tenant(&self) -> &TenantId {
        match self {
            EffectBody::Notify(n) => &n.tenant,
            EffectBody::Document(d) => &d.tenant,
            EffectBody::WebhookEvent(e) => &e.tenant,
            EffectBody::WebhookAttempt(a) => &a.tenant,
        }
    }

    /// The template the effect renders (a webhook's event type; an attempt renders none).
    pub fn template(&self) -> &str {
        match self {
            EffectBody::Notify(n) => &n.template,
            EffectBody::Document(d) => &d.template,
            EffectBody::WebhookEvent(e) => e.event_type.as_str(),
            EffectBody::WebhookAttempt(_) => "",
        }
    }

    /// `notify:{template}`, `document:{template}`, `webhook:{event type}` or
    /// `webhook-attempt:{delivery}`, as history events and logs name the effect.
    pub fn label(&self) -> String {
        match self {
            EffectBody::Notify(n) => format!("notify:{}", n.template),
            EffectBody::Document(d) => format!("document:{}", d.template),
            EffectBody::WebhookEvent(e) => format!("webhook:{}", e.event_type.as_str()),
            EffectBody::WebhookAttempt(a) => format!("webhook-attempt:{}", a.delivery_id),
        }
    }
}

impl From<Notification> for EffectBody {
    fn from(notification: Notification) -> Self {
        EffectBody::Notify(notification)
    }
}

impl From<DocumentJob> for EffectBody {
    fn from(job: DocumentJob) -> Self {
        EffectBody::Document(job)
    }
}

impl From<WebhookEvent> for EffectBody {
    fn from(event: WebhookEvent) -> Self {
        EffectBody::WebhookEvent(event)
    }
}

impl From<WebhookAttempt> for EffectBody {
    fn from(attempt: WebhookAttempt) -> Self {
        EffectBody::WebhookAttempt(attempt)
    }
}

/// The record an effect is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Subject {
    Case {
        id: EntityId,
    },
    Lead {
        id: EntityId,
    },
    Invoice {
        id: DocumentNumber,
    },
    /// A webhook subscription (the e-mail to the admins when it is disabled).
    Webhook {
        id: EntityId,
    },
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Case { id } => write!(f, "case {id}"),
            Subject::Lead { id } => write!(f, "lead {id}"),
            Subject::Invoice { id } => write!(f, "invoice {id}"),
            Subject::Webhook { id } => write!(f, "webhook subscription {id}"),
        }
    }
}

/// Something that happened, as webhook subscribers are told: `data` is the event's body
/// (`{"id", "type", "occurredAt", "tenant", "data"}` once it is sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    pub tenant: TenantId,
    /// Unique per event: deliveries of one event to several endpoints share it.
    pub id: EntityId,
    pub event_type: WebhookEventType,
    pub occurred_at: jiff::Timestamp,
    pub data: Value,
}

/// The `attempt`-th attempt of one delivery, not before `due_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    pub tenant: TenantId,
    pub subscription_id: EntityId,
    pub delivery_id: EntityId,
    pub attempt: u32,
    pub due_at: jiff::Timestamp,
}

/// An e-mail to send from a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub tenant: TenantId,
    pub subject: Subject,
    pub template: String,
    pub to: Recipient,
    /// The staff to write to; empty means the subject's owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<EntityId>,
    /// The case version the change that caused it produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_version: Option<u64>,
    /// What happened, once (an event id, a dunning step): part of the effect id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    /// Extra template data (`sla`, `dunning`, `document`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
}

impl Notification {
    /// A notification with no optional parts.
    pub fn new(tenant: &TenantId, subject: Subject, template: impl Into<String>, to: Recipient) -> Self {
        Self {
            tenant: tenant.clone(),
            subject,
            template: template.into(),
            to,
            users: Vec::new(),
            contact_id: None,
            account_id: None,
            case_version: None,
            occurrence: None,
            context: None,
        }
    }
}

/// A document to render and file on a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentJob {
    pub tenant: TenantId,
    /// Always a case: documents are filed on cases.
    pub subject: Subject,
    pub template: String,
    /// The queued document record; absent when a workflow names a template that no longer
    /// exists, which the worker reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Staff-sent fields; workflow effects read the case through `sources` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Map<String, Value>>,
    /// A workflow effect's declared field sources, resolved when the document is rendered.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, FieldSource>,
    /// Tell the case owner when it is ready.
    #[serde(default)]
    pub notify: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub send_to_customer: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
}

impl DocumentJob {
    pub fn new(tenant: &TenantId, case: EntityId, template: impl Into<String>) -> Self {
        Self {
            tenant: tenant.clone(),
            subject: Subject::Case { id: case },
            template: template.into(),
            document_id: None,
            locale: None,
            fields: None,
            sources: BTreeMap::new(),
            notify: false,
            send_to_customer: false,
            case_version: None,
            occurrence: None,
            context: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::parse("demo").unwrap()
    }

    #[test]
    fn the_queue_follows_from_the_kind() {
        let case = EntityId::parse("01KAW3Z8Q4V6B3M9X2R5T7Y1PN").unwrap();
        let notify = EffectMessage::new(
            "a".into(),
            Notification::new(&tenant(), Subject::Case { id: case }, "t", Recipient::Owner),
        );
        assert_eq!(notify.queue, QueueName::Notifications);
        let document = EffectMessage::new("b".into(), DocumentJob::new(&tenant(), case, "quote"));
        assert_eq!(document.queue, QueueName::Documents);
    }

    #[test]
    fn an_unknown_kind_is_refused_by_name() {
        let message = serde_json::json!({"effectId": "x", "queue": "notifications",
            "body": {"kind": "fax", "tenant": "demo"}});
        let error = serde_json::from_value::<EffectMessage>(message).unwrap_err().to_string();
        assert!(error.contains("unknown variant `fax`"), "{error}");
    }
}
