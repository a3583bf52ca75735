//! Case type use cases. Definitions are versioned: every save writes an immutable
//! `V#{version}` item and moves the `#CURRENT` item, atomically.

use super::{ListError, PageRequest, Services, list_page};
use crate::actor::Actor;
use crate::case_type::CaseType;
use crate::ids::{CaseTypeKey, TenantId};
use crate::keys;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const ENTITY: &str = "CaseType";
pub const VERSION_ENTITY: &str = "CaseTypeVersion";

#[derive(Debug, thiserror::Error)]
pub enum SaveCaseTypeError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the case type changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetCaseTypeError {
    #[error("no such case type")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Services {
    /// Saves a definition as the next version of its key (version 1 if new). The version in
    /// `definition` is ignored and replaced.
    pub async fn save_case_type(
        &self,
        tenant: &TenantId,
        mut definition: CaseType,
    ) -> Result<CaseType, SaveCaseTypeError> {
        let current: Option<Versioned<CaseType>> = self.load(&keys::case_type(tenant, &definition.key)).await?;
        let next = current.as_ref().map_or(1, |c| c.version + 1);
        definition.version = u32::try_from(next).map_err(|_| StoreError::InvalidRequest("too many versions".into()))?;
        definition.validate()?;
        let body = Item::body_of(&definition)?;
        let head =
            Item::new(keys::case_type(tenant, &definition.key), ENTITY, u64::from(definition.version), body.clone())
                .with_index(Index::Gsi1, keys::case_types_listing(tenant, &definition.key));
        let snapshot =
            Item::new(keys::case_type_version(tenant, &definition.key, definition.version), VERSION_ENTITY, 1, body);
        let head_condition = current.as_ref().map_or(Condition::NotExists, |c| Condition::VersionIs(c.version));
        let ops = vec![
            WriteOp::Put { item: head, condition: head_condition },
            WriteOp::Put { item: snapshot, condition: Condition::NotExists },
        ];
        match self.store.write(ops).await {
            Ok(()) => Ok(definition),
            Err(StoreError::ConditionFailed { .. }) => Err(SaveCaseTypeError::Conflict),
            Err(e) => Err(e.into()),
        }
    }

    /// The current definition of a case type.
    pub async fn get_case_type(&self, actor: &Actor, key: &CaseTypeKey) -> Result<CaseType, GetCaseTypeError> {
        let found: Option<Versioned<CaseType>> = self.load(&keys::case_type(&actor.tenant, key)).await?;
        found.map(with_definition_version).ok_or(GetCaseTypeError::NotFound)
    }

    /// The tenant's case types by key, each in its current version.
    pub async fn list_case_types(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> Result<Page<Versioned<CaseType>>, ListError> {
        let query = Query::index(Index::Gsi1, keys::case_types_listing_partition(&actor.tenant));
        let mut page = list_page(self.store.as_ref(), query, page, |_: &CaseType| true).await?;
        for entry in &mut page.items {
            entry.value.version = u32::try_from(entry.version).unwrap_or(u32::MAX);
        }
        Ok(page)
    }
}

/// A loaded `#CURRENT` item as a definition: its item version is the definition version.
pub(crate) fn with_definition_version(loaded: Versioned<CaseType>) -> CaseType {
    let mut case_type = loaded.value;
    case_type.version = u32::try_from(loaded.version).unwrap_or(u32::MAX);
    case_type
}
