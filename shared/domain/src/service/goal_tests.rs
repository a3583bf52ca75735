//! Goals through the use cases: a month's sheet written at the version read and refused by
//! field, and attainment from the forecast totals, closed cases and the agents' leads, within
//! scopes.

use std::sync::Arc;

use crate::access::Role;
use crate::case::NewCase;
use crate::ids::{EntityId, StageKey, TenantId, UserId};
use crate::lead::{ConvertLead, NewLead};
use crate::money::Money;
use crate::sales::NewOpportunity;
use crate::sales::forecast::Month;
use crate::sales::goal::{Goal, GoalSheet, Success};
use crate::service::goals::GoalsError;
use crate::service::{PageRequest, Services};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue};
use crate::workflow::TransitionRequest;
use crate::{Actor, ExpectedVersion};

struct World {
    services: Services,
    admin: Actor,
    ana: Actor,
    carlos: Actor,
    sofia: Actor,
    account: EntityId,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RecordingQueue::default()),
        clock,
        Arc::new(MidJanuaryIds::default()),
    );
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let actor = |user: &str, role| Actor::with_role(&tenant, &UserId::parse(user).unwrap(), role);
    let admin = services.authorize(actor("admin", Role::Admin)).await.unwrap();
    let ana = services.authorize(actor("ana", Role::Agent)).await.unwrap();
    let carlos = services.authorize(actor("carlos", Role::Agent)).await.unwrap();
    let sofia = services.authorize(actor("sofia", Role::Supervisor)).await.unwrap();
    let accounts = services.list_accounts(&sofia, &Default::default(), &PageRequest::default()).await.unwrap();
    let account = accounts.items[0].value.id;
    World { services, admin, ana, carlos, sofia, account }
}

/// Ids (and so leads) made on 2026-01-15 at noon UTC, one millisecond apart: January in every
/// time zone.
#[derive(Default)]
struct MidJanuaryIds(std::sync::atomic::AtomicU64);

impl crate::ports::IdGenerator for MidJanuaryIds {
    fn next_id(&self) -> ulid::Ulid {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        ulid::Ulid::from_parts(1_768_478_400_000 + n, u128::from(n))
    }
}

const JANUARY: Month = Month { year: 2026, month: 1 };

fn user(name: &str) -> UserId {
    UserId::parse(name).unwrap()
}

fn won() -> Success {
    Success::Stage { pipeline: "sales".parse().unwrap(), stage: "won".parse().unwrap() }
}

fn goal(owner: &str, line: Option<&str>, success: Success, local: i64, second: i64) -> Goal {
    Goal {
        owner: user(owner),
        product_line: line.map(Into::into),
        success,
        local_target_minor: local,
        second_target_minor: second,
        customers_target: 2,
        prospects_target: 4,
    }
}

fn sheet(goals: Vec<Goal>) -> GoalSheet {
    GoalSheet { local_currency: "CRC".into(), second_currency: "USD".into(), goals }
}

async fn opportunity(w: &World, owner: &str, stage: &str, amount: Money, line: &str, close: jiff::civil::Date) {
    let input = NewOpportunity {
        name: format!("{owner} {stage} {line}"),
        account_id: w.account,
        contact_ids: Vec::new(),
        pipeline: None,
        stage: Some(StageKey::parse(stage).unwrap()),
        amount,
        expected_close_date: Some(close),
        probability: None,
        product_line: Some(line.into()),
        competitors: Vec::new(),
        owner: Some(user(owner)),
        source: None,
        campaign: None,
    };
    w.services.create_opportunity(&w.admin, input).await.expect("opportunity");
}

fn crc(amount_minor: i64) -> Money {
    Money { amount_minor, currency: "CRC".into() }
}

