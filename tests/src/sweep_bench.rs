//! The sweep-scaling scenario shared by the benchmark binary and the moto test: `stored` cases
//! whose clocks are armed for next month, plus `due` cases whose first-response warning is due
//! now; then one sweep, counted.

use std::sync::Arc;
use std::time::Instant;

use gestiona_domain::ports::{Condition, Index, Item, Store, UlidGenerator, WriteOp};
use gestiona_domain::service::Services;
use gestiona_domain::{Actor, EntityId, Role, TenantId, UserId, keys};
use serde_json::json;

use crate::clock::ManualClock;
use crate::counting::CountingStore;
use crate::queue::RecordingQueue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepFigures {
    pub stored: usize,
    pub due: usize,
    /// Hour buckets since the previous sweep.
    pub buckets: usize,
    pub queries: usize,
    pub items_read: usize,
    pub gets: usize,
    pub applied: usize,
    /// Stages found already applied. None is expected; reported so that a shortfall in
    /// `applied` shows whether a stage was missed or found applied (an SDK retry of a write
    /// that had committed: moto ignores the transaction's idempotency token).
    pub skipped: usize,
    pub millis: u128,
}

/// Runs the scenario on `store` (which must be empty).
pub async fn run(store: Arc<dyn Store>, stored: usize, due: usize) -> SweepFigures {
    let counting = Arc::new(CountingStore::new(store.clone()));
    let clock = Arc::new(ManualClock::at("2026-11-23T14:00:00Z")); // Monday 08:00 in San José
    let services = Services::new(
        counting.clone(),
        Arc::new(RecordingQueue::default()),
        clock.clone(),
        Arc::new(UlidGenerator::default()),
    );
    let tenant = TenantId::parse("bench").unwrap();
    let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    services.seed_demo(&tenant).await.unwrap();
    // The seeded demo cases have clocks too; sweep them out of the way first.
    clock.advance(7 * 24 * 3600);
    while services.sweep_sla().await.unwrap().applied > 0 {}

    // Bulk: cases whose armed clocks are due next month (written directly, 50 cases a batch).
    let far = "2026-12-28T15";
    let mut ops = Vec::new();
    for n in 0..stored {
        let id = EntityId::from_ulid(ulid::Ulid::from_parts(1_700_000_000_000 + n as u64, n as u128));
        let case = Item::new(keys::case(&tenant, id), "Case", 1, json!({"bulk": n}).as_object().unwrap().clone());
        let at = format!("{far}:00:00Z");
        let entry = Item::new(
            keys::sla_entry(&tenant, id, "resolution"),
            "SlaClock",
            1,
            json!({"bulk": n}).as_object().unwrap().clone(),
        )
        .with_index(
            Index::Gsi1,
            keys::sla_due(far, (n % keys::SLA_SHARDS as usize) as u32, &at, &tenant, id, "resolution"),
        );
        ops.push(WriteOp::Put { item: case, condition: Condition::ALWAYS });
        ops.push(WriteOp::Put { item: entry, condition: Condition::ALWAYS });
        if ops.len() == 100 {
            store.write(std::mem::take(&mut ops)).await.unwrap();
        }
    }
    if !ops.is_empty() {
        store.write(ops).await.unwrap();
    }
    // Due: real cases whose first-response warning (75 % of 240 business minutes) is due soon.
    for n in 0..due {
        let input = json!({"type": "devolucion", "subject": format!("Due {n}"), "owner": "ana"});
        services.create_case(&admin, serde_json::from_value(input).unwrap()).await.unwrap();
    }
    clock.advance(181 * 60);
    counting.counts.reset();
    let started = Instant::now();
    let report = services.sweep_sla().await.unwrap();
    let millis = started.elapsed().as_millis();
    let (queries, items_read, gets) = counting.counts.snapshot();
    SweepFigures {
        stored,
        due,
        buckets: report.buckets,
        queries,
        items_read,
        gets,
        applied: report.applied,
        skipped: report.skipped,
        millis,
    }
}
