//! Field-level access on the in-memory adapters: a hidden field leaves every answer of the use
//! cases (records, lists, search, history, reports), a read-only or hidden one cannot be set,
//! and what a user may not see is kept as it was when they save the rest.

use std::sync::Arc;

use crate::access::{FieldAccess, Module, ProfileEntry};
use crate::account::{AccountPatch, NewAccount};
use crate::actor::Needed;
use crate::case::{CasePatch, NewCase};
use crate::history::EventKind;
use crate::ids::{ProfileId, TenantId};
use crate::lead::{LeadPatch, NewLead};
use crate::money::Money;
use crate::search::SearchKind;
use crate::service::accounts::{AccountFilter, CreateAccountError, UpdateAccountError};
use crate::service::cases::UpdateCaseError;
use crate::service::{PageRequest, Services};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::{Actor, ExpectedVersion, Role, UserId};

const TAX_ID: &str = "3-101-777777";

struct World {
    services: Services,
    admin: Actor,
    /// An agent whose profile (the agents', as the tenant edited it) hides the account's tax
    /// id, the case's amount and the lead's e-mail, and makes the account's phone read-only.
    ana: Actor,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(store, Arc::new(RecordingQueue::default()), clock, Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let id = ProfileId::parse("agent").unwrap();
    let agent = services.get_profile(&admin, &id).await.unwrap().value;
    let rules = serde_json::json!({
        "accounts": {"taxId": "hidden", "phone": "readOnly", "website": "readWrite"},
        "cases": {"amount": "hidden"},
        "leads": {"email": "hidden"},
    });
    let entry = ProfileEntry { fields: serde_json::from_value(rules).unwrap(), ..agent.into() };
    let saved = services.save_profile(&admin, id, entry, None).await.unwrap().value;
    assert!(!saved.fields[&Module::Accounts].contains_key("website"), "read-write is what no rule means");
    let ana = Actor::with_role(&tenant, &UserId::parse("ana").unwrap(), Role::Agent);
    let ana = services.authorize(ana).await.unwrap();
    assert_eq!(ana.field_access(Module::Accounts, "taxId"), FieldAccess::Hidden);
    World { services, admin, ana }
}

/// What the events say, as the API would send them.
fn told(events: &[crate::Versioned<crate::history::HistoryEvent>]) -> String {
    serde_json::to_string(&events.iter().map(|e| &e.value).collect::<Vec<_>>()).unwrap()
}

fn first_page() -> PageRequest {
    PageRequest::new(Some(100), None).unwrap()
}

#[tokio::test]
async fn a_hidden_field_is_left_out_of_the_record_its_list_and_its_search_hit() {
    let World { services, admin, ana } = world().await;
    let input = NewAccount { name: "Tornillos Orión".into(), tax_id: Some(TAX_ID.into()), ..Default::default() };
    let account = services.create_account(&admin, input).await.unwrap();
    assert_eq!(account.value.tax_id.as_deref(), Some(TAX_ID), "the admin profile sees everything");

    let read = services.get_account(&ana, account.value.id).await.unwrap();
    assert_eq!((read.value.tax_id, read.value.name.as_str()), (None, "Tornillos Orión"));
    let listed = services.list_accounts(&ana, &AccountFilter::default(), &first_page()).await.unwrap();
    let mine = listed.items.iter().find(|a| a.value.id == account.value.id).expect("listed");
    assert_eq!(mine.value.tax_id, None);
    let words = AccountFilter { words: Some("orion".into()), ..Default::default() };
    let found = services.list_accounts(&ana, &words, &first_page()).await.unwrap();
    assert!(found.items.iter().all(|a| a.value.tax_id.is_none()) && !found.items.is_empty());

    let hits = services.search(&ana, "orion", &[SearchKind::Account], &first_page()).await.unwrap();
    assert_eq!(hits.items.len(), 1);
    assert!(!hits.items[0].detail.contains(TAX_ID), "the second line showed the tax id: {:?}", hits.items[0]);
    let hits = services.search(&admin, "orion", &[SearchKind::Account], &first_page()).await.unwrap();
    assert!(hits.items[0].detail.contains(TAX_ID), "others still see it");
}

#[tokio::test]
async fn read_only_and_hidden_fields_cannot_be_set_and_keep_their_value_when_the_rest_is_saved() {
    let World { services, admin, ana } = world().await;
    let input = NewAccount { name: "Ferretería Sol".into(), tax_id: Some(TAX_ID.into()), ..Default::default() };
    let account = services.create_account(&admin, input).await.unwrap();

    let refused = NewAccount {
        name: "Otra".into(),
        tax_id: Some("1".into()),
        phone: Some("+50622223333".into()),
        ..Default::default()
    };
    match services.create_account(&ana, refused).await {
        Err(CreateAccountError::Forbidden(f)) => assert_eq!(
            f.needed,
            Needed::Fields(vec![("taxId".into(), FieldAccess::Hidden), ("phone".into(), FieldAccess::ReadOnly)])
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let blank = NewAccount { name: "Sin datos".into(), tax_id: Some("  ".into()), ..Default::default() };
    assert!(services.create_account(&ana, blank).await.is_ok(), "a blank field sets nothing");

    let clear_tax_id = AccountPatch { tax_id: Some(None), ..Default::default() };
    let expected = ExpectedVersion::Exactly(account.version);
    assert!(matches!(
        services.update_account(&ana, account.value.id, expected.clone(), clear_tax_id).await,
        Err(UpdateAccountError::Forbidden(_))
    ));
    let rename = AccountPatch { name: Some("Ferretería El Sol".into()), ..Default::default() };
    let renamed = services.update_account(&ana, account.value.id, expected, rename).await.unwrap();
    assert_eq!((renamed.value.name.as_str(), renamed.value.tax_id.as_deref()), ("Ferretería El Sol", None));
    let stored = services.get_account(&admin, account.value.id).await.unwrap();
    assert_eq!(stored.value.tax_id.as_deref(), Some(TAX_ID), "what ana could not see was kept");
}

#[tokio::test]
async fn a_hidden_amount_leaves_the_case_its_history_and_the_report_sums() {
    let World { services, admin, ana } = world().await;
    let input = NewCase { case_type: "queja_calidad".into(), subject: "Lote defectuoso".into(), ..NewCase::default() };
    let case = services.create_case(&ana, input).await.unwrap();
    let amount = Money { amount_minor: 98_765_400, currency: "CRC".into() };
    let patch = CasePatch { amount: Some(Some(amount.clone())), ..Default::default() };
    let with_amount =
        services.update_case(&admin, case.value.id, ExpectedVersion::Exactly(case.version), patch).await.unwrap();
    assert_eq!(with_amount.value.amount.as_ref(), Some(&amount));

    let read = services.get_case(&ana, case.value.id).await.unwrap();
    assert_eq!(read.value.amount, None);
    let history = services.case_history(&ana, case.value.id, &first_page()).await.unwrap();
    let shown = told(&history.items);
    assert!(!shown.contains("98765400"), "the history told the amount: {shown}");
    let admins = services.case_history(&admin, case.value.id, &first_page()).await.unwrap();
    assert!(told(&admins.items).contains("98765400"));
    let (events, _) = services.recent_case_activity(&ana, case.value.id, 10).await.unwrap();
    assert!(events.iter().all(|e| !matches!(&e.kind, EventKind::Updated { changes } if !changes.is_empty())));

    let rows = services.cases_by_state(&ana, None).await.unwrap();
    assert!(rows.iter().all(|r| r.amounts.is_empty()), "sums of a hidden amount: {rows:?}");
    let rows = services.cases_by_state(&admin, None).await.unwrap();
    assert!(rows.iter().any(|r| r.amounts.iter().any(|m| m.amount_minor >= 98_765_400)));

    let set_amount = CasePatch { amount: Some(None), ..Default::default() };
    let expected = ExpectedVersion::Exactly(with_amount.version);
    assert!(matches!(
        services.update_case(&ana, case.value.id, expected, set_amount).await,
        Err(UpdateCaseError::Forbidden(_))
    ));
}

#[tokio::test]
async fn a_hidden_lead_email_is_left_out_of_the_lead_and_what_its_history_says_the_form_sent() {
    let World { services, admin, ana } = world().await;
    let input = NewLead { name: "Marta Vidal".into(), email: Some("marta@vidal.example".into()), ..Default::default() };
    assert!(services.create_lead(&ana, input.clone()).await.is_err(), "ana may not set the e-mail she cannot see");
    let lead = services.create_lead(&admin, NewLead { owner: Some(ana.user.clone()), ..input }).await.unwrap();
    let read = services.get_lead(&ana, lead.value.id).await.unwrap();
    assert_eq!((read.value.fields.email, read.value.fields.name.as_str()), (None, "Marta Vidal"));
    let new_email = LeadPatch { email: Some(Some("marta@nueva.example".into())), ..Default::default() };
    let expected = ExpectedVersion::Exactly(lead.version);
    services.update_lead(&admin, lead.value.id, expected, new_email).await.unwrap();
    let history = services.lead_history(&admin, lead.value.id, &first_page()).await.unwrap();
    assert!(told(&history.items).contains("marta@nueva.example"), "the change is in the history");
    let history = services.lead_history(&ana, lead.value.id, &first_page()).await.unwrap();
    let shown = told(&history.items);
    assert!(!shown.contains("marta@"), "ana's history told the e-mail: {shown}");
}

#[tokio::test]
async fn a_contact_cannot_be_looked_up_by_an_email_the_reader_may_not_see() {
    use crate::service::ListError;
    use crate::service::contacts::ContactFilter;
    let World { services, admin, ana } = world().await;
    let id = ProfileId::parse("agent").unwrap();
    let agent = services.get_profile(&admin, &id).await.unwrap().value;
    let fields = serde_json::from_value(serde_json::json!({"contacts": {"email": "hidden"}})).unwrap();
    let entry = ProfileEntry { fields, ..agent.into() };
    services.save_profile(&admin, id, entry, None).await.unwrap();
    let ana = services.authorize(Actor { profile: None, ..ana }).await.unwrap();
    let by_email = ContactFilter { email: Some("maria.araya@rapidos.example".into()), ..Default::default() };
    match services.list_contacts(&ana, &by_email, &first_page()).await {
        Err(ListError::Invalid(errors)) => assert_eq!(errors.0[0].field, "email"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(services.list_contacts(&admin, &by_email, &first_page()).await.unwrap().items.len(), 1);
}