#[tokio::test]
async fn a_months_goals_are_written_at_the_version_read_and_refused_by_field() {
    let w = world().await;
    let empty = w.services.goals(&w.sofia, JANUARY).await.unwrap();
    assert_eq!((empty.version, empty.value.goals.len(), empty.value.local_currency.as_str()), (0, 0, "CRC"));

    let first = sheet(vec![goal("ana", Some("Equipos"), won(), 500_000, 1_000)]);
    let refused = w.services.save_goals(&w.sofia, JANUARY, first.clone(), None).await;
    assert!(matches!(refused, Err(GoalsError::Forbidden(_))), "a supervisor does not configure goals");
    let saved = w.services.save_goals(&w.admin, JANUARY, first.clone(), Some(ExpectedVersion::from(0))).await;
    assert_eq!(saved.unwrap().version, 1);
    let late = w.services.save_goals(&w.admin, JANUARY, first, Some(ExpectedVersion::from(0))).await;
    assert!(matches!(late, Err(GoalsError::Stale(0))), "{late:?}");

    let wrong = sheet(vec![
        goal("nadie", None, won(), 1, 1),
        goal("ana", None, Success::Stage { pipeline: "sales".parse().unwrap(), stage: "nunca".parse().unwrap() }, 1, 1),
        goal(
            "ana",
            None,
            Success::CaseState { case_type: "queja_calidad".parse().unwrap(), state: "en_analisis".into() },
            1,
            1,
        ),
        goal(
            "ana",
            Some("Equipos"),
            Success::CaseState { case_type: "queja_calidad".parse().unwrap(), state: "resuelta".into() },
            1,
            1,
        ),
        goal("carlos", None, won(), -5, 0),
        goal("carlos", None, won(), 1, 0),
    ]);
    let Err(GoalsError::Invalid(errors)) = w.services.save_goals(&w.admin, JANUARY, wrong, None).await else {
        panic!("refused")
    };
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "goals[1].success",
            "goals[2].success.state",
            "goals[3].productLine",
            "goals[4].localTargetMinor",
            "goals[5].owner",
            "goals[0].owner"
        ],
        "{errors:?}"
    );
    let kept = w.services.goals(&w.admin, JANUARY).await.unwrap();
    assert_eq!((kept.version, kept.value.goals.len()), (1, 1), "a refused sheet writes nothing");
}

#[tokio::test]
async fn attainment_counts_the_stage_by_line_and_currency_and_the_agents_leads_of_the_month() {
    let w = world().await;
    let in_january = jiff::civil::date(2026, 1, 20);
    opportunity(&w, "ana", "won", crc(300_000), "Equipos", in_january).await;
    opportunity(&w, "ana", "won", crc(100_000), "Servicio", in_january).await;
    opportunity(&w, "ana", "won", Money { amount_minor: 700, currency: "USD".into() }, "Equipos", in_january).await;
    opportunity(&w, "ana", "proposal", crc(900_000), "Equipos", in_january).await;
    opportunity(&w, "ana", "won", crc(50_000), "Equipos", jiff::civil::date(2026, 2, 2)).await;
    opportunity(&w, "carlos", "won", crc(80_000), "Equipos", in_january).await;
    for name in ["Lucía", "Mateo", "Irene"] {
        let email = Some(format!("{}@example.com", deunicode::deunicode(name).to_lowercase()));
        let lead = NewLead { name: name.into(), email, owner: Some(user("ana")), ..Default::default() };
        let lead = w.services.create_lead(&w.admin, lead).await.expect("lead");
        if name == "Lucía" {
            let convert = ConvertLead::default();
            w.services.convert_lead(&w.admin, lead.value.id, lead.version.into(), convert).await.expect("convert");
        }
    }
    let goals = sheet(vec![
        goal("ana", Some("Equipos"), won(), 500_000, 1_000),
        goal("ana", None, won(), 400_000, 0),
        goal("carlos", Some("Equipos"), won(), 100_000, 0),
    ]);
    w.services.save_goals(&w.admin, JANUARY, goals, None).await.unwrap();

    let month = w.services.goal_attainment(&w.sofia, JANUARY).await.unwrap();
    assert_eq!((month.month.as_str(), month.rows.len()), ("2026-01", 3));
    let equipos = &month.rows[0];
    assert_eq!(equipos.achieved.successes, 2, "the CRC and the USD opportunity of the line, won in January");
    assert_eq!((equipos.achieved.local_minor, equipos.achieved.second_minor), (300_000, 700));
    assert_eq!((equipos.local_percent, equipos.second_percent), (Some(60), Some(70)));
    assert_eq!((equipos.achieved.prospects, equipos.achieved.customers), (3, 1));
    assert_eq!((equipos.prospects_percent, equipos.customers_percent), (Some(75), Some(50)));
    let every_line = &month.rows[1];
    assert_eq!((every_line.achieved.local_minor, every_line.local_percent), (400_000, Some(100)));
    assert_eq!(every_line.second_percent, None, "no target, no percentage");
    assert_eq!((month.rows[2].achieved.local_minor, month.rows[2].achieved.prospects), (80_000, 0));

    let own = w.services.goal_attainment(&w.ana, JANUARY).await.unwrap();
    let owners: Vec<&str> = own.rows.iter().map(|r| r.goal.owner.as_str()).collect();
    assert_eq!(owners, ["ana", "ana"], "an agent sees her own goals");
    let none = w.services.goal_attainment(&w.carlos, Month { year: 2026, month: 3 }).await.unwrap();
    assert!(none.rows.is_empty());
}

