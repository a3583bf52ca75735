//! Lead capture end to end against the real runner: concurrency, spam, quarantine, malformed
//! posts, idempotency, the demo form's signed timestamp, conversion.

mod common;

use common::{Caller, Reply, Server, all_items};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A form for server-to-server posts (no timestamp check), with the given per-IP limit.
fn web_form(per_ip: u32) -> Value {
    json!({
        "name": "Landing Black Friday",
        "fields": [
            {"name": "nombre", "maps": "name", "required": true},
            {"name": "email", "maps": "email"},
            {"name": "telefono", "maps": "phone"},
            {"name": "empresa", "maps": "company"},
            {"name": "mensaje", "maps": "message", "maxLength": 2000}
        ],
        "honeypot": "website",
        "minFillSeconds": 0,
        "defaultCountry": "ES",
        "rateLimits": {"perIpPerMinute": per_ip, "perFormPerMinute": 10000},
        "assignment": {"agents": ["ana", "carlos"], "strategy": "round_robin"}
    })
}

async fn create_form(admin: &Caller<'_>, id: &str, definition: Value) {
    let reply = admin.send(Method::PUT, &format!("/forms/{id}"), Some(&definition), None).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

/// Posts JSON to the public endpoint (no token), optionally with an idempotency key.
async fn post_json(server: &Server, path: &str, body: &Value, key: Option<&str>) -> (StatusCode, Value, bool) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let text = response.text().await.unwrap();
    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{text}");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), replayed)
}

fn kinds(history: &[Value]) -> Vec<String> {
    history.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn concurrent_posts_of_one_email_make_one_lead_with_every_activity() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("acme", "admin", "admin")));
    create_form(&admin, "web", web_form(1000)).await;

    let posts = (0..20).map(|i| {
        let body = json!({"nombre": format!("Lucía Fernández {i}"), "email": " Lucia@Ejemplo.ES ", "mensaje": format!("intento {i}")});
        let server = &server;
        async move { post_json(server, "/f/acme/web", &body, None).await }
    });
    let replies = futures::future::join_all(posts).await;
    let created: Vec<_> = replies.iter().filter(|(s, _, _)| *s == StatusCode::CREATED).collect();
    assert_eq!(created.len(), 1, "exactly one post creates the lead: {replies:?}");
    let lead_id = created[0].1["leadId"].as_str().unwrap().to_owned();
    for (status, body, _) in &replies {
        assert!(*status == StatusCode::CREATED || *status == StatusCode::ACCEPTED, "{status} {body}");
        assert_eq!(body["leadId"].as_str(), Some(lead_id.as_str()), "every post lands on the one lead");
    }

    let leads = all_items(&admin, "/leads?formId=web").await;
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0]["email"], "lucia@ejemplo.es");
    assert!(["ana", "carlos"].contains(&leads[0]["owner"].as_str().unwrap()), "assigned from the pool");
    let history = all_items(&admin, &format!("/leads/{lead_id}/history")).await;
    let submitted = kinds(&history).iter().filter(|k| *k == "submitted").count();
    assert_eq!(submitted, 20, "one activity per post");
    let effects: Vec<_> = history.iter().filter(|e| e["type"] == "effectEnqueued").map(|e| e["kind"].clone()).collect();
    assert_eq!(effects, [json!("notify:lead_new_assignee"), json!("notify:lead_welcome")]);

    // A retried post with an idempotency key gets the first answer and adds nothing.
    let body = json!({"nombre": "Pedro Ruiz", "telefono": "600 12 34 56"});
    let first = post_json(&server, "/f/acme/web", &body, Some("pedido-77")).await;
    let again = post_json(&server, "/f/acme/web", &body, Some("pedido-77")).await;
    assert_eq!(first.0, StatusCode::CREATED, "{:?}", first.1);
    assert_eq!((again.0, &again.1, again.2), (StatusCode::CREATED, &first.1, true));
    let pedro = first.1["leadId"].as_str().unwrap();
    let lead = admin.get(&format!("/leads/{pedro}")).await;
    assert_eq!(lead.body["phone"], "+34600123456", "E.164 with the form's default country");
    let history = all_items(&admin, &format!("/leads/{pedro}/history")).await;
    assert_eq!(kinds(&history).iter().filter(|k| *k == "submitted").count(), 1);
    // The same phone written another way is the same person.
    let third =
        post_json(&server, "/f/acme/web", &json!({"nombre": "P. Ruiz", "telefono": "+34 600-123-456"}), None).await;
    assert_eq!((third.0, third.1["leadId"].as_str()), (StatusCode::ACCEPTED, Some(pedro)));
}

