//! The sales forecast, from running totals kept as opportunities change (never by reading the
//! opportunities): a period is one query per month of it, whatever the number of opportunities.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::{ListError, Services};
use crate::access::Module;
use crate::actor::Actor;
use crate::ids::{PipelineKey, TenantId, UserId};
use crate::keys;
use crate::ports::{Query, StoreError, WriteOp};
use crate::records;
use crate::sales::Opportunity;
use crate::sales::forecast::{self, Cell, Contribution, ForecastLine, Month, PeriodKind};

pub const CELL_ENTITY: &str = "ForecastCell";

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

/// The writes that keep the forecast's totals as an opportunity is created (`before` none),
/// changed, or backfilled: part of the same transaction as the opportunity's own write.
pub(crate) fn forecast_ops(
    tenant: &TenantId,
    before: Option<&Opportunity>,
    after: Option<&Opportunity>,
) -> Vec<WriteOp> {
    forecast::changes(before, after)
        .into_iter()
        .map(|(cell, c)| WriteOp::Add {
            key: keys::forecast_cell(tenant, &cell),
            entity: CELL_ENTITY,
            amounts: vec![
                (forecast::COUNT, c.count),
                (forecast::AMOUNT, c.amount_minor),
                (forecast::WEIGHTED, c.weighted_minor),
            ],
        })
        .collect()
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
}

/// A forecast: the period it covers and its lines (by group, then currency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    pub from: Date,
    pub to: Date,
    pub lines: Vec<ForecastLine>,
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
        let cells: Vec<(Cell, Contribution)> =
            futures::future::try_join_all(reads).await?.into_iter().flatten().collect();
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
