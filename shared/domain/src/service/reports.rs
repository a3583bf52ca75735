//! Reports the brochures show: cases by type and state with amounts [Gestiones por Estados], and
//! the pivot of rejection results by state [Solicitudes Rechazadas y Motivos].
//!
//! Both read the tenant's active-case listing once (one query page at a time), so their cost
//! grows with the tenant's active cases; archived cases are left out.

use crate::field_access::FieldAccess;
use std::collections::BTreeMap;

use serde::Serialize;

use super::case_types::with_definition_version;
use super::{ListError, Services};
use crate::Versioned;
use crate::actor::Actor;
use crate::case::Case;
use crate::case_type::{CaseType, StateClass};
use crate::ids::CaseTypeKey;
use crate::keys;
use crate::money::Money;
use crate::ports::{Index, Query};
use crate::records;

/// One row of `GET /reports/cases-by-state`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateRow {
    pub case_type: String,
    pub case_type_name: String,
    pub state: String,
    pub state_name: String,
    pub state_class: StateClass,
    pub count: u64,
    /// Share of all counted cases, in percent with two decimals.
    pub percentage: f64,
    /// Summed amounts, one per currency.
    pub amounts: Vec<Money>,
}

/// `GET /reports/rejections`: results (rows) by closed-failure state (columns).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectionPivot {
    pub states: Vec<String>,
    pub rows: Vec<RejectionRow>,
    /// Per state, and `total` overall.
    pub totals: BTreeMap<String, u64>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectionRow {
    pub result: String,
    pub result_name: String,
    pub counts: BTreeMap<String, u64>,
    pub total: u64,
}

impl Services {
    /// Every active case of the tenant within the caller's scope (optionally of one type),
    /// with the definitions by key. A report reads every case anyway, so the scope is applied
    /// to what it read.
    async fn active_cases(
        &self,
        actor: &Actor,
        case_type: Option<&CaseTypeKey>,
    ) -> Result<(Vec<Case>, BTreeMap<CaseTypeKey, CaseType>), ListError> {
        let query = Query::index(Index::Gsi1, keys::cases_listing_partition(&actor.tenant, false)).limit(1000);
        let mut cases: Vec<Case> = self.read_all(query).await?;
        cases.retain(|case| case_type.is_none_or(|t| &case.case_type == t) && actor.sees_case(case));
        let mut definitions = BTreeMap::new();
        for case in &cases {
            if !definitions.contains_key(&case.case_type) {
                let loaded: Option<Versioned<CaseType>> =
                    self.load(&keys::case_type(&actor.tenant, &case.case_type)).await?;
                if let Some(loaded) = loaded {
                    definitions.insert(case.case_type.clone(), with_definition_version(loaded));
                }
            }
        }
        Ok((cases, definitions))
    }

    pub async fn cases_by_state(
        &self,
        actor: &Actor,
        case_type: Option<&CaseTypeKey>,
    ) -> Result<Vec<StateRow>, ListError> {
        let (cases, definitions) = self.active_cases(actor, case_type).await?;
        // A reader the amount is hidden from sees counts without sums.
        let amounts_seen = actor.field_access(crate::access::Module::Cases, "amount") != FieldAccess::Hidden;
        struct Group {
            class: StateClass,
            count: u64,
            amounts: BTreeMap<String, i64>,
        }
        let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
        for case in &cases {
            let group = groups.entry((case.case_type.to_string(), case.state.clone())).or_insert(Group {
                class: case.state_class,
                count: 0,
                amounts: BTreeMap::new(),
            });
            group.count += 1;
            if let Some(amount) = case.amount.as_ref().filter(|_| amounts_seen) {
                *group.amounts.entry(amount.currency.clone()).or_default() += amount.amount_minor;
            }
        }
        let total = cases.len() as f64;
        let rows = groups
            .into_iter()
            .map(|((type_key, state), Group { class, count, amounts })| {
                let definition = CaseTypeKey::parse(&type_key).ok().and_then(|k| definitions.get(&k));
                StateRow {
                    case_type_name: definition.map_or_else(|| type_key.clone(), |d| d.name.clone()),
                    state_name: definition
                        .and_then(|d| d.state(&state))
                        .map_or_else(|| state.clone(), |s| s.name.clone()),
                    case_type: type_key,
                    state,
                    state_class: class,
                    count,
                    percentage: (count as f64 * 10_000.0 / total).round() / 100.0,
                    amounts: amounts
                        .into_iter()
                        .map(|(currency, amount_minor)| Money { amount_minor, currency })
                        .collect(),
                }
            })
            .collect();
        Ok(rows)
    }

    pub async fn rejections(
        &self,
        actor: &Actor,
        case_type: Option<&CaseTypeKey>,
    ) -> Result<RejectionPivot, ListError> {
        let (cases, definitions) = self.active_cases(actor, case_type).await?;
        let mut pivot = RejectionPivot::default();
        let mut rows: BTreeMap<String, RejectionRow> = BTreeMap::new();
        for case in cases.iter().filter(|c| c.state_class == StateClass::ClosedFailure) {
            let Some(step) = &case.last_step else { continue };
            let definition = definitions.get(&case.case_type);
            let result_name = definition
                .and_then(|d| d.action(&step.action))
                .and_then(|a| a.results.iter().find(|r| r.key == step.result))
                .map_or_else(|| step.result.clone(), |r| r.name.clone());
            let row = rows.entry(step.result.clone()).or_insert_with(|| RejectionRow {
                result: step.result.clone(),
                result_name,
                counts: BTreeMap::new(),
                total: 0,
            });
            *row.counts.entry(case.state.clone()).or_default() += 1;
            row.total += 1;
            *pivot.totals.entry(case.state.clone()).or_default() += 1;
            pivot.total += 1;
        }
        pivot.states = pivot.totals.keys().cloned().collect();
        pivot.rows = rows.into_values().collect();
        Ok(pivot)
    }
}