#[tokio::test]
async fn a_flood_from_one_ip_is_quarantined_and_nothing_is_lost() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("acme", "admin", "admin")));
    create_form(&admin, "web", web_form(30)).await;

    // Rate windows are calendar minutes: start early in one so all 100 posts share it.
    let second = jiff::Timestamp::now().as_second().rem_euclid(60);
    if second > 30 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
    let mut statuses = Vec::new();
    for batch in 0..10 {
        let posts = (0..10).map(|i| {
            let n = batch * 10 + i;
            let body = json!({"nombre": format!("Persona {n}"), "email": format!("persona{n}@ejemplo.es")});
            let server = &server;
            async move { post_json(server, "/f/acme/web", &body, None).await }
        });
        statuses.extend(futures::future::join_all(posts).await.into_iter().map(|(s, b, _)| (s, b)));
    }
    assert!(statuses.iter().all(|(s, _)| s.is_success()), "a bot learns nothing from the answers");
    let created = statuses.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(created, 30, "the first 30 posts of the minute are leads");

    let leads = all_items(&admin, "/leads?formId=web&limit=100").await;
    let quarantined = all_items(&admin, "/lead-submissions?status=quarantined&limit=100").await;
    assert_eq!((leads.len(), quarantined.len()), (30, 70), "every post is a lead or held for review");
    let mut emails: Vec<String> = leads
        .iter()
        .map(|l| l["email"].as_str().unwrap().to_owned())
        .chain(quarantined.iter().map(|s| s["fields"]["email"].as_str().unwrap().to_owned()))
        .collect();
    emails.sort();
    emails.dedup();
    assert_eq!(emails.len(), 100, "nothing lost, nothing doubled");
    assert!(quarantined.iter().all(|s| s["reasons"] == json!(["ipRateLimit"]) && s["ip"] == "127.0.0.1"));

    // Staff release one: it becomes a lead exactly as a clean post would.
    let held = &quarantined[0];
    let path = format!("/lead-submissions/{}", held["id"].as_str().unwrap());
    let released = admin.send(Method::POST, &format!("{path}/release"), None, Some("\"1\"")).await;
    assert_eq!(released.status, StatusCode::OK, "{}", released.body);
    assert_eq!(released.body["status"], "released");
    assert_eq!(released.body["outcome"]["outcome"], "created");
    let again = admin.send(Method::POST, &format!("{path}/release"), None, Some("\"2\"")).await;
    assert_eq!((again.status, again.problem_type()), (StatusCode::CONFLICT, "urn:gestiona:problem:already-reviewed"));
    assert_eq!(all_items(&admin, "/leads?formId=web&limit=100").await.len(), 31);
    let form = admin.get("/forms/web").await;
    assert_eq!(form.body["stats"], json!({"honeypot": 0, "quarantined": 70, "accepted": 30}));
}

