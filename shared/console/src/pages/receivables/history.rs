//! An invoice's history in words, newest first: recorded, collections data changed, payments,
//! credit notes, write-off, and each payment reminder queued, skipped or sent.

use gestiona_domain::history::{EventKind, FieldChange, HistoryEvent, SkipCause};
use gestiona_domain::messages as msg;
use serde_json::Value;

use super::amount;
use crate::pages::Chrome;
use crate::pages::case::timeline::Entry;

/// The entries of `events` (an invoice in `currency`), newest first.
pub fn entries(events: &[HistoryEvent], currency: &str, chrome: &Chrome) -> Vec<Entry> {
    let mut entries: Vec<Entry> = events.iter().map(|event| entry(event, currency, chrome)).collect();
    entries.reverse();
    entries
}

fn entry(event: &HistoryEvent, currency: &str, chrome: &Chrome) -> Entry {
    let locale = chrome.locale;
    let money = |minor: &i64| amount(currency, *minor, locale);
    let mut details = Vec::new();
    let title = match &event.kind {
        EventKind::InvoiceRecorded { total_minor, currency, due_on } => msg::ev_invoice_recorded(
            amount(currency, *total_minor, locale),
            gestiona_domain::format::date(*due_on, locale),
        ),
        EventKind::Updated { changes } => {
            details = changes.iter().map(|c| change_line(c, chrome)).collect();
            msg::ev_invoice_updated()
        }
        EventKind::PaymentRecorded { payment_id, amount_minor, balance_minor } => {
            msg::ev_payment_recorded(payment_id, money(amount_minor), money(balance_minor))
        }
        EventKind::CreditNoteIssued { note_number, amount_minor, balance_minor } => {
            msg::ev_credit_note_issued(note_number, money(amount_minor), money(balance_minor))
        }
        EventKind::WrittenOff { amount_minor, reason } => msg::ev_written_off(money(amount_minor), reason),
        EventKind::ReminderQueued { step, days_past_due, .. } => msg::ev_reminder_queued(step, days_past_due),
        EventKind::ReminderSkipped { step, cause: Some(SkipCause::Stale { on, days_past_due }), .. } => {
            let when = gestiona_domain::receivables::step_label(*days_past_due, locale);
            msg::ev_reminder_stale(step, gestiona_domain::format::date(*on, locale), when)
        }
        EventKind::ReminderSkipped { step, cause: Some(SkipCause::Superseded), .. } => {
            msg::ev_reminder_superseded(step)
        }
        EventKind::ReminderSkipped { step, reason, cause: None } => msg::ev_reminder_skipped(step, reason),
        EventKind::EffectEnqueued { kind, .. } => msg::ev_enqueued(kind),
        EventKind::Notified { template, to, .. } => msg::ev_notified(template, to.join(", ")),
        EventKind::NotificationFailed { template, reason, .. } => msg::ev_notification_failed(template, reason),
        EventKind::NotificationSkipped { template, reason, .. } => msg::ev_notification_skipped(template, reason),
        // Events of other records do not appear on an invoice; if one does, its kind.
        other => {
            let kind = serde_json::to_value(other)
                .ok()
                .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            return Entry::plain(chrome.when(event.at), event.actor.to_string(), kind, details);
        }
    };
    Entry::plain(chrome.when(event.at), event.actor.to_string(), chrome.t(title), details)
}

/// `Fecha de pago prometida: — → 2026-12-15`.
fn change_line(change: &FieldChange, chrome: &Chrome) -> String {
    let label = match change.field.as_str() {
        "promisedOn" => chrome.t(msg::ui_promised_on()),
        "stopDunning" => chrome.t(msg::ui_stop_reminders()),
        "collectionsAgent" => chrome.t(msg::ui_collections_agent()),
        other => other.to_owned(),
    };
    let show = |value: &Value| match value {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => chrome.t(msg::ui_yes()),
        Value::Bool(false) => chrome.t(msg::ui_no()),
        Value::String(s) => s
            .parse::<jiff::civil::Date>()
            .map_or_else(|_| s.clone(), |d| gestiona_domain::format::date(d, chrome.locale)),
        other => other.to_string(),
    };
    format!("{label}: {} → {}", show(&change.from), show(&change.to))
}
