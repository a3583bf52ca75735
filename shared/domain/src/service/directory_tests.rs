//! Inviting and deactivating staff: the sign-in provider hears of each invitation (with the
//! group of the profile's level) and of each change of `active`, before the directory says so;
//! when it fails nothing changes.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::access::Role;
use crate::ids::{ProfileId, TenantId};
use crate::ports::{DirectoryIdentity, IdentityError, IdentityProvider, Invitation};
use crate::service::Services;
use crate::service::directory::{InviteUserError, SaveUserError};
use crate::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use crate::user::UserEntry;
use crate::{Actor, ExpectedVersion, UserId};

/// Records what it was asked; answers `sub-{n}`; fails while `down` is set.
#[derive(Default)]
struct Provider {
    invited: Mutex<Vec<Invitation>>,
    switched: Mutex<Vec<(UserId, bool)>>,
    down: Mutex<bool>,
}

#[async_trait]
impl IdentityProvider for Provider {
    async fn invite(&self, _: &TenantId, invitation: &Invitation) -> Result<UserId, IdentityError> {
        if *self.down.lock().unwrap() {
            return Err(IdentityError::Unavailable("the pool is down".into()));
        }
        let mut invited = self.invited.lock().unwrap();
        invited.push(invitation.clone());
        Ok(UserId::parse(&format!("sub-{}", invited.len())).unwrap())
    }

    async fn set_enabled(&self, _: &TenantId, user: &UserId, enabled: bool) -> Result<(), IdentityError> {
        if *self.down.lock().unwrap() {
            return Err(IdentityError::Unavailable("the pool is down".into()));
        }
        self.switched.lock().unwrap().push((user.clone(), enabled));
        Ok(())
    }
}

async fn services(identity: Arc<dyn IdentityProvider>) -> (Services, Actor) {
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RecordingQueue::default()),
        clock,
        Arc::new(SequentialIds::default()),
    )
    .with_identity(identity);
    let tenant = TenantId::parse("demo").unwrap();
    services.seed_demo(&tenant).await.unwrap();
    (services, Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin))
}

fn entry(name: &str, email: &str, profile: Option<&str>) -> UserEntry {
    UserEntry {
        name: name.into(),
        email: email.into(),
        locale: Some("en".into()),
        profile: profile.map(|p| ProfileId::parse(p).unwrap()),
        active: None,
    }
}

#[tokio::test]
async fn an_invitation_makes_the_sign_in_in_the_group_of_the_profiles_level_then_the_entry() {
    let provider = Arc::new(Provider::default());
    let (services, admin) = services(provider.clone()).await;
    let marta = services.invite_user(&admin, entry("Marta Vidal", "Marta@Vidal.example", Some("supervisor"))).await;
    let marta = marta.unwrap();
    assert_eq!((marta.value.id.as_str(), marta.value.email.as_str()), ("sub-1", "marta@vidal.example"));
    assert!(marta.value.active);
    let invited = provider.invited.lock().unwrap().clone();
    assert_eq!((invited[0].role, invited[0].locale.as_str()), (Role::Supervisor, "en"));
    let listed = services.user(&admin.tenant, &marta.value.id).await.unwrap().expect("in the directory");
    assert_eq!(listed.profile.unwrap().as_str(), "supervisor");
    let plain = services.invite_user(&admin, entry("Luis Mora", "luis@mora.example", None)).await.unwrap();
    assert_eq!(provider.invited.lock().unwrap()[1].role, Role::Agent, "no profile: the agents' group");
    assert_eq!(plain.value.id.as_str(), "sub-2");

    // The same address again is refused before the pool hears of it.
    match services.invite_user(&admin, entry("Marta", "marta@vidal.example", None)).await {
        Err(InviteUserError::AlreadyListed { existing }) => assert_eq!(existing, marta.value.id),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // So is a profile the company does not have, and an address that is not one.
    let unknown = services.invite_user(&admin, entry("X", "x@x.example", Some("nadie"))).await;
    assert!(matches!(unknown, Err(InviteUserError::Invalid(e)) if e.0[0].field == "profile"));
    let bad = services.invite_user(&admin, entry("X", "no es un correo", None)).await;
    assert!(matches!(bad, Err(InviteUserError::Invalid(e)) if e.0[0].field == "email"));
    assert_eq!(provider.invited.lock().unwrap().len(), 2);

    // Only who may change the configuration invites.
    let ana = Actor::with_role(&admin.tenant, &UserId::parse("ana").unwrap(), Role::Agent);
    assert!(matches!(
        services.invite_user(&ana, entry("Y", "y@y.example", None)).await,
        Err(InviteUserError::Forbidden(_))
    ));
}

#[tokio::test]
async fn a_pool_that_is_down_leaves_nothing_behind_and_deactivating_reaches_it_first() {
    let provider = Arc::new(Provider::default());
    let (services, admin) = services(provider.clone()).await;
    *provider.down.lock().unwrap() = true;
    let failed = services.invite_user(&admin, entry("Marta Vidal", "marta@vidal.example", None)).await;
    assert!(matches!(failed, Err(InviteUserError::SignInUnavailable(_))));
    *provider.down.lock().unwrap() = false;
    let marta = services.invite_user(&admin, entry("Marta Vidal", "marta@vidal.example", None)).await.unwrap();

    // Saving without changing `active` does not reach the pool; deactivating does, first.
    let mut edit = entry("Marta Vidal Soto", "marta@vidal.example", None);
    let saved =
        services.save_user(&admin, marta.value.id.clone(), edit.clone(), Some(ExpectedVersion::Exactly(1))).await;
    assert_eq!(saved.unwrap().version, 2);
    assert!(provider.switched.lock().unwrap().is_empty());
    edit.active = Some(false);
    *provider.down.lock().unwrap() = true;
    let refused = services.save_user(&admin, marta.value.id.clone(), edit.clone(), None).await;
    assert!(matches!(refused, Err(SaveUserError::SignInUnavailable(_))));
    assert!(services.user(&admin.tenant, &marta.value.id).await.unwrap().unwrap().active, "nothing changed");
    *provider.down.lock().unwrap() = false;
    services.save_user(&admin, marta.value.id.clone(), edit.clone(), None).await.unwrap();
    edit.active = Some(true);
    services.save_user(&admin, marta.value.id.clone(), edit, None).await.unwrap();
    let switched = provider.switched.lock().unwrap().clone();
    assert_eq!(switched, [(marta.value.id.clone(), false), (marta.value.id, true)]);
}

#[tokio::test]
async fn without_a_user_pool_the_address_is_the_users_id() {
    let (services, admin) = services(Arc::new(DirectoryIdentity)).await;
    let invited = services.invite_user(&admin, entry("Marta Vidal", "Marta@Vidal.example", None)).await.unwrap();
    assert_eq!(invited.value.id.as_str(), "marta@vidal.example");
}
