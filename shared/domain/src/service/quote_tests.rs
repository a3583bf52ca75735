//! Quotes through the use cases: priced from the account's list (a hand-typed price and a typed
//! line beside), numbered once, revised once sent, decided, expired, and within scopes.

use std::sync::Arc;

use crate::access::Role;
use crate::ids::{EntityId, PriceListKey, ProductCode, TenantId, UserId};
use crate::sales::QuoteStatus;
use crate::sales::price_list::{Price, PriceListInput, PriceRowInput, PriceSync, QUANTITY_SCALE, Quantity};
use crate::sales::product::ProductInput;
use crate::sales::quote::{DecisionInput, QuoteInput, QuoteLineInput};
use crate::service::quotes::{QuoteError, QuoteFilter};
use crate::service::{PageRequest, Services};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::{Actor, ExpectedVersion};

struct World {
    services: Services,
    clock: Arc<ManualClock>,
    admin: Actor,
    ana: Actor,
    carlos: Actor,
    account: EntityId,
    other_account: EntityId,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services =
        Services::new(store, Arc::new(RecordingQueue::default()), clock.clone(), Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let actor = |user: &str, role| Actor::with_role(&tenant, &UserId::parse(user).unwrap(), role);
    let admin = services.authorize(actor("admin", Role::Admin)).await.unwrap();
    let ana = services.authorize(actor("ana", Role::Agent)).await.unwrap();
    let carlos = services.authorize(actor("carlos", Role::Agent)).await.unwrap();
    let accounts = services.list_accounts(&admin, &Default::default(), &PageRequest::default()).await.unwrap();
    let (account, other_account) = (accounts.items[0].value.id, accounts.items[1].value.id);
    for (code, name, tax, active) in [("TOR-1", "Tornillo", 1300, true), ("VIEJO-1", "Descontinuado", 1300, false)] {
        let input = ProductInput {
            name: name.into(),
            description: None,
            department: None,
            group: None,
            subgroup: None,
            unit: Some("caja".into()),
            tax_rate_bp: Some(tax),
            warranty_months: None,
            active: Some(active),
            variants: Vec::new(),
        };
        services.upsert_product(&admin, &ProductCode::parse(code).unwrap(), &input).await.unwrap();
    }
    for c in ["SIN-PRECIO"] {
        let input: ProductInput = serde_json::from_value(serde_json::json!({"name": c})).unwrap();
        services.upsert_product(&admin, &ProductCode::parse(c).unwrap(), &input).await.unwrap();
    }
    let list = PriceListKey::parse("general").unwrap();
    let settings = PriceListInput { name: "General".into(), currency: "CRC".into(), active: None, default: true };
    services.save_price_list(&admin, &list, &settings, None).await.unwrap();
    let price = |min: i64, unit_price_minor| Price {
        min_quantity: Quantity::from_milli(min * QUANTITY_SCALE).unwrap(),
        unit_price_minor,
        valid_from: None,
        valid_to: None,
    };
    let rows = vec![
        PriceRowInput {
            product: ProductCode::parse("TOR-1").unwrap(),
            prices: vec![price(0, 10_000), price(10, 9_000)],
        },
        PriceRowInput { product: ProductCode::parse("VIEJO-1").unwrap(), prices: vec![price(0, 1)] },
    ];
    let sync = PriceSync { version: None, rows, remove: Vec::new(), publish: true };
    services.sync_prices(&admin, &list, &sync).await.unwrap();
    World { services, clock, admin, ana, carlos, account, other_account }
}

fn units(n: i64) -> Quantity {
    Quantity::from_milli(n * QUANTITY_SCALE).unwrap()
}

fn product_line(code: &str, quantity: i64) -> QuoteLineInput {
    QuoteLineInput {
        product: Some(ProductCode::parse(code).unwrap()),
        description: None,
        quantity: units(quantity),
        unit_price_minor: None,
        discount_bp: None,
        tax_rate_bp: None,
    }
}

fn typed_line(description: &str, quantity: i64, price: i64) -> QuoteLineInput {
    QuoteLineInput {
        product: None,
        description: Some(description.into()),
        quantity: units(quantity),
        unit_price_minor: Some(price),
        discount_bp: None,
        tax_rate_bp: None,
    }
}

fn input(account: EntityId, lines: Vec<QuoteLineInput>) -> QuoteInput {
    QuoteInput {
        account_id: account,
        contact_id: None,
        opportunity_id: None,
        currency: None,
        price_list: None,
        valid_until: None,
        notes: None,
        lines,
    }
}

fn fields(error: QuoteError) -> Vec<String> {
    match error {
        QuoteError::Invalid(e) => e.0.into_iter().map(|e| e.field).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[tokio::test]
async fn a_quote_is_priced_from_the_list_numbered_once_and_totalled_by_its_lines() {
    let w = world().await;
    let discounted = QuoteLineInput { discount_bp: Some(1000), ..product_line("TOR-1", 12) };
    let lines = vec![discounted, typed_line("Instalación", 1, 50_000), product_line("TOR-1", 1)];
    let id = EntityId::from_ulid(ulid::Ulid(77));
    let (quote, replayed) = w.services.create_quote_once(&w.ana, &input(w.account, lines.clone()), id).await.unwrap();
    assert!(!replayed);
    let q = &quote.value;
    assert_eq!(
        (q.number.as_str(), q.revision, q.status, q.currency.as_str()),
        ("COT-000001", 1, QuoteStatus::Draft, "CRC")
    );
    assert_eq!(q.valid_until, jiff::civil::date(2026, 12, 30), "30 days from today");
    let first = &q.lines[0];
    assert_eq!(
        (first.unit_price_minor, first.unit.as_str(), first.tax_rate_bp),
        (9_000, "caja", 1300),
        "the break from 10"
    );
    assert_eq!((first.price_list.as_ref().map(|l| l.as_str()), first.price_list_version), (Some("general"), Some(1)));
    // 12 × 90,00 = 1 080,00; 10 % off = 108,00; 13 % of 972,00 = 126,36.
    assert_eq!((first.amounts.net_minor, first.amounts.tax_minor), (97_200, 12_636));
    assert_eq!((q.lines[1].tax_rate_bp, q.lines[1].price_list.clone()), (0, None), "a typed line: no tax, no list");
    assert_eq!(q.totals.net_minor, 97_200 + 50_000 + 10_000);
    assert_eq!(q.totals.tax_minor, 12_636 + 1_300);
    assert_eq!(q.totals.total_minor, q.lines.iter().map(|l| l.amounts.total_minor).sum::<i64>());

    let (again, replayed) = w.services.create_quote_once(&w.ana, &input(w.account, lines), id).await.unwrap();
    assert!(replayed && again.value.number == "COT-000001", "the same form twice is one quote");
    let next = w.services.create_quote(&w.ana, &input(w.account, vec![product_line("TOR-1", 1)])).await.unwrap();
    assert_eq!(next.value.number, "COT-000002");
}

#[tokio::test]
async fn lines_that_cannot_be_priced_are_refused_each_by_its_field() {
    let w = world().await;
    let lines = vec![
        product_line("NO-EXISTE", 1),
        product_line("VIEJO-1", 1),
        product_line("SIN-PRECIO", 1),
        QuoteLineInput { unit_price_minor: Some(5_000), ..product_line("SIN-PRECIO", 1) },
    ];
    let refused = w.services.create_quote(&w.ana, &input(w.account, lines)).await.unwrap_err();
    assert_eq!(
        fields(refused),
        ["lines[0].product", "lines[1].product", "lines[2].product"],
        "a given price needs no list"
    );
    let dollars = QuoteInput { currency: Some("USD".into()), ..input(w.account, vec![product_line("TOR-1", 1)]) };
    assert_eq!(fields(w.services.create_quote(&w.ana, &dollars).await.unwrap_err()), ["currency"]);
    let no_currency = input(w.account, vec![typed_line("Visita", 1, 1000)]);
    assert_eq!(fields(w.services.create_quote(&w.ana, &no_currency).await.unwrap_err()), ["currency"]);
    let contacts = w.services.list_contacts(&w.admin, &Default::default(), &PageRequest::default()).await.unwrap();
    let stranger = contacts.items.iter().find(|c| c.value.account_id != Some(w.account)).unwrap().value.id;
    let wrong = QuoteInput { contact_id: Some(stranger), ..input(w.account, vec![product_line("TOR-1", 1)]) };
    assert_eq!(fields(w.services.create_quote(&w.ana, &wrong).await.unwrap_err()), ["contactId"]);
}

#[tokio::test]
async fn a_sent_quote_changes_by_revision_and_is_decided_once() {
    let w = world().await;
    let created = w.services.create_quote(&w.ana, &input(w.account, vec![product_line("TOR-1", 2)])).await.unwrap();
    let id = created.value.id;
    let edited = w
        .services
        .update_quote(&w.ana, id, ExpectedVersion::from(1), &input(w.account, vec![product_line("TOR-1", 3)]))
        .await
        .unwrap();
    assert_eq!((edited.value.revision, edited.version), (1, 2), "a draft changes in place");
    let sent = w.services.send_quote(&w.ana, id, ExpectedVersion::from(2)).await.unwrap();
    assert_eq!(sent.value.status, QuoteStatus::Sent);
    let stale = w.services.update_quote(&w.ana, id, ExpectedVersion::from(2), &input(w.account, vec![])).await;
    assert!(matches!(stale, Err(QuoteError::Stale { expected: 2 })), "{stale:?}");
    let revised = w
        .services
        .update_quote(&w.ana, id, ExpectedVersion::from(3), &input(w.account, vec![product_line("TOR-1", 20)]))
        .await
        .unwrap();
    assert_eq!((revised.value.revision, revised.value.status, revised.value.sent_at), (2, QuoteStatus::Draft, None));
    let revisions = w.services.quote_revisions(&w.ana, id).await.unwrap();
    let kept: Vec<_> = revisions.iter().map(|r| (r.revision, r.status, r.totals.net_minor)).collect();
    assert_eq!(kept, [(1, QuoteStatus::Sent, 30_000)], "the revision sent is kept as it was");

    let why = DecisionInput { accepted: false, reason: None };
    let refused = w.services.decide_quote(&w.ana, id, ExpectedVersion::from(4), &why).await.unwrap_err();
    assert_eq!(fields(refused), ["reason"]);
    let why = DecisionInput { accepted: false, reason: Some("Eligieron otro proveedor".into()) };
    let rejected = w.services.decide_quote(&w.ana, id, ExpectedVersion::from(4), &why).await.unwrap();
    assert_eq!(rejected.value.status, QuoteStatus::Rejected);
    assert_eq!(rejected.value.decision.as_ref().and_then(|d| d.reason.as_deref()), Some("Eligieron otro proveedor"));
    let closed = w.services.send_quote(&w.ana, id, ExpectedVersion::from(5)).await;
    assert!(matches!(closed, Err(QuoteError::Decided(QuoteStatus::Rejected))), "{closed:?}");
}

#[tokio::test]
async fn an_expired_quote_is_neither_sent_nor_accepted_until_revised() {
    let w = world().await;
    let created = w.services.create_quote(&w.ana, &input(w.account, vec![product_line("TOR-1", 1)])).await.unwrap();
    w.clock.advance(31 * 24 * 3600);
    let id = created.value.id;
    assert_eq!(fields(w.services.send_quote(&w.ana, id, ExpectedVersion::from(1)).await.unwrap_err()), ["validUntil"]);
    let yes = DecisionInput { accepted: true, reason: None };
    assert_eq!(
        fields(w.services.decide_quote(&w.ana, id, ExpectedVersion::from(1), &yes).await.unwrap_err()),
        ["validUntil"]
    );
    let renewed = w
        .services
        .update_quote(&w.ana, id, ExpectedVersion::from(1), &input(w.account, vec![product_line("TOR-1", 1)]))
        .await
        .unwrap();
    assert_eq!(renewed.value.valid_until, jiff::civil::date(2027, 1, 30));
    let accepted = w.services.decide_quote(&w.ana, id, ExpectedVersion::from(2), &yes).await.unwrap();
    assert_eq!(accepted.value.status, QuoteStatus::Accepted);
}

#[tokio::test]
async fn an_agent_sees_her_own_quotes_only() {
    let w = world().await;
    let mine = w.services.create_quote(&w.ana, &input(w.account, vec![product_line("TOR-1", 1)])).await.unwrap();
    let his =
        w.services.create_quote(&w.carlos, &input(w.other_account, vec![product_line("TOR-1", 1)])).await.unwrap();
    assert!(matches!(w.services.get_quote(&w.ana, his.value.id).await, Err(QuoteError::NotFound)));
    let listed = w.services.list_quotes(&w.ana, &QuoteFilter::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(listed.items.iter().map(|q| q.value.id).collect::<Vec<_>>(), [mine.value.id]);
    let all = w.services.list_quotes(&w.admin, &QuoteFilter::default(), &PageRequest::default()).await.unwrap();
    let numbers: Vec<_> = all.items.iter().map(|q| q.value.number.clone()).collect();
    assert_eq!(numbers, ["COT-000002", "COT-000001"], "newest first");
    let filter = QuoteFilter { account: Some(w.other_account), ..Default::default() };
    let of_account = w.services.list_quotes(&w.admin, &filter, &PageRequest::default()).await.unwrap();
    assert_eq!(of_account.items.len(), 1);
}

#[tokio::test]
async fn an_accepted_quote_becomes_one_order_and_the_order_one_invoice() {
    use crate::sales::OrderStatus;
    use crate::sales::order::InvoiceOrder;
    use crate::service::orders::OrderError;

    let w = world().await;
    let lines = vec![product_line("TOR-1", 12), typed_line("Instalación", 1, 50_000)];
    let quote = w.services.create_quote(&w.ana, &input(w.account, lines)).await.unwrap();
    let id = quote.value.id;
    let draft = w.services.order_quote(&w.ana, id, ExpectedVersion::from(1)).await.unwrap_err();
    assert!(matches!(draft, OrderError::Invalid(_)), "only an accepted quote: {draft:?}");
    let yes = DecisionInput { accepted: true, reason: None };
    w.services.decide_quote(&w.ana, id, ExpectedVersion::from(1), &yes).await.unwrap();
    let (order, replayed) = w.services.order_quote(&w.ana, id, ExpectedVersion::from(2)).await.unwrap();
    assert!(!replayed);
    let o = &order.value;
    assert_eq!((o.number.as_str(), o.quote_number.as_str(), o.status), ("PED-000001", "COT-000001", OrderStatus::Open));
    assert_eq!((o.lines.clone(), o.totals.clone()), (quote.value.lines.clone(), quote.value.totals.clone()));
    let (again, replayed) = w.services.order_quote(&w.ana, id, ExpectedVersion::from(2)).await.unwrap();
    assert!(replayed && again.value.id == o.id, "a quote becomes one order");
    assert_eq!(w.services.get_quote(&w.ana, id).await.unwrap().value.order_id, Some(o.id));

    let refused = w.services.invoice_order(&w.ana, o.id, ExpectedVersion::from(1), &InvoiceOrder::default()).await;
    assert!(matches!(refused, Err(OrderError::Forbidden(_))), "an agent records no invoice: {refused:?}");
    let undated = w.services.invoice_order(&w.admin, o.id, ExpectedVersion::from(1), &InvoiceOrder::default()).await;
    assert!(matches!(undated, Err(OrderError::Invalid(_))), "no days of credit: the due date is needed");
    let dated = InvoiceOrder { due_on: Some(jiff::civil::date(2026, 12, 30)), ..Default::default() };
    let (invoiced, invoice) = w.services.invoice_order(&w.admin, o.id, ExpectedVersion::from(1), &dated).await.unwrap();
    assert_eq!(invoiced.value.status, OrderStatus::Invoiced);
    assert_eq!(invoice.value.number.as_str(), "F-PED-000001");
    assert_eq!((invoice.value.total_minor, invoice.value.currency.as_str()), (o.totals.total_minor, "CRC"));
    assert_eq!(invoice.value.description.as_deref(), Some("PED-000001 (COT-000001 v1)"));
    let (_, same) =
        w.services.invoice_order(&w.admin, o.id, ExpectedVersion::from(1), &InvoiceOrder::default()).await.unwrap();
    assert_eq!((same.value.number.clone(), same.version), (invoice.value.number.clone(), invoice.version), "once");
    let listed = w.services.list_orders(&w.ana, &Default::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    let theirs = w.services.get_order(&w.carlos, o.id).await;
    assert!(matches!(theirs, Err(OrderError::NotFound)), "outside Carlos's scope");
}
