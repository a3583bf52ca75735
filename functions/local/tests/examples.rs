//! Every request body in the served OpenAPI document has an example, and every example is
//! accepted: sent as it is documented to a fresh runner's demo tenant, with the path parameters
//! filled from the records the creating examples made.

mod common;

use common::{Caller, Server};
use gestiona_api::openapi::EXAMPLE_ACCOUNT_ID;
use reqwest::Method;
use serde_json::Value;

struct Operation {
    method: String,
    path: String,
    example: Option<Value>,
    /// Whether it takes `If-Match`: sent as `*` (whatever is current) except where the example
    /// creates the record.
    conditional: bool,
    creates: bool,
}

fn operations_with_bodies(doc: &Value) -> Vec<Operation> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(content) = operation["requestBody"]["content"].as_object() else { continue };
            let Some(json) = content.iter().find(|(media, _)| media.contains("json")).map(|(_, body)| body) else {
                continue;
            };
            let conditional = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["in"] == "header" && p["name"] == "If-Match");
            found.push(Operation {
                method: method.clone(),
                path: path.clone(),
                example: json.get("example").cloned(),
                conditional,
                creates: false,
            });
        }
    }
    // Creations first (their records fill the others' paths), the write-off last (it closes the
    // invoice the payment and the credit note are applied to).
    let rank = |o: &Operation| match (o.method.as_str(), o.path.as_str()) {
        ("post", "/accounts" | "/contacts" | "/cases" | "/leads" | "/opportunities" | "/webhooks")
        | ("put", "/invoices/{number}" | "/products/{code}" | "/price-lists/{key}") => 0,
        (_, path) if path.ends_with("/write-off") || path.ends_with("/convert") => 2,
        _ => 1,
    };
    for operation in &mut found {
        operation.creates = rank(operation) == 0;
    }
    found.sort_by_key(|o| (rank(o), o.path.clone(), o.method.clone()));
    found
}

fn replace_strings(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(text) if text == from => *text = to.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(|v| replace_strings(v, from, to)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_strings(v, from, to)),
        _ => {}
    }
}

#[tokio::test]
async fn every_request_body_example_is_accepted_as_documented() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let doc = admin.get("/openapi.json").await.body;
    let operations = operations_with_bodies(&doc);
    let missing: Vec<String> =
        operations.iter().filter(|o| o.example.is_none()).map(|o| format!("{} {}", o.method, o.path)).collect();
    assert!(missing.is_empty(), "request bodies without an example: {missing:?}");

    let mut ids: Vec<(String, String)> = vec![
        ("number".into(), "FE-0001234".into()),
        ("noteNumber".into(), "NC-0000077".into()),
        ("paymentId".into(), "PAY-0000991".into()),
        ("caseType".into(), "devolucion".into()),
    ];
    // An order to invoice: an accepted quote of a demo account's, made an order (neither step
    // has a body, so no example makes one).
    let account = admin.get("/accounts").await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let line = serde_json::json!({"description": "Visita técnica", "quantity": 1, "unitPriceMinor": 100_000});
    let quote =
        admin.post("/quotes", serde_json::json!({"accountId": account, "currency": "CRC", "lines": [line]})).await;
    let quote = quote.body["id"].as_str().expect("a quote").to_owned();
    let accepted = serde_json::json!({"accepted": true});
    admin.send(Method::POST, &format!("/quotes/{quote}/decision"), Some(&accepted), Some("\"1\"")).await;
    let order = admin.send(Method::POST, &format!("/quotes/{quote}/order"), None, Some("\"2\"")).await;
    ids.push(("orders".into(), order.body["id"].as_str().expect("an order").to_owned()));

    let id_for = |ids: &[(String, String)], path: &str, parameter: &str| -> String {
        let collection = path.split('/').nth(1).unwrap_or_default();
        let wanted = match (parameter, collection) {
            ("id", "forms") => return "contacto".into(),
            ("id", "users") => return "ana".into(),
            ("id", "profiles") => return "centro-llamadas".into(),
            ("key", "calendars") => return "oficina".into(),
            ("key", "case-types") => return "devolucion".into(),
            ("key", "price-lists") => return "mayorista".into(),
            ("code", "products") => return "TOR-0412".into(),
            ("month", "goals") => return "2026-12".into(),
            ("id", collection) => collection.to_owned(),
            (other, _) => other.to_owned(),
        };
        ids.iter().find(|(name, _)| *name == wanted).map(|(_, id)| id.clone()).unwrap_or_else(|| {
            panic!("no record for {{{parameter}}} in {path}: the creating example did not run first")
        })
    };
    for operation in &operations {
        let mut path = operation.path.clone();
        while let Some(start) = path.find('{') {
            let end = start + path[start..].find('}').unwrap();
            let value = id_for(&ids, &operation.path, &path[start + 1..end]);
            path.replace_range(start..=end, &value);
        }
        let mut body = operation.example.clone().unwrap();
        if let Some((_, account)) = ids.iter().find(|(name, _)| name == "accounts") {
            replace_strings(&mut body, EXAMPLE_ACCOUNT_ID, account);
        }
        let method = Method::from_bytes(operation.method.to_uppercase().as_bytes()).unwrap();
        let reply =
            admin.send(method, &path, Some(&body), (operation.conditional && !operation.creates).then_some("*")).await;
        assert!(
            reply.status.is_success(),
            "{} {path}: the documented example was answered {}: {}",
            operation.method,
            reply.status,
            reply.body
        );
        if operation.method == "post" && !operation.path.contains('{') {
            let collection = operation.path.trim_start_matches('/').to_owned();
            if let Some(id) = reply.body["id"].as_str() {
                ids.push((collection, id.to_owned()));
            }
        }
    }
}
