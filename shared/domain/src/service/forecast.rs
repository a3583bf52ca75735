//! The sales forecast, from running totals kept as opportunities change (never by reading the
//! opportunities): a period is one query per month of it, whatever the number of opportunities.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use super::{ListError, Services};
use crate::access::Module;
use crate::actor::Actor;
use crate::ids::{PipelineKey, TenantId, UserId};
use crate::keys;
use crate::ports::{Condition, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::sales::Opportunity;
use crate::sales::forecast::{self, Cell, Contribution, ForecastLine, Month, PeriodKind};
use crate::sales::forecast_history::{CellDelta, Movement, MovementKind, MovementLine};

pub const CELL_ENTITY: &str = "ForecastCell";
pub const MOVEMENT_ENTITY: &str = "ForecastMovement";

/// A forecast cell's body: what `WriteOp::Add` keeps in it (see `sales::forecast`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellTotals {
    #[serde(default)]
    pub count: i64,
    #[serde(default)]
    pub amount_minor: i64,
    #[serde(default)]
    pub weighted_minor: i64,
}

/// When and how an opportunity's write happens, for the forecast's history.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteMoment {
    pub at: jiff::Timestamp,
    /// The opportunity's version after the write.
    pub version: u64,
    /// An opportunity written before the forecast existed enters the totals.
    pub backfilled: bool,
}

/// The writes that keep the forecast's totals as an opportunity is created (`before` none),
/// changed, or backfilled, and its history (one movement per close month the change touches):
/// part of the same transaction as the opportunity's own write.
pub(crate) fn forecast_ops(
    tenant: &TenantId,
    before: Option<&Opportunity>,
    after: Option<&Opportunity>,
    moment: WriteMoment,
) -> Result<Vec<WriteOp>, StoreError> {
    let changed = forecast::changes(before, after);
    let mut ops: Vec<WriteOp> = changed
        .iter()
        .map(|(cell, c)| WriteOp::Add {
            key: keys::forecast_cell(tenant, cell),
            entity: CELL_ENTITY,
            amounts: vec![
                (forecast::COUNT, c.count),
                (forecast::AMOUNT, c.amount_minor),
                (forecast::WEIGHTED, c.weighted_minor),
            ],
        })
        .collect();
    let Some(after) = after else { return Ok(ops) };
    let Some(mut movement) = Movement::of(before, after, &changed, moment.at) else { return Ok(ops) };
    movement.backfilled = moment.backfilled;
    let months: BTreeSet<Month> = changed.iter().filter_map(|(cell, _)| cell.month).collect();
    for month in months {
        let deltas = changed
            .iter()
            .filter(|(cell, _)| cell.month == Some(month))
            .map(|(cell, c)| CellDelta {
                cell: keys::forecast_cell(tenant, cell).sk,
                count: c.count,
                amount_minor: c.amount_minor,
                weighted_minor: c.weighted_minor,
            })
            .collect();
        let copy = Movement { deltas, ..movement.clone() };
        let key = keys::forecast_movement(tenant, &month.key(), moment.at, after.id, moment.version);
        let item = Item::new(key, MOVEMENT_ENTITY, 1, records::body(&copy)?);
        ops.push(WriteOp::Put { item, condition: Condition::ALWAYS });
    }
    Ok(ops)
}

/// How a forecast's lines are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Owner,
    Team,
    Region,
    ProductLine,
}

impl GroupBy {
    pub fn parse(name: &str) -> Option<GroupBy> {
        match name {
            "owner" => Some(GroupBy::Owner),
            "team" => Some(GroupBy::Team),
            "region" => Some(GroupBy::Region),
            "productLine" => Some(GroupBy::ProductLine),
            _ => None,
        }
    }
}

/// `GET /forecast`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastQuery {
    pub period: PeriodKind,
    /// Any day of the period.
    pub date: Date,
    pub group_by: Option<GroupBy>,
    /// Only this pipeline's opportunities (default: every pipeline).
    pub pipeline: Option<PipelineKey>,
    /// The forecast as it stood at the end of this day (the company's time zone), recomputed
    /// from the movements since; absent: now.
    pub as_of: Option<Date>,
}

