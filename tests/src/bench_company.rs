//! The company the scaling benchmarks run in: the demo tenant seeded on a counted store, its
//! administrator and first account.

use std::sync::Arc;

use gestiona_domain::ports::{Store, UlidGenerator};
use gestiona_domain::service::{PageRequest, Services};
use gestiona_domain::{Actor, EntityId, Role, TenantId, UserId};

use crate::clock::ManualClock;
use crate::counting::CountingStore;
use crate::queue::RecordingQueue;

pub struct BenchCompany {
    pub services: Services,
    /// What the use cases read and write, counted.
    pub counting: Arc<CountingStore>,
    pub tenant: TenantId,
    pub admin: Actor,
    pub account: EntityId,
}

/// Seeds the demo company `bench` on `store` (which must be empty).
pub async fn seed(store: Arc<dyn Store>) -> BenchCompany {
    let counting = Arc::new(CountingStore::new(store));
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services =
        Services::new(counting.clone(), Arc::new(RecordingQueue::default()), clock, Arc::new(UlidGenerator::default()));
    let tenant = TenantId::parse("bench").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let accounts = services.list_accounts(&admin, &Default::default(), &PageRequest::default()).await.unwrap();
    let account = accounts.items[0].value.id;
    BenchCompany { services, counting, tenant, admin, account }
}
