//! The forecast as of a past day and a period's movement, through the use cases: changes made
//! over several days, then the forecast as each day ended, and what moved in and out.

use std::sync::Arc;

use crate::access::Role;
use crate::ids::{EntityId, StageKey, TenantId, UserId};
use crate::money::Money;
use crate::sales::forecast::PeriodKind;
use crate::sales::forecast_history::MovementKind;
use crate::sales::{NewOpportunity, OpportunityPatch};
use crate::service::forecast::ForecastQuery;
use crate::service::{PageRequest, Services};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::{Actor, Versioned};

struct World {
    services: Services,
    clock: Arc<ManualClock>,
    ana: Actor,
    sofia: Actor,
    account: EntityId,
}

async fn world() -> World {
    // 08:00 on 30 November in Costa Rica, the demo company's time zone.
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RecordingQueue::default()),
        clock.clone(),
        Arc::new(SequentialIds::default()),
    );
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let actor = |user: &str, role| Actor::with_role(&tenant, &UserId::parse(user).unwrap(), role);
    let ana = services.authorize(actor("ana", Role::Agent)).await.unwrap();
    let sofia = services.authorize(actor("sofia", Role::Supervisor)).await.unwrap();
    let accounts = services.list_accounts(&sofia, &Default::default(), &PageRequest::default()).await.unwrap();
    let account = accounts.items[0].value.id;
    World { services, clock, ana, sofia, account }
}

async fn open(
    w: &World,
    owner: &str,
    stage: &str,
    amount_minor: i64,
    close: jiff::civil::Date,
) -> Versioned<crate::sales::Opportunity> {
    let input = NewOpportunity {
        name: format!("{owner} {amount_minor}"),
        account_id: w.account,
        contact_ids: Vec::new(),
        pipeline: None,
        stage: Some(StageKey::parse(stage).unwrap()),
        amount: Money { amount_minor, currency: "CRC".into() },
        expected_close_date: Some(close),
        probability: None,
        product_line: None,
        competitors: Vec::new(),
        owner: Some(UserId::parse(owner).unwrap()),
        source: None,
        campaign: None,
    };
    w.services.create_opportunity(&w.sofia, input).await.unwrap()
}

fn quarter(as_of: Option<&str>) -> ForecastQuery {
    ForecastQuery {
        period: PeriodKind::Quarter,
        date: jiff::civil::date(2027, 2, 1),
        group_by: None,
        pipeline: None,
        as_of: as_of.map(|d| d.parse().unwrap()),
    }
}

/// (open amount, won amount) of the first quarter of 2027, as of a day.
async fn figures(w: &World, as_of: Option<&str>) -> (i64, i64) {
    let forecast = w.services.forecast(&w.sofia, &quarter(as_of)).await.unwrap();
    forecast.lines.iter().fold((0, 0), |(open, won), l| (open + l.pipeline_minor, won + l.won_minor))
}

#[tokio::test]
async fn the_forecast_as_of_a_past_day_and_the_periods_movement_are_recomputed_from_its_history() {
    let w = world().await;
    let date = jiff::civil::date;
    let a = open(&w, "ana", "proposal", 1_000_000, date(2027, 1, 15)).await;
    let b = open(&w, "ana", "qualification", 500_000, date(2027, 2, 10)).await;
    let c = open(&w, "carlos", "prospecting", 200_000, date(2027, 5, 1)).await;

    // Two days later: A is won, B pushed to April, C pulled into March, D opened for March.
    w.clock.advance(2 * 24 * 3600);
    let patch = |stage: Option<&str>, close: Option<jiff::civil::Date>| OpportunityPatch {
        stage: stage.map(|s| StageKey::parse(s).unwrap()),
        expected_close_date: close.map(Some),
        ..Default::default()
    };
    let s = &w.services;
    s.update_opportunity(&w.sofia, a.value.id, a.version.into(), patch(Some("won"), None)).await.unwrap();
    s.update_opportunity(&w.sofia, b.value.id, b.version.into(), patch(None, Some(date(2027, 4, 20)))).await.unwrap();
    s.update_opportunity(&w.sofia, c.value.id, c.version.into(), patch(None, Some(date(2027, 3, 1)))).await.unwrap();
    open(&w, "ana", "qualification", 300_000, date(2027, 3, 15)).await;

    assert_eq!(figures(&w, None).await, (500_000, 1_000_000), "now: C and D open, A won");
    assert_eq!(figures(&w, Some("2026-11-30")).await, (1_500_000, 0), "as 30 November ended: A and B open");
    assert_eq!(figures(&w, Some("2026-12-01")).await, (1_500_000, 0), "nothing happened on 1 December");
    assert_eq!(figures(&w, Some("2026-12-02")).await, figures(&w, None).await, "as of today: as now");
    assert_eq!(figures(&w, Some("2026-11-29")).await, (0, 0), "before any of them");

    let december = (Some(date(2026, 12, 1)), Some(date(2026, 12, 31)));
    let lines = s.forecast_movement(&w.sofia, &quarter(None), december.0, december.1).await.unwrap().lines;
    let moved: Vec<(MovementKind, i64, i64)> = lines.iter().map(|l| (l.kind, l.count, l.amount_minor)).collect();
    assert_eq!(
        moved,
        [
            (MovementKind::New, 1, 300_000),
            (MovementKind::PulledIn, 1, 200_000),
            (MovementKind::PushedOut, 1, 500_000),
            (MovementKind::Won, 1, 1_000_000)
        ]
    );
    let november = (Some(date(2026, 11, 1)), Some(date(2026, 11, 30)));
    let lines = s.forecast_movement(&w.sofia, &quarter(None), november.0, november.1).await.unwrap().lines;
    let moved: Vec<(MovementKind, i64, i64)> = lines.iter().map(|l| (l.kind, l.count, l.amount_minor)).collect();
    assert_eq!(moved, [(MovementKind::New, 2, 1_500_000)], "A and B were opened in November, C outside the quarter");

    let hers = s.forecast_movement(&w.ana, &quarter(None), december.0, december.1).await.unwrap().lines;
    let kinds: Vec<MovementKind> = hers.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, [MovementKind::New, MovementKind::PushedOut, MovementKind::Won], "Carlos's C is not hers");
}
