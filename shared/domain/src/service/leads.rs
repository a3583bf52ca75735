//! Lead intake, staff work on leads, and conversion.
//!
//! Intake is where duplicates are stopped. A lead's normalised e-mail and phone each have a
//! uniqueness item pointing at the lead (or, after conversion, at its contact). A post whose
//! e-mail or phone is claimed becomes an activity on the owner; otherwise the lead, its claims,
//! its first activity, its assignment and its effects are written in one transaction whose
//! claim puts are conditional, so of two concurrent posts one creates and the other, finding
//! the claim taken, retries as an activity.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::assignment::Workload;
use super::outbox::{OutboxOwner, effect_id};
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::account::{Account, AccountFields, NewAccount};
use crate::actor::Actor;
use crate::case_type::Recipient;
use crate::contact::Contact;
use crate::effects::{EffectMessage, Notification, Subject};
use crate::form::{FormDefinition, MappedSubmission};
use crate::history::{EventKind, HistoryEvent};
use crate::ids::{EntityId, FormId, TenantId, UserId};
use crate::keys;
use crate::lead::{
    Attribution, Conversion, ConvertLead, DEFAULT_COUNTRY, Lead, LeadFields, LeadPatch, LeadStatus, NewLead,
    Opportunity, RawLead, check_country,
};
use crate::ports::{Condition, Index, Item, Key, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const ENTITY: &str = "Lead";
pub const CLAIM_ENTITY: &str = "LeadClaim";
pub const OPPORTUNITY_ENTITY: &str = "Opportunity";
/// How often intake retries after losing a race for a claim.
const INTAKE_ATTEMPTS: usize = 4;

/// The body of a lead e-mail or phone uniqueness item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LeadClaim {
    owner: ClaimOwner,
}

/// Who owns a lead e-mail or phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "camelCase")]
enum ClaimOwner {
    Lead(EntityId),
    Contact(EntityId),
}

/// A submission on its way in: from a clean post, or released from quarantine.
pub(crate) struct Intake<'a> {
    pub actor: Actor,
    /// The form it came through (assignment and e-mails follow it), if it still exists.
    pub form: Option<(&'a FormId, &'a FormDefinition)>,
    pub submission_id: EntityId,
    pub mapped: &'a MappedSubmission,
}

/// What became of a post. Stored as the idempotency record, so a retry gets the same answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PostOutcome {
    /// A new lead.
    Created { lead_id: EntityId, submission_id: EntityId },
    /// An activity on the lead that already had this e-mail or phone.
    AttachedToLead { lead_id: EntityId, submission_id: EntityId },
    /// An activity on the contact that already had this e-mail.
    AttachedToContact { contact_id: EntityId, submission_id: EntityId },
    /// Kept for staff to review.
    Quarantined { submission_id: EntityId },
    /// The honeypot was filled: nothing stored.
    Dropped,
}

/// Writes that must go in the intake's transaction, given its outcome.
pub(crate) type ExtraOps<'a> = dyn Fn(&PostOutcome) -> Result<Vec<WriteOp>, StoreError> + Sync + 'a;

#[derive(Debug, thiserror::Error)]
pub(crate) enum AcceptError {
    /// The condition of one of the caller's extra writes failed.
    #[error("the caller's condition \"{name}\" failed")]
    Extra { name: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateLeadError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("a lead or contact already has this e-mail or phone")]
    Duplicate { field: &'static str, lead_id: Option<EntityId>, contact_id: Option<EntityId> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetLeadError {
    #[error("no such lead")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateLeadError {
    #[error("no such lead")]
    NotFound,
    #[error("the lead changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the lead is converted")]
    Converted,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("a lead or contact already has this e-mail or phone")]
    Duplicate { field: &'static str, lead_id: Option<EntityId>, contact_id: Option<EntityId> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum ConvertLeadError {
    #[error("no such lead")]
    NotFound,
    #[error("the lead changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the lead is already converted")]
    AlreadyConverted,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("a contact already has the lead's e-mail; convert into it with contactId")]
    ContactEmailTaken { existing: Option<EntityId> },
    #[error("a record the conversion merges into changed meanwhile; try again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetOpportunityError {
    #[error("no such opportunity")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertedLead {
    pub lead: Versioned<Lead>,
    pub account: Versioned<Account>,
    pub contact: Versioned<Contact>,
    pub opportunity: Option<Opportunity>,
}

/// `GET /leads` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeadFilter {
    pub status: Option<LeadStatus>,
    pub owner: Option<UserId>,
    /// `webForm` or `manual`.
    pub channel: Option<String>,
    pub form_id: Option<FormId>,
    pub campaign: Option<String>,
    /// Created at or after (inclusive) / before (exclusive).
    pub created_from: Option<jiff::Timestamp>,
    pub created_to: Option<jiff::Timestamp>,
}

