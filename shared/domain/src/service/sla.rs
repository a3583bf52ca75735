//! SLA use cases: calendars and policies (versioned definitions), arming a case's clocks in the
//! due index whenever the case changes, the sweep that applies warnings, breaches and
//! escalations exactly once, and the per-case explanation.
//!
//! The due index holds one entry per armed clock, keyed by the hour bucket and a shard of the
//! instant its next stage is due. The sweep reads only what is due, bucket by bucket from its
//! watermark, so a missed run catches up and its reads grow with due entries, not with cases.
//! Each stage is applied with a versioned write of the entry: overlapping sweeps apply it once.

use crate::ExpectedVersion;
use crate::access::{Module, Operation, Permission};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::cases::case_writes;
use super::change::{ChangeSet, EffectSubject, Known};
use super::{ListError, PageRequest, Services, conditions, list_page, utc_stamp as stamp};
use crate::actor::{Actor, Forbidden};
use crate::calendar::{Calendar, CalendarDef, CalendarError};
use crate::case::{Case, Priority};
use crate::case_type::{CaseType, Effect, Recipient};
use crate::history::{EventKind, HistoryEvent};
use crate::ids::{CaseTypeKey, EntityId, TenantId, UserId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::sla::{ClockKind, ClockReport, ClockStatus, EscalationAction, SlaPolicy, Timeline, clocks};
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const CALENDAR_ENTITY: &str = "Calendar";
pub const POLICY_ENTITY: &str = "SlaPolicy";
pub const ENTRY_ENTITY: &str = "SlaClock";
pub(crate) const WATERMARK_ENTITY: &str = "Watermark";

/// How far the SLA sweep got: the last hour bucket it finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SlaWatermark {
    pub(crate) bucket: String,
    pub(crate) at: String,
}
/// The calendar state time limits are counted on when a case type has no SLA policy.
pub const DEFAULT_CALENDAR: &str = "default";
/// How far back a first sweep (no watermark yet) looks.
const FIRST_SWEEP_HOURS: i64 = 24;

#[derive(Debug, thiserror::Error)]
pub enum DefineSlaError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("it changed since version {expected:?}")]
    Stale { expected: Option<u64> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CaseSlaError {
    #[error("no such case")]
    NotFound,
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A case's clocks and what they were computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseSla {
    /// Absent when the case type has no SLA policy.
    pub policy_version: Option<u32>,
    pub calendar: Option<String>,
    pub calendar_version: Option<u32>,
    pub clocks: Vec<ClockReport>,
}

/// What a clock does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum StageKind {
    Warn,
    Breach,
    Escalate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stage {
    kind: StageKind,
    at: Timestamp,
    level: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<EscalationAction>,
}

/// An armed clock in the due index.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SlaEntry {
    tenant: TenantId,
    case_id: EntityId,
    clock: ClockKind,
    #[serde(default)]
    state: Option<String>,
    due_at: Timestamp,
    used_minutes: i64,
    target_minutes: i64,
    /// Stages already applied; the next one is `stages[applied]`.
    applied: usize,
    stages: Vec<Stage>,
    owner: Option<UserId>,
    supervisors: Vec<UserId>,
    time_zone: String,
}

impl SlaEntry {
    /// Whether the clock runs and is past its deadline at `now` (a paused clock has no stages).
    pub(crate) fn is_overdue(&self, now: Timestamp) -> bool {
        !self.stages.is_empty() && self.due_at <= now
    }

    pub(crate) fn case_id(&self) -> EntityId {
        self.case_id
    }

    /// Where the clock stands in the case list's "deadline first" order, if it runs: its due
    /// instant, then its name (the order of the index the list reads).
    pub(crate) fn deadline_rank(&self) -> Option<(Timestamp, &'static str)> {
        (!self.stages.is_empty()).then_some((self.due_at, self.clock.as_str()))
    }

    /// The clock's deadline, if it runs.
    fn deadline(&self) -> Option<Deadline> {
        let warn_at = self.stages.iter().find(|s| s.kind == StageKind::Warn).map(|s| s.at);
        (!self.stages.is_empty()).then_some(Deadline { due_at: self.due_at, warn_at })
    }
}

/// The nearest deadline of a case's running clocks, for work lists ordered by urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub due_at: Timestamp,
    /// When the clock warns its owner (at risk from then on).
    pub warn_at: Option<Timestamp>,
}

