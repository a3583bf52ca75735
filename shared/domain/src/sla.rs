//! SLA clocks as a pure function of a case's history, its type's definition, the policy and the
//! calendar. Three clocks: first response (until the first workflow step or comment),
//! resolution (until a closed state) and the current state's time limit (from the case type).
//! Waiting-class states pause every clock. Deadlines are in business time.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::case::{Case, Priority};
use crate::case_type::{CaseType, StateClass};
use crate::history::{EventKind, HistoryEvent};
use crate::ids::CaseTypeKey;
use crate::messages as msg;
use crate::validation::ValidationErrors;

/// Escalation steps per policy: each notifies someone once; more would be noise.
pub const MAX_ESCALATIONS: usize = 10;

/// Targets for cases of one priority (or of every priority when `priority` is absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_minutes: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EscalationAction {
    NotifySupervisor,
    ReassignToSupervisor,
    RaisePriority,
}

/// What happens `after_minutes` business minutes past a breach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Escalation {
    pub after_minutes: u32,
    pub action: EscalationAction,
}

fn default_warning() -> u8 {
    75
}

/// The SLA policy of one case type (`PUT /sla-policies/{caseType}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaPolicy {
    pub case_type: CaseTypeKey,
    /// The business calendar's key.
    pub calendar: String,
    /// Warn when this share of a target is used (percent).
    #[serde(default = "default_warning")]
    pub warning_percent: u8,
    pub targets: Vec<SlaTarget>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub escalations: Vec<Escalation>,
    /// The policy version (the `#CURRENT` item's version).
    #[serde(skip)]
    pub version: u32,
}

impl SlaPolicy {
    /// What a case type without a policy is held to: its states' time limits, counted on
    /// `calendar`, with no first-response or resolution target (version 0: no stored policy).
    pub fn time_limits_only(case_type: CaseTypeKey, calendar: String) -> Self {
        Self {
            case_type,
            calendar,
            warning_percent: default_warning(),
            targets: Vec::new(),
            escalations: Vec::new(),
            version: 0,
        }
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if !(1..=99).contains(&self.warning_percent) {
            e.add("warningPercent", msg::warning_percent());
        }
        if self.targets.is_empty() {
            e.add("targets", msg::policy_needs_target());
        }
        if self.escalations.len() > MAX_ESCALATIONS {
            e.add("escalations", msg::at_most_items(MAX_ESCALATIONS));
        }
        for (i, target) in self.targets.iter().enumerate() {
            if target.first_response_minutes == Some(0) || target.resolution_minutes == Some(0) {
                e.add(format!("targets[{i}]"), msg::target_minimum());
            }
            if self.targets[..i].iter().any(|t| t.priority == target.priority) {
                e.add(format!("targets[{i}].priority"), msg::one_target_per_priority());
            }
        }
        for (i, escalation) in self.escalations.iter().enumerate() {
            if i > 0 && escalation.after_minutes <= self.escalations[i - 1].after_minutes {
                e.add(format!("escalations[{i}].afterMinutes"), msg::escalations_increasing());
            }
        }
        e.finish()
    }

    /// The target for a priority: its own, else the one for every priority.
    pub fn target(&self, priority: Priority) -> Option<&SlaTarget> {
        self.targets
            .iter()
            .find(|t| t.priority == Some(priority))
            .or_else(|| self.targets.iter().find(|t| t.priority.is_none()))
    }
}

/// One stretch of a case in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub state: String,
    pub class: StateClass,
    pub from: Timestamp,
    /// `None`: the case is still there.
    pub to: Option<Timestamp>,
}

/// What the history says about time: where the case was when, and when it was first answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub opened_at: Timestamp,
    pub segments: Vec<Segment>,
    pub first_response_at: Option<Timestamp>,
}

impl Timeline {
    /// Builds the timeline from the case's history events, oldest first.
    pub fn from_history(case: &Case, definition: &CaseType, events: &[HistoryEvent]) -> Self {
        let class_of = |state: &str| definition.state(state).map_or(StateClass::Open, |s| s.class);
        let mut segments: Vec<Segment> = Vec::new();
        let mut first_response_at = None;
        for event in events {
            match &event.kind {
                EventKind::Created { state } => {
                    segments.push(Segment { state: state.clone(), class: class_of(state), from: event.at, to: None });
                }
                EventKind::Transitioned { to, .. } => {
                    first_response_at.get_or_insert(event.at);
                    if let Some(last) = segments.last_mut() {
                        if &last.state == to {
                            continue;
                        }
                        last.to = Some(event.at);
                    }
                    segments.push(Segment { state: to.clone(), class: class_of(to), from: event.at, to: None });
                }
                EventKind::Commented { .. } => {
                    first_response_at.get_or_insert(event.at);
                }
                _ => {}
            }
        }
        if segments.is_empty() {
            segments.push(Segment {
                state: case.state.clone(),
                class: case.state_class,
                from: case.created_at,
                to: None,
            });
        }
        Self { opened_at: case.created_at, segments, first_response_at }
    }
}

