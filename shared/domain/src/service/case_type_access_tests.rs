//! Permissions per case type: a profile keeps fewer operations on the cases of one type than on
//! cases in general, and every use case follows — a type it may not read does not exist to it
//! (record, list, search, customer file), one it may only read offers no step and refuses
//! changes, and one it may not create is refused at creation.

use std::sync::Arc;

use crate::access::{Module, Operation, ProfileEntry};
use crate::actor::Needed;
use crate::case::{CasePatch, NewCase};
use crate::history::NewComment;
use crate::ids::{CaseTypeKey, ProfileId, TenantId};
use crate::search::SearchKind;
use crate::service::access::SaveProfileError;
use crate::service::case_list::CaseFilter;
use crate::service::cases::{AddCommentError, CreateCaseError, GetCaseError, UpdateCaseError};
use crate::service::transitions::TransitionCaseError;
use crate::service::{PageRequest, Services};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::workflow::TransitionRequest;
use crate::{Actor, ExpectedVersion, Role, UserId};

const CREDIT: &str = "solicitud_credito";
const COMPLAINT: &str = "queja_calidad";

fn key(k: &str) -> CaseTypeKey {
    CaseTypeKey::parse(k).unwrap()
}

fn first_page() -> PageRequest {
    PageRequest::new(Some(100), None).unwrap()
}

fn new_case(case_type: &str, subject: &str, owner: &str) -> NewCase {
    NewCase {
        case_type: case_type.into(),
        subject: subject.into(),
        owner: Some(UserId::parse(owner).unwrap()),
        ..NewCase::default()
    }
}

/// The agents' profile as an administrator narrowed it: credit requests read only, complaints
/// not at all, everyone's cases otherwise (so no owner scope hides what the types must); Ana
/// works with it.
async fn world() -> (Services, Actor, Actor) {
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RecordingQueue::default()),
        clock,
        Arc::new(SequentialIds::default()),
    );
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let id = ProfileId::parse("agent").unwrap();
    let agent = services.get_profile(&admin, &id).await.unwrap().value;
    let entry = ProfileEntry {
        case_types: [(key(CREDIT), [Operation::Read].into()), (key(COMPLAINT), [].into())].into(),
        scopes: crate::access::Scopes::new(),
        ..agent.into()
    };
    services.save_profile(&admin, id, entry, None).await.unwrap();
    let ana = Actor::with_role(&tenant, &UserId::parse("ana").unwrap(), Role::Agent);
    let ana = services.authorize(ana).await.unwrap();
    (services, admin, ana)
}

#[tokio::test]
async fn a_type_the_profile_may_not_read_does_not_exist_to_it() {
    let (services, admin, ana) = world().await;
    let complaint = services.create_case(&admin, new_case(COMPLAINT, "Sacos rotos Orión", "ana")).await.unwrap();
    let other = services.create_case(&admin, new_case("devolucion", "Devolución Orión", "ana")).await.unwrap();

    let read = services.get_case(&ana, complaint.value.id).await;
    assert!(matches!(read, Err(GetCaseError::NotFound)), "{read:?}");
    assert!(services.get_case(&ana, other.value.id).await.is_ok());

    let listed = services.list_cases(&ana, &CaseFilter::default(), &first_page()).await.unwrap();
    let ids: Vec<_> = listed.items.iter().map(|c| c.value.id).collect();
    assert!(ids.contains(&other.value.id) && !ids.contains(&complaint.value.id), "{ids:?}");
    assert!(listed.items.iter().all(|c| c.value.case_type.as_str() != COMPLAINT));
    let of_type = CaseFilter { case_type: Some(key(COMPLAINT)), ..CaseFilter::default() };
    assert!(services.list_cases(&ana, &of_type, &first_page()).await.unwrap().items.is_empty());
    let by_words = CaseFilter { words: Some("orion".into()), ..CaseFilter::default() };
    let found = services.list_cases(&ana, &by_words, &first_page()).await.unwrap();
    assert_eq!(found.items.iter().map(|c| c.value.id).collect::<Vec<_>>(), [other.value.id]);

    let hits = services.search(&ana, "orion", &[SearchKind::Case], &first_page()).await.unwrap();
    let hit_ids: Vec<&str> = hits.items.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(hit_ids, [other.value.id.to_string().as_str()], "the complaint is no hit");
    let admin_hits = services.search(&admin, "orion", &[SearchKind::Case], &first_page()).await.unwrap();
    assert_eq!(admin_hits.items.len(), 2, "the administrator finds both");

    let created = services.create_case(&ana, new_case(COMPLAINT, "Otro saco", "ana")).await;
    let Err(CreateCaseError::Forbidden(refused)) = created else { panic!("{created:?}") };
    assert_eq!(refused.needed, Needed::CaseType(key(COMPLAINT), Operation::Create));
    assert!(refused.message().to_string().contains(COMPLAINT), "{}", refused.message());
}

