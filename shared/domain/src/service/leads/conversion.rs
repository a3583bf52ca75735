//! Lead conversion: a lead becomes an account, a contact and optionally an opportunity, in one
//! transaction.

use super::{ClaimOwner, claim_item, lead_item};
use crate::ExpectedVersion;
use crate::actor::Redacted;
use crate::service::outbox::OutboxOwner;
use crate::service::search::index_changes;
use crate::webhook::WebhookEventType;
use jiff::Timestamp;

use crate::access::Module;
use crate::account::{Account, AccountFields, NewAccount};
use crate::actor::Actor;
use crate::contact::Contact;
use crate::history::EventKind;
use crate::ids::PipelineKey;
use crate::ids::{EntityId, TenantId};
use crate::keys;
use crate::lead::{Conversion, ConvertLead, Lead, LeadStatus};
use crate::messages as msg;
use crate::ports::{Condition, Index, Query, StoreError, WriteOp};
use crate::records;
use crate::sales::Opportunity;
use crate::service::{ListError, PageRequest, Services, conditions, list_page};
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

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

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertedLead {
    pub lead: Versioned<Lead>,
    pub account: Versioned<Account>,
    pub contact: Versioned<Contact>,
    pub opportunity: Option<Opportunity>,
}

impl Services {
    /// Converts a lead into an account and a contact (new, or existing ones merged into) and
    /// optionally an opportunity, all in one transaction. The lead's e-mail and phone claims
    /// are handed to the contact, so later posts from the same person land on the contact.
    pub async fn convert_lead(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        request: ConvertLead,
    ) -> Result<ConvertedLead, ConvertLeadError> {
        let tenant = &actor.tenant;
        let current = self.lead_seen(actor, id).await?.ok_or(ConvertLeadError::NotFound)?;
        let expected =
            expected.admit(current.version).ok_or_else(|| ConvertLeadError::Stale { expected: expected.named() })?;
        if current.value.status == LeadStatus::Converted {
            return Err(ConvertLeadError::AlreadyConverted);
        }
        let lead = current.value;
        let now = self.clock.now();
        let mut ops = Vec::new();
        let mut e = ValidationErrors::new();

        let account = self.conversion_account(actor, &lead, &request, now, &mut ops).await?;
        let contact = self.conversion_contact(actor, &lead, &request, &account, now, &mut ops).await?;
        let opportunity =
            self.conversion_opportunity(actor, &lead, &request, (&account, &contact), now, &mut ops, &mut e).await?;
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
        let announced = self.announce_lead(tenant, &converted, version, WebhookEventType::LeadConverted).await?;
        let announced = announced.map(|(op, message)| {
            ops.push(op);
            message
        });
        match self.store.write(ops).await {
            Ok(()) => {
                if let Some(message) = announced {
                    self.publish_committed(tenant, OutboxOwner::Lead(id), &[message]).await;
                }
                Ok(ConvertedLead {
                    lead: Versioned { value: converted, version }.redacted(actor),
                    account: account.redacted(actor),
                    contact: contact.redacted(actor),
                    opportunity,
                })
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

    /// The account a lead converts into: an existing one (checked unchanged at commit) or a new
    /// one made from the lead.
    async fn conversion_account(
        &self,
        actor: &Actor,
        lead: &Lead,
        request: &ConvertLead,
        now: Timestamp,
        ops: &mut Vec<WriteOp>,
    ) -> Result<Versioned<Account>, ConvertLeadError> {
        let tenant = &actor.tenant;
        let account = match request.account_id {
            Some(account_id) => {
                let existing = match self.load::<Account>(&keys::account(tenant, account_id)).await? {
                    Some(a) if !a.value.archived => a,
                    Some(_) => return Err(ValidationErrors::single("accountId", msg::account_archived()).into()),
                    None => return Err(ValidationErrors::single("accountId", msg::no_such_account()).into()),
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
                    item: crate::service::accounts::account_item(actor, &account, 1)?,
                    condition: Condition::not_exists(conditions::ACCOUNT),
                });
                ops.extend(index_changes(&actor.tenant, None::<&Account>, &account)?);
                Versioned { value: account, version: 1 }
            }
        };
        Ok(account)
    }

    /// The contact a lead converts into: an existing one (its empty fields filled, its e-mail
    /// claimed if it had none) or a new one with the lead's e-mail claim.
    async fn conversion_contact(
        &self,
        actor: &Actor,
        lead: &Lead,
        request: &ConvertLead,
        account: &Versioned<Account>,
        now: Timestamp,
        ops: &mut Vec<WriteOp>,
    ) -> Result<Versioned<Contact>, ConvertLeadError> {
        let tenant = &actor.tenant;
        let (first_name, last_name) = split_name(&lead.fields.name);
        let contact = match request.contact_id {
            Some(contact_id) => {
                let existing = match self.load::<Contact>(&keys::contact(tenant, contact_id)).await? {
                    Some(c) if !c.value.archived => c,
                    Some(_) => return Err(ValidationErrors::single("contactId", msg::contact_archived()).into()),
                    None => return Err(ValidationErrors::single("contactId", msg::no_such_contact()).into()),
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
                    item: crate::service::contacts::contact_item(actor, &merged, version)?,
                    condition: Condition::version_is(conditions::CONTACT, existing.version),
                });
                ops.extend(index_changes(tenant, Some(&existing.value), &merged)?);
                if claims_email {
                    ops.push(crate::service::contacts::email_claim_op(
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
                    item: crate::service::contacts::contact_item(actor, &contact, 1)?,
                    condition: Condition::not_exists(conditions::CONTACT),
                });
                ops.extend(index_changes(tenant, None::<&Contact>, &contact)?);
                if let Some(email) = &contact.email {
                    ops.push(crate::service::contacts::email_claim_op(actor, email, contact.id)?);
                }
                Versioned { value: contact, version: 1 }
            }
        };
        Ok(contact)
    }

    /// The opportunity a conversion opens, when asked for; its errors go to `e`.
    #[expect(clippy::too_many_arguments, reason = "the conversion's parts, passed as the caller holds them")]
    async fn conversion_opportunity(
        &self,
        actor: &Actor,
        lead: &Lead,
        request: &ConvertLead,
        (account, contact): (&Versioned<Account>, &Versioned<Contact>),
        now: Timestamp,
        ops: &mut Vec<WriteOp>,
        e: &mut ValidationErrors,
    ) -> Result<Option<Opportunity>, ConvertLeadError> {
        let Some(input) = &request.opportunity else { return Ok(None) };
        let pipelines = self.pipelines_of(&actor.tenant).await?.value;
        let Some(place) = pipelines.entry(input.pipeline.as_ref(), input.stage.as_ref()) else {
            let key = input.pipeline.as_ref().map_or("", PipelineKey::as_str);
            e.add("opportunity.pipeline", msg::no_such_pipeline(key));
            return Ok(None);
        };
        let by = (&actor.user, now);
        let mut opportunity = Opportunity {
            expected_close_date: input.expected_close_date,
            contact_ids: vec![contact.value.id],
            owner: lead.owner.clone(),
            // Where the lead came from: the campaign's source when it said (`utm_source`), else
            // the channel.
            source: Some(lead.source.utm.get("source").cloned().unwrap_or_else(|| lead.source.channel.clone())),
            campaign: lead.source.campaign.clone(),
            lead_id: Some(lead.id),
            ..Opportunity::open(self.new_id(), input.name.clone(), place, input.amount.clone(), account.value.id, by)
        };
        // The opportunity's fields are reported under `opportunity.`, as the request names them.
        let mut own = ValidationErrors::new();
        opportunity.clean_texts(&mut own);
        opportunity.settle(None, &pipelines, now, &mut own);
        for error in own.0 {
            e.add(format!("opportunity.{}", error.field), error.reason);
        }
        ops.extend(self.new_opportunity_ops(actor, &opportunity)?);
        Ok(Some(opportunity))
    }

    /// `GET /accounts/{id}/leads`: the leads converted into the account (with an opportunity
    /// or without), oldest first.
    pub async fn account_leads(
        &self,
        actor: &Actor,
        account: EntityId,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Lead>>, ListError> {
        let query = Query::index(Index::Gsi3, keys::leads_of_account_partition(&actor.tenant, account));
        list_page(self.store.as_ref(), query, page, |l: &Lead| actor.sees(Module::Leads, l.owner.as_ref()))
            .await
            .redacted(actor)
    }

    /// Indexes the leads converted before converted leads were listed under their account
    /// (idempotent; the local runner runs it at every start); returns how many it rewrote.
    pub async fn index_converted_leads(&self, tenant: &TenantId) -> Result<usize, StoreError> {
        let mut query = Query::index(Index::Gsi1, keys::leads_listing_partition(tenant)).limit(100);
        let mut rewritten = 0;
        loop {
            let page = self.store.query(&query).await?;
            for item in page.items.iter().filter(|item| item.index(Index::Gsi3).is_none()) {
                let lead: Lead = records::read(item)?;
                if lead.converted.is_none() {
                    continue;
                }
                // The same lead at the same version: only its index entry is new.
                let put = WriteOp::Put {
                    item: lead_item(tenant, &lead, item.version)?,
                    condition: Condition::version_is(conditions::LEAD, item.version),
                };
                rewritten += usize::from(self.backfill(put).await?);
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(rewritten),
            }
        }
    }
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
}
