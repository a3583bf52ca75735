//! The notifier's use case: deliver one notification effect, exactly once per recipient.
//!
//! Each recipient is its own unit of work, claimed under `{effectId}/{address}` before sending
//! and completed after: a redelivered message skips the recipients already served, a worker that
//! died after claiming is taken over when its lease lapses, and a failure worth retrying gives
//! the claim back. Throttling is retried here with back-off; a permanent refusal (an invalid
//! address) is recorded on the case and not retried.

use std::sync::Arc;
use std::time::Duration;

use gestiona_domain::access::Role;
use gestiona_domain::case::Case;
use gestiona_domain::case_type::Recipient as Audience;
use gestiona_domain::document::Locale;
use gestiona_domain::effects::{EffectBody, EffectMessage, Notification, Subject};
use gestiona_domain::format;
use gestiona_domain::history::EventKind;
use gestiona_domain::lead::Lead;
use gestiona_domain::money::Money;
use gestiona_domain::ports::{MailError, Mailer, OutgoingEmail, StoreError};
use gestiona_domain::receivables::{Invoice, step_label};
use gestiona_domain::service::access::AuthorizeError;
use gestiona_domain::service::accounts::GetAccountError;
use gestiona_domain::service::directory::Claim;
use gestiona_domain::service::receivables::{GetInvoiceError, local_day};
use gestiona_domain::service::tenants::Tenant;
use gestiona_domain::service::webhooks::GetSubscriptionError;
use gestiona_domain::service::{PageRequest, Services};
use gestiona_domain::user::User;
use gestiona_domain::webhook::Subscription;
use gestiona_domain::{Actor, EntityId, Versioned};
use serde_json::{Value, json};

use crate::mime::{Envelope, build};
use crate::templates::{DEFAULT_LOCALE, Templates};

/// How long a claimed recipient is reserved for the worker that claimed it.
const LEASE_SECONDS: i64 = 120;
/// Back-off steps when the provider throttles (doubling from this).
const THROTTLE_RETRIES: u32 = 4;
const THROTTLE_FIRST_WAIT: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The message can never be processed (a poison message): it goes to the dead-letter queue.
    #[error("malformed notification: {0}")]
    Malformed(String),
    /// Another worker holds a recipient's claim; deliver again later.
    #[error("another worker is delivering this effect")]
    Busy,
    /// A transient failure (throttled beyond back-off, provider or store unavailable).
    #[error("retry later: {0}")]
    Retry(String),
}

impl From<StoreError> for NotifyError {
    fn from(e: StoreError) -> Self {
        Self::Retry(e.to_string())
    }
}

/// What happened to one notification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    /// Recipients served by an earlier delivery of the same effect.
    pub already: usize,
    pub failed: usize,
    pub skipped: usize,
}

struct Recipient {
    name: String,
    email: String,
    locale: String,
    staff: bool,
    /// A staff recipient as the tenant's profiles make them: what they may not see is left
    /// out of what they are sent.
    reader: Option<Actor>,
}

impl Recipient {
    /// Someone outside the company: a contact, an account, a prospect.
    fn customer(name: String, email: String, locale: String) -> Self {
        Self { name, email, locale, staff: false, reader: None }
    }

    /// A member of the staff, as the directory lists them.
    fn staff(user: User, reader: Option<Actor>) -> Self {
        Self { name: user.name, email: user.email, locale: user.locale, staff: true, reader }
    }
}

pub struct Notifier {
    services: Services,
    mailer: Arc<dyn Mailer>,
    templates: &'static Templates,
    /// Sender for tenants that have not set their own identity.
    default_sender: String,
}

impl Notifier {
    pub fn new(
        services: Services,
        mailer: Arc<dyn Mailer>,
        templates: &'static Templates,
        default_sender: String,
    ) -> Self {
        Self { services, mailer, templates, default_sender }
    }

