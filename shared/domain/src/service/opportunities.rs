//! Opportunity use cases: create, read, change (stage moves included), list, the kanban board
//! and the history.
//!
//! Listings are served by the index in the query itself: a pipeline's opportunities by stage
//! (GSI1), one owner's by pipeline and stage (GSI2, merged over the owners a scope reaches),
//! an account's (GSI3). A kanban column is a key prefix of either.

use jiff::civil::Date;

use super::change::event_put;
use super::forecast::{WriteMoment, forecast_ops};
use super::merged_list::list_merged;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::access::Module;
use crate::actor::Actor;
use crate::contact::Contact;
use crate::history::{EventKind, FieldChange, HistoryEvent};
use crate::ids::{EntityId, PipelineKey, StageKey, TenantId, UserId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::sales::{NewOpportunity, Opportunity, OpportunityPatch, Pipeline, Pipelines, Stage};
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Page, Versioned};

pub const ENTITY: &str = "Opportunity";

/// Cards per kanban column before "more".
pub const BOARD_COLUMN_CARDS: u32 = 25;

#[derive(Debug, thiserror::Error)]
pub enum CreateOpportunityError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
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

#[derive(Debug, thiserror::Error)]
pub enum UpdateOpportunityError {
    #[error("no such opportunity")]
    NotFound,
    #[error("the opportunity changed since version {expected}")]
    Stale { expected: u64 },
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `GET /opportunities` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpportunityFilter {
    /// Default: the tenant's default pipeline (ignored with `account`).
    pub pipeline: Option<PipelineKey>,
    pub stage: Option<StageKey>,
    pub owner: Option<UserId>,
    /// Every pipeline's opportunities of one account.
    pub account: Option<EntityId>,
    /// Only open (`true`) or only won and lost (`false`) ones.
    pub open: Option<bool>,
    pub close_from: Option<Date>,
    pub close_to: Option<Date>,
}

impl OpportunityFilter {
    fn matches(&self, o: &Opportunity, pipelines: &Pipelines) -> bool {
        self.open.is_none_or(|open| o.is_open(pipelines) == open)
            && self.close_from.is_none_or(|from| o.expected_close_date.is_some_and(|d| d >= from))
            && self.close_to.is_none_or(|to| o.expected_close_date.is_some_and(|d| d <= to))
            && self.stage.as_ref().is_none_or(|s| &o.stage == s)
            && self.owner.as_ref().is_none_or(|owner| o.owner.as_ref() == Some(owner))
            && (self.account.is_some() || self.pipeline.as_ref().is_none_or(|p| &o.pipeline == p))
    }
}

/// A pipeline's kanban: one column per stage not retired, each its first cards.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub pipeline: Pipeline,
    pub columns: Vec<BoardColumn>,
    /// Every pipeline of the company, as the board read them (its page offers the others).
    pub pipelines: Pipelines,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoardColumn {
    pub stage: Stage,
    pub cards: Page<Versioned<Opportunity>>,
}

/// The opportunity item with its index entries (pipeline and stage, owner, account).
pub fn opportunity_item(tenant: &TenantId, o: &Opportunity, version: u64) -> Result<Item, StoreError> {
    let close = o.expected_close_date;
    let mut item = Item::new(keys::opportunity(tenant, o.id), ENTITY, version, records::body(o)?)
        .with_index(Index::Gsi1, keys::opportunities_of_pipeline(tenant, &o.pipeline, &o.stage, close, o.id))
        .with_index(Index::Gsi3, keys::opportunities_of_account(tenant, o.account_id, o.id));
    if let Some(owner) = &o.owner {
        item = item
            .with_index(Index::Gsi2, keys::opportunities_of_owner(tenant, owner, (&o.pipeline, &o.stage), close, o.id));
    }
    Ok(item)
}

impl Services {
    pub async fn create_opportunity(
        &self,
        actor: &Actor,
        input: NewOpportunity,
    ) -> Result<Versioned<Opportunity>, CreateOpportunityError> {
        self.create_opportunity_once(actor, input, self.new_id()).await.map(|(o, _)| o)
    }

