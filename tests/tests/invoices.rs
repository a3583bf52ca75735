//! Receivables end to end on the embedded store, with a clock the test moves: a table of
//! invoices walked through 90 simulated days of daily sweeps must yield exactly the expected
//! reminders (invoice, step, day) — with payments between steps, a paused account, a promised
//! payment date, a stopped and a written-off invoice, an invoice imported late, and a sweep
//! outage that must catch up without stale reminders. Plus payments, credit notes and aging.

use std::collections::BTreeSet;
use std::sync::Arc;

use gestiona_domain::history::{EventKind, SkipCause};
use gestiona_domain::ports::{QueueName, Store, UlidGenerator};
use gestiona_domain::receivables::{
    AgingBucket, AgingTotals, CollectionsProfile, CreditNoteInput, DunningLadder, DunningTask, InvoiceInput,
    InvoicePatch, PaymentInput,
};
use gestiona_domain::search::SearchKind;
use gestiona_domain::service::case_list::CaseFilter;
use gestiona_domain::service::receivables::{AgingGroup, InvoiceChangeError, InvoiceFilter, Upserted};
use gestiona_domain::service::{PageRequest, Services};
use gestiona_domain::{Actor, DocumentNumber, EntityId, Role, TenantId, UserId};
use gestiona_tests::clock::ManualClock;
use gestiona_tests::queue::RecordingQueue;
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::json;

/// Costa Rica local time (UTC−6, no DST) as an instant.
fn cr(text: &str) -> Timestamp {
    let local: jiff::civil::DateTime = text.parse().unwrap();
    local.to_zoned(jiff::tz::TimeZone::get("America/Costa_Rica").unwrap()).unwrap().timestamp()
}

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

fn number(text: &str) -> DocumentNumber {
    DocumentNumber::parse(text).unwrap()
}