    pub async fn deliver(&self, message: &EffectMessage) -> Result<Delivery, NotifyError> {
        let request = match &message.body {
            EffectBody::Notify(notification) => notification,
            other => return Err(NotifyError::Malformed(format!("cannot deliver {}", other.label()))),
        };
        let tenant = request.tenant.clone();
        let system = Actor::system(&tenant);
        let missing = || NotifyError::Malformed(format!("no {} in {tenant}", request.subject));
        let case = match &request.subject {
            Subject::Case { id } => match self.services.get_case(&system, *id).await {
                Ok(case) => Target::Case(case),
                Err(gestiona_domain::service::cases::GetCaseError::NotFound) => return Err(missing()),
                Err(gestiona_domain::service::cases::GetCaseError::Store(e)) => return Err(e.into()),
            },
            Subject::Lead { id } => match self.services.get_lead(&system, *id).await {
                Ok(lead) => Target::Lead(lead),
                Err(gestiona_domain::service::leads::GetLeadError::NotFound) => return Err(missing()),
                Err(gestiona_domain::service::leads::GetLeadError::Store(e)) => return Err(e.into()),
            },
            Subject::Invoice { id } => match self.services.get_invoice(&system, id).await {
                Ok(invoice) => Target::Invoice(invoice),
                Err(GetInvoiceError::NotFound) => return Err(missing()),
                Err(GetInvoiceError::Store(e)) => return Err(e.into()),
            },
            Subject::Webhook { id } => match self.services.get_subscription(&system, *id).await {
                Ok(subscription) => Target::Webhook(subscription),
                Err(GetSubscriptionError::NotFound) => return Err(missing()),
                Err(GetSubscriptionError::Store(e)) => return Err(e.into()),
                Err(GetSubscriptionError::Forbidden(e)) => return Err(NotifyError::Malformed(e.to_string())),
            },
        };
        let tenant_record = self.services.tenant(&tenant).await?;
        let mut delivery = Delivery::default();
        let (context, recipients) = match &case {
            Target::Case(c) => self.case_context(&system, tenant_record.as_ref(), &c.value, request).await?,
            Target::Lead(l) => self.lead_context(&system, tenant_record.as_ref(), &l.value, request).await?,
            Target::Invoice(i) => self.invoice_context(&system, tenant_record.as_ref(), &i.value).await?,
            Target::Webhook(s) => self.webhook_context(&system, tenant_record.as_ref(), &s.value, request).await?,
        };
        if let Target::Invoice(invoice) = &case
            && let Some(reason) = reminder_void(&invoice.value)
        {
            // Paid (or stopped) between the sweep and now: a reminder would be wrong.
            let kind = EventKind::NotificationSkipped {
                effect_id: message.effect_id.clone(),
                template: request.template.clone(),
                reason: reason.into(),
            };
            self.settle(&system, &case, kind, None).await?;
            delivery.skipped += 1;
            return Ok(delivery);
        }
        let from = tenant_record.and_then(|t| t.sender).unwrap_or_else(|| self.default_sender.clone());
        if recipients.is_empty() {
            let kind = EventKind::NotificationSkipped {
                effect_id: message.effect_id.clone(),
                template: request.template.clone(),
                reason: "no recipient with an e-mail address".into(),
            };
            self.settle(&system, &case, kind, None).await?;
            delivery.skipped += 1;
            return Ok(delivery);
        }
        for recipient in recipients {
            let unit = format!("{}/{}", message.effect_id, recipient.email);
            let version = match self.services.claim_effect(&tenant, &unit, LEASE_SECONDS).await? {
                Claim::Completed => {
                    delivery.already += 1;
                    continue;
                }
                Claim::Busy => return Err(NotifyError::Busy),
                Claim::Acquired { version } => version,
            };
            let marketing = gestiona_domain::templates::is_marketing(&request.template);
            if marketing && self.services.is_opted_out(&tenant, &recipient.email).await? {
                let kind = EventKind::NotificationSkipped {
                    effect_id: message.effect_id.clone(),
                    template: request.template.clone(),
                    reason: format!("{} opted out of marketing e-mail", recipient.email),
                };
                self.settle(&system, &case, kind, Some((&unit, version, json!({"skipped": "opted out"})))).await?;
                delivery.skipped += 1;
                continue;
            }
            let mut data = context.clone();
            if let (Some(extra), Some(target)) =
                (request.context.as_ref().and_then(Value::as_object), data.as_object_mut())
            {
                target.extend(extra.clone());
            }
            data["recipient"] = json!({ "name": recipient.name });
            if let (Target::Lead(lead), Some(reader)) = (&case, &recipient.reader) {
                let mut lead = lead.value.clone();
                reader.redact(&mut lead);
                data["lead"] = lead_data(&lead);
            }
            if !recipient.staff {
                data["link"] = Value::Null;
            }
            let outcome = self.send_one(&from, &recipient, &request.template, &data, &unit).await;
            match outcome {
                Ok(message_id) => {
                    let outcome = json!({"messageId": message_id});
                    let kind = EventKind::Notified {
                        effect_id: message.effect_id.clone(),
                        template: request.template.clone(),
                        to: vec![recipient.email.clone()],
                        message_id,
                    };
                    self.settle(&system, &case, kind, Some((&unit, version, outcome))).await?;
                    delivery.sent += 1;
                }
                Err(SendFailure::Permanent(reason)) => {
                    let outcome = json!({"failed": reason});
                    let kind = EventKind::NotificationFailed {
                        effect_id: message.effect_id.clone(),
                        template: request.template.clone(),
                        reason,
                    };
                    self.settle(&system, &case, kind, Some((&unit, version, outcome))).await?;
                    delivery.failed += 1;
                }
                Err(SendFailure::Retry(reason)) => {
                    self.services.release_effect(&tenant, &unit, version).await?;
                    return Err(NotifyError::Retry(reason));
                }
            }
        }
        Ok(delivery)
    }

