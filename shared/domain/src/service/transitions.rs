//! Transitions: a case moved by action → result as its definition allows, and the cases other
//! operations open (follow-ups, collections tasks). A transition writes the case, its history
//! events, its outbox entries and any follow-up case in one atomic write; the effects are
//! published after the write commits.

use super::assignment::Workload;
use super::case_types::with_definition_version;
use super::cases::case_writes;
use super::change::{ChangeSet, EffectSubject, Known, history_put};
use super::contacts::CheckRefError;
use super::outbox::OutboxOwner;
use super::search::index_changes;
use super::{Services, conditions};
use crate::ExpectedVersion;
use crate::actor::Actor;
use crate::actor::Redacted;
use crate::case::{Case, CaseFields};
use crate::case_type::{CaseType, Effect};
use crate::effects::EffectMessage;
use crate::history::{EventKind, HistoryEvent};
use crate::ids::{CaseTypeKey, EntityId, TenantId, UserId};
use crate::keys;
use crate::ports::{Condition, StoreError};
use crate::records;
use crate::webhook::WebhookEventType;
use crate::workflow::{self, Assignment, OfferedAction, TransitionError, TransitionRequest, in_case_fields};
use crate::{Versioned, case::Priority};

#[derive(Debug, thiserror::Error)]
pub enum TransitionCaseError {
    #[error(transparent)]
    Forbidden(#[from] crate::actor::Forbidden),
    #[error("no such case")]
    NotFound,
    #[error("the case changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the case is archived")]
    Archived,
    #[error(transparent)]
    Rejected(#[from] TransitionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum OfferedTransitionsError {
    #[error("no such case")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a transition did.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionOutcome {
    pub case: Versioned<Case>,
    pub effects: Vec<EffectMessage>,
    pub follow_up: Option<EntityId>,
}

impl Services {
    /// The definition version a case was opened with.
    pub async fn definition_of(
        &self,
        tenant: &TenantId,
        key: &CaseTypeKey,
        version: u32,
    ) -> Result<CaseType, StoreError> {
        let snapshot = keys::case_type_version(tenant, key, version);
        let item = self.store.get(&snapshot).await?.ok_or_else(|| StoreError::Corrupt {
            pk: snapshot.pk.clone(),
            sk: snapshot.sk.clone(),
            reason: "the case's definition version is missing".into(),
        })?;
        let mut definition: CaseType = records::read(&item)?;
        definition.version = version;
        Ok(definition)
    }

    /// Moves a case by `action` → `result`, as its definition allows.
    pub async fn transition_case(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        request: TransitionRequest,
    ) -> Result<TransitionOutcome, TransitionCaseError> {
        let tenant = &actor.tenant;
        let current = self.case_seen(actor, id).await?.ok_or(TransitionCaseError::NotFound)?;
        actor.permit_case(&current.value.case_type, crate::access::Operation::Update)?;
        actor.permit_fields(crate::access::Module::Cases, &request)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| TransitionCaseError::Stale { expected: expected.named() })?;
        if current.value.archived {
            return Err(TransitionCaseError::Archived);
        }
        let definition = self.definition_of(tenant, &current.value.case_type, current.value.type_version).await?;
        let plan = workflow::plan(&definition, &current.value, actor, &request)?;

        let version = expected + 1;
        let now = self.clock.now();
        let previous_owner = current.value.owner.clone();
        let before = CaseFields::of(&current.value);
        let changes = before.changes_to(&plan.fields);
        if plan.fields.account_id != before.account_id || plan.fields.contact_id != before.contact_id {
            self.check_case_refs(actor, &plan.fields).await.map_err(|e| match e {
                CheckRefError::Invalid(v) => TransitionCaseError::Rejected(TransitionError::Invalid(in_case_fields(v))),
                CheckRefError::Store(s) => TransitionCaseError::Store(s),
            })?;
        }
        let mut case = current.value.clone();
        case.apply(plan.fields.clone());
        case.state = plan.to.clone();
        case.state_class = plan.to_class;
        case.closed_at = if plan.to_class.is_closed() { case.closed_at.or(Some(now)) } else { None };
        case.last_step =
            Some(crate::case::LastStep { action: plan.action.clone(), result: plan.result.clone(), at: now });
        case.updated_at = now;
        case.updated_by = actor.user.clone();
        let (assignee, pool) = match &plan.assignment {
            Some(Assignment::User(user)) => (Some(user.clone()), None),
            Some(Assignment::Pool { pool, pool_id }) => {
                (self.pick_agent(tenant, pool, pool_id, Workload::Cases).await?, Some(pool_id.clone()))
            }
            None => (None, None),
        };
        let reassigned = assignee.as_ref().is_some_and(|a| Some(a) != previous_owner.as_ref());
        if reassigned {
            case.owner = assignee;
        }

        let transition_id = self.new_id();
        let mut change = ChangeSet {
            ops: Vec::new(),
            messages: Vec::new(),
            occurrence: transition_id.to_string(),
            version,
            context: serde_json::Value::Null,
        };
        change.ops.extend(case_writes(actor, &case, version, Condition::version_is(conditions::CASE, expected))?);
        let transitioned = HistoryEvent {
            id: transition_id,
            at: now,
            actor: actor.user.clone(),
            case_version: version,
            kind: EventKind::Transitioned {
                action: plan.action.clone(),
                result: plan.result.clone(),
                from: plan.from.clone(),
                to: plan.to.clone(),
                note: plan.note.clone(),
            },
        };
        change.ops.push(history_put(tenant, id, &transitioned)?);
        if !changes.is_empty() {
            change.ops.extend(index_changes(tenant, Some(&current.value), &case)?);
            change.ops.push(self.history_op(actor, id, version, self.new_id(), EventKind::Updated { changes })?);
        }
        let known = Known { definition: Some(&definition), new_case: false };
        self.arm_sla(actor, &case, known, None, std::slice::from_ref(&transitioned), &mut change).await?;
        if reassigned {
            self.assign_ops(actor, &case, previous_owner, pool, &mut change)?;
        }
        let mut follow_up = None;
        for (index, effect) in plan.effects.iter().enumerate() {
            match effect {
                Effect::FollowUp { case_type, subject } => {
                    follow_up = Some(self.follow_up_ops(actor, &case, version, case_type, subject, &mut change).await?);
                }
                other => {
                    let rule = format!("{}.{}#{index}", plan.action, plan.result);
                    let subject = EffectSubject::of(&case, definition.supervisors_of(&case.state));
                    self.effect_ops(actor, &subject, &rule, other, &mut change)?;
                }
            }
        }
        // Announcements are published with the effects but are not the transition's effects.
        let mut announced = Vec::new();
        let from = &current.value.state;
        let step = serde_json::json!({"action": plan.action, "result": plan.result, "from": from});
        let mut kinds = vec![WebhookEventType::CaseTransitioned];
        if plan.to_class.is_closed() && !current.value.state_class.is_closed() {
            kinds.push(WebhookEventType::CaseClosed);
        }
        for kind in kinds {
            if let Some((op, message)) = self.announce_case(tenant, &case, version, kind, step.clone()).await? {
                change.ops.push(op);
                announced.push(message);
            }
        }
        match self.store.write(change.ops).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { name: conditions::CASE }) => {
                return Err(TransitionCaseError::Stale { expected });
            }
            Err(e) => return Err(e.into()),
        }
        announced.extend(change.messages.iter().cloned());
        self.publish_committed(tenant, OutboxOwner::Case(id), &announced).await;
        let case = Versioned { value: case, version }.redacted(actor);
        Ok(TransitionOutcome { case, effects: change.messages, follow_up })
    }

    /// Opens a follow-up case of another type, in the same write as the parent's transition.
    async fn follow_up_ops(
        &self,
        actor: &Actor,
        parent: &Case,
        parent_version: u64,
        case_type: &CaseTypeKey,
        subject: &str,
        change: &mut ChangeSet,
    ) -> Result<EntityId, StoreError> {
        let seed = CaseSeed {
            subject: subject.to_owned(),
            description: Some(format!("Seguimiento de {} ({})", parent.subject, parent.id)),
            account_id: parent.account_id,
            contact_id: parent.contact_id,
            owner: parent.owner.clone(),
            branch: parent.branch.clone(),
            channel: parent.channel,
        };
        let child = self.opened_case_ops(actor, case_type, seed, change).await?;
        let to_parent = EventKind::FollowUpOpened { case_id: parent.id, case_type: parent.case_type.to_string() };
        change.ops.push(self.history_op(actor, child.id, 1, self.new_id(), to_parent)?);
        let to_child = EventKind::FollowUpOpened { case_id: child.id, case_type: child.case_type.to_string() };
        change.ops.push(self.history_op(actor, parent.id, parent_version, self.new_id(), to_child)?);
        Ok(child.id)
    }

    /// A new case of `case_type` in its initial state, and its `created` event, added to
    /// `change`: for cases other operations open (follow-ups, collections tasks).
    pub(crate) async fn opened_case_ops(
        &self,
        actor: &Actor,
        case_type: &CaseTypeKey,
        seed: CaseSeed,
        change: &mut ChangeSet,
    ) -> Result<Case, StoreError> {
        let tenant = &actor.tenant;
        let loaded: Versioned<CaseType> =
            self.load(&keys::case_type(tenant, case_type)).await?.ok_or_else(|| StoreError::Corrupt {
                pk: keys::case_type(tenant, case_type).pk,
                sk: keys::CURRENT.into(),
                reason: "case type missing".into(),
            })?;
        let definition = with_definition_version(loaded);
        let initial = definition.state(&definition.initial_state).cloned().ok_or_else(|| StoreError::Corrupt {
            pk: keys::case_type(tenant, case_type).pk,
            sk: keys::CURRENT.into(),
            reason: "initial state missing".into(),
        })?;
        let now = self.clock.now();
        let case = Case {
            id: self.new_id(),
            case_type: definition.key.clone(),
            type_version: definition.version,
            subject: seed.subject,
            description: seed.description,
            state: initial.key.clone(),
            state_class: initial.class,
            account_id: seed.account_id,
            contact_id: seed.contact_id,
            owner: seed.owner,
            branch: seed.branch,
            channel: seed.channel,
            priority: Priority::Normal,
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
        change.ops.extend(case_writes(actor, &case, 1, Condition::not_exists(conditions::FOLLOW_UP_CASE))?);
        change.ops.extend(super::search::index_changes(&actor.tenant, None::<&Case>, &case)?);
        change.ops.push(self.history_op(
            actor,
            case.id,
            1,
            self.new_id(),
            EventKind::Created { state: case.state.clone() },
        )?);
        Ok(case)
    }

    /// The actions the caller may take on the case now, with their results.
    pub async fn offered_transitions(
        &self,
        actor: &Actor,
        id: EntityId,
    ) -> Result<(Versioned<Case>, Vec<OfferedAction>), OfferedTransitionsError> {
        let case = self.case_seen(actor, id).await?.ok_or(OfferedTransitionsError::NotFound)?;
        let definition = self.definition_of(&actor.tenant, &case.value.case_type, case.value.type_version).await?;
        let offered = workflow::offered(&definition, &case.value, actor);
        Ok((case.redacted(actor), offered))
    }
}

/// What a case opened by another operation starts with.
pub(crate) struct CaseSeed {
    pub subject: String,
    pub description: Option<String>,
    pub account_id: Option<EntityId>,
    pub contact_id: Option<EntityId>,
    pub owner: Option<UserId>,
    pub branch: Option<String>,
    pub channel: crate::case::Channel,
}
