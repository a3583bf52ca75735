//! Lead intake, staff work on leads, and conversion.
//!
//! Intake is where duplicates are stopped. A lead's normalised e-mail and phone each have a
//! uniqueness item pointing at the lead (or, after conversion, at its contact). A post whose
//! e-mail or phone is claimed becomes an activity on the owner; otherwise the lead, its claims,
//! its first activity, its assignment and its effects are written in one transaction whose
//! claim puts are conditional, so of two concurrent posts one creates and the other, finding
//! the claim taken, retries as an activity.

mod conversion;
mod intake;

use crate::ExpectedVersion;
use crate::actor::Redacted;
use crate::service::outbox::OutboxOwner;
use crate::webhook::WebhookEventType;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::change::event_put;
use super::merged_list::list_merged;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::access::Module;
use crate::actor::Actor;
use crate::history::{EventKind, HistoryEvent};
use crate::ids::{EntityId, FormId, TenantId, UserId};
use crate::keys;
use crate::lead::{
    Attribution, DEFAULT_COUNTRY, Lead, LeadFields, LeadPatch, LeadStatus, NewLead, RawLead, check_country,
};
use crate::ports::{Condition, Index, Item, Key, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::search::SearchKind;
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

use crate::messages as msg;
pub use conversion::{ConvertLeadError, ConvertedLead};
pub use intake::PostOutcome;
pub(crate) use intake::{AcceptError, Intake};

pub const ENTITY: &str = "Lead";
pub const CLAIM_ENTITY: &str = "LeadClaim";
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

#[derive(Debug, thiserror::Error)]
pub enum CreateLeadError {
    #[error(transparent)]
    Forbidden(#[from] crate::actor::Forbidden),
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
    #[error(transparent)]
    Forbidden(#[from] crate::actor::Forbidden),
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
    /// Words the lead is found by (name, company, e-mail, phone), each the start of a word,
    /// without case or accents.
    pub words: Option<String>,
}

impl LeadFilter {
    /// Whether `lead` passes every filter (the listing's key range applies the owner and the
    /// creation window too; a word search relies on these checks alone).
    fn matches(&self, lead: &Lead) -> bool {
        self.status.is_none_or(|s| lead.status == s)
            && self.owner.as_ref().is_none_or(|o| lead.owner.as_ref() == Some(o))
            && self.created_from.is_none_or(|from| lead.created_at >= from)
            && self.created_to.is_none_or(|to| lead.created_at < to)
            && self.channel.as_deref().is_none_or(|c| lead.source.channel == c)
            && self.form_id.as_ref().is_none_or(|f| lead.source.form_id.as_ref() == Some(f))
            && self
                .campaign
                .as_deref()
                .is_none_or(|c| lead.source.campaign.as_deref().is_some_and(|lc| lc.eq_ignore_ascii_case(c)))
    }
}

fn lead_item(tenant: &TenantId, lead: &Lead, version: u64) -> Result<Item, StoreError> {
    let mut item = Item::new(keys::lead(tenant, lead.id), ENTITY, version, records::body(lead)?)
        .with_index(Index::Gsi1, keys::leads_listing(tenant, lead.id));
    if let Some(owner) = &lead.owner {
        item = item.with_index(Index::Gsi2, keys::leads_of_owner(tenant, owner, lead.id));
    }
    if let Some(conversion) = &lead.converted {
        item = item.with_index(Index::Gsi3, keys::leads_of_account(tenant, conversion.account_id, lead.id));
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
pub(crate) fn id_floor(at: jiff::Timestamp) -> String {
    let millis = u64::try_from(at.as_millisecond()).unwrap_or(0);
    ulid::Ulid::from_parts(millis, 0).to_string()
}

/// The last id made before an instant: the exclusive upper end of a creation-time range.
pub(crate) fn id_before(at: jiff::Timestamp) -> String {
    let floor = ulid::Ulid::from_string(&id_floor(at)).unwrap_or_default();
    ulid::Ulid(floor.0.saturating_sub(1)).to_string()
}

impl Services {
    pub(crate) fn lead_history_op(
        &self,
        actor: &Actor,
        lead: EntityId,
        version: u64,
        kind: EventKind,
    ) -> Result<WriteOp, StoreError> {
        let event = self.new_event(actor, version, kind);
        event_put(keys::lead_event(&actor.tenant, lead, event.id), &event)
    }

    fn contact_history_op(&self, actor: &Actor, contact: EntityId, kind: EventKind) -> Result<WriteOp, StoreError> {
        let event = self.new_event(actor, 0, kind);
        let key =
            Key::new(keys::contact(&actor.tenant, contact).pk, format!("{}{}", keys::CASE_EVENT_PREFIX, event.id));
        event_put(key, &event)
    }

    /// Who already owns this e-mail or phone: a lead, or a contact.
    async fn existing_owner(
        &self,
        tenant: &TenantId,
        fields: &LeadFields,
    ) -> Result<Option<(ClaimOwner, Key)>, StoreError> {
        // The lead claims first (e-mail, then phone), then a contact's e-mail: read in one go.
        let mut candidates = Vec::new();
        if let Some(email) = &fields.email {
            candidates.push(keys::lead_email(tenant, email));
        }
        if let Some(phone) = &fields.phone {
            candidates.push(keys::lead_phone(tenant, phone));
        }
        let lead_claims = candidates.len();
        if let Some(email) = &fields.email {
            candidates.push(keys::contact_email(tenant, email));
        }
        if candidates.is_empty() {
            return Ok(None);
        }
        let found = self.store.get_many(&candidates).await?;
        for (position, (item, key)) in found.into_iter().zip(candidates).enumerate() {
            let Some(item) = item else { continue };
            let owner = if position < lead_claims {
                claim_owner(&item)?
            } else {
                ClaimOwner::Contact(records::read::<crate::service::contacts::EmailClaim>(&item)?.contact_id)
            };
            return Ok(Some((owner, key)));
        }
        Ok(None)
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
        actor.permit_fields(Module::Leads, &input)?;
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
        if let Some(owner) = &input.owner
            && self.user(&actor.tenant, owner).await?.is_none()
        {
            e.add("owner", msg::no_such_user());
        }
        e.finish()?;
        // A lead someone enters is theirs to work unless they name its owner: never nobody's.
        let owner = input.owner.clone().unwrap_or_else(|| actor.user.clone());
        if let Some((owner, key)) = self.existing_owner(&actor.tenant, &fields).await? {
            return Err(duplicate(owner, &key, &actor.tenant, &fields));
        }
        let now = self.clock.now();
        let lead = Lead {
            id: self.new_id(),
            status: LeadStatus::New,
            fields,
            source: Attribution { channel: "manual".into(), campaign, ..Default::default() },
            owner: Some(owner),
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
        ops.extend(super::search::index_changes(&actor.tenant, None::<&Lead>, &lead)?);
        ops.push(self.lead_history_op(actor, lead.id, 1, EventKind::Created { state: "new".into() })?);
        if let Some(owner) = &lead.owner {
            ops.push(self.lead_history_op(
                actor,
                lead.id,
                1,
                EventKind::Assigned { from: None, to: owner.clone(), pool: None },
            )?);
        }
        let announced = self.announce_lead(&actor.tenant, &lead, 1, WebhookEventType::LeadCaptured).await?;
        let announced = announced.map(|(op, message)| {
            ops.push(op);
            message
        });
        match self.store.write(ops).await {
            Ok(()) => {
                if let Some(message) = announced {
                    self.publish_committed(&actor.tenant, OutboxOwner::Lead(lead.id), &[message]).await;
                }
                Ok(Versioned { value: lead, version: 1 }.redacted(actor))
            }
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
        Ok(self.lead_seen(actor, id).await?.ok_or(GetLeadError::NotFound)?.redacted(actor))
    }

    /// The lead, when it exists and is within the actor's scope (outside it, it does not
    /// exist to them).
    pub(crate) async fn lead_seen(&self, actor: &Actor, id: EntityId) -> Result<Option<Versioned<Lead>>, StoreError> {
        let lead: Option<Versioned<Lead>> = self.load(&keys::lead(&actor.tenant, id)).await?;
        Ok(lead.filter(|l| actor.sees(Module::Leads, l.value.owner.as_ref())))
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
        let mut events = list_page(self.store.as_ref(), query, page, |_| true).await?;
        actor.redact_events(&[Module::Leads], events.items.iter_mut().map(|e| &mut e.value));
        Ok(events)
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
        let mut events = list_page(self.store.as_ref(), query, page, |_| true).await?;
        // What a form post said is the contact's data, and was a lead's.
        actor.redact_events(&[Module::Contacts, Module::Leads], events.items.iter_mut().map(|e| &mut e.value));
        Ok(events)
    }

    pub async fn list_leads(
        &self,
        actor: &Actor,
        filter: &LeadFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Lead>>, ListError> {
        self.leads_page(actor, filter, page).await.redacted(actor)
    }

    async fn leads_page(
        &self,
        actor: &Actor,
        filter: &LeadFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Lead>>, ListError> {
        let tenant = &actor.tenant;
        let owners = actor.owners_seen(Module::Leads);
        if let (Some(owners), Some(owner)) = (&owners, &filter.owner)
            && !owners.contains(owner)
        {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let seen = |l: &Lead| owners.as_ref().is_none_or(|o| l.owner.as_ref().is_some_and(|owner| o.contains(owner)));
        let keep = |lead: &Lead| filter.matches(lead) && seen(lead);
        if let Some(words) = filter.words.as_deref().filter(|w| !w.trim().is_empty()) {
            return self.search_records(actor, words, SearchKind::Lead, keys::lead, keep, page).await;
        }
        // Within a scope, the listings of the owners it reaches (one, or several merged).
        let partitions: Vec<Query> = match (&filter.owner, &owners) {
            (Some(owner), _) => vec![Query::index(Index::Gsi2, keys::leads_of_owner_partition(tenant, owner))],
            (None, Some(owners)) => owners
                .iter()
                .map(|owner| Query::index(Index::Gsi2, keys::leads_of_owner_partition(tenant, owner)))
                .collect(),
            (None, None) => vec![Query::index(Index::Gsi1, keys::leads_listing_partition(tenant))],
        };
        // Ids are ULIDs: a creation-time window is a key range.
        let low = filter.created_from.map_or_else(|| "0".to_owned(), id_floor);
        let high = filter.created_to.map_or_else(
            || "~".to_owned(),
            // Exclusive upper bound: the last id before `to`'s first id.
            id_before,
        );
        let range = SortKeyRange::Between(low, high);
        let mut queries: Vec<Query> = partitions.into_iter().map(|q| q.range(range.clone()).backward()).collect();
        if queries.len() == 1 {
            let query = queries.remove(0);
            return list_page(self.store.as_ref(), query, page, keep).await;
        }
        list_merged(self.store.as_ref(), queries, page, keep).await
    }

    pub async fn update_lead(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        patch: LeadPatch,
    ) -> Result<Versioned<Lead>, UpdateLeadError> {
        actor.permit_fields(Module::Leads, &patch)?;
        let tenant = &actor.tenant;
        let current = self.lead_seen(actor, id).await?.ok_or(UpdateLeadError::NotFound)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| UpdateLeadError::Stale { expected: expected.named() })?;
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
            e.add("status", msg::use_convert());
        }
        let reason = match &patch.disqualified_reason {
            Some(v) => v.clone(),
            None => before.disqualified_reason.clone(),
        };
        let reason = e.optional_text("disqualifiedReason", reason.as_deref(), crate::account::SHORT_TEXT_MAX, false);
        if let Some(Some(owner)) = &patch.owner
            && before.owner.as_ref() != Some(owner)
            && self.user(&actor.tenant, owner).await?.is_none()
        {
            e.add("owner", msg::no_such_user());
        }
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
            return Ok(Versioned { value: before, version: expected }.redacted(actor));
        }
        lead.updated_at = self.clock.now();
        lead.updated_by = actor.user.clone();
        let version = expected + 1;
        let mut ops = vec![WriteOp::Put {
            item: lead_item(tenant, &lead, version)?,
            condition: Condition::version_is(conditions::LEAD, expected),
        }];
        ops.extend(super::search::index_changes(tenant, Some(&before), &lead)?);
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
            Ok(()) => Ok(Versioned { value: lead, version }.redacted(actor)),
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
        e.add("customFields", msg::at_most_items(50));
        return BTreeMap::new();
    }
    let mut checked = BTreeMap::new();
    for (key, value) in fields {
        let field = format!("customFields.{key}");
        if key.is_empty() || key.len() > 64 || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            e.add(field, msg::lead_custom_field_key());
            continue;
        }
        if let Some(v) = e.optional_text(&field, Some(&value), crate::lead::CUSTOM_VALUE_MAX, true) {
            checked.insert(key, v);
        }
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

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
