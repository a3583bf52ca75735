//! The case's activity in words, newest first: steps, edits (field by field), comments with
//! their text, assignments, e-mails, documents and the clocks' events.

use std::collections::{BTreeSet, HashMap};

use gestiona_domain::EntityId;
use gestiona_domain::case::{Channel, Priority};
use gestiona_domain::case_type::CaseType;
use gestiona_domain::history::{Comment, EventKind, FieldChange, HistoryEvent};
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::{Locale, Message};
use serde_json::Value;

use super::clocks;
use super::fields::show_custom;
use crate::pages::{Chrome, labels};

pub struct Entry {
    pub at: String,
    pub actor: String,
    pub title: String,
    pub details: Vec<String>,
    /// A comment's text.
    pub body: Option<String>,
    pub internal: bool,
    /// A record the event opened: its path and words.
    pub link: Option<(String, String)>,
    /// The case the entry belongs to, where entries of several cases are shown together (the
    /// customer file): its path and subject.
    pub case: Option<(String, String)>,
}

impl Entry {
    /// An entry with a title and its detail lines, nothing else.
    pub fn plain(at: String, actor: String, title: String, details: Vec<String>) -> Self {
        Self { at, actor, title, details, body: None, internal: false, link: None, case: None }
    }
}

/// The entries of `events`, in their order, comments with their text.
pub fn entries(events: &[HistoryEvent], comments: &[Comment], definition: &CaseType, chrome: &Chrome) -> Vec<Entry> {
    let bodies: HashMap<EntityId, &Comment> = comments.iter().map(|c| (c.id, c)).collect();
    events.iter().map(|event| entry(event, &bodies, definition, chrome)).collect()
}

fn entry(
    event: &HistoryEvent,
    comments: &HashMap<EntityId, &Comment>,
    definition: &CaseType,
    chrome: &Chrome,
) -> Entry {
    let locale = chrome.locale;
    let t = |m: Message| m.render(locale);
    let state = |key: &str| definition.state(key).map_or_else(|| key.to_owned(), |s| s.name.clone());
    let clock = |name: &str| clocks::label_of(name, definition, locale);
    let mut entry = Entry {
        at: chrome.when(event.at),
        actor: event.actor.to_string(),
        title: String::new(),
        details: Vec::new(),
        body: None,
        internal: false,
        link: None,
        case: None,
    };
    entry.title = match &event.kind {
        EventKind::Created { state: opened } => t(msg::ev_created(state(opened))),
        EventKind::Updated { changes } => {
            entry.details = changes.iter().flat_map(|c| change_lines(c, definition, locale)).collect();
            t(msg::ev_updated())
        }
        EventKind::Archived => t(msg::ev_archived()),
        EventKind::Commented { comment_id, internal } => {
            entry.internal = *internal;
            entry.body = comments.get(comment_id).map(|c| c.body.clone());
            t(if *internal { msg::ev_comment_internal() } else { msg::ev_comment_public() })
        }
        EventKind::Transitioned { action, result, from, to, note } => {
            let action_def = definition.action(action);
            let action_name = action_def.map_or_else(|| action.clone(), |a| a.name.clone());
            let result_name = action_def
                .and_then(|a| a.results.iter().find(|r| &r.key == result))
                .map_or_else(|| result.clone(), |r| r.name.clone());
            entry.details.extend(note.clone());
            t(msg::ev_transitioned(action_name, result_name, state(from), state(to)))
        }
        EventKind::Assigned { from: Some(from), to, .. } => t(msg::ev_reassigned(from, to)),
        EventKind::Assigned { from: None, to, .. } => t(msg::ev_assigned(to)),
        EventKind::FollowUpOpened { case_id, case_type } => {
            entry.link = Some((format!("/app/cases/{case_id}"), t(msg::ui_open_case())));
            t(msg::ev_follow_up(case_type))
        }
        EventKind::EffectEnqueued { kind, .. } => t(msg::ev_enqueued(kind)),
        EventKind::Notified { template, to, .. } => t(msg::ev_notified(template, to.join(", "))),
        EventKind::NotificationFailed { template, reason, .. } => t(msg::ev_notification_failed(template, reason)),
        EventKind::NotificationSkipped { template, reason, .. } => t(msg::ev_notification_skipped(template, reason)),
        EventKind::DocumentRequested { template, .. } => {
            let title = gestiona_domain::document::DocumentTemplate::parse(template)
                .map_or(template.as_str(), |t| t.title(locale));
            t(msg::ev_document_requested(title))
        }
        EventKind::DocumentFiled { file_name, .. } => t(msg::ev_document_filed(file_name)),
        EventKind::DocumentFailed { reason, problems, .. } if problems.is_empty() => t(msg::ev_document_failed(reason)),
        EventKind::DocumentFailed { problems, .. } => {
            let reasons: Vec<String> = problems.iter().map(|p| p.line_in(locale)).collect();
            t(msg::ev_document_failed(reasons.join("; ")))
        }
        EventKind::SlaStarted { clock: name, due_at } => t(msg::ev_sla_started(clock(name), chrome.when(*due_at))),
        EventKind::SlaPaused { clock: name } => t(msg::ev_sla_paused(clock(name))),
        EventKind::SlaResumed { clock: name, due_at } => t(msg::ev_sla_resumed(clock(name), chrome.when(*due_at))),
        EventKind::SlaWarned { clock: name, due_at } => t(msg::ev_sla_warned(clock(name), chrome.when(*due_at))),
        EventKind::SlaBreached { clock: name, due_at } => t(msg::ev_sla_breached(clock(name), chrome.when(*due_at))),
        EventKind::SlaEscalated { clock: name, level, action } => t(msg::ev_sla_escalated(clock(name), level, action)),
        EventKind::SlaMet { clock: name, late: false } => t(msg::ev_sla_met(clock(name))),
        EventKind::SlaMet { clock: name, late: true } => t(msg::ev_sla_met_late(clock(name))),
        // Events of other records (leads, invoices) do not appear on a case; if one does, its kind.
        other => serde_json::to_value(other)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default(),
    };
    entry
}

