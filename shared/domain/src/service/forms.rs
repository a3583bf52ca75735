//! Form administration and the public form post: validation, spam checks, quarantine and the
//! idempotent hand-over to lead intake ([`super::leads`]).
//!
//! Order of a post: the form must exist and allow the page's origin; a filled honeypot is
//! counted and dropped; the fields are mapped and validated (422 naming the form's own field);
//! a repeated idempotency key replays the first outcome; then the rate-limit windows are
//! counted and the signed timestamp checked, and a suspicious post is kept in quarantine
//! rather than dropped. Everything else becomes a lead or an activity on an existing one.

use crate::ExpectedVersion;
use crate::access::{Module, Operation, Permission};
use crate::actor::Redacted;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::leads::{AcceptError, Intake, PostOutcome};
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::actor::{Actor, Forbidden, Role};
use crate::form::{
    Form, FormDefinition, FormStats, MappedSubmission, PostMeta, StoredForm, Suspicion, TOKEN_FIELD, TokenSigner,
};
use crate::ids::{EntityId, FormId, TenantId, UserId};
use crate::keys;
use crate::lead::form_body::Fields;
use crate::lead::{Attribution, LeadFields};
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const FORM_ENTITY: &str = "Form";
pub const SUBMISSION_ENTITY: &str = "LeadSubmission";
pub const POST_ENTITY: &str = "FormPost";
/// How long a post's idempotency record is kept.
const IDEMPOTENCY_SECONDS: i64 = 24 * 3600;

/// A post to the public endpoint, as the edge parsed it.
#[derive(Debug, Clone)]
pub struct IncomingPost {
    pub tenant: TenantId,
    pub form: FormId,
    pub fields: Fields,
    pub meta: PostMeta,
    /// The `Idempotency-Key` header; without one, the form's signed timestamp serves.
    pub idempotency_key: Option<String>,
}