    async fn send_one(
        &self,
        from: &str,
        recipient: &Recipient,
        template: &str,
        data: &Value,
        unit: &str,
    ) -> Result<String, SendFailure> {
        let rendered = self
            .templates
            .render(template, &recipient.locale, data)
            .map_err(|e| SendFailure::Permanent(format!("rendering failed: {e}")))?;
        let message_id = format!("<{}@gestiona>", short_hash(unit));
        let envelope = Envelope {
            from,
            to_name: &recipient.name,
            to_address: &recipient.email,
            message_id,
            unsubscribe_url: data["unsubscribeUrl"].as_str(),
        };
        let mime = build(&envelope, &rendered, None).map_err(|e| SendFailure::Permanent(e.to_string()))?;
        let email = OutgoingEmail {
            from: from.to_owned(),
            to: vec![recipient.email.clone()],
            mime,
            effect_id: unit.to_owned(),
        };
        let mut wait = THROTTLE_FIRST_WAIT;
        for attempt in 0..=THROTTLE_RETRIES {
            match self.mailer.send(&email).await {
                Ok(id) => return Ok(id),
                Err(MailError::Throttled(reason)) if attempt < THROTTLE_RETRIES => {
                    tracing::warn!(%reason, attempt, "throttled; backing off");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(MailError::Throttled(reason)) | Err(MailError::Transient(reason)) => {
                    return Err(SendFailure::Retry(reason));
                }
                Err(MailError::Permanent(reason)) => return Err(SendFailure::Permanent(reason)),
            }
        }
        Err(SendFailure::Retry("throttled".into()))
    }

    /// Records what happened on the case's (or lead's) history, then completes the recipient's
    /// claim (if one was taken) with the outcome.
    async fn settle(
        &self,
        actor: &Actor,
        target: &Target,
        kind: EventKind,
        claim: Option<(&str, u64, Value)>,
    ) -> Result<(), StoreError> {
        let (subject, version) = match target {
            Target::Case(case) => (Subject::Case { id: case.value.id }, case.version),
            Target::Lead(lead) => (Subject::Lead { id: lead.value.id }, lead.version),
            Target::Invoice(invoice) => (Subject::Invoice { id: invoice.value.number.clone() }, invoice.version),
            Target::Webhook(subscription) => (Subject::Webhook { id: subscription.value.id }, subscription.version),
        };
        self.services.append_history(actor, &subject, version, kind).await?;
        if let Some((unit, version, outcome)) = claim {
            self.services.complete_effect(&actor.tenant, unit, version, outcome).await?;
        }
        Ok(())
    }

    /// The template data and the recipients of a lead notification: the assigned agent, or the
    /// prospect (in the tenant's language; marketing e-mails carry an unsubscribe link).
    async fn lead_context(
        &self,
        system: &Actor,
        tenant_record: Option<&Tenant>,
        lead: &Lead,
        request: &Notification,
    ) -> Result<(Value, Vec<Recipient>), NotifyError> {
        let tenant = &system.tenant;
        let (tenant_name, address, logo, app_url, locale) = match tenant_record {
            Some(t) => (t.name.clone(), t.address.clone(), t.logo_url.clone(), t.app_url.clone(), t.locale.clone()),
            None => (tenant.to_string(), None, None, None, DEFAULT_LOCALE.to_owned()),
        };
        let unsubscribe = match (&app_url, &lead.fields.email) {
            (Some(url), Some(email)) if gestiona_domain::templates::is_marketing(&request.template) => {
                let email: String = form_urlencoded::byte_serialize(email.as_bytes()).collect();
                Some(format!("{}/unsubscribe?t={tenant}&e={email}", url.trim_end_matches('/')))
            }
            _ => None,
        };
        let context = json!({
            "tenant": {"name": tenant_name, "address": address, "logoUrl": logo},
            "recipient": {"name": ""},
            "link": app_url.map(|u| gestiona_domain::templates::console_link(&u, "leads", lead.id)),
            "unsubscribeUrl": unsubscribe,
            "lead": lead_data(lead),
        });
        let mut recipients = Vec::new();
        if request.to == Audience::Customer {
            if let Some(email) = &lead.fields.email {
                recipients.push(Recipient::customer(lead.fields.name.clone(), email.clone(), locale));
            }
        } else {
            let users =
                if request.users.is_empty() { lead.owner.iter().cloned().collect() } else { request.users.clone() };
            for id in users {
                let Some(user) = self.services.user(tenant, &id).await? else { continue };
                // A user the directory names without a profile gets the agents' (the least).
                let reader = match self.services.authorize(Actor::with_role(tenant, &id, Role::Agent)).await {
                    Ok(reader) => reader,
                    Err(AuthorizeError::Deactivated) => continue,
                    Err(AuthorizeError::Store(e)) => return Err(e.into()),
                };
                recipients.push(Recipient::staff(user, Some(reader)));
            }
        }
        Ok((context, recipients))
    }

    /// The template data and the recipient of an invoice reminder: the invoice's contact, else
    /// the account's billing e-mail, in the contact's (or the tenant's) language. Amounts and
    /// dates are formatted for that language; the label says what is true today.
    async fn invoice_context(
        &self,
        system: &Actor,
        tenant_record: Option<&Tenant>,
        invoice: &Invoice,
    ) -> Result<(Value, Vec<Recipient>), NotifyError> {
        let tenant = &system.tenant;
        let tenant_locale = tenant_record.map_or_else(|| DEFAULT_LOCALE.to_owned(), |t| t.locale.clone());
        let account = match self.services.get_account(system, invoice.account_id).await {
            Ok(account) => Some(account.value),
            Err(GetAccountError::NotFound) => None,
            Err(GetAccountError::Store(e)) => return Err(e.into()),
        };
        let account_name = account.as_ref().map(|a| a.name.clone()).unwrap_or_default();
        let mut recipient = None;
        if let Some(contact_id) = invoice.contact_id
            && let Ok(contact) = self.services.get_contact(system, contact_id).await
            && let Some(email) = contact.value.email.clone()
        {
            let name = format!("{} {}", contact.value.first_name, contact.value.last_name.clone().unwrap_or_default());
            let locale = contact.value.locale.clone().unwrap_or_else(|| tenant_locale.clone());
            recipient = Some(Recipient::customer(name.trim().to_owned(), email, locale));
        }
        if recipient.is_none()
            && let Some(email) = account.as_ref().and_then(|a| a.email.clone())
        {
            recipient = Some(Recipient::customer(account_name.clone(), email, tenant_locale.clone()));
        }
        let locale = recipient.as_ref().map_or(tenant_locale, |r| r.locale.clone());
        let locale = Locale::from_tag(&locale);
        // The tenant record is in hand: its zone gives today without reading it again.
        let today = match tenant_record {
            Some(t) => local_day(self.services.now(), &t.time_zone),
            None => self.services.tenant_today(tenant).await?,
        };
        let (tenant_name, address, logo) = match tenant_record {
            Some(t) => (t.name.clone(), t.address.clone(), t.logo_url.clone()),
            None => (tenant.to_string(), None, None),
        };
        let context = json!({
            "tenant": {"name": tenant_name, "address": address, "logoUrl": logo},
            "recipient": {"name": ""},
            "link": null,
            "unsubscribeUrl": null,
            "invoice": {
                "number": invoice.number.as_str(),
                "amount": format::money(&invoice.balance(), locale),
                "total": format::money(&Money { amount_minor: invoice.total_minor, currency: invoice.currency.clone() }, locale),
                "dueDate": format::date(invoice.due_on, locale),
                "daysPastDue": invoice.days_past_due(today),
                "stepLabel": step_label(invoice.days_past_due(today), locale),
            },
            "account": {"name": account_name},
        });
        Ok((context, recipient.into_iter().collect()))
    }

    /// The template data and the recipients of a case notification.
    async fn case_context(
        &self,
        system: &Actor,
        tenant_record: Option<&Tenant>,
        case: &Case,
        request: &Notification,
    ) -> Result<(Value, Vec<Recipient>), NotifyError> {
        let tenant = &system.tenant;
        let definition = self.services.definition_of(tenant, &case.case_type, case.type_version).await?;
        let state_name = |key: &str| definition.state(key).map_or_else(|| key.to_owned(), |s| s.name.clone());
        let (tenant_name, address, logo, app_url) = match tenant_record {
            Some(t) => (t.name.clone(), t.address.clone(), t.logo_url.clone(), t.app_url.clone()),
            None => (tenant.to_string(), None, None, None),
        };
        let mut step = json!({"actionName": "", "resultName": "", "fromName": "", "toName": state_name(&case.state), "note": null});
        let mut actor_name = String::new();
        if let Some(occurrence) = request.occurrence.as_deref().and_then(|o| EntityId::parse(o).ok())
            && let Some(event) = self.services.case_event(tenant, case.id, occurrence).await?
        {
            actor_name =
                self.services.user(tenant, &event.actor).await?.map_or_else(|| event.actor.to_string(), |u| u.name);
            if let EventKind::Transitioned { action, result, from, to, note } = event.kind {
                let action_def = definition.action(&action);
                let result_name = action_def
                    .and_then(|a| a.results.iter().find(|r| r.key == result))
                    .map_or_else(|| result.clone(), |r| r.name.clone());
                step = json!({
                    "actionName": action_def.map_or_else(|| action.clone(), |a| a.name.clone()),
                    "resultName": result_name,
                    "fromName": state_name(&from),
                    "toName": state_name(&to),
                    "note": note,
                });
            }
        }
        let context = json!({
            "tenant": {"name": tenant_name, "address": address, "logoUrl": logo},
            "recipient": {"name": ""},
            "link": app_url.map(|u| gestiona_domain::templates::console_link(&u, "cases", case.id)),
            "unsubscribeUrl": null,
            "case": {"id": case.id.to_string(), "subject": case.subject, "typeName": definition.name, "stateName": state_name(&case.state)},
            "actor": {"name": actor_name},
            "step": step,
        });
        let mut recipients = Vec::new();
        if request.to == Audience::Customer {
            if let Some(contact_id) = case.contact_id
                && let Ok(contact) = self.services.get_contact(system, contact_id).await
                && let Some(email) = contact.value.email.clone()
            {
                let name =
                    format!("{} {}", contact.value.first_name, contact.value.last_name.clone().unwrap_or_default());
                let locale = contact.value.locale.clone().or_else(|| tenant_record.map(|t| t.locale.clone()));
                let locale = locale.unwrap_or_else(|| DEFAULT_LOCALE.into());
                recipients.push(Recipient::customer(name.trim().to_owned(), email, locale));
            }
        } else {
            let users =
                if request.users.is_empty() { case.owner.iter().cloned().collect() } else { request.users.clone() };
            for id in users {
                if let Some(user) = self.services.user(tenant, &id).await? {
                    recipients.push(Recipient::staff(user, None));
                }
            }
        }
        Ok((context, recipients))
    }
}

impl Notifier {
    /// The admin's e-mail that their subscription was disabled: the endpoint, since when it
    /// fails, and its last answer.
    async fn webhook_context(
        &self,
        system: &Actor,
        tenant_record: Option<&Tenant>,
        subscription: &Subscription,
        request: &Notification,
    ) -> Result<(Value, Vec<Recipient>), NotifyError> {
        let tenant = &system.tenant;
        let last = self
            .services
            .list_deliveries(system, subscription.id, &PageRequest::new(Some(1), None).expect("a valid page size"))
            .await
            .ok();
        let last_error = last
            .and_then(|page| page.items.into_iter().next())
            .and_then(|d| d.value.last_attempt)
            .map(|a| a.status_code.map_or_else(|| a.error.unwrap_or_default(), |code| format!("HTTP {code}")));
        let context = json!({
            "tenant": {"name": tenant_record.map_or_else(|| tenant.to_string(), |t| t.name.clone()), "address": null, "logoUrl": null},
            "recipient": {"name": ""},
            "link": tenant_record.and_then(|t| t.app_url.clone()).map(|u| format!("{}/webhooks/{}", u.trim_end_matches('/'), subscription.id)),
            "unsubscribeUrl": null,
            "webhook": {
                "url": subscription.url,
                "description": subscription.description.clone().unwrap_or_default(),
                "failingSince": subscription.failing_since.map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()),
                "lastError": last_error.unwrap_or_default(),
            },
        });
        let mut recipients = Vec::new();
        for id in &request.users {
            if let Some(user) = self.services.user(tenant, id).await? {
                recipients.push(Recipient::staff(user, None));
            }
        }
        Ok((context, recipients))
    }
}

/// What a notification is about.
enum Target {
    Case(Versioned<Case>),
    Lead(Versioned<Lead>),
    Invoice(Versioned<Invoice>),
    Webhook(Versioned<Subscription>),
}

/// Why a reminder about this invoice must not go out now, if it must not.
/// What lead e-mails show of the lead.
fn lead_data(lead: &Lead) -> Value {
    let f = &lead.fields;
    json!({"name": f.name, "email": f.email, "company": f.company, "message": f.message})
}

fn reminder_void(invoice: &Invoice) -> Option<&'static str> {
    if invoice.written_off.is_some() {
        Some("the invoice was written off")
    } else if invoice.balance_minor() <= 0 {
        Some("the invoice is paid")
    } else if invoice.stop_dunning {
        Some("reminders are stopped for this invoice")
    } else {
        None
    }
}

enum SendFailure {
    Permanent(String),
    Retry(String),
}

/// A stable Message-ID local part for one effect and recipient.
fn short_hash(text: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(text.as_bytes())[..16])
}