/// A forecast: the period it covers and its lines (by group, then currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub from: Date,
    pub to: Date,
    pub lines: Vec<ForecastLine>,
}

/// What moved in a period's forecast between two days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodMovement {
    pub period_from: Date,
    pub period_to: Date,
    /// The days whose changes are counted.
    pub from: Date,
    pub to: Date,
    pub lines: Vec<MovementLine>,
}

impl Services {
    /// The forecast of the opportunities the actor sees, expected to close in the period, by
    /// category as the pipelines categorise their stages today.
    pub async fn forecast(&self, actor: &Actor, query: &ForecastQuery) -> Result<Forecast, ListError> {
        let tenant = &actor.tenant;
        let (pipelines, organisation) = futures::join!(self.pipelines_of(tenant), self.organisation_of(tenant));
        let (pipelines, organisation) = (pipelines?.value, organisation?.value);
        let months = query.period.months(query.date, pipelines.fiscal_year_start);
        let reads = months.iter().map(|month| self.month_cells(tenant, *month));
        let mut cells: Vec<(Cell, Contribution)> =
            futures::future::try_join_all(reads).await?.into_iter().flatten().collect();
        if let Some(day) = query.as_of {
            let since = self.day_end(tenant, day).await?;
            cells = self.cells_before(tenant, &months, cells, since).await?;
        }
        let groups_of = |owner: Option<&UserId>, line: Option<&String>| -> Vec<Option<String>> {
            match query.group_by {
                None => vec![None],
                Some(GroupBy::Owner) => vec![owner.map(ToString::to_string)],
                Some(GroupBy::ProductLine) => vec![line.cloned()],
                Some(GroupBy::Team) => {
                    let teams: Vec<Option<String>> = owner
                        .map(|o| organisation.teams_of(o).map(|t| Some(t.name.clone())).collect())
                        .unwrap_or_default();
                    if teams.is_empty() { vec![None] } else { teams }
                }
                Some(GroupBy::Region) => vec![owner.and_then(|o| organisation.region_of(o))],
            }
        };
        let mut lines: BTreeMap<(Option<String>, String), ForecastLine> = BTreeMap::new();
        for (cell, contribution) in cells {
            if !actor.sees(Module::Opportunities, cell.owner.as_ref())
                || query.pipeline.as_ref().is_some_and(|p| *p != cell.pipeline)
            {
                continue;
            }
            let category = forecast::category_of(&cell, &pipelines);
            for group in groups_of(cell.owner.as_ref(), cell.line.as_ref()) {
                let line = lines.entry((group.clone(), cell.currency.clone())).or_insert_with(|| ForecastLine {
                    group,
                    currency: cell.currency.clone(),
                    ..Default::default()
                });
                line.add(category, contribution);
            }
        }
        let from = months.first().map_or(query.date, |m| m.first_day());
        let to = months.last().map_or(query.date, |m| m.last_day());
        Ok(Forecast { from, to, lines: lines.into_values().collect() })
    }

    /// The instant a day of the company's calendar ends.
    async fn day_end(&self, tenant: &TenantId, day: Date) -> Result<jiff::Timestamp, StoreError> {
        let zone = super::receivables::zone(&self.tenant_zone(tenant).await?);
        let next = day.tomorrow().unwrap_or(day);
        Ok(next.to_zoned(zone).map_or_else(|_| self.clock.now(), |z| z.timestamp()))
    }

