//! Case use cases: open, read, update, archive, list, history and comments. Every change to a
//! case writes the case and its history event in one atomic write.

use super::assignment::Workload;
use super::case_types::with_definition_version;
use super::change::{ChangeSet, Known, history_put};
use super::contacts::CheckRefError;
use super::search::index_changes;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::ExpectedVersion;
use crate::access::{Module, Operation, Permission};
use crate::actor::Redacted;
use crate::actor::{Actor, Forbidden, Role};
use crate::case::{Case, CaseFields, CasePatch, NewCase};
use crate::case_type::CaseType;
use crate::contact::Contact;
use crate::history::{COMMENT_MAX, Comment, EventKind, HistoryEvent, NewComment};
use crate::ids::{CaseTypeKey, EntityId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;
use crate::webhook::WebhookEventType;
use crate::{Page, Versioned};
use serde_json::Value;

/// The modules whose hidden fields a case's events may tell about: the case's own, and its
/// contact's e-mail (the recipient of customer e-mails).
pub(crate) const CASE_EVENT_MODULES: &[Module] = &[Module::Cases, Module::Contacts];

pub const ENTITY: &str = "Case";
use super::case_recency::recency_item;
pub use super::change::EVENT_ENTITY;
pub const COMMENT_ENTITY: &str = "CaseComment";

#[derive(Debug, thiserror::Error)]
pub enum CreateCaseError {
    /// Naming someone else as the owner is an assignment: a supervisor's decision.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`Services::create_case_once`] did.
#[derive(Debug, Clone)]
pub struct CreatedCase {
    pub case: Versioned<Case>,
    /// The form had been submitted before: this is the case that submission opened.
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum GetCaseError {
    #[error("no such case")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateCaseError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such case")]
    NotFound,
    #[error("the case changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the case is archived")]
    Archived,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveCaseError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such case")]
    NotFound,
    #[error("the case changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the case is already archived")]
    AlreadyArchived,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CaseHistoryError {
    #[error("no such case")]
    NotFound,
    #[error(transparent)]
    List(#[from] ListError),
}

#[derive(Debug, thiserror::Error)]
pub enum AddCommentError {
    #[error("no such case")]
    NotFound,
    #[error("the case is archived")]
    Archived,
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes `case` at `version` under `condition`, with its place in the "last changed" order
/// (which follows whatever the case write does, so it carries no condition of its own).
pub(crate) fn case_writes(
    actor: &Actor,
    case: &Case,
    version: u64,
    condition: Condition,
) -> Result<[WriteOp; 2], StoreError> {
    Ok([
        WriteOp::Put { item: case_item(actor, case, version)?, condition },
        WriteOp::Put { item: recency_item(&actor.tenant, case, version)?, condition: Condition::ALWAYS },
    ])
}

/// The case item with its index entries: every case is in the (active or archived) listing;
/// active cases are also listed under their owner and their account.
fn case_item(actor: &Actor, case: &Case, version: u64) -> Result<Item, StoreError> {
    let tenant = &actor.tenant;
    let mut item = Item::new(keys::case(tenant, case.id), ENTITY, version, records::body(case)?)
        .with_index(Index::Gsi1, keys::cases_listing(tenant, case.archived, case.id));
    if !case.archived {
        if let Some(owner) = &case.owner {
            item = item.with_index(Index::Gsi2, keys::cases_of_owner(tenant, owner, case.id));
        }
        if let Some(account) = case.account_id {
            item = item.with_index(Index::Gsi3, keys::cases_of_account(tenant, account, case.id));
        }
    }
    Ok(item)
}

impl Services {
    /// Checks the account and contact a case refers to, and that they agree with each other.
    pub(super) async fn check_case_refs(&self, actor: &Actor, fields: &CaseFields) -> Result<(), CheckRefError> {
        if let Some(account) = fields.account_id {
            self.check_account_ref(actor, account, "accountId").await?;
        }
        if let Some(contact_id) = fields.contact_id {
            let contact = self.load::<Contact>(&keys::contact(&actor.tenant, contact_id)).await?;
            match contact {
                None => return Err(ValidationErrors::single("contactId", msg::no_such_contact()).into()),
                Some(c) if c.value.archived => {
                    return Err(ValidationErrors::single("contactId", msg::contact_archived()).into());
                }
                Some(c) => {
                    if let (Some(account), Some(contact_account)) = (fields.account_id, c.value.account_id)
                        && account != contact_account
                    {
                        return Err(ValidationErrors::single("contactId", msg::contact_of_other_account()).into());
                    }
                }
            }
        }
        Ok(())
    }

    pub async fn create_case(&self, actor: &Actor, input: NewCase) -> Result<Versioned<Case>, CreateCaseError> {
        self.create_case_with_id(actor, input, self.new_id()).await.redacted(actor)
    }

    /// Creates a case under the id a form was given when it was shown ([`Services::new_id`]),
    /// so that submitting the form again finds the case the first submission opened instead
    /// of opening a second one.
    pub async fn create_case_once(
        &self,
        actor: &Actor,
        input: NewCase,
        id: EntityId,
    ) -> Result<CreatedCase, CreateCaseError> {
        if let Some(case) = self.replayed_creation(actor, id).await? {
            return Ok(CreatedCase { case: case.redacted(actor), replayed: true });
        }
        match self.create_case_with_id(actor, input, id).await {
            Ok(case) => Ok(CreatedCase { case: case.redacted(actor), replayed: false }),
            // The same form, submitted twice at once: the other submission won.
            Err(CreateCaseError::Store(StoreError::ConditionFailed { name: conditions::CASE })) => {
                match self.replayed_creation(actor, id).await? {
                    Some(case) => Ok(CreatedCase { case: case.redacted(actor), replayed: true }),
                    None => Err(StoreError::ConditionFailed { name: conditions::CASE }.into()),
                }
            }
            Err(other) => Err(other),
        }
    }

    /// The case a form already opened under `id`: only its creator's submission finds it.
    async fn replayed_creation(&self, actor: &Actor, id: EntityId) -> Result<Option<Versioned<Case>>, CreateCaseError> {
        match self.load::<Case>(&keys::case(&actor.tenant, id)).await? {
            Some(case) if case.value.created_by == actor.user => Ok(Some(case)),
            Some(_) => Err(ValidationErrors::single("formId", msg::form_not_yours()).into()),
            None => Ok(None),
        }
    }

    async fn create_case_with_id(
        &self,
        actor: &Actor,
        input: NewCase,
        id: EntityId,
    ) -> Result<Versioned<Case>, CreateCaseError> {
        actor.permit_fields(Module::Cases, &input)?;
        let mut errors = ValidationErrors::new();
        let case_type = match CaseTypeKey::parse(&input.case_type) {
            Ok(key) => {
                actor.permit_case(&key, Operation::Create)?;
                self.load::<CaseType>(&keys::case_type(&actor.tenant, &key)).await?.map(with_definition_version)
            }
            Err(reason) => {
                errors.add("type", reason.into());
                None
            }
        };
        if case_type.is_none() && errors.is_empty() {
            errors.add("type", msg::no_case_type_listed(&input.case_type));
        }
        let fields = match CaseFields::validate(&input, &actor.user) {
            Ok(fields) => Some(fields),
            Err(more) => {
                errors.0.extend(more.0);
                None
            }
        };
        if let (Some(case_type), Some(fields)) = (&case_type, &fields) {
            case_type.check_custom_fields(&fields.custom_fields, &mut errors);
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let (Some(case_type), Some(fields)) = (case_type, fields) else { return Err(errors.into()) };
        if let Some(owner) = &input.owner {
            // The same rule as a reassignment, and the owner must be one of the company's staff.
            if owner != &actor.user {
                actor.require(Role::Supervisor)?;
            }
            if self.user(&actor.tenant, owner).await?.is_none() {
                return Err(ValidationErrors::single("owner", msg::no_such_user()).into());
            }
        }
        self.check_case_refs(actor, &fields).await.map_err(|e| match e {
            CheckRefError::Invalid(v) => CreateCaseError::Invalid(v),
            CheckRefError::Store(s) => CreateCaseError::Store(s),
        })?;
        let initial = case_type
            .state(&case_type.initial_state)
            .ok_or_else(|| StoreError::Corrupt {
                pk: keys::case_type(&actor.tenant, &case_type.key).pk,
                sk: keys::CURRENT.into(),
                reason: "initial state missing".into(),
            })?
            .clone();
        let now = self.clock.now();
        let mut case = Case {
            id,
            case_type: case_type.key.clone(),
            type_version: case_type.version,
            subject: String::new(),
            description: None,
            state: initial.key.clone(),
            state_class: initial.class,
            account_id: None,
            contact_id: None,
            owner: None,
            branch: None,
            channel: Default::default(),
            priority: Default::default(),
            amount: None,
            custom_fields: Default::default(),
            archived: false,
            created_at: now,
            created_by: actor.user.clone(),
            updated_at: now,
            updated_by: actor.user.clone(),
            closed_at: None,
            last_step: None,
        };
        case.apply(fields);
        // Entering the initial state assigns from its pool unless the creator named an owner.
        let pooled = match (&input.owner, &initial.pool) {
            (None, Some(pool)) => {
                let pool_id = format!("{}#{}", case_type.key, initial.key);
                let agent = self.pick_agent(&actor.tenant, pool, &pool_id, Workload::Cases).await?;
                agent.map(|agent| (agent, pool_id))
            }
            _ => None,
        };
        let created_id = self.new_id();
        let mut change = ChangeSet {
            ops: Vec::new(),
            messages: Vec::new(),
            occurrence: created_id.to_string(),
            version: 1,
            context: serde_json::Value::Null,
        };
        if let Some((agent, _)) = &pooled {
            case.owner = Some(agent.clone());
        }
        // A case nobody was given is its creator's when their scope would otherwise hide it
        // from them the moment it is opened.
        if case.owner.is_none() && !actor.sees(Module::Cases, None) {
            case.owner = Some(actor.user.clone());
        }
        change.ops.extend(case_writes(actor, &case, 1, Condition::not_exists(conditions::CASE))?);
        change.ops.extend(index_changes(&actor.tenant, None::<&Case>, &case)?);
        let created = HistoryEvent {
            id: created_id,
            at: now,
            actor: actor.user.clone(),
            case_version: 1,
            kind: EventKind::Created { state: case.state.clone() },
        };
        change.ops.push(history_put(&actor.tenant, case.id, &created)?);
        if let Some((_, pool_id)) = pooled {
            self.assign_ops(actor, &case, None, Some(pool_id), &mut change)?;
        }
        let known = Known { definition: Some(&case_type), new_case: true };
        self.arm_sla(actor, &case, known, None, std::slice::from_ref(&created), &mut change).await?;
        if let Some((op, message)) =
            self.announce_case(&actor.tenant, &case, 1, WebhookEventType::CaseCreated, Value::Null).await?
        {
            change.ops.push(op);
            change.messages.push(message);
        }
        self.store.write(change.ops).await?;
        self.publish_committed(&actor.tenant, super::outbox::OutboxOwner::Case(case.id), &change.messages).await;
        Ok(Versioned { value: case, version: 1 })
    }

    /// The subjects of the cases `ids` names that exist, read in batches (a page that acted on
    /// a selection of cases says which each row was).
    pub async fn case_subjects(
        &self,
        actor: &Actor,
        ids: &[EntityId],
    ) -> Result<std::collections::HashMap<EntityId, String>, StoreError> {
        let cases = self.cases_by_id(&actor.tenant, ids).await?;
        Ok(cases.into_iter().map(|(id, case)| (id, case.value.subject)).collect())
    }

    pub async fn get_case(&self, actor: &Actor, id: EntityId) -> Result<Versioned<Case>, GetCaseError> {
        Ok(self.case_seen(actor, id).await?.ok_or(GetCaseError::NotFound)?.redacted(actor))
    }

    /// The case, when it exists and is within the actor's scope: a case outside it is, to
    /// them, a case that does not exist (so its existence is not disclosed either).
    pub(crate) async fn case_seen(&self, actor: &Actor, id: EntityId) -> Result<Option<Versioned<Case>>, StoreError> {
        let case: Option<Versioned<Case>> = self.load(&keys::case(&actor.tenant, id)).await?;
        Ok(case.filter(|c| actor.sees_case(&c.value)))
    }

    pub async fn update_case(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        patch: CasePatch,
    ) -> Result<Versioned<Case>, UpdateCaseError> {
        actor.permit_fields(Module::Cases, &patch)?;
        let current = self.case_seen(actor, id).await?.ok_or(UpdateCaseError::NotFound)?;
        actor.permit_case(&current.value.case_type, Operation::Update)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| UpdateCaseError::Stale { expected: expected.named() })?;
        if current.value.archived {
            return Err(UpdateCaseError::Archived);
        }
        let before = CaseFields::of(&current.value);
        let after = before.patched(&patch)?;
        let changes = before.changes_to(&after);
        if changes.is_empty() {
            return Ok(current.redacted(actor));
        }
        let reassigned = after.owner != before.owner;
        if reassigned {
            // Reassignment is a supervisor's decision [reasignación manual].
            actor.require(Role::Supervisor)?;
        }
        if after.custom_fields != before.custom_fields {
            let definition =
                self.definition_of(&actor.tenant, &current.value.case_type, current.value.type_version).await?;
            let mut errors = ValidationErrors::new();
            definition.check_custom_fields(&after.custom_fields, &mut errors);
            errors.finish()?;
        }
        if after.account_id != before.account_id || after.contact_id != before.contact_id {
            self.check_case_refs(actor, &after).await.map_err(|e| match e {
                CheckRefError::Invalid(v) => UpdateCaseError::Invalid(v),
                CheckRefError::Store(s) => UpdateCaseError::Store(s),
            })?;
        }
        let after_priority = after.priority;
        let mut case = current.value.clone();
        case.apply(after);
        case.updated_at = self.clock.now();
        case.updated_by = actor.user.clone();
        let version = expected + 1;
        let updated_id = self.new_id();
        let mut change = ChangeSet {
            ops: Vec::new(),
            messages: Vec::new(),
            occurrence: updated_id.to_string(),
            version,
            context: serde_json::Value::Null,
        };
        change.ops.extend(case_writes(actor, &case, version, Condition::version_is(conditions::CASE, expected))?);
        change.ops.extend(index_changes(&actor.tenant, Some(&current.value), &case)?);
        change.ops.push(self.history_op(actor, case.id, version, updated_id, EventKind::Updated { changes })?);
        if reassigned {
            self.assign_ops(actor, &case, before.owner.clone(), None, &mut change)?;
        }
        if after_priority != before.priority || reassigned {
            // New targets (priority) or new recipients (owner): re-arm the clocks.
            self.arm_sla(actor, &case, Known::default(), Some(before.priority), &[], &mut change).await?;
        }
        if let Some((op, message)) =
            self.announce_case(&actor.tenant, &case, version, WebhookEventType::CaseUpdated, Value::Null).await?
        {
            change.ops.push(op);
            change.messages.push(message);
        }
        match self.store.write(change.ops).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { name: conditions::CASE }) => {
                return Err(UpdateCaseError::Stale { expected });
            }
            Err(e) => return Err(e.into()),
        }
        self.publish_committed(&actor.tenant, super::outbox::OutboxOwner::Case(case.id), &change.messages).await;
        Ok(Versioned { value: case, version }.redacted(actor))
    }

    /// Archives a case (supervisors and admins). It leaves the default list, its owner's and
    /// its account's lists; its history stays.
    pub async fn archive_case(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<(), ArchiveCaseError> {
        actor.permit(Permission::new(Module::Cases, Operation::Archive))?;
        let current = self.case_seen(actor, id).await?.ok_or(ArchiveCaseError::NotFound)?;
        actor.permit_case(&current.value.case_type, Operation::Archive)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| ArchiveCaseError::Stale { expected: expected.named() })?;
        if current.value.archived {
            return Err(ArchiveCaseError::AlreadyArchived);
        }
        let mut case = current.value;
        case.archived = true;
        case.updated_at = self.clock.now();
        case.updated_by = actor.user.clone();
        let version = expected + 1;
        let mut ops = Vec::from(case_writes(actor, &case, version, Condition::version_is(conditions::CASE, expected))?);
        ops.push(self.history_op(actor, case.id, version, self.new_id(), EventKind::Archived)?);
        // An archived case's clocks stop: its SLA entries leave the due index with it.
        let armed = self
            .store
            .query(
                &Query::partition(keys::case_partition(&actor.tenant, id))
                    .range(SortKeyRange::BeginsWith(keys::CASE_SLA_PREFIX.into())),
            )
            .await?;
        ops.extend(armed.items.into_iter().map(|item| WriteOp::Delete {
            key: item.key,
            condition: Condition::version_is(conditions::SLA_CLOCK, item.version),
        }));
        match self.store.write(ops).await {
            Ok(()) => Ok(()),
            // Either the case changed or the sweep advanced one of its clocks meanwhile: both
            // mean the archive was decided on a stale read; the client reloads and tries again.
            Err(StoreError::ConditionFailed { name: conditions::CASE | conditions::SLA_CLOCK }) => {
                Err(ArchiveCaseError::Stale { expected })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The case's history, oldest first.
    pub async fn case_history(
        &self,
        actor: &Actor,
        id: EntityId,
        page: &PageRequest,
    ) -> Result<Page<Versioned<HistoryEvent>>, CaseHistoryError> {
        self.get_case(actor, id).await.map_err(|e| match e {
            GetCaseError::NotFound => CaseHistoryError::NotFound,
            GetCaseError::Store(s) => CaseHistoryError::List(s.into()),
        })?;
        let query = Query::partition(keys::case_partition(&actor.tenant, id))
            .range(SortKeyRange::BeginsWith(keys::CASE_EVENT_PREFIX.into()));
        let mut events = list_page(self.store.as_ref(), query, page, |_: &HistoryEvent| true).await?;
        actor.redact_events(CASE_EVENT_MODULES, events.items.iter_mut().map(|e| &mut e.value));
        Ok(events)
    }

    pub async fn add_comment(
        &self,
        actor: &Actor,
        case_id: EntityId,
        input: NewComment,
    ) -> Result<Comment, AddCommentError> {
        let mut errors = ValidationErrors::new();
        let body = errors.text("body", &input.body, COMMENT_MAX, true);
        errors.finish()?;
        let case = self.case_seen(actor, case_id).await?.ok_or(AddCommentError::NotFound)?;
        actor.permit_case(&case.value.case_type, Operation::Update)?;
        if case.value.archived {
            return Err(AddCommentError::Archived);
        }
        let comment = Comment {
            id: self.new_id(),
            body: body.unwrap_or_default(),
            internal: input.internal,
            author: actor.user.clone(),
            at: self.clock.now(),
        };
        let item = Item::new(
            keys::case_comment(&actor.tenant, case_id, comment.id),
            COMMENT_ENTITY,
            1,
            records::body(&comment)?,
        );
        let commented = HistoryEvent {
            id: self.new_id(),
            at: comment.at,
            actor: actor.user.clone(),
            case_version: case.version,
            kind: EventKind::Commented { comment_id: comment.id, internal: comment.internal },
        };
        let mut change = ChangeSet {
            ops: vec![
                WriteOp::Put { item, condition: Condition::not_exists(conditions::COMMENT) },
                history_put(&actor.tenant, case_id, &commented)?,
                // The case must not change meanwhile: the SLA entries below were computed from it.
                WriteOp::Check {
                    key: keys::case(&actor.tenant, case_id),
                    condition: Condition::version_is(conditions::CASE, case.version),
                },
            ],
            messages: Vec::new(),
            occurrence: commented.id.to_string(),
            version: case.version,
            context: serde_json::Value::Null,
        };
        // A first comment answers the case: the first-response clock stops.
        self.arm_sla(actor, &case.value, Known::default(), None, std::slice::from_ref(&commented), &mut change).await?;
        self.store.write(change.ops).await?;
        Ok(comment)
    }

    /// The case's comments, oldest first.
    pub async fn list_comments(
        &self,
        actor: &Actor,
        case_id: EntityId,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Comment>>, CaseHistoryError> {
        self.get_case(actor, case_id).await.map_err(|e| match e {
            GetCaseError::NotFound => CaseHistoryError::NotFound,
            GetCaseError::Store(s) => CaseHistoryError::List(s.into()),
        })?;
        let query = Query::partition(keys::case_partition(&actor.tenant, case_id))
            .range(SortKeyRange::BeginsWith(keys::CASE_COMMENT_PREFIX.into()));
        Ok(list_page(self.store.as_ref(), query, page, |_: &Comment| true).await?)
    }

    /// A case's latest history events and comments, newest first, as its page shows them: the
    /// two queries run together, read backwards, `limit` items each.
    pub async fn recent_case_activity(
        &self,
        actor: &Actor,
        case_id: EntityId,
        limit: u32,
    ) -> Result<(Vec<HistoryEvent>, Vec<Comment>), CaseHistoryError> {
        self.get_case(actor, case_id).await.map_err(|e| match e {
            GetCaseError::NotFound => CaseHistoryError::NotFound,
            GetCaseError::Store(s) => CaseHistoryError::List(s.into()),
        })?;
        Ok(self.latest_activity(actor, case_id, limit).await?)
    }

    /// The latest `limit` events and comments of a case known to exist, newest first.
    pub(crate) async fn latest_activity(
        &self,
        actor: &Actor,
        case_id: EntityId,
        limit: u32,
    ) -> Result<(Vec<HistoryEvent>, Vec<Comment>), ListError> {
        let tenant = &actor.tenant;
        let page = PageRequest::new(Some(limit), None)?;
        let newest = |prefix: &str| {
            Query::partition(keys::case_partition(tenant, case_id))
                .range(SortKeyRange::BeginsWith(prefix.into()))
                .backward()
        };
        let store = self.store.as_ref();
        let (events, comments) = futures::join!(
            list_page(store, newest(keys::CASE_EVENT_PREFIX), &page, |_: &HistoryEvent| true),
            list_page(store, newest(keys::CASE_COMMENT_PREFIX), &page, |_: &Comment| true),
        );
        let mut events: Vec<HistoryEvent> = events?.items.into_iter().map(|v| v.value).collect();
        actor.redact_events(CASE_EVENT_MODULES, events.iter_mut());
        let comments = comments?.items.into_iter().map(|v| v.value).collect();
        Ok((events, comments))
    }
}
