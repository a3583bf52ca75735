//! The history of a case: every change, comment and system event, with who and when.
//! Events are separate items in the case's partition, never a list on the case item.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{EntityId, FormId, UserId};
use crate::lead::{Attribution, LeadFields, LeadStatus};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEvent {
    pub id: EntityId,
    pub at: Timestamp,
    pub actor: UserId,
    /// The case (or lead) version this event produced (or saw, for events that leave it as is).
    pub case_version: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Why a dunning step was passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SkipCause {
    /// On `on` the step's words would be false: the invoice was `days_past_due` days past due.
    Stale {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        on: jiff::civil::Date,
        days_past_due: i64,
    },
    /// A later step was due as well and was taken instead.
    Superseded,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// Fields are renamed per variant, not with `rename_all_fields`: the OpenAPI derive reads only
// the per-variant form, and the document must name the fields as they are sent.
#[serde(tag = "type", rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventKind {
    Created {
        state: String,
    },
    Updated {
        changes: Vec<FieldChange>,
    },
    Archived,
    #[serde(rename_all = "camelCase")]
    Commented {
        comment_id: EntityId,
        internal: bool,
    },
    /// A workflow step [seguimiento]: action → result, from one state to the next.
    Transitioned {
        action: String,
        result: String,
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The owner changed; `pool` names the distribution that chose them, if any.
    Assigned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<UserId>,
        to: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
    },
    /// A follow-up case was opened by a result's effect (on the parent) or from a parent (on the child).
    #[serde(rename_all = "camelCase")]
    FollowUpOpened {
        case_id: EntityId,
        case_type: String,
    },
    /// An effect was enqueued for a worker.
    #[serde(rename_all = "camelCase")]
    EffectEnqueued {
        effect_id: String,
        queue: String,
        kind: String,
    },
    /// An e-mail went out: its effect, template, recipients and the provider's message id.
    #[serde(rename_all = "camelCase")]
    Notified {
        effect_id: String,
        template: String,
        to: Vec<String>,
        message_id: String,
    },
    /// An e-mail could not be sent and will not be retried (e.g. an invalid address).
    #[serde(rename_all = "camelCase")]
    NotificationFailed {
        effect_id: String,
        template: String,
        reason: String,
    },
    /// An e-mail was not sent on purpose (no recipient, opted out of marketing).
    #[serde(rename_all = "camelCase")]
    NotificationSkipped {
        effect_id: String,
        template: String,
        reason: String,
    },
    /// A document was asked for (by staff or a workflow result) and queued for rendering.
    #[serde(rename_all = "camelCase")]
    DocumentRequested {
        document_id: EntityId,
        template: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        effect_id: Option<String>,
    },
    /// A document was stored: rendered from a template, or uploaded by staff.
    #[serde(rename_all = "camelCase")]
    DocumentFiled {
        document_id: EntityId,
        file_name: String,
        size: u64,
        sha256: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<String>,
    },
    /// A document could not be rendered or an upload did not match what was announced.
    #[serde(rename_all = "camelCase")]
    DocumentFailed {
        document_id: EntityId,
        /// In English, for API readers and events recorded before `problems`.
        reason: String,
        /// The reasons as the document keeps them, worded again in each reader's language.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        problems: Vec<crate::validation::FieldProblem>,
    },
    /// SLA clocks: every start, pause, resumption, warning, breach, escalation and stop is
    /// recorded, so each deadline can be explained.
    #[serde(rename_all = "camelCase")]
    SlaStarted {
        clock: String,
        due_at: Timestamp,
    },
    SlaPaused {
        clock: String,
    },
    #[serde(rename_all = "camelCase")]
    SlaResumed {
        clock: String,
        due_at: Timestamp,
    },
    #[serde(rename_all = "camelCase")]
    SlaWarned {
        clock: String,
        due_at: Timestamp,
    },
    #[serde(rename_all = "camelCase")]
    SlaBreached {
        clock: String,
        due_at: Timestamp,
    },
    SlaEscalated {
        clock: String,
        level: u32,
        action: String,
    },
    SlaMet {
        clock: String,
        late: bool,
    },
    /// Leads and contacts: a web-form post, as it arrived (after normalisation).
    #[serde(rename_all = "camelCase")]
    Submitted {
        submission_id: EntityId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        form_id: Option<FormId>,
        fields: Box<LeadFields>,
        attribution: Box<Attribution>,
    },
    /// Leads: the status changed (a reason when disqualified).
    StatusChanged {
        from: LeadStatus,
        to: LeadStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Invoices: first recorded (from the ERP or staff).
    #[serde(rename_all = "camelCase")]
    InvoiceRecorded {
        total_minor: i64,
        currency: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        due_on: jiff::civil::Date,
    },
    /// Invoices: a payment [abono, pago] and the balance it left.
    #[serde(rename_all = "camelCase")]
    PaymentRecorded {
        payment_id: String,
        amount_minor: i64,
        balance_minor: i64,
    },
    /// Invoices: a credit note [nota de crédito] and the balance it left.
    #[serde(rename_all = "camelCase")]
    CreditNoteIssued {
        note_number: String,
        amount_minor: i64,
        balance_minor: i64,
    },
    /// Invoices: the balance was written off [castigo de cartera].
    #[serde(rename_all = "camelCase")]
    WrittenOff {
        amount_minor: i64,
        reason: String,
    },
    /// Invoices: a dunning step was taken; its e-mail is the effect.
    #[serde(rename_all = "camelCase")]
    ReminderQueued {
        step: String,
        effect_id: String,
        days_past_due: i64,
    },
    /// Invoices: a dunning step was passed over (missed days made it stale or superseded).
    ReminderSkipped {
        step: String,
        /// Why, in English words, for API readers (the only account of it in events written
        /// before `cause`).
        reason: String,
        /// Why, for screens to say in the reader's language.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<SkipCause>,
    },
    /// Leads: converted into these records.
    #[serde(rename_all = "camelCase")]
    Converted {
        account_id: EntityId,
        contact_id: EntityId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        opportunity_id: Option<EntityId>,
    },
}

/// One field's change, with the values before and after (`null` when unset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

impl EventKind {
    /// Removes what the event tells about a field a profile hides (`email` also empties the
    /// recipients of an e-mail, which may be the customer's address).
    pub fn hide(&mut self, field: &str) {
        match self {
            EventKind::Updated { changes } => {
                changes.retain(|c| c.field != field);
                if let Some(key) = crate::field_access::custom_key(field) {
                    for change in changes.iter_mut().filter(|c| c.field == "customFields") {
                        for side in [&mut change.from, &mut change.to] {
                            if let Value::Object(map) = side {
                                map.remove(key);
                            }
                        }
                    }
                    changes.retain(|c| c.from != c.to);
                }
            }
            EventKind::Submitted { fields, .. } => fields.hide(field),
            EventKind::Notified { to, .. } if field == "email" => to.clear(),
            _ => {}
        }
    }
}

impl FieldChange {
    /// The top-level fields that differ between two serialisations of one record.
    pub fn between<T: Serialize>(before: &T, after: &T) -> Vec<FieldChange> {
        let as_map = |v: &T| match serde_json::to_value(v) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        let (before, after) = (as_map(before), as_map(after));
        let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter(|n| before.get(*n) != after.get(*n))
            .map(|n| FieldChange {
                field: n.clone(),
                from: before.get(n).cloned().unwrap_or(Value::Null),
                to: after.get(n).cloned().unwrap_or(Value::Null),
            })
            .collect()
    }
}

/// A comment on a case: staff notes (`internal`) or text meant for the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: EntityId,
    pub body: String,
    pub internal: bool,
    pub author: UserId,
    pub at: Timestamp,
}

/// `POST /cases/{id}/comments`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewComment {
    /// Not blank, at most 20,000 characters, no control characters but line breaks and tabs.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 20000,
            pattern = "^[ \\t\\n\\r]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub body: String,
    /// Staff-only note; defaults to true so nothing reaches a customer by accident.
    #[serde(default = "yes")]
    pub internal: bool,
}

fn yes() -> bool {
    true
}

pub const COMMENT_MAX: usize = 20_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_a_type_tag() {
        let event = HistoryEvent {
            id: EntityId::from_ulid(ulid::Ulid(1)),
            at: "2026-11-22T10:00:00Z".parse().unwrap(),
            actor: UserId::parse("ana").unwrap(),
            case_version: 2,
            kind: EventKind::Updated {
                changes: vec![FieldChange { field: "priority".into(), from: "normal".into(), to: "high".into() }],
            },
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "updated");
        assert_eq!(json["caseVersion"], 2);
        assert_eq!(json["changes"][0]["to"], "high");
        assert_eq!(serde_json::from_value::<HistoryEvent>(json).unwrap(), event);
    }
}
