//! The tenant's organisation (teams and branches) as admins edit it.

use super::{Services, conditions};
use crate::access::{Module, Operation, Permission};
use crate::access_log::{AccessAction, RecordRef};
use crate::actor::{Actor, Forbidden};
use crate::ids::TenantId;
use crate::keys;
use crate::messages as msg;
use crate::organisation::Organisation;
use crate::ports::{Condition, Item, MAX_READ_KEYS, StoreError, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Versioned};

pub const ENTITY: &str = "Organisation";

#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// The organisation changed since the version the caller read.
    #[error("the organisation changed since version {0}")]
    Stale(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Services {
    /// The tenant's organisation and its version (`0`: never saved, no teams or branches).
    pub async fn organisation_of(&self, tenant: &TenantId) -> Result<Versioned<Organisation>, StoreError> {
        Ok(self
            .load::<Organisation>(&keys::organisation(tenant))
            .await?
            .unwrap_or_else(|| Versioned { value: Organisation::default(), version: 0 }))
    }

    /// `GET /organisation` (who may read the configuration).
    pub async fn organisation(&self, actor: &Actor) -> Result<Versioned<Organisation>, OrganisationError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Read))?;
        Ok(self.organisation_of(&actor.tenant).await?)
    }

    /// `PUT /organisation` (who may change the configuration): replaces the teams and branches,
    /// at the version the caller read (`If-Match`, `"0"` before the first save) or, without
    /// one, over whatever is stored. Everyone a team names must be a user of the directory.
    pub async fn save_organisation(
        &self,
        actor: &Actor,
        entry: Organisation,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<Organisation>, OrganisationError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let organisation = entry.validate()?;
        self.check_people(&actor.tenant, &organisation).await?;
        let current = self.organisation_of(&actor.tenant).await?;
        let version = match expected {
            Some(expected) => expected.admit(current.version).ok_or(OrganisationError::Stale(expected.named()))?,
            None => current.version,
        };
        let item = Item::new(keys::organisation(&actor.tenant), ENTITY, version + 1, records::body(&organisation)?);
        let condition = Condition::version_or_new(conditions::ORGANISATION, Some(version).filter(|v| *v > 0));
        let record = Some(RecordRef::new("organisation", &actor.tenant));
        let logged = self.access_op(actor, AccessAction::SettingsChanged, record)?;
        match self.store.write(vec![WriteOp::Put { item, condition }, logged]).await {
            Ok(()) => Ok(Versioned { value: organisation, version: version + 1 }),
            Err(StoreError::ConditionFailed { name: conditions::ORGANISATION }) => {
                Err(OrganisationError::Stale(version))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses, by field, the people the organisation names who are not in the directory.
    async fn check_people(&self, tenant: &TenantId, organisation: &Organisation) -> Result<(), OrganisationError> {
        let people = organisation.people();
        let mut errors = ValidationErrors::new();
        for chunk in people.chunks(MAX_READ_KEYS) {
            let keys: Vec<_> = chunk.iter().map(|(_, user)| keys::user(tenant, user)).collect();
            let found = self.store.get_many(&keys).await?;
            for ((field, user), item) in chunk.iter().zip(found) {
                if item.is_none() {
                    errors.add(field.clone(), msg::no_such_user_named(user.as_str()));
                }
            }
        }
        Ok(errors.finish()?)
    }
}