fn lead_item(tenant: &TenantId, lead: &Lead, version: u64) -> Result<Item, StoreError> {
    let mut item = Item::new(keys::lead(tenant, lead.id), ENTITY, version, records::body(lead)?)
        .with_index(Index::Gsi1, keys::leads_listing(tenant, lead.id));
    if let Some(owner) = &lead.owner {
        item = item.with_index(Index::Gsi2, keys::leads_of_owner(tenant, owner, lead.id));
    }
    Ok(item)
}

fn claim_item(key: Key, owner: ClaimOwner) -> Result<Item, StoreError> {
    Ok(Item::new(key, CLAIM_ENTITY, 1, records::body(&LeadClaim { owner })?))
}

fn claim_owner(item: &Item) -> Result<ClaimOwner, StoreError> {
    records::read::<LeadClaim>(item).map(|b| b.owner)
}

/// The smallest id of an instant (for creation-time ranges over ULID-sorted keys).
fn id_floor(at: jiff::Timestamp) -> String {
    let millis = u64::try_from(at.as_millisecond()).unwrap_or(0);
    ulid::Ulid::from_parts(millis, 0).to_string()
}

impl Services {
    pub(crate) fn lead_history_op(
        &self,
        actor: &Actor,
        lead: EntityId,
        version: u64,
        kind: EventKind,
    ) -> Result<WriteOp, StoreError> {
        let id = self.new_id();
        let event = HistoryEvent { id, at: self.clock.now(), actor: actor.user.clone(), case_version: version, kind };
        let item =
            Item::new(keys::lead_event(&actor.tenant, lead, id), super::cases::EVENT_ENTITY, 1, records::body(&event)?);
        Ok(WriteOp::Put { item, condition: Condition::not_exists(conditions::HISTORY_EVENT) })
    }

    fn contact_history_op(&self, actor: &Actor, contact: EntityId, kind: EventKind) -> Result<WriteOp, StoreError> {
        let id = self.new_id();
        let event = HistoryEvent { id, at: self.clock.now(), actor: actor.user.clone(), case_version: 0, kind };
        let key = Key::new(keys::contact(&actor.tenant, contact).pk, format!("{}{id}", keys::CASE_EVENT_PREFIX));
        Ok(WriteOp::Put {
            item: Item::new(key, super::cases::EVENT_ENTITY, 1, records::body(&event)?),
            condition: Condition::not_exists(conditions::HISTORY_EVENT),
        })
    }

    /// Who already owns this e-mail or phone: a lead, or a contact.
    async fn existing_owner(
        &self,
        tenant: &TenantId,
        fields: &LeadFields,
    ) -> Result<Option<(ClaimOwner, Key)>, StoreError> {
        let mut candidates = Vec::new();
        if let Some(email) = &fields.email {
            candidates.push(keys::lead_email(tenant, email));
        }
        if let Some(phone) = &fields.phone {
            candidates.push(keys::lead_phone(tenant, phone));
        }
        for key in candidates {
            if let Some(item) = self.store.get(&key).await? {
                return Ok(Some((claim_owner(&item)?, key)));
            }
        }
        if let Some(email) = &fields.email {
            let key = keys::contact_email(tenant, email);
            if let Some(item) = self.store.get(&key).await? {
                let claim: super::contacts::EmailClaim = records::read(&item)?;
                return Ok(Some((ClaimOwner::Contact(claim.contact_id), key)));
            }
        }
        Ok(None)
    }

