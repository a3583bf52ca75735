//! The catalogue and price lists through the use cases: idempotent upserts, the listings,
//! versions written as drafts and published whole, and pricing with its fallback.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::access::Role;
use crate::ids::{EntityId, PriceListKey, ProductCode, TenantId, UserId};
use crate::sales::price_list::{Price, PriceListInput, PriceRowInput, PriceSync, QUANTITY_SCALE, Quantity};
use crate::sales::pricing::{PricingLine, PricingProblem, PricingRequest};
use crate::sales::product::{ProductFilter, ProductInput};
use crate::service::price_lists::PriceListError;
use crate::service::products::{BatchProduct, SaveProductError};
use crate::service::{PageRequest, Services, Upserted};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::{Actor, ExpectedVersion};

struct World {
    services: Services,
    /// The ERP's integration user.
    erp: Actor,
    ana: Actor,
    account: EntityId,
}

async fn world() -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(store, Arc::new(RecordingQueue::default()), clock, Arc::new(SequentialIds::default()));
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let actor = |user: &str, role| Actor::with_role(&tenant, &UserId::parse(user).unwrap(), role);
    let erp = services.authorize(actor("erp", Role::Admin)).await.unwrap();
    let ana = services.authorize(actor("ana", Role::Agent)).await.unwrap();
    let accounts = services.list_accounts(&erp, &Default::default(), &PageRequest::default()).await.unwrap();
    World { services, erp, ana, account: accounts.items[0].value.id }
}

fn code(s: &str) -> ProductCode {
    ProductCode::parse(s).unwrap()
}

fn list_key(s: &str) -> PriceListKey {
    PriceListKey::parse(s).unwrap()
}

fn product(name: &str, department: &str, group: &str) -> ProductInput {
    serde_json::from_value(serde_json::json!({
        "name": name, "department": department, "group": group, "taxRateBp": 1300
    }))
    .unwrap()
}

fn units(n: i64) -> Quantity {
    Quantity::from_milli(n * QUANTITY_SCALE).unwrap()
}

fn price(min: i64, unit_price_minor: i64) -> Price {
    Price { min_quantity: units(min), unit_price_minor, valid_from: None, valid_to: None }
}

fn row(product: &str, prices: Vec<Price>) -> PriceRowInput {
    PriceRowInput { product: code(product), prices }
}

fn sync(rows: Vec<PriceRowInput>, remove: &[&str]) -> PriceSync {
    PriceSync { version: None, rows, remove: remove.iter().map(|c| code(c)).collect(), publish: true }
}

fn list_input(name: &str, currency: &str, default: bool) -> PriceListInput {
    PriceListInput { name: name.into(), currency: currency.into(), active: None, default }
}

fn lines(of: &[(&str, i64)]) -> Vec<PricingLine> {
    of.iter().map(|(p, q)| PricingLine { product: code(p), quantity: units(*q) }).collect()
}

async fn unit_prices(w: &World, request: PricingRequest) -> Vec<Option<i64>> {
    let answer = w.services.price_lines(&w.ana, &request).await.unwrap();
    answer.lines.iter().map(|l| l.price.as_ref().map(|p| p.unit_price_minor)).collect()
}

async fn catalogue(w: &World, codes: &[&str]) {
    for c in codes {
        w.services.upsert_product(&w.erp, &code(c), &product(c, "D", "G")).await.unwrap();
    }
}

fn from_list(list: &str, of: &[(&str, i64)]) -> PricingRequest {
    PricingRequest { account_id: None, price_list: Some(list_key(list)), date: None, lines: lines(of) }
}

#[tokio::test]
async fn the_erp_upserts_products_and_the_same_product_again_writes_nothing() {
    let w = world().await;
    let tornillo = product("Tornillo 3/8", "Ferretería", "Tornillería");
    let (created, outcome) = w.services.upsert_product(&w.erp, &code("TOR-1"), &tornillo).await.unwrap();
    assert_eq!((outcome, created.version), (Upserted::Created, 1));
    let (again, outcome) = w.services.upsert_product(&w.erp, &code("TOR-1"), &tornillo).await.unwrap();
    assert_eq!((outcome, again.version), (Upserted::Unchanged, 1));
    let renamed = product("Tornillo 3/8 galvanizado", "Ferretería", "Tornillería");
    let (updated, outcome) = w.services.upsert_product(&w.erp, &code("TOR-1"), &renamed).await.unwrap();
    assert_eq!((outcome, updated.version), (Upserted::Updated, 2));
    assert_eq!(updated.value.created_at, created.value.created_at);
    let refused = w.services.upsert_product(&w.ana, &code("TOR-2"), &tornillo).await;
    assert!(matches!(refused, Err(SaveProductError::Forbidden(_))), "an agent reads the catalogue, never writes it");
}

