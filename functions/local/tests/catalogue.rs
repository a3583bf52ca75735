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

    // Codes and words of their own: the demo company has a catalogue too.
    let tornillo =
        json!({"name": "Tornillo 3/8", "department": "Tornillería", "group": "Hexagonal", "taxRateBp": 1300});
    let created = erp.send(Method::PUT, "/products/TOR-9001", Some(&tornillo), None).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.headers["location"], "/products/TOR-9001");
    let again = erp.send(Method::PUT, "/products/TOR-9001", Some(&tornillo), None).await;
    assert_eq!(
        (again.status, again.body["version"].as_u64()),
        (StatusCode::OK, Some(1)),
        "the same data writes nothing"
    );
    let batch = json!({"products": [
        {"code": "PIN-9100", "product": {"name": "Pintura elastomérica", "department": "Pinturas", "group": "Impermeables"}},
        {"code": "MAL/1", "product": {"name": "Código con barra"}},
    ]});
    let answered = erp.post("/product-batches", batch).await;
    let outcomes: Vec<_> = answered.body["results"].as_array().unwrap().iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("created"), json!("invalid")]);
    let refused = ana.send(Method::PUT, "/products/TOR-9500", Some(&tornillo), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "an agent reads the catalogue, never writes it");
    let listed = all_items(&ana, "/products?department=tornilleria").await;
    assert_eq!(codes(&listed), ["TOR-9001"]);
    let found = all_items(&ana, "/products?q=elastomerica").await;
    assert_eq!(codes(&found), ["PIN-9100"]);
    let lonely_group = ana.get("/products?group=Impermeables").await;
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
        {"product": "TOR-9001", "prices": [{"unitPriceMinor": 125_000}, {"minQuantity": 10, "unitPriceMinor": 115_000}]}
    ], "publish": false});
    let draft = erp.post("/price-lists/mayorista/prices", first).await;
    assert_eq!(
        (draft.status, draft.body["version"].as_u64(), draft.body["published"].as_bool()),
        (StatusCode::OK, Some(1), Some(false))
    );
    let quote = json!({"lines": [{"product": "TOR-9001", "quantity": 12}, {"product": "PIN-9100", "quantity": 2.5}]});
    let priced = ana.post("/pricing", quote.clone()).await;
    assert!(priced.body["lines"][0]["price"].is_null(), "the draft is not published: {}", priced.body);

    let another = erp.post("/price-lists/mayorista/prices", json!({"rows": []})).await;
    assert_eq!((another.status, another.problem_type()), (StatusCode::CONFLICT, "urn:gestiona:problem:draft-open"));
    assert_eq!(another.body["openVersion"], 1);
    let rest = json!({"version": 1, "rows": [{"product": "PIN-9100", "prices": [{"unitPriceMinor": 240_000}]}]});
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

    let bad = ana.post("/pricing", json!({"lines": [{"product": "TOR-9001", "quantity": 0.0001}]})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let zero = ana.post("/pricing", json!({"lines": [{"product": "TOR-9001", "quantity": 0}]})).await;
    assert_eq!(zero.fields(), ["lines[0].quantity"]);
    let ambiguous = json!({"rows": [{"product": "X-1", "prices": [{"unitPriceMinor": 1}, {"unitPriceMinor": 2}]}]});
    let refused = erp.post("/price-lists/mayorista/prices", ambiguous).await;
    assert_eq!(refused.fields(), ["rows[0].prices[1]"]);
    let rows = all_items(&ana, "/price-lists/mayorista/prices").await;
    assert_eq!(rows.len(), 2);
    let versions = all_items(&ana, "/price-lists/mayorista/versions").await;
    assert_eq!(versions.iter().map(|v| v["number"].clone()).collect::<Vec<_>>(), [json!(1)]);
}

#[tokio::test]
async fn a_quote_is_priced_sent_revised_and_rejected_over_http() {
    let server = Server::start_for_tenant("demo");
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let accounts = all_items(&ana, "/accounts").await;
    let account = accounts.iter().find(|a| a["name"] == "Café Ñandú Ltda.").unwrap()["id"].as_str().unwrap().to_owned();
    let quote = json!({"accountId": account, "lines": [
        {"product": "TOR-0412", "quantity": 12},
        {"description": "Instalación", "quantity": 1, "unitPriceMinor": 4_500_000, "taxRateBp": 1300}
    ]});
    let created = ana.post("/quotes", quote.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let path = created.headers["location"].to_str().unwrap().to_owned();
    let body = &created.body;
    assert_eq!(body["lines"][0]["priceList"], "general", "the demo's default list");
    assert_eq!(body["lines"][0]["amounts"]["netMinor"], 12 * 1_250_000);
    assert_eq!(body["totals"]["totalMinor"], (12 * 1_250_000 + 4_500_000i64) * 113 / 100);

    let unconditional = ana.send(Method::PUT, &path, Some(&quote), None).await;
    assert_eq!(unconditional.status, StatusCode::PRECONDITION_REQUIRED);
    let sent = ana.send(Method::POST, &format!("{path}/send"), None, Some("\"1\"")).await;
    assert_eq!((sent.status, sent.body["status"].as_str()), (StatusCode::OK, Some("sent")), "{}", sent.body);
    let revised = ana.send(Method::PUT, &path, Some(&quote), Some("\"2\"")).await;
    assert_eq!((revised.body["revision"].as_u64(), revised.body["status"].as_str()), (Some(2), Some("draft")));
    let revisions = ana.get(&format!("{path}/revisions")).await;
    assert_eq!(revisions.body["items"][0]["status"], "sent");
    let decision = format!("{path}/decision");
    let no_reason = ana.send(Method::POST, &decision, Some(&json!({"accepted": false})), Some("\"3\"")).await;
    assert_eq!(no_reason.fields(), ["reason"]);
    let why = json!({"accepted": false, "reason": "Precio"});
    let rejected = ana.send(Method::POST, &format!("{path}/decision"), Some(&why), Some("\"3\"")).await;
    assert_eq!(rejected.body["status"], "rejected");
    let closed = ana.send(Method::PUT, &path, Some(&quote), Some("\"4\"")).await;
    assert_eq!((closed.status, closed.problem_type()), (StatusCode::CONFLICT, "urn:gestiona:problem:quote-decided"));
    let listed = all_items(&ana, &format!("/quotes?accountId={account}&status=rejected")).await;
    assert_eq!(listed.len(), 1);
}
