//! The access log through the HTTP handlers: reads, exports and changes of permissions are
//! recorded with who, when and from where, and read back by user and by record.

use std::sync::Arc;

use gestiona_api::Function;
use gestiona_domain::testing::MemoryStore;
use gestiona_tests::fixtures::staff;
use gestiona_tests::handlers::{api_on, call};
use serde_json::json;

#[tokio::test]
async fn reads_exports_and_changes_are_logged_and_read_back_by_user_and_by_record() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let created = call(
        &api,
        Function::CasesApi,
        &staff("POST", "/cases", "/cases", &[], Some(json!({"type": "queja_calidad", "subject": "Sacos húmedos"}))),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/cases/{id}");
    assert_eq!(call(&api, Function::CasesApi, &staff("GET", "/cases/{id}", &path, &[], None)).await.status, 200);
    let csv = staff("GET", "/reports/workload", "/reports/workload", &[("format", "csv")], None);
    assert_eq!(call(&api, Function::ReportsApi, &csv).await.status, 200);
    let profile = json!({"name": "Lectura", "level": "agent", "grants": {"cases": ["read"]}});
    assert_eq!(
        call(&api, Function::AccountsApi, &staff("PUT", "/profiles/{id}", "/profiles/lectura", &[], Some(profile)))
            .await
            .status,
        200
    );

    let log = |query: &[(&str, &str)]| {
        let event = staff("GET", "/access-log", "/access-log", query, None);
        let api = &api;
        async move { call(api, Function::AccountsApi, &event).await }
    };
    let of_case = log(&[("recordType", "case"), ("recordId", &id)]).await;
    assert_eq!(of_case.status, 200, "{}", of_case.body);
    let entries = of_case.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", of_case.body);
    assert_eq!(entries[0]["action"], "read");
    assert_eq!(entries[0]["user"], "ana");
    assert!(entries[0]["from"].as_str().unwrap().starts_with("api"), "{}", entries[0]);

    let of_user = log(&[("user", "ana")]).await;
    let actions: Vec<&str> =
        of_user.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["profileChanged", "exported", "read"], "newest first: {}", of_user.body);
    assert_eq!(of_user.body["items"][1]["record"], json!({"kind": "report", "id": "workload"}));
    assert_eq!(log(&[("user", "sofia")]).await.body["items"].as_array().unwrap().len(), 0);

    let half = log(&[("recordType", "case")]).await;
    assert_eq!(half.status, 422);
    assert_eq!(half.body["errors"][0]["field"], "recordId");
    let unknown = log(&[("recordType", "planet"), ("recordId", "x")]).await;
    assert_eq!(unknown.status, 422);

    let mut by_agent = staff("GET", "/access-log", "/access-log", &[], None);
    by_agent["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = json!("[agent]");
    assert_eq!(call(&api, Function::AccountsApi, &by_agent).await.status, 403);
}

#[tokio::test]
async fn administrators_choose_how_long_the_log_keeps_entries_at_the_version_they_read() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let at = |method: &str, body: Option<serde_json::Value>, if_match: Option<&str>| {
        let mut event = staff(method, "/access-log/retention", "/access-log/retention", &[], body);
        if let Some(tag) = if_match {
            event["headers"]["if-match"] = json!(tag);
        }
        event
    };
    let read = call(&api, Function::AccountsApi, &at("GET", None, None)).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["days"], 400);
    let tag = read.headers["etag"].to_str().unwrap().to_owned();

    let saved = call(&api, Function::AccountsApi, &at("PUT", Some(json!({"days": 90})), Some(&tag))).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["days"], 90);
    assert_ne!(saved.headers["etag"], tag.as_str());
    let again = call(&api, Function::AccountsApi, &at("PUT", Some(json!({"days": 120})), Some(&tag))).await;
    assert_eq!(again.status, 412, "the profiles' version moved: {}", again.body);
    assert_eq!(call(&api, Function::AccountsApi, &at("GET", None, None)).await.body["days"], 90);

    // The change is in the log, as a change of the company's settings.
    let log =
        call(&api, Function::AccountsApi, &staff("GET", "/access-log", "/access-log", &[("user", "ana")], None)).await;
    assert_eq!(log.body["items"][0]["action"], "settingsChanged", "{}", log.body);

    let short = call(&api, Function::AccountsApi, &at("PUT", Some(json!({"days": 7})), None)).await;
    assert_eq!(short.status, 422, "{}", short.body);
    assert_eq!(short.body["errors"][0]["field"], "days");
    let mut by_agent = at("PUT", Some(json!({"days": 60})), None);
    by_agent["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = json!("[agent]");
    assert_eq!(call(&api, Function::AccountsApi, &by_agent).await.status, 403);
}
