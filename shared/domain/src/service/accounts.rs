//! Account use cases.

use super::search::index_changes;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::ExpectedVersion;
use crate::access::{Module, Operation, Permission};
use crate::account::{Account, AccountFields, AccountPatch, NewAccount};
use crate::actor::Redacted;
use crate::actor::{Actor, Forbidden};
use crate::ids::EntityId;
use crate::keys;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::records;
use crate::search::SearchKind;
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const ENTITY: &str = "Account";

#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetAccountError {
    #[error("no such account")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateAccountError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such account")]
    NotFound,
    #[error("the account changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the account is archived")]
    Archived,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveAccountError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such account")]
    NotFound,
    #[error("the account changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the account is already archived")]
    AlreadyArchived,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `GET /accounts` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    /// Words the account is found by (name, tax id, e-mail, phone), each the start of a
    /// word, without case or accents.
    pub words: Option<String>,
    pub include_archived: bool,
}

pub(super) fn account_item(actor: &Actor, account: &Account, version: u64) -> Result<Item, StoreError> {
    Ok(Item::new(keys::account(&actor.tenant, account.id), ENTITY, version, records::body(account)?)
        .with_index(Index::Gsi1, keys::accounts_by_name(&actor.tenant, &account.name, account.id)))
}

impl Services {
    pub async fn create_account(
        &self,
        actor: &Actor,
        input: NewAccount,
    ) -> Result<Versioned<Account>, CreateAccountError> {
        actor.permit_fields(Module::Accounts, &input)?;
        let fields = AccountFields::validate(&input)?;
        let now = self.clock.now();
        let account = Account::create(self.new_id(), fields, &actor.user, now);
        let mut ops = vec![WriteOp::Put {
            item: account_item(actor, &account, 1)?,
            condition: Condition::not_exists(conditions::ACCOUNT),
        }];
        ops.extend(index_changes(&actor.tenant, None::<&Account>, &account)?);
        self.store.write(ops).await?;
        Ok(Versioned { value: account, version: 1 }.redacted(actor))
    }

    pub async fn get_account(&self, actor: &Actor, id: EntityId) -> Result<Versioned<Account>, GetAccountError> {
        Ok(self.load(&keys::account(&actor.tenant, id)).await?.ok_or(GetAccountError::NotFound)?.redacted(actor))
    }

    pub async fn update_account(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        patch: AccountPatch,
    ) -> Result<Versioned<Account>, UpdateAccountError> {
        actor.permit_fields(Module::Accounts, &patch)?;
        let current: Versioned<Account> =
            self.load(&keys::account(&actor.tenant, id)).await?.ok_or(UpdateAccountError::NotFound)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| UpdateAccountError::Stale { expected: expected.named() })?;
        if current.value.archived {
            return Err(UpdateAccountError::Archived);
        }
        let fields = AccountFields::of(&current.value).patched(&patch)?;
        if fields == AccountFields::of(&current.value) {
            return Ok(current.redacted(actor));
        }
        let mut account = current.value.clone();
        account.apply(fields);
        account.updated_at = self.clock.now();
        account.updated_by = actor.user.clone();
        let item = account_item(actor, &account, expected + 1)?;
        let mut ops = vec![WriteOp::Put { item, condition: Condition::version_is(conditions::ACCOUNT, expected) }];
        ops.extend(index_changes(&actor.tenant, Some(&current.value), &account)?);
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: account, version: expected + 1 }.redacted(actor)),
            Err(StoreError::ConditionFailed { .. }) => Err(UpdateAccountError::Stale { expected }),
            Err(e) => Err(e.into()),
        }
    }

    /// Archives an account (admin only). Archived accounts leave the default list and cannot
    /// be linked to new contacts or cases; nothing is deleted.
    pub async fn archive_account(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<(), ArchiveAccountError> {
        actor.permit(Permission::new(Module::Accounts, Operation::Archive))?;
        let current: Versioned<Account> =
            self.load(&keys::account(&actor.tenant, id)).await?.ok_or(ArchiveAccountError::NotFound)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| ArchiveAccountError::Stale { expected: expected.named() })?;
        if current.value.archived {
            return Err(ArchiveAccountError::AlreadyArchived);
        }
        let mut account = current.value;
        account.archived = true;
        account.updated_at = self.clock.now();
        account.updated_by = actor.user.clone();
        let item = account_item(actor, &account, expected + 1)?;
        match self
            .store
            .write(vec![WriteOp::Put { item, condition: Condition::version_is(conditions::ACCOUNT, expected) }])
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(ArchiveAccountError::Stale { expected }),
            Err(e) => Err(e.into()),
        }
    }

    /// The names of these accounts, read in batches; an id with no account is left out.
    pub async fn account_names(
        &self,
        actor: &Actor,
        ids: impl IntoIterator<Item = EntityId>,
    ) -> Result<std::collections::HashMap<EntityId, String>, StoreError> {
        let distinct: std::collections::BTreeSet<EntityId> = ids.into_iter().collect();
        let keys: Vec<_> = distinct.iter().map(|id| keys::account(&actor.tenant, *id)).collect();
        let mut names = std::collections::HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(crate::ports::MAX_READ_KEYS) {
            for item in self.store.get_many(chunk).await?.into_iter().flatten() {
                let account: Account = records::read(&item)?;
                names.insert(account.id, account.name);
            }
        }
        Ok(names)
    }

    pub async fn list_accounts(
        &self,
        actor: &Actor,
        filter: &AccountFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Account>>, ListError> {
        let include_archived = filter.include_archived;
        let keep = |a: &Account| include_archived || !a.archived;
        if let Some(words) = filter.words.as_deref().filter(|w| !w.trim().is_empty()) {
            return self
                .search_records(actor, words, SearchKind::Account, keys::account, keep, page)
                .await
                .redacted(actor);
        }
        let query = Query::index(Index::Gsi1, keys::accounts_listing(&actor.tenant));
        list_page(self.store.as_ref(), query, page, keep).await.redacted(actor)
    }
}