    /// Every movement filed under `month` from `since` on (until `until`, if given).
    async fn movements(
        &self,
        tenant: &TenantId,
        month: Month,
        since: jiff::Timestamp,
        until: Option<jiff::Timestamp>,
    ) -> Result<Vec<(String, Movement)>, StoreError> {
        let low = keys::movement_instant(since);
        let high = until.map_or_else(|| "~".to_owned(), keys::movement_instant);
        let mut query = Query::partition(keys::forecast_movements_partition(tenant, &month.key()))
            .range(SortKeyRange::Between(low, high))
            .limit(crate::ports::MAX_QUERY_LIMIT);
        let mut found = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                found.push((item.key.sk.clone(), records::read::<Movement>(item)?));
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(found),
            }
        }
    }

    /// The cells of `months` as they stood at `since`: today's less every movement after it.
    async fn cells_before(
        &self,
        tenant: &TenantId,
        months: &[Month],
        cells: Vec<(Cell, Contribution)>,
        since: jiff::Timestamp,
    ) -> Result<Vec<(Cell, Contribution)>, StoreError> {
        // The months' movements read together, their deltas summed by total first: a total
        // many changes touched is looked up once.
        let reads = months.iter().map(|month| self.movements(tenant, *month, since, None));
        let found = futures::future::try_join_all(reads).await?;
        let mut deltas: BTreeMap<(Month, String), Contribution> = BTreeMap::new();
        for (month, movements) in months.iter().zip(found) {
            for (_, movement) in movements {
                for delta in movement.deltas {
                    let sum = deltas.entry((*month, delta.cell.clone())).or_default();
                    *sum = sum.plus(delta.contribution());
                }
            }
        }
        let mut totals: BTreeMap<Cell, Contribution> = cells.into_iter().collect();
        for ((month, sk), delta) in deltas {
            let Some(cell) = keys::forecast_cell_of(Some(month), &sk) else { continue };
            let total = totals.entry(cell).or_default();
            *total = total.plus(delta.negated());
        }
        Ok(totals.into_iter().filter(|(_, c)| !c.is_zero()).collect())
    }

    /// `GET /forecast/movement`: what moved in or out of the period between two days (default:
    /// from the period's first day to now): new, pulled in, pushed out, won and lost, by
    /// currency, for the opportunities of owners the actor sees.
    pub async fn forecast_movement(
        &self,
        actor: &Actor,
        query: &ForecastQuery,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<PeriodMovement, ListError> {
        let tenant = &actor.tenant;
        let pipelines = self.pipelines_of(tenant).await?.value;
        let months = query.period.months(query.date, pipelines.fiscal_year_start);
        let first = months.first().map_or(query.date, |m| m.first_day());
        let from = from.unwrap_or(first);
        let since = self.day_end(tenant, from.yesterday().unwrap_or(from)).await?;
        let until = match to {
            Some(day) => Some(self.day_end(tenant, day).await?),
            None => None,
        };
        let mut seen = BTreeSet::new();
        let mut lines: BTreeMap<(MovementKind, String), MovementLine> = BTreeMap::new();
        for month in &months {
            for (sk, movement) in self.movements(tenant, *month, since, until).await? {
                // A change within the period is filed under each month it touches: count it once.
                if !seen.insert(sk) || query.pipeline.as_ref().is_some_and(|p| *p != movement.pipeline) {
                    continue;
                }
                for (kind, amount_minor, owner) in movement.kinds_in(&months) {
                    if !actor.sees(Module::Opportunities, owner) {
                        continue;
                    }
                    let line = lines.entry((kind, movement.currency.clone())).or_insert_with(|| MovementLine {
                        kind,
                        currency: movement.currency.clone(),
                        count: 0,
                        amount_minor: 0,
                    });
                    line.count += 1;
                    line.amount_minor += amount_minor;
                }
            }
        }
        let to = to.unwrap_or_else(|| self.clock.now().to_zoned(jiff::tz::TimeZone::UTC).date());
        let period_to = months.last().map_or(query.date, |m| m.last_day());
        Ok(PeriodMovement { period_from: first, period_to, from, to, lines: lines.into_values().collect() })
    }

    /// Every cell of one close month.
    pub(super) async fn month_cells(
        &self,
        tenant: &TenantId,
        month: Month,
    ) -> Result<Vec<(Cell, Contribution)>, StoreError> {
        // A month holds at most owners × stages × currencies × lines totals: a page or two.
        let mut query =
            Query::partition(keys::forecast_partition(tenant, &month.key())).limit(crate::ports::MAX_QUERY_LIMIT);
        let mut cells = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let Some(cell) = keys::forecast_cell_of(Some(month), &item.key.sk) else { continue };
                let totals: CellTotals = records::read(item)?;
                let contribution = Contribution {
                    count: totals.count,
                    amount_minor: totals.amount_minor,
                    weighted_minor: totals.weighted_minor,
                };
                // A cell everything left keeps its zeros: it says nothing.
                if !contribution.is_zero() {
                    cells.push((cell, contribution));
                }
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(cells),
            }
        }
    }
}
