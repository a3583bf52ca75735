//! Every acknowledged write survives a crash. The runner is killed with SIGKILL (no shutdown,
//! no last sync) while clients are creating accounts, then restarted on the same data directory:
//! every account answered 201 must read back whole, and the store must take writes again.
//!
//! Accounts publish no effects, so no worker syncs the store during the load: only the sync
//! each request makes before it answers stands between an acknowledged write and its loss.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Caller, Server};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CLIENTS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_sigkill_during_a_write_load() {
    let server = Server::start();
    let token = server.token("demo", "ana", "agent");
    let base = server.base.clone();
    let http = reqwest::Client::new();
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let stop_at = Instant::now() + Duration::from_millis(1500);

    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (http, base, token, acknowledged) = (http.clone(), base.clone(), token.clone(), Arc::clone(&acknowledged));
        clients.push(tokio::spawn(async move {
            let mut n = 0;
            // Keeps writing until the server dies under it.
            loop {
                n += 1;
                let subject = format!("Cuenta {client}-{n}");
                let body =
                    json!({"name": subject, "email": format!("c{client}-{n}@example.com"), "industry": "retail"});
                let sent = http.post(format!("{base}/accounts")).bearer_auth(&token).json(&body).send().await;
                let Ok(response) = sent else { return };
                if response.status() != StatusCode::CREATED {
                    assert!(response.status().is_success(), "an error before the kill: {}", response.status());
                }
                let Ok(created) = response.json::<Value>().await else { return };
                let id = created["id"].as_str().expect("an id").to_owned();
                acknowledged.lock().unwrap().push((id, subject));
            }
        }));
    }
    while Instant::now() < stop_at {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let data_dir = server.kill();
    for client in clients {
        client.await.expect("a client task");
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 50, "the load made writes before the kill: {}", acknowledged.len());
    let restarted = Server::start_in(data_dir);
    let ana = Caller::new(&restarted, Some(restarted.token("demo", "ana", "agent")));
    let mut lost = Vec::new();
    for (id, name) in &acknowledged {
        let read = ana.get(&format!("/accounts/{id}")).await;
        if read.status != StatusCode::OK {
            lost.push(id.clone());
            continue;
        }
        assert_eq!(read.body["name"], name.as_str());
        assert_eq!(read.body["industry"], "retail");
        assert!(read.body["email"].as_str().is_some_and(|e| e.ends_with("@example.com")), "{}", read.body);
    }
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged accounts were lost, among them {:?}",
        lost.len(),
        acknowledged.len(),
        &lost[..lost.len().min(5)]
    );
    // The store still takes writes after the recovery.
    let after = ana.post("/accounts", json!({"name": "Después del reinicio"})).await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.body);
}
