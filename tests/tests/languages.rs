//! Errors in the user's language: the same refusal in Spanish or English by `Accept-Language`,
//! with the same stable `type` and reason `code`; the public form page in the form's language.
//! Through the real handlers, on the in-memory store.

use std::sync::Arc;

use gestiona_api::Function;
use gestiona_domain::testing::MemoryStore;
use gestiona_tests::fixtures::{staff, with_header};
use gestiona_tests::handlers::{Reply, api_on, call};
use serde_json::{Value, json};

async fn create_contact(accept_language: Option<&str>) -> Reply {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let body = json!({"firstName": "  ", "email": "not-an-address"});
    let mut event = staff("POST", "/contacts", "/contacts", &[], Some(body));
    if let Some(value) = accept_language {
        event = with_header(event, "accept-language", value);
    }
    call(&api, Function::AccountsApi, &event).await
}

fn reason_of<'a>(reply: &'a Reply, field: &str) -> (&'a str, &'a str) {
    let errors = reply.body["errors"].as_array().unwrap_or_else(|| panic!("field errors: {}", reply.body));
    let error = errors.iter().find(|e| e["field"] == field).unwrap_or_else(|| panic!("{field}: {}", reply.body));
    (error["code"].as_str().unwrap_or_default(), error["reason"].as_str().unwrap_or_default())
}

fn content_language(reply: &Reply) -> &str {
    reply.headers.get("content-language").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn validation_errors_answer_in_the_language_the_client_prefers() {
    let spanish = create_contact(Some("es-CR,es;q=0.9,en;q=0.5")).await;
    assert_eq!(spanish.status, 422, "{}", spanish.body);
    assert_eq!(content_language(&spanish), "es");
    assert_eq!(spanish.body["title"], "La solicitud no es válida");
    assert_eq!(spanish.body["detail"], "Vea en `errors` cada campo y el motivo.");
    assert_eq!(
        reason_of(&spanish, "email"),
        ("email_address", "debe ser una dirección de correo como nombre@ejemplo.com")
    );

    let english = create_contact(Some("en-US")).await;
    assert_eq!(content_language(&english), "en");
    assert_eq!(reason_of(&english, "email"), ("email_address", "must be an e-mail address like name@example.com"));
    assert_eq!(english.body["title"], "The request is not valid");
    // The stable parts do not depend on the language.
    assert_eq!(spanish.body["type"], english.body["type"]);
    let fields = |reply: &Reply| {
        reply.body["errors"].as_array().map(|e| e.iter().map(|e| e["field"].clone()).collect::<Vec<Value>>())
    };
    assert_eq!(fields(&spanish), fields(&english));
}

#[tokio::test]
async fn quality_values_decide_and_english_is_the_default() {
    let preferred = create_contact(Some("fr, es;q=0.4, en;q=0.8")).await;
    assert_eq!(content_language(&preferred), "en", "English has the higher quality");
    let refused = create_contact(Some("en;q=0, es")).await;
    assert_eq!(content_language(&refused), "es", "q=0 means not acceptable");
    let none = create_contact(None).await;
    assert_eq!(content_language(&none), "en");
    let unsupported = create_contact(Some("de-DE")).await;
    assert_eq!(content_language(&unsupported), "en");
    assert_eq!(none.headers.get("vary").and_then(|v| v.to_str().ok()), Some("Accept-Language"));
}

#[tokio::test]
async fn body_shape_errors_are_translated_too() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let body = json!({"name": "Acme", "colour": "red"});
    let event = with_header(staff("POST", "/accounts", "/accounts", &[], Some(body)), "accept-language", "es");
    let reply = call(&api, Function::AccountsApi, &event).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let (code, reason) = reason_of(&reply, "colour");
    assert_eq!(code, "unknown_request_field");
    assert!(reason.starts_with("no es un campo de esta solicitud"), "{reason}");
}

#[tokio::test]
async fn the_public_form_page_speaks_the_forms_language() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let mut event = gestiona_tests::fixtures::event("apigw/post-lead-form.json");
    // The demo form is Spanish; the visitor's browser prefers English: the page follows the form.
    let body = "nombre=&email=lucia%40ejemplo.cr&mensaje=Hola";
    event["body"] = json!(body);
    event["isBase64Encoded"] = json!(false);
    event["headers"]["content-length"] = json!(body.len().to_string());
    event["headers"]["accept-language"] = json!("en-US");
    let reply = call(&api, Function::LeadCapture, &event).await;
    let page = reply.body.as_str().unwrap_or_else(|| panic!("an HTML page: {} {}", reply.status, reply.body));
    assert!(page.contains("es obligatorio"), "the reason in Spanish: {page}");
    assert!(!page.contains("is required"), "no English on a Spanish page: {page}");
}

#[tokio::test]
async fn refusals_without_fields_are_translated_too() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let missing = "/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let event = with_header(staff("GET", "/cases/{id}", missing, &[], None), "accept-language", "es-MX");
    let reply = call(&api, Function::CasesApi, &event).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body["type"], "urn:gestiona:problem:not-found");
    assert_eq!(reply.body["title"], "No encontrado");
}