#[tokio::test]
async fn a_batch_answers_line_by_line_and_one_bad_line_holds_back_no_other() {
    let w = world().await;
    let line =
        |code: &str, name: &str| BatchProduct { code: code.into(), product: product(name, "Pinturas", "Látex") };
    let batch = vec![
        line("PIN-1", "Látex blanco"),
        line("bad code", "Nada"),
        line("PIN-2", " "),
        line("PIN-1", "Látex blanco"),
    ];
    let results = w.services.upsert_products(&w.erp, batch).await.unwrap();
    let outcomes: Vec<_> = results.iter().map(|r| (r.code.as_str(), r.outcome)).collect();
    assert_eq!(outcomes, [("PIN-1", "created"), ("bad code", "invalid"), ("PIN-2", "invalid"), ("PIN-1", "unchanged")]);
    assert_eq!(results[2].errors[0].field, "name");
}

#[tokio::test]
async fn the_catalogue_lists_by_code_by_department_and_group_and_by_word() {
    let w = world().await;
    for (c, name, department, group) in [
        ("TOR-2", "Tornillo de acero", "Ferretería", "Tornillería"),
        ("TOR-1", "Tornillo galvanizado", "Ferretería", "Tornillería"),
        ("MAR-1", "Martillo de uña", "Ferretería", "Herramientas"),
        ("PIN-1", "Pintura látex", "Pinturas", "Látex"),
    ] {
        w.services.upsert_product(&w.erp, &code(c), &product(name, department, group)).await.unwrap();
    }
    let codes = |page: crate::Page<crate::Versioned<crate::sales::Product>>| {
        page.items.into_iter().map(|p| p.value.code.to_string()).collect::<Vec<_>>()
    };
    let all = w.services.list_products(&w.ana, None, &ProductFilter::default(), &PageRequest::default()).await.unwrap();
    assert_eq!(codes(all), ["MAR-1", "PIN-1", "TOR-1", "TOR-2"]);
    let department = ProductFilter { department: Some("ferreteria".into()), ..Default::default() };
    let found = w.services.list_products(&w.ana, None, &department, &PageRequest::default()).await.unwrap();
    assert_eq!(codes(found), ["MAR-1", "TOR-1", "TOR-2"], "by group, then code");
    let group = ProductFilter { group: Some("TORNILLERÍA".into()), ..department.clone() };
    let found = w.services.list_products(&w.ana, None, &group, &PageRequest::default()).await.unwrap();
    assert_eq!(codes(found), ["TOR-1", "TOR-2"]);
    let (any, first) = (ProductFilter::default(), PageRequest::default());
    let found = w.services.list_products(&w.ana, Some("torn galv"), &any, &first).await.unwrap();
    assert_eq!(codes(found), ["TOR-1"]);
    let found = w.services.list_products(&w.ana, Some("tor-2"), &any, &first).await.unwrap();
    assert_eq!(codes(found), ["TOR-2"], "found by its code");
    let found = w.services.list_products(&w.ana, Some("pinturas"), &any, &first).await.unwrap();
    assert_eq!(codes(found), ["PIN-1"], "found by its department");
    // Products never crowd the staff search.
    let hits = w.services.search(&w.ana, "tornillo", &crate::search::SearchKind::ALL, &PageRequest::default()).await;
    assert!(hits.unwrap().items.is_empty());
}

