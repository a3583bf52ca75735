//! Use-case tests on the in-memory adapters: what a request does to the store and the queue,
//! with no I/O (they run in a plain `cargo test`).

use std::sync::Arc;

use crate::case::{CasePatch, NewCase};
use crate::history::EventKind;
use crate::ids::TenantId;
use crate::ports::Store;
use crate::service::cases::UpdateCaseError;
use crate::service::{PageRequest, Services};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::{Actor, Role, UserId};

struct World {
    services: Services,
    queue: Arc<RecordingQueue>,
    ana: Actor,
}

async fn demo() -> World {
    let queue = Arc::new(RecordingQueue::default());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(store, queue.clone(), clock, Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    assert!(services.seed_demo(&tenant).await.expect("seed"), "a new tenant is seeded");
    assert!(!services.seed_demo(&tenant).await.expect("seed again"), "seeding twice changes nothing");
    let ana = Actor::with_role(&tenant, &UserId::parse("ana").unwrap(), Role::Agent);
    World { services, queue, ana }
}

/// The demo tenant on a store the test can inspect and rewrite, and its supervisor.
async fn demo_on_inspectable_store() -> (Arc<MemoryStore>, Services, Actor) {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services =
        Services::new(store.clone(), Arc::new(RecordingQueue::default()), clock, Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let sofia = Actor::with_role(&tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    (store, services, sofia)
}

fn complaint(subject: &str) -> NewCase {
    NewCase { case_type: "queja_calidad".into(), subject: subject.into(), ..NewCase::default() }
}

#[tokio::test]
async fn a_new_case_is_written_with_its_history_and_its_effects_are_published() {
    let World { services, queue, ana } = demo().await;
    let published_before = queue.published().len();
    let case = services.create_case(&ana, complaint("Producto vencido")).await.expect("create");
    assert_eq!((case.version, case.value.state.as_str()), (1, "registrada"));

    let history = services.case_history(&ana, case.value.id, &PageRequest::default()).await.unwrap();
    let kinds: Vec<&EventKind> = history.items.iter().map(|e| &e.value.kind).collect();
    assert!(matches!(kinds[0], EventKind::Created { state } if state == "registrada"), "{kinds:?}");
    let enqueued: Vec<&str> = kinds
        .iter()
        .filter_map(|k| match k {
            EventKind::EffectEnqueued { effect_id, .. } => Some(effect_id.as_str()),
            _ => None,
        })
        .collect();
    assert!(!enqueued.is_empty(), "the initial state notifies: {kinds:?}");
    let published: Vec<String> = queue.published()[published_before..].iter().map(|m| m.effect_id.clone()).collect();
    assert_eq!(published, enqueued, "each effect in the history was published once, with its id");
}

#[tokio::test]
async fn a_stale_update_is_refused_and_changes_nothing() {
    let World { services, ana, .. } = demo().await;
    let case = services.create_case(&ana, complaint("Sacos húmedos")).await.unwrap();
    let rename = |subject: &str| CasePatch { subject: Some(subject.into()), ..CasePatch::default() };
    let updated = services.update_case(&ana, case.value.id, 1.into(), rename("Sacos mojados")).await.expect("update");
    assert_eq!(updated.version, 2);
    let stale = services.update_case(&ana, case.value.id, 1.into(), rename("Otro")).await;
    assert!(matches!(stale, Err(UpdateCaseError::Stale { expected: 1 })), "{stale:?}");
    let read = services.get_case(&ana, case.value.id).await.unwrap();
    assert_eq!((read.version, read.value.subject.as_str()), (2, "Sacos mojados"));
}

#[tokio::test]
async fn naming_an_owner_at_creation_follows_the_reassignment_rule() {
    use crate::service::cases::CreateCaseError;
    let World { services, ana, .. } = demo().await;
    let owned_by = |owner: &str| NewCase { owner: Some(UserId::parse(owner).unwrap()), ..complaint("Saco roto") };

    let own = services.create_case(&ana, owned_by("ana")).await.expect("an agent may take a case herself");
    assert_eq!(own.value.owner.as_ref().map(UserId::as_str), Some("ana"));
    let someone_else = services.create_case(&ana, owned_by("carlos")).await;
    assert!(matches!(someone_else, Err(CreateCaseError::Forbidden(_))), "{someone_else:?}");

    let sofia = Actor { user: UserId::parse("sofia").unwrap(), role: Role::Supervisor, ..ana.clone() };
    let assigned = services.create_case(&sofia, owned_by("carlos")).await.expect("a supervisor assigns");
    assert_eq!(assigned.value.owner.as_ref().map(UserId::as_str), Some("carlos"));
    let nobody = services.create_case(&sofia, owned_by("nadie")).await;
    match nobody {
        Err(CreateCaseError::Invalid(errors)) => assert_eq!(errors.0[0].field, "owner"),
        other => panic!("an owner outside the directory is refused: {other:?}"),
    }
}

#[tokio::test]
async fn saved_views_are_personal_unless_a_supervisor_shares_them() {
    use crate::service::views::{DeleteViewError, NewSavedView, SaveViewError};
    let World { services, ana, .. } = demo().await;
    let sofia = Actor { user: UserId::parse("sofia").unwrap(), role: Role::Supervisor, ..ana.clone() };
    let carlos = Actor { user: UserId::parse("carlos").unwrap(), ..ana.clone() };
    let view = |name: &str, shared: bool| NewSavedView {
        list: "cases".into(),
        name: name.into(),
        query: "?priority=urgent".into(),
        shared,
    };

    let refused = services.save_view(&ana, view("Urgentes de todos", true)).await;
    assert!(matches!(refused, Err(SaveViewError::Forbidden(_))), "an agent cannot share: {refused:?}");
    let blank = services.save_view(&ana, view("  ", false)).await;
    assert!(matches!(blank, Err(SaveViewError::Invalid(_))), "a view needs a name");
    let elsewhere = services.save_view(&ana, NewSavedView { list: "nada".into(), ..view("x", false) }).await;
    assert!(matches!(elsewhere, Err(SaveViewError::Invalid(_))), "only lists that have views");

    let mine = services.save_view(&ana, view("mis urgentes", false)).await.unwrap();
    assert_eq!(mine.query, "priority=urgent", "stored without the leading '?'");
    let team = services.save_view(&sofia, view("Urgentes del equipo", true)).await.unwrap();
    services.save_view(&carlos, view("Los de Carlos", false)).await.unwrap();

    let names = |views: Vec<crate::service::views::SavedView>| views.into_iter().map(|v| v.name).collect::<Vec<_>>();
    assert_eq!(names(services.list_views(&ana, "cases").await.unwrap()), ["Urgentes del equipo", "mis urgentes"]);
    assert_eq!(names(services.list_views(&sofia, "cases").await.unwrap()), ["Urgentes del equipo"]);

    let not_theirs = services.delete_view(&ana, "cases", team.id).await;
    assert!(matches!(not_theirs, Err(DeleteViewError::Forbidden(_))), "only a supervisor removes a shared view");
    let unseen = services.delete_view(&sofia, "cases", mine.id).await;
    assert!(matches!(unseen, Err(DeleteViewError::NotFound)), "nobody removes another's own view");
    services.delete_view(&ana, "cases", mine.id).await.unwrap();
    services.delete_view(&sofia, "cases", team.id).await.unwrap();
    assert!(services.list_views(&ana, "cases").await.unwrap().is_empty());
}

#[tokio::test]
async fn cases_are_filtered_by_branch_priority_channel_and_the_days_they_were_opened() {
    use crate::case::{Channel, Priority};
    use crate::service::case_list::{CaseFilter, CaseSort};
    let World { services, ana, .. } = demo().await;
    let sofia = Actor { user: UserId::parse("sofia").unwrap(), role: Role::Supervisor, ..ana.clone() };
    let all = PageRequest::new(Some(100), None).unwrap();
    let subjects = |filter: CaseFilter| {
        let services = &services;
        let sofia = &sofia;
        let all = &all;
        async move {
            let found = services.list_cases(sofia, &filter, all).await.unwrap();
            found.items.into_iter().map(|c| c.value.subject).collect::<Vec<_>>()
        }
    };
    let urgent = subjects(CaseFilter { priority: Some(Priority::Urgent), ..Default::default() }).await;
    assert_eq!(urgent, ["Lote de café 2026-41 con humedad"]);
    let heredia = subjects(CaseFilter { branch: Some("HEREDIA".into()), ..Default::default() }).await;
    assert_eq!(heredia, ["Lote de café 2026-41 con humedad"], "branches without case");
    let by_phone = subjects(CaseFilter { channel: Some(Channel::Phone), ..Default::default() }).await;
    assert!(by_phone.iter().all(|s| s.contains("Camión")) && !by_phone.is_empty(), "{by_phone:?}");

    // The demo was seeded at 08:00 on 30 November in Costa Rica (14:00 UTC).
    let day = |d: &str| Some(d.parse::<jiff::civil::Date>().unwrap());
    let opened_that_day =
        CaseFilter { created_from: day("2026-11-30"), created_to: day("2026-11-30"), ..Default::default() };
    assert_eq!(subjects(opened_that_day).await.len(), subjects(CaseFilter::default()).await.len());
    let before = CaseFilter { created_to: day("2026-11-29"), ..Default::default() };
    assert!(subjects(before).await.is_empty());
    let newest = subjects(CaseFilter::default()).await;
    let mut oldest = subjects(CaseFilter { sort: CaseSort::Oldest, ..Default::default() }).await;
    oldest.reverse();
    assert_eq!(newest, oldest, "oldest first is the same list the other way round");
    let backwards = CaseFilter { created_from: day("2026-12-01"), created_to: day("2026-11-30"), ..Default::default() };
    assert!(
        services.list_cases(&sofia, &backwards, &all).await.is_err(),
        "an empty range is an error, not an empty list"
    );
}

#[tokio::test]
async fn a_cases_deadline_is_its_nearest_running_clock() {
    use crate::workflow::TransitionRequest;
    let World { services, ana, .. } = demo().await;
    let complaint = services.create_case(&ana, complaint("Etiquetas borrosas")).await.unwrap();
    let no_policy =
        NewCase { case_type: "recepcion_vehiculos".into(), subject: "Revisión".into(), ..NewCase::default() };
    let mut no_policy = no_policy;
    no_policy.custom_fields = Some(serde_json::json!({"placa": "AB-1"}).as_object().cloned().unwrap());
    let vehicle = services.create_case(&ana, no_policy).await.unwrap();
    let ids = [complaint.value.id, vehicle.value.id];
    let deadlines = services.case_deadlines(&ana, &ids).await.unwrap();
    let sla = services.case_sla(&ana, complaint.value.id).await.unwrap();
    let nearest = sla.clocks.iter().filter_map(|c| c.due_at).min().unwrap();
    assert_eq!(deadlines[&complaint.value.id].due_at, nearest, "the earliest of its clocks");
    assert!(deadlines[&complaint.value.id].warn_at.is_some_and(|w| w < nearest));
    assert!(deadlines.contains_key(&vehicle.value.id), "a state time limit is a deadline too, policy or not");
    assert!(services.case_deadlines(&ana, &[]).await.unwrap().is_empty(), "no cases, no read, no deadline");

    // Waiting on the customer pauses the clocks: no running deadline.
    let step = |action: &str, result: &str| TransitionRequest {
        action: action.into(),
        result: result.into(),
        ..Default::default()
    };
    let moved = services
        .transition_case(&ana, complaint.value.id, complaint.version.into(), step("analizar", "en_analisis"))
        .await
        .unwrap();
    services
        .transition_case(
            &ana,
            complaint.value.id,
            moved.case.version.into(),
            TransitionRequest { note: Some("Fotos del lote".into()), ..step("solicitar_informacion", "solicitada") },
        )
        .await
        .unwrap();
    let deadlines = services.case_deadlines(&ana, &ids).await.unwrap();
    assert!(!deadlines.contains_key(&complaint.value.id), "{deadlines:?}");
}

#[tokio::test]
async fn a_state_time_limit_is_enforced_without_a_policy_on_the_default_calendar() {
    use crate::sla::{ClockKind, ClockStatus};
    let queue = Arc::new(RecordingQueue::default());
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(store, queue, clock.clone(), Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let ana = Actor::with_role(&tenant, &UserId::parse("ana").unwrap(), Role::Agent);
    // "Recepción de vehículos" declares 120 minutes in "recibido" and has no SLA policy.
    let mut vehicle =
        NewCase { case_type: "recepcion_vehiculos".into(), subject: "Ruido al frenar".into(), ..NewCase::default() };
    vehicle.custom_fields = Some(serde_json::json!({"placa": "CL-1"}).as_object().cloned().unwrap());
    let case = services.create_case(&ana, vehicle).await.unwrap();
    let sla = services.case_sla(&ana, case.value.id).await.unwrap();
    assert_eq!(sla.policy_version, None, "no stored policy");
    assert_eq!(sla.calendar.as_deref(), Some("oficina"), "the tenant's only calendar");
    let [state] = sla.clocks.as_slice() else { panic!("one clock: {:?}", sla.clocks) };
    assert_eq!((state.clock, state.state.as_deref(), state.target_minutes), (ClockKind::State, Some("recibido"), 120));
    assert_eq!(state.status, ClockStatus::Running);

    services.sweep_sla().await.unwrap();
    clock.advance(3 * 24 * 3600);
    services.sweep_sla().await.unwrap();
    let all = PageRequest::new(Some(100), None).unwrap();
    let history = services.case_history(&ana, case.value.id, &all).await.unwrap();
    let breached = history
        .items
        .iter()
        .any(|e| matches!(&e.value.kind, EventKind::SlaBreached { clock, .. } if clock == "state:recibido"));
    assert!(breached, "the sweep enforces it like any clock");
}

#[tokio::test]
async fn a_form_submitted_twice_opens_one_case() {
    let World { services, ana, .. } = demo().await;
    let form = services.new_id();
    let first = services.create_case_once(&ana, complaint("Envase roto"), form).await.expect("first");
    assert!(!first.replayed);
    assert_eq!(first.case.value.id, form, "the case takes the form's id");
    let again = services.create_case_once(&ana, complaint("Envase roto"), form).await.expect("again");
    assert!(again.replayed, "the second submission finds the first one's case");
    assert_eq!((again.case.value.id, again.case.version), (form, 1));
    let all = services.list_cases(&ana, &Default::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(all.items.iter().filter(|c| c.value.subject == "Envase roto").count(), 1);

    let sofia = Actor { user: UserId::parse("sofia").unwrap(), role: Role::Supervisor, ..ana.clone() };
    let theirs = services.create_case_once(&sofia, complaint("Otro"), form).await;
    assert!(matches!(theirs, Err(crate::service::cases::CreateCaseError::Invalid(_))), "another user's form id");
}

#[tokio::test]
async fn a_workflow_documents_fields_are_read_from_the_step_that_files_it() {
    use crate::document::DocumentTemplate;
    use crate::effects::EffectBody;
    use crate::workflow::TransitionRequest;
    let World { services, queue, ana } = demo().await;
    let case = services.create_case(&ana, complaint("Sacos húmedos")).await.unwrap();
    let step = |action: &str, result: &str, fields: serde_json::Value| TransitionRequest {
        action: action.into(),
        result: result.into(),
        note: Some("Repusimos el lote completo.".into()),
        fields: fields.as_object().cloned(),
        ..Default::default()
    };
    let mut version = case.version;
    for (action, result, fields) in [
        ("analizar", "en_analisis", serde_json::json!({})),
        ("diagnosticar", "procede", serde_json::json!({"lote": "L-77"})),
        ("solucionar", "resuelta", serde_json::json!({})),
    ] {
        let moved = services.transition_case(&ana, case.value.id, version.into(), step(action, result, fields)).await;
        version = moved.expect(action).case.version;
    }
    let job = queue
        .published()
        .into_iter()
        .find_map(|m| match m.body {
            EffectBody::Document(job) => Some(job),
            _ => None,
        })
        .expect("the letter's job");
    let current = services.get_case(&ana, case.value.id).await.unwrap().value;
    let issued = jiff::civil::date(2026, 11, 30);
    let fields = services.fields_to_render(&job, DocumentTemplate::CaseLetter, &current, issued).await.unwrap();
    assert_eq!(serde_json::Value::Object(fields), serde_json::json!({"body": "Repusimos el lote completo."}));
}

#[tokio::test]
async fn the_case_list_orders_by_last_change_and_by_nearest_deadline_listing_each_case_once() {
    use crate::service::case_list::{CaseFilter, CaseSort};
    use crate::workflow::TransitionRequest;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services =
        Services::new(store, Arc::new(RecordingQueue::default()), clock.clone(), Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let ana = Actor::with_role(&tenant, &UserId::parse("ana").unwrap(), Role::Agent);
    // The supervisor sees every case, whichever pool the workflow hands it to.
    let sofia = Actor { user: UserId::parse("sofia").unwrap(), role: Role::Supervisor, ..ana.clone() };
    let mut opened = Vec::new();
    for subject in ["Etiquetas borrosas", "Tapas flojas", "Caja aplastada", "Sello roto"] {
        clock.advance(60);
        opened.push(services.create_case(&sofia, complaint(subject)).await.unwrap());
    }
    // The first one opened is the last one changed; the second waits on the customer (its
    // clocks pause); the third is archived.
    clock.advance(60);
    let patch = CasePatch { description: Some(Some("Lote 41".into())), ..Default::default() };
    services.update_case(&sofia, opened[0].value.id, opened[0].version.into(), patch).await.unwrap();
    let step = |action: &str, result: &str| TransitionRequest {
        action: action.into(),
        result: result.into(),
        ..Default::default()
    };
    let waiting = &opened[1];
    let moved = services
        .transition_case(&sofia, waiting.value.id, waiting.version.into(), step("analizar", "en_analisis"))
        .await
        .unwrap();
    let ask = TransitionRequest { note: Some("Fotos".into()), ..step("solicitar_informacion", "solicitada") };
    services.transition_case(&sofia, waiting.value.id, moved.case.version.into(), ask).await.unwrap();
    services.archive_case(&sofia, opened[2].value.id, opened[2].version.into()).await.unwrap();

    let all_of = |sort: CaseSort, archived: bool, limit: u32| {
        let services = &services;
        let sofia = &sofia;
        async move {
            let filter = CaseFilter { sort, archived, ..Default::default() };
            let (mut cases, mut cursor) = (Vec::new(), None);
            loop {
                let page = PageRequest::new(Some(limit), cursor).unwrap();
                let found = services.list_cases(sofia, &filter, &page).await.unwrap();
                assert!(found.items.len() <= limit as usize);
                cases.extend(found.items.into_iter().map(|c| c.value));
                match found.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => return cases,
                }
            }
        }
    };
    let ids = |cases: &[crate::case::Case]| cases.iter().map(|c| c.id).collect::<Vec<_>>();
    let newest = all_of(CaseSort::Newest, false, 100).await;
    let mut expected_set = ids(&newest);
    expected_set.sort();

    let recent = all_of(CaseSort::RecentlyUpdated, false, 100).await;
    assert_eq!(recent[0].id, waiting.value.id, "the last change was the waiting case's");
    assert!(recent.windows(2).all(|w| w[0].updated_at >= w[1].updated_at), "last changed first");
    let mut untouched = all_of(CaseSort::LeastRecentlyUpdated, false, 3).await;
    untouched.reverse();
    assert_eq!(ids(&untouched), ids(&recent), "the same order the other way round, page by page");
    let mut recent_set = ids(&recent);
    recent_set.sort();
    assert_eq!(recent_set, expected_set, "every active case, once");
    assert_eq!(ids(&all_of(CaseSort::RecentlyUpdated, true, 100).await), [opened[2].value.id], "archived apart");

    for limit in [100, 2, 1] {
        let by_deadline = all_of(CaseSort::Deadline, false, limit).await;
        let mut listed = ids(&by_deadline);
        listed.sort();
        assert_eq!(listed, expected_set, "every active case once, pages of {limit}");
        let deadlines = services.case_deadlines(&ana, &ids(&by_deadline)).await.unwrap();
        let dated = by_deadline.iter().take_while(|c| deadlines.contains_key(&c.id)).count();
        assert!(dated > 0 && dated < by_deadline.len(), "cases with a deadline, then the others");
        assert!(
            by_deadline[dated..].iter().all(|c| !deadlines.contains_key(&c.id)),
            "no deadline after the first without"
        );
        let dues: Vec<_> = by_deadline[..dated].iter().map(|c| deadlines[&c.id].due_at).collect();
        assert!(dues.windows(2).all(|w| w[0] <= w[1]), "nearest deadline first: {dues:?}");
        assert!(by_deadline[dated..].iter().any(|c| c.id == waiting.value.id), "a paused case has no deadline");
        let undated: Vec<_> = by_deadline[dated..].iter().map(|c| c.id).collect();
        let newest_undated: Vec<_> = newest.iter().map(|c| c.id).filter(|id| undated.contains(id)).collect();
        assert_eq!(undated, newest_undated, "the others newest first");
    }
    let foreign = PageRequest::new(Some(10), Some("elsewhere".into())).unwrap();
    let filter = CaseFilter { sort: CaseSort::Deadline, ..Default::default() };
    assert!(services.list_cases(&sofia, &filter, &foreign).await.is_err(), "a cursor of another order is refused");
}

#[tokio::test]
async fn cases_stored_before_the_list_orders_are_put_into_them_once() {
    use crate::ports::{Index, Query};
    use crate::service::case_list::{CaseFilter, CaseSort};
    let (store, services, sofia) = demo_on_inspectable_store().await;
    let tenant = sofia.tenant.clone();
    let all = PageRequest::new(Some(100), None).unwrap();
    let count = |sort: CaseSort| {
        let services = &services;
        let (sofia, all) = (&sofia, &all);
        async move {
            let filter = CaseFilter { sort, ..Default::default() };
            services.list_cases(sofia, &filter, all).await.unwrap().items.len()
        }
    };
    let cases = count(CaseSort::Newest).await;
    assert_eq!(count(CaseSort::Deadline).await, cases);

    // As an older version stored them: no "last changed" entries, clocks without the
    // deadline index.
    let recency = Query::index(Index::Gsi1, crate::keys::cases_by_update_partition(&tenant, false));
    let mut removed = 0;
    for item in store.query(&recency).await.unwrap().items {
        store
            .write(vec![crate::ports::WriteOp::Delete { key: item.key, condition: crate::ports::Condition::ALWAYS }])
            .await
            .unwrap();
        removed += 1;
    }
    let deadlines = Query::index(Index::Gsi2, crate::keys::case_deadlines_partition(&tenant));
    let clocks = store.query(&deadlines).await.unwrap().items;
    assert!(!clocks.is_empty());
    for mut item in clocks.clone() {
        item.indexes[Index::Gsi2.position()] = None;
        let put = crate::ports::WriteOp::Put { item, condition: crate::ports::Condition::ALWAYS };
        store.write(vec![put]).await.unwrap();
    }
    assert_eq!(count(CaseSort::RecentlyUpdated).await, 0);
    assert!(count(CaseSort::Deadline).await < cases, "cases with a running clock are missing");

    let written = services.index_case_orders(&tenant).await.unwrap();
    assert_eq!(written, removed + clocks.len());
    assert_eq!(count(CaseSort::RecentlyUpdated).await, cases);
    assert_eq!(count(CaseSort::Deadline).await, cases);
    assert_eq!(services.index_case_orders(&tenant).await.unwrap(), 0, "a second pass writes nothing");
}

#[tokio::test]
async fn leads_converted_before_their_account_listed_them_are_indexed_once() {
    use crate::lead::{ConvertLead, NewLead};
    use crate::ports::{Index, Query, WriteOp};
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services =
        Services::new(store.clone(), Arc::new(RecordingQueue::default()), clock, Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("acme").unwrap();
    let ana = Actor::with_role(&tenant, &UserId::parse("ana").unwrap(), Role::Agent);
    let new = NewLead {
        name: "Rocío Vargas".into(),
        email: Some("rocio@cafe.example".into()),
        company: Some("Café Ñandú".into()),
        ..Default::default()
    };
    let lead = services.create_lead(&ana, new).await.unwrap();
    let converted =
        services.convert_lead(&ana, lead.value.id, lead.version.into(), ConvertLead::default()).await.unwrap();
    let account = converted.account.value.id;
    let listed = |services: &Services| {
        let (services, ana) = (services.clone(), ana.clone());
        async move { services.account_leads(&ana, account, &PageRequest::default()).await.unwrap().items.len() }
    };
    assert_eq!(listed(&services).await, 1, "a conversion lists the lead under its account");

    // As an older version stored it: converted, but without the account's index entry.
    let key = crate::keys::lead(&tenant, lead.value.id);
    let mut item = store.get(&key).await.unwrap().unwrap();
    item.indexes[Index::Gsi3.position()] = None;
    let version = item.version;
    store.write(vec![WriteOp::Put { item, condition: crate::ports::Condition::ALWAYS }]).await.unwrap();
    assert_eq!(listed(&services).await, 0);
    let open = Query::index(Index::Gsi1, crate::keys::leads_listing_partition(&tenant));
    assert_eq!(store.query(&open).await.unwrap().items.len(), 1);

    assert_eq!(services.index_converted_leads(&tenant).await.unwrap(), 1);
    assert_eq!(listed(&services).await, 1);
    assert_eq!(store.get(&key).await.unwrap().unwrap().version, version, "the lead's version is unchanged");
    assert_eq!(services.index_converted_leads(&tenant).await.unwrap(), 0, "a second pass writes nothing");
}

#[tokio::test]
async fn records_stored_before_search_are_indexed_once() {
    use crate::ports::WriteOp;
    use crate::search::SearchKind;
    use crate::service::search::WORD_ENTITY;
    let (store, services, sofia) = demo_on_inspectable_store().await;
    let tenant = sofia.tenant.clone();
    services.seed_demo_receivables(&tenant).await.unwrap();
    let found = |query: &'static str| {
        let (services, sofia) = (services.clone(), sofia.clone());
        async move {
            let hits = services.search(&sofia, query, &SearchKind::ALL, &PageRequest::default()).await.unwrap();
            hits.items.into_iter().map(|doc| doc.kind).collect::<std::collections::BTreeSet<_>>()
        }
    };
    let kinds_before: Vec<_> = [found("nandu").await, found("0412").await].into_iter().collect();
    assert!(kinds_before.iter().all(|kinds| !kinds.is_empty()), "the seed indexes what it writes");

    // As an older version stored them: records without word items.
    let words: Vec<_> = store.items().into_iter().filter(|item| item.entity == WORD_ENTITY).collect();
    let indexed_records: std::collections::BTreeSet<_> =
        words.iter().map(|w| w.key.sk.split_once('#').unwrap().1.to_owned()).collect();
    for word in &words {
        store
            .write(vec![WriteOp::Delete { key: word.key.clone(), condition: crate::ports::Condition::ALWAYS }])
            .await
            .unwrap();
    }
    assert!(found("nandu").await.is_empty() && found("0412").await.is_empty());

    assert_eq!(services.index_search_words(&tenant).await.unwrap(), indexed_records.len());
    assert_eq!(found("nandu").await, kinds_before[0]);
    assert_eq!(found("0412").await, kinds_before[1]);
    let rewritten = store.items().into_iter().filter(|item| item.entity == WORD_ENTITY).count();
    assert_eq!(rewritten, words.len(), "every word item is back, and no other");
    assert_eq!(services.index_search_words(&tenant).await.unwrap(), 0, "a second pass writes nothing");
}

#[tokio::test]
async fn a_list_search_that_finds_nothing_is_an_empty_page() {
    use crate::service::accounts::AccountFilter;
    use crate::service::case_list::CaseFilter;
    use crate::service::contacts::ContactFilter;
    use crate::service::leads::LeadFilter;
    let (_, services, sofia) = demo_on_inspectable_store().await;
    let page = PageRequest::default();
    let nothing = || Some("zzqqxx".to_owned());
    let accounts = AccountFilter { words: nothing(), ..Default::default() };
    assert!(services.list_accounts(&sofia, &accounts, &page).await.unwrap().items.is_empty());
    let contacts = ContactFilter { words: nothing(), ..Default::default() };
    assert!(services.list_contacts(&sofia, &contacts, &page).await.unwrap().items.is_empty());
    let cases = CaseFilter { words: nothing(), ..Default::default() };
    assert!(services.list_cases(&sofia, &cases, &page).await.unwrap().items.is_empty());
    let leads = LeadFilter { words: nothing(), ..Default::default() };
    assert!(services.list_leads(&sofia, &leads, &page).await.unwrap().items.is_empty());
    let nandu = AccountFilter { words: Some("nandu".into()), ..Default::default() };
    let found = services.list_accounts(&sofia, &nandu, &page).await.unwrap();
    assert_eq!(found.items.len(), 1, "a search that finds something still reads it");
}

#[tokio::test]
async fn editing_a_roles_profile_reaches_the_users_the_directory_names_no_profile_for() {
    use crate::access::{Module, ProfileEntry, Scope};
    use crate::ids::ProfileId;
    let World { services, ana, .. } = demo().await;
    let admin = Actor::with_role(&ana.tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let sees_everyones = |actor: &Actor| actor.owners_seen(Module::Cases).is_none();
    let before = services.authorize(ana.clone()).await.unwrap();
    assert!(!sees_everyones(&before), "the seeded agent sees their team's cases");
    assert!(before.circle.as_ref().is_some_and(|c| c.team.contains(&ana.user)), "and her team is known");

    let id = ProfileId::parse("agent").unwrap();
    let agent = services.get_profile(&admin, &id).await.unwrap();
    let mut entry = ProfileEntry::from(agent.value.clone());
    entry.scopes.insert(Module::Cases, Scope::All);
    services.save_profile(&admin, id, entry, None).await.unwrap();
    let after = services.authorize(ana.clone()).await.unwrap();
    assert!(sees_everyones(&after), "ana has no profile of her own: the agents' one applies");
    assert_eq!(after.role, Role::Agent, "the token's role stands");
    let supervisor = Actor::with_role(&ana.tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    assert!(sees_everyones(&services.authorize(supervisor).await.unwrap()), "other roles keep theirs");
}

#[tokio::test]
async fn a_pool_drawn_from_teams_follows_the_organisation_without_a_new_case_type() {
    use crate::case_type::CaseType;
    use crate::organisation::Organisation;
    use crate::service::case_types::DefineCaseTypeError;
    let World { services, ana, .. } = demo().await;
    let admin = Actor::with_role(&ana.tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let definition = |teams: serde_json::Value| -> CaseType {
        serde_json::from_value(serde_json::json!({
            "key": "garantia", "name": "Garantía", "initialState": "nueva",
            "states": [
                {"key": "nueva", "name": "Nueva", "class": "open", "pool": {"teams": teams, "strategy": "round_robin"}},
                {"key": "cerrada", "name": "Cerrada", "class": "closed_success"}
            ],
            "actions": [{"key": "cerrar", "name": "Cerrar", "results": [{"key": "ok", "name": "Hecho", "next": "cerrada"}]}]
        }))
        .unwrap()
    };
    let Err(DefineCaseTypeError::Invalid(unknown)) =
        services.create_case_type(&admin, definition(serde_json::json!(["taller", "bodega"]))).await
    else {
        panic!("a team the organisation does not have is refused")
    };
    assert_eq!(unknown.0.len(), 1);
    assert_eq!(unknown.0[0].field, "states[0].pool.teams[1]");
    services.create_case_type(&admin, definition(serde_json::json!(["taller"]))).await.unwrap();

    let open = |subject: &str| NewCase { case_type: "garantia".into(), subject: subject.into(), ..NewCase::default() };
    let owner = |case: &crate::Versioned<crate::case::Case>| case.value.owner.clone().unwrap().to_string();
    let first = services.create_case(&ana, open("Motor")).await.unwrap();
    let second = services.create_case(&ana, open("Frenos")).await.unwrap();
    assert_eq!((owner(&first), owner(&second)), ("carlos".into(), "carlos".into()), "the workshop is Carlos alone");

    // Ana joins the workshop: the same definition now takes turns between them.
    let mut organisation: Organisation = services.organisation(&admin).await.unwrap().value;
    let taller = organisation.teams.iter_mut().find(|t| t.id.as_str() == "taller").unwrap();
    taller.members.push(ana.user.clone());
    services.save_organisation(&admin, organisation, None).await.unwrap();
    let mut owners: Vec<String> = Vec::new();
    for subject in ["Luces", "Llantas"] {
        owners.push(owner(&services.create_case(&ana, open(subject)).await.unwrap()));
    }
    owners.sort();
    assert_eq!(owners, ["ana", "carlos"], "one each");

    // Carlos is deactivated: the workshop's turns are Ana's alone, named or drawn from a team.
    let mut carlos = services.user(&ana.tenant, &UserId::parse("carlos").unwrap()).await.unwrap().unwrap();
    carlos.active = false;
    services.put_user(&ana.tenant, &carlos).await.unwrap();
    for subject in ["Bujías", "Aceite", "Filtro"] {
        assert_eq!(owner(&services.create_case(&ana, open(subject)).await.unwrap()), "ana", "{subject}");
    }
    // Nobody active left: the case waits unassigned for a supervisor rather than going to him.
    let mut ana_entry = services.user(&ana.tenant, &ana.user).await.unwrap().unwrap();
    ana_entry.active = false;
    services.put_user(&ana.tenant, &ana_entry).await.unwrap();
    let sofia = Actor::with_role(&ana.tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    let waiting = services.create_case(&sofia, open("Radiador")).await.unwrap();
    assert_ne!(waiting.value.owner.as_ref().map(|o| o.as_str()), Some("carlos"));
    assert_ne!(waiting.value.owner.as_ref().map(|o| o.as_str()), Some("ana"));
}

#[tokio::test]
async fn a_search_page_is_filled_with_what_the_caller_may_see() {
    use crate::search::SearchKind;
    let World { services, ana, .. } = demo().await;
    let sofia = Actor::with_role(&ana.tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    let owned =
        |owner: &str, subject: &str| NewCase { owner: Some(UserId::parse(owner).unwrap()), ..complaint(subject) };
    // The workshop's matches come first in the index; Ana sees only her team's.
    for n in 0..5 {
        services.create_case(&sofia, owned("carlos", &format!("Válvula del taller {n}"))).await.unwrap();
    }
    for n in 0..3 {
        services.create_case(&sofia, owned("ana", &format!("Válvula de Ana {n}"))).await.unwrap();
    }
    let ana = services.authorize(ana).await.unwrap();
    let page = PageRequest::new(Some(2), None).unwrap();
    let found = services.search(&ana, "valvula", &[SearchKind::Case], &page).await.unwrap();
    let titles: Vec<&str> = found.items.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(titles.len(), 2, "a full page: {titles:?}");
    assert!(titles.iter().all(|t| t.contains("de Ana")), "{titles:?}");
    let rest = PageRequest::new(Some(2), found.next_cursor).unwrap();
    let more = services.search(&ana, "valvula", &[SearchKind::Case], &rest).await.unwrap();
    assert_eq!(more.items.len(), 1, "the third of hers on the next page");
    assert!(more.items[0].title.contains("de Ana"));
}

#[tokio::test]
async fn a_users_open_work_is_handed_over_at_its_version_and_only_to_an_active_colleague() {
    use crate::service::handover::HandOverError;
    use crate::user::User;
    let World { services, ana, .. } = demo().await;
    let admin = Actor::with_role(&ana.tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let sofia = Actor::with_role(&ana.tenant, &UserId::parse("sofia").unwrap(), Role::Supervisor);
    let carlos = UserId::parse("carlos").unwrap();
    let hers = NewCase { owner: Some(ana.user.clone()), ..complaint("Etiquetas despegadas") };
    let open = services.create_case(&sofia, hers).await.unwrap();
    let closed = NewCase { owner: Some(ana.user.clone()), ..complaint("Ya resuelto") };
    let closed = services.create_case(&sofia, closed).await.unwrap();
    services.archive_case(&sofia, closed.value.id, closed.version.into()).await.unwrap();

    for (to, why) in [(&ana.user, "not to herself"), (&UserId::parse("nadie").unwrap(), "not to a stranger")] {
        let refused = services.hand_over_work(&admin, &ana.user, to).await;
        assert!(matches!(refused, Err(HandOverError::Invalid(_))), "{why}");
    }
    let mut away = services.user(&ana.tenant, &carlos).await.unwrap().unwrap();
    away.active = false;
    services.put_user(&ana.tenant, &away).await.unwrap();
    assert!(matches!(services.hand_over_work(&admin, &ana.user, &carlos).await, Err(HandOverError::Invalid(_))));
    services.put_user(&ana.tenant, &User { active: true, ..away }).await.unwrap();
    assert!(
        matches!(services.hand_over_work(&ana, &ana.user, &carlos).await, Err(HandOverError::Forbidden(_))),
        "an agent does not hand over work"
    );

    let moved = services.hand_over_work(&admin, &ana.user, &carlos).await.unwrap();
    assert!(moved.cases >= 3, "the new case and the two seeded ones: {moved:?}");
    assert_eq!(moved.remaining, 0);
    let now = services.get_case(&admin, open.value.id).await.unwrap();
    assert_eq!(now.value.owner.as_ref(), Some(&carlos));
    let archived = services.get_case(&admin, closed.value.id).await.unwrap();
    assert_eq!(archived.value.owner.as_ref(), Some(&ana.user), "archived work stays where it was");
    let again = services.hand_over_work(&admin, &ana.user, &carlos).await.unwrap();
    assert_eq!((again.cases, again.leads, again.remaining), (0, 0, 0), "nothing left to move");
}
