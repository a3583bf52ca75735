//! The case's time limits as the page explains them: each clock's state, how much business time
//! it has counted of its target, when it falls due, when it paused, and on which calendar.

use gestiona_domain::case_type::CaseType;
use gestiona_domain::messages as msg;
use gestiona_domain::service::sla::CaseSla;
use gestiona_domain::sla::{ClockKind, ClockReport, ClockStatus};
use gestiona_domain::{Locale, Message};

use crate::pages::Chrome;

pub struct ClockView {
    pub label: String,
    pub status: String,
    /// `running`, `paused`, `breached`, `met` or `met-late`, for the badge's colour.
    pub tone: &'static str,
    /// The explanation, one sentence each.
    pub lines: Vec<String>,
}

/// Business minutes as people say them: `45 min`, `8 h`, `2 h 30 min`.
fn duration(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn label(clock: ClockKind, state: Option<&str>, definition: &CaseType, locale: Locale) -> String {
    let message = match clock {
        ClockKind::FirstResponse => msg::ui_clock_first_response(),
        ClockKind::Resolution => msg::ui_clock_resolution(),
        ClockKind::State => {
            let state = state.unwrap_or_default();
            msg::ui_clock_state(definition.state(state).map_or(state, |s| s.name.as_str()))
        }
    };
    message.render(locale)
}

/// A clock as the history names it (`firstResponse`, `resolution`, `state:en_analisis`).
pub fn label_of(name: &str, definition: &CaseType, locale: Locale) -> String {
    match name.split_once(':') {
        Some(("state", state)) => label(ClockKind::State, Some(state), definition, locale),
        _ if name == ClockKind::FirstResponse.as_str() => label(ClockKind::FirstResponse, None, definition, locale),
        _ if name == ClockKind::Resolution.as_str() => label(ClockKind::Resolution, None, definition, locale),
        _ => name.to_owned(),
    }
}

fn view(report: &ClockReport, definition: &CaseType, chrome: &Chrome) -> ClockView {
    let t = |m: Message| chrome.t(m);
    let when = |at| chrome.when(at);
    let label = label(report.clock, report.state.as_deref(), definition, chrome.locale);
    let (status, tone) = match report.status {
        ClockStatus::Running => (msg::ui_clock_running(), "running"),
        ClockStatus::Paused => (msg::ui_clock_paused(), "paused"),
        ClockStatus::Breached => (msg::ui_clock_breached(), "breached"),
        ClockStatus::Met => (msg::ui_clock_met(), "met"),
        ClockStatus::MetLate => (msg::ui_clock_met_late(), "met-late"),
    };
    let mut lines = vec![
        t(msg::ui_clock_counted(duration(report.used_minutes), duration(report.target_minutes))),
        t(msg::ui_clock_started(when(report.started_at))),
    ];
    lines.extend(report.due_at.map(|at| t(msg::ui_clock_due(when(at)))));
    lines.extend(report.warn_at.map(|at| t(msg::ui_clock_warns(when(at)))));
    lines.extend(report.stopped_at.map(|at| t(msg::ui_clock_stopped(when(at)))));
    lines.extend(report.paused.iter().map(|(from, to)| match to {
        Some(to) => t(msg::ui_clock_paused_between(when(*from), when(*to))),
        None => t(msg::ui_clock_paused_since(when(*from))),
    }));
    ClockView { label, status: t(status), tone, lines }
}

/// Every clock, and what they are all computed from (policy and calendar).
pub fn views(sla: &CaseSla, definition: &CaseType, chrome: &Chrome) -> (Vec<ClockView>, Vec<String>) {
    let locale = chrome.locale;
    let clocks: Vec<ClockView> = sla.clocks.iter().map(|c| view(c, definition, chrome)).collect();
    let mut basis = Vec::new();
    if clocks.is_empty() {
        basis.push(msg::ui_no_clocks().render(locale));
        return (clocks, basis);
    }
    if let (Some(calendar), Some(version)) = (&sla.calendar, sla.calendar_version) {
        basis.push(msg::ui_clock_calendar(calendar, version).render(locale));
    }
    basis.extend(sla.policy_version.map(|v| msg::ui_clock_policy(v).render(locale)));
    (clocks, basis)
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_as_hours_and_minutes() {
        assert_eq!(duration(45), "45 min");
        assert_eq!(duration(480), "8 h");
        assert_eq!(duration(150), "2 h 30 min");
    }
}
