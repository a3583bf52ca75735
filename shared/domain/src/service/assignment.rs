//! Assignment: choosing an agent from a pool (round robin or least open) and the writes and
//! e-mail of giving a case to someone.

use std::collections::HashSet;

use super::Services;
use super::change::{ChangeSet, EffectSubject};
use crate::actor::Actor;
use crate::case::Case;
use crate::case_type::{AgentPool, Distribution, Effect, Recipient};
use crate::history::EventKind;
use crate::ids::{TenantId, UserId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Index, MAX_READ_KEYS, Query, StoreError};
use crate::records;
use crate::user::User;
use crate::validation::ValidationErrors;

/// The e-mail an assignee receives.
pub const ASSIGNED_TEMPLATE: &str = "case_assigned";
/// How many of an agent's cases least-open distribution reads at most.
const LEAST_OPEN_READ_LIMIT: usize = 1_000;

/// What least-open distribution counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Workload {
    Cases,
    Leads,
}

impl Services {
    /// Chooses an agent from a pool (round robin: an atomic counter, so concurrent cases never
    /// share a turn; least open: by the open cases or leads, as `workload` says). `None` for
    /// manual pools.
    pub(crate) async fn pick_agent(
        &self,
        tenant: &TenantId,
        pool: &AgentPool,
        pool_id: &str,
        workload: Workload,
    ) -> Result<Option<UserId>, StoreError> {
        if pool.strategy == Distribution::Manual {
            return Ok(None);
        }
        let agents = self.pool_agents(tenant, pool).await?;
        if agents.is_empty() {
            return Ok(None);
        }
        match pool.strategy {
            Distribution::Manual => Ok(None),
            Distribution::RoundRobin => {
                let turn = self.store.increment(&keys::pool_counter(tenant, pool_id), 1, None).await?;
                let slot = (turn - 1).rem_euclid(agents.len() as i64) as usize;
                Ok(Some(agents[slot].clone()))
            }
            Distribution::LeastOpen => {
                let mut best: Option<(usize, &UserId)> = None;
                for agent in &agents {
                    let open = self.count_open(tenant, agent, workload).await?;
                    if best.is_none_or(|(fewest, _)| open < fewest) {
                        best = Some((open, agent));
                    }
                }
                Ok(best.map(|(_, agent)| agent.clone()))
            }
        }
    }

    /// The pool's agents as of now: the named ones, then the members of its teams in the
    /// organisation (a team removed since contributes nobody), each once, without those the
    /// directory says were deactivated (someone it does not list is taken as named).
    async fn pool_agents(&self, tenant: &TenantId, pool: &AgentPool) -> Result<Vec<UserId>, StoreError> {
        let mut agents = pool.agents.clone();
        if !pool.teams.is_empty() {
            let organisation = self.organisation_of(tenant).await?.value;
            for team in pool.teams.iter().filter_map(|id| organisation.team(id)) {
                for member in &team.members {
                    if !agents.contains(member) {
                        agents.push(member.clone());
                    }
                }
            }
        }
        let mut deactivated = HashSet::new();
        for chunk in agents.chunks(MAX_READ_KEYS) {
            let keys: Vec<_> = chunk.iter().map(|agent| keys::user(tenant, agent)).collect();
            for (agent, item) in chunk.iter().zip(self.store.get_many(&keys).await?) {
                if let Some(item) = item
                    && !records::read::<User>(&item)?.active
                {
                    deactivated.insert(agent.clone());
                }
            }
        }
        agents.retain(|agent| !deactivated.contains(agent));
        Ok(agents)
    }

    /// The teams that pools name and the organisation does not have, by field.
    pub(crate) async fn unknown_pool_teams(
        &self,
        tenant: &TenantId,
        pools: &[(String, &AgentPool)],
    ) -> Result<ValidationErrors, StoreError> {
        let mut errors = ValidationErrors::new();
        if pools.iter().all(|(_, pool)| pool.teams.is_empty()) {
            return Ok(errors);
        }
        let organisation = self.organisation_of(tenant).await?.value;
        for (path, pool) in pools {
            for (i, team) in pool.teams.iter().enumerate() {
                if organisation.team(team).is_none() {
                    errors.add(format!("{path}.teams[{i}]"), msg::no_such_team(team.as_str()));
                }
            }
        }
        Ok(errors)
    }

    /// The open cases or leads an agent owns, reading at most [`LEAST_OPEN_READ_LIMIT`].
    async fn count_open(&self, tenant: &TenantId, agent: &UserId, workload: Workload) -> Result<usize, StoreError> {
        let partition = match workload {
            Workload::Cases => keys::cases_of_owner_partition(tenant, agent),
            Workload::Leads => keys::leads_of_owner_partition(tenant, agent),
        };
        let is_open = |item: &crate::ports::Item| -> Result<bool, StoreError> {
            Ok(match workload {
                Workload::Cases => !records::read::<Case>(item)?.state_class.is_closed(),
                Workload::Leads => records::read::<crate::lead::Lead>(item)?.status.is_open(),
            })
        };
        let mut query = Query::index(Index::Gsi2, partition).limit(200);
        let (mut open, mut read) = (0, 0);
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                read += 1;
                open += usize::from(is_open(item)?);
            }
            match page.next_cursor {
                Some(cursor) if read < LEAST_OPEN_READ_LIMIT => query.cursor = Some(cursor),
                _ => return Ok(open),
            }
        }
    }

    /// Adds an assignment to a change: the `assigned` event and the assignee's e-mail.
    pub(crate) fn assign_ops(
        &self,
        actor: &Actor,
        case: &Case,
        previous: Option<UserId>,
        pool: Option<String>,
        change: &mut ChangeSet,
    ) -> Result<(), StoreError> {
        let Some(assignee) = case.owner.clone() else { return Ok(()) };
        let kind = EventKind::Assigned { from: previous, to: assignee.clone(), pool };
        change.ops.push(self.history_op(actor, case.id, change.version, self.new_id(), kind)?);
        let notify = Effect::Notify { to: Recipient::Owner, template: ASSIGNED_TEMPLATE.into() };
        self.effect_ops(actor, &EffectSubject::of(case, Vec::new()), "assigned", &notify, change)
    }
}