    /// Creates a lead from a submission, or attaches it to the lead or contact that already has
    /// its e-mail or phone. `extra` adds the caller's writes (first in the transaction).
    pub(crate) async fn accept_submission(
        &self,
        intake: &Intake<'_>,
        extra: &ExtraOps<'_>,
    ) -> Result<PostOutcome, AcceptError> {
        let tenant = &intake.actor.tenant;
        let submitted = EventKind::Submitted {
            submission_id: intake.submission_id,
            form_id: intake.form.map(|(id, _)| id.clone()),
            fields: Box::new(intake.mapped.fields.clone()),
            attribution: Box::new(intake.mapped.attribution.clone()),
        };
        for _ in 0..INTAKE_ATTEMPTS {
            let (outcome, mut ops, messages, lead_id) = match self.existing_owner(tenant, &intake.mapped.fields).await?
            {
                Some((owner, claim)) => {
                    let (outcome, activity) = match owner {
                        ClaimOwner::Lead(lead_id) => (
                            PostOutcome::AttachedToLead { lead_id, submission_id: intake.submission_id },
                            self.lead_history_op(&intake.actor, lead_id, 0, submitted.clone())?,
                        ),
                        ClaimOwner::Contact(contact_id) => (
                            PostOutcome::AttachedToContact { contact_id, submission_id: intake.submission_id },
                            self.contact_history_op(&intake.actor, contact_id, submitted.clone())?,
                        ),
                    };
                    // The claim must still be there when the activity lands.
                    let ops = vec![
                        WriteOp::Check { key: claim, condition: Condition::exists(conditions::CLAIM_HELD) },
                        activity,
                    ];
                    (outcome, ops, Vec::new(), None)
                }
                None => {
                    let (lead, ops, messages) = self.new_lead_ops(intake, submitted.clone()).await?;
                    let outcome = PostOutcome::Created { lead_id: lead.id, submission_id: intake.submission_id };
                    (outcome, ops, messages, Some(lead.id))
                }
            };
            let extra_ops = extra(&outcome)?;
            let extra_names: Vec<&str> = extra_ops.iter().map(|op| op.condition().name).collect();
            let mut batch = extra_ops;
            batch.append(&mut ops);
            match self.store.write(batch).await {
                Ok(()) => {
                    if let Some(lead_id) = lead_id {
                        self.publish_committed(tenant, OutboxOwner::Lead(lead_id), &messages).await;
                    }
                    return Ok(outcome);
                }
                Err(StoreError::ConditionFailed { name }) if extra_names.contains(&name) => {
                    return Err(AcceptError::Extra { name });
                }
                // A claim appeared or vanished meanwhile: look again.
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Unavailable("lead intake kept losing races for the same e-mail or phone".into()).into())
    }

    /// The writes of a new lead from a submission: the lead, its claims, its first events, its
    /// assignment and its e-mails.
    async fn new_lead_ops(
        &self,
        intake: &Intake<'_>,
        submitted: EventKind,
    ) -> Result<(Lead, Vec<WriteOp>, Vec<EffectMessage>), StoreError> {
        let tenant = &intake.actor.tenant;
        let now = self.clock.now();
        let owner = match intake.form.and_then(|(id, f)| f.assignment.as_ref().map(|p| (id, p))) {
            Some((form_id, pool)) => self.pick_agent(tenant, pool, &format!("form-{form_id}"), Workload::Leads).await?,
            None => None,
        };
        let lead = Lead {
            id: self.new_id(),
            status: LeadStatus::New,
            fields: intake.mapped.fields.clone(),
            source: intake.mapped.attribution.clone(),
            owner,
            disqualified_reason: None,
            converted: None,
            created_at: now,
            updated_at: now,
            updated_by: intake.actor.user.clone(),
        };
        let mut ops = vec![WriteOp::Put {
            item: lead_item(tenant, &lead, 1)?,
            condition: Condition::not_exists(conditions::LEAD),
        }];
        ops.extend(self.claim_ops(tenant, &lead)?);
        ops.push(self.lead_history_op(&intake.actor, lead.id, 1, EventKind::Created { state: "new".into() })?);
        ops.push(self.lead_history_op(&intake.actor, lead.id, 1, submitted)?);
        let mut messages = Vec::new();
        if let Some(assignee) = &lead.owner {
            let pool = intake.form.map(|(id, _)| format!("form-{id}"));
            let assigned = EventKind::Assigned { from: None, to: assignee.clone(), pool };
            ops.push(self.lead_history_op(&intake.actor, lead.id, 1, assigned)?);
        }
        let notifications = intake.form.map(|(_, f)| f.notifications.clone()).unwrap_or_default();
        let occurrence = intake.submission_id.to_string();
        if let (Some(template), Some(assignee)) = (&notifications.assignee, &lead.owner) {
            messages.push(lead_effect(tenant, &lead, &occurrence, template, Recipient::Owner, vec![assignee.clone()]));
        }
        if let (Some(template), Some(_)) = (&notifications.prospect, &lead.fields.email) {
            messages.push(lead_effect(tenant, &lead, &occurrence, template, Recipient::Customer, Vec::new()));
        }
        for message in &messages {
            ops.push(self.outbox_op(tenant, OutboxOwner::Lead(lead.id), message)?);
            let kind = EventKind::EffectEnqueued {
                effect_id: message.effect_id.clone(),
                queue: message.queue.as_str().into(),
                kind: message.body.label(),
            };
            ops.push(self.lead_history_op(&intake.actor, lead.id, 1, kind)?);
        }
        Ok((lead, ops, messages))
    }

    fn claim_ops(&self, tenant: &TenantId, lead: &Lead) -> Result<Vec<WriteOp>, StoreError> {
        let mut ops = Vec::new();
        if let Some(email) = &lead.fields.email {
            let item = claim_item(keys::lead_email(tenant, email), ClaimOwner::Lead(lead.id))?;
            ops.push(WriteOp::Put { item, condition: Condition::not_exists(conditions::LEAD_EMAIL) });
        }
        if let Some(phone) = &lead.fields.phone {
            let item = claim_item(keys::lead_phone(tenant, phone), ClaimOwner::Lead(lead.id))?;
            ops.push(WriteOp::Put { item, condition: Condition::not_exists(conditions::LEAD_PHONE) });
        }
        Ok(ops)
    }

    /// `POST /leads`: a lead typed in by staff. A duplicate is refused with the existing record
    /// named, rather than attached: staff can open it.
    pub async fn create_lead(&self, actor: &Actor, input: NewLead) -> Result<Versioned<Lead>, CreateLeadError> {
        let mut e = ValidationErrors::new();
        let country = match &input.country {
            Some(c) => check_country(&mut e, "country", c).unwrap_or_default(),
            None => DEFAULT_COUNTRY.into(),
        };
        let raw = RawLead {
            name: Some(&input.name),
            email: input.email.as_deref(),
            phone: input.phone.as_deref(),
            company: input.company.as_deref(),
            message: input.message.as_deref(),
            ..Default::default()
        };
        let custom = check_custom_fields(&mut e, input.custom_fields);
        let fields = LeadFields::normalise(&raw, custom, &country, &|f| f.to_owned(), &mut e);
        let campaign = e.optional_text("campaign", input.campaign.as_deref(), crate::lead::CUSTOM_VALUE_MAX, false);
        e.finish()?;
        if let Some((owner, key)) = self.existing_owner(&actor.tenant, &fields).await? {
            return Err(duplicate(owner, &key, &actor.tenant, &fields));
        }
        let now = self.clock.now();
        let lead = Lead {
            id: self.new_id(),
            status: LeadStatus::New,
            fields,
            source: Attribution { channel: "manual".into(), campaign, ..Default::default() },
            owner: input.owner.clone(),
            disqualified_reason: None,
            converted: None,
            created_at: now,
            updated_at: now,
            updated_by: actor.user.clone(),
        };
        let mut ops = vec![WriteOp::Put {
            item: lead_item(&actor.tenant, &lead, 1)?,
            condition: Condition::not_exists(conditions::LEAD),
        }];
        ops.extend(self.claim_ops(&actor.tenant, &lead)?);
        ops.push(self.lead_history_op(actor, lead.id, 1, EventKind::Created { state: "new".into() })?);
        if let Some(owner) = &lead.owner {
            ops.push(self.lead_history_op(
                actor,
                lead.id,
                1,
                EventKind::Assigned { from: None, to: owner.clone(), pool: None },
            )?);
        }
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: lead, version: 1 }),
            Err(StoreError::ConditionFailed { name: conditions::LEAD_EMAIL | conditions::LEAD_PHONE }) => {
                match self.existing_owner(&actor.tenant, &lead.fields).await? {
                    Some((owner, key)) => Err(duplicate(owner, &key, &actor.tenant, &lead.fields)),
                    None => Err(StoreError::Unavailable("a concurrent change; try again".into()).into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_lead(&self, actor: &Actor, id: EntityId) -> Result<Versioned<Lead>, GetLeadError> {
        self.load(&keys::lead(&actor.tenant, id)).await?.ok_or(GetLeadError::NotFound)
    }

    /// The lead's activities: submissions, assignment, status changes, e-mails, conversion.
    /// (An unknown lead has none; the edge answers 404 for it from `get_lead`.)
    pub async fn lead_history(
        &self,
        actor: &Actor,
        id: EntityId,
        page: &PageRequest,
    ) -> Result<Page<Versioned<HistoryEvent>>, ListError> {
        let query = Query::partition(keys::lead_partition(&actor.tenant, id))
            .range(SortKeyRange::BeginsWith(keys::CASE_EVENT_PREFIX.into()));
        list_page(self.store.as_ref(), query, page, |_| true).await
    }

    /// A contact's activities (web-form posts that matched its e-mail).
    pub async fn contact_activities(
        &self,
        actor: &Actor,
        id: EntityId,
        page: &PageRequest,
    ) -> Result<Page<Versioned<HistoryEvent>>, ListError> {
        let query = Query::partition(keys::contact(&actor.tenant, id).pk)
            .range(SortKeyRange::BeginsWith(keys::CASE_EVENT_PREFIX.into()));
        list_page(self.store.as_ref(), query, page, |_| true).await
    }

    pub async fn list_leads(
        &self,
        actor: &Actor,
        filter: &LeadFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Lead>>, ListError> {
        let tenant = &actor.tenant;
        let partition = match &filter.owner {
            Some(owner) => Query::index(Index::Gsi2, keys::leads_of_owner_partition(tenant, owner)),
            None => Query::index(Index::Gsi1, keys::leads_listing_partition(tenant)),
        };
        // Ids are ULIDs: a creation-time window is a key range.
        let low = filter.created_from.map_or_else(|| "0".to_owned(), id_floor);
        let high = filter.created_to.map_or_else(
            || "~".to_owned(),
            |to| {
                let floor = id_floor(to);
                // Exclusive upper bound: the last id before `to`'s first id.
                let ulid = ulid::Ulid::from_string(&floor).unwrap_or_default();
                ulid::Ulid(ulid.0.saturating_sub(1)).to_string()
            },
        );
        let query = partition.range(SortKeyRange::Between(low, high)).backward();
        list_page(self.store.as_ref(), query, page, |lead: &Lead| {
            filter.status.is_none_or(|s| lead.status == s)
                && filter.channel.as_deref().is_none_or(|c| lead.source.channel == c)
                && filter.form_id.as_ref().is_none_or(|f| lead.source.form_id.as_ref() == Some(f))
                && filter
                    .campaign
                    .as_deref()
                    .is_none_or(|c| lead.source.campaign.as_deref().is_some_and(|lc| lc.eq_ignore_ascii_case(c)))
        })
        .await
    }

    pub async fn update_lead(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: u64,
        patch: LeadPatch,
    ) -> Result<Versioned<Lead>, UpdateLeadError> {
        let tenant = &actor.tenant;
        let current: Versioned<Lead> = self.load(&keys::lead(tenant, id)).await?.ok_or(UpdateLeadError::NotFound)?;
        if current.version != expected {
            return Err(UpdateLeadError::Stale { expected });
        }
        if current.value.status == LeadStatus::Converted {
            return Err(UpdateLeadError::Converted);
        }
        let before = current.value;
        let mut e = ValidationErrors::new();
        let country = match &patch.country {
            Some(c) => check_country(&mut e, "country", c).unwrap_or_default(),
            None => DEFAULT_COUNTRY.into(),
        };
        let pick = |patched: &Option<Option<String>>, old: &Option<String>| match patched {
            Some(v) => v.clone(),
            None => old.clone(),
        };
        let name = patch.name.clone().unwrap_or_else(|| before.fields.name.clone());
        let email = pick(&patch.email, &before.fields.email);
        let phone = pick(&patch.phone, &before.fields.phone);
        let company = pick(&patch.company, &before.fields.company);
        let raw = RawLead {
            name: Some(&name),
            email: email.as_deref(),
            phone: phone.as_deref(),
            company: company.as_deref(),
            message: before.fields.message.as_deref(),
            ..Default::default()
        };
        let fields =
            LeadFields::normalise(&raw, before.fields.custom_fields.clone(), &country, &|f| f.to_owned(), &mut e);
        let status = patch.status.unwrap_or(before.status);
        if status == LeadStatus::Converted && before.status != LeadStatus::Converted {
            e.add("status", "use POST /leads/{id}/convert to convert a lead");
        }
        let reason = match &patch.disqualified_reason {
            Some(v) => v.clone(),
            None => before.disqualified_reason.clone(),
        };
        let reason = e.optional_text("disqualifiedReason", reason.as_deref(), crate::account::SHORT_TEXT_MAX, false);
        e.finish()?;
        let owner = match &patch.owner {
            Some(v) => v.clone(),
            None => before.owner.clone(),
        };
        let mut lead = before.clone();
        lead.fields = fields;
        lead.status = status;
        lead.disqualified_reason = if status == LeadStatus::Disqualified { reason } else { None };
        lead.owner = owner;
        if lead == before {
            return Ok(Versioned { value: before, version: expected });
        }
        lead.updated_at = self.clock.now();
        lead.updated_by = actor.user.clone();
        let version = expected + 1;
        let mut ops = vec![WriteOp::Put {
            item: lead_item(tenant, &lead, version)?,
            condition: Condition::version_is(conditions::LEAD, expected),
        }];
        let moves = [
            (
                before.fields.email.as_deref(),
                lead.fields.email.as_deref(),
                keys::lead_email as fn(&TenantId, &str) -> Key,
                conditions::LEAD_EMAIL,
            ),
            (before.fields.phone.as_deref(), lead.fields.phone.as_deref(), keys::lead_phone, conditions::LEAD_PHONE),
        ];
        for (old, new, key_of, claim) in moves {
            if old == new {
                continue;
            }
            if let Some(new) = new {
                ops.push(WriteOp::Put {
                    item: claim_item(key_of(tenant, new), ClaimOwner::Lead(id))?,
                    condition: Condition::not_exists(claim),
                });
            }
            if let Some(old) = old {
                ops.push(WriteOp::Delete { key: key_of(tenant, old), condition: Condition::ALWAYS });
            }
        }
        if lead.status != before.status {
            let kind = EventKind::StatusChanged {
                from: before.status,
                to: lead.status,
                reason: lead.disqualified_reason.clone(),
            };
            ops.push(self.lead_history_op(actor, id, version, kind)?);
        }
        if lead.owner != before.owner
            && let Some(to) = &lead.owner
        {
            ops.push(self.lead_history_op(
                actor,
                id,
                version,
                EventKind::Assigned { from: before.owner.clone(), to: to.clone(), pool: None },
            )?);
        }
        let changes = crate::history::FieldChange::between(&before.fields, &lead.fields);
        if !changes.is_empty() {
            ops.push(self.lead_history_op(actor, id, version, EventKind::Updated { changes })?);
        }
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: lead, version }),
            Err(StoreError::ConditionFailed { name: conditions::LEAD }) => Err(UpdateLeadError::Stale { expected }),
            Err(StoreError::ConditionFailed { name: conditions::LEAD_EMAIL | conditions::LEAD_PHONE }) => {
                match self.existing_owner(tenant, &lead.fields).await? {
                    Some((owner, key)) => Err(match duplicate(owner, &key, tenant, &lead.fields) {
                        CreateLeadError::Duplicate { field, lead_id, contact_id } => {
                            UpdateLeadError::Duplicate { field, lead_id, contact_id }
                        }
                        other => UpdateLeadError::Store(StoreError::Unavailable(other.to_string())),
                    }),
                    None => Err(UpdateLeadError::Stale { expected }),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Converts a lead into an account and a contact (new, or existing ones merged into) and
    /// optionally an opportunity, all in one transaction. The lead's e-mail and phone claims
    /// are handed to the contact, so later posts from the same person land on the contact.
    pub async fn convert_lead(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: u64,
        request: ConvertLead,
    ) -> Result<ConvertedLead, ConvertLeadError> {
        let tenant = &actor.tenant;
        let current: Versioned<Lead> = self.load(&keys::lead(tenant, id)).await?.ok_or(ConvertLeadError::NotFound)?;
        if current.version != expected {
            return Err(ConvertLeadError::Stale { expected });
        }
        if current.value.status == LeadStatus::Converted {
            return Err(ConvertLeadError::AlreadyConverted);
        }
        let lead = current.value;
        let now = self.clock.now();
        let mut ops = Vec::new();
        let mut e = ValidationErrors::new();

        // The account: existing (checked unchanged at commit) or new.
        let account = match request.account_id {
            Some(account_id) => {
                let existing = match self.load::<Account>(&keys::account(tenant, account_id)).await? {
                    Some(a) if !a.value.archived => a,
                    Some(_) => return Err(ValidationErrors::single("accountId", "the account is archived").into()),
                    None => return Err(ValidationErrors::single("accountId", "no such account").into()),
                };
                ops.push(WriteOp::Check {
                    key: keys::account(tenant, account_id),
                    condition: Condition::version_is(conditions::ACCOUNT, existing.version),
                });
                existing
            }
            None => {
                let name = request
                    .account_name
                    .clone()
                    .or_else(|| lead.fields.company.clone())
                    .unwrap_or_else(|| lead.fields.name.clone());
                let input = NewAccount {
                    name,
                    email: lead.fields.email.clone(),
                    phone: lead.fields.phone.clone(),
                    owner: lead.owner.clone(),
                    ..Default::default()
                };
                let fields = AccountFields::validate(&input).map_err(|v| {
                    let errors =
                        v.0.into_iter()
                            .map(|f| crate::FieldError { field: format!("account.{}", f.field), reason: f.reason });
                    ValidationErrors(errors.collect())
                })?;
                let account = Account::create(self.new_id(), fields, &actor.user, now);
                ops.push(WriteOp::Put {
                    item: super::accounts::account_item(actor, &account, 1)?,
                    condition: Condition::not_exists(conditions::ACCOUNT),
                });
                Versioned { value: account, version: 1 }
            }
        };

        // The contact: existing (its empty fields filled) or new (with its e-mail claim).
        let (first_name, last_name) = split_name(&lead.fields.name);
        let contact = match request.contact_id {
            Some(contact_id) => {
                let existing = match self.load::<Contact>(&keys::contact(tenant, contact_id)).await? {
                    Some(c) if !c.value.archived => c,
                    Some(_) => return Err(ValidationErrors::single("contactId", "the contact is archived").into()),
                    None => return Err(ValidationErrors::single("contactId", "no such contact").into()),
                };
                let mut merged = existing.value.clone();
                merged.phone = merged.phone.or_else(|| lead.fields.phone.clone());
                merged.account_id = merged.account_id.or(Some(account.value.id));
                let claims_email = merged.email.is_none() && lead.fields.email.is_some();
                if claims_email {
                    merged.email = lead.fields.email.clone();
                }
                merged.updated_at = now;
                merged.updated_by = actor.user.clone();
                let version = existing.version + 1;
                ops.push(WriteOp::Put {
                    item: super::contacts::contact_item(actor, &merged, version)?,
                    condition: Condition::version_is(conditions::CONTACT, existing.version),
                });
                if claims_email {
                    ops.push(super::contacts::email_claim_op(
                        actor,
                        merged.email.as_deref().unwrap_or_default(),
                        merged.id,
                    )?);
                }
                Versioned { value: merged, version }
            }
            None => {
                let contact = Contact {
                    id: self.new_id(),
                    first_name,
                    last_name,
                    email: lead.fields.email.clone(),
                    phone: lead.fields.phone.clone(),
                    title: None,
                    account_id: Some(account.value.id),
                    locale: None,
                    archived: false,
                    created_at: now,
                    created_by: actor.user.clone(),
                    updated_at: now,
                    updated_by: actor.user.clone(),
                };
                ops.push(WriteOp::Put {
                    item: super::contacts::contact_item(actor, &contact, 1)?,
                    condition: Condition::not_exists(conditions::CONTACT),
                });
                if let Some(email) = &contact.email {
                    ops.push(super::contacts::email_claim_op(actor, email, contact.id)?);
                }
                Versioned { value: contact, version: 1 }
            }
        };

        let opportunity = match &request.opportunity {
            Some(input) => {
                let name = e.text("opportunity.name", &input.name, crate::account::NAME_MAX, false);
                input.amount.validate("opportunity.amount", &mut e);
                let opportunity = Opportunity {
                    id: self.new_id(),
                    name: name.unwrap_or_default(),
                    account_id: account.value.id,
                    contact_id: contact.value.id,
                    amount: input.amount.clone(),
                    stage: input.stage,
                    lead_id: lead.id,
                    owner: lead.owner.clone(),
                    created_at: now,
                    created_by: actor.user.clone(),
                };
                let item = Item::new(
                    keys::opportunity(tenant, opportunity.id),
                    OPPORTUNITY_ENTITY,
                    1,
                    records::body(&opportunity)?,
                )
                .with_index(Index::Gsi3, keys::opportunities_of_account(tenant, account.value.id, opportunity.id));
                ops.push(WriteOp::Put { item, condition: Condition::not_exists(conditions::OPPORTUNITY) });
                Some(opportunity)
            }
            None => None,
        };
        e.finish()?;

        let version = expected + 1;
        let mut converted = lead.clone();
        converted.status = LeadStatus::Converted;
        converted.converted = Some(Conversion {
            account_id: account.value.id,
            contact_id: contact.value.id,
            opportunity_id: opportunity.as_ref().map(|o| o.id),
            at: now,
            by: actor.user.clone(),
        });
        converted.updated_at = now;
        converted.updated_by = actor.user.clone();
        ops.push(WriteOp::Put {
            item: lead_item(tenant, &converted, version)?,
            condition: Condition::version_is(conditions::LEAD, expected),
        });
        // Later posts with the lead's e-mail or phone now land on the contact.
        for (key, claim) in [
            lead.fields.email.as_deref().map(|m| (keys::lead_email(tenant, m), conditions::LEAD_EMAIL)),
            lead.fields.phone.as_deref().map(|p| (keys::lead_phone(tenant, p), conditions::LEAD_PHONE)),
        ]
        .into_iter()
        .flatten()
        {
            ops.push(WriteOp::Put {
                item: claim_item(key, ClaimOwner::Contact(contact.value.id))?,
                condition: Condition::exists(claim),
            });
        }
        let kind = EventKind::Converted {
            account_id: account.value.id,
            contact_id: contact.value.id,
            opportunity_id: opportunity.as_ref().map(|o| o.id),
        };
        ops.push(self.lead_history_op(actor, id, version, kind)?);
        let status = EventKind::StatusChanged { from: lead.status, to: LeadStatus::Converted, reason: None };
        ops.push(self.lead_history_op(actor, id, version, status)?);
        match self.store.write(ops).await {
            Ok(()) => {
                Ok(ConvertedLead { lead: Versioned { value: converted, version }, account, contact, opportunity })
            }
            Err(StoreError::ConditionFailed { name: conditions::LEAD }) => Err(ConvertLeadError::Stale { expected }),
            Err(StoreError::ConditionFailed { name: conditions::CONTACT_EMAIL }) => {
                let email = lead.fields.email.as_deref().unwrap_or_default();
                Err(ConvertLeadError::ContactEmailTaken { existing: self.email_owner(actor, email).await? })
            }
            Err(StoreError::ConditionFailed { .. }) => Err(ConvertLeadError::Conflict),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_opportunity(
        &self,
        actor: &Actor,
        id: EntityId,
    ) -> Result<Versioned<Opportunity>, GetOpportunityError> {
        self.load(&keys::opportunity(&actor.tenant, id)).await?.ok_or(GetOpportunityError::NotFound)
    }
}

/// A notification effect about a lead.
fn lead_effect(
    tenant: &TenantId,
    lead: &Lead,
    occurrence: &str,
    template: &str,
    to: Recipient,
    users: Vec<UserId>,
) -> EffectMessage {
    let audience = match to {
        Recipient::Owner => "owner",
        Recipient::Supervisor => "supervisor",
        Recipient::Customer => "customer",
    };
    let id = effect_id(tenant, &format!("lead:{}", lead.id), occurrence, &format!("{audience}:notify:{template}"));
    let mut notification = Notification::new(tenant, Subject::Lead { id: lead.id }, template, to);
    notification.users = users;
    notification.occurrence = Some(occurrence.to_owned());
    EffectMessage::new(id, notification)
}

fn duplicate(owner: ClaimOwner, key: &Key, tenant: &TenantId, fields: &LeadFields) -> CreateLeadError {
    let field = if fields
        .email
        .as_deref()
        .is_some_and(|m| key == &keys::lead_email(tenant, m) || key == &keys::contact_email(tenant, m))
    {
        "email"
    } else {
        "phone"
    };
    match owner {
        ClaimOwner::Lead(id) => CreateLeadError::Duplicate { field, lead_id: Some(id), contact_id: None },
        ClaimOwner::Contact(id) => CreateLeadError::Duplicate { field, lead_id: None, contact_id: Some(id) },
    }
}

fn check_custom_fields(e: &mut ValidationErrors, fields: BTreeMap<String, String>) -> BTreeMap<String, String> {
    if fields.len() > 50 {
        e.add("customFields", "must have at most 50 fields");
        return BTreeMap::new();
    }
    let mut checked = BTreeMap::new();
    for (key, value) in fields {
        let field = format!("customFields.{key}");
        if key.is_empty() || key.len() > 64 || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            e.add(field, "keys are 1 to 64 letters, digits, '_' or '-'");
            continue;
        }
        if let Some(v) = e.optional_text(&field, Some(&value), crate::lead::CUSTOM_VALUE_MAX, true) {
            checked.insert(key, v);
        }
    }
    checked
}

/// Splits a full name for the contact, predictably (staff can correct it): two or three words
/// are a first name and the rest ("Íñigo Peña Soto" → "Íñigo", "Peña Soto": the double
/// surname of Spain and Latin America); four or more keep the last two as surnames
/// ("María José Núñez Soto" → "María José", "Núñez Soto").
fn split_name(name: &str) -> (String, Option<String>) {
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.len() {
        0 => (String::new(), None),
        1 => (words[0].to_owned(), None),
        2 | 3 => (words[0].to_owned(), Some(words[1..].join(" "))),
        n => (words[..n - 2].join(" "), Some(words[n - 2..].join(" "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_with_double_surnames() {
        assert_eq!(split_name("Ana"), ("Ana".into(), None));
        assert_eq!(split_name("Ana Pérez"), ("Ana".into(), Some("Pérez".into())));
        assert_eq!(split_name("Íñigo Peña Soto"), ("Íñigo".into(), Some("Peña Soto".into())));
        assert_eq!(split_name("María José Núñez Soto"), ("María José".into(), Some("Núñez Soto".into())));
    }

    #[test]
    fn creation_windows_are_id_ranges() {
        let at: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
        let floor = id_floor(at);
        let id = ulid::Ulid::from_parts(u64::try_from(at.as_millisecond()).unwrap(), 12345).to_string();
        assert!(floor <= id);
        let before =
            ulid::Ulid::from_parts(u64::try_from(at.as_millisecond()).unwrap() - 1, u128::MAX >> 48).to_string();
        assert!(before < floor);
    }
}
