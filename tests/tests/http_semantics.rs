//! HTTP semantics of the API (RFC 9110) through the real handlers on the in-memory store:
//! conditional GETs answer 304, and a body is one JSON value with nothing after it.

use std::sync::Arc;

use gestiona_api::Function;
use gestiona_domain::testing::MemoryStore;
use gestiona_tests::fixtures::{probe, staff, with_header};
use gestiona_tests::handlers::{api_on, call};
use serde_json::json;

#[tokio::test]
async fn a_get_answers_304_when_the_client_holds_the_current_version() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let created =
        call(&api, Function::AccountsApi, &staff("POST", "/accounts", "/accounts", &[], Some(json!({"name": "Acme"}))))
            .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let path = format!("/accounts/{}", created.body["id"].as_str().unwrap());
    let get = staff("GET", "/accounts/{id}", &path, &[], None);
    let fresh = call(&api, Function::AccountsApi, &get).await;
    let etag = fresh.headers["etag"].to_str().unwrap().to_owned();

    for held in [etag.clone(), format!("W/{etag}"), format!("\"999\", {etag}"), "*".to_owned()] {
        let reply = call(&api, Function::AccountsApi, &with_header(get.clone(), "if-none-match", &held)).await;
        assert_eq!(reply.status, 304, "If-None-Match: {held}");
        assert_eq!(reply.headers["etag"].to_str().unwrap(), etag);
        assert!(reply.body.is_null(), "no body with a 304");
    }
    let other = call(&api, Function::AccountsApi, &with_header(get.clone(), "if-none-match", "\"999\"")).await;
    assert_eq!(other.status, 200, "another version: the resource itself");
    assert_eq!(other.body["name"], "Acme");
}

#[tokio::test]
async fn content_after_the_json_body_is_refused_and_nothing_is_written() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let mut post = staff("POST", "/accounts", "/accounts", &[], None);
    post["body"] = json!("{\"name\": \"Acme\"} garbage");
    post["headers"]["content-type"] = json!("application/json");
    let reply = call(&api, Function::AccountsApi, &post).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["type"], "urn:gestiona:problem:malformed-body");
    assert_eq!(reply.body["errors"][0]["code"], "trailing_content");

    let list = call(&api, Function::AccountsApi, &staff("GET", "/accounts", "/accounts", &[], None)).await;
    let names: Vec<_> = list.body["items"].as_array().unwrap().iter().map(|a| a["name"].clone()).collect();
    assert!(!names.contains(&json!("Acme")), "nothing was written: {names:?}");
}

#[tokio::test]
async fn if_match_compares_strongly() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let created =
        call(&api, Function::AccountsApi, &staff("POST", "/accounts", "/accounts", &[], Some(json!({"name": "Acme"}))))
            .await;
    let path = format!("/accounts/{}", created.body["id"].as_str().unwrap());
    let patch = |tag: &str| {
        let mut event = staff("PATCH", "/accounts/{id}", &path, &[], Some(json!({"name": "Acme S.A."})));
        event["headers"]["content-type"] = json!("application/merge-patch+json");
        with_header(event, "if-match", tag)
    };
    for (tag, status) in [("W/\"1\"", 412), ("\"abc\"", 412), ("\"2\"", 412), ("1", 428)] {
        let reply = call(&api, Function::AccountsApi, &patch(tag)).await;
        assert_eq!(reply.status, status, "If-Match: {tag}: {}", reply.body);
    }
    let reply = call(&api, Function::AccountsApi, &patch("\"1\"")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["name"], "Acme S.A.");
}

#[tokio::test]
async fn the_default_ladders_own_etag_saves_it() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let read =
        call(&api, Function::ReceivablesApi, &staff("GET", "/dunning-ladder", "/dunning-ladder", &[], None)).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let etag = read.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, "\"0\"", "nothing stored yet: the default");
    let mut ladder = read.body.clone();
    ladder.as_object_mut().unwrap().remove("version");
    let put = || staff("PUT", "/dunning-ladder", "/dunning-ladder", &[], Some(ladder.clone()));
    let saved = call(&api, Function::ReceivablesApi, &with_header(put(), "if-match", &etag)).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.headers["etag"].to_str().unwrap(), "\"1\"");
    let again = call(&api, Function::ReceivablesApi, &with_header(put(), "if-match", &etag)).await;
    assert_eq!(again.status, 412, "the default was replaced meanwhile: {}", again.body);
}

