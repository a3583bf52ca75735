//! Lead intake: a form post (or a released submission) becomes a new lead, or an activity on
//! the lead or contact that already owns its e-mail or phone.

use serde::{Deserialize, Serialize};

use super::{ClaimOwner, INTAKE_ATTEMPTS, lead_item};
use crate::actor::Actor;
use crate::case_type::Recipient;
use crate::effects::{EffectMessage, Notification, Subject};
use crate::form::{FormDefinition, MappedSubmission};
use crate::history::EventKind;
use crate::ids::{EntityId, FormId, TenantId, UserId};
use crate::lead::{Lead, LeadStatus};
use crate::ports::{Condition, StoreError, WriteOp};
use crate::service::assignment::Workload;
use crate::service::outbox::{OutboxOwner, effect_id};
use crate::service::{Services, conditions};
use crate::webhook::WebhookEventType;

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

impl Services {
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
        ops.extend(crate::service::search::index_changes(tenant, None::<&Lead>, &lead)?);
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
        // Published with the e-mails, but not one of the lead's effects.
        if let Some((op, message)) = self.announce_lead(tenant, &lead, 1, WebhookEventType::LeadCaptured).await? {
            ops.push(op);
            messages.push(message);
        }
        Ok((lead, ops, messages))
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