/// Which clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClockKind {
    FirstResponse,
    Resolution,
    /// The current state's time limit.
    State,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "firstResponse",
            ClockKind::Resolution => "resolution",
            ClockKind::State => "state",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClockStatus {
    Running,
    /// In a waiting state: not counting.
    Paused,
    /// Past its due instant and still running.
    Breached,
    /// Stopped within the target.
    Met,
    /// Stopped after the target.
    MetLate,
}

/// One clock, explained: `GET /cases/{id}/sla`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockReport {
    pub clock: ClockKind,
    /// For the state clock: which state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    pub target_minutes: i64,
    /// Business minutes counted so far (or until the clock stopped).
    pub used_minutes: i64,
    pub started_at: Timestamp,
    /// Intervals in waiting states, which did not count.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<String>>))]
    pub paused: Vec<(Timestamp, Option<Timestamp>)>,
    /// When the target is reached, if the clock runs (absent when stopped or paused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warn_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Timestamp>,
    pub status: ClockStatus,
}

/// Computes every clock of a case at `now`.
pub fn clocks(
    timeline: &Timeline,
    policy: &SlaPolicy,
    definition: &CaseType,
    priority: Priority,
    calendar: &Calendar,
    now: Timestamp,
) -> Result<Vec<ClockReport>, CalendarError> {
    let mut reports = Vec::new();
    let closed_at = timeline.segments.iter().find(|s| s.class.is_closed()).map(|s| s.from);
    if let Some(target) = policy.target(priority) {
        if let Some(minutes) = target.first_response_minutes {
            let stop = match (timeline.first_response_at, closed_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            reports.push(clock(
                ClockKind::FirstResponse,
                None,
                minutes,
                timeline.opened_at,
                stop,
                timeline,
                policy,
                calendar,
                now,
            )?);
        }
        if let Some(minutes) = target.resolution_minutes {
            reports.push(clock(
                ClockKind::Resolution,
                None,
                minutes,
                timeline.opened_at,
                closed_at,
                timeline,
                policy,
                calendar,
                now,
            )?);
        }
    }
    if let Some(current) = timeline.segments.last()
        && current.class == StateClass::Open
        && let Some(limit) = definition.state(&current.state).and_then(|s| s.time_limit_minutes)
    {
        reports.push(clock(
            ClockKind::State,
            Some(current.state.clone()),
            limit,
            current.from,
            None,
            timeline,
            policy,
            calendar,
            now,
        )?);
    }
    Ok(reports)
}

#[allow(clippy::too_many_arguments)]
fn clock(
    kind: ClockKind,
    state: Option<String>,
    target_minutes: u32,
    start: Timestamp,
    stop: Option<Timestamp>,
    timeline: &Timeline,
    policy: &SlaPolicy,
    calendar: &Calendar,
    now: Timestamp,
) -> Result<ClockReport, CalendarError> {
    let target = SignedDuration::from_mins(i64::from(target_minutes));
    let warn_share = target * i32::from(policy.warning_percent) / 100;
    let end = stop.unwrap_or(now).max(start);
    let mut used = SignedDuration::ZERO;
    let mut paused = Vec::new();
    // The instants the clock reached its warning share and its target, found where the
    // cumulative business time crossed them; projected into the running segment otherwise.
    let mut due_at = None;
    let mut warn_at = None;
    let mut running = false;
    for segment in &timeline.segments {
        let from = segment.from.max(start);
        let to = segment.to.unwrap_or(end).min(end);
        if segment.to.is_some_and(|t| t <= start) || (from >= end && segment.to.is_some()) {
            continue;
        }
        match segment.class {
            StateClass::Waiting => paused.push((from, segment.to.filter(|t| *t <= end))),
            StateClass::Open => {
                let open_ended = segment.to.is_none() && stop.is_none();
                running |= open_ended;
                let spent = if from < to { calendar.business_time_between(from, to)? } else { SignedDuration::ZERO };
                let reaches = |share: SignedDuration| used < share && (open_ended || used + spent >= share);
                if warn_at.is_none() && reaches(warn_share) {
                    warn_at = Some(calendar.add_business_time(from, warn_share - used)?);
                }
                if due_at.is_none() && reaches(target) {
                    due_at = Some(calendar.add_business_time(from, target - used)?);
                }
                used += spent;
            }
            StateClass::ClosedSuccess | StateClass::ClosedFailure => {}
        }
    }
    if !running {
        // Stopped or paused: nothing is due until the clock runs again.
        due_at = None;
        warn_at = None;
    }
    let current_waiting = timeline.segments.last().is_some_and(|s| s.class == StateClass::Waiting) && stop.is_none();
    let status = match (stop, current_waiting, due_at) {
        (Some(_), _, _) if used <= target => ClockStatus::Met,
        (Some(_), _, _) => ClockStatus::MetLate,
        (None, true, _) => ClockStatus::Paused,
        (None, false, Some(due)) if now >= due => ClockStatus::Breached,
        _ => ClockStatus::Running,
    };
    Ok(ClockReport {
        clock: kind,
        state,
        target_minutes: i64::from(target_minutes),
        used_minutes: used.as_secs() / 60,
        started_at: start,
        paused,
        due_at,
        warn_at,
        stopped_at: stop,
        status,
    })
}