#[tokio::test]
async fn a_case_state_goal_counts_the_cases_closed_in_it_during_the_month() {
    let w = world().await;
    let mut owners = Vec::new();
    for (subject, close) in [("Envase roto", true), ("Sello flojo", true), ("Etiqueta", false)] {
        let new = NewCase {
            case_type: "queja_calidad".into(),
            subject: subject.into(),
            amount: Some(crc(25_000)),
            ..NewCase::default()
        };
        let case = w.services.create_case(&w.ana, new).await.expect("case");
        owners.push((case.value.owner.clone(), close));
        let mut version = case.version;
        let steps: &[(&str, &str, serde_json::Value)] = if close {
            &[
                ("analizar", "en_analisis", serde_json::json!({})),
                ("diagnosticar", "procede", serde_json::json!({"lote": "L-1"})),
                ("solucionar", "resuelta", serde_json::json!({})),
            ]
        } else {
            &[("analizar", "en_analisis", serde_json::json!({}))]
        };
        for (action, result, fields) in steps {
            let step = TransitionRequest {
                action: (*action).into(),
                result: (*result).into(),
                note: Some("Hecho.".into()),
                fields: fields.as_object().cloned(),
                ..Default::default()
            };
            let moved = w.services.transition_case(&w.sofia, case.value.id, version.into(), step).await;
            version = moved.expect(action).case.version;
        }
    }
    // The workflow hands cases round; the goal is the first case's owner's.
    let owner = owners[0].0.clone().expect("the case has an owner");
    let closed = owners.iter().filter(|(o, close)| *close && o.as_ref() == Some(&owner)).count() as i64;
    let resolved = Success::CaseState { case_type: "queja_calidad".parse().unwrap(), state: "resuelta".into() };
    let november = Month { year: 2026, month: 11 };
    let goals = sheet(vec![goal(owner.as_str(), None, resolved, 100_000, 0)]);
    w.services.save_goals(&w.admin, november, goals, None).await.unwrap();
    let month = w.services.goal_attainment(&w.sofia, november).await.unwrap();
    let row = &month.rows[0];
    assert_eq!((row.achieved.successes, row.achieved.local_minor), (closed, closed * 25_000));
    assert_eq!(row.local_percent, Some(u32::try_from(closed * 25).unwrap()));
    let december = w.services.goal_attainment(&w.sofia, Month { year: 2026, month: 12 }).await.unwrap();
    assert!(december.rows.is_empty(), "December has no goals");
}