/// The answer to a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostReceipt {
    pub outcome: PostOutcome,
    /// Where a browser goes next, if the form says.
    pub redirect: Option<String>,
    /// True when this is the stored answer to an earlier post with the same idempotency key.
    pub replayed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostRecord {
    outcome: PostOutcome,
    #[serde(default)]
    redirect: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitFormError {
    #[error("no such form")]
    FormNotFound,
    #[error("the form does not accept posts from this origin")]
    OriginNotAllowed,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum PutFormError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the form changed since version {expected}")]
    Stale { expected: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum GetFormError {
    #[error("no such form")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A post kept in quarantine (or released or discarded from it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Submission {
    pub id: EntityId,
    pub form_id: FormId,
    /// `quarantined`, `released` or `discarded`.
    pub status: String,
    pub reasons: Vec<Suspicion>,
    pub fields: LeadFields,
    pub attribution: Attribution,
    pub ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub received_at: Timestamp,
    /// What release produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub outcome: Option<PostOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<Timestamp>,
}

impl Submission {
    /// The submission as a reviewer left it.
    fn reviewed(mut self, status: &str, outcome: Option<PostOutcome>, by: &UserId, at: Timestamp) -> Self {
        self.status = status.into();
        self.outcome = outcome;
        self.reviewed_by = Some(by.clone());
        self.reviewed_at = Some(at);
        self
    }
}

pub const QUARANTINED: &str = "quarantined";
pub const RELEASED: &str = "released";
pub const DISCARDED: &str = "discarded";

#[derive(Debug, thiserror::Error)]
pub enum ReviewSubmissionError {
    #[error("no such submission")]
    NotFound,
    #[error("the submission changed since version {expected}")]
    Stale { expected: u64 },
    #[error("the submission was already {0}")]
    AlreadyReviewed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn submission_item(actor_tenant: &TenantId, submission: &Submission, version: u64) -> Result<Item, StoreError> {
    Ok(Item::new(keys::submission(actor_tenant, submission.id), SUBMISSION_ENTITY, version, records::body(submission)?)
        .with_index(Index::Gsi1, keys::submissions_listing(actor_tenant, &submission.status, submission.id)))
}

/// The actor of a public post: the form itself, with the least role.
pub fn form_actor(tenant: &TenantId, form: &FormId) -> Actor {
    Actor {
        tenant: tenant.clone(),
        user: UserId::parse(&format!("form:{form}")).expect("form ids make valid user ids"),
        email: None,
        role: Role::Agent,
        profile: None,
        circle: None,
        from: None,
        log_retention_days: None,
    }
}

/// The one-minute window an instant falls in, and when its counter may expire.
fn minute_window(now: Timestamp) -> (String, i64) {
    let start = now.as_second() - now.as_second().rem_euclid(60);
    let label = Timestamp::from_second(start).map(|t| t.to_string()).unwrap_or_default();
    (label.trim_end_matches(":00Z").to_owned(), start + 60 + 300)
}

impl crate::field_access::Redact for Submission {
    const MODULE: crate::access::Module = crate::access::Module::Leads;

    fn hide(&mut self, field: &str) {
        self.fields.hide(field);
    }
}

impl Services {
    async fn stored_form(&self, tenant: &TenantId, id: &FormId) -> Result<Option<Versioned<StoredForm>>, StoreError> {
        self.load(&keys::form(tenant, id)).await
    }

    /// `PUT /forms/{id}`: creates the form (`expected` = None) or replaces its definition at
    /// version `expected`. The signing key is made once and kept.
    pub async fn put_form(
        &self,
        actor: &Actor,
        id: FormId,
        expected: Option<ExpectedVersion>,
        definition: FormDefinition,
    ) -> Result<Versioned<Form>, PutFormError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        definition.validate()?;
        let tenant = &actor.tenant;
        let pools: Vec<_> = definition.assignment.iter().map(|pool| ("assignment".to_owned(), pool)).collect();
        self.unknown_pool_teams(tenant, &pools).await?.finish()?;
        let current = self.stored_form(tenant, &id).await?;
        let expected = expected.map(|e| e.pin(current.as_ref().map(|c| c.version)));
        let (signing_key, version, condition) = match (&current, expected) {
            (None, None) => (self.new_signing_key(), 1, Condition::not_exists(conditions::FORM)),
            (Some(c), Some(v)) if c.version == v => {
                (c.value.signing_key.clone(), v + 1, Condition::version_is(conditions::FORM, v))
            }
            (Some(c), None) => return Err(PutFormError::Stale { expected: c.version }),
            (_, Some(v)) => return Err(PutFormError::Stale { expected: v }),
        };
        let stored = StoredForm { id: id.clone(), definition, signing_key, updated_at: self.clock.now() };
        let item = Item::new(keys::form(tenant, &id), FORM_ENTITY, version, records::body(&stored)?)
            .with_index(Index::Gsi1, keys::forms_listing(tenant, &id));
        match self.store.write(vec![WriteOp::Put { item, condition }]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { name: conditions::FORM }) => {
                return Err(PutFormError::Stale { expected: expected.unwrap_or(0) });
            }
            Err(e) => return Err(e.into()),
        }
        let stats = self.form_stats(tenant, &id).await?;
        Ok(Versioned {
            value: Form { id, definition: stored.definition, updated_at: stored.updated_at, stats },
            version,
        })
    }

    fn new_signing_key(&self) -> String {
        let mut hash = Sha256::new();
        for _ in 0..2 {
            hash.update(self.ids.next_id().to_bytes());
        }
        hex::encode(hash.finalize())
    }

    async fn form_stats(&self, tenant: &TenantId, id: &FormId) -> Result<FormStats, StoreError> {
        let mut stats = FormStats::default();
        for (name, slot) in [
            ("honeypot", &mut stats.honeypot),
            ("quarantined", &mut stats.quarantined),
            ("accepted", &mut stats.accepted),
        ] {
            if let Some(item) = self.store.get(&keys::form_counter(tenant, id, name)).await? {
                *slot = item.body.get(crate::ports::COUNTER_ATTRIBUTE).and_then(|v| v.as_i64()).unwrap_or(0);
            }
        }
        Ok(stats)
    }

    pub async fn get_form(&self, actor: &Actor, id: &FormId) -> Result<Versioned<Form>, GetFormError> {
        let stored = self.stored_form(&actor.tenant, id).await?.ok_or(GetFormError::NotFound)?;
        let stats = self.form_stats(&actor.tenant, id).await?;
        let StoredForm { id, definition, updated_at, .. } = stored.value;
        Ok(Versioned { value: Form { id, definition, updated_at, stats }, version: stored.version })
    }

    pub async fn list_forms(&self, actor: &Actor, page: &PageRequest) -> Result<Page<Versioned<Form>>, ListError> {
        let query = Query::index(Index::Gsi1, keys::forms_listing_partition(&actor.tenant));
        let stored: Page<Versioned<StoredForm>> = list_page(self.store.as_ref(), query, page, |_| true).await?;
        // A tenant has a handful of forms: their counters are read one form at a time.
        let mut items = Vec::with_capacity(stored.items.len());
        for form in stored.items {
            let StoredForm { id, definition, updated_at, .. } = form.value;
            let stats = self.form_stats(&actor.tenant, &id).await?;
            items.push(Versioned { value: Form { id, definition, updated_at, stats }, version: form.version });
        }
        Ok(Page { items, next_cursor: stored.next_cursor })
    }

    /// What a page needs to show the form: its definition and a freshly signed timestamp.
    pub async fn form_for_page(
        &self,
        tenant: &TenantId,
        id: &FormId,
    ) -> Result<(FormDefinition, String), GetFormError> {
        let stored = self.stored_form(tenant, id).await?.ok_or(GetFormError::NotFound)?.value;
        let signer = TokenSigner { key: &stored.signing_key, tenant: tenant.as_str(), form: id.as_str() };
        let token = signer.issue(self.clock.now(), &self.new_id().to_string());
        Ok((stored.definition, token))
    }

    /// The public post. Never loses a legitimate post: suspicious ones are quarantined.
    pub async fn submit_form(&self, post: IncomingPost) -> Result<PostReceipt, SubmitFormError> {
        let tenant = &post.tenant;
        let value_of = |name: &str| post.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        // A post is idempotent by its key, or else by its signed timestamp (one per page view).
        let idempotency = post.idempotency_key.as_deref().or(value_of(TOKEN_FIELD)).map(|key| {
            let hash = hex::encode(&Sha256::digest(key.as_bytes())[..16]);
            keys::form_post(tenant, &post.form, &hash)
        });
        // The form and the record of an earlier delivery of this post, in one read.
        let mut wanted = vec![keys::form(tenant, &post.form)];
        wanted.extend(idempotency.clone());
        let mut found = self.store.get_many(&wanted).await?.into_iter();
        let form: StoredForm = records::read(&found.next().flatten().ok_or(SubmitFormError::FormNotFound)?)?;
        let earlier = found.next().flatten();
        let definition = &form.definition;
        if !definition.allows_origin(post.meta.origin.as_deref()) {
            return Err(SubmitFormError::OriginNotAllowed);
        }
        if let Some(honeypot) = &definition.honeypot
            && value_of(honeypot).is_some_and(|v| !v.trim().is_empty())
        {
            self.store.increment(&keys::form_counter(tenant, &post.form, "honeypot"), 1, None).await?;
            tracing::info!(form = %post.form, "honeypot filled: post dropped");
            let redirect = definition.redirect_url.clone();
            return Ok(PostReceipt { outcome: PostOutcome::Dropped, redirect, replayed: false });
        }
        let mut mapped = definition.map(&post.fields, &post.meta)?;
        mapped.attribution.form_id = Some(post.form.clone());
        let redirect = definition.redirect_for(&mapped.fields);

        let token = value_of(TOKEN_FIELD);
        if let Some(record) = earlier {
            let record: PostRecord = records::read(&record)?;
            return Ok(PostReceipt { outcome: record.outcome, redirect: record.redirect, replayed: true });
        }

        let now = self.clock.now();
        let mut reasons = Vec::new();
        let (minute, expires) = minute_window(now);
        let from_ip = self.store.increment(&keys::rate_ip(tenant, &post.meta.ip, &minute), 1, Some(expires)).await?;
        if from_ip > i64::from(definition.rate_limits.per_ip_per_minute) {
            reasons.push(Suspicion::IpRateLimit);
        }
        let to_form = self.store.increment(&keys::rate_form(tenant, &post.form, &minute), 1, Some(expires)).await?;
        if to_form > i64::from(definition.rate_limits.per_form_per_minute) {
            reasons.push(Suspicion::FormRateLimit);
        }
        if definition.min_fill_seconds > 0 {
            let signer = TokenSigner { key: &form.signing_key, tenant: tenant.as_str(), form: post.form.as_str() };
            if let Err(suspicion) = signer.check(token, now, definition.min_fill_seconds) {
                reasons.push(suspicion);
            }
        }

        let submission_id = self.new_id();
        let record_op = |outcome: &PostOutcome| -> Result<Option<WriteOp>, StoreError> {
            let Some(key) = &idempotency else { return Ok(None) };
            let body = records::body(&PostRecord { outcome: outcome.clone(), redirect: redirect.clone() })?;
            let mut item = Item::new(key.clone(), POST_ENTITY, 1, body);
            item.ttl = Some(now.as_second() + IDEMPOTENCY_SECONDS);
            Ok(Some(WriteOp::Put { item, condition: Condition::not_exists(conditions::FORM_POST) }))
        };
        let outcome = if reasons.is_empty() {
            let intake = Intake {
                actor: form_actor(tenant, &post.form),
                form: Some((&post.form, definition)),
                submission_id,
                mapped: &mapped,
            };
            // The record of the outcome depends on the outcome: the intake builds it.
            match self.accept_submission(&intake, &|outcome| record_op(outcome).map(|o| o.into_iter().collect())).await
            {
                Ok(outcome) => outcome,
                Err(AcceptError::Extra { .. }) => return self.replay(idempotency.as_ref()).await,
                Err(AcceptError::Store(e)) => return Err(e.into()),
            }
        } else {
            let outcome = PostOutcome::Quarantined { submission_id };
            let submission = Submission {
                id: submission_id,
                form_id: post.form.clone(),
                status: QUARANTINED.into(),
                reasons: reasons.clone(),
                fields: mapped.fields.clone(),
                attribution: mapped.attribution.clone(),
                ip: post.meta.ip.clone(),
                user_agent: post.meta.user_agent.clone(),
                received_at: now,
                outcome: None,
                reviewed_by: None,
                reviewed_at: None,
            };
            let mut ops = Vec::new();
            ops.extend(record_op(&outcome)?);
            ops.push(WriteOp::Put {
                item: submission_item(tenant, &submission, 1)?,
                condition: Condition::not_exists(conditions::SUBMISSION),
            });
            match self.store.write(ops).await {
                Ok(()) => {}
                Err(StoreError::ConditionFailed { name: conditions::FORM_POST }) => {
                    return self.replay(idempotency.as_ref()).await;
                }
                Err(e) => return Err(e.into()),
            }
            tracing::warn!(form = %post.form, ?reasons, %submission_id, "post quarantined");
            outcome
        };
        let counter = if matches!(outcome, PostOutcome::Quarantined { .. }) { "quarantined" } else { "accepted" };
        if let Err(error) = self.store.increment(&keys::form_counter(tenant, &post.form, counter), 1, None).await {
            tracing::warn!(%error, "form counter not updated");
        }
        Ok(PostReceipt { outcome, redirect, replayed: false })
    }

    /// A concurrent post with the same idempotency key won: answer what it answered.
    async fn replay(&self, key: Option<&crate::ports::Key>) -> Result<PostReceipt, SubmitFormError> {
        let key = key.ok_or_else(|| StoreError::Unavailable("lost an idempotency race without a key".into()))?;
        let item =
            self.store.get(key).await?.ok_or_else(|| StoreError::Unavailable("idempotency record vanished".into()))?;
        let record: PostRecord = records::read(&item)?;
        Ok(PostReceipt { outcome: record.outcome, redirect: record.redirect, replayed: true })
    }

    pub async fn list_submissions(
        &self,
        actor: &Actor,
        status: &str,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Submission>>, ListError> {
        if ![QUARANTINED, RELEASED, DISCARDED].contains(&status) {
            return Err(ValidationErrors::single("status", msg::quarantine_status()).into());
        }
        let query = Query::index(Index::Gsi1, keys::submissions_listing_partition(&actor.tenant, status));
        list_page(self.store.as_ref(), query, page, |_| true).await.redacted(actor)
    }

    pub async fn get_submission(
        &self,
        actor: &Actor,
        id: EntityId,
    ) -> Result<Versioned<Submission>, ReviewSubmissionError> {
        Ok(self.stored_submission(actor, id).await?.redacted(actor))
    }

    /// The post as it arrived, whatever the reader may see: what releasing it makes a lead of.
    async fn stored_submission(
        &self,
        actor: &Actor,
        id: EntityId,
    ) -> Result<Versioned<Submission>, ReviewSubmissionError> {
        self.load(&keys::submission(&actor.tenant, id)).await?.ok_or(ReviewSubmissionError::NotFound)
    }

    /// Releases a quarantined post: it becomes a lead (or an activity) exactly as a clean post
    /// would, in the same write that marks it released.
    pub async fn release_submission(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<Versioned<Submission>, ReviewSubmissionError> {
        let (current, expected) = self.reviewable(actor, id, expected).await?;
        let tenant = &actor.tenant;
        let form = self.stored_form(tenant, &current.value.form_id).await?;
        let mapped =
            MappedSubmission { fields: current.value.fields.clone(), attribution: current.value.attribution.clone() };
        let intake = Intake {
            actor: actor.clone(),
            form: form.as_ref().map(|f| (&current.value.form_id, &f.value.definition)),
            submission_id: id,
            mapped: &mapped,
        };
        let now = self.clock.now();
        let reviewed = |outcome: PostOutcome| current.value.clone().reviewed(RELEASED, Some(outcome), &actor.user, now);
        let mark = |outcome: &PostOutcome| -> Result<Vec<WriteOp>, StoreError> {
            let released = reviewed(outcome.clone());
            Ok(vec![WriteOp::Put {
                item: submission_item(tenant, &released, expected + 1)?,
                condition: Condition::version_is(conditions::SUBMISSION, expected),
            }])
        };
        match self.accept_submission(&intake, &mark).await {
            Ok(outcome) => Ok(Versioned { value: reviewed(outcome), version: expected + 1 }.redacted(actor)),
            Err(AcceptError::Extra { .. }) => Err(ReviewSubmissionError::Stale { expected }),
            Err(AcceptError::Store(e)) => Err(e.into()),
        }
    }

    /// Discards a quarantined post (kept, marked discarded, for the record).
    pub async fn discard_submission(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<Versioned<Submission>, ReviewSubmissionError> {
        let (current, expected) = self.reviewable(actor, id, expected).await?;
        let discarded = current.value.reviewed(DISCARDED, None, &actor.user, self.clock.now());
        let item = submission_item(&actor.tenant, &discarded, expected + 1)?;
        match self
            .store
            .write(vec![WriteOp::Put { item, condition: Condition::version_is(conditions::SUBMISSION, expected) }])
            .await
        {
            Ok(()) => Ok(Versioned { value: discarded, version: expected + 1 }.redacted(actor)),
            Err(StoreError::ConditionFailed { name: conditions::SUBMISSION }) => {
                Err(ReviewSubmissionError::Stale { expected })
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn reviewable(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<(Versioned<Submission>, u64), ReviewSubmissionError> {
        let current = self.stored_submission(actor, id).await?;
        let expected = expected
            .admit(current.version)
            .ok_or_else(|| ReviewSubmissionError::Stale { expected: expected.named() })?;
        if current.value.status != QUARANTINED {
            return Err(ReviewSubmissionError::AlreadyReviewed(current.value.status));
        }
        Ok((current, expected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_windows_label_and_expire() {
        let (label, expires) = minute_window("2026-11-22T10:15:42Z".parse().unwrap());
        assert_eq!(label, "2026-11-22T10:15");
        assert_eq!(expires, "2026-11-22T10:16:00Z".parse::<Timestamp>().unwrap().as_second() + 300);
    }
}
