//! Assignment: choosing an agent from a pool (round robin or least open) and the writes and
//! e-mail of giving a case to someone.

use super::Services;
use super::change::{ChangeSet, EffectSubject};
use crate::actor::Actor;
use crate::case::Case;
use crate::case_type::{AgentPool, Distribution, Effect, Recipient};
use crate::history::EventKind;
use crate::ids::{TenantId, UserId};
use crate::keys;
use crate::ports::{Index, Query, StoreError};
use crate::records;

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
        if pool.agents.is_empty() {
            return Ok(None);
        }
        match pool.strategy {
            Distribution::Manual => Ok(None),
            Distribution::RoundRobin => {
                let turn = self.store.increment(&keys::pool_counter(tenant, pool_id), 1, None).await?;
                let slot = (turn - 1).rem_euclid(pool.agents.len() as i64) as usize;
                Ok(Some(pool.agents[slot].clone()))
            }
            Distribution::LeastOpen => {
                let mut best: Option<(usize, &UserId)> = None;
                for agent in &pool.agents {
                    let open = self.count_open(tenant, agent, workload).await?;
                    if best.is_none_or(|(fewest, _)| open < fewest) {
                        best = Some((open, agent));
                    }
                }
                Ok(best.map(|(_, agent)| agent.clone()))
            }
        }
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