impl Deadline {
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.due_at <= now
    }

    pub fn at_risk(&self, now: Timestamp) -> bool {
        !self.overdue(now) && self.warn_at.is_some_and(|warn| warn <= now)
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub buckets: usize,
    pub queries: usize,
    /// Items read: due entries, plus a case for escalations that change it.
    pub items_read: usize,
    pub applied: usize,
    /// Due entries another sweep applied first.
    pub skipped: usize,
}

fn bucket(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H").to_string()
}

fn shard(case: EntityId) -> u32 {
    super::shard_of(&case.to_string(), keys::SLA_SHARDS)
}

fn clock_name(kind: ClockKind, state: Option<&str>) -> String {
    match kind {
        ClockKind::FirstResponse => "primera respuesta".into(),
        ClockKind::Resolution => "resolución".into(),
        ClockKind::State => format!("tiempo en estado {}", state.unwrap_or_default()),
    }
}

fn local_time(at: Timestamp, zone: &str) -> String {
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => format!("{} ({zone})", at.to_zoned(tz).strftime("%Y-%m-%d %H:%M")),
        Err(_) => stamp(at),
    }
}

impl Services {
    pub async fn save_calendar(
        &self,
        actor: &Actor,
        mut def: CalendarDef,
        expected: Option<ExpectedVersion>,
    ) -> Result<CalendarDef, DefineSlaError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        def.compile()?;
        let expected = self.pin_version(&keys::calendar(&actor.tenant, &def.key), expected, None).await?;
        let next = expected.map_or(1, |v| v + 1);
        def.version = u32::try_from(next).unwrap_or(u32::MAX);
        let item = Item::new(keys::calendar(&actor.tenant, &def.key), CALENDAR_ENTITY, next, records::body(&def)?)
            .with_index(Index::Gsi1, keys::calendars_listing(&actor.tenant, &def.key));
        let condition = Condition::version_or_new(conditions::SLA_CALENDAR, expected);
        match self.store.write(vec![WriteOp::Put { item, condition }]).await {
            Ok(()) => Ok(def),
            Err(StoreError::ConditionFailed { .. }) => Err(DefineSlaError::Stale { expected }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn calendar_def(&self, tenant: &TenantId, key: &str) -> Result<Option<CalendarDef>, StoreError> {
        Ok(self.load::<CalendarDef>(&keys::calendar(tenant, key)).await?.map(|v| {
            let mut def = v.value;
            def.version = u32::try_from(v.version).unwrap_or(u32::MAX);
            def
        }))
    }

    pub async fn list_calendars(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> Result<Page<Versioned<CalendarDef>>, ListError> {
        let query = Query::index(Index::Gsi1, keys::calendars_listing_partition(&actor.tenant));
        list_page(self.store.as_ref(), query, page, |_: &CalendarDef| true).await
    }

    /// `PUT /sla-policies/{caseType}` (admins). The calendar and the case type must exist.
    pub async fn save_sla_policy(
        &self,
        actor: &Actor,
        mut policy: SlaPolicy,
        expected: Option<ExpectedVersion>,
    ) -> Result<SlaPolicy, DefineSlaError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let mut errors = match policy.validate() {
            Ok(()) => ValidationErrors::new(),
            Err(e) => e,
        };
        if self.calendar_def(&actor.tenant, &policy.calendar).await?.is_none() {
            errors.add("calendar", msg::no_calendar(&policy.calendar));
        }
        if self.store.get(&keys::case_type(&actor.tenant, &policy.case_type)).await?.is_none() {
            errors.add("caseType", msg::no_case_type(&policy.case_type));
        }
        errors.finish()?;
        let expected = self.pin_version(&keys::sla_policy(&actor.tenant, &policy.case_type), expected, None).await?;
        let next = expected.map_or(1, |v| v + 1);
        policy.version = u32::try_from(next).unwrap_or(u32::MAX);
        let item =
            Item::new(keys::sla_policy(&actor.tenant, &policy.case_type), POLICY_ENTITY, next, records::body(&policy)?);
        let condition = Condition::version_or_new(conditions::SLA_POLICY, expected);
        match self.store.write(vec![WriteOp::Put { item, condition }]).await {
            Ok(()) => Ok(policy),
            Err(StoreError::ConditionFailed { .. }) => Err(DefineSlaError::Stale { expected }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn sla_policy(
        &self,
        tenant: &TenantId,
        case_type: &CaseTypeKey,
    ) -> Result<Option<Versioned<SlaPolicy>>, StoreError> {
        Ok(self.load::<SlaPolicy>(&keys::sla_policy(tenant, case_type)).await?.map(|mut v| {
            v.value.version = u32::try_from(v.version).unwrap_or(u32::MAX);
            v
        }))
    }

    /// The policy, calendar and definition that govern a case's clocks, if it has a policy.
    async fn sla_context(
        &self,
        tenant: &TenantId,
        case: &Case,
        known: Option<&CaseType>,
    ) -> Result<Option<(SlaPolicy, Calendar, String, CaseType)>, StoreError> {
        let (policy, definition) = match self.sla_policy(tenant, &case.case_type).await? {
            Some(policy) => (policy.value, self.case_definition(tenant, case, known).await?),
            None => {
                // A type that declares state time limits but has no policy: the limits are
                // enforced on the tenant's default calendar, with no other target.
                let definition = self.case_definition(tenant, case, known).await?;
                if definition.states.iter().all(|s| s.time_limit_minutes.is_none()) {
                    return Ok(None);
                }
                let Some(calendar) = self.default_calendar(tenant).await? else {
                    tracing::warn!(case_type = %case.case_type, "state time limits but no calendar to count them on");
                    return Ok(None);
                };
                (SlaPolicy::time_limits_only(case.case_type.clone(), calendar), definition)
            }
        };
        let Some(calendar) = self.calendar_def(tenant, &policy.calendar).await? else { return Ok(None) };
        let compiled = calendar.compile().map_err(|e| StoreError::Corrupt {
            pk: keys::calendar(tenant, &calendar.key).pk,
            sk: keys::CURRENT.into(),
            reason: e.to_string(),
        })?;
        Ok(Some((policy, compiled, calendar.time_zone, definition)))
    }

    /// The definition `case` was opened with: `known` when it is that one, else read.
    async fn case_definition(
        &self,
        tenant: &TenantId,
        case: &Case,
        known: Option<&CaseType>,
    ) -> Result<CaseType, StoreError> {
        match known.filter(|d| d.key == case.case_type && d.version == case.type_version) {
            Some(definition) => Ok(definition.clone()),
            None => self.definition_of(tenant, &case.case_type, case.type_version).await,
        }
    }

    /// The tenant's default calendar: the one keyed [`DEFAULT_CALENDAR`], else the first by key.
    async fn default_calendar(&self, tenant: &TenantId) -> Result<Option<String>, StoreError> {
        if self.calendar_def(tenant, DEFAULT_CALENDAR).await?.is_some() {
            return Ok(Some(DEFAULT_CALENDAR.to_owned()));
        }
        let first = Query::index(Index::Gsi1, keys::calendars_listing_partition(tenant)).limit(1);
        let page = self.store.query(&first).await?;
        page.items.first().map(|item| records::read::<CalendarDef>(item).map(|c| c.key)).transpose()
    }

    /// A case's history (oldest first) and its armed clock items, in one query: the two sit
    /// next to each other in the case's partition (`EVT#…`, then the outbox's few `OUTBOX#…`,
    /// then `SLA#…`).
    async fn history_and_clocks(
        &self,
        tenant: &TenantId,
        case: EntityId,
    ) -> Result<(Vec<HistoryEvent>, Vec<Item>), StoreError> {
        let mut query = Query::partition(keys::case_partition(tenant, case))
            .range(SortKeyRange::Between(keys::CASE_EVENT_PREFIX.into(), format!("{}~", keys::CASE_SLA_PREFIX)))
            .limit(1000);
        let (mut events, mut clocks) = (Vec::new(), Vec::new());
        loop {
            let page = self.store.query(&query).await?;
            for item in page.items {
                if item.key.sk.starts_with(keys::CASE_EVENT_PREFIX) {
                    events.push(records::read(&item)?);
                } else if item.key.sk.starts_with(keys::CASE_SLA_PREFIX) {
                    clocks.push(item);
                }
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok((events, clocks)),
            }
        }
    }

    /// Every history event of a case, oldest first.
    pub(crate) async fn case_events(&self, tenant: &TenantId, case: EntityId) -> Result<Vec<HistoryEvent>, StoreError> {
        let query = Query::partition(keys::case_partition(tenant, case))
            .range(SortKeyRange::BeginsWith(keys::CASE_EVENT_PREFIX.into()))
            .limit(1000);
        self.read_all(query).await
    }

    /// The armed clocks (running or paused) of each of `cases` (the tenant's; each read once).
    pub(crate) async fn armed_clocks(
        &self,
        tenant: &TenantId,
        cases: &[EntityId],
    ) -> Result<Vec<SlaEntry>, StoreError> {
        self.armed_clock_items(tenant, cases).await?.iter().map(records::read).collect()
    }

    async fn armed_clock_items(&self, tenant: &TenantId, cases: &[EntityId]) -> Result<Vec<Item>, StoreError> {
        let kinds = [ClockKind::FirstResponse, ClockKind::Resolution, ClockKind::State];
        let distinct: std::collections::BTreeSet<EntityId> = cases.iter().copied().collect();
        let keys: Vec<_> =
            distinct.iter().flat_map(|case| kinds.map(|kind| keys::sla_entry(tenant, *case, kind.as_str()))).collect();
        let mut items = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(crate::ports::MAX_READ_KEYS) {
            items.extend(self.store.get_many(chunk).await?.into_iter().flatten());
        }
        Ok(items)
    }

    /// Re-indexes the running clocks of `cases` stored before the case list's deadline order
    /// existed (without its index entry); returns how many it rewrote. A clock that changed
    /// meanwhile was rewritten with its entry already.
    pub(crate) async fn index_clock_deadlines(
        &self,
        tenant: &TenantId,
        cases: &[EntityId],
    ) -> Result<usize, StoreError> {
        let mut rewritten = 0;
        for item in self.armed_clock_items(tenant, cases).await? {
            let entry: SlaEntry = records::read(&item)?;
            if entry.deadline_rank().is_none() || item.index(Index::Gsi2).is_some() {
                continue;
            }
            let put = WriteOp::Put {
                item: entry_item(&entry, item.version + 1, self.clock.now())?,
                condition: Condition::version_is(conditions::SLA_CLOCK, item.version),
            };
            rewritten += usize::from(self.backfill(put).await?);
        }
        Ok(rewritten)
    }

    /// The nearest running deadline of each of `cases` (the tenant's); a case without a
    /// running clock has none.
    pub async fn case_deadlines(
        &self,
        actor: &Actor,
        cases: &[EntityId],
    ) -> Result<std::collections::HashMap<EntityId, Deadline>, StoreError> {
        let mut nearest = std::collections::HashMap::new();
        for entry in self.armed_clocks(&actor.tenant, cases).await? {
            if let Some(deadline) = entry.deadline() {
                nearest
                    .entry(entry.case_id)
                    .and_modify(|d: &mut Deadline| {
                        if deadline.due_at < d.due_at {
                            *d = deadline;
                        }
                    })
                    .or_insert(deadline);
            }
        }
        Ok(nearest)
    }

    /// `GET /cases/{id}/sla`: each clock with its target, business time used, pauses, due
    /// instant and status, recomputed from the history — and the policy and calendar versions
    /// they come from.
    pub async fn case_sla(&self, actor: &Actor, id: EntityId) -> Result<CaseSla, CaseSlaError> {
        let case = self.case_seen(actor, id).await?.ok_or(CaseSlaError::NotFound)?;
        let Some((policy, calendar, _, definition)) = self.sla_context(&actor.tenant, &case.value, None).await? else {
            return Ok(CaseSla { policy_version: None, calendar: None, calendar_version: None, clocks: Vec::new() });
        };
        let calendar_def = self.calendar_def(&actor.tenant, &policy.calendar).await?;
        let events = self.case_events(&actor.tenant, id).await?;
        let timeline = Timeline::from_history(&case.value, &definition, &events);
        let clocks = clocks(&timeline, &policy, &definition, case.value.priority, &calendar, self.clock.now())?;
        Ok(CaseSla {
            policy_version: (policy.version > 0).then_some(policy.version),
            calendar: Some(policy.calendar.clone()),
            calendar_version: calendar_def.map(|c| c.version),
            clocks,
        })
    }

    /// Re-arms a case's clocks for a change being written: SLA history events for clocks that
    /// start, pause, resume or stop, and the due-index entries, all added to `change`.
    /// `new_events` are the history events the change writes.
    pub(crate) async fn arm_sla(
        &self,
        actor: &Actor,
        case: &Case,
        known: Known<'_>,
        before: Option<Priority>,
        new_events: &[HistoryEvent],
        change: &mut ChangeSet,
    ) -> Result<(), StoreError> {
        let tenant = &actor.tenant;
        let Some((policy, calendar, zone, definition)) = self.sla_context(tenant, case, known.definition).await? else {
            return Ok(());
        };
        let now = self.clock.now();
        // A case being created has no history and no clocks yet: nothing to read.
        let (past, existing) =
            if known.new_case { (Vec::new(), Vec::new()) } else { self.history_and_clocks(tenant, case.id).await? };
        let calendar_error = |e: CalendarError| StoreError::InvalidRequest(format!("calendar: {e}"));
        let old = if past.is_empty() {
            Vec::new()
        } else {
            clocks(
                &Timeline::from_history(case, &definition, &past),
                &policy,
                &definition,
                before.unwrap_or(case.priority),
                &calendar,
                now,
            )
            .map_err(calendar_error)?
        };
        let mut all = past;
        all.extend_from_slice(new_events);
        let new = clocks(
            &Timeline::from_history(case, &definition, &all),
            &policy,
            &definition,
            case.priority,
            &calendar,
            now,
        )
        .map_err(calendar_error)?;
        let running = |c: &ClockReport| matches!(c.status, ClockStatus::Running | ClockStatus::Breached);
        let stopped = |c: &ClockReport| matches!(c.status, ClockStatus::Met | ClockStatus::MetLate);
        let same = |a: &ClockReport, b: &ClockReport| a.clock == b.clock && a.state == b.state;
        let name = |c: &ClockReport| match &c.state {
            Some(state) => format!("{}:{state}", c.clock.as_str()),
            None => c.clock.as_str().to_owned(),
        };
        let mut events = Vec::new();
        for after in &new {
            let previous = old.iter().find(|b| same(b, after));
            match (previous, after.due_at) {
                (None, Some(due)) if running(after) => {
                    events.push(EventKind::SlaStarted { clock: name(after), due_at: due })
                }
                (Some(b), _) if running(b) && after.status == ClockStatus::Paused => {
                    events.push(EventKind::SlaPaused { clock: name(after) })
                }
                (Some(b), Some(due)) if b.status == ClockStatus::Paused && running(after) => {
                    events.push(EventKind::SlaResumed { clock: name(after), due_at: due })
                }
                (Some(b), _) if !stopped(b) && stopped(after) => {
                    events.push(EventKind::SlaMet { clock: name(after), late: after.status == ClockStatus::MetLate })
                }
                _ => {}
            }
        }
        for gone in old.iter().filter(|b| !new.iter().any(|a| same(a, b)) && !stopped(b)) {
            // The state clock of a state the case left.
            events.push(EventKind::SlaMet { clock: name(gone), late: gone.used_minutes > gone.target_minutes });
        }
        for kind in events {
            change.ops.push(self.history_op(actor, case.id, change.version, self.new_id(), kind)?);
        }

        let supervisors = definition.supervisors_of(&case.state);
        for kind in [ClockKind::FirstResponse, ClockKind::Resolution, ClockKind::State] {
            let key = keys::sla_entry(tenant, case.id, kind.as_str());
            let current = existing.iter().find(|i| i.key == key);
            let previous: Option<SlaEntry> = current.map(records::read).transpose()?;
            let condition = Condition::version_or_new(conditions::SLA_CLOCK, current.map(|i| i.version));
            let version = current.map_or(1, |i| i.version + 1);
            let report = new.iter().find(|c| c.clock == kind);
            match report {
                Some(report) if running(report) || report.status == ClockStatus::Paused => {
                    let applied = previous.as_ref().filter(|p| p.state == report.state).map_or(0, |p| p.applied);
                    let mut stages = Vec::new();
                    if let Some(due) = report.due_at {
                        if let Some(warn) = report.warn_at {
                            stages.push(Stage { kind: StageKind::Warn, at: warn, level: 0, action: None });
                        }
                        stages.push(Stage { kind: StageKind::Breach, at: due, level: 0, action: None });
                        for (level, escalation) in policy.escalations.iter().enumerate() {
                            let at = calendar
                                .add_business_minutes(due, i64::from(escalation.after_minutes))
                                .map_err(calendar_error)?;
                            stages.push(Stage {
                                kind: StageKind::Escalate,
                                at,
                                level: level as u32 + 1,
                                action: Some(escalation.action),
                            });
                        }
                    }
                    let entry = SlaEntry {
                        tenant: tenant.clone(),
                        case_id: case.id,
                        clock: kind,
                        state: report.state.clone(),
                        due_at: report.due_at.unwrap_or(now),
                        used_minutes: report.used_minutes,
                        target_minutes: report.target_minutes,
                        applied,
                        stages,
                        owner: case.owner.clone(),
                        supervisors: supervisors.clone(),
                        time_zone: zone.clone(),
                    };
                    change.ops.push(WriteOp::Put { item: entry_item(&entry, version, now)?, condition });
                }
                _ => {
                    if current.is_some() {
                        change.ops.push(WriteOp::Delete { key, condition });
                    }
                }
            }
        }
        Ok(())
    }

    /// Applies every SLA stage that is due, once, from the watermark's hour to now's.
    pub async fn sweep_sla(&self) -> Result<SweepReport, StoreError> {
        let now = self.clock.now();
        let mut report = SweepReport::default();
        let watermark: Option<String> = self
            .store
            .get(&keys::sla_watermark())
            .await?
            .map(|item| records::read::<SlaWatermark>(&item))
            .transpose()?
            .map(|w| w.bucket);
        let first = match watermark.as_deref().and_then(|b| format!("{b}:00:00Z").parse::<Timestamp>().ok()) {
            Some(at) => at,
            None => now.checked_sub(jiff::SignedDuration::from_hours(FIRST_SWEEP_HOURS)).unwrap_or(now),
        };
        let upper = format!("{}~", stamp(now));
        let mut hour = first;
        while bucket(hour) <= bucket(now) {
            report.buckets += 1;
            for shard in 0..keys::SLA_SHARDS {
                let mut query = Query::index(Index::Gsi1, keys::sla_due_partition(&bucket(hour), shard))
                    // "0" sorts before every instant ("2…"); DynamoDB refuses empty key values.
                    .range(SortKeyRange::Between("0".into(), upper.clone()))
                    .limit(100);
                loop {
                    report.queries += 1;
                    let page = self.store.query(&query).await?;
                    for item in page.items {
                        report.items_read += 1;
                        match self.apply_stage(item, now, &mut report).await? {
                            true => report.applied += 1,
                            false => report.skipped += 1,
                        }
                    }
                    match page.next_cursor {
                        Some(cursor) => query.cursor = Some(cursor),
                        None => break,
                    }
                }
            }
            hour = hour
                .checked_add(jiff::SignedDuration::from_hours(1))
                .map_err(|e| StoreError::InvalidRequest(e.to_string()))?;
        }
        let body = records::body(&SlaWatermark { bucket: bucket(now), at: stamp(now) })?;
        let item = Item::new(keys::sla_watermark(), WATERMARK_ENTITY, 1, body);
        self.store.write(vec![WriteOp::Put { item, condition: Condition::ALWAYS }]).await?;
        Ok(report)
    }

    /// Applies one due stage; `false` when another sweep applied it first.
    async fn apply_stage(&self, item: Item, now: Timestamp, report: &mut SweepReport) -> Result<bool, StoreError> {
        let mut entry: SlaEntry = records::read(&item)?;
        let Some(stage) = entry.stages.get(entry.applied).cloned() else { return Ok(false) };
        if stage.at > now {
            return Ok(false);
        }
        let tenant = entry.tenant.clone();
        let actor = Actor::system(&tenant);
        let case_key = keys::case(&tenant, entry.case_id);
        let occurrence = format!(
            "sla:{}:{}:{}:{}",
            entry.clock.as_str(),
            entry.state.clone().unwrap_or_default(),
            entry.applied,
            stamp(stage.at)
        );
        let mut change =
            ChangeSet { ops: Vec::new(), messages: Vec::new(), occurrence, version: 0, context: Value::Null };
        entry.applied += 1;
        change.ops.push(WriteOp::Put {
            item: entry_item(&entry, item.version + 1, now)?,
            condition: Condition::version_is(conditions::SLA_CLOCK, item.version),
        });
        let clock = match &entry.state {
            Some(state) => format!("{}:{state}", entry.clock.as_str()),
            None => entry.clock.as_str().to_owned(),
        };
        let used_percent =
            if entry.target_minutes > 0 { (entry.used_minutes * 100 / entry.target_minutes).max(1) } else { 100 };
        change.context = json!({ "sla": {
            "clockName": clock_name(entry.clock, entry.state.as_deref()),
            "dueAt": local_time(entry.due_at, &entry.time_zone),
            "usedPercent": if stage.kind == StageKind::Warn { used_percent.max(1) } else { 100 },
            "level": stage.level,
        }});
        // Escalations that change the case read it (rare); warnings and breaches need only the entry.
        let mut owner = entry.owner.clone();
        if let Some(action @ (EscalationAction::ReassignToSupervisor | EscalationAction::RaisePriority)) = stage.action
        {
            report.items_read += 1;
            let Some(current) = self.store.get(&case_key).await? else { return Ok(false) };
            change.version = current.version + 1;
            let mut case: Case = records::read(&current)?;
            let previous = case.owner.clone();
            if action == EscalationAction::RaisePriority {
                case.priority = match case.priority {
                    Priority::Low => Priority::Normal,
                    Priority::Normal => Priority::High,
                    Priority::High | Priority::Urgent => Priority::Urgent,
                };
            } else if let Some(supervisor) = entry.supervisors.first() {
                case.owner = Some(supervisor.clone());
            }
            case.updated_at = now;
            change.ops.extend(case_writes(
                &actor,
                &case,
                change.version,
                Condition::version_is(conditions::CASE, current.version),
            )?);
            if case.owner != previous {
                self.assign_ops(&actor, &case, previous, Some("sla-escalation".into()), &mut change)?;
            }
            owner = case.owner.clone();
        }
        let (event, template, recipients) = match stage.kind {
            StageKind::Warn => (
                EventKind::SlaWarned { clock: clock.clone(), due_at: entry.due_at },
                "sla_warning",
                vec![Recipient::Owner],
            ),
            StageKind::Breach => (
                EventKind::SlaBreached { clock: clock.clone(), due_at: entry.due_at },
                "sla_breach",
                vec![Recipient::Owner, Recipient::Supervisor],
            ),
            StageKind::Escalate => (
                EventKind::SlaEscalated {
                    clock: clock.clone(),
                    level: stage.level,
                    action: serde_json::to_value(stage.action)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                },
                "sla_escalation",
                vec![Recipient::Supervisor],
            ),
        };
        // Version 0: recorded by the sweep without reading the case (unless it changed it).
        change.ops.push(self.history_op(&actor, entry.case_id, change.version, self.new_id(), event)?);
        let subject = EffectSubject {
            id: entry.case_id,
            owner: owner.as_ref(),
            supervisors: entry.supervisors.clone(),
            contact_id: None,
            account_id: None,
        };
        for to in recipients {
            let effect = Effect::Notify { to, template: template.into() };
            // One effect per recipient kind: owner and supervisor e-mails are distinct effects.
            let rule = format!(
                "{template}:{}:{}",
                stage.level,
                serde_json::to_value(to).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
            );
            self.effect_ops(&actor, &subject, &rule, &effect, &mut change)?;
        }
        match self.store.write(change.ops).await {
            Ok(()) => {
                self.publish_committed(&tenant, super::outbox::OutboxOwner::Case(entry.case_id), &change.messages)
                    .await;
                Ok(true)
            }
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn entry_item(entry: &SlaEntry, version: u64, now: Timestamp) -> Result<Item, StoreError> {
    let mut item = Item::new(
        keys::sla_entry(&entry.tenant, entry.case_id, entry.clock.as_str()),
        ENTRY_ENTITY,
        version,
        records::body(entry)?,
    );
    if let Some(next) = entry.stages.get(entry.applied) {
        // An instant already past goes into the current hour, which the sweep has not closed.
        let hour = bucket(next.at.max(now));
        let due = keys::sla_due(
            &hour,
            shard(entry.case_id),
            &stamp(next.at),
            &entry.tenant,
            entry.case_id,
            entry.clock.as_str(),
        );
        item = item.with_index(Index::Gsi1, due);
    }
    if !entry.stages.is_empty() {
        // A running clock orders its case on the case list's "deadline first" view.
        let deadline = keys::case_deadlines(&entry.tenant, &stamp(entry.due_at), entry.case_id, entry.clock.as_str());
        item = item.with_index(Index::Gsi2, deadline);
    }
    Ok(item)
}
