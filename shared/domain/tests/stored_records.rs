//! Stored records outlive the code that wrote them. `fixtures/stored/` holds one item of every
//! entity kind as the code wrote it when the fixture was taken; every one must still read as its
//! record, and a record of the current schema must write back byte for byte what it read (so a
//! renamed field cannot slip into the table unnoticed: it needs a new schema and an upgrade).
//!
//! Refresh after a deliberate schema change (the old fixtures stay, as `<Entity>.v<n>.json`):
//! `GESTIONA_WRITE_RECORD_FIXTURES=1 cargo test -p gestiona-domain --test stored_records`.

use gestiona_domain::field_access::FieldAccess;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gestiona_domain::ProfileId;
use gestiona_domain::access::{Module, Operation, ProfileEntry, Scope};
use gestiona_domain::account::NewAccount;
use gestiona_domain::case::NewCase;
use gestiona_domain::contact::NewContact;
use gestiona_domain::form::PostMeta;
use gestiona_domain::history::NewComment;
use gestiona_domain::ids::{DocumentNumber, FormId, PriceListKey, ProductCode, TenantId};
use gestiona_domain::lead::{ConversionOpportunity, ConvertLead};
use gestiona_domain::money::Money;
use gestiona_domain::ports::{Item, Key, QueueName, StoredItem};
use gestiona_domain::receivables::{CollectionsProfile, CreditNoteInput, DunningLadder, InvoiceInput, PaymentInput};
use gestiona_domain::sales::price_list::{Price, PriceListInput, PriceRowInput, PriceSync, Quantity};
use gestiona_domain::sales::product::ProductInput;
use gestiona_domain::sales::quote::QuoteInput;
use gestiona_domain::sales::{OpportunityPatch, Pipelines};
use gestiona_domain::service::Services;
use gestiona_domain::service::documents::UploadRequest;
use gestiona_domain::service::forms::IncomingPost;
use gestiona_domain::service::stored;
use gestiona_domain::service::webhooks::SubscriptionInput;
use gestiona_domain::testing::{AnsweringEndpoint, ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use gestiona_domain::workflow::TransitionRequest;
use gestiona_domain::{Actor, Role, UserId};
use serde::{Deserialize, Serialize};

/// One fixture file: an item's key and its stored form.
#[derive(Serialize, Deserialize)]
struct Fixture {
    key: Key,
    #[serde(flatten)]
    item: StoredItem,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stored")
}

fn actor(tenant: &TenantId, user: &str, role: Role) -> Actor {
    Actor::with_role(tenant, &UserId::parse(user).unwrap(), role)
}

/// The fixture of an item: its entity, and for the entities whose variants are laid out
/// differently (history events by type, watermarks by sweep) the variant too.
fn fixture_name(item: &Item) -> String {
    let variant = match item.entity.as_str() {
        "CaseEvent" => item.body.get("type").and_then(|t| t.as_str()).map(str::to_owned),
        "Watermark" => item.key.pk.rsplit('#').next().map(str::to_lowercase),
        _ => None,
    };
    match variant {
        Some(variant) => format!("{}-{variant}", item.entity),
        None => item.entity.clone(),
    }
}

/// A day of work that writes every kind of record the product stores.
async fn every_kind_of_record() -> Vec<Item> {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let queue = Arc::new(RecordingQueue::default());
    let services = Services::new(store.clone(), queue.clone(), clock.clone(), Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.expect("seed");
    let admin = actor(&tenant, "admin", Role::Admin);
    let ana = actor(&tenant, "ana", Role::Agent);
    let sofia = actor(&tenant, "sofia", Role::Supervisor);
    let call_centre = ProfileEntry {
        name: "Centro de llamadas".into(),
        level: Role::Agent,
        grants: [(Module::Cases, [Operation::Create, Operation::Read].into())].into(),
        scopes: [(Module::Cases, Scope::Team)].into(),
        fields: [(Module::Accounts, [("taxId".to_owned(), FieldAccess::Hidden)].into())].into(),
        case_types: Default::default(),
    };
    services.save_profile(&admin, ProfileId::parse("call-centre").unwrap(), call_centre, None).await.expect("profile");

    let subscription = SubscriptionInput {
        url: "https://erp.example/hooks".into(),
        events: vec!["case.created".into(), "case.transitioned".into()],
        ..Default::default()
    };
    services.create_subscription(&admin, subscription, [7; 32]).await.expect("subscription");

    let account = services
        .create_account(&ana, NewAccount { name: "Ferretería El Clavo".into(), ..Default::default() })
        .await
        .expect("account");
    let contact = NewContact {
        first_name: "Lucía".into(),
        last_name: Some("Mora".into()),
        email: Some("lucia@clavo.example".into()),
        account_id: Some(account.value.id),
        ..Default::default()
    };
    services.create_contact(&ana, contact).await.expect("contact");
    let case =
        NewCase { case_type: "queja_calidad".into(), subject: "Tornillos oxidados".into(), ..NewCase::default() };
    // The queue is down: the case's effects stay in its outbox.
    queue.fail(true);
    let case = services.create_case(&ana, case).await.expect("case");
    queue.fail(false);
    // Walk the workflow a few steps (whatever the case type offers without required fields).
    let mut steps = 0;
    'walk: while steps < 4 {
        let (current, offered) = services.offered_transitions(&sofia, case.value.id).await.expect("offered");
        for action in offered {
            for result in action.results {
                let note = result.requires_note.then(|| "Revisado con el cliente.".to_owned());
                let request =
                    TransitionRequest { action: action.key.clone(), result: result.key, note, ..Default::default() };
                if services.transition_case(&sofia, case.value.id, current.version.into(), request).await.is_ok() {
                    steps += 1;
                    continue 'walk;
                }
            }
        }
        break;
    }
    assert!(steps > 0, "the demo workflow offers a step");
    let comment = NewComment { body: "Llamé al cliente.".into(), internal: true };
    services.add_comment(&ana, case.value.id, comment).await.expect("comment");
    let upload = UploadRequest { file_name: "foto.jpg".into(), content_type: "image/jpeg".into(), size: 1024 };
    services.begin_upload(&ana, case.value.id, upload).await.expect("upload");

    // A post without the form's token is quarantined; releasing it creates the lead.
    let post = IncomingPost {
        tenant: tenant.clone(),
        form: FormId::parse("contacto").unwrap(),
        fields: vec![
            ("nombre".into(), "Diego Vargas".into()),
            ("email".into(), "diego@example.com".into()),
            ("telefono".into(), "8888-1234".into()),
        ],
        meta: PostMeta { ip: "203.0.113.9".into(), ..Default::default() },
        idempotency_key: Some("post-1".into()),
    };
    services.submit_form(post).await.expect("post");
    let page = Default::default();
    let quarantined = services.list_submissions(&sofia, "quarantined", &page).await.expect("submissions");
    let submission = quarantined.items.first().expect("a quarantined post");
    services.release_submission(&sofia, submission.value.id, submission.version.into()).await.expect("release");
    let leads = services.list_leads(&sofia, &Default::default(), &page).await.expect("leads");
    let lead = leads.items.first().expect("the released lead");
    let convert = ConvertLead {
        opportunity: Some(ConversionOpportunity {
            name: "Tornillería 2027".into(),
            amount: Money { amount_minor: 1_500_000, currency: "CRC".into() },
            pipeline: None,
            stage: Some("proposal".parse().unwrap()),
            expected_close_date: Some("2027-01-29".parse().unwrap()),
        }),
        ..Default::default()
    };
    let converted = services.convert_lead(&sofia, lead.value.id, lead.version.into(), convert).await.expect("convert");
    services.save_pipelines(&admin, Pipelines::default(), None).await.expect("pipelines");
    let goals: gestiona_domain::sales::goal::GoalSheet = serde_json::from_value(serde_json::json!({
        "localCurrency": "CRC", "secondCurrency": "USD",
        "goals": [
            {"owner": "sofia", "productLine": "Tornillería", "success": {"kind": "stage", "pipeline": "sales", "stage": "won"},
             "localTargetMinor": 150_000_000, "secondTargetMinor": 250_000, "customersTarget": 3, "prospectsTarget": 12},
            {"owner": "ana", "success": {"kind": "caseState", "caseType": "queja_calidad", "state": "resuelta"}}
        ]
    }))
    .unwrap();
    let december = gestiona_domain::sales::forecast::Month { year: 2026, month: 12 };
    services.save_goals(&admin, december, goals, None).await.expect("goals");
    let opportunity = converted.opportunity.expect("an opportunity");
    let patch = OpportunityPatch { probability: Some(Some(60)), ..Default::default() };
    services.update_opportunity(&sofia, opportunity.id, 1.into(), patch).await.expect("opportunity");

    let code = ProductCode::parse("TOR-0412").unwrap();
    let product: ProductInput = serde_json::from_value(serde_json::json!({
        "name": "Tornillo 3/8", "department": "Ferretería", "group": "Tornillería", "unit": "caja",
        "taxRateBp": 1300, "warrantyMonths": 6, "variants": [{"code": "TOR-0412-N", "colour": "negro"}]
    }))
    .unwrap();
    services.upsert_product(&admin, &code, &product).await.expect("product");
    let list = PriceListKey::parse("mayorista").unwrap();
    let settings = PriceListInput { name: "Mayorista".into(), currency: "CRC".into(), active: None, default: true };
    services.save_price_list(&admin, &list, &settings, None).await.expect("price list");
    let prices = vec![Price {
        min_quantity: Quantity::from_milli(10_000).unwrap(),
        unit_price_minor: 12_500,
        valid_from: Some("2026-12-01".parse().unwrap()),
        valid_to: None,
    }];
    let rows = vec![PriceRowInput { product: code.clone(), prices }];
    let sync = |rows, remove, publish| PriceSync { version: None, rows, remove, publish };
    services.sync_prices(&admin, &list, &sync(rows.clone(), Vec::new(), true)).await.expect("version 1");
    services.sync_prices(&admin, &list, &sync(Vec::new(), vec![code.clone()], true)).await.expect("version 2");
    services.sync_prices(&admin, &list, &sync(rows, Vec::new(), false)).await.expect("a draft");
    services.set_account_price_list(&admin, account.value.id, Some(&list)).await.expect("account's list");
    let quote: QuoteInput = serde_json::from_value(serde_json::json!({
        "accountId": account.value.id, "currency": "CRC", "validUntil": "2026-12-30", "notes": "Sujeto a existencias",
        "lines": [{"description": "Instalación", "quantity": 2.5, "unitPriceMinor": 4_500_000, "discountBp": 500, "taxRateBp": 1300}]
    }))
    .unwrap();
    let written = services.create_quote(&sofia, &quote).await.expect("quote");
    services.send_quote(&sofia, written.value.id, 1.into()).await.expect("sent");
    services.update_quote(&sofia, written.value.id, 2.into(), &quote).await.expect("revision 2");
    let yes = gestiona_domain::sales::quote::DecisionInput { accepted: true, reason: None };
    services.decide_quote(&sofia, written.value.id, 3.into(), &yes).await.expect("accepted");
    services.order_quote(&sofia, written.value.id, 4.into()).await.expect("an order");

    services.save_dunning_ladder(&admin, DunningLadder::default(), None).await.expect("ladder");
    let profile = CollectionsProfile { credit_days: Some(30), ..Default::default() };
    services.save_collections_profile(&sofia, account.value.id, profile, None).await.expect("profile");
    let number = DocumentNumber::parse("F-0001").unwrap();
    let invoice = InvoiceInput {
        account_id: account.value.id,
        contact_id: None,
        currency: "CRC".into(),
        issued_on: "2026-11-01".parse().unwrap(),
        due_on: None,
        total_minor: 25_000_000,
        description: Some("Pedido 77".into()),
    };
    services.upsert_invoice(&sofia, &number, &invoice).await.expect("invoice");
    let payment =
        PaymentInput { amount_minor: 5_000_000, paid_on: "2026-11-20".parse().unwrap(), method: None, note: None };
    services.record_payment(&sofia, &number, &DocumentNumber::parse("P-1").unwrap(), payment).await.expect("payment");
    let credit =
        CreditNoteInput { amount_minor: 1_000_000, issued_on: "2026-11-21".parse().unwrap(), reason: "Merma".into() };
    services.issue_credit_note(&sofia, &number, &DocumentNumber::parse("NC-1").unwrap(), credit).await.expect("credit");

    services.record_opt_out(&ana, "nomas@example.com").await.expect("opt-out");
    services.claim_effect(&tenant, "effect-1", 60).await.expect("claim");
    services
        .start_session("fixture-secret", &sofia, gestiona_domain::Locale::Es, "csrf".into())
        .await
        .expect("session");
    services.keep_shown_once("fixture-secret", "01JQ8Z5X3D4K6M7N8P9R0S1T2V", "whsec_fixture").await.expect("kept");
    let view = gestiona_domain::service::views::NewSavedView {
        list: "cases".into(),
        name: "Urgentes".into(),
        query: "priority=urgent".into(),
        shared: true,
    };
    services.save_view(&sofia, view).await.expect("saved view");
    // The transitions' webhook events become deliveries, whose first attempt fails (retries are
    // queued).
    for _ in 0..2 {
        for message in queue.published().into_iter().filter(|m| m.queue == QueueName::Webhooks) {
            services.handle_webhook_message(&message, &AnsweringEndpoint(503)).await.expect("webhook work");
        }
    }
    clock.advance(3 * 24 * 3600);
    services.sweep_sla().await.expect("SLA sweep");
    services.sweep_invoices().await.expect("invoice sweep");
    store.items()
}

#[tokio::test]
async fn every_stored_kind_of_record_still_reads() {
    let items = every_kind_of_record().await;
    let mut first_of_kind: BTreeMap<String, Item> = BTreeMap::new();
    for item in items {
        first_of_kind.entry(fixture_name(&item)).or_insert(item);
    }
    let dir = fixtures_dir();
    if std::env::var_os("GESTIONA_WRITE_RECORD_FIXTURES").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (entity, item) in &first_of_kind {
            let fixture = Fixture { key: item.key.clone(), item: StoredItem::from_item(item) };
            let json = serde_json::to_string_pretty(&fixture).unwrap() + "\n";
            std::fs::write(dir.join(format!("{entity}.json")), json).unwrap();
        }
    }

    let mut read = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the fixtures folder") {
        let path = entry.unwrap().path();
        let fixture: Fixture = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let item = fixture.item.into_item(fixture.key);
        let current = path.file_name().unwrap().to_string_lossy().matches('.').count() == 1;
        match stored::read_and_rewrite(&item) {
            Ok(rewritten) if current => {
                assert_eq!(rewritten, item.body, "{} writes back what it read", path.display());
            }
            Ok(_) => {}
            Err(e) => panic!("{} no longer reads: {e}", path.display()),
        }
        read.push(fixture_name(&item));
    }
    // Every kind today's code writes has a fixture, so none can change unnoticed.
    for name in first_of_kind.keys() {
        assert!(read.contains(name), "no fixture for {name}: refresh the fixtures (see the module docs)");
    }
    assert!(read.len() >= 25, "{} fixtures", read.len());
}
