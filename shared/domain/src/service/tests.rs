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
    let ana = Actor { tenant, user: UserId::parse("ana").unwrap(), email: None, role: Role::Agent };
    World { services, queue, ana }
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
    let updated = services.update_case(&ana, case.value.id, 1, rename("Sacos mojados")).await.expect("update");
    assert_eq!(updated.version, 2);
    let stale = services.update_case(&ana, case.value.id, 1, rename("Otro")).await;
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
