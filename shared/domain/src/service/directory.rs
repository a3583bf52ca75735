//! The tenant's staff directory, marketing opt-outs, and effect claims — what a worker needs to
//! deliver an effect once, to the right person, in their language.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::access::{Module, Operation, Permission, profile_id_of_role};
use crate::access_log::{AccessAction, RecordRef};
use crate::actor::{Actor, Forbidden};
use crate::ids::{TenantId, UserId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, IdentityError, Index, Invitation, Item, Query, StoreError, WriteOp};
use crate::records;
use crate::user::{User, UserEntry};
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Page, Versioned};

#[derive(Debug, thiserror::Error)]
pub enum SaveUserError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("the directory entry changed since version {0}")]
    Stale(u64),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The sign-in provider could not let the user in or stop them: nothing changed.
    #[error("the identity provider is unavailable: {0}")]
    SignInUnavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum InviteUserError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// Someone in the directory has this address already.
    #[error("{existing} has this e-mail address already")]
    AlreadyListed { existing: UserId },
    /// The sign-in provider failed or could not be reached: nothing was written; inviting
    /// again finds what it made.
    #[error("the identity provider is unavailable: {0}")]
    SignInUnavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub const USER_ENTITY: &str = "User";
pub const OPT_OUT_ENTITY: &str = "OptOut";
pub const CLAIM_ENTITY: &str = "EffectClaim";
/// Claims outlive any redelivery (SQS keeps messages 14 days at most).
const CLAIM_RETENTION_SECONDS: i64 = 30 * 24 * 3600;

/// An address that asked for no more marketing e-mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OptOut {
    pub(crate) email: String,
    pub(crate) at: jiff::Timestamp,
}

/// The state of an effect's claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This worker holds the effect until the lease ends; complete it with this version.
    Acquired { version: u64 },
    /// Done before: acknowledge without acting.
    Completed,
    /// Another worker holds an unexpired lease: try again later.
    Busy,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClaimRecord {
    status: String,
    /// Epoch seconds when an in-progress lease lapses.
    lease_until: i64,
    #[serde(default)]
    outcome: Value,
}

/// The write of a directory entry at `version`, on the one stored at `stored` (`None`: none).
fn user_op(tenant: &TenantId, user: &User, version: u64, stored: Option<u64>) -> Result<WriteOp, StoreError> {
    let item = Item::new(keys::user(tenant, &user.id), USER_ENTITY, version, records::body(user)?)
        .with_index(Index::Gsi1, keys::users_listing(tenant, &user.id));
    Ok(WriteOp::Put { item, condition: Condition::version_or_new(conditions::USER, stored) })
}

impl Services {
    pub async fn user(&self, tenant: &TenantId, id: &UserId) -> Result<Option<User>, StoreError> {
        Ok(self.versioned_user(tenant, id).await?.map(|v| v.value))
    }

    /// A directory entry and its version (`ETag`).
    pub async fn versioned_user(&self, tenant: &TenantId, id: &UserId) -> Result<Option<Versioned<User>>, StoreError> {
        self.load::<User>(&keys::user(tenant, id)).await
    }

    /// Creates or replaces a directory entry, over whatever version is stored (seeds, tools).
    pub async fn put_user(&self, tenant: &TenantId, user: &User) -> Result<(), StoreError> {
        let stored = self.store.get(&keys::user(tenant, &user.id)).await?.map(|item| item.version);
        self.store.write(vec![user_op(tenant, user, stored.map_or(1, |v| v + 1), stored)?]).await
    }

