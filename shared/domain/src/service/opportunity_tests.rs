//! Opportunities through the use cases: stage moves and their history, scopes on every read,
//! the board, pipelines that retire instead of removing, and the backfill of old records.

use std::sync::Arc;

use crate::access::Role;
use crate::history::EventKind;
use crate::ids::{EntityId, StageKey, TenantId, UserId};
use crate::money::Money;
use crate::ports::{Condition, Index, Item, Key, Store, WriteOp};
use crate::sales::{NewOpportunity, OpportunityPatch, Pipelines};
use crate::service::opportunities::{GetOpportunityError, OpportunityFilter, UpdateOpportunityError};
use crate::service::pipelines::PipelinesError;
use crate::service::{PageRequest, Services};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::{Actor, ExpectedVersion};

struct World {
    store: Arc<MemoryStore>,
    services: Services,
    /// An agent: her own opportunities only.
    ana: Actor,
    /// Another agent, of another team.
    carlos: Actor,
    /// A supervisor: everyone's.
    sofia: Actor,
    admin: Actor,
    account: EntityId,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services =
        Services::new(store.clone(), Arc::new(RecordingQueue::default()), clock, Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let actor = |user: &str, role| Actor::with_role(&tenant, &UserId::parse(user).unwrap(), role);
    let ana = services.authorize(actor("ana", Role::Agent)).await.unwrap();
    let carlos = services.authorize(actor("carlos", Role::Agent)).await.unwrap();
    let sofia = services.authorize(actor("sofia", Role::Supervisor)).await.unwrap();
    let admin = services.authorize(actor("admin", Role::Admin)).await.unwrap();
    let accounts = services.list_accounts(&sofia, &Default::default(), &PageRequest::default()).await.unwrap();
    let account = accounts.items[0].value.id;
    World { store, services, ana, carlos, sofia, admin, account }
}

fn crc(amount_minor: i64) -> Money {
    Money { amount_minor, currency: "CRC".into() }
}

fn new(name: &str, account: EntityId) -> NewOpportunity {
    NewOpportunity {
        name: name.into(),
        account_id: account,
        contact_ids: Vec::new(),
        pipeline: None,
        stage: None,
        amount: crc(2_000_000),
        expected_close_date: Some(jiff::civil::date(2027, 1, 15)),
        probability: None,
        product_line: Some("Flotas".into()),
        competitors: vec!["Autos del Valle".into()],
        owner: None,
        source: None,
        campaign: None,
    }
}

fn to_stage(stage: &str) -> OpportunityPatch {
    OpportunityPatch { stage: Some(StageKey::parse(stage).unwrap()), ..Default::default() }
}

fn names(page: &crate::Page<crate::Versioned<crate::sales::Opportunity>>) -> Vec<String> {
    page.items.iter().map(|o| o.value.name.clone()).collect()
}

#[tokio::test]
async fn a_stage_move_sets_the_stages_probability_and_the_history_keeps_what_was_before() {
    let World { services, ana, account, .. } = world().await;
    let created = services.create_opportunity(&ana, new("Flota 2027", account)).await.unwrap();
    let o = &created.value;
    assert_eq!((o.stage.as_str(), o.probability, o.owner.as_ref()), ("prospecting", 10, Some(&ana.user)));
    assert_eq!(o.weighted_amount, crc(200_000));

    let moved = services.update_opportunity(&ana, o.id, ExpectedVersion::from(1), to_stage("proposal")).await.unwrap();
    assert_eq!((moved.version, moved.value.probability), (2, 50));
    let by_hand = OpportunityPatch { probability: Some(Some(65)), amount: Some(crc(3_000_000)), ..Default::default() };
    let moved = services.update_opportunity(&ana, o.id, ExpectedVersion::from(2), by_hand).await.unwrap();
    let moved = services
        .update_opportunity(&ana, o.id, ExpectedVersion::from(moved.version), to_stage("negotiation"))
        .await
        .unwrap();
    assert_eq!(
        (moved.value.probability, moved.value.weighted_amount.clone()),
        (65, crc(1_950_000)),
        "the hand-set value stays"
    );

    let history = services.opportunity_history(&ana, o.id, &PageRequest::default()).await.unwrap();
    let kinds: Vec<&EventKind> = history.items.iter().map(|e| &e.value.kind).collect();
    assert!(matches!(kinds[0], EventKind::Created { state } if state == "prospecting"));
    let EventKind::Updated { changes } = kinds[1] else { panic!("a change") };
    let stage = changes.iter().find(|c| c.field == "stage").unwrap();
    assert_eq!((stage.from.as_str(), stage.to.as_str()), (Some("prospecting"), Some("proposal")));
    let probability = changes.iter().find(|c| c.field == "probability").unwrap();
    assert_eq!((probability.from.as_u64(), probability.to.as_u64()), (Some(10), Some(50)));
    let EventKind::Updated { changes } = kinds[2] else { panic!("a change") };
    let amount = changes.iter().find(|c| c.field == "amount").unwrap();
    assert_eq!(amount.from["amountMinor"], 2_000_000);
    assert!(changes.iter().all(|c| c.field != "weightedAmount"), "what follows from others is not a change");
}

#[tokio::test]
async fn a_stale_version_a_retired_stage_and_a_missing_reason_are_refused_without_writing() {
    let World { services, ana, admin, account, .. } = world().await;
    let o = services.create_opportunity(&ana, new("Repuestos", account)).await.unwrap().value;
    let stale = services.update_opportunity(&ana, o.id, ExpectedVersion::from(7), to_stage("proposal")).await;
    assert!(matches!(stale, Err(UpdateOpportunityError::Stale { expected: 7 })));
    let Err(UpdateOpportunityError::Invalid(e)) =
        services.update_opportunity(&ana, o.id, ExpectedVersion::from(1), to_stage("lost")).await
    else {
        panic!("a lost stage needs the reason")
    };
    assert_eq!(e.0[0].field, "lostReason");

    let mut pipelines = Pipelines::default();
    pipelines.pipelines[0].stages[1].retired = true;
    services.save_pipelines(&admin, pipelines, Some(ExpectedVersion::from(0))).await.unwrap();
    let Err(UpdateOpportunityError::Invalid(e)) =
        services.update_opportunity(&ana, o.id, ExpectedVersion::from(1), to_stage("qualification")).await
    else {
        panic!("a retired stage takes no one new")
    };
    assert_eq!(e.0[0].field, "stage");
    let again = services.get_opportunity(&ana, o.id).await.unwrap();
    assert_eq!((again.version, again.value.stage.as_str()), (1, "prospecting"), "nothing was written");
}

#[tokio::test]
async fn pipelines_retire_stages_instead_of_removing_them_and_only_admins_change_them() {
    let World { services, ana, admin, .. } = world().await;
    let mut removed = Pipelines::default();
    removed.pipelines[0].stages.remove(2);
    let Err(PipelinesError::Invalid(e)) = services.save_pipelines(&admin, removed, None).await else {
        panic!("a seeded stage cannot go")
    };
    assert_eq!(e.0[0].field, "pipelines[0].stages");
    assert!(matches!(
        services.save_pipelines(&ana, Pipelines::default(), None).await,
        Err(PipelinesError::Forbidden(_))
    ));
    let saved = services.save_pipelines(&admin, Pipelines::default(), Some(ExpectedVersion::from(0))).await.unwrap();
    assert_eq!(saved.version, 1);
    assert!(matches!(
        services.save_pipelines(&admin, Pipelines::default(), Some(ExpectedVersion::from(0))).await,
        Err(PipelinesError::Stale(0))
    ));
}

#[tokio::test]
async fn every_read_stays_within_the_scope_and_the_board_has_a_column_per_active_stage() {
    let World { services, ana, carlos, sofia, account, .. } = world().await;
    let mine = services.create_opportunity(&ana, new("De Ana", account)).await.unwrap().value;
    let theirs = services.create_opportunity(&carlos, new("De Carlos", account)).await.unwrap().value;
    services.update_opportunity(&carlos, theirs.id, ExpectedVersion::from(1), to_stage("proposal")).await.unwrap();

    let page = PageRequest::default();
    let all = OpportunityFilter::default();
    assert_eq!(names(&services.list_opportunities(&ana, &all, &page).await.unwrap()), ["De Ana"]);
    let mut both = names(&services.list_opportunities(&sofia, &all, &page).await.unwrap());
    both.sort();
    assert_eq!(both, ["De Ana", "De Carlos"]);
    let by_account = OpportunityFilter { account: Some(account), ..Default::default() };
    assert_eq!(names(&services.list_opportunities(&ana, &by_account, &page).await.unwrap()), ["De Ana"]);
    let carlos_filter = OpportunityFilter { owner: Some(carlos.user.clone()), ..Default::default() };
    assert!(services.list_opportunities(&ana, &carlos_filter, &page).await.unwrap().items.is_empty());
    assert!(matches!(services.get_opportunity(&ana, theirs.id).await, Err(GetOpportunityError::NotFound)));
    assert!(matches!(
        services.update_opportunity(&ana, theirs.id, ExpectedVersion::from(2), to_stage("won")).await,
        Err(UpdateOpportunityError::NotFound)
    ));

    let board = services.opportunity_board(&sofia, None, None).await.unwrap().unwrap();
    let columns: Vec<(&str, Vec<String>)> = board
        .columns
        .iter()
        .map(|c| (c.stage.key.as_str(), c.cards.items.iter().map(|o| o.value.name.clone()).collect()))
        .collect();
    assert_eq!(columns.len(), 6);
    assert_eq!(columns[0], ("prospecting", vec!["De Ana".to_owned()]));
    assert_eq!(columns[2], ("proposal", vec!["De Carlos".to_owned()]));
    let hers = services.opportunity_board(&ana, None, None).await.unwrap().unwrap();
    assert!(hers.columns[2].cards.items.is_empty(), "the scoped column reads her partition only");
    assert_eq!(hers.columns[0].cards.items[0].value.id, mine.id);
}

#[tokio::test]
async fn opportunities_stored_before_pipelines_are_read_upgraded_and_indexed_once() {
    let World { store, services, sofia, account, .. } = world().await;
    let id = EntityId::from_ulid(ulid::Ulid(42));
    let tenant = &sofia.tenant;
    let body = serde_json::json!({
        "accountId": account, "amount": {"amountMinor": 1_000_000, "currency": "CRC"},
        "contactId": EntityId::from_ulid(ulid::Ulid(43)), "createdAt": "2026-10-01T10:00:00Z", "createdBy": "sofia",
        "id": id, "leadId": EntityId::from_ulid(ulid::Ulid(44)), "name": "Antigua", "owner": "ana", "stage": "negotiation"
    });
    let item = Item::new(crate::keys::opportunity(tenant, id), "Opportunity", 1, body.as_object().unwrap().clone())
        .with_index(Index::Gsi3, crate::keys::opportunities_of_account(tenant, account, id));
    store.write(vec![WriteOp::Put { item, condition: Condition::ALWAYS }]).await.unwrap();

    let old = services.get_opportunity(&sofia, id).await.unwrap().value;
    assert_eq!((old.pipeline.as_str(), old.probability, old.contact_ids.len()), ("sales", 75, 1));
    assert!(
        services
            .list_opportunities(&sofia, &OpportunityFilter::default(), &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(services.index_opportunities(tenant).await.unwrap(), 1);
    assert_eq!(services.index_opportunities(tenant).await.unwrap(), 0, "a second pass writes nothing");
    let listed =
        services.list_opportunities(&sofia, &OpportunityFilter::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(names(&listed), ["Antigua"]);
    let stored = store.get(&Key::new(crate::keys::opportunity(tenant, id).pk, "#META")).await.unwrap().unwrap();
    assert_eq!(stored.version, 1, "the backfill keeps the version");
}

mod forecast {
    use proptest::prelude::*;

    use super::*;
    use crate::sales::forecast::{ForecastLine, PeriodKind};
    use crate::service::forecast::{ForecastQuery, GroupBy};

    fn query(period: PeriodKind, date: &str, group_by: Option<GroupBy>) -> ForecastQuery {
        ForecastQuery { period, date: date.parse().unwrap(), group_by, pipeline: None, as_of: None }
    }

    fn line<'a>(lines: &'a [ForecastLine], group: Option<&str>) -> &'a ForecastLine {
        lines.iter().find(|l| l.group.as_deref() == group).unwrap_or_else(|| panic!("no line {group:?}: {lines:?}"))
    }

    #[tokio::test]
    async fn the_forecast_follows_creations_moves_and_scopes_without_reading_opportunities() {
        let World { services, ana, carlos, sofia, account, .. } = world().await;
        let open = |name: &str, close: (i16, i8, i8)| NewOpportunity {
            expected_close_date: Some(jiff::civil::date(close.0, close.1, close.2)),
            ..new(name, account)
        };
        let a = services.create_opportunity(&ana, open("A", (2027, 1, 15))).await.unwrap().value;
        let b = services.create_opportunity(&ana, open("B", (2027, 2, 10))).await.unwrap().value;
        let c = services.create_opportunity(&carlos, open("C", (2027, 1, 31))).await.unwrap().value;
        services.create_opportunity(&carlos, open("D", (2027, 4, 1))).await.unwrap();
        services.update_opportunity(&ana, b.id, ExpectedVersion::from(1), to_stage("negotiation")).await.unwrap();
        services.update_opportunity(&carlos, c.id, ExpectedVersion::from(1), to_stage("won")).await.unwrap();

        let january = services.forecast(&sofia, &query(PeriodKind::Month, "2027-01-20", None)).await.unwrap();
        assert_eq!((january.from.to_string(), january.to.to_string()), ("2027-01-01".into(), "2027-01-31".into()));
        let all = line(&january.lines, None);
        assert_eq!(
            (all.open_count, all.pipeline_minor, all.weighted_minor),
            (1, 2_000_000, 200_000),
            "A, open at 10 %"
        );
        assert_eq!((all.won_count, all.won_minor, all.commit_minor), (1, 2_000_000, 2_000_000), "C, won");

        let quarter =
            services.forecast(&sofia, &query(PeriodKind::Quarter, "2027-02-01", Some(GroupBy::Owner))).await.unwrap();
        let hers = line(&quarter.lines, Some("ana"));
        assert_eq!((hers.open_count, hers.pipeline_minor, hers.commit_minor), (2, 4_000_000, 2_000_000), "B in commit");
        assert_eq!(hers.weighted_minor, 200_000 + 1_500_000);
        let his = line(&quarter.lines, Some("carlos"));
        assert_eq!((his.open_count, his.won_count), (0, 1), "D closes in April, outside the quarter");

        // Pushing A out of January moves its total with it; Ana sees only her own.
        let push =
            OpportunityPatch { expected_close_date: Some(Some(jiff::civil::date(2027, 5, 2))), ..Default::default() };
        services.update_opportunity(&ana, a.id, ExpectedVersion::from(1), push).await.unwrap();
        let january = services.forecast(&sofia, &query(PeriodKind::Month, "2027-01-01", None)).await.unwrap();
        assert_eq!(line(&january.lines, None).open_count, 0);
        let hers_only =
            services.forecast(&ana, &query(PeriodKind::Quarter, "2027-01-01", Some(GroupBy::Owner))).await.unwrap();
        assert!(hers_only.lines.iter().all(|l| l.group.as_deref() == Some("ana")), "{:?}", hers_only.lines);
        let by_line = services
            .forecast(&sofia, &query(PeriodKind::Quarter, "2027-01-01", Some(GroupBy::ProductLine)))
            .await
            .unwrap();
        assert_eq!(line(&by_line.lines, Some("Flotas")).commit_minor, 4_000_000);
    }

    /// One step of a generated history: open an opportunity, or change one.
    #[derive(Debug, Clone)]
    enum Step {
        Open {
            carlos: bool,
            month: i8,
            amount: i64,
            stage: usize,
        },
        Change {
            which: usize,
            month: Option<i8>,
            amount: Option<i64>,
            stage: Option<usize>,
            probability: Option<u8>,
            to_carlos: Option<bool>,
        },
    }

    const STAGES: [&str; 5] = ["prospecting", "qualification", "proposal", "negotiation", "won"];

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (any::<bool>(), 1i8..=6, 1i64..5_000_000, 0usize..5)
                .prop_map(|(carlos, month, amount, stage)| Step::Open { carlos, month, amount, stage }),
            (
                0usize..8,
                prop::option::of(1i8..=6),
                prop::option::of(1i64..5_000_000),
                prop::option::of(0usize..5),
                prop::option::of(0u8..=100),
                prop::option::of(any::<bool>())
            )
                .prop_map(|(which, month, amount, stage, probability, to_carlos)| Step::Change {
                    which,
                    month,
                    amount,
                    stage,
                    probability,
                    to_carlos
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever happened, the totals say what reading every opportunity would.
        #[test]
        fn the_totals_always_equal_a_count_of_the_opportunities(steps in prop::collection::vec(step(), 1..14)) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async move {
                let World { services, sofia, account, .. } = world().await;
                let owner = |carlos: bool| UserId::parse(if carlos { "carlos" } else { "ana" }).unwrap();
                let mut ids = Vec::new();
                for step in steps {
                    match step {
                        Step::Open { carlos, month, amount, stage } => {
                            let input = NewOpportunity {
                                owner: Some(owner(carlos)),
                                stage: Some(StageKey::parse(STAGES[stage]).unwrap()),
                                amount: crc(amount),
                                expected_close_date: Some(jiff::civil::date(2027, month, 10)),
                                ..new("Generada", account)
                            };
                            ids.push(services.create_opportunity(&sofia, input).await.unwrap().value.id);
                        }
                        Step::Change { which, month, amount, stage, probability, to_carlos } if !ids.is_empty() => {
                            let id = ids[which % ids.len()];
                            let current = services.get_opportunity(&sofia, id).await.unwrap();
                            let patch = OpportunityPatch {
                                expected_close_date: month.map(|m| Some(jiff::civil::date(2027, m, 20))),
                                amount: amount.map(crc),
                                stage: stage.map(|s| StageKey::parse(STAGES[s]).unwrap()),
                                probability: probability.map(Some),
                                owner: to_carlos.map(owner),
                                ..Default::default()
                            };
                            // A refused change (a stage asking for what is missing) changes nothing.
                            let _ = services.update_opportunity(&sofia, id, ExpectedVersion::from(current.version), patch).await;
                        }
                        Step::Change { .. } => {}
                    }
                }
                let forecast = services
                    .forecast(&sofia, &query(PeriodKind::FiscalYear, "2027-03-01", Some(GroupBy::Owner)))
                    .await
                    .unwrap();
                let all = services.list_opportunities(&sofia, &OpportunityFilter::default(), &PageRequest { limit: 100, cursor: None }).await.unwrap();
                let pipelines = Pipelines::default();
                let mut expected: std::collections::BTreeMap<String, ForecastLine> = Default::default();
                for o in all.items.iter().map(|o| &o.value) {
                    let (cell, contribution) = crate::sales::forecast::cell_of(o);
                    let owner = o.owner.as_ref().unwrap().to_string();
                    let line = expected.entry(owner.clone()).or_insert_with(|| ForecastLine { group: Some(owner), currency: "CRC".into(), ..Default::default() });
                    line.add(crate::sales::forecast::category_of(&cell, &pipelines), contribution);
                }
                let expected: Vec<ForecastLine> = expected.into_values().collect();
                assert_eq!(forecast.lines, expected);
            });
        }
    }
}