#[tokio::test]
async fn a_type_kept_read_only_is_read_but_neither_created_changed_moved_nor_commented() {
    let (services, admin, ana) = world().await;
    let credit = services.create_case(&admin, new_case(CREDIT, "Crédito ferretería", "ana")).await.unwrap();
    let id = credit.value.id;
    assert_eq!(services.get_case(&ana, id).await.unwrap().value.subject, "Crédito ferretería");

    let (_, offered) = services.offered_transitions(&ana, id).await.unwrap();
    assert!(offered.is_empty(), "no step is open to a reader: {offered:?}");
    let (_, to_admin) = services.offered_transitions(&admin, id).await.unwrap();
    assert!(!to_admin.is_empty());

    let patch = CasePatch { subject: Some("Otro".into()), ..CasePatch::default() };
    let updated = services.update_case(&ana, id, ExpectedVersion::Any, patch).await;
    assert!(matches!(updated, Err(UpdateCaseError::Forbidden(_))), "{updated:?}");
    let step = TransitionRequest {
        action: "iniciar_estudio".into(),
        result: "documentos_completos".into(),
        note: None,
        fields: None,
        case_fields: None,
    };
    let moved = services.transition_case(&ana, id, ExpectedVersion::Any, step).await;
    assert!(matches!(moved, Err(TransitionCaseError::Forbidden(_))), "{moved:?}");
    let comment = NewComment { body: "Revisado".into(), internal: true };
    let commented = services.add_comment(&ana, id, comment).await;
    assert!(matches!(commented, Err(AddCommentError::Forbidden(_))), "{commented:?}");
    let created = services.create_case(&ana, new_case(CREDIT, "Nuevo crédito", "ana")).await;
    assert!(matches!(created, Err(CreateCaseError::Forbidden(_))), "{created:?}");
    assert_eq!(services.get_case(&ana, id).await.unwrap().version, credit.version, "nothing changed");

    // Other types keep the module's permissions.
    let other = services.create_case(&ana, new_case("devolucion", "Devolución", "ana")).await.unwrap();
    let patch = CasePatch { subject: Some("Devolución de sacos".into()), ..CasePatch::default() };
    assert!(services.update_case(&ana, other.value.id, ExpectedVersion::Any, patch).await.is_ok());
}

#[tokio::test]
async fn a_type_keeps_fewer_permissions_than_the_module_never_more_and_only_of_a_type_that_exists() {
    let (services, admin, _) = world().await;
    let id = ProfileId::parse("agent").unwrap();
    let agent = services.get_profile(&admin, &id).await.unwrap().value;
    assert!(!agent.allows(crate::access::Permission::new(Module::Cases, Operation::Export)));
    assert_eq!(agent.case_types[&key(CREDIT)], [Operation::Read].into());
    let entry = |case_types| ProfileEntry { case_types, ..agent.clone().into() };
    let more = entry([(key(CREDIT), [Operation::Read, Operation::Export].into())].into());
    let Err(SaveProfileError::Invalid(errors)) = services.save_profile(&admin, id.clone(), more, None).await else {
        panic!("more than the module was kept")
    };
    assert_eq!(errors.0[0].field, "caseTypes.solicitud_credito");
    let unknown = entry([(key("hipoteca"), [Operation::Read].into())].into());
    let Err(SaveProfileError::Invalid(errors)) = services.save_profile(&admin, id.clone(), unknown, None).await else {
        panic!("an unknown type was kept")
    };
    assert_eq!(errors.0[0].field, "caseTypes.hipoteca");

    // Keeping exactly the module's is what leaving the type out means: stored as nothing.
    let on_cases = agent.grants[&Module::Cases].clone();
    let same = entry([(key(CREDIT), on_cases)].into());
    let saved = services.save_profile(&admin, id.clone(), same, None).await.unwrap().value;
    assert!(saved.case_types.is_empty(), "{:?}", saved.case_types);

    let admin_profile = services.get_profile(&admin, &ProfileId::parse("admin").unwrap()).await.unwrap().value;
    let narrowed =
        ProfileEntry { case_types: [(key(CREDIT), [Operation::Read].into())].into(), ..admin_profile.into() };
    let refused = services.save_profile(&admin, ProfileId::parse("admin").unwrap(), narrowed, None).await;
    assert!(matches!(refused, Err(SaveProfileError::Invalid(_))), "the administrators keep every type");
}
