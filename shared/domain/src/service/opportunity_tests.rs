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
