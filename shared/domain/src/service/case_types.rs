//! Case type use cases. Definitions are versioned: every save writes an immutable
//! `V#{version}` item and moves the `#CURRENT` item, atomically.

use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::ExpectedVersion;
use crate::access::{Module, Operation, Permission};
use crate::actor::{Actor, Forbidden};
use crate::case_type::CaseType;
use crate::case_type::Effect;
use crate::ids::{CaseTypeKey, TenantId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::records;
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
pub enum DefineCaseTypeError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("a case type with this key exists")]
    Exists,
    #[error("no such case type")]
    NotFound,
    #[error("the case type changed since version {expected}")]
    Stale { expected: u64 },
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
    /// Saves a definition as the next version after `expected` (`None`: a new type at version
    /// 1). The version in `definition` is ignored and replaced. A concurrent save loses with
    /// `Conflict`.
    pub async fn save_case_type(
        &self,
        tenant: &TenantId,
        mut definition: CaseType,
        expected: Option<u64>,
    ) -> Result<CaseType, SaveCaseTypeError> {
        let next = expected.map_or(1, |v| v + 1);
        definition.version = u32::try_from(next).map_err(|_| StoreError::InvalidRequest("too many versions".into()))?;
        definition.validate()?;
        let body = records::body(&definition)?;
        let head = Item::new(keys::case_type(tenant, &definition.key), ENTITY, next, body.clone())
            .with_index(Index::Gsi1, keys::case_types_listing(tenant, &definition.key));
        let snapshot =
            Item::new(keys::case_type_version(tenant, &definition.key, definition.version), VERSION_ENTITY, 1, body);
        let head_condition = Condition::version_or_new(conditions::CASE_TYPE, expected);
        let ops = vec![
            WriteOp::Put { item: head, condition: head_condition },
            WriteOp::Put { item: snapshot, condition: Condition::not_exists(conditions::CASE_TYPE_SNAPSHOT) },
        ];
        match self.store.write(ops).await {
            Ok(()) => Ok(definition),
            Err(StoreError::ConditionFailed { .. }) => Err(SaveCaseTypeError::Conflict),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks what a definition cannot check alone: that its follow-ups name existing types
    /// and its pools existing teams.
    async fn check_references(&self, tenant: &TenantId, definition: &CaseType) -> Result<(), DefineCaseTypeError> {
        let mut errors = self.unknown_pool_teams(tenant, &definition.pools()).await?;
        for (i, action) in definition.actions.iter().enumerate() {
            for (j, result) in action.results.iter().enumerate() {
                for (k, effect) in result.effects.iter().enumerate() {
                    if let Effect::FollowUp { case_type, .. } = effect
                        && case_type != &definition.key
                        && self.store.get(&keys::case_type(tenant, case_type)).await?.is_none()
                    {
                        errors.add(
                            format!("actions[{i}].results[{j}].effects[{k}].caseType"),
                            msg::no_case_type(case_type),
                        );
                    }
                }
            }
        }
        Ok(errors.finish()?)
    }

    /// `POST /case-types` (admins): a new case type at version 1.
    pub async fn create_case_type(&self, actor: &Actor, definition: CaseType) -> Result<CaseType, DefineCaseTypeError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        definition.validate()?;
        self.check_references(&actor.tenant, &definition).await?;
        self.save_case_type(&actor.tenant, definition, None).await.map_err(|e| match e {
            SaveCaseTypeError::Invalid(v) => DefineCaseTypeError::Invalid(v),
            SaveCaseTypeError::Conflict => DefineCaseTypeError::Exists,
            SaveCaseTypeError::Store(s) => DefineCaseTypeError::Store(s),
        })
    }

    /// `PUT /case-types/{key}` (admins): the next version. Open cases keep theirs.
    pub async fn update_case_type(
        &self,
        actor: &Actor,
        key: &CaseTypeKey,
        expected: ExpectedVersion,
        definition: CaseType,
    ) -> Result<CaseType, DefineCaseTypeError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        if &definition.key != key {
            return Err(ValidationErrors::single("key", msg::must_match_path(key)).into());
        }
        definition.validate()?;
        self.check_references(&actor.tenant, &definition).await?;
        let current =
            self.store.get(&keys::case_type(&actor.tenant, key)).await?.ok_or(DefineCaseTypeError::NotFound)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| DefineCaseTypeError::Stale { expected: expected.named() })?;
        self.save_case_type(&actor.tenant, definition, Some(expected)).await.map_err(|e| match e {
            SaveCaseTypeError::Invalid(v) => DefineCaseTypeError::Invalid(v),
            SaveCaseTypeError::Conflict => DefineCaseTypeError::Stale { expected },
            SaveCaseTypeError::Store(s) => DefineCaseTypeError::Store(s),
        })
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
