//! The API's JSON bodies through the real handlers, against the embedded store: each input picks
//! an operation with a body, and either mutates the OpenAPI document's example for it or sends
//! its bytes raw. Whatever arrives, the answer is never a server error, and a refusal is a
//! problem+json with a stable type (and, for 422, the fields at fault).
#![no_main]

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use gestiona_api::{Api, ClaimNames, Routes};
use gestiona_domain::TenantId;
use gestiona_domain::ports::{EffectMessage, EffectQueue, QueueError, SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::testing::MemoryBlobs;
use gestiona_store_embedded::EmbeddedStore;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Effects are not under test here: dropped, so memory stays flat over a long run.
struct Discard;

#[async_trait]
impl EffectQueue for Discard {
    async fn publish(&self, _: &[EffectMessage]) -> Result<(), QueueError> {
        Ok(())
    }

    async fn publish_delayed(&self, _: &EffectMessage, _: std::time::Duration) -> Result<(), QueueError> {
        Ok(())
    }
}

struct Operation {
    method: String,
    template: String,
    path: String,
    example: Value,
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    api: Api,
    routes: Routes,
    operations: Vec<Operation>,
}

/// Real records for the path parameters, so that bodies reach the use cases behind them.
async fn records(api: &Api, routes: &Routes) -> Vec<(&'static str, String)> {
    let create = |path: &'static str, body: Value| async move {
        let reply = call(api, routes, "post", path, path, &body.to_string()).await;
        reply["id"].as_str().unwrap_or_else(|| panic!("{path}: {reply}")).to_owned()
    };
    let account = create("/accounts", json!({"name": "Ferretería El Clavo"})).await;
    let contact = create("/contacts", json!({"firstName": "José", "email": "jose@elclavo.example"})).await;
    let case = create("/cases", json!({"type": "devolucion", "subject": "Cafetera dañada"})).await;
    let lead = create("/leads", json!({"name": "Laura Jiménez", "email": "laura@palmas.example"})).await;
    let invoice = json!({"accountId": account, "currency": "CRC", "issuedOn": "2026-11-02", "totalMinor": 1_000_000});
    call(api, routes, "put", "/invoices/{number}", "/invoices/FE-1", &invoice.to_string()).await;
    vec![
        ("/accounts/{id}", account),
        ("/contacts/{id}", contact),
        ("/cases/{id}", case),
        ("/leads/{id}", lead),
        ("{number}", "FE-1".into()),
        ("{noteNumber}", "NC-1".into()),
        ("{paymentId}", "P-1".into()),
        ("{key}", "devolucion".into()),
        ("{caseType}", "devolucion".into()),
        ("/forms/{id}", "contacto".into()),
        ("/users/{id}", "ana".into()),
    ]
}

fn concrete(template: &str, records: &[(&str, String)]) -> String {
    let mut path = template.to_owned();
    for (pattern, id) in records {
        match pattern.strip_prefix('/') {
            // `/cases/{id}` names the `{id}` of paths under /cases.
            Some(_) if template.starts_with(pattern.trim_end_matches("/{id}")) => path = path.replacen("{id}", id, 1),
            Some(_) => {}
            None => path = path.replace(pattern, id),
        }
    }
    if template.starts_with("/calendars/") {
        path = path.replace("devolucion", "oficina");
    }
    path
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        // A fresh store on every run, in memory-backed /dev/shm where there is one (commits are cheap).
        let base = ["/dev/shm", "/tmp"].into_iter().find(|d| std::path::Path::new(d).is_dir()).unwrap();
        let dir = std::path::Path::new(base).join(format!("gestiona-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Arc::new(EmbeddedStore::open(dir.join("store.redb")).unwrap());
        let services =
            Services::new(store, Arc::new(Discard), Arc::new(SystemClock), Arc::new(UlidGenerator::default()));
        let api = Api::new(services.clone(), ClaimNames::default()).with_blobs(Arc::new(MemoryBlobs::default()));
        let routes = Routes::all();
        let records = runtime.block_on(async {
            let demo = TenantId::parse("demo").unwrap();
            services.seed_demo(&demo).await.unwrap();
            records(&api, &routes).await
        });
        let doc: Value = serde_json::from_str(gestiona_api::openapi::DOCUMENT).unwrap();
        let mut operations = Vec::new();
        for (template, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let content = &operation["requestBody"]["content"];
                let Some(example) = content.as_object().into_iter().flatten().find_map(|(_, c)| c.get("example"))
                else {
                    continue;
                };
                let path = concrete(template, &records);
                operations.push(Operation {
                    method: method.clone(),
                    template: template.clone(),
                    path,
                    example: example.clone(),
                });
            }
        }
        assert!(operations.len() > 20, "the document's examples: {}", operations.len());
        Fixture { runtime, api, routes, operations }
    })
}

/// Calls one route as API Gateway would, as the demo tenant's admin, and returns the JSON answer
/// after checking it is not a server error and that a refusal is a well-formed problem.
async fn call(api: &Api, routes: &Routes, method: &str, template: &str, path: &str, body: &str) -> Value {
    let method = method.to_uppercase();
    let route_key = format!("{method} {template}");
    let event = json!({
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "if-match": "*", "accept-language": "es"},
        "requestContext": {
            "accountId": "0", "apiId": "fuzz", "domainName": "fuzz", "domainPrefix": "fuzz",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "fuzz"},
            "requestId": "fuzz", "routeKey": route_key, "stage": "$default", "time": "", "timeEpoch": 0,
            "authorizer": {"jwt": {"claims": {"sub": "admin", "custom:tenant": "demo", "cognito:groups": "[admin]"}, "scopes": null}}
        },
        "pathParameters": path_parameters(template, path),
        "body": body, "isBase64Encoded": false
    });
    let request = lambda_http::request::from_str(&event.to_string()).expect("a valid event");
    let response = api.handle(routes, request).await;
    let status = response.status();
    assert!(!status.is_server_error(), "{route_key} answered {status} to {body:?}");
    let answer: Value = match response.body() {
        lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        lambda_http::Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    if status.is_client_error() {
        let kind = answer["type"].as_str().unwrap_or_default();
        assert!(kind.starts_with("urn:gestiona:problem:"), "{route_key} {status}: {answer}");
        if status.as_u16() == 422 {
            assert!(
                answer["errors"].as_array().is_some_and(|e| !e.is_empty()),
                "{route_key} 422 names no field: {answer}"
            );
        }
    }
    answer
}

fn path_parameters(template: &str, path: &str) -> Value {
    let mut parameters = serde_json::Map::new();
    for (name, value) in template.split('/').zip(path.split('/')) {
        if let Some(name) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            parameters.insert(name.to_owned(), json!(value));
        }
    }
    if parameters.is_empty() { Value::Null } else { Value::Object(parameters) }
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let [pick, mode, rest @ ..] = data else { return };
    let operation = &fixture.operations[usize::from(*pick) % fixture.operations.len()];
    let body = if mode % 4 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let mut example = operation.example.clone();
        gestiona_fuzz::mutate(&mut example, rest);
        example.to_string()
    };
    fixture.runtime.block_on(call(
        &fixture.api,
        &fixture.routes,
        &operation.method,
        &operation.template,
        &operation.path,
        &body,
    ));
});