#[tokio::test]
async fn a_draft_is_invisible_until_published_and_counts_against_the_published_version() {
    let w = world().await;
    let key = list_key("mayorista");
    catalogue(&w, &["A", "B", "C", "D"]).await;
    w.services.save_price_list(&w.erp, &key, &list_input("Mayorista", "CRC", false), None).await.unwrap();
    let first =
        sync(vec![row("A", vec![price(0, 1000)]), row("B", vec![price(0, 2000)]), row("C", vec![price(0, 3000)])], &[]);
    let published = w.services.sync_prices(&w.erp, &key, &first).await.unwrap();
    assert_eq!((published.version, published.added, published.rows), (1, 3, 3));

    // Version 2 in two requests: A changes twice (counted once), B goes, D comes.
    let part = PriceSync {
        publish: false,
        ..sync(vec![row("A", vec![price(0, 1100)]), row("D", vec![price(0, 4000)])], &["B"])
    };
    let draft = w.services.sync_prices(&w.erp, &key, &part).await.unwrap();
    assert_eq!((draft.version, draft.published, draft.written), (2, false, 3));
    let during = unit_prices(&w, from_list("mayorista", &[("A", 1), ("B", 1), ("D", 1)])).await;
    assert_eq!(during, [Some(1000), Some(2000), None], "readers see version 1 while 2 is written");
    let rows = w.services.price_rows(&w.ana, &key, &PageRequest::default()).await.unwrap();
    let listed: Vec<_> = rows.items.iter().map(|r| (r.product.to_string(), r.prices[0].unit_price_minor)).collect();
    assert_eq!(listed, [("A".into(), 1000), ("B".into(), 2000), ("C".into(), 3000)]);

    let opened_again = w.services.sync_prices(&w.erp, &key, &sync(vec![row("C", vec![price(0, 1)])], &[])).await;
    assert!(matches!(opened_again, Err(PriceListError::DraftOpen { open: 2 })), "{opened_again:?}");
    let rest = PriceSync {
        version: Some(2),
        ..sync(vec![row("A", vec![price(0, 1200)]), row("C", vec![price(0, 3000)])], &[])
    };
    let done = w.services.sync_prices(&w.erp, &key, &rest).await.unwrap();
    assert_eq!((done.version, done.published, done.written, done.unchanged), (2, true, 1, 1));
    assert_eq!((done.added, done.changed, done.removed, done.rows), (1, 1, 1, 3));
    let after = unit_prices(&w, from_list("mayorista", &[("A", 1), ("B", 1), ("D", 1)])).await;
    assert_eq!(after, [Some(1200), None, Some(4000)]);
    let versions = w.services.price_list_versions(&w.ana, &key, &PageRequest::default()).await.unwrap();
    let log: Vec<_> = versions.items.iter().map(|v| (v.value.number, v.value.rows)).collect();
    assert_eq!(log, [(2, 3), (1, 3)]);
    let answer = w.services.price_lines(&w.ana, &from_list("mayorista", &[("A", 1)])).await.unwrap();
    assert_eq!(answer.lines[0].price.as_ref().unwrap().version, 2, "a quote keeps the version it was priced from");
}

#[tokio::test]
async fn an_account_is_priced_from_its_list_then_the_default_in_the_same_currency() {
    let w = world().await;
    let services = &w.services;
    for (key, currency, default) in
        [("general", "CRC", true), ("distribuidores", "CRC", false), ("export", "USD", false)]
    {
        services.save_price_list(&w.erp, &list_key(key), &list_input(key, currency, default), None).await.unwrap();
    }
    catalogue(&w, &["A", "B", "C"]).await;
    let general = sync(vec![row("A", vec![price(0, 1000)]), row("B", vec![price(0, 2000), price(10, 1800)])], &[]);
    services.sync_prices(&w.erp, &list_key("general"), &general).await.unwrap();
    let distributors = sync(vec![row("A", vec![price(0, 900)])], &[]);
    services.sync_prices(&w.erp, &list_key("distribuidores"), &distributors).await.unwrap();
    services.sync_prices(&w.erp, &list_key("export"), &sync(vec![row("B", vec![price(0, 5)])], &[])).await.unwrap();
    let request = |of: &[(&str, i64)]| PricingRequest {
        account_id: Some(w.account),
        price_list: None,
        date: None,
        lines: lines(of),
    };

    assert_eq!(
        unit_prices(&w, request(&[("A", 1), ("B", 12)])).await,
        [Some(1000), Some(1800)],
        "no list: the default"
    );
    services.set_account_price_list(&w.erp, w.account, Some(&list_key("distribuidores"))).await.unwrap();
    let answer = services.price_lines(&w.ana, &request(&[("A", 1), ("B", 1), ("C", 1), ("Z", 1)])).await.unwrap();
    let got: Vec<_> = answer
        .lines
        .iter()
        .map(|l| (l.price.as_ref().map(|p| (p.price_list.to_string(), p.unit_price_minor)), l.problem))
        .collect();
    assert_eq!(
        got,
        [
            (Some(("distribuidores".into(), 900)), None),
            (Some(("general".into(), 2000)), None),
            (None, Some(PricingProblem::NotInPriceList)),
            (None, Some(PricingProblem::NotInCatalogue)),
        ]
    );
    services.set_account_price_list(&w.erp, w.account, Some(&list_key("export"))).await.unwrap();
    let answer = services.price_lines(&w.ana, &request(&[("A", 1), ("B", 1)])).await.unwrap();
    assert_eq!(answer.price_lists, [list_key("export")], "a default in another currency is never mixed in");
    assert_eq!(answer.lines[0].problem, Some(PricingProblem::NotInPriceList));
    let stale = services
        .save_price_list(
            &w.erp,
            &list_key("general"),
            &list_input("General", "USD", true),
            Some(ExpectedVersion::from(1)),
        )
        .await;
    assert!(matches!(stale, Err(PriceListError::Stale(_))), "{stale:?}");
    let refused =
        services.save_price_list(&w.erp, &list_key("general"), &list_input("General", "USD", true), None).await;
    assert!(matches!(refused, Err(PriceListError::Invalid(_))), "its prices are in colones: {refused:?}");
}

