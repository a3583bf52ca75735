//! Goals [metas] by month, and their attainment.
//!
//! A month's goals are one item (`T#{t}#GOALS` / `{yyyy-mm}`), written whole at the version read,
//! as the pipelines are. Attainment reads no opportunity: stage goals read the month's forecast
//! totals (one query, bounded by owners × stages × currencies × lines); case-state goals read the
//! tenant's active cases once (as the case reports do); prospects and customers read each
//! agent's leads created in the month (one key range of the owner's lead index, ids being
//! ULIDs).

use std::collections::{BTreeMap, BTreeSet};

use super::{Services, conditions};
use crate::access::{Module, Operation, Permission};
use crate::access_log::{AccessAction, RecordRef};
use crate::actor::{Actor, Forbidden};
use crate::case::Case;
use crate::case_type::CaseType;
use crate::ids::{CaseTypeKey, TenantId, UserId};
use crate::keys;
use crate::lead::Lead;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::sales::forecast::Month;
use crate::sales::goal::{self, Achieved, Attainment, Goal, GoalFacts, GoalSheet, Success};
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Versioned};

pub const ENTITY: &str = "GoalSheet";

#[derive(Debug, thiserror::Error)]
pub enum GoalsError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the month's goals changed since version {0}")]
    Stale(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `GET /goals/{month}/attainment`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthAttainment {
    /// `2026-12`.
    pub month: String,
    pub local_currency: String,
    pub second_currency: String,
    /// The goals of the agents the caller's scope reaches, in the sheet's order.
    pub rows: Vec<Attainment>,
}

impl Services {
    async fn goal_sheet(&self, tenant: &TenantId, month: Month) -> Result<Versioned<GoalSheet>, StoreError> {
        if let Some(found) = self.load::<GoalSheet>(&keys::goals(tenant, &month.key())).await? {
            return Ok(found);
        }
        let currency = self.tenant(tenant).await?.map_or_else(|| "CRC".to_owned(), |t| t.currency);
        Ok(Versioned { value: GoalSheet::empty(&currency), version: 0 })
    }

    /// `GET /goals/{month}`: the month's goals of the agents the caller sees (version 0: never
    /// written, no goals, in the company's currency and dollars).
    pub async fn goals(&self, actor: &Actor, month: Month) -> Result<Versioned<GoalSheet>, GoalsError> {
        actor.permit(Permission::new(Module::Opportunities, Operation::Read))?;
        let mut sheet = self.goal_sheet(&actor.tenant, month).await?;
        sheet.value.goals.retain(|g| actor.sees(Module::Opportunities, Some(&g.owner)));
        Ok(sheet)
    }

    /// `PUT /goals/{month}` (who may change the configuration): replaces the month's goals at the
    /// version read (`"0"` before the first save) or, without one, over whatever is stored.
    pub async fn save_goals(
        &self,
        actor: &Actor,
        month: Month,
        mut sheet: GoalSheet,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<GoalSheet>, GoalsError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let tenant = &actor.tenant;
        let current = self.goal_sheet(tenant, month).await?;
        let version = match expected {
            Some(expected) => expected.admit(current.version).ok_or(GoalsError::Stale(expected.named()))?,
            None => current.version,
        };
        let pipelines = self.pipelines_of(tenant).await?.value;
        let case_types = self.case_types_named(tenant, &sheet.goals).await?;
        // The configuration's facts are borrowed only while the sheet is checked (no await).
        let mut errors = {
            let stage_exists = |pipeline: &_, stage: &_| match pipelines.pipeline(pipeline) {
                None => Err(msg::no_such_pipeline(pipeline)),
                Some(p) if p.stage(stage).is_none() => Err(msg::no_such_stage(stage)),
                Some(_) => Ok(()),
            };
            let case_type = |key: &CaseTypeKey| case_types.get(key);
            let facts = GoalFacts { stage_exists: &stage_exists, case_type: &case_type };
            goal::validate(&mut sheet, &facts).err().unwrap_or_default()
        };
        let owners: BTreeSet<&UserId> = sheet.goals.iter().map(|g| &g.owner).collect();
        for owner in owners {
            if self.user(tenant, owner).await?.is_none() {
                for (i, _) in sheet.goals.iter().enumerate().filter(|(_, g)| &g.owner == owner) {
                    errors.add(format!("goals[{i}].owner"), msg::no_such_user_named(owner.as_str()));
                }
            }
        }
        errors.finish()?;
        let key = keys::goals(tenant, &month.key());
        let item = Item::new(key, ENTITY, version + 1, records::body(&sheet)?);
        let condition = Condition::version_or_new(conditions::GOALS, Some(version).filter(|v| *v > 0));
        let record = Some(RecordRef::new("goals", month.key()));
        let logged = self.access_op(actor, AccessAction::SettingsChanged, record)?;
        match self.store.write(vec![WriteOp::Put { item, condition }, logged]).await {
            Ok(()) => Ok(Versioned { value: sheet, version: version + 1 }),
            Err(StoreError::ConditionFailed { name: conditions::GOALS }) => Err(GoalsError::Stale(version)),
            Err(e) => Err(e.into()),
        }
    }

    async fn case_types_named(
        &self,
        tenant: &TenantId,
        goals: &[Goal],
    ) -> Result<BTreeMap<CaseTypeKey, CaseType>, StoreError> {
        let mut found = BTreeMap::new();
        for goal in goals {
            if let Success::CaseState { case_type, .. } = &goal.success
                && !found.contains_key(case_type)
                && let Some(definition) = self.load::<CaseType>(&keys::case_type(tenant, case_type)).await?
            {
                found.insert(case_type.clone(), definition.value);
            }
        }
        Ok(found)
    }

    /// `GET /goals/{month}/attainment`: each goal of the agents the caller sees beside what they
    /// achieved in the month.
    pub async fn goal_attainment(&self, actor: &Actor, month: Month) -> Result<MonthAttainment, GoalsError> {
        let sheet = self.goals(actor, month).await?.value;
        let tenant = &actor.tenant;
        let zone = super::receivables::zone(&self.tenant_zone(tenant).await?);
        let starts = |m: Month| m.first_day().to_zoned(zone.clone()).map(|z| z.timestamp()).ok();
        let (Some(from), Some(until)) = (starts(month), starts(month.next())) else {
            return Ok(MonthAttainment::of(month, sheet, Vec::new()));
        };

        let cells = if sheet.goals.iter().any(|g| matches!(g.success, Success::Stage { .. })) {
            self.month_cells(tenant, month).await?
        } else {
            Vec::new()
        };
        let cases: Vec<Case> = if sheet.goals.iter().any(|g| matches!(g.success, Success::CaseState { .. })) {
            let query = Query::index(Index::Gsi1, keys::cases_listing_partition(tenant, false)).limit(1000);
            let mut cases: Vec<Case> = self.read_all(query).await?;
            cases.retain(|c| c.closed_at.is_some_and(|at| from <= at && at < until));
            cases
        } else {
            Vec::new()
        };
        // Prospects and customers per agent: the leads they own created in the month.
        let mut leads_of: BTreeMap<UserId, (u32, u32)> = BTreeMap::new();
        let range = SortKeyRange::Between(super::leads::id_floor(from), super::leads::id_before(until));
        for goal in &sheet.goals {
            if leads_of.contains_key(&goal.owner) {
                continue;
            }
            let query = Query::index(Index::Gsi2, keys::leads_of_owner_partition(tenant, &goal.owner))
                .range(range.clone())
                .limit(1000);
            let leads: Vec<Lead> = self.read_all(query).await?;
            let converted = leads.iter().filter(|l| l.converted.is_some()).count();
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            leads_of.insert(goal.owner.clone(), (count(leads.len()), count(converted)));
        }

        // A reader case amounts are hidden from sees counts without sums (as in the reports).
        let amounts_seen = actor.field_access(Module::Cases, "amount") != crate::field_access::FieldAccess::Hidden;
        let local = sheet.local_currency.clone();
        let second = sheet.second_currency.clone();
        let rows = sheet
            .goals
            .iter()
            .map(|goal| {
                let mut achieved = Achieved::default();
                let mut add = |count: i64, currency: &str, amount: i64| {
                    achieved.successes += count;
                    if currency == local {
                        achieved.local_minor += amount;
                    } else if currency == second {
                        achieved.second_minor += amount;
                    }
                };
                match &goal.success {
                    Success::Stage { pipeline, stage } => {
                        for (cell, c) in &cells {
                            let line_matches = goal.product_line.is_none() || goal.product_line == cell.line;
                            if cell.owner.as_ref() == Some(&goal.owner)
                                && &cell.pipeline == pipeline
                                && &cell.stage == stage
                                && line_matches
                            {
                                add(c.count, &cell.currency, c.amount_minor);
                            }
                        }
                    }
                    Success::CaseState { case_type, state } => {
                        for case in cases.iter().filter(|c| {
                            c.owner.as_ref() == Some(&goal.owner) && &c.case_type == case_type && &c.state == state
                        }) {
                            let (currency, amount) = case
                                .amount
                                .as_ref()
                                .filter(|_| amounts_seen)
                                .map_or(("", 0), |a| (a.currency.as_str(), a.amount_minor));
                            add(1, currency, amount);
                        }
                    }
                }
                let (prospects, customers) = leads_of.get(&goal.owner).copied().unwrap_or_default();
                achieved.prospects = prospects;
                achieved.customers = customers;
                Attainment::of(goal.clone(), achieved)
            })
            .collect();
        Ok(MonthAttainment::of(month, sheet, rows))
    }
}

impl MonthAttainment {
    fn of(month: Month, sheet: GoalSheet, rows: Vec<Attainment>) -> MonthAttainment {
        MonthAttainment {
            month: month.key(),
            local_currency: sheet.local_currency,
            second_currency: sheet.second_currency,
            rows,
        }
    }
}
