//! One handler scenario, driven by the `events/` fixtures, that runs on any store: the same
//! function code on the embedded store and on DynamoDB.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use gestiona_api::{Api, ClaimNames, Function, Routes};
use gestiona_domain::TenantId;
use gestiona_domain::ports::{Store, SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::Value;

use crate::fixtures::{event, request, with_claim, with_header, with_id};

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Value,
}

fn reply(response: Response<Body>) -> Reply {
    let (parts, body) = response.into_parts();
    // JSON answers as values; anything else (CSV, HTML) as its text.
    let json =
        parts.headers.get(http::header::CONTENT_TYPE).is_none_or(|t| t.to_str().is_ok_and(|t| t.contains("json")));
    let body = match body {
        Body::Text(text) if json => serde_json::from_str(&text).expect("JSON"),
        Body::Text(text) => Value::String(text),
        Body::Binary(bytes) if json => serde_json::from_slice(&bytes).expect("JSON"),
        Body::Binary(bytes) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        _ => Value::Null,
    };
    Reply { status: parts.status, headers: parts.headers, body }
}

/// The API on `store`, with the demo tenant seeded.
pub async fn api_on(store: Arc<dyn Store>) -> Api {
    let queue = Arc::new(crate::queue::RecordingQueue::default());
    let services = Services::new(store, queue, Arc::new(SystemClock), Arc::new(UlidGenerator::default()));
    services.seed_demo(&TenantId::parse("demo").unwrap()).await.expect("seed the demo tenant");
    Api::new(services, ClaimNames::default())
}

/// Calls `function` as Lambda would: through its own route table.
pub async fn call(api: &Api, function: Function, event: &Value) -> Reply {
    reply(api.handle(routes_of(function), request(event)).await)
}

/// Each function's routes, built once as a cold start builds them.
fn routes_of(function: Function) -> &'static Routes {
    static TABLES: OnceLock<HashMap<Function, Routes>> = OnceLock::new();
    &TABLES.get_or_init(|| Function::ALL.into_iter().map(|f| (f, Routes::of(f.routes()))).collect())[&function]
}

pub async fn scenario(api: Api) {
    use Function::{AccountsApi, CasesApi};

    let created = call(&api, CasesApi, &event("apigw/create-case.json")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["subject"], "Sacos húmedos en la entrega 2026-41");
    assert_eq!(created.body["state"], "registrada");
    assert_eq!(created.body["amount"]["amountMinor"], 4_500_000);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.headers["location"], format!("/cases/{id}").as_str());
    assert_eq!(created.headers["etag"], "\"1\"");

    let read = call(&api, CasesApi, &with_id(event("apigw/get-case.json"), &id)).await;
    assert_eq!((read.status, &read.body["id"]), (StatusCode::OK, &Value::from(id.clone())));

    // Two updates against version 1, concurrently: one wins, one is told it is stale.
    let patch = with_id(event("apigw/patch-case.json"), &id);
    let other = with_header(patch.clone(), "if-match", "\"1\"");
    let (a, b) = futures::join!(call(&api, CasesApi, &patch), call(&api, CasesApi, &other));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let history = call(&api, CasesApi, &with_id(event("apigw/case-history.json"), &id)).await;
    let kinds: Vec<_> = history.body["items"].as_array().unwrap().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(
        kinds,
        ["created", "assigned", "effectEnqueued", "slaStarted", "slaStarted", "slaStarted", "updated"],
        "the initial state's pool assigned it; the demo SLA policy started its clocks"
    );

    let listed = call(&api, CasesApi, &event("apigw/list-cases.json")).await;
    assert_eq!(listed.status, StatusCode::OK);
    let items = listed.body["items"].as_array().unwrap();
    assert!(items.len() <= 2 && !items.is_empty());
    assert!(items.iter().all(|c| c["state"] == "registrada"));

    let account = call(&api, AccountsApi, &event("apigw/create-account.json")).await;
    assert_eq!(account.status, StatusCode::CREATED, "{}", account.body);
    assert_eq!(account.body["name"], "Cooperativa Médica del Sur");

    // Another tenant: its own contacts work; the demo's case is not found.
    let contact = call(&api, AccountsApi, &event("apigw/create-contact-other-tenant.json")).await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.body);
    let foreign = with_claim(with_id(event("apigw/get-case.json"), &id), "custom:tenant", "otra-empresa");
    assert_eq!(call(&api, CasesApi, &foreign).await.status, StatusCode::NOT_FOUND);

    // Routes belong to their function; an agent cannot archive; no authorizer is 401.
    assert_eq!(call(&api, AccountsApi, &event("apigw/get-case.json")).await.status, StatusCode::NOT_FOUND);
    let mut archive = with_header(with_id(event("apigw/get-case.json"), &id), "if-match", "\"2\"");
    archive["routeKey"] = Value::from("DELETE /cases/{id}");
    archive["requestContext"]["routeKey"] = Value::from("DELETE /cases/{id}");
    archive["requestContext"]["http"]["method"] = Value::from("DELETE");
    let denied = call(&api, CasesApi, &archive).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let supervisor = with_claim(archive, "cognito:groups", "[agent supervisor]");
    assert_eq!(call(&api, CasesApi, &supervisor).await.status, StatusCode::NO_CONTENT);
    let anonymous = call(&api, CasesApi, &event("apigw/list-cases-no-authorizer.json")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let openapi = call(&api, CasesApi, &event("apigw/openapi.json")).await;
    assert_eq!(openapi.status, StatusCode::OK);
    assert!(openapi.body["openapi"].as_str().unwrap().starts_with("3.1"));
}

/// A browser's form post as API Gateway delivers it (urlencoded, base64), through the public
/// function, then staff review the quarantined post through the leads function.
pub async fn lead_form_scenario(api: Api) {
    use Function::{LeadCapture, LeadsApi};

    let posted = call(&api, LeadCapture, &event("apigw/post-lead-form.json")).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    assert_eq!(posted.headers["location"], "/f/demo/contacto?sent=1");
    // The fixture carries no signed timestamp: the post is held for review, not lost.
    let review = crate::fixtures::lead_submissions();
    let held = call(&api, LeadsApi, &review).await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.body);
    let items = held.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", held.body);
    assert_eq!(items[0]["reasons"], serde_json::json!(["tokenMissing"]));
    assert_eq!(items[0]["ip"], "203.0.113.10", "the address API Gateway saw");
    assert_eq!(items[0]["fields"]["name"], "Lucía Ramírez");
    assert_eq!(items[0]["fields"]["phone"], "+50688887777");
    assert_eq!(items[0]["attribution"]["utm"], serde_json::json!({"source": "google", "medium": "cpc"}));
    assert_eq!(items[0]["attribution"]["campaign"], "sitio-web");
    // The same post again (a retry without a key or token) is held again: it was never lost.
    let again =
        call(&api, LeadCapture, &with_header(event("apigw/post-lead-form.json"), "accept", "application/json")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let held = call(&api, LeadsApi, &review).await;
    assert_eq!(held.body["items"].as_array().map(Vec::len), Some(2));
}
