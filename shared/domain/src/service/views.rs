//! Saved views [vistas guardadas]: a list's filters under a name, the user's own or shared with
//! the whole company, reopened in one click. A view stores the list's query string as the
//! console builds it, so a view of any list (cases today) needs nothing more here.

use serde::{Deserialize, Serialize};

use super::{Services, conditions};
use crate::actor::{Actor, Forbidden, Role};
use crate::ids::{EntityId, UserId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;

pub const ENTITY: &str = "SavedView";
/// The lists that have views.
pub const LISTS: [&str; 1] = ["cases"];
pub const NAME_MAX: usize = 80;
pub const QUERY_MAX: usize = 2_000;
/// Views one user keeps, and views a company shares: enough for real use, bounded for one page.
pub const PER_OWNER_MAX: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedView {
    pub id: EntityId,
    /// The list it filters (`cases`).
    pub list: String,
    pub name: String,
    /// The list's query string (`priority=urgent&state=en_analisis`).
    pub query: String,
    /// Shown to everyone in the company, or to its owner alone.
    pub shared: bool,
    pub owner: UserId,
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewSavedView {
    pub list: String,
    pub name: String,
    pub query: String,
    pub shared: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveViewError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteViewError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such view")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Services {
    /// Saves a view. Sharing one with the company is a supervisor's decision.
    pub async fn save_view(&self, actor: &Actor, input: NewSavedView) -> Result<SavedView, SaveViewError> {
        if input.shared {
            actor.require(Role::Supervisor)?;
        }
        let mut e = ValidationErrors::new();
        if !LISTS.contains(&input.list.as_str()) {
            e.add("list", msg::one_of(LISTS.join(", ")));
        }
        let name = e.text("name", &input.name, NAME_MAX, false);
        let query = input.query.trim_start_matches('?').to_owned();
        if query.chars().count() > QUERY_MAX {
            e.add("query", msg::at_most_chars(QUERY_MAX));
        }
        e.finish()?;
        let existing = self.views_under(actor, &input.list, input.shared).await?;
        if existing.len() >= PER_OWNER_MAX {
            return Err(ValidationErrors::single("name", msg::at_most_items(PER_OWNER_MAX)).into());
        }
        let view = SavedView {
            id: self.new_id(),
            list: input.list,
            name: name.unwrap_or_default(),
            query,
            shared: input.shared,
            owner: actor.user.clone(),
            created_at: self.clock.now(),
        };
        let key = keys::saved_view(&actor.tenant, &view.list, view_owner(&view), view.id);
        let item = Item::new(key, ENTITY, 1, records::body(&view)?);
        self.store.write(vec![WriteOp::Put { item, condition: Condition::not_exists(conditions::SAVED_VIEW) }]).await?;
        Ok(view)
    }

    /// The views of `list` the user sees: the company's shared ones, then their own, each by name.
    pub async fn list_views(&self, actor: &Actor, list: &str) -> Result<Vec<SavedView>, StoreError> {
        let (mut shared, mut own) =
            futures::try_join!(self.views_under(actor, list, true), self.views_under(actor, list, false))?;
        let by_name = |a: &SavedView, b: &SavedView| crate::search::fold(&a.name).cmp(&crate::search::fold(&b.name));
        shared.sort_by(by_name);
        own.sort_by(by_name);
        shared.extend(own);
        Ok(shared)
    }

    /// Deletes a view: the owner's own, or a shared one by a supervisor.
    pub async fn delete_view(&self, actor: &Actor, list: &str, id: EntityId) -> Result<(), DeleteViewError> {
        // The view is the actor's own or a shared one: one read of each key, not a listing.
        let own = keys::saved_view(&actor.tenant, list, Some(&actor.user), id);
        let shared = keys::saved_view(&actor.tenant, list, None, id);
        let (mine, everyone) = futures::join!(self.store.get(&own), self.store.get(&shared));
        let key = if mine?.is_some() {
            own
        } else if everyone?.is_some() {
            actor.require(Role::Supervisor)?;
            shared
        } else {
            return Err(DeleteViewError::NotFound);
        };
        self.store.write(vec![WriteOp::Delete { key, condition: Condition::ALWAYS }]).await?;
        Ok(())
    }

    /// The shared views of `list`, or the actor's own (at most [`PER_OWNER_MAX`] of each).
    async fn views_under(&self, actor: &Actor, list: &str, shared: bool) -> Result<Vec<SavedView>, StoreError> {
        let owner = if shared { None } else { Some(&actor.user) };
        let query = Query::partition(keys::saved_views_partition(&actor.tenant, list))
            .range(SortKeyRange::BeginsWith(keys::saved_views_prefix(owner)));
        self.read_all(query).await
    }
}

fn view_owner(view: &SavedView) -> Option<&UserId> {
    (!view.shared).then_some(&view.owner)
}
