//! Who the caller is to the tenant (their directory entry and profile), and the tenant's
//! profiles as admins edit them.

use std::sync::Arc;

use super::{Services, conditions};
use crate::access::{AccessPolicy, Module, Operation, Permission, Profile, ProfileEntry};
use crate::access_log::{AccessAction, RecordRef};
use crate::actor::{Actor, Forbidden};
use crate::ids::{CaseTypeKey, ProfileId, TenantId};
use crate::keys;
use crate::organisation::Organisation;
use crate::ports::{Condition, Item, StoreError, WriteOp};
use crate::records;
use crate::user::User;
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Versioned};

pub const POLICY_ENTITY: &str = "AccessPolicy";

const READ_CONFIGURATION: Permission = Permission::new(Module::Configuration, Operation::Read);
const CHANGE_CONFIGURATION: Permission = Permission::new(Module::Configuration, Operation::Update);

/// Why a signed-in caller may not act for the tenant.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    #[error("the user was deactivated")]
    Deactivated,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetProfileError {
    #[error("no such profile")]
    NotFound,
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum SaveProfileError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the profiles changed since version {expected:?}")]
    Stale { expected: Option<u64> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Services {
    /// Refuses a profile naming a case type the tenant does not have, at `caseTypes.{key}`.
    async fn check_case_types_exist(&self, tenant: &TenantId, profile: &Profile) -> Result<(), SaveProfileError> {
        if profile.case_types.is_empty() {
            return Ok(());
        }
        let named: Vec<&CaseTypeKey> = profile.case_types.keys().collect();
        let keys: Vec<_> = named.iter().map(|key| keys::case_type(tenant, key)).collect();
        let mut errors = ValidationErrors::new();
        for chunk in named.chunks(crate::ports::MAX_READ_KEYS).zip(keys.chunks(crate::ports::MAX_READ_KEYS)) {
            for (key, found) in chunk.0.iter().zip(self.store.get_many(chunk.1).await?) {
                if found.is_none() {
                    errors.add(format!("caseTypes.{key}"), crate::messages::no_case_type_listed(key.as_str()));
                }
            }
        }
        Ok(errors.finish()?)
    }

    /// The caller as the tenant knows them: refused when their directory entry is deactivated,
    /// with the profile it names (level, grants and scopes) when it names one, and whose
    /// records their team and branch reach. One read of three items; each is parsed only when
    /// it matters (this runs on every request). A user the directory does not list works with
    /// the profile of their token's role.
    pub async fn authorize(&self, claimed: Actor) -> Result<Actor, AuthorizeError> {
        let tenant = &claimed.tenant;
        let keys = [keys::user(tenant, &claimed.user), keys::access_policy(tenant), keys::organisation(tenant)];
        let mut found = self.store.get_many(&keys).await?.into_iter();
        let (user, policy, organisation) = (found.next().flatten(), found.next().flatten(), found.next().flatten());
        let user = user.map(|item| records::read::<User>(&item)).transpose()?;
        if user.as_ref().is_some_and(|u| !u.active) {
            return Err(AuthorizeError::Deactivated);
        }
        let mut actor = match (user.and_then(|u| u.profile), policy) {
            // Profiles never edited and none named: the seeded one of the token's role, which
            // the actor falls back to by itself.
            (None, None) => claimed,
            (named, policy) => {
                let policy: AccessPolicy = policy.map(|item| records::read(&item)).transpose()?.unwrap_or_default();
                let claimed = Actor { log_retention_days: policy.log_retention_days, ..claimed };
                match named {
                    Some(named) => match policy.profiles.into_iter().find(|p| p.id == named) {
                        Some(profile) => Actor { role: profile.level, profile: Some(Arc::new(profile)), ..claimed },
                        // Never left so by the use cases (a profile in use is not removed); the
                        // token's role then.
                        None => claimed,
                    },
                    // The profile of the token's role as the tenant edited it: widening the
                    // agents' scope reaches every agent, not only those the directory names a
                    // profile for. The role stays the token's, so a token never gains a level.
                    None => Actor { profile: Some(Arc::new(policy.of_role(claimed.role))), ..claimed },
                }
            }
        };
        if actor.profile().scopes_by_circle() {
            let organisation: Option<Organisation> = organisation.map(|item| records::read(&item)).transpose()?;
            actor.circle = organisation.map(|o| Arc::new(o.circle(&actor.user)));
        }
        Ok(actor)
    }

    /// The tenant's profiles and their version (`0` while the seeded ones were never edited).
    pub async fn access_policy(&self, tenant: &TenantId) -> Result<Versioned<AccessPolicy>, StoreError> {
        Ok(self
            .load::<AccessPolicy>(&keys::access_policy(tenant))
            .await?
            .unwrap_or_else(|| Versioned { value: AccessPolicy::default(), version: 0 }))
    }

    /// `GET /profiles` (who may read the configuration).
    pub async fn list_profiles(&self, actor: &Actor) -> Result<Versioned<AccessPolicy>, GetProfileError> {
        actor.permit(READ_CONFIGURATION)?;
        Ok(self.access_policy(&actor.tenant).await?)
    }

    /// `GET /profiles/{id}`, at the version of the tenant's profiles.
    pub async fn get_profile(&self, actor: &Actor, id: &ProfileId) -> Result<Versioned<Profile>, GetProfileError> {
        actor.permit(READ_CONFIGURATION)?;
        let policy = self.access_policy(&actor.tenant).await?;
        let profile = policy.value.profile(id).cloned().ok_or(GetProfileError::NotFound)?;
        Ok(Versioned { value: profile, version: policy.version })
    }

    /// `PUT /profiles/{id}` (who may change the configuration): creates or replaces a profile,
    /// conditioned on the version of the tenant's profiles when `expected` names one.
    pub async fn save_profile(
        &self,
        actor: &Actor,
        id: ProfileId,
        entry: ProfileEntry,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<Profile>, SaveProfileError> {
        actor.permit(CHANGE_CONFIGURATION)?;
        let profile = entry.validate(id)?;
        self.check_case_types_exist(&actor.tenant, &profile).await?;
        let key = keys::access_policy(&actor.tenant);
        let current = self.access_policy(&actor.tenant).await?;
        let pinned = match expected {
            Some(expected) => expected.pin(Some(current.version)),
            None => current.version,
        };
        if pinned != current.version {
            return Err(SaveProfileError::Stale { expected: Some(pinned) });
        }
        let mut policy = current.value;
        match policy.profiles.iter_mut().find(|p| p.id == profile.id) {
            Some(existing) => *existing = profile.clone(),
            None => policy.profiles.push(profile.clone()),
        }
        let next = current.version + 1;
        let item = Item::new(key, POLICY_ENTITY, next, records::body(&policy)?);
        let stored = Some(current.version).filter(|v| *v > 0);
        let condition = Condition::version_or_new(conditions::ACCESS_POLICY, stored);
        let record = Some(RecordRef::new("profile", &profile.id));
        let logged = self.access_op(actor, AccessAction::ProfileChanged, record)?;
        match self.store.write(vec![WriteOp::Put { item, condition }, logged]).await {
            Ok(()) => Ok(Versioned { value: profile, version: next }),
            Err(StoreError::ConditionFailed { name: conditions::ACCESS_POLICY }) => {
                Err(SaveProfileError::Stale { expected: Some(pinned) })
            }
            Err(e) => Err(e.into()),
        }
    }
}
