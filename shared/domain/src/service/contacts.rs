//! Contact use cases. A normalised e-mail address belongs to at most one contact per tenant,
//! enforced by a uniqueness item written in the same transaction as the contact.

use crate::ExpectedVersion;
use crate::access::{Module, Operation, Permission};
use crate::actor::Redacted;
use serde::{Deserialize, Serialize};

use super::search::index_changes;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::account::Account;
use crate::actor::{Actor, Forbidden};
use crate::contact::{Contact, ContactFields, ContactPatch, NewContact};
use crate::ids::EntityId;
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::records;
use crate::search::SearchKind;
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const ENTITY: &str = "Contact";
pub const EMAIL_CLAIM_ENTITY: &str = "ContactEmail";

/// The body of a contact e-mail uniqueness item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EmailClaim {
    pub(crate) contact_id: EntityId,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateContactError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("another contact already has this e-mail address")]
    EmailTaken { existing: Option<EntityId> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetContactError {
    #[error("no such contact")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateContactError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such contact")]
    NotFound,
    #[error("the contact changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the contact is archived")]
    Archived,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("another contact already has this e-mail address")]
    EmailTaken { existing: Option<EntityId> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveContactError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such contact")]
    NotFound,
    #[error("the contact changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the contact is already archived")]
    AlreadyArchived,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `GET /contacts` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    pub account_id: Option<EntityId>,
    /// Exact e-mail (normalised before lookup).
    pub email: Option<String>,
    /// Words the contact is found by (name, e-mail, phone), each the start of a word, without
    /// case or accents.
    pub words: Option<String>,
    pub include_archived: bool,
}

pub(super) fn contact_item(actor: &Actor, contact: &Contact, version: u64) -> Result<Item, StoreError> {
    let tenant = &actor.tenant;
    let last = contact.last_name.as_deref().unwrap_or_default();
    let mut item = Item::new(keys::contact(tenant, contact.id), ENTITY, version, records::body(contact)?)
        .with_index(Index::Gsi1, keys::contacts_by_name(tenant, last, &contact.first_name, contact.id));
    if let Some(account) = contact.account_id {
        item = item.with_index(Index::Gsi2, keys::contacts_of_account(tenant, account, contact.id));
    }
    Ok(item)
}

/// The e-mail uniqueness claim of a contact, as a conditional put.
pub(super) fn email_claim_op(actor: &Actor, email: &str, contact: EntityId) -> Result<WriteOp, StoreError> {
    Ok(WriteOp::Put {
        item: email_claim(actor, email, contact)?,
        condition: Condition::not_exists(conditions::CONTACT_EMAIL),
    })
}

fn email_claim(actor: &Actor, email: &str, contact: EntityId) -> Result<Item, StoreError> {
    let body = records::body(&EmailClaim { contact_id: contact })?;
    Ok(Item::new(keys::contact_email(&actor.tenant, email), EMAIL_CLAIM_ENTITY, 1, body))
}

impl Services {
    /// Checks that a referenced account exists in the caller's tenant and is not archived.
    pub(super) async fn check_account_ref(
        &self,
        actor: &Actor,
        id: EntityId,
        field: &str,
    ) -> Result<(), CheckRefError> {
        match self.load::<Account>(&keys::account(&actor.tenant, id)).await? {
            Some(a) if !a.value.archived => Ok(()),
            Some(_) => Err(ValidationErrors::single(field, msg::account_archived()).into()),
            None => Err(ValidationErrors::single(field, msg::no_such_account()).into()),
        }
    }

    pub(super) async fn email_owner(&self, actor: &Actor, email: &str) -> Result<Option<EntityId>, StoreError> {
        let claim = self.store.get(&keys::contact_email(&actor.tenant, email)).await?;
        claim.map(|item| records::read::<EmailClaim>(&item).map(|c| c.contact_id)).transpose()
    }

    pub async fn create_contact(
        &self,
        actor: &Actor,
        input: NewContact,
    ) -> Result<Versioned<Contact>, CreateContactError> {
        actor.permit_fields(Module::Contacts, &input)?;
        let fields = ContactFields::validate(&input)?;
        if let Some(account) = fields.account_id {
            self.check_account_ref(actor, account, "accountId").await.map_err(|e| match e {
                CheckRefError::Invalid(v) => CreateContactError::Invalid(v),
                CheckRefError::Store(s) => CreateContactError::Store(s),
            })?;
        }
        let now = self.clock.now();
        let mut contact = Contact {
            id: self.new_id(),
            first_name: String::new(),
            last_name: None,
            email: None,
            phone: None,
            title: None,
            account_id: None,
            locale: None,
            archived: false,
            created_at: now,
            created_by: actor.user.clone(),
            updated_at: now,
            updated_by: actor.user.clone(),
        };
        contact.apply(fields);
        let mut ops = vec![WriteOp::Put {
            item: contact_item(actor, &contact, 1)?,
            condition: Condition::not_exists(conditions::CONTACT),
        }];
        if let Some(email) = &contact.email {
            ops.push(email_claim_op(actor, email, contact.id)?);
        }
        ops.extend(index_changes(&actor.tenant, None::<&Contact>, &contact)?);
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: contact, version: 1 }.redacted(actor)),
            Err(StoreError::ConditionFailed { name: conditions::CONTACT_EMAIL }) => {
                let email = contact.email.as_deref().unwrap_or_default();
                Err(CreateContactError::EmailTaken { existing: self.email_owner(actor, email).await? })
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_contact(&self, actor: &Actor, id: EntityId) -> Result<Versioned<Contact>, GetContactError> {
        Ok(self.load(&keys::contact(&actor.tenant, id)).await?.ok_or(GetContactError::NotFound)?.redacted(actor))
    }

    pub async fn update_contact(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        patch: ContactPatch,
    ) -> Result<Versioned<Contact>, UpdateContactError> {
        actor.permit_fields(Module::Contacts, &patch)?;
        let current: Versioned<Contact> =
            self.load(&keys::contact(&actor.tenant, id)).await?.ok_or(UpdateContactError::NotFound)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| UpdateContactError::Stale { expected: expected.named() })?;
        if current.value.archived {
            return Err(UpdateContactError::Archived);
        }
        let before = ContactFields::of(&current.value);
        let fields = before.patched(&patch)?;
        if fields == before {
            return Ok(current.redacted(actor));
        }
        if let Some(account) = fields.account_id.filter(|a| Some(*a) != before.account_id) {
            self.check_account_ref(actor, account, "accountId").await.map_err(|e| match e {
                CheckRefError::Invalid(v) => UpdateContactError::Invalid(v),
                CheckRefError::Store(s) => UpdateContactError::Store(s),
            })?;
        }
        let mut contact = current.value.clone();
        contact.apply(fields);
        contact.updated_at = self.clock.now();
        contact.updated_by = actor.user.clone();
        let mut ops = vec![WriteOp::Put {
            item: contact_item(actor, &contact, expected + 1)?,
            condition: Condition::version_is(conditions::CONTACT, expected),
        }];
        ops.extend(index_changes(&actor.tenant, Some(&current.value), &contact)?);
        let email_changed = contact.email != before.email;
        if email_changed {
            if let Some(email) = &contact.email {
                ops.push(email_claim_op(actor, email, contact.id)?);
            }
            if let Some(old) = &before.email {
                ops.push(WriteOp::Delete {
                    key: keys::contact_email(&actor.tenant, old),
                    condition: Condition::ALWAYS,
                });
            }
        }
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: contact, version: expected + 1 }.redacted(actor)),
            Err(StoreError::ConditionFailed { name: conditions::CONTACT }) => {
                Err(UpdateContactError::Stale { expected })
            }
            Err(StoreError::ConditionFailed { name: conditions::CONTACT_EMAIL }) => {
                let email = contact.email.as_deref().unwrap_or_default();
                Err(UpdateContactError::EmailTaken { existing: self.email_owner(actor, email).await? })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Archives a contact (admin only) and frees its e-mail address for a new contact.
    pub async fn archive_contact(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<(), ArchiveContactError> {
        actor.permit(Permission::new(Module::Contacts, Operation::Archive))?;
        let current: Versioned<Contact> =
            self.load(&keys::contact(&actor.tenant, id)).await?.ok_or(ArchiveContactError::NotFound)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| ArchiveContactError::Stale { expected: expected.named() })?;
        if current.value.archived {
            return Err(ArchiveContactError::AlreadyArchived);
        }
        let mut contact = current.value;
        contact.archived = true;
        contact.updated_at = self.clock.now();
        contact.updated_by = actor.user.clone();
        let mut ops = vec![WriteOp::Put {
            item: contact_item(actor, &contact, expected + 1)?,
            condition: Condition::version_is(conditions::CONTACT, expected),
        }];
        if let Some(email) = &contact.email {
            ops.push(WriteOp::Delete { key: keys::contact_email(&actor.tenant, email), condition: Condition::ALWAYS });
        }
        match self.store.write(ops).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { name: conditions::CONTACT }) => {
                Err(ArchiveContactError::Stale { expected })
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_contacts(
        &self,
        actor: &Actor,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Contact>>, ListError> {
        self.contacts_page(actor, filter, page).await.redacted(actor)
    }

    async fn contacts_page(
        &self,
        actor: &Actor,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Contact>>, ListError> {
        let include_archived = filter.include_archived;
        if let Some(email) = &filter.email {
            // Asking by an address one may not see would tell whether a contact has it.
            if actor.field_access(Module::Contacts, "email") == crate::access::FieldAccess::Hidden {
                return Err(ValidationErrors::single("email", msg::field_hidden()).into());
            }
            // An exact e-mail names at most one contact: read its uniqueness item.
            let mut errors = ValidationErrors::new();
            let Some(email) = errors.email("email", email) else { return Err(errors.into()) };
            let found = match self.email_owner(actor, &email).await? {
                Some(id) => self.load::<Contact>(&keys::contact(&actor.tenant, id)).await?,
                None => None,
            };
            let items = found
                .into_iter()
                .filter(|c| filter.account_id.is_none() || c.value.account_id == filter.account_id)
                .collect();
            return Ok(Page { items, next_cursor: None });
        }
        let account = filter.account_id;
        let keep = |c: &Contact| (include_archived || !c.archived) && account.is_none_or(|a| c.account_id == Some(a));
        if let Some(words) = filter.words.as_deref().filter(|w| !w.trim().is_empty()) {
            return self.search_records(actor, words, SearchKind::Contact, keys::contact, keep, page).await;
        }
        let query = match account {
            Some(account) => Query::index(Index::Gsi2, keys::contacts_of_account_partition(&actor.tenant, account)),
            None => Query::index(Index::Gsi1, keys::contacts_listing(&actor.tenant)),
        };
        list_page(self.store.as_ref(), query, page, keep).await
    }
}

/// A referenced record is missing or unusable (reported as a field error) or the store failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckRefError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}