#[tokio::test]
async fn if_match_takes_any_version_or_a_list_of_tags() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let created =
        call(&api, Function::AccountsApi, &staff("POST", "/accounts", "/accounts", &[], Some(json!({"name": "Acme"}))))
            .await;
    let path = format!("/accounts/{}", created.body["id"].as_str().unwrap());
    let patch = |tag: &str, name: &str| {
        let mut event = staff("PATCH", "/accounts/{id}", &path, &[], Some(json!({ "name": name })));
        event["headers"]["content-type"] = json!("application/merge-patch+json");
        with_header(event, "if-match", tag)
    };
    let star = call(&api, Function::AccountsApi, &patch("*", "Acme Uno")).await;
    assert_eq!(star.status, 200, "* matches whatever is current: {}", star.body);
    assert_eq!(star.headers["etag"].to_str().unwrap(), "\"2\"");

    // A tag's opaque part may hold a comma; weak tags in a list never match, strong ones may.
    let none = call(&api, Function::AccountsApi, &patch("\"1\", W/\"2\", \"a,b\"", "Acme Dos")).await;
    assert_eq!(none.status, 412, "no listed strong tag is current: {}", none.body);
    let listed = call(&api, Function::AccountsApi, &patch("\"1\",\"2\" , \"7\"", "Acme Dos")).await;
    assert_eq!(listed.status, 200, "\"2\" is listed: {}", listed.body);
    assert_eq!(listed.body["name"], "Acme Dos");

    for garbage in ["\"3\" x", "\"3", ",", "W/3"] {
        let reply = call(&api, Function::AccountsApi, &patch(garbage, "Acme Tres")).await;
        assert_eq!(reply.status, 428, "If-Match: {garbage} is not a list of tags: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["field"], "If-Match");
    }
}

#[tokio::test]
async fn if_match_star_saves_a_setting_only_where_one_is_answered() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    // The ladder answers a default ("0") before one is saved: `*` matches it.
    let mut ladder =
        call(&api, Function::ReceivablesApi, &staff("GET", "/dunning-ladder", "/dunning-ladder", &[], None)).await.body;
    ladder.as_object_mut().unwrap().remove("version");
    let put_ladder = staff("PUT", "/dunning-ladder", "/dunning-ladder", &[], Some(ladder));
    let saved = call(&api, Function::ReceivablesApi, &with_header(put_ladder.clone(), "if-match", "*")).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let listed = call(&api, Function::ReceivablesApi, &with_header(put_ladder, "if-match", "\"0\", \"1\"")).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.headers["etag"].to_str().unwrap(), "\"2\"");

    // A calendar that does not exist has no current version for `*` to match (RFC 9110 §13.1.1).
    let calendar = json!({"key": "lima", "name": "Lima", "timeZone": "America/Lima",
        "week": {"monday": [{"start": "09:00", "end": "18:00"}]}});
    let put_calendar = staff("PUT", "/calendars/{key}", "/calendars/lima", &[], Some(calendar));
    let absent = call(&api, Function::CasesApi, &with_header(put_calendar.clone(), "if-match", "*")).await;
    assert_eq!(absent.status, 412, "{}", absent.body);
    let created = call(&api, Function::CasesApi, &put_calendar).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let star = call(&api, Function::CasesApi, &with_header(put_calendar, "if-match", "*")).await;
    assert_eq!(star.status, 200, "{}", star.body);
    assert_eq!(star.headers["etag"].to_str().unwrap(), "\"2\"");
}

#[tokio::test]
async fn an_integral_number_is_an_integer_in_any_notation() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let case = |amount: &str| {
        let mut post = staff("POST", "/cases", "/cases", &[], None);
        post["body"] = json!(format!(
            r#"{{"type": "queja_calidad", "subject": "Producto vencido", "amount": {{"amountMinor": {amount}, "currency": "CRC"}}}}"#
        ));
        post["headers"]["content-type"] = json!("application/json");
        post
    };
    for written in ["1250000.0", "1.25e6", "125E4"] {
        let reply = call(&api, Function::CasesApi, &case(written)).await;
        assert_eq!(reply.status, 201, "{written}: {}", reply.body);
        assert_eq!(reply.body["amount"]["amountMinor"], 1_250_000, "{written}");
    }
    // A fraction, and integers beyond 64 bits that a float would round into range, are refused.
    for written in ["1250000.5", "-9223372036854775809", "18446744073709551616"] {
        let refused = call(&api, Function::CasesApi, &case(written)).await;
        assert_eq!(refused.status, 422, "{written}: {}", refused.body);
        assert_eq!(refused.body["errors"][0]["field"], "amount.amountMinor", "{written}");
    }

    // A wrong type deep inside is the field's problem (422), and JSON after the shape error is
    // still read: broken JSON there is 400.
    let mut nested = case("\"mucho\"");
    let wrong = call(&api, Function::CasesApi, &nested).await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert_eq!(wrong.body["errors"][0]["field"], "amount.amountMinor");
    nested["body"] = json!(r#"{"type": "queja_calidad", "subject": 7, "amount": {"#);
    let broken = call(&api, Function::CasesApi, &nested).await;
    assert_eq!(broken.status, 400, "{}", broken.body);
}

