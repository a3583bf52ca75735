//! The forecast-scaling scenario shared by the benchmark binary and its test: a tenant with
//! `stored` opportunities (20 owners, 12 close months, every stage of the seeded pipeline, five
//! business lines, two currencies) and the running totals they make, plus a few changed through
//! the use cases; then a fiscal year's forecast by owner, counted and timed warm; then, after one
//! opportunity in twenty changed, the same forecast as of the day before the changes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use gestiona_domain::ids::{PipelineKey, StageKey};
use gestiona_domain::money::Money;
use gestiona_domain::ports::{Condition, Item, Store, WriteOp};
use gestiona_domain::records;
use gestiona_domain::sales::forecast::{self, Contribution, PeriodKind};
use gestiona_domain::sales::forecast_history::{CellDelta, Movement};
use gestiona_domain::sales::opportunity::weighted;
use gestiona_domain::sales::{NewOpportunity, Opportunity, OpportunityPatch, Pipelines};
use gestiona_domain::service::forecast::MOVEMENT_ENTITY;
use gestiona_domain::service::forecast::{ForecastQuery, GroupBy};
use gestiona_domain::service::opportunities::opportunity_item;
use gestiona_domain::{EntityId, UserId, keys};

use crate::bench_company::BenchCompany;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastFigures {
    pub stored: usize,
    /// Lines of the forecast (owner × currency).
    pub lines: usize,
    pub queries: usize,
    pub items_read: usize,
    pub gets: usize,
    /// The median of the warm runs.
    pub micros: u128,
    /// Changes written after the day the forecast is then read as of (one in twenty).
    pub changes_since: usize,
    /// The same forecast as of that day: its queries, items read and warm median.
    pub as_of_queries: usize,
    pub as_of_items_read: usize,
    pub as_of_micros: u128,
}

const OWNERS: usize = 20;
const LINES: [&str; 5] = ["Flotas", "Repuestos", "Equipos", "Servicio", "Proyectos"];