mod generated {
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Set(usize, i64),
        Remove(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![(0..6usize, 1..50i64).prop_map(|(p, price)| Op::Set(p, price)), (0..6usize).prop_map(Op::Remove)]
    }

    const PRODUCTS: [&str; 6] = ["P0", "P1", "P2", "P3", "P4", "P5"];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever a version's requests write (in any number of parts, a product more than
        /// once), readers see the last published version exactly, and its counts are right.
        #[test]
        fn readers_always_see_exactly_the_last_published_version(
            versions in prop::collection::vec(prop::collection::vec(prop::collection::vec(op(), 0..5), 1..4), 1..5)
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async move {
                let w = world().await;
                let key = list_key("general");
                catalogue(&w, &PRODUCTS).await;
                w.services.save_price_list(&w.erp, &key, &list_input("General", "CRC", false), None).await.unwrap();
                let mut published: BTreeMap<usize, i64> = BTreeMap::new();
                for (n, parts) in versions.iter().enumerate() {
                    let mut drafted = published.clone();
                    for (i, part) in parts.iter().enumerate() {
                        // The last op on a product within one request wins; a request names a product once.
                        let mut last: BTreeMap<usize, Option<i64>> = BTreeMap::new();
                        for op in part {
                            match op {
                                Op::Set(p, price) => last.insert(*p, Some(*price)),
                                Op::Remove(p) => last.insert(*p, None),
                            };
                        }
                        let rows = last.iter().filter_map(|(p, price)| price.map(|price| row(PRODUCTS[*p], vec![price_of(price)]))).collect();
                        let remove: Vec<&str> = last.iter().filter(|(_, price)| price.is_none()).map(|(p, _)| PRODUCTS[*p]).collect();
                        for (p, price) in &last {
                            match price {
                                Some(price) => drafted.insert(*p, *price),
                                None => drafted.remove(p),
                            };
                        }
                        let publish = i + 1 == parts.len();
                        let request = PriceSync { version: Some(n as u32 + 1), publish, ..sync(rows, &remove) };
                        let outcome = w.services.sync_prices(&w.erp, &key, &request).await.unwrap();
                        if publish {
                            let added = drafted.keys().filter(|p| !published.contains_key(p)).count() as u64;
                            let removed = published.keys().filter(|p| !drafted.contains_key(p)).count() as u64;
                            let changed = drafted.iter().filter(|(p, v)| published.get(p).is_some_and(|b| b != *v)).count() as u64;
                            assert_eq!((outcome.added, outcome.changed, outcome.removed, outcome.rows), (added, changed, removed, drafted.len() as u64));
                            published = drafted.clone();
                        }
                        let request = from_list("general", &PRODUCTS.map(|p| (p, 1)));
                        let seen = unit_prices(&w, request).await;
                        let expected: Vec<Option<i64>> = (0..PRODUCTS.len()).map(|p| published.get(&p).copied()).collect();
                        assert_eq!(seen, expected, "version {} part {}", n + 1, i + 1);
                    }
                }
            });
        }
    }

    fn price_of(unit_price_minor: i64) -> Price {
        price(0, unit_price_minor)
    }
}