    /// Creates an opportunity under the id a form was given when shown, so that submitting
    /// it twice opens one: the second finds the first's (`true`: replayed).
    pub async fn create_opportunity_once(
        &self,
        actor: &Actor,
        input: NewOpportunity,
        id: EntityId,
    ) -> Result<(Versioned<Opportunity>, bool), CreateOpportunityError> {
        let pipelines = self.pipelines_of(&actor.tenant).await?.value;
        let Some(place) = pipelines.entry(input.pipeline.as_ref(), input.stage.as_ref()) else {
            let key = input.pipeline.as_ref().map_or("", PipelineKey::as_str);
            return Err(ValidationErrors::single("pipeline", msg::no_such_pipeline(key)).into());
        };
        let now = self.clock.now();
        let mut e = ValidationErrors::new();
        let mut opportunity = Opportunity {
            probability: input.probability.unwrap_or(0),
            probability_by_hand: input.probability.is_some(),
            expected_close_date: input.expected_close_date,
            contact_ids: input.contact_ids,
            product_line: input.product_line,
            competitors: input.competitors,
            owner: Some(input.owner.unwrap_or_else(|| actor.user.clone())),
            source: input.source,
            campaign: input.campaign,
            ..Opportunity::open(id, input.name, place, input.amount, input.account_id, (&actor.user, now))
        };
        opportunity.clean_texts(&mut e);
        opportunity.settle(None, &pipelines, now, &mut e);
        self.check_opportunity_refs(actor, &opportunity, None, &mut e).await?;
        e.finish()?;
        let ops = self.new_opportunity_ops(actor, &opportunity)?;
        match self.store.write(ops).await {
            Ok(()) => Ok((Versioned { value: opportunity, version: 1 }, false)),
            Err(StoreError::ConditionFailed { name: conditions::OPPORTUNITY }) => {
                // The same form, submitted again (or twice at once): the first one's, if theirs.
                match self.load::<Opportunity>(&keys::opportunity(&actor.tenant, id)).await? {
                    Some(existing) if existing.value.created_by == actor.user => Ok((existing, true)),
                    _ => Err(StoreError::ConditionFailed { name: conditions::OPPORTUNITY }.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The writes that create an opportunity (by hand or by a lead's conversion): the item,
    /// conditioned on its absence, and its `created` event.
    pub(crate) fn new_opportunity_ops(&self, actor: &Actor, o: &Opportunity) -> Result<Vec<WriteOp>, StoreError> {
        let item = opportunity_item(&actor.tenant, o, 1)?;
        let created = self.new_event(actor, 1, EventKind::Created { state: o.stage.to_string() });
        let mut ops = vec![
            WriteOp::Put { item, condition: Condition::not_exists(conditions::OPPORTUNITY) },
            event_put(keys::opportunity_event(&actor.tenant, o.id, created.id), &created)?,
        ];
        let moment = WriteMoment { at: o.created_at, version: 1, backfilled: false };
        ops.extend(forecast_ops(&actor.tenant, None, Some(o), moment)?);
        Ok(ops)
    }

    /// Refuses, by field, an account, contacts or owner that do not exist (or are archived);
    /// only what changed since `before` is read.
    async fn check_opportunity_refs(
        &self,
        actor: &Actor,
        o: &Opportunity,
        before: Option<&Opportunity>,
        e: &mut ValidationErrors,
    ) -> Result<(), StoreError> {
        let tenant = &actor.tenant;
        if before.is_none_or(|b| b.account_id != o.account_id) {
            match self.load::<crate::account::Account>(&keys::account(tenant, o.account_id)).await? {
                Some(a) if a.value.archived => e.add("accountId", msg::account_archived()),
                Some(_) => {}
                None => e.add("accountId", msg::no_such_account()),
            }
        }
        let added: Vec<(usize, EntityId)> = o
            .contact_ids
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, id)| before.is_none_or(|b| !b.contact_ids.contains(id)))
            .collect();
        if !added.is_empty() {
            let read_keys: Vec<_> = added.iter().map(|(_, id)| keys::contact(tenant, *id)).collect();
            let found = self.store.get_many(&read_keys).await?;
            for ((i, _), item) in added.iter().zip(found) {
                match item.map(|item| records::read::<Contact>(&item)).transpose()? {
                    Some(c) if c.archived => e.add(format!("contactIds[{i}]"), msg::contact_archived()),
                    Some(_) => {}
                    None => e.add(format!("contactIds[{i}]"), msg::no_such_contact()),
                }
            }
        }
        if let Some(owner) = &o.owner
            && before.is_none_or(|b| b.owner.as_ref() != Some(owner))
            && self.user(tenant, owner).await?.is_none()
        {
            e.add("owner", msg::no_such_user());
        }
        Ok(())
    }

    pub async fn get_opportunity(
        &self,
        actor: &Actor,
        id: EntityId,
    ) -> Result<Versioned<Opportunity>, GetOpportunityError> {
        self.opportunity_seen(actor, id).await?.ok_or(GetOpportunityError::NotFound)
    }

    /// The opportunity, when it exists and is within the actor's scope (outside it, it does
    /// not exist to them).
    async fn opportunity_seen(
        &self,
        actor: &Actor,
        id: EntityId,
    ) -> Result<Option<Versioned<Opportunity>>, StoreError> {
        let found: Option<Versioned<Opportunity>> = self.load(&keys::opportunity(&actor.tenant, id)).await?;
        Ok(found.filter(|o| actor.sees(Module::Opportunities, o.value.owner.as_ref())))
    }

    /// Changes an opportunity at the version the caller read. Stage, amount, close date,
    /// probability and every other change go into its history with the values before.
    pub async fn update_opportunity(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        patch: OpportunityPatch,
    ) -> Result<Versioned<Opportunity>, UpdateOpportunityError> {
        let current = self.opportunity_seen(actor, id).await?.ok_or(UpdateOpportunityError::NotFound)?;
        let expected = expected
            .admit(current.version)
            .ok_or_else(|| UpdateOpportunityError::Stale { expected: expected.named() })?;
        let pipelines = self.pipelines_of(&actor.tenant).await?.value;
        let before = &current.value;
        let now = self.clock.now();
        let mut next = before.patched(&patch, &pipelines);
        let mut e = ValidationErrors::new();
        next.clean_texts(&mut e);
        next.settle(Some(before), &pipelines, now, &mut e);
        self.check_opportunity_refs(actor, &next, Some(before), &mut e).await?;
        e.finish()?;
        // What the history keeps: the fields someone changed (the weighted amount follows).
        let changes: Vec<FieldChange> =
            FieldChange::between(before, &next).into_iter().filter(|c| c.field != "weightedAmount").collect();
        if changes.is_empty() {
            return Ok(current);
        }
        next.updated_at = now;
        next.updated_by = actor.user.clone();
        let version = expected + 1;
        let event = self.new_event(actor, version, EventKind::Updated { changes });
        let mut ops = vec![
            WriteOp::Put {
                item: opportunity_item(&actor.tenant, &next, version)?,
                condition: Condition::version_is(conditions::OPPORTUNITY, expected),
            },
            event_put(keys::opportunity_event(&actor.tenant, id, event.id), &event)?,
        ];
        let moment = WriteMoment { at: now, version, backfilled: false };
        ops.extend(forecast_ops(&actor.tenant, Some(before), Some(&next), moment)?);
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: next, version }),
            Err(StoreError::ConditionFailed { name: conditions::OPPORTUNITY }) => {
                Err(UpdateOpportunityError::Stale { expected })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /opportunities`: a pipeline's (by stage, then expected close date), or an
    /// account's, within the caller's scope.
    pub async fn list_opportunities(
        &self,
        actor: &Actor,
        filter: &OpportunityFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Opportunity>>, ListError> {
        let pipelines = self.pipelines_of(&actor.tenant).await?.value;
        self.opportunities_page(actor, &pipelines, filter, page).await
    }

    async fn opportunities_page(
        &self,
        actor: &Actor,
        pipelines: &Pipelines,
        filter: &OpportunityFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Opportunity>>, ListError> {
        let tenant = &actor.tenant;
        let owners = actor.owners_seen(Module::Opportunities);
        if let (Some(owners), Some(owner)) = (&owners, &filter.owner)
            && !owners.contains(owner)
        {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let seen = |o: &Opportunity| actor.sees(Module::Opportunities, o.owner.as_ref());
        let keep = |o: &Opportunity| filter.matches(o, pipelines) && seen(o);
        if let Some(account) = filter.account {
            // An account has a handful: its list reads on past those outside the filter.
            let query = Query::index(Index::Gsi3, keys::opportunities_of_account_partition(tenant, account));
            return list_page(self.store.as_ref(), query, page, keep).await;
        }
        let Some(pipeline) = filter.pipeline.clone().or_else(|| pipelines.default_pipeline().map(|p| p.key.clone()))
        else {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        };
        let stage = filter.stage.as_ref();
        let by_owner = |owner: &UserId| {
            Query::index(Index::Gsi2, keys::opportunities_of_owner_partition(tenant, owner))
                .range(SortKeyRange::BeginsWith(keys::owner_opportunities_prefix(&pipeline, stage)))
        };
        let mut queries: Vec<Query> = match (&filter.owner, &owners) {
            (Some(owner), _) => vec![by_owner(owner)],
            (None, Some(owners)) => owners.iter().map(by_owner).collect(),
            (None, None) => {
                let query = Query::index(Index::Gsi1, keys::opportunities_of_pipeline_partition(tenant, &pipeline));
                vec![match stage {
                    Some(stage) => query.range(SortKeyRange::BeginsWith(keys::opportunities_stage_prefix(stage))),
                    None => query,
                }]
            }
        };
        let keep = |o: &Opportunity| o.pipeline == pipeline && keep(o);
        if queries.len() == 1 {
            return list_page(self.store.as_ref(), queries.remove(0), page, keep).await;
        }
        list_merged(self.store.as_ref(), queries, page, keep).await
    }

    /// A pipeline's kanban (default: the tenant's default pipeline): each active stage's first
    /// cards, by expected close date, within the caller's scope (and `owner`'s, if named).
    pub async fn opportunity_board(
        &self,
        actor: &Actor,
        pipeline: Option<&PipelineKey>,
        owner: Option<&UserId>,
    ) -> Result<Option<Board>, ListError> {
        let pipelines = self.pipelines_of(&actor.tenant).await?.value;
        let chosen = match pipeline {
            Some(key) => pipelines.pipeline(key),
            None => pipelines.default_pipeline(),
        };
        let Some(chosen) = chosen.cloned() else { return Ok(None) };
        let page = PageRequest { limit: BOARD_COLUMN_CARDS, cursor: None };
        let columns = chosen.active_stages().map(|stage| {
            let filter = OpportunityFilter {
                pipeline: Some(chosen.key.clone()),
                stage: Some(stage.key.clone()),
                owner: owner.cloned(),
                ..Default::default()
            };
            let pipelines = &pipelines;
            let page = &page;
            async move {
                let cards = self.opportunities_page(actor, pipelines, &filter, page).await?;
                Ok::<_, ListError>(BoardColumn { stage: stage.clone(), cards })
            }
        });
        let columns = futures::future::try_join_all(columns).await?;
        Ok(Some(Board { pipeline: chosen, columns, pipelines }))
    }

    /// `GET /accounts/{id}/opportunities`: the account's, in every pipeline, oldest first.
    pub async fn account_opportunities(
        &self,
        actor: &Actor,
        account: EntityId,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Opportunity>>, ListError> {
        let filter = OpportunityFilter { account: Some(account), ..Default::default() };
        self.list_opportunities(actor, &filter, page).await
    }

    /// The opportunity's history: its creation and every change with the values before.
    pub async fn opportunity_history(
        &self,
        actor: &Actor,
        id: EntityId,
        page: &PageRequest,
    ) -> Result<Page<Versioned<HistoryEvent>>, ListError> {
        let query = Query::partition(keys::opportunity_partition(&actor.tenant, id))
            .range(SortKeyRange::BeginsWith(keys::CASE_EVENT_PREFIX.into()));
        list_page(self.store.as_ref(), query, page, |_| true).await
    }

    /// Indexes the opportunities stored before pipelines (schema 1: only their account's
    /// listing) so that their pipeline and owner list them; idempotent, the local runner runs
    /// it at every start. Returns how many it rewrote.
    pub async fn index_opportunities(&self, tenant: &TenantId) -> Result<usize, StoreError> {
        let mut accounts = Query::index(Index::Gsi1, keys::accounts_listing(tenant)).limit(100);
        let mut rewritten = 0;
        loop {
            let page = self.store.query(&accounts).await?;
            for account in &page.items {
                let account: crate::account::Account = records::read(account)?;
                let mut query = Query::index(Index::Gsi3, keys::opportunities_of_account_partition(tenant, account.id));
                loop {
                    let found = self.store.query(&query).await?;
                    for item in found.items.iter().filter(|item| item.index(Index::Gsi1).is_none()) {
                        let opportunity: Opportunity = records::read(item)?;
                        // The same opportunity at the same version: only its index entries are new.
                        let put = WriteOp::Put {
                            item: opportunity_item(tenant, &opportunity, item.version)?,
                            condition: Condition::version_is(conditions::OPPORTUNITY, item.version),
                        };
                        // It enters the forecast's totals in the same write, so exactly once.
                        let mut ops = vec![put];
                        let moment = WriteMoment { at: self.clock.now(), version: item.version, backfilled: true };
                        ops.extend(forecast_ops(tenant, None, Some(&opportunity), moment)?);
                        rewritten += usize::from(self.backfill_all(ops).await?);
                    }
                    match found.next_cursor {
                        Some(cursor) => query.cursor = Some(cursor),
                        None => break,
                    }
                }
            }
            match page.next_cursor {
                Some(cursor) => accounts.cursor = Some(cursor),
                None => return Ok(rewritten),
            }
        }
    }
}
