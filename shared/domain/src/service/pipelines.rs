//! The tenant's sales pipelines as admins edit them.

use super::{Services, conditions};
use crate::access::{Module, Operation, Permission};
use crate::access_log::{AccessAction, RecordRef};
use crate::actor::{Actor, Forbidden};
use crate::ids::TenantId;
use crate::keys;
use crate::ports::{Condition, Item, StoreError, WriteOp};
use crate::records;
use crate::sales::Pipelines;
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Versioned};

pub const ENTITY: &str = "Pipelines";

#[derive(Debug, thiserror::Error)]
pub enum PipelinesError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the pipelines changed since version {0}")]
    Stale(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Services {
    /// The tenant's pipelines and their version (`0`: never saved, the seeded pipeline).
    pub async fn pipelines_of(&self, tenant: &TenantId) -> Result<Versioned<Pipelines>, StoreError> {
        Ok(self
            .load::<Pipelines>(&keys::pipelines(tenant))
            .await?
            .unwrap_or_else(|| Versioned { value: Pipelines::default(), version: 0 }))
    }

    /// `GET /pipelines`: whoever works opportunities reads them.
    pub async fn pipelines(&self, actor: &Actor) -> Result<Versioned<Pipelines>, PipelinesError> {
        actor.permit(Permission::new(Module::Opportunities, Operation::Read))?;
        Ok(self.pipelines_of(&actor.tenant).await?)
    }

    /// `PUT /pipelines` (who may change the configuration): replaces the pipelines at the
    /// version the caller read (`"0"` before the first save) or, without one, over whatever is
    /// stored. A saved pipeline or stage may be retired but not removed.
    pub async fn save_pipelines(
        &self,
        actor: &Actor,
        entry: Pipelines,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<Pipelines>, PipelinesError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let current = self.pipelines_of(&actor.tenant).await?;
        let version = match expected {
            Some(expected) => expected.admit(current.version).ok_or(PipelinesError::Stale(expected.named()))?,
            None => current.version,
        };
        let pipelines = entry.validate(&current.value)?;
        let item = Item::new(keys::pipelines(&actor.tenant), ENTITY, version + 1, records::body(&pipelines)?);
        // Validated against the version read: a save in between fails the condition.
        let condition = Condition::version_or_new(conditions::PIPELINES, Some(version).filter(|v| *v > 0));
        let record = Some(RecordRef::new("pipelines", &actor.tenant));
        let logged = self.access_op(actor, AccessAction::SettingsChanged, record)?;
        match self.store.write(vec![WriteOp::Put { item, condition }, logged]).await {
            Ok(()) => Ok(Versioned { value: pipelines, version: version + 1 }),
            Err(StoreError::ConditionFailed { name: conditions::PIPELINES }) => Err(PipelinesError::Stale(version)),
            Err(e) => Err(e.into()),
        }
    }
}