/// One row of `GET /reports/workload`: one group (type and state, agent, or branch).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkloadRow {
    /// `typeState`, `agent` or `branch`.
    pub dimension: String,
    pub key: String,
    pub name: String,
    /// Cases not closed.
    pub active: u64,
    /// Active, with no SLA deadline passed.
    pub on_time: u64,
    /// Active, past an SLA deadline.
    pub late: u64,
    /// Closed within the period.
    pub attended: u64,
}

/// One row of `GET /reports/sla`: resolution compliance of cases closed in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaRow {
    /// `type` or `agent`.
    pub dimension: String,
    pub key: String,
    pub met: u64,
    pub breached: u64,
    /// `met / (met + breached)` in percent, two decimals.
    pub compliance: f64,
}

/// The period a report counts closures in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: jiff::Timestamp,
    pub to: jiff::Timestamp,
}

impl Period {
    fn contains(&self, at: Option<jiff::Timestamp>) -> bool {
        at.is_some_and(|t| self.from <= t && t < self.to)
    }
}

impl Services {
    /// Whether any of a case's armed SLA clocks is past its deadline now.
    async fn is_late(&self, actor: &Actor, case: &Case, now: jiff::Timestamp) -> Result<bool, ListError> {
        let query = Query::partition(keys::case_partition(&actor.tenant, case.id))
            .range(crate::ports::SortKeyRange::BeginsWith(keys::CASE_SLA_PREFIX.into()));
        let entries = self.store.query(&query).await?;
        for item in &entries.items {
            let armed: super::sla::SlaEntry = records::read(item)?;
            if armed.is_overdue(now) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub async fn workload(&self, actor: &Actor, period: Period) -> Result<Vec<WorkloadRow>, ListError> {
        let (cases, definitions) = self.active_cases(actor, None).await?;
        let now = self.clock.now();
        let mut rows: BTreeMap<(String, String), WorkloadRow> = BTreeMap::new();
        for case in &cases {
            let open = !case.state_class.is_closed();
            let late = open && self.is_late(actor, case, now).await?;
            let attended = period.contains(case.closed_at);
            let definition = definitions.get(&case.case_type);
            let type_state = format!("{}/{}", case.case_type, case.state);
            let type_state_name = format!(
                "{}, {}",
                definition.map_or_else(|| case.case_type.to_string(), |d| d.name.clone()),
                definition.and_then(|d| d.state(&case.state)).map_or_else(|| case.state.clone(), |s| s.name.clone())
            );
            let agent = case.owner.as_ref().map_or_else(|| "(unassigned)".to_owned(), ToString::to_string);
            let branch = case.branch.clone().unwrap_or_else(|| "(none)".into());
            for (dimension, key, name) in [
                ("typeState", type_state, type_state_name),
                ("agent", agent.clone(), agent),
                ("branch", branch.clone(), branch),
            ] {
                let row = rows.entry((dimension.to_owned(), key.clone())).or_insert_with(|| WorkloadRow {
                    dimension: dimension.into(),
                    key,
                    name,
                    active: 0,
                    on_time: 0,
                    late: 0,
                    attended: 0,
                });
                row.active += u64::from(open);
                row.late += u64::from(late);
                row.on_time += u64::from(open && !late);
                row.attended += u64::from(attended);
            }
        }
        Ok(rows.into_values().collect())
    }

    pub async fn sla_compliance(&self, actor: &Actor, period: Period) -> Result<Vec<SlaRow>, ListError> {
        let (cases, _) = self.active_cases(actor, None).await?;
        let mut tally: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        for case in cases.iter().filter(|c| period.contains(c.closed_at)) {
            let events = self.case_events(&actor.tenant, case.id).await?;
            let late = events.iter().rev().find_map(|e| match &e.kind {
                crate::history::EventKind::SlaMet { clock, late } if clock == "resolution" => Some(*late),
                _ => None,
            });
            let Some(late) = late else { continue };
            let agent = case.owner.as_ref().map_or_else(|| "(unassigned)".to_owned(), ToString::to_string);
            for key in [("type".to_owned(), case.case_type.to_string()), ("agent".to_owned(), agent)] {
                let entry = tally.entry(key).or_default();
                if late { entry.1 += 1 } else { entry.0 += 1 }
            }
        }
        Ok(tally
            .into_iter()
            .map(|((dimension, key), (met, breached))| SlaRow {
                dimension,
                key,
                met,
                breached,
                compliance: if met + breached == 0 {
                    0.0
                } else {
                    (met as f64 * 10_000.0 / (met + breached) as f64).round() / 100.0
                },
            })
            .collect())
    }
}
