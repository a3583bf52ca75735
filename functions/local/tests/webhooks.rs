//! Webhooks end to end: a receiver on loopback subscribes through the API, checks every
//! delivery's signature by its own HMAC, answers an error and then too slowly, and sees the
//! event retried with the same `webhook-id` until it succeeds, then never again; a replay and a
//! rotated secret arrive as documented.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Caller, Server};
use hmac::{KeyInit, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// How the receiver answers one request.
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    /// Longer than the runner's webhook timeout (`--webhook-timeout 2`).
    TooSlow,
}

/// One request as the receiver got it.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// The `v1,` signatures, each checked against `secret` by this test's own HMAC.
    fn signed_by(&self, secret: &str) -> bool {
        let key = BASE64.decode(secret.strip_prefix("whsec_").expect("a whsec_ secret")).expect("base64");
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

#[derive(Default)]
struct Script {
    answers: VecDeque<Answer>,
    received: Vec<Received>,
}

struct Receiver {
    url: String,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    async fn start(answers: &[Answer]) -> Self {
        let script = Arc::new(Mutex::new(Script { answers: answers.iter().copied().collect(), ..Script::default() }));
        let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(Arc::clone(&script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, script }
    }

    fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }

    /// Waits until `count` requests have arrived.
    async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..150 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {count} deliveries, got {:?}", self.received());
    }
}

async fn receive(State(script): State<Arc<Mutex<Script>>>, headers: HeaderMap, body: String) -> AxumStatus {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let answer = {
        let mut script = script.lock().unwrap();
        script.received.push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body,
        });
        script.answers.pop_front().unwrap_or(Answer::Status(204))
    };
    match answer {
        Answer::Status(code) => AxumStatus::from_u16(code).unwrap(),
        Answer::TooSlow => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            AxumStatus::NO_CONTENT
        }
    }
}

async fn advance_minutes(admin: &Caller<'_>, minutes: i64) {
    let moved = admin.post("/_local/clock", json!({ "advanceMinutes": minutes })).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
}

