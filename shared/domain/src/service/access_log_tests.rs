//! How long the access log keeps entries: the company's choice sets each new entry's expiry,
//! and a read never shows an entry older than the company keeps.

use std::sync::Arc;

use crate::access::Role;
use crate::access_log::{AccessAction, Retention};
use crate::ids::TenantId;
use crate::keys;
use crate::ports::Store;
use crate::service::access_log::{AccessFilter, AccessLogError, SaveRetentionError};
use crate::service::{PageRequest, Services};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::{Actor, ExpectedVersion, UserId};

const DAY: i64 = 86_400;

struct World {
    services: Services,
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    tenant: TenantId,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let store = Arc::new(MemoryStore::new());
    let services = Services::new(
        store.clone(),
        Arc::new(RecordingQueue::default()),
        clock.clone(),
        Arc::new(SequentialIds::default()),
    );
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    World { services, store, clock, tenant }
}

impl World {
    /// The caller as a request would see them: through `authorize`, which reads the keeping.
    async fn actor(&self, user: &str, role: Role) -> Actor {
        let claimed = Actor::with_role(&self.tenant, &UserId::parse(user).unwrap(), role);
        self.services.authorize(claimed).await.unwrap()
    }

    /// Every entry a read shows, newest first, with the second its item expires.
    async fn shown(&self, admin: &Actor) -> Vec<(AccessAction, i64)> {
        let page = PageRequest::new(Some(100), None).unwrap();
        let found = self.services.access_log(admin, &AccessFilter::default(), &page).await.unwrap();
        let mut shown = Vec::new();
        for entry in found.items {
            let item = self.store.get(&keys::access_entry(&self.tenant, entry.value.id)).await.unwrap().unwrap();
            shown.push((entry.value.action, item.ttl.unwrap() - entry.value.at.as_second()));
        }
        shown
    }
}

#[tokio::test]
async fn entries_are_kept_as_long_as_the_company_chose_and_older_ones_are_not_shown() {
    let world = world().await;
    let admin = world.actor("admin", Role::Admin).await;
    let kept = world.services.access_log_retention(&admin).await.unwrap();
    assert_eq!((kept.value.days, kept.version), (400, 0), "the default, before anyone chose");

    // Opening the demo company changed its settings: the first entry.
    world.services.log_access(&admin, AccessAction::Read, None).await;
    assert_eq!(
        world.shown(&admin).await,
        [(AccessAction::Read, 400 * DAY), (AccessAction::SettingsChanged, 400 * DAY)]
    );

    let saved = world
        .services
        .save_access_log_retention(&admin, Retention { days: 30 }, Some(ExpectedVersion::Exactly(0)))
        .await
        .unwrap();
    assert_eq!((saved.value.days, saved.version), (30, 1));
    let stale =
        world.services.save_access_log_retention(&admin, Retention { days: 90 }, Some(ExpectedVersion::Exactly(0)));
    assert!(matches!(stale.await, Err(SaveRetentionError::Stale { expected: 0 })));

    // Entries written from now on are kept 30 days; the change itself is one of them.
    let admin = world.actor("admin", Role::Admin).await;
    world.clock.advance(20 * DAY);
    world.services.log_access(&admin, AccessAction::Exported, None).await;
    assert_eq!(
        world.shown(&admin).await,
        [
            (AccessAction::Exported, 30 * DAY),
            (AccessAction::SettingsChanged, 30 * DAY),
            (AccessAction::Read, 400 * DAY),
            (AccessAction::SettingsChanged, 400 * DAY)
        ]
    );

    // A month after the change, what was written before it is past the keeping: not shown,
    // although its own expiry is later.
    world.clock.advance(11 * DAY);
    assert_eq!(world.shown(&admin).await, [(AccessAction::Exported, 30 * DAY)]);

    // Longer again: entries written after it are kept longer; those hidden come back only while
    // their own expiry has not passed.
    world.services.save_access_log_retention(&admin, Retention { days: 400 }, None).await.unwrap();
    let admin = world.actor("admin", Role::Admin).await;
    assert_eq!(admin.log_retention_days, None, "the default is stored as nothing");
    let actions: Vec<AccessAction> = world.shown(&admin).await.into_iter().map(|(action, _)| action).collect();
    assert_eq!(
        actions,
        [
            AccessAction::SettingsChanged,
            AccessAction::Exported,
            AccessAction::SettingsChanged,
            AccessAction::Read,
            AccessAction::SettingsChanged
        ]
    );
}

#[tokio::test]
async fn the_keeping_is_a_month_to_ten_years_and_only_administrators_change_it() {
    let world = world().await;
    let admin = world.actor("admin", Role::Admin).await;
    for days in [0, 29, 3651] {
        let refused = world.services.save_access_log_retention(&admin, Retention { days }, None).await;
        let Err(SaveRetentionError::Invalid(errors)) = refused else { panic!("{days} days accepted") };
        assert_eq!(errors.0[0].field, "days");
        assert_eq!(errors.0[0].reason.code(), "between");
    }
    for days in [30, 3650] {
        assert!(world.services.save_access_log_retention(&admin, Retention { days }, None).await.is_ok());
    }
    let agent = world.actor("ana", Role::Agent).await;
    let refused = world.services.save_access_log_retention(&agent, Retention { days: 60 }, None).await;
    assert!(matches!(refused, Err(SaveRetentionError::Forbidden(_))));
    assert!(matches!(world.services.access_log_retention(&agent).await, Err(AccessLogError::Forbidden(_))));
}