fn embedded() -> Arc<dyn Store> {
    let dir = std::env::temp_dir().join(format!("gestiona-invoices-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    Arc::new(gestiona_store_embedded::EmbeddedStore::open(dir.join("s.redb")).unwrap())
}

struct World {
    services: Services,
    clock: Arc<ManualClock>,
    queue: Arc<RecordingQueue>,
    admin: Actor,
    erp: Actor,
}

impl World {
    async fn new(start: &str) -> World {
        let clock = Arc::new(ManualClock::at(&cr(start).to_string()));
        let queue = Arc::new(RecordingQueue::default());
        let services = Services::new(embedded(), queue.clone(), clock.clone(), Arc::new(UlidGenerator::default()));
        let tenant = TenantId::parse("demo").unwrap();
        services.seed_demo(&tenant).await.unwrap();
        let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
        let erp = Actor::with_role(&tenant, &UserId::parse("erp").unwrap(), Role::Supervisor);
        World { services, clock, queue, admin, erp }
    }

    fn set(&self, local: &str) {
        let now = gestiona_domain::ports::Clock::now(self.clock.as_ref());
        self.clock.advance(cr(local).duration_since(now).as_secs());
    }

    async fn account(&self, name: &str) -> EntityId {
        let input = serde_json::from_value(json!({"name": name, "email": "cxp@example.com"})).unwrap();
        self.services.create_account(&self.admin, input).await.unwrap().value.id
    }

    async fn invoice(&self, n: &str, account: EntityId, due: &str, total: i64, currency: &str) {
        let input: InvoiceInput = serde_json::from_value(json!({
            "accountId": account, "currency": currency, "issuedOn": "2025-12-01", "dueOn": due, "totalMinor": total
        }))
        .unwrap();
        let (_, outcome) = self.services.upsert_invoice(&self.erp, &number(n), &input).await.unwrap();
        assert_eq!(outcome, Upserted::Created);
    }

    async fn pay(&self, n: &str, id: &str, amount: i64, on: &str) {
        let input =
            PaymentInput { amount_minor: amount, paid_on: day(on), method: Some("transferencia".into()), note: None };
        self.services.record_payment(&self.erp, &number(n), &number(id), input).await.unwrap();
    }

    async fn patch(&self, n: &str, patch: InvoicePatch) {
        let current = self.services.get_invoice(&self.erp, &number(n)).await.unwrap();
        self.services.patch_invoice(&self.erp, &number(n), &patch, current.version.into()).await.unwrap();
    }

    async fn profile(&self, account: EntityId, profile: CollectionsProfile) {
        let current = self.services.collections_profile(&self.admin.tenant, account).await.unwrap();
        let expected = (current.version > 0).then_some(current.version);
        self.services.save_collections_profile(&self.admin, account, profile, expected.map(Into::into)).await.unwrap();
    }

    /// The reminders published so far, as (invoice, step) with their effect ids.
    fn reminders(&self) -> Vec<(String, String, String)> {
        self.queue
            .published()
            .into_iter()
            .map(|m| (wire(&m), m))
            .filter(|(body, m)| m.queue == QueueName::Notifications && body["subject"]["type"] == "invoice")
            .map(|(body, m)| {
                let invoice = body["subject"]["id"].as_str().unwrap().to_owned();
                let step = body["context"]["dunning"]["step"].as_str().unwrap().to_owned();
                (invoice, step, m.effect_id)
            })
            .collect()
    }
}

/// The ladder of the simulation: the default steps; 30 days late opens a collections case for
/// the agent, 60 days late also files a collection letter on it.
fn ladder() -> DunningLadder {
    let mut ladder = DunningLadder::default();
    let task = DunningTask { case_type: "gestion_cobro".parse().unwrap() };
    ladder.steps[3].task = Some(task.clone());
    ladder.steps[4].task = Some(task);
    ladder.steps[4].collection_letter = true;
    ladder
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ninety_simulated_days_yield_exactly_the_expected_reminders() {
    let w = World::new("2026-01-05T07:00").await;
    w.services.save_dunning_ladder(&w.admin, ladder(), None).await.unwrap();
    let acme = w.account("Acme Ltda.").await;
    let paused = w.account("Pausada S.A.").await;
    let agent = UserId::parse("ana").unwrap();
    w.profile(acme, CollectionsProfile { collections_agent: Some(agent.clone()), ..Default::default() }).await;
    w.profile(paused, CollectionsProfile { dunning_paused: true, ..Default::default() }).await;

    w.invoice("F-001", acme, "2026-01-20", 100_000, "CRC").await; // never paid
    w.invoice("F-002", acme, "2026-01-20", 100_000, "CRC").await; // paid in full on 01-22
    w.invoice("F-003", acme, "2026-01-25", 100_000, "USD").await; // half on 01-27, rest on 03-01
    w.invoice("F-004", paused, "2026-01-20", 100_000, "CRC").await; // account unpaused on 02-25
    w.invoice("F-005", acme, "2026-02-15", 100_000, "CRC").await; // promises on 02-14 to pay 02-25
    w.invoice("F-007", acme, "2026-02-01", 100_000, "CRC").await; // reminders stopped on 01-29
    w.invoice("F-008", acme, "2026-01-10", 100_000, "CRC").await; // written off on 01-20
    w.invoice("F-009", acme, "2026-03-10", 100_000, "CRC").await; // due during the outage
    w.invoice("F-010", acme, "2026-03-05", 100_000, "CRC").await; // +5 falls in the outage

    let outage: BTreeSet<Date> =
        ["2026-03-08", "2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"].into_iter().map(day).collect();
    let mut seen = 0;
    let mut got: Vec<(String, String, String)> = Vec::new();
    let mut today = day("2026-01-05");
    for _ in 0..90 {
        w.set(&format!("{today}T07:00"));
        match today.to_string().as_str() {
            "2026-01-20" => {
                let f8 = w.services.get_invoice(&w.erp, &number("F-008")).await.unwrap();
                w.services
                    .write_off_invoice(&w.erp, &number("F-008"), "cliente en quiebra", f8.version.into())
                    .await
                    .unwrap();
            }
            "2026-01-22" => w.pay("F-002", "TRX-2", 100_000, "2026-01-22").await,
            "2026-01-27" => w.pay("F-003", "TRX-3A", 50_000, "2026-01-27").await,
            "2026-01-29" => w.patch("F-007", InvoicePatch { stop_dunning: Some(true), ..Default::default() }).await,
            "2026-02-14" => {
                w.patch("F-005", InvoicePatch { promised_on: Some(Some(day("2026-02-25"))), ..Default::default() })
                    .await
            }
            "2026-02-25" => w.profile(paused, CollectionsProfile::default()).await,
            "2026-03-01" => {
                w.pay("F-003", "TRX-3B", 50_000, "2026-03-01").await;
                // Imported from the ERP 45 days after its due date.
                w.invoice("F-006", acme, "2026-01-15", 100_000, "CRC").await;
            }
            _ => {}
        }
        w.set(&format!("{today}T08:00"));
        if !outage.contains(&today) {
            w.services.sweep_invoices().await.unwrap();
            // An overlapping second run (a retried schedule) must change nothing.
            w.services.sweep_invoices().await.unwrap();
        }
        let all = w.reminders();
        for (invoice, step, _) in &all[seen..] {
            got.push((invoice.clone(), step.clone(), today.to_string()));
        }
        seen = all.len();
        today = today.tomorrow().unwrap();
    }

    let expected: Vec<(&str, &str, &str)> = vec![
        ("F-008", "due-soon", "2026-01-05"),
        ("F-008", "due-today", "2026-01-10"),
        ("F-001", "due-soon", "2026-01-15"),
        ("F-002", "due-soon", "2026-01-15"),
        ("F-008", "overdue-5", "2026-01-15"),
        ("F-001", "due-today", "2026-01-20"),
        ("F-002", "due-today", "2026-01-20"),
        ("F-003", "due-soon", "2026-01-20"),
        ("F-003", "due-today", "2026-01-25"),
        ("F-001", "overdue-5", "2026-01-25"),
        ("F-007", "due-soon", "2026-01-27"),
        ("F-003", "overdue-5", "2026-01-30"),
        ("F-005", "due-soon", "2026-02-10"),
        ("F-001", "overdue-30", "2026-02-19"),
        ("F-003", "overdue-30", "2026-02-24"),
        ("F-004", "overdue-30", "2026-02-25"),
        ("F-005", "overdue-5", "2026-02-26"),
        ("F-010", "due-soon", "2026-02-28"),
        ("F-006", "overdue-30", "2026-03-01"),
        ("F-009", "due-soon", "2026-03-05"),
        ("F-010", "due-today", "2026-03-05"),
        ("F-010", "overdue-5", "2026-03-13"),
        ("F-009", "overdue-5", "2026-03-15"),
        ("F-006", "overdue-60", "2026-03-16"),
        ("F-005", "overdue-30", "2026-03-17"),
        ("F-001", "overdue-60", "2026-03-21"),
        ("F-004", "overdue-60", "2026-03-21"),
        ("F-010", "overdue-30", "2026-04-04"),
    ];
    let sort = |mut v: Vec<(String, String, String)>| {
        v.sort_by(|a, b| (&a.2, &a.0).cmp(&(&b.2, &b.0)));
        v
    };
    let expected = sort(expected.into_iter().map(|(a, b, c)| (a.into(), b.into(), c.into())).collect());
    assert_eq!(sort(got), expected, "reminders (invoice, step, day)");

    // Exactly once: every reminder has its own effect id, and the history agrees.
    let ids: BTreeSet<String> = w.reminders().into_iter().map(|r| r.2).collect();
    assert_eq!(ids.len(), expected.len());
    let history = w.services.invoice_history(&w.erp, &number("F-009")).await.unwrap();
    let skipped: Vec<_> = history
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::ReminderSkipped { step, reason, cause } => Some((step.clone(), reason.clone(), cause.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "due-today");
    assert!(skipped[0].1.contains("was due 3 days ago"), "{skipped:?}");
    assert!(matches!(skipped[0].2, Some(SkipCause::Stale { days_past_due: 3, .. })), "{skipped:?}");
    let f4 = w.services.invoice_history(&w.erp, &number("F-004")).await.unwrap();
    let f4_skipped = f4.iter().filter(|e| matches!(e.kind, EventKind::ReminderSkipped { .. })).count();
    assert_eq!(f4_skipped, 3, "the paused account's missed steps are passed over, not sent");

    // 30 and 60 days late opened collections cases for the agent; 60 also queued a letter.
    let late = expected.iter().filter(|r| r.1.starts_with("overdue-30") || r.1.starts_with("overdue-60")).count();
    let cases = w
        .services
        .list_cases(
            &w.admin,
            &CaseFilter { case_type: Some("gestion_cobro".parse().unwrap()), ..Default::default() },
            &PageRequest::new(Some(100), None).unwrap(),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(cases.len(), late);
    let acme_cases = cases.iter().filter(|c| c.value.account_id == Some(acme)).count();
    assert_eq!(acme_cases, late - 2, "F-004's two cases belong to the other account");
    assert!(cases.iter().filter(|c| c.value.account_id == Some(acme)).all(|c| c.value.owner == Some(agent.clone())));
    let letters: Vec<_> = w.queue.published().iter().filter(|m| m.queue == QueueName::Documents).map(wire).collect();
    assert_eq!(letters.len(), 3);
    assert!(letters.iter().all(|body| body["template"] == "collection_letter"));
    let f1_letter = letters.iter().find(|body| body["fields"]["reference"] == "F-001").unwrap();
    assert_eq!(f1_letter["fields"]["amountDueMinor"], 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_credit_notes_and_upserts_are_idempotent_and_never_overpay() {
    let w = World::new("2026-03-02T09:00").await;
    let acme = w.account("Acme Ltda.").await;
    w.invoice("F-100", acme, "2026-03-31", 100_000, "CRC").await;
    let f = number("F-100");

    // The ERP sends the same invoice again: nothing is written.
    let input: InvoiceInput = serde_json::from_value(json!({
        "accountId": acme, "currency": "CRC", "issuedOn": "2025-12-01", "dueOn": "2026-03-31", "totalMinor": 100_000
    }))
    .unwrap();
    let (same, outcome) = w.services.upsert_invoice(&w.erp, &f, &input).await.unwrap();
    assert_eq!((outcome, same.version), (Upserted::Unchanged, 1));

    let payment = PaymentInput { amount_minor: 30_000, paid_on: day("2026-03-02"), method: None, note: None };
    let (after, applied) = w.services.record_payment(&w.erp, &f, &number("P-1"), payment.clone()).await.unwrap();
    assert!(applied);
    assert_eq!(after.value.balance_minor(), 70_000);
    // The same payment again is a replay; another amount under the same id is refused.
    let (again, applied) = w.services.record_payment(&w.erp, &f, &number("P-1"), payment.clone()).await.unwrap();
    assert!(!applied);
    assert_eq!(again.value.balance_minor(), 70_000);
    let other = PaymentInput { amount_minor: 1, ..payment.clone() };
    assert!(matches!(
        w.services.record_payment(&w.erp, &f, &number("P-1"), other).await,
        Err(InvoiceChangeError::Duplicate(_))
    ));
    // Over-payment is refused, naming the field.
    let too_much = PaymentInput { amount_minor: 70_001, ..payment.clone() };
    match w.services.record_payment(&w.erp, &f, &number("P-2"), too_much).await {
        Err(InvoiceChangeError::Invalid(e)) => assert_eq!(e.0[0].field, "amountMinor"),
        other => panic!("{other:?}"),
    }
    // A total below what was paid is refused.
    let lower = InvoiceInput { total_minor: 20_000, ..input.clone() };
    assert!(w.services.upsert_invoice(&w.erp, &f, &lower).await.is_err());

    // A credit note, then concurrent payments that together would over-pay: exactly the ones
    // that fit are applied.
    let note = CreditNoteInput { amount_minor: 10_000, issued_on: day("2026-03-02"), reason: "descuento".into() };
    w.services.issue_credit_note(&w.erp, &f, &number("NC-1"), note).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..8 {
        let services = w.services.clone();
        let erp = w.erp.clone();
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let p = PaymentInput { amount_minor: 20_000, paid_on: day("2026-03-02"), method: None, note: None };
            services.record_payment(&erp, &f, &number(&format!("C-{n}")), p).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(InvoiceChangeError::Invalid(_) | InvoiceChangeError::Closed(_) | InvoiceChangeError::Busy) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(ok, 3, "60 000 left fits three payments of 20 000");
    let paid = w.services.get_invoice(&w.erp, &f).await.unwrap();
    assert_eq!((paid.value.balance_minor(), paid.value.paid_minor, paid.value.credited_minor), (0, 90_000, 10_000));
    let movements = w.services.invoice_movements(&w.erp, &f).await.unwrap();
    assert_eq!((movements.payments.len(), movements.credit_notes.len()), (4, 1));

    // Settled: out of the due index, so no sweep ever reminds it.
    w.set("2026-04-30T08:00");
    w.services.sweep_invoices().await.unwrap();
    assert!(w.reminders().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aging_matches_a_hand_computed_fixture_across_currencies() {
    let w = World::new("2026-06-30T09:00").await;
    let acme = w.account("Acme Ltda.").await;
    let beta = w.account("Beta S.A.").await;
    let ana = UserId::parse("ana").unwrap();
    let carlos = UserId::parse("carlos").unwrap();
    w.profile(
        acme,
        CollectionsProfile {
            credit_limit_minor: Some(500_000),
            credit_currency: Some("CRC".into()),
            credit_days: Some(30),
            collections_agent: Some(ana.clone()),
            ..Default::default()
        },
    )
    .await;
    w.profile(beta, CollectionsProfile { collections_agent: Some(carlos.clone()), ..Default::default() }).await;
    // As of 2026-06-30 (days past due in brackets):
    w.invoice("A-1", acme, "2026-07-15", 100_000, "CRC").await; // [-15] current
    w.invoice("A-2", acme, "2026-06-30", 50_000, "CRC").await; //   [0]  current
    w.invoice("A-3", acme, "2026-06-01", 200_000, "CRC").await; //  [29] 1-30, 80 000 paid → 120 000
    w.invoice("A-4", acme, "2026-04-01", 300_000, "CRC").await; //  [90] 61-90
    w.invoice("A-5", acme, "2026-05-01", 7_500, "USD").await; //    [60] 31-60
    w.invoice("A-6", acme, "2026-01-01", 9_999, "USD").await; //    paid in full: not aged
    w.invoice("B-1", beta, "2026-03-31", 400_000, "CRC").await; //  [91] >90
    w.invoice("B-2", beta, "2026-05-31", 2_500, "USD").await; //    [30] 1-30
    w.pay("A-3", "P-3", 80_000, "2026-06-15").await;
    w.pay("A-6", "P-6", 9_999, "2026-01-02").await;

    let aging = w.services.account_aging(&w.erp, acme).await.unwrap();
    let crc = AgingTotals {
        currency: "CRC".into(),
        current: 150_000,
        days_1_to_30: 120_000,
        days_61_to_90: 300_000,
        total: 570_000,
        invoices: 4,
        ..Default::default()
    };
    let usd =
        AgingTotals { currency: "USD".into(), days_31_to_60: 7_500, total: 7_500, invoices: 1, ..Default::default() };
    assert_eq!(aging.totals, vec![crc.clone(), usd.clone()]);
    assert_eq!(aging.available_credit_minor, Some(-70_000));
    assert!(aging.over_limit);
    assert_eq!(aging.invoices.len(), 5);

    let by_agent = w.services.aging_report(&w.erp, AgingGroup::Agent, None).await.unwrap();
    let row = |group: &str, currency: &str| {
        by_agent.rows.iter().find(|r| r.group == group && r.totals.currency == currency).unwrap().totals.clone()
    };
    assert_eq!(row("ana", "CRC"), crc);
    assert_eq!(row("ana", "USD"), usd);
    assert_eq!(row("carlos", "CRC").over_90, 400_000);
    assert_eq!(row("carlos", "USD").days_1_to_30, 2_500);
    let all_crc = by_agent.totals.iter().find(|t| t.currency == "CRC").unwrap();
    assert_eq!((all_crc.total, all_crc.over_90, all_crc.invoices), (970_000, 400_000, 5));
    let all_usd = by_agent.totals.iter().find(|t| t.currency == "USD").unwrap();
    assert_eq!(all_usd.total, 10_000);

    let only_carlos = w.services.aging_report(&w.erp, AgingGroup::Account, Some(&carlos)).await.unwrap();
    assert_eq!(only_carlos.rows.len(), 2);
    assert!(only_carlos.rows.iter().all(|r| r.group == beta.to_string() && r.name.as_deref() == Some("Beta S.A.")));

    // The invoice list filters as the aging groups: by age, by agent (the profile's unless the
    // invoice names another), and what is still owed.
    w.patch("A-1", InvoicePatch { collections_agent: Some(Some(carlos.clone())), ..Default::default() }).await;
    let w = &w;
    let listed = |filter: InvoiceFilter| async move {
        let page = PageRequest::new(Some(2), None).unwrap();
        let mut numbers = Vec::new();
        let mut page = Some(page);
        while let Some(request) = page {
            let found = w.services.list_invoices(&w.erp, &filter, &request).await.unwrap();
            numbers.extend(found.items.iter().map(|i| i.value.invoice.number.to_string()));
            page = found.next_cursor.map(|c| PageRequest::new(Some(2), Some(c)).unwrap());
        }
        numbers
    };
    let aged = |bucket| InvoiceFilter { bucket: Some(bucket), ..Default::default() };
    assert_eq!(listed(aged(AgingBucket::Days61To90)).await, ["A-4"]);
    assert_eq!(listed(aged(AgingBucket::Current)).await, ["A-2", "A-1"], "by due date");
    let of_agent = |agent: &UserId| InvoiceFilter { agent: Some(agent.clone()), ..Default::default() };
    assert_eq!(listed(of_agent(&carlos)).await, ["B-1", "B-2", "A-1"], "Beta's and the invoice naming Carlos");
    assert_eq!(listed(of_agent(&ana)).await, ["A-6", "A-4", "A-5", "A-3", "A-2"], "paid ones too, not A-1");
    let owed = InvoiceFilter { account_id: Some(acme), owed: true, ..Default::default() };
    assert_eq!(listed(owed).await, ["A-4", "A-5", "A-3", "A-2", "A-1"], "A-6 is paid");
}

#[tokio::test]
async fn an_invoice_is_found_by_its_number_and_description_as_they_are_now() {
    let w = World::new("2026-06-30T09:00").await;
    let acme = w.account("Acme Ltda.").await;
    let found = |query: &'static str| {
        let w = &w;
        async move {
            let page = PageRequest::new(Some(10), None).unwrap();
            let hits = w.services.search(&w.erp, query, &[SearchKind::Invoice], &page).await.unwrap();
            hits.items.into_iter().map(|doc| doc.id).collect::<Vec<_>>()
        }
    };
    let mut input: InvoiceInput = serde_json::from_value(json!({
        "accountId": acme, "currency": "CRC", "issuedOn": "2026-06-01", "dueOn": "2026-07-01",
        "totalMinor": 100_000, "description": "Pedido 7781, bodega Heredia"
    }))
    .unwrap();
    w.services.upsert_invoice(&w.erp, &number("F-2026.0042"), &input).await.unwrap();
    assert_eq!(found("0042").await, ["F-2026.0042"], "by a part of its number");
    assert_eq!(found("f-2026.0042").await, ["F-2026.0042"], "by its whole number");
    assert_eq!(found("heredia 7781").await, ["F-2026.0042"], "by its description's words");
    input.description = Some("Pedido 9900".into());
    w.services.upsert_invoice(&w.erp, &number("F-2026.0042"), &input).await.unwrap();
    assert!(found("7781").await.is_empty(), "the old words are gone from the index");
    assert_eq!(found("9900").await, ["F-2026.0042"]);
    w.pay("F-2026.0042", "P-1", 40_000, "2026-06-15").await;
    assert_eq!(found("9900").await, ["F-2026.0042"], "a payment leaves the index as it was");
}

/// An effect's body as it travels (the wire format the workers read).
fn wire(message: &gestiona_domain::ports::EffectMessage) -> serde_json::Value {
    serde_json::to_value(&message.body).expect("an effect serialises")
}