/// Polls the delivery log until its newest delivery has recorded attempt `attempts`.
async fn delivery_after(admin: &Caller<'_>, subscription: &str, attempts: u64) -> Value {
    let settled = |d: &Value| d["attempts"] == attempts && d["inFlightUntil"].is_null();
    let mut last = Value::Null;
    for _ in 0..100 {
        let log = admin.get(&format!("/webhooks/{subscription}/deliveries")).await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.body);
        last = log.body["items"][0].clone();
        if settled(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the delivery never got there: {last}")
}

async fn open_case(caller: &Caller<'_>, subject: &str) -> String {
    let created = caller.post("/cases", json!({ "type": "queja_calidad", "subject": subject })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_delivery_is_signed_retried_until_it_succeeds_and_then_never_again() {
    let receiver = Receiver::start(&[Answer::Status(500), Answer::TooSlow]).await;
    let server = Server::start_with_options(&["--tenant", "demo", "--webhook-timeout", "2"]);
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let agent = Caller::new(&server, Some(server.token("demo", "ana", "agent")));

    // Only admins subscribe, only to public HTTPS (or, in the runner, loopback) endpoints.
    let refused = agent.post("/webhooks", json!({ "url": receiver.url, "events": ["case.created"] })).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let private = admin.post("/webhooks", json!({ "url": "https://10.1.2.3/hook", "events": ["case.created"] })).await;
    assert_eq!((private.status, private.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["url".to_owned()]));
    let unknown = admin.post("/webhooks", json!({ "url": receiver.url, "events": ["case.eaten"] })).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);

    let created = admin.post("/webhooks", json!({ "url": receiver.url, "events": ["case.created"] })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let subscription = created.body["id"].as_str().unwrap().to_owned();
    let secret = created.body["secret"].as_str().expect("the secret, shown once").to_owned();
    let read = admin.get(&format!("/webhooks/{subscription}")).await;
    assert!(read.body.get("secret").is_none(), "never shown again: {}", read.body);
    assert_eq!(read.body["secrets"][0]["hint"], format!("whsec_…{}", &secret[secret.len() - 4..]));

    // First attempt: the receiver answers 500.
    let case = open_case(&agent, "Producto vencido").await;
    let first = receiver.wait_for(1).await;
    assert!(first[0].signed_by(&secret), "signature verifies: {:?}", first[0]);
    let event = first[0].json();
    assert_eq!((event["type"].as_str(), event["data"]["id"].as_str()), (Some("case.created"), Some(case.as_str())));
    let pending = delivery_after(&admin, &subscription, 1).await;
    assert_eq!(
        (pending["status"].as_str(), pending["lastAttempt"]["statusCode"].as_u64()),
        (Some("pending"), Some(500))
    );

    // Retried a minute later (by the runner's clock): the receiver is too slow this time.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.received().len(), 1, "nothing before the retry is due");
    advance_minutes(&admin, 2).await;
    let second = receiver.wait_for(2).await;
    let timed_out = delivery_after(&admin, &subscription, 2).await;
    assert!(timed_out["lastAttempt"]["statusCode"].is_null(), "{timed_out}");
    assert!(timed_out["lastAttempt"]["error"].is_string(), "{timed_out}");

    // The third attempt, two minutes after the second, succeeds.
    advance_minutes(&admin, 3).await;
    let third = receiver.wait_for(3).await;
    let delivered = delivery_after(&admin, &subscription, 3).await;
    assert_eq!(delivered["status"], "delivered");
    for attempt in [&first[0], &second[1], &third[2]] {
        assert_eq!((&attempt.id, &attempt.body), (&first[0].id, &first[0].body), "one delivery, retried as it was");
        assert!(attempt.signed_by(&secret));
    }

    // Delivered once: nothing more arrives however far time moves.
    advance_minutes(&admin, 26 * 60).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.received().len(), 3, "{:?}", receiver.received());

    // A replay is a new delivery of the same event.
    let delivery = delivered["id"].as_str().unwrap();
    let replayed =
        admin.send(Method::POST, &format!("/webhooks/{subscription}/deliveries/{delivery}/replay"), None, None).await;
    assert_eq!(replayed.status, StatusCode::ACCEPTED, "{}", replayed.body);
    let fourth = receiver.wait_for(4).await;
    assert_ne!(fourth[3].id, first[0].id, "its own webhook-id");
    assert_eq!(fourth[3].json()["id"], event["id"], "the same event");
    assert_eq!(replayed.body["replayOf"], delivered["id"]);

    // After a rotation both secrets sign, until the old one expires a day later.
    let rotated = admin.send(Method::POST, &format!("/webhooks/{subscription}/rotate-secret"), None, None).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    open_case(&agent, "Etiqueta ilegible").await;
    let fifth = receiver.wait_for(5).await;
    assert!(fifth[4].signed_by(&new_secret) && fifth[4].signed_by(&secret), "{:?}", fifth[4]);
    advance_minutes(&admin, 25 * 60).await;
    open_case(&agent, "Caja abollada").await;
    let sixth = receiver.wait_for(6).await;
    assert!(sixth[5].signed_by(&new_secret) && !sixth[5].signed_by(&secret), "{:?}", sixth[5]);
}

#[tokio::test]
async fn a_subscription_changes_only_at_the_version_read_and_is_gone_once_deleted() {
    let receiver = Receiver::start(&[]).await;
    let server = Server::start_with_options(&["--tenant", "demo"]);
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let created = admin.post("/webhooks", json!({ "url": receiver.url, "events": ["case.created"] })).await;
    let path = created.headers["location"].to_str().unwrap().to_owned();

    let body = json!({ "url": receiver.url, "events": ["case.created", "case.closed"], "status": "disabled" });
    let stale = admin.send(Method::PUT, &path, Some(&body), Some("\"7\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{}", stale.body);
    let unconditional = admin.send(Method::PUT, &path, Some(&body), None).await;
    assert_eq!(unconditional.status, StatusCode::PRECONDITION_REQUIRED, "{}", unconditional.body);
    let changed = admin.send(Method::PUT, &path, Some(&body), Some(&created.etag())).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(
        (changed.body["status"].as_str(), changed.body["disabledBy"].as_str()),
        (Some("disabled"), Some("admin"))
    );

    // A disabled subscription is sent nothing.
    open_case(&admin, "Sin aviso").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(receiver.received().is_empty());

    let listed = admin.get("/webhooks").await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let deleted = admin.send(Method::DELETE, &path, None, Some(&changed.etag())).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(admin.get(&path).await.status, StatusCode::NOT_FOUND);
}
