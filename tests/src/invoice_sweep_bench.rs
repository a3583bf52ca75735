//! The invoice-sweep scaling scenario shared by the benchmark binary and the read-count tests:
//! `stored` unpaid invoices whose next dunning step is months away, plus `due` invoices whose
//! "due in 5 days" step is due this morning; then one sweep, counted.

use std::sync::Arc;
use std::time::Instant;

use gestiona_domain::ports::{Condition, Index, Item, Store, UlidGenerator, WriteOp};
use gestiona_domain::service::Services;
use gestiona_domain::{Actor, DocumentNumber, Role, TenantId, UserId, keys};
use serde_json::json;

use crate::clock::ManualClock;
use crate::counting::CountingStore;
use crate::queue::RecordingQueue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceSweepFigures {
    pub stored: usize,
    pub due: usize,
    /// UTC days since the previous sweep.
    pub days: usize,
    pub queries: usize,
    pub items_read: usize,
    pub gets: usize,
    pub sent: usize,
    pub millis: u128,
}

/// Runs the scenario on `store` (which must be empty).
pub async fn run(store: Arc<dyn Store>, stored: usize, due: usize) -> InvoiceSweepFigures {
    let counting = Arc::new(CountingStore::new(store.clone()));
    let clock = Arc::new(ManualClock::at("2026-11-23T13:00:00Z")); // Monday 07:00 in San José
    let queue = Arc::new(RecordingQueue::default());
    let services = Services::new(counting.clone(), queue, clock.clone(), Arc::new(UlidGenerator::default()));
    let tenant = TenantId::parse("bench").unwrap();
    let erp = Actor::with_role(&tenant, &UserId::parse("erp").unwrap(), Role::Admin);
    services.seed_demo(&tenant).await.unwrap();
    // Yesterday's run: the watermark is today.
    services.sweep_invoices().await.unwrap();
    let account = services
        .create_account(&erp, serde_json::from_value(json!({"name": "Bench", "email": "cxp@bench.example"})).unwrap())
        .await
        .unwrap()
        .value
        .id;

    // Bulk: invoices whose next step falls in January (written directly, 50 invoices a batch).
    let far = "2027-01-15";
    let mut ops = Vec::new();
    for n in 0..stored {
        let number = DocumentNumber::parse(&format!("B-{n:07}")).unwrap();
        let body = |kind: &str| json!({ "bulk": n, "kind": kind }).as_object().unwrap().clone();
        let invoice = Item::new(keys::invoice(&tenant, &number), "Invoice", 1, body("invoice"))
            .with_index(Index::Gsi1, keys::invoices_listing(&tenant, far, &number))
            .with_index(Index::Gsi3, keys::open_invoices(&tenant, far, &number));
        let at = format!("{far}T14:00:00Z");
        let shard = (n % keys::DUNNING_SHARDS as usize) as u32;
        let state = Item::new(keys::dunning_state(&tenant, &number), "DunningState", 1, body("state"))
            .with_index(Index::Gsi1, keys::dunning_due(far, shard, &at, &tenant, &number));
        ops.push(WriteOp::Put { item: invoice, condition: Condition::ALWAYS });
        ops.push(WriteOp::Put { item: state, condition: Condition::ALWAYS });
        if ops.len() == 100 {
            store.write(std::mem::take(&mut ops)).await.unwrap();
        }
    }
    if !ops.is_empty() {
        store.write(ops).await.unwrap();
    }
    // Due: real invoices due on Thursday, so "due in 5 days" is current at 08:00 today.
    for n in 0..due {
        let input = serde_json::from_value(json!({
            "accountId": account, "currency": "CRC", "issuedOn": "2026-10-27", "dueOn": "2026-11-26", "totalMinor": 125_000
        }))
        .unwrap();
        let number = DocumentNumber::parse(&format!("D-{n:07}")).unwrap();
        services.upsert_invoice(&erp, &number, &input).await.unwrap();
    }
    clock.advance(90 * 60); // 08:30 in San José
    counting.counts.reset();
    let started = Instant::now();
    let report = services.sweep_invoices().await.unwrap();
    let millis = started.elapsed().as_millis();
    let (queries, items_read, gets) = counting.counts.snapshot();
    InvoiceSweepFigures { stored, due, days: report.days, queries, items_read, gets, sent: report.sent, millis }
}