#[tokio::test]
async fn a_route_the_profile_does_not_allow_refuses_before_it_reads_the_request() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let agent = gestiona_domain::access::profile_of_role(gestiona_domain::Role::Agent);
    let guarded: Vec<_> =
        gestiona_api::routes::all().filter(|r| r.permission().is_some_and(|p| !agent.allows(p))).collect();
    assert!(guarded.len() >= 20, "{guarded:?}");
    for route in guarded {
        // Path parameters that name nothing, a body that is not even JSON, no If-Match.
        let mut event = probe(route);
        event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = json!("[agent]");
        let reply = call(&api, route.function, &event).await;
        assert_eq!(reply.status, 403, "{}: {}", route.key(), reply.body);
        assert_eq!(reply.body["type"], "urn:gestiona:problem:forbidden", "{}", route.key());
    }
}

#[tokio::test]
async fn a_query_parameter_the_operation_does_not_take_is_named_and_refused() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let list = call(&api, Function::CasesApi, &staff("GET", "/cases", "/cases", &[("brnch", "sj")], None)).await;
    assert_eq!(list.status, 422, "a misspelt filter must not list every case: {}", list.body);
    assert_eq!(list.body["errors"][0]["field"], "brnch");
    assert!(list.body["errors"][0]["reason"].as_str().unwrap().contains("branch"), "{}", list.body);

    let mut spanish = staff("POST", "/accounts", "/accounts", &[("dryRun", "1")], Some(json!({"name": "Acme"})));
    spanish["headers"]["accept-language"] = json!("es");
    let create = call(&api, Function::AccountsApi, &spanish).await;
    assert_eq!(create.status, 422, "{}", create.body);
    assert_eq!(create.body["errors"][0]["field"], "dryRun");
    assert!(create.body["errors"][0]["reason"].as_str().unwrap().starts_with("no es un parámetro"), "{}", create.body);
    let accounts = call(&api, Function::AccountsApi, &staff("GET", "/accounts", "/accounts", &[], None)).await;
    assert!(accounts.body["items"].as_array().unwrap().iter().all(|a| a["name"] != "Acme"), "nothing written");

    let filtered =
        call(&api, Function::CasesApi, &staff("GET", "/cases", "/cases", &[("branch", "sj"), ("limit", "5")], None))
            .await;
    assert_eq!(filtered.status, 200, "{}", filtered.body);
}

#[tokio::test]
async fn an_empty_if_match_names_no_tag_and_counts_as_absent() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    // Where If-Match is optional, an empty one asks for nothing: the calendar is saved.
    let calendar = json!({"key": "quito", "name": "Quito", "timeZone": "America/Guayaquil",
        "week": {"monday": [{"start": "09:00", "end": "18:00"}]}});
    let put_calendar = staff("PUT", "/calendars/{key}", "/calendars/quito", &[], Some(calendar));
    let saved = call(&api, Function::CasesApi, &with_header(put_calendar, "if-match", " ")).await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    // Where it is required, an empty one is a missing one: 428, not a malformed tag.
    let created =
        call(&api, Function::AccountsApi, &staff("POST", "/accounts", "/accounts", &[], Some(json!({"name": "Acme"}))))
            .await;
    let path = format!("/accounts/{}", created.body["id"].as_str().unwrap());
    let mut patch = staff("PATCH", "/accounts/{id}", &path, &[], Some(json!({"name": "Acme S.A."})));
    patch["headers"]["content-type"] = json!("application/merge-patch+json");
    let refused = call(&api, Function::AccountsApi, &with_header(patch, "if-match", "")).await;
    assert_eq!(refused.status, 428, "{}", refused.body);
    assert!(refused.body.get("errors").is_none(), "no tag to find fault with: {}", refused.body);
}

#[tokio::test]
async fn a_directory_entry_is_saved_at_the_version_named() {
    let api = api_on(Arc::new(MemoryStore::new())).await;
    let put = |path: &str, if_match: &str| {
        let body =
            json!({"name": "Lucía Mora", "email": "lucia@demo.example", "locale": "es", "profile": "collections"});
        with_header(staff("PUT", "/users/{id}", path, &[], Some(body)), "if-match", if_match)
    };
    let created = call(&api, Function::AccountsApi, &put("/users/lucia", "\"0\"")).await;
    assert_eq!(created.status, 200, "\"0\" names an entry that does not exist yet: {}", created.body);
    assert_eq!(created.headers["etag"], "\"1\"");
    let again = call(&api, Function::AccountsApi, &put("/users/lucia", "\"0\"")).await;
    assert_eq!(again.status, 412, "it exists now");
    let next = call(&api, Function::AccountsApi, &put("/users/lucia", "\"1\"")).await;
    assert_eq!(next.status, 200);
    assert_eq!(next.body["version"], 2);
    let stale = call(&api, Function::AccountsApi, &put("/users/lucia", "\"1\"")).await;
    assert_eq!(stale.status, 412, "{}", stale.body);
}