/// Runs the scenario on `store` (which must be empty); `runs` warm forecasts are timed.
pub async fn run(store: Arc<dyn Store>, stored: usize, runs: usize) -> ForecastFigures {
    let BenchCompany { services, counting, tenant, admin, account } = crate::bench_company::seed(store.clone()).await;
    let pipelines = Pipelines::default();
    let stages: Vec<_> = pipelines.pipelines[0].stages.clone();
    let at: jiff::Timestamp = "2026-11-01T12:00:00Z".parse().unwrap();

    // Bulk: the opportunities (written directly) and the totals they make, 100 writes a batch.
    let mut cells: BTreeMap<forecast::Cell, Contribution> = BTreeMap::new();
    let mut ops = Vec::new();
    for n in 0..stored {
        // Spread so that every (owner, month, stage, line, currency) fills up: the most totals a
        // year of this company can hold (14 400), the forecast's worst case.
        let stage = &stages[(n / (OWNERS * 12)) % stages.len()];
        let amount = Money {
            amount_minor: 100_000 + (n as i64 % 97) * 10_000,
            currency: if (n / (OWNERS * 12 * 6 * LINES.len())) % 2 == 1 { "USD" } else { "CRC" }.into(),
        };
        let owner = UserId::parse(&format!("vendedor{}", n % OWNERS)).unwrap();
        let id = EntityId::from_ulid(ulid::Ulid::from_parts(1_700_000_000_000 + n as u64, n as u128));
        let place = (PipelineKey::parse("sales").unwrap(), stage.key.clone());
        let mut o = Opportunity {
            expected_close_date: Some(jiff::civil::date(2027, ((n / OWNERS) % 12) as i8 + 1, 15)),
            product_line: Some(LINES[(n / (OWNERS * 12 * 6)) % LINES.len()].into()),
            ..Opportunity::open(id, format!("Oportunidad {n}"), place, amount, account, (&owner, at))
        };
        o.probability = stage.probability;
        o.weighted_amount = weighted(&o.amount, stage.probability);
        let (cell, contribution) = forecast::cell_of(&o);
        let total = cells.entry(cell).or_default();
        *total = total.plus(contribution);
        ops.push(WriteOp::Put { item: opportunity_item(&tenant, &o, 1).unwrap(), condition: Condition::ALWAYS });
        if ops.len() == 100 {
            store.write(std::mem::take(&mut ops)).await.unwrap();
        }
    }
    for (cell, c) in cells {
        ops.push(WriteOp::Add {
            key: keys::forecast_cell(&tenant, &cell),
            entity: gestiona_domain::service::forecast::CELL_ENTITY,
            amounts: vec![
                (forecast::COUNT, c.count),
                (forecast::AMOUNT, c.amount_minor),
                (forecast::WEIGHTED, c.weighted_minor),
            ],
        });
        if ops.len() == 100 {
            store.write(std::mem::take(&mut ops)).await.unwrap();
        }
    }
    if !ops.is_empty() {
        store.write(ops).await.unwrap();
    }
    // A few through the use cases: opened, then moved.
    for n in 0..10 {
        let input = NewOpportunity {
            name: format!("Viva {n}"),
            account_id: account,
            contact_ids: Vec::new(),
            pipeline: None,
            stage: None,
            amount: Money { amount_minor: 500_000, currency: "CRC".into() },
            expected_close_date: Some(jiff::civil::date(2027, 3, 1)),
            probability: None,
            product_line: None,
            competitors: Vec::new(),
            owner: None,
            source: None,
            campaign: None,
        };
        let created = services.create_opportunity(&admin, input).await.unwrap();
        let patch = OpportunityPatch { stage: Some(StageKey::parse("proposal").unwrap()), ..Default::default() };
        services.update_opportunity(&admin, created.value.id, created.version.into(), patch).await.unwrap();
    }

    let query = ForecastQuery {
        period: PeriodKind::FiscalYear,
        date: jiff::civil::date(2027, 6, 1),
        group_by: Some(GroupBy::Owner),
        pipeline: None,
        as_of: None,
    };
    services.forecast(&admin, &query).await.unwrap(); // warm up
    counting.counts.reset();
    let forecast = services.forecast(&admin, &query).await.unwrap();
    let (queries, items_read, gets) = counting.counts.snapshot();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        std::hint::black_box(services.forecast(&admin, &query).await.unwrap());
        times.push(started.elapsed().as_micros());
    }
    times.sort_unstable();
    let micros = times[times.len() / 2];

    // One opportunity in twenty changed stage after the day the forecast is then read as of:
    // each change moves its totals and files its movement, as the use cases do.
    let changed_at: jiff::Timestamp = "2026-11-20T12:00:00Z".parse().unwrap();
    let changes_since = stored / 20;
    let mut ops = Vec::new();
    for n in 0..changes_since {
        let owner = UserId::parse(&format!("vendedor{}", n % OWNERS)).unwrap();
        let month = forecast::Month { year: 2027, month: ((n / OWNERS) % 12) as i8 + 1 };
        let cell = |stage: &StageKey| forecast::Cell {
            month: Some(month),
            owner: Some(owner.clone()),
            pipeline: PipelineKey::parse("sales").unwrap(),
            stage: stage.clone(),
            currency: "CRC".into(),
            line: Some(LINES[n % LINES.len()].into()),
        };
        let (from, to) = (cell(&stages[0].key), cell(&stages[1].key));
        let id = EntityId::from_ulid(ulid::Ulid::from_parts(1_800_000_000_000 + n as u64, n as u128));
        let delta = |c: &forecast::Cell, count: i64| CellDelta {
            cell: keys::forecast_cell(&tenant, c).sk,
            count,
            amount_minor: count * 100_000,
            weighted_minor: count * 10_000,
        };
        let movement = Movement {
            opportunity_id: id,
            at: changed_at,
            pipeline: from.pipeline.clone(),
            from_month: Some(month.key()),
            to_month: Some(month.key()),
            from_owner: Some(owner.clone()),
            to_owner: Some(owner.clone()),
            currency: "CRC".into(),
            from_minor: 100_000,
            to_minor: 100_000,
            created: false,
            backfilled: false,
            won: false,
            lost: false,
            deltas: vec![delta(&from, -1), delta(&to, 1)],
        };
        let key = keys::forecast_movement(&tenant, &month.key(), changed_at, id, 2);
        let item = Item::new(key, MOVEMENT_ENTITY, 1, records::body(&movement).unwrap());
        ops.push(WriteOp::Put { item, condition: Condition::ALWAYS });
        for (c, count) in [(&from, -1), (&to, 1)] {
            ops.push(WriteOp::Add {
                key: keys::forecast_cell(&tenant, c),
                entity: gestiona_domain::service::forecast::CELL_ENTITY,
                amounts: vec![
                    (forecast::COUNT, count),
                    (forecast::AMOUNT, count * 100_000),
                    (forecast::WEIGHTED, count * 10_000),
                ],
            });
        }
        if ops.len() >= 96 {
            store.write(std::mem::take(&mut ops)).await.unwrap();
        }
    }
    if !ops.is_empty() {
        store.write(std::mem::take(&mut ops)).await.unwrap();
    }
    let as_of = ForecastQuery { as_of: Some(jiff::civil::date(2026, 11, 19)), ..query };
    services.forecast(&admin, &as_of).await.unwrap(); // warm up
    counting.counts.reset();
    services.forecast(&admin, &as_of).await.unwrap();
    let (as_of_queries, as_of_items_read, _) = counting.counts.snapshot();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        std::hint::black_box(services.forecast(&admin, &as_of).await.unwrap());
        times.push(started.elapsed().as_micros());
    }
    times.sort_unstable();
    ForecastFigures {
        stored,
        lines: forecast.lines.len(),
        queries,
        items_read,
        gets,
        micros,
        changes_since,
        as_of_queries,
        as_of_items_read,
        as_of_micros: times[times.len() / 2],
    }
}
