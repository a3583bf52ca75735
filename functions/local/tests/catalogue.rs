//! Black-box tests of the catalogue and price lists over HTTP against gestiona-local: the ERP's
//! idempotent upserts, a version written in two requests and published by the last, problems
//! for bad input and a second sync, and pricing an account's quote lines.

mod common;

use common::{Caller, Server, all_items};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn codes(items: &[Value]) -> Vec<&str> {
    items.iter().map(|p| p["code"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_erp_syncs_products_and_prices_and_an_agent_prices_a_quote() {
    let server = Server::start_for_tenant("demo");
    let erp = Caller::new(&server, Some(server.token("demo", "erp", "admin")));
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));

    let tornillo =
        json!({"name": "Tornillo 3/8", "department": "Ferretería", "group": "Tornillería", "taxRateBp": 1300});
    let created = erp.send(Method::PUT, "/products/TOR-0412", Some(&tornillo), None).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.headers["location"], "/products/TOR-0412");
    let again = erp.send(Method::PUT, "/products/TOR-0412", Some(&tornillo), None).await;
    assert_eq!(
        (again.status, again.body["version"].as_u64()),
        (StatusCode::OK, Some(1)),
        "the same data writes nothing"
    );
    let batch = json!({"products": [
        {"code": "PIN-0100", "product": {"name": "Pintura látex", "department": "Pinturas", "group": "Látex"}},
        {"code": "MAL/1", "product": {"name": "Código con barra"}},
    ]});
    let answered = erp.post("/product-batches", batch).await;
    let outcomes: Vec<_> = answered.body["results"].as_array().unwrap().iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("created"), json!("invalid")]);
    let refused = ana.send(Method::PUT, "/products/TOR-0500", Some(&tornillo), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "an agent reads the catalogue, never writes it");
    let listed = all_items(&ana, "/products?department=ferreteria").await;
    assert_eq!(codes(&listed), ["TOR-0412"]);
    let found = all_items(&ana, "/products?q=latex").await;
    assert_eq!(codes(&found), ["PIN-0100"]);
    let lonely_group = ana.get("/products?group=Latex").await;
    assert_eq!((lonely_group.status, lonely_group.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["group".into()]));

    let list = json!({"name": "Mayorista", "currency": "CRC", "default": true});
    let created = erp.send(Method::PUT, "/price-lists/mayorista", Some(&list), None).await;
    assert_eq!(
        (created.status, created.body["default"].as_bool()),
        (StatusCode::CREATED, Some(true)),
        "{}",
        created.body
    );
    let first = json!({"rows": [
        {"product": "TOR-0412", "prices": [{"unitPriceMinor": 125_000}, {"minQuantity": 10, "unitPriceMinor": 115_000}]}
    ], "publish": false});
    let draft = erp.post("/price-lists/mayorista/prices", first).await;
    assert_eq!(
        (draft.status, draft.body["version"].as_u64(), draft.body["published"].as_bool()),
        (StatusCode::OK, Some(1), Some(false))
    );
    let quote = json!({"lines": [{"product": "TOR-0412", "quantity": 12}, {"product": "PIN-0100", "quantity": 2.5}]});
    let priced = ana.post("/pricing", quote.clone()).await;
    assert!(priced.body["lines"][0]["price"].is_null(), "the draft is not published: {}", priced.body);

    let another = erp.post("/price-lists/mayorista/prices", json!({"rows": []})).await;
    assert_eq!((another.status, another.problem_type()), (StatusCode::CONFLICT, "urn:gestiona:problem:draft-open"));
    assert_eq!(another.body["openVersion"], 1);
    let rest = json!({"version": 1, "rows": [{"product": "PIN-0100", "prices": [{"unitPriceMinor": 240_000}]}]});
    let published = erp.post("/price-lists/mayorista/prices", rest).await;
    assert_eq!(
        (published.body["published"].as_bool(), published.body["added"].as_u64(), published.body["rows"].as_u64()),
        (Some(true), Some(2), Some(2)),
        "{}",
        published.body
    );

    let priced = ana.post("/pricing", quote).await;
    assert_eq!(priced.status, StatusCode::OK, "{}", priced.body);
    let lines = priced.body["lines"].as_array().unwrap();
    assert_eq!(lines[0]["price"]["unitPriceMinor"], 115_000, "the break from 10 on");
    assert_eq!(lines[0]["price"]["netMinor"], 1_380_000);
    assert_eq!(lines[0]["taxRateBp"], 1300);
    assert_eq!(lines[1]["price"]["netMinor"], 600_000, "2.5 galones");
    assert_eq!(lines[1]["price"]["version"], 1);

    let bad = ana.post("/pricing", json!({"lines": [{"product": "TOR-0412", "quantity": 0.0001}]})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let zero = ana.post("/pricing", json!({"lines": [{"product": "TOR-0412", "quantity": 0}]})).await;
    assert_eq!(zero.fields(), ["lines[0].quantity"]);
    let ambiguous = json!({"rows": [{"product": "X-1", "prices": [{"unitPriceMinor": 1}, {"unitPriceMinor": 2}]}]});
    let refused = erp.post("/price-lists/mayorista/prices", ambiguous).await;
    assert_eq!(refused.fields(), ["rows[0].prices[1]"]);
    let rows = all_items(&ana, "/price-lists/mayorista/prices").await;
    assert_eq!(rows.len(), 2);
    let versions = all_items(&ana, "/price-lists/mayorista/versions").await;
    assert_eq!(versions.iter().map(|v| v["number"].clone()).collect::<Vec<_>>(), [json!(1)]);
}