#[tokio::test]
async fn honeypot_posts_are_answered_as_success_and_store_nothing() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("acme", "admin", "admin")));
    create_form(&admin, "web", web_form(1000)).await;
    let body = json!({"nombre": "Bot", "email": "bot@spam.example", "website": "http://spam.example"});
    let (status, reply, _) = post_json(&server, "/f/acme/web", &body, None).await;
    assert_eq!((status, reply), (StatusCode::ACCEPTED, json!({"status": "received"})));
    let form = Caller::new(&server, None);
    let bot = form
        .raw(
            Method::POST,
            "/f/acme/web",
            "application/x-www-form-urlencoded",
            b"nombre=Bot&email=b%40x.es&website=x".to_vec(),
        )
        .await;
    assert_eq!(bot.status, StatusCode::SEE_OTHER);
    assert!(all_items(&admin, "/leads").await.is_empty());
    assert!(all_items(&admin, "/lead-submissions").await.is_empty());
    assert_eq!(admin.get("/forms/web").await.body["stats"]["honeypot"], 2);
}

#[tokio::test]
async fn malformed_posts_get_4xx_naming_the_field() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("acme", "admin", "admin")));
    let mut definition = web_form(1000);
    definition["allowedOrigins"] = json!(["https://www.acme.es"]);
    create_form(&admin, "web", definition).await;
    let public = Caller::new(&server, None);
    let form = "application/x-www-form-urlencoded";

    let bad_encoding = public.raw(Method::POST, "/f/acme/web", form, b"nombre=Jos%E9&email=j%40x.es".to_vec()).await;
    assert_eq!((bad_encoding.status, bad_encoding.fields()), (StatusCode::BAD_REQUEST, vec!["nombre".to_owned()]));
    let raw_latin1 =
        public.raw(Method::POST, "/f/acme/web", "application/json", b"{\"nombre\":\"Jos\xe9\"}".to_vec()).await;
    assert_eq!((raw_latin1.status, raw_latin1.fields()), (StatusCode::BAD_REQUEST, vec!["body".to_owned()]));

    // Above the form's 64 KiB the handler names the field that made it so; above the 1 MiB any
    // route reads, the runner refuses from the declared length, before reading the body.
    let large = format!("nombre=Ana&email=a%40x.es&mensaje={}", "x".repeat(512 * 1024));
    let too_large = public.raw(Method::POST, "/f/acme/web", form, large.into_bytes()).await;
    assert_eq!((too_large.status, too_large.fields()), (StatusCode::PAYLOAD_TOO_LARGE, vec!["mensaje".to_owned()]));
    let huge = format!("nombre=Ana&email=a%40x.es&mensaje={}", "x".repeat(1024 * 1024));
    let too_large = public.raw(Method::POST, "/f/acme/web", form, huge.into_bytes()).await;
    assert_eq!((too_large.status, too_large.fields()), (StatusCode::PAYLOAD_TOO_LARGE, vec!["body".to_owned()]));
    let long = format!("nombre=Ana&email=a%40x.es&mensaje={}", "x".repeat(2001));
    let too_long = public.raw(Method::POST, "/f/acme/web", form, long.into_bytes()).await;
    assert_eq!((too_long.status, too_long.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["mensaje".to_owned()]));

    let invalid = public.raw(Method::POST, "/f/acme/web", form, b"nombre=Ana&email=ana%40&telefono=12".to_vec()).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.fields(), ["email", "telefono"]);
    let nobody = public.raw(Method::POST, "/f/acme/web", form, b"email=ana%40x.es".to_vec()).await;
    assert_eq!(nobody.fields(), ["nombre"]);

    let wrong_type = public.raw(Method::POST, "/f/acme/web", "text/plain", b"nombre=Ana".to_vec()).await;
    assert_eq!(
        (wrong_type.status, wrong_type.fields()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, vec!["Content-Type".to_owned()])
    );
    let array = public.raw(Method::POST, "/f/acme/web", "application/json", b"[1,2]".to_vec()).await;
    assert_eq!((array.status, array.fields()), (StatusCode::BAD_REQUEST, vec!["body".to_owned()]));

    let unknown = public.raw(Method::POST, "/f/acme/nada", form, b"nombre=Ana".to_vec()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let other_tenant = public.raw(Method::POST, "/f/otra/web", form, b"nombre=Ana".to_vec()).await;
    assert_eq!(other_tenant.status, StatusCode::NOT_FOUND);

    let foreign = reqwest::Client::new()
        .post(format!("{}/f/acme/web", server.base))
        .header("content-type", "application/json")
        .header("origin", "https://evil.example")
        .body(json!({"nombre": "Ana", "email": "a@x.es"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let allowed = reqwest::Client::new()
        .post(format!("{}/f/acme/web", server.base))
        .header("content-type", "application/json")
        .header("origin", "https://www.acme.es")
        .body(json!({"nombre": "Ana", "email": "a@x.es"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::CREATED);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://www.acme.es");
    assert_eq!(all_items(&admin, "/leads").await.len(), 1, "no malformed post stored anything");
}

#[tokio::test]
async fn the_demo_form_checks_its_signed_timestamp_and_redirects_browsers() {
    let server = Server::start_for_tenant("demo");
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let public = Caller::new(&server, None);
    let page = public.get("/f/demo/contacto").await;
    assert_eq!(page.status, StatusCode::OK);
    let token = page.body["token"].as_str().unwrap().to_owned();
    assert_eq!(page.body["tokenField"], "_ts");

    // Posted at once: a person cannot fill a form in no time. Held for review.
    let quick = format!("nombre=Rápido&email=rapido%40ejemplo.cr&_ts={token}");
    let held =
        public.raw(Method::POST, "/f/demo/contacto", "application/x-www-form-urlencoded", quick.into_bytes()).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "answered like success");
    let review = all_items(&admin, "/lead-submissions").await;
    assert_eq!(review.len(), 1);
    assert_eq!(review[0]["reasons"], json!(["tooFast"]));
    assert_eq!(review[0]["fields"]["name"], "Rápido");

    // A forged timestamp is held too; a fresh page, posted after a human pause, is a lead.
    let forged = "nombre=Forjado&email=f%40ejemplo.cr&_ts=1700000000.01JD8X3Q9V7M2K4T6W8Y0Z1A2B.00112233445566778899aabbccddeeff";
    public.raw(Method::POST, "/f/demo/contacto", "application/x-www-form-urlencoded", forged.as_bytes().to_vec()).await;
    let fresh = public.get("/f/demo/contacto").await.body["token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, token, "every page gets its own token, even within one second");
    let advanced = admin.post("/_local/clock", json!({"advanceMinutes": 1})).await;
    assert_eq!(advanced.status, StatusCode::OK);
    let body = format!(
        "nombre=Mar%C3%ADa+Jos%C3%A9+N%C3%BA%C3%B1ez&email=mj%40ejemplo.cr&telefono=8888-1234&empresa=Caf%C3%A9+%C3%91and%C3%BA&mensaje=Hola&campana=sitio-web&_ts={fresh}"
    );
    let sent =
        public.raw(Method::POST, "/f/demo/contacto", "application/x-www-form-urlencoded", body.into_bytes()).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.headers["location"], "/f/demo/contacto?sent=1");
    let leads = all_items(&admin, "/leads?campaign=sitio-web").await;
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(
        (leads[0]["name"].as_str(), leads[0]["phone"].as_str()),
        (Some("María José Núñez"), Some("+50688881234"))
    );
    assert_eq!(leads[0]["source"]["formId"], "contacto");
    let quarantined = all_items(&admin, "/lead-submissions").await;
    let mut reasons: Vec<_> = quarantined.iter().map(|s| s["reasons"][0].as_str().unwrap().to_owned()).collect();
    reasons.sort();
    assert_eq!(reasons, ["tokenInvalid", "tooFast"]);

    // The welcome e-mail reaches the runner's outbox folder once the notifier drains.
    let outbox = server.data_dir.join("outbox");
    let mut welcome = None;
    for _ in 0..50 {
        welcome = std::fs::read_dir(&outbox).ok().into_iter().flatten().flatten().find_map(|entry| {
            let text = std::fs::read_to_string(entry.path()).ok()?;
            (text.contains("To: ") && text.contains("mj@ejemplo.cr")).then_some(text)
        });
        if welcome.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let welcome = welcome.expect("the prospect's welcome e-mail is written to the outbox");
    assert!(welcome.contains("Subject: "), "{welcome}");
}

#[tokio::test]
async fn conversion_creates_account_contact_and_opportunity_atomically() {
    let server = Server::start();
    let ana = Caller::new(&server, Some(server.token("acme", "ana", "agent")));
    let lead = ana
        .post("/leads", json!({"name": "Íñigo Peña Soto", "email": "inigo@cafe.example", "phone": "+506 8888 0000", "company": "Café Ñandú"}))
        .await;
    assert_eq!(lead.status, StatusCode::CREATED, "{}", lead.body);
    let duplicate = ana.post("/leads", json!({"name": "Otro", "email": "INIGO@cafe.example"})).await;
    assert_eq!(
        (duplicate.status, duplicate.problem_type()),
        (StatusCode::CONFLICT, "urn:gestiona:problem:duplicate-lead")
    );
    assert_eq!(duplicate.body["existingLeadId"], lead.body["id"]);
    let id = lead.body["id"].as_str().unwrap();
    let bad = ana
        .send(
            Method::POST,
            &format!("/leads/{id}/convert"),
            Some(&json!({"opportunity": {"name": "", "amount": {"amountMinor": -1, "currency": "XXX"}}})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.fields().iter().all(|f| f.starts_with("opportunity.")), "{:?}", bad.fields());
    let converted = ana
        .send(
            Method::POST,
            &format!("/leads/{id}/convert"),
            Some(&json!({"opportunity": {"name": "Plan pymes", "amount": {"amountMinor": 125000000, "currency": "CRC"}, "stage": "proposal"}})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(converted.status, StatusCode::OK, "{}", converted.body);
    assert_eq!(converted.body["lead"]["status"], "converted");
    let account = ana.get(&format!("/accounts/{}", converted.body["accountId"].as_str().unwrap())).await;
    assert_eq!(account.body["name"], "Café Ñandú");
    let contact_id = converted.body["contactId"].as_str().unwrap();
    let contact = ana.get(&format!("/contacts/{contact_id}")).await;
    assert_eq!(
        (contact.body["firstName"].as_str(), contact.body["lastName"].as_str()),
        (Some("Íñigo"), Some("Peña Soto"))
    );
    assert_eq!(contact.body["accountId"], converted.body["accountId"]);
    let opportunity =
        ana.get(&format!("/opportunities/{}", converted.body["opportunity"]["id"].as_str().unwrap())).await;
    assert_eq!(opportunity.body["amount"], json!({"amountMinor": 125000000, "currency": "CRC"}));
    let of_account =
        ana.get(&format!("/accounts/{}/opportunities", converted.body["accountId"].as_str().unwrap())).await;
    assert_eq!(of_account.body["items"].as_array().map(Vec::len), Some(1), "{}", of_account.body);
    assert_eq!(of_account.body["items"][0]["id"], converted.body["opportunity"]["id"]);
    let unknown = ana.get("/accounts/01JD0000000000000000000000/opportunities").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // A second lead merged into the same account, without an opportunity: the account lists both.
    let account_id = converted.body["accountId"].as_str().unwrap();
    let second = ana.post("/leads", json!({"name": "Rocío Vargas", "email": "rocio@cafe.example"})).await;
    let second_id = second.body["id"].as_str().unwrap();
    let merged = ana
        .send(
            Method::POST,
            &format!("/leads/{second_id}/convert"),
            Some(&json!({"accountId": account_id})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
    let leads = ana.get(&format!("/accounts/{account_id}/leads")).await;
    let listed: Vec<(&str, bool)> = leads.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].as_str().unwrap(), l["converted"]["opportunityId"].is_string()))
        .collect();
    assert_eq!(listed, [(id, true), (second_id, false)], "{}", leads.body);
    assert_eq!(ana.get("/accounts/01JD0000000000000000000000/leads").await.status, StatusCode::NOT_FOUND);
    let twice = ana.send(Method::POST, &format!("/leads/{id}/convert"), Some(&json!({})), Some("\"2\"")).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // The person writes again through a form: the post lands on the contact, not a new lead.
    let admin = Caller::new(&server, Some(server.token("acme", "admin", "admin")));
    create_form(&admin, "web", web_form(1000)).await;
    let (status, body, _) = post_json(
        &server,
        "/f/acme/web",
        &json!({"nombre": "Íñigo", "telefono": "+506 8888 0000", "email": "inigo@cafe.example"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(all_items(&ana, "/leads").await.len(), 2, "the two converted ones, no new lead");
    let activities = all_items(&ana, &format!("/contacts/{contact_id}/activities")).await;
    assert_eq!(kinds(&activities), ["submitted"]);
}

#[tokio::test]
async fn staff_filter_update_and_disqualify_leads() {
    let server = Server::start();
    let ana = Caller::new(&server, Some(server.token("acme", "ana", "agent")));
    let admin = Caller::new(&server, Some(server.token("acme", "admin", "admin")));
    let entry = json!({"name": "Ana", "email": "ana@acme.example"});
    assert_eq!(admin.send(Method::PUT, "/users/ana", Some(&entry), None).await.status, StatusCode::OK);
    let nobody = ana.post("/leads", json!({"name": "Cero", "email": "cero@x.es", "owner": "nadie"})).await;
    assert_eq!(nobody.fields(), ["owner"], "an owner who is not one of the company's staff");
    let first =
        ana.post("/leads", json!({"name": "Uno", "email": "uno@x.es", "campaign": "feria", "owner": "ana"})).await;
    let second = ana.post("/leads", json!({"name": "Dos", "email": "dos@x.es"})).await;
    assert_eq!(second.body["owner"], "ana", "a lead someone enters without an owner is theirs");
    let mine = all_items(&ana, "/leads?owner=ana").await;
    assert_eq!(mine.len(), 2);
    assert_eq!(all_items(&ana, "/leads?campaign=FERIA").await.len(), 1);
    assert_eq!(all_items(&ana, "/leads?period=thisWeek").await.len(), 2);
    assert_eq!(all_items(&ana, "/leads?createdTo=2020-01-01T00:00:00Z").await.len(), 0);
    let bad: Reply = ana.get("/leads?status=won&period=someday").await;
    assert_eq!(bad.fields(), ["status", "period"]);
    let id = first.body["id"].as_str().unwrap();
    let taken = ana.patch(&format!("/leads/{id}"), json!({"email": "dos@x.es"}), "\"1\"").await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let moved = ana
        .patch(
            &format!("/leads/{id}"),
            json!({"email": "uno.nuevo@x.es", "status": "disqualified", "disqualifiedReason": "Sin presupuesto"}),
            "\"1\"",
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["status"], "disqualified");
    // The old address is free again, the new one taken.
    assert_eq!(ana.post("/leads", json!({"name": "Tres", "email": "uno@x.es"})).await.status, StatusCode::CREATED);
    assert_eq!(
        ana.post("/leads", json!({"name": "Cuatro", "email": "uno.nuevo@x.es"})).await.status,
        StatusCode::CONFLICT
    );
    let history = all_items(&ana, &format!("/leads/{id}/history")).await;
    assert_eq!(kinds(&history), ["created", "assigned", "statusChanged", "updated"]);
    let other = Caller::new(&server, Some(server.token("otra", "ana", "agent")));
    assert_eq!(other.get(&format!("/leads/{id}")).await.status, StatusCode::NOT_FOUND);
}