/// One line per changed field: `Lote: L-1 → L-2`; custom fields key by key.
fn change_lines(change: &FieldChange, definition: &CaseType, locale: Locale) -> Vec<String> {
    let line = |label: &str, from: String, to: String| format!("{label}: {from} → {to}");
    if change.field == "customFields" {
        let empty = serde_json::Map::new();
        let from = change.from.as_object().unwrap_or(&empty);
        let to = change.to.as_object().unwrap_or(&empty);
        let keys: BTreeSet<&String> = from.keys().chain(to.keys()).collect();
        return keys
            .into_iter()
            .filter(|k| from.get(*k) != to.get(*k))
            .map(|key| {
                let def = definition.custom_field(key);
                let show = |v: Option<&Value>| match (v, def) {
                    (None | Some(Value::Null), _) => "—".to_owned(),
                    (Some(v), Some(def)) => show_custom(def.kind, v, "", locale),
                    (Some(v), None) => plain(v),
                };
                line(def.map_or(key.as_str(), |d| d.label.as_str()), show(from.get(key)), show(to.get(key)))
            })
            .collect();
    }
    let label = match change.field.as_str() {
        "subject" => msg::ui_subject(),
        "description" => msg::ui_description(),
        "accountId" => msg::ui_account(),
        "contactId" => msg::ui_kind_contact(),
        "owner" => msg::ui_owner(),
        "branch" => msg::ui_branch(),
        "channel" => msg::ui_channel(),
        "priority" => msg::ui_priority(),
        "amount" => msg::ui_amount(),
        other => return vec![line(other, plain(&change.from), plain(&change.to))],
    };
    let show = |value: &Value| match change.field.as_str() {
        "amount" => serde_json::from_value::<Money>(value.clone())
            .map_or_else(|_| plain(value), |m| gestiona_domain::format::money(&m, locale)),
        "priority" => serde_json::from_value::<Priority>(value.clone())
            .map_or_else(|_| plain(value), |p| labels::priority(p, locale)),
        "channel" => serde_json::from_value::<Channel>(value.clone())
            .map_or_else(|_| plain(value), |c| labels::channel(c, locale)),
        _ => plain(value),
    };
    vec![line(&label.render(locale), show(&change.from), show(&change.to))]
}

fn plain(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
