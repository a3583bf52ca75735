//! Handing a user's open work to a colleague, as when they leave or go on holiday: their open
//! cases and leads, each reassigned at the version read, so that a change made meanwhile is
//! never overwritten (the record stays with them and is counted as remaining).

use serde::{Deserialize, Serialize};

use super::Services;
use super::cases::UpdateCaseError;
use super::leads::UpdateLeadError;
use crate::access::{Module, Operation, Permission};
use crate::actor::{Actor, Forbidden};
use crate::case::{Case, CasePatch};
use crate::ids::UserId;
use crate::keys;
use crate::lead::{Lead, LeadPatch};
use crate::messages as msg;
use crate::ports::{Index, Query, StoreError};
use crate::records;
use crate::validation::ValidationErrors;

/// How many records one call reassigns at most: a larger load is handed over in several calls,
/// each answering what remains.
pub const HANDOVER_BATCH: usize = 100;

/// `POST /users/{id}/hand-over`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandOverRequest {
    /// Who takes the work: an active user of the directory.
    pub to: UserId,
}

/// What a hand-over moved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandOver {
    pub cases: usize,
    pub leads: usize,
    /// Open records still with the user: beyond this call's batch, or changed while it ran.
    /// Calling again moves them.
    pub remaining: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum HandOverError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Services {
    /// Reassigns `from`'s open cases and leads to `to` (who may change the configuration; the
    /// reassignments follow the caller's own rights and scopes), at most [`HANDOVER_BATCH`].
    pub async fn hand_over_work(&self, actor: &Actor, from: &UserId, to: &UserId) -> Result<HandOver, HandOverError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let mut errors = ValidationErrors::new();
        if from == to {
            errors.add("to", msg::hand_over_to_someone_else());
        } else {
            match self.user(&actor.tenant, to).await? {
                Some(user) if user.active => {}
                Some(_) => errors.add("to", msg::hand_over_to_inactive()),
                None => errors.add("to", msg::no_such_user()),
            }
        }
        errors.finish()?;
        let mut done = HandOver::default();
        let cases = keys::cases_of_owner_partition(&actor.tenant, from);
        for (case, version) in self.open_of::<Case>(cases, |c| !c.state_class.is_closed() && !c.archived).await? {
            if done.cases + done.leads == HANDOVER_BATCH {
                done.remaining += 1;
                continue;
            }
            let patch = CasePatch { owner: Some(Some(to.clone())), ..Default::default() };
            match self.update_case(actor, case.id, version.into(), patch).await {
                Ok(_) => done.cases += 1,
                Err(UpdateCaseError::Store(e)) => return Err(e.into()),
                Err(UpdateCaseError::Forbidden(f)) => return Err(f.into()),
                Err(_) => done.remaining += 1,
            }
        }
        let leads = keys::leads_of_owner_partition(&actor.tenant, from);
        for (lead, version) in self.open_of::<Lead>(leads, |l| l.status.is_open()).await? {
            if done.cases + done.leads == HANDOVER_BATCH {
                done.remaining += 1;
                continue;
            }
            let patch = LeadPatch { owner: Some(Some(to.clone())), ..Default::default() };
            match self.update_lead(actor, lead.id, version.into(), patch).await {
                Ok(_) => done.leads += 1,
                Err(UpdateLeadError::Store(e)) => return Err(e.into()),
                Err(UpdateLeadError::Forbidden(f)) => return Err(f.into()),
                Err(_) => done.remaining += 1,
            }
        }
        Ok(done)
    }

    /// The records of one owner's index that `open` accepts, with their versions.
    async fn open_of<T: records::Stored>(
        &self,
        partition: String,
        open: impl Fn(&T) -> bool,
    ) -> Result<Vec<(T, u64)>, StoreError> {
        let mut found = Vec::new();
        let mut query = Query::index(Index::Gsi2, partition).limit(200);
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                let value: T = records::read(item)?;
                if open(&value) {
                    found.push((value, item.version));
                }
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(found),
            }
        }
    }
}