    /// `POST /users` (admins): invites someone. Their sign-in is made (on AWS: a Cognito user
    /// in the company, in the group of their profile's level, sent an invitation e-mail) and
    /// then their directory entry under its subject. A retry after a failure finds the sign-in
    /// the first attempt made, so inviting twice never makes two.
    pub async fn invite_user(&self, actor: &Actor, entry: UserEntry) -> Result<Versioned<User>, InviteUserError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let pending = UserId::parse("pending").expect("a valid id");
        let invited = entry.validate(pending)?;
        let policy = self.access_policy(&actor.tenant).await?.value;
        let level = match &invited.profile {
            Some(id) => match policy.profile(id) {
                Some(profile) => profile.level,
                None => return Err(ValidationErrors::single("profile", msg::no_such_profile(id.as_str())).into()),
            },
            None => crate::access::Role::Agent,
        };
        if let Some(existing) = self.user_with_email(&actor.tenant, &invited.email).await? {
            return Err(InviteUserError::AlreadyListed { existing });
        }
        let invitation = Invitation {
            email: invited.email.clone(),
            name: invited.name.clone(),
            locale: invited.locale.clone(),
            role: level,
        };
        let id = match self.identity.invite(&actor.tenant, &invitation).await {
            Ok(id) => id,
            Err(IdentityError::Refused(reason)) => {
                tracing::warn!(%reason, "the identity provider refused an invitation");
                return Err(ValidationErrors::single("email", msg::cannot_invite()).into());
            }
            Err(IdentityError::Unavailable(reason)) => return Err(InviteUserError::SignInUnavailable(reason)),
        };
        let user = User { id, active: true, ..invited };
        let record = Some(RecordRef::new("user", &user.id));
        let logged = self.access_op(actor, AccessAction::UserChanged, record)?;
        match self.store.write(vec![user_op(&actor.tenant, &user, 1, None)?, logged]).await {
            Ok(()) => Ok(Versioned { value: user, version: 1 }),
            // The same sign-in listed meanwhile (an invitation sent twice at once).
            Err(StoreError::ConditionFailed { name: conditions::USER }) => {
                Err(InviteUserError::AlreadyListed { existing: user.id })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The directory entry with this address, if any (a company's directory is read whole: it
    /// lists its staff, tens or hundreds).
    async fn user_with_email(&self, tenant: &TenantId, email: &str) -> Result<Option<UserId>, StoreError> {
        let mut query = Query::index(Index::Gsi1, keys::users_listing_partition(tenant)).limit(100);
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let user: User = records::read(item)?;
                if user.email.eq_ignore_ascii_case(email) {
                    return Ok(Some(user.id));
                }
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(None),
            }
        }
    }

    /// `PUT /users/{id}` (admins): a staff member's name, e-mail, language, profile and whether
    /// they are active, over the version `expected` names (the one read when absent, so two
    /// admins saving at once never silently overwrite each other).
    pub async fn save_user(
        &self,
        actor: &Actor,
        id: UserId,
        entry: UserEntry,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<User>, SaveUserError> {
        let administer = Permission::new(Module::Configuration, Operation::Update);
        actor.permit(administer)?;
        let user = entry.validate(id)?;
        let policy = self.access_policy(&actor.tenant).await?.value;
        let mut errors = ValidationErrors::new();
        let profile = user.profile.as_ref().map(|id| (id, policy.profile(id)));
        if let Some((id, None)) = profile {
            errors.add("profile", msg::no_such_profile(id.as_str()));
        }
        // An administrator who could deactivate or demote themselves could leave the company
        // with nobody to administer it: another administrator must.
        if user.id == actor.user {
            if !user.active {
                errors.add("active", msg::cannot_deactivate_yourself());
            }
            let keeps = match profile {
                Some((_, found)) => found.is_none_or(|p| p.allows(administer)),
                // Back to the token role's profile: kept only by who works with it already
                // (a named profile's level may be above the token's role).
                None => actor.profile().id.as_str() == profile_id_of_role(actor.role),
            };
            if !keeps {
                errors.add("profile", msg::cannot_demote_yourself());
            }
        }
        errors.finish()?;
        let stored = self.versioned_user(&actor.tenant, &user.id).await?;
        let was_active = stored.as_ref().map(|entry| entry.value.active);
        let stored = stored.map(|entry| entry.version);
        let on = match &expected {
            // `"0"`: the entry must not exist yet.
            Some(expected) => match stored {
                Some(current) => Some(expected.admit(current).ok_or(SaveUserError::Stale(expected.named()))?),
                None if expected.admit(0).is_some() => None,
                None => return Err(SaveUserError::Stale(expected.named())),
            },
            None => stored,
        };
        let version = on.map_or(1, |v| v + 1);
        // The sign-in first: a user deactivated here is stopped there before the directory
        // says so (if the directory's write then fails, they are locked out, never let in).
        if was_active.is_some_and(|active| active != user.active) {
            match self.identity.set_enabled(&actor.tenant, &user.id, user.active).await {
                Ok(()) => {}
                Err(IdentityError::Refused(reason) | IdentityError::Unavailable(reason)) => {
                    return Err(SaveUserError::SignInUnavailable(reason));
                }
            }
        }
        let record = Some(RecordRef::new("user", &user.id));
        let logged = self.access_op(actor, AccessAction::UserChanged, record)?;
        match self.store.write(vec![user_op(&actor.tenant, &user, version, on)?, logged]).await {
            Ok(()) => Ok(Versioned { value: user, version }),
            Err(StoreError::ConditionFailed { name: conditions::USER }) => {
                Err(SaveUserError::Stale(on.unwrap_or_default()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The tenant's staff directory, by user id.
    pub async fn list_users(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Versioned<User>>, ListError> {
        let query = Query::index(Index::Gsi1, keys::users_listing_partition(&actor.tenant));
        list_page(self.store.as_ref(), query, page, |_: &User| true).await
    }

    /// `POST /opt-outs`: stop marketing e-mail to an address (any staff member, on request).
    pub async fn record_opt_out(&self, actor: &Actor, email: &str) -> Result<(), SaveUserError> {
        let mut errors = ValidationErrors::new();
        let email = errors.email("email", email);
        errors.finish()?;
        self.opt_out(&actor.tenant, &email.unwrap_or_default()).await?;
        Ok(())
    }

    pub async fn opt_out(&self, tenant: &TenantId, email: &str) -> Result<(), StoreError> {
        let body = records::body(&OptOut { email: email.to_owned(), at: self.clock.now() })?;
        let item = Item::new(keys::opt_out(tenant, &email.to_lowercase()), OPT_OUT_ENTITY, 1, body);
        self.store.write(vec![WriteOp::Put { item, condition: Condition::ALWAYS }]).await
    }

    pub async fn is_opted_out(&self, tenant: &TenantId, email: &str) -> Result<bool, StoreError> {
        Ok(self.store.get(&keys::opt_out(tenant, &email.to_lowercase())).await?.is_some())
    }

    /// Claims an effect for `lease_seconds` (a conditional write), so that of two deliveries
    /// of one message only one acts, and a worker that died mid-way is taken over when its
    /// lease lapses.
    pub async fn claim_effect(
        &self,
        tenant: &TenantId,
        effect_id: &str,
        lease_seconds: i64,
    ) -> Result<Claim, StoreError> {
        let key = keys::effect_claim(tenant, effect_id);
        let now = self.clock.now().as_second();
        let record = |version| -> Result<Item, StoreError> {
            let body =
                ClaimRecord { status: "in_progress".into(), lease_until: now + lease_seconds, outcome: Value::Null };
            let mut item = Item::new(key.clone(), CLAIM_ENTITY, version, records::body(&body)?);
            item.ttl = Some(now + CLAIM_RETENTION_SECONDS);
            Ok(item)
        };
        match self.store.put_new(record(1)?, conditions::EFFECT_CLAIM).await {
            Ok(()) => return Ok(Claim::Acquired { version: 1 }),
            Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e),
        }
        let Some(existing) = self.store.get(&key).await? else { return Ok(Claim::Busy) };
        let current: ClaimRecord = records::read(&existing)?;
        if current.status == "completed" {
            return Ok(Claim::Completed);
        }
        if current.lease_until > now {
            return Ok(Claim::Busy);
        }
        let version = existing.version + 1;
        match self
            .store
            .write(vec![WriteOp::Put {
                item: record(version)?,
                condition: Condition::version_is(conditions::EFFECT_CLAIM, existing.version),
            }])
            .await
        {
            Ok(()) => Ok(Claim::Acquired { version }),
            Err(StoreError::ConditionFailed { .. }) => Ok(Claim::Busy),
            Err(e) => Err(e),
        }
    }

    /// Marks a claimed effect done, with what it did.
    pub async fn complete_effect(
        &self,
        tenant: &TenantId,
        effect_id: &str,
        version: u64,
        outcome: Value,
    ) -> Result<(), StoreError> {
        let now = self.clock.now().as_second();
        let body = ClaimRecord { status: "completed".into(), lease_until: now, outcome };
        let mut item =
            Item::new(keys::effect_claim(tenant, effect_id), CLAIM_ENTITY, version + 1, records::body(&body)?);
        item.ttl = Some(now + CLAIM_RETENTION_SECONDS);
        self.store
            .write(vec![WriteOp::Put { item, condition: Condition::version_is(conditions::EFFECT_CLAIM, version) }])
            .await
    }

    /// Gives a claim back after a failure worth retrying, so the next delivery can act at once.
    pub async fn release_effect(&self, tenant: &TenantId, effect_id: &str, version: u64) -> Result<(), StoreError> {
        let key = keys::effect_claim(tenant, effect_id);
        self.store
            .write(vec![WriteOp::Delete { key, condition: Condition::version_is(conditions::EFFECT_CLAIM, version) }])
            .await
    }
}
