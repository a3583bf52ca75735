//! Reports the brochures show: cases by type and state with amounts [Gestiones por Estados], and
//! the pivot of rejection results by state [Solicitudes Rechazadas y Motivos].
//!
//! Both read the tenant's active-case listing once (one query page at a time), so their cost
//! grows with the tenant's active cases; archived cases are left out.

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
    /// Every active case of the tenant (optionally of one type), with the definitions by key.
    async fn active_cases(
        &self,
        actor: &Actor,
        case_type: Option<&CaseTypeKey>,
    ) -> Result<(Vec<Case>, BTreeMap<CaseTypeKey, CaseType>), ListError> {
        let mut query = Query::index(Index::Gsi1, keys::cases_listing_partition(&actor.tenant, false)).limit(1000);
        let mut cases = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let case: Case = item.parse_body()?;
                if case_type.is_none_or(|t| &case.case_type == t) {
                    cases.push(case);
                }
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
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
            if let Some(amount) = &case.amount {
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
