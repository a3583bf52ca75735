//! Black-box HTTP tests: the real `gestiona-local` binary on a free loopback port, with its
//! own data directory, driven over HTTP like any client would.

mod common;

use common::{Caller, Reply, Server, all_items};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_case_from_account_to_history() {
    let server = Server::start();
    let ana = Caller::new(&server, Some(server.token("acme", "ana", "agent")));

    let account = ana.post("/accounts", json!({"name": "Ferretería El Clavo"})).await;
    assert_eq!(account.status, StatusCode::CREATED, "{}", account.body);
    let account_id = account.body["id"].as_str().unwrap().to_owned();
    assert_eq!(account.headers["location"], format!("/accounts/{account_id}").as_str());
    let contact = ana
        .post(
            "/contacts",
            json!({"firstName": "José", "lastName": "Núñez", "email": "Jose@ElClavo.example", "accountId": account_id}),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.body);
    assert_eq!(contact.body["email"], "jose@elclavo.example");

    // The tenant has no case types yet (only the demo tenant is seeded): a clear 422.
    let no_type = ana.post("/cases", json!({"type": "queja_calidad", "subject": "x"})).await;
    assert_eq!(no_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_type.fields(), ["type"]);

    let demo = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let types = demo.get("/case-types").await;
    let keys: Vec<_> =
        types.body["items"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        keys,
        ["boleta_gestion", "devolucion", "gestion_cobro", "queja_calidad", "recepcion_vehiculos", "solicitud_credito"]
    );
    let created = demo
        .post(
            "/cases",
            json!({"type": "queja_calidad", "subject": "Producto vencido", "priority": "high", "owner": "ana",
                   "amount": {"amountMinor": 1250000, "currency": "CRC"}, "customFields": {"lote": "L-77"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["state"], "registrada", "the type's initial state");
    assert_eq!(created.body["owner"], "ana", "a named owner is kept (no pool assignment)");
    assert_eq!(created.etag(), "\"1\"");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let location = created.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/cases/{id}"));

    let read = demo.get(&location).await;
    assert_eq!((read.status, read.etag()), (StatusCode::OK, "\"1\"".to_owned()));
    let updated = demo.patch(&location, json!({"priority": "urgent", "description": "Lote L-77"}), "\"1\"").await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!((updated.etag(), updated.body["priority"].clone()), ("\"2\"".to_owned(), json!("urgent")));
    let stale = demo.patch(&location, json!({"priority": "low"}), "\"1\"").await;
    assert_eq!(
        (stale.status, stale.problem_type()),
        (StatusCode::PRECONDITION_FAILED, "urn:gestiona:problem:stale-version")
    );
    let missing = demo.send(Method::PATCH, &location, Some(&json!({"priority": "low"})), None).await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    let state = demo.patch(&location, json!({"state": "resuelta"}), "\"2\"").await;
    assert_eq!((state.status, state.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["state".to_owned()]));

    let comment = demo.post(&format!("{location}/comments"), json!({"body": "Cliente llamó de nuevo"})).await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.body);
    assert_eq!(comment.body["internal"], true);
    let comments = demo.get(&format!("{location}/comments")).await;
    assert_eq!(comments.body["items"][0]["body"], "Cliente llamó de nuevo");

    let history = all_items(&demo, &format!("{location}/history?limit=1")).await;
    let kinds: Vec<_> = history.iter().map(|e| e["type"].as_str().unwrap()).collect();
    // The demo policy of "queja_calidad" starts three clocks; the first comment answers the case.
    assert_eq!(kinds, ["created", "slaStarted", "slaStarted", "slaStarted", "updated", "commented", "slaMet"]);
    assert!(history.iter().all(|e| e["actor"] == "ana" && e["at"].as_str().is_some()));
    let changes: Vec<_> =
        history[4]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(changes, ["description", "priority"]);
    assert_eq!(history[4]["changes"][1], json!({"field": "priority", "from": "high", "to": "urgent"}));

    // Filters and archiving.
    let mine = all_items(&demo, "/cases?owner=ana&type=queja_calidad").await;
    assert!(mine.iter().any(|c| c["id"] == id.as_str()));
    assert!(mine.iter().all(|c| c["owner"] == "ana" && c["type"] == "queja_calidad"));
    let by_state = all_items(&demo, "/cases?state=registrada").await;
    assert!(by_state.iter().all(|c| c["state"] == "registrada"));
    let agent_archive = demo.send(Method::DELETE, &location, None, Some("\"2\"")).await;
    assert_eq!(agent_archive.status, StatusCode::FORBIDDEN, "agents cannot archive");
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let archived = sofia.send(Method::DELETE, &location, None, Some("\"2\"")).await;
    assert_eq!(archived.status, StatusCode::NO_CONTENT);
    assert!(
        !all_items(&demo, "/cases").await.iter().any(|c| c["id"] == id.as_str()),
        "archived cases leave the default list"
    );
    assert!(all_items(&demo, "/cases?archived=true").await.iter().any(|c| c["id"] == id.as_str()));
    assert_eq!(demo.get(&location).await.body["archived"], true);
}

#[tokio::test]
async fn concurrent_patches_with_one_if_match_have_one_winner() {
    let server = Server::start();
    let demo = Caller::new(&server, Some(server.token("demo", "carlos", "agent")));
    for round in 0..10 {
        let created =
            demo.post("/cases", json!({"type": "devolucion", "subject": format!("Devolución {round}")})).await;
        let path = created.headers["location"].to_str().unwrap().to_owned();
        let (a, b) = tokio::join!(
            demo.patch(&path, json!({"priority": "high"}), "\"1\""),
            demo.patch(&path, json!({"priority": "low"}), "\"1\"")
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED], "round {round}");
        let winner = if a.status == StatusCode::OK { &a } else { &b };
        let stored = demo.get(&path).await;
        assert_eq!((stored.etag(), &stored.body["priority"]), ("\"2\"".to_owned(), &winner.body["priority"]));
        let history = all_items(&demo, &format!("{path}/history")).await;
        let updates = history.iter().filter(|e| e["type"] == "updated").count();
        assert_eq!(updates, 1, "the loser leaves no history event");
    }
}

#[tokio::test]
async fn tenants_cannot_see_each_other() {
    let server = Server::start();
    let demo = Caller::new(&server, Some(server.token("demo", "ana", "admin")));
    let other = Caller::new(&server, Some(server.token("otra-empresa", "ana", "admin")));
    let case = demo.post("/cases", json!({"type": "devolucion", "subject": "Privado"})).await;
    let path = case.headers["location"].to_str().unwrap().to_owned();
    let account = demo.post("/accounts", json!({"name": "Secreta S.A."})).await;
    let account_path = account.headers["location"].to_str().unwrap().to_owned();
    for reply in [
        other.get(&path).await,
        other.get(&format!("{path}/history")).await,
        other.get(&format!("{path}/comments")).await,
        other.patch(&path, json!({"subject": "robado"}), "\"1\"").await,
        other.send(Method::DELETE, &path, None, Some("\"1\"")).await,
        other.post(&format!("{path}/comments"), json!({"body": "hola"})).await,
        other.get(&account_path).await,
        other.get("/cases/not-an-id").await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    }
    assert!(all_items(&other, "/cases").await.is_empty());
    assert!(all_items(&other, "/accounts").await.is_empty());
    let linked =
        other.post("/cases", json!({"type": "devolucion", "subject": "x", "accountId": account.body["id"]})).await;
    assert_eq!(linked.status, StatusCode::UNPROCESSABLE_ENTITY, "another tenant's account is no account");
    // A cursor from one tenant's list cannot page through another's.
    let page = demo.get("/cases?limit=1").await;
    let cursor = page.body["nextCursor"].as_str().expect("demo has several cases");
    let crossed = other.get(&format!("/cases?limit=1&cursor={cursor}")).await;
    assert_eq!((crossed.status, crossed.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["cursor".to_owned()]));
    assert_eq!(demo.get(&path).await.body["subject"], "Privado");
}

#[tokio::test]
async fn authentication_and_roles() {
    let server = Server::start();
    let anonymous = Caller::new(&server, None);
    assert_eq!(anonymous.get("/cases").await.status, StatusCode::UNAUTHORIZED);
    let forged = Caller::new(&server, Some("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl".into()));
    assert_eq!(forged.get("/cases").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.get("/openapi.json").await.status, StatusCode::OK, "the OpenAPI document is public");
    assert_eq!(anonymous.get("/nowhere").await.status, StatusCode::NOT_FOUND);
    let put = anonymous.send(Method::PUT, "/cases", None, None).await;
    assert_eq!((put.status, put.headers["allow"].to_str().unwrap()), (StatusCode::METHOD_NOT_ALLOWED, "GET, POST"));

    let agent = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let account = agent.post("/accounts", json!({"name": "Por archivar"})).await;
    let path = account.headers["location"].to_str().unwrap().to_owned();
    let denied = agent.send(Method::DELETE, &path, None, Some("\"1\"")).await;
    assert_eq!((denied.status, denied.problem_type()), (StatusCode::FORBIDDEN, "urn:gestiona:problem:forbidden"));
    assert_eq!(agent.get(&path).await.body["archived"], false, "a refused archive changes nothing");
    assert_eq!(admin.send(Method::DELETE, &path, None, Some("\"1\"")).await.status, StatusCode::NO_CONTENT);
    let again = admin.send(Method::DELETE, &path, None, Some("\"2\"")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn garbage_is_refused_with_the_field_named_and_nothing_written() {
    let server = Server::start();
    let demo = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let before = all_items(&demo, "/cases").await.len();
    let huge = "x".repeat(1_000_000);
    let cases: Vec<(Reply, StatusCode, &str)> = vec![
        (
            demo.raw(Method::POST, "/cases", "application/json", b"{\"type\": ".to_vec()).await,
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            demo.raw(Method::POST, "/cases", "application/json", b"[1,2,3]".to_vec()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
        ),
        (
            demo.raw(Method::POST, "/cases", "application/json", vec![0xff, 0xfe, 0x00]).await,
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (demo.raw(Method::POST, "/cases", "application/json", Vec::new()).await, StatusCode::BAD_REQUEST, "body"),
        (
            demo.raw(Method::POST, "/cases", "text/plain", b"hola".to_vec()).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
        ),
        (demo.post("/cases", json!({"type": "devolucion"})).await, StatusCode::UNPROCESSABLE_ENTITY, "subject"),
        (
            demo.post("/cases", json!({"type": "devolucion", "subject": 42})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "subject",
        ),
        (
            demo.post("/cases", json!({"type": "devolucion", "subject": "x", "priority": "top"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "priority",
        ),
        (
            demo.post("/cases", json!({"type": "devolucion", "subject": "x", "sbject": "y"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "sbject",
        ),
        (
            demo.post("/cases", json!({"type": "devolucion", "subject": huge})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "subject",
        ),
        (
            demo.post(
                "/cases",
                json!({"type": "devolucion", "subject": "x", "amount": {"amountMinor": "1", "currency": "CRC"}}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount.amountMinor",
        ),
        (
            demo.post(
                "/cases",
                json!({"type": "devolucion", "subject": "x", "amount": {"amountMinor": 1, "currency": "XXX1"}}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount.currency",
        ),
        (
            demo.post("/cases", json!({"type": "devolucion", "subject": "x", "accountId": "nope"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "accountId",
        ),
        (
            demo.post("/cases", json!({"type": "../etc", "subject": "x"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "type",
        ),
        (
            demo.post("/cases", json!({"type": "devolucion", "subject": "x", "customFields": {"a": {"b": 1}}})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "customFields.a",
        ),
        (
            demo.raw(
                Method::POST,
                "/cases",
                "application/json",
                format!("{{\"type\":\"devolucion\",\"subject\":\"{}\"}}", "y".repeat(1_100_000)).into_bytes(),
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "body",
        ),
        (
            demo.post("/contacts", json!({"firstName": "A", "email": "no-at-sign"})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (demo.get("/cases?limit=1000").await, StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        (demo.get("/cases?limit=abc").await, StatusCode::UNPROCESSABLE_ENTITY, "limit"),
        (demo.get("/cases?cursor=garbage").await, StatusCode::UNPROCESSABLE_ENTITY, "cursor"),
        (demo.get("/cases?archived=maybe").await, StatusCode::UNPROCESSABLE_ENTITY, "archived"),
    ];
    for (n, (reply, status, field)) in cases.into_iter().enumerate() {
        assert_eq!(reply.status, status, "case {n}: {}", reply.body);
        assert!(reply.fields().iter().any(|f| f == field), "case {n}: expected field {field}, got {}", reply.body);
    }
    assert_eq!(all_items(&demo, "/cases").await.len(), before, "no garbage was written");
}

#[tokio::test]
async fn contact_emails_are_unique_even_under_concurrency() {
    let server = Server::start();
    let demo = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let first = demo.post("/contacts", json!({"firstName": "Lucía", "email": "lucia@example.com"})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let duplicate = demo.post("/contacts", json!({"firstName": "Otra", "email": "LUCIA@example.com"})).await;
    assert_eq!(
        (duplicate.status, duplicate.problem_type()),
        (StatusCode::CONFLICT, "urn:gestiona:problem:duplicate-email")
    );
    assert_eq!(duplicate.body["existingId"], first.body["id"]);

    let attempts: Vec<_> = (0..10)
        .map(|n| demo.post("/contacts", json!({"firstName": format!("P{n}"), "email": "pedro@example.com"})))
        .collect();
    let replies = futures::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
    let conflicts = replies.iter().filter(|r| r.status == StatusCode::CONFLICT).count();
    assert_eq!((created, conflicts), (1, 9));
    let found = demo.get("/contacts?email=pedro@example.com").await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);

    // Changing an e-mail frees the old one.
    let path = first.headers["location"].to_str().unwrap().to_owned();
    let moved = demo.patch(&path, json!({"email": "lucia.nueva@example.com"}), "\"1\"").await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let reused = demo.post("/contacts", json!({"firstName": "Nueva", "email": "lucia@example.com"})).await;
    assert_eq!(reused.status, StatusCode::CREATED);
    let taken = demo.patch(&path, json!({"email": "pedro@example.com"}), "\"2\"").await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn pagination_and_restart_keep_every_record() {
    let server = Server::start();
    let demo = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let mut ids = Vec::new();
    for n in 0..12 {
        let created = demo.post("/accounts", json!({"name": format!("Cuenta {n:02}")})).await;
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let paged = all_items(&demo, "/accounts?limit=5&q=cuenta").await;
    let names: Vec<_> = paged.iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect();
    let expected: Vec<_> = (0..12).map(|n| format!("Cuenta {n:02}")).collect();
    assert_eq!(names, expected, "name order, every account once");

    let data_dir = server.interrupt();
    let server = Server::start_in(data_dir);
    let demo = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let after = all_items(&demo, "/accounts?q=cuenta").await;
    assert_eq!(after.len(), 12, "a restart keeps everything");
    let seeded = all_items(&demo, "/case-types").await;
    assert_eq!(seeded.len(), 6, "the demo is seeded once, not again on restart");
}

#[tokio::test]
async fn the_case_list_filters_by_priority_branch_channel_and_day_and_sorts_both_ways() {
    let server = Server::start();
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let subjects = |path: &'static str| {
        let sofia = &sofia;
        async move {
            let listed = sofia.get(path).await;
            assert_eq!(listed.status, StatusCode::OK, "{path}: {}", listed.body);
            listed.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["subject"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(subjects("/cases?priority=urgent").await, ["Lote de café 2026-41 con humedad"]);
    assert_eq!(subjects("/cases?branch=heredia&channel=email").await, ["Lote de café 2026-41 con humedad"]);
    let mut oldest = subjects("/cases?sort=created").await;
    oldest.reverse();
    assert_eq!(subjects("/cases").await, oldest);
    assert!(subjects("/cases?createdTo=2020-01-01").await.is_empty());

    for (path, field) in [
        ("/cases?priority=altisima", "priority"),
        ("/cases?channel=fax", "channel"),
        ("/cases?createdFrom=30/11/2026", "createdFrom"),
        ("/cases?createdFrom=2026-12-02&createdTo=2026-12-01", "createdTo"),
        ("/cases?sort=subject", "sort"),
    ] {
        let refused = sofia.get(path).await;
        assert_eq!(
            (refused.status, refused.fields()),
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_case_list_is_ordered_by_deadline_or_last_change_across_pages() {
    let server = Server::start();
    let demo = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let ids = |items: &[serde_json::Value]| {
        let mut ids: Vec<String> = items.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    };
    let everything = ids(&all_items(&demo, "/cases?limit=100").await);
    assert!(everything.len() >= 3);
    let by_deadline = all_items(&demo, "/cases?sort=due&limit=2").await;
    assert_eq!(ids(&by_deadline), everything, "each case once, over pages of two");

    let oldest = all_items(&demo, "/cases?sort=created&limit=100").await;
    let first = &oldest[0];
    let location = format!("/cases/{}", first["id"].as_str().unwrap());
    let etag = demo.get(&location).await.etag();
    let touched = demo.patch(&location, json!({"description": "Revisado"}), &etag).await;
    assert_eq!(touched.status, StatusCode::OK, "{}", touched.body);
    let recent = all_items(&demo, "/cases?sort=-updated&limit=2").await;
    assert_eq!(recent[0]["id"], first["id"], "the case just changed comes first");
    assert_eq!(ids(&recent), everything);
    let untouched = all_items(&demo, "/cases?sort=updated&limit=100").await;
    assert_eq!(untouched.last().unwrap()["id"], first["id"]);
    let foreign = demo.get("/cases?sort=due&cursor=whatever").await;
    assert_eq!((foreign.status, foreign.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["cursor".to_owned()]));
}

/// The runner's clock is shared by every tenant it serves: it moves only in a runner started for
/// one tenant, and only for an admin of that tenant by the parsed role claim (not a claim that
/// merely contains "admin", such as a user named so).
#[tokio::test]
async fn the_clock_moves_only_in_a_single_tenant_runner_and_only_for_its_admins() {
    let shared = Server::start();
    let admin = Caller::new(&shared, Some(shared.token("demo", "admin", "admin")));
    let refused = admin.post("/_local/clock", json!({"advanceMinutes": 10})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.problem_type(), "urn:gestiona:problem:clock-shared");
    assert_eq!(admin.get("/_local/clock").await.status, StatusCode::OK, "anyone may read the time");
    drop(shared);

    let single = Server::start_for_tenant("demo");
    let named_admin = Caller::new(&single, Some(single.token("demo", "admin", "agent")));
    let refused = named_admin.post("/_local/clock", json!({"advanceMinutes": 10})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let stranger = Caller::new(&single, Some(single.token("otra", "admin", "admin")));
    assert_eq!(stranger.post("/_local/clock", json!({"advanceMinutes": 10})).await.status, StatusCode::FORBIDDEN);
    let listing = stranger.get("/cases").await;
    assert_eq!(listing.status, StatusCode::FORBIDDEN, "a single-tenant runner serves no other tenant");
    assert!(listing.body["detail"].as_str().unwrap().contains("demo"), "{}", listing.body);

    let admin = Caller::new(&single, Some(single.token("demo", "admin", "admin")));
    let before: jiff::Timestamp = admin.get("/_local/clock").await.body["now"].as_str().unwrap().parse().unwrap();
    let moved = admin.post("/_local/clock", json!({"advanceMinutes": 600})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let after: jiff::Timestamp = moved.body["now"].as_str().unwrap().parse().unwrap();
    assert!(after.duration_since(before).as_secs() >= 600 * 60, "{before} → {after}");
}
