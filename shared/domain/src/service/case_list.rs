//! The case list: its filters and its orders (by creation, by last change, by the nearest SLA
//! deadline), each served by an index rather than a sort of every case.

use crate::actor::Redacted;
use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;

use super::case_recency::{CaseRecency, recency_item};
use super::merged_list::list_merged;
use super::sla::SlaEntry;
use super::{FILTER_READ_BUDGET, ListError, PageRequest, Services, conditions, list_page};
use crate::access::{Module, Operation};
use crate::actor::Actor;
use crate::case::{Case, Channel, Priority};
use crate::ids::{CaseTypeKey, EntityId, TenantId, UserId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, CursorPosition, Index, Item, Key, Query, StoreError, WriteOp};
use crate::records;
use crate::search::{SearchKind, fold};
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

/// The orders of the case list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseSort {
    /// Newest first.
    #[default]
    Newest,
    Oldest,
    /// Cases with a running SLA clock by their nearest deadline (overdue first), then the
    /// others (paused, closed, without a policy) newest first.
    Deadline,
    /// The last changed first.
    RecentlyUpdated,
    /// The longest untouched first.
    LeastRecentlyUpdated,
}

/// What the items of an index the list reads through are.
#[derive(Debug, Clone, Copy)]
enum Pointers {
    /// Case items; a case with a running clock is left out (the deadline order listed it).
    Undated,
    /// Each case's place in the "last changed" order.
    Recency,
    /// Running SLA clocks; a case is listed at its nearest one only.
    Deadlines,
}

/// The index that lists the filter's cases by creation: the owner's, the account's, or the
/// tenant's listing.
fn listing(tenant: &TenantId, filter: &CaseFilter) -> Query {
    match (&filter.owner, filter.account_id, filter.archived) {
        (Some(owner), _, false) => Query::index(Index::Gsi2, keys::cases_of_owner_partition(tenant, owner)),
        (None, Some(account), false) => Query::index(Index::Gsi3, keys::cases_of_account_partition(tenant, account)),
        _ => Query::index(Index::Gsi1, keys::cases_listing_partition(tenant, filter.archived)),
    }
}

/// `GET /cases` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub state: Option<String>,
    pub owner: Option<UserId>,
    pub case_type: Option<CaseTypeKey>,
    pub account_id: Option<EntityId>,
    /// Lists the archived cases instead of the active ones.
    pub archived: bool,
    /// Leaves out closed cases.
    pub open: bool,
    /// Words the case is found by (its number, its subject), each the start of a word,
    /// without case or accents.
    pub words: Option<String>,
    pub branch: Option<String>,
    pub priority: Option<Priority>,
    pub channel: Option<Channel>,
    /// Opened on or after this day, in the tenant's time zone.
    pub created_from: Option<Date>,
    /// Opened on or before this day, in the tenant's time zone.
    pub created_to: Option<Date>,
    /// The order of the list (a word search lists in the search index's order instead).
    pub sort: CaseSort,
}

impl CaseFilter {
    /// Whether `case` passes every filter; `opened` bounds its creation instant (the days
    /// `created_from` and `created_to` resolved in the tenant's time zone).
    pub(crate) fn matches(&self, case: &Case, opened: (Option<Timestamp>, Option<Timestamp>)) -> bool {
        case.archived == self.archived
            && !(self.open && case.state_class.is_closed())
            && self.state.as_ref().is_none_or(|s| &case.state == s)
            && self.owner.as_ref().is_none_or(|o| case.owner.as_ref() == Some(o))
            && self.case_type.as_ref().is_none_or(|t| &case.case_type == t)
            && self.account_id.is_none_or(|a| case.account_id == Some(a))
            && self.branch.as_ref().is_none_or(|b| case.branch.as_deref().is_some_and(|c| fold(c) == fold(b)))
            && self.priority.is_none_or(|p| case.priority == p)
            && self.channel.is_none_or(|c| case.channel == c)
            && opened.0.is_none_or(|from| case.created_at >= from)
            && opened.1.is_none_or(|until| case.created_at < until)
    }
}

impl Services {
    /// Lists cases in the filter's order. By creation, the most selective index available
    /// serves the query (owner, then account, then the tenant listing); the other orders read
    /// their own index. The remaining filters apply to what the index returns.
    pub async fn list_cases(
        &self,
        actor: &Actor,
        filter: &CaseFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Case>>, ListError> {
        self.cases_page(actor, filter, page).await.redacted(actor)
    }

    async fn cases_page(
        &self,
        actor: &Actor,
        filter: &CaseFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Case>>, ListError> {
        let tenant = &actor.tenant;
        let opened = self.created_bounds(tenant, filter).await?;
        let owners = actor.owners_seen(Module::Cases);
        if let (Some(owners), Some(owner)) = (&owners, &filter.owner)
            && !owners.contains(owner)
        {
            // Someone outside the caller's scope owns none of the cases the caller may see.
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        if filter.case_type.as_ref().is_some_and(|t| !actor.allows_case(t, Operation::Read)) {
            // A type the caller's profile may not read has no case the caller may see.
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let seen = |c: &Case| {
            owners.as_ref().is_none_or(|o| c.owner.as_ref().is_some_and(|owner| o.contains(owner)))
                && actor.allows_case(&c.case_type, Operation::Read)
        };
        let keep = |c: &Case| filter.matches(c, opened) && seen(c);
        if let Some(words) = filter.words.as_deref().filter(|w| !w.trim().is_empty()) {
            return self.search_records(actor, words, SearchKind::Case, keys::case, keep, page).await;
        }
        // A scope wider than one owner and no owner asked for: the owners' own listings, merged.
        if let Some(owners) = owners.as_ref().filter(|_| filter.owner.is_none() && !filter.archived)
            && matches!(filter.sort, CaseSort::Newest | CaseSort::Oldest)
        {
            let queries = owners
                .iter()
                .map(|owner| {
                    let query = Query::index(Index::Gsi2, keys::cases_of_owner_partition(tenant, owner));
                    if filter.sort == CaseSort::Newest { query.backward() } else { query }
                })
                .collect();
            return list_merged(self.store.as_ref(), queries, page, keep).await;
        }
        match filter.sort {
            CaseSort::Oldest => list_page(self.store.as_ref(), listing(tenant, filter), page, keep).await,
            CaseSort::Deadline if !filter.archived => self.list_by_deadline(tenant, filter, page, keep).await,
            // Archived cases have no clocks: they list newest first.
            CaseSort::Newest | CaseSort::Deadline => {
                list_page(self.store.as_ref(), listing(tenant, filter).backward(), page, keep).await
            }
            CaseSort::RecentlyUpdated | CaseSort::LeastRecentlyUpdated => {
                let query = Query::index(Index::Gsi1, keys::cases_by_update_partition(tenant, filter.archived));
                let query = if filter.sort == CaseSort::RecentlyUpdated { query.backward() } else { query };
                self.list_through(tenant, Pointers::Recency, query, page, keep).await
            }
        }
    }

    /// Cases with a running clock by their nearest deadline, then the others newest first.
    /// The cursor says which of the two parts it continues.
    async fn list_by_deadline(
        &self,
        tenant: &TenantId,
        filter: &CaseFilter,
        page: &PageRequest,
        keep: impl Fn(&Case) -> bool + Copy,
    ) -> Result<Page<Versioned<Case>>, ListError> {
        const DATED: &str = "dated:";
        const UNDATED: &str = "undated:";
        // `None`: the dated part from its start; `Some(rest)`: the undated part, from `rest`.
        let (dated_from, undated_from) = match page.cursor.as_deref() {
            None => (Some(None), None),
            Some(c) => match (c.strip_prefix(DATED), c.strip_prefix(UNDATED)) {
                (Some(rest), _) => (Some(Some(rest.to_owned())), None),
                (_, Some(rest)) => (None, Some(rest.to_owned()).filter(|r| !r.is_empty())),
                _ => return Err(StoreError::InvalidCursor.into()),
            },
        };
        let mut items = Vec::new();
        if let Some(cursor) = dated_from {
            let query = Query::index(Index::Gsi2, keys::case_deadlines_partition(tenant));
            let part = PageRequest { limit: page.limit, cursor };
            let found = self.list_through(tenant, Pointers::Deadlines, query, &part, keep).await?;
            items = found.items;
            if let Some(next) = found.next_cursor {
                return Ok(Page { items, next_cursor: Some(format!("{DATED}{next}")) });
            }
            if items.len() == page.limit as usize {
                return Ok(Page { items, next_cursor: Some(UNDATED.into()) });
            }
        }
        // The dated part is over (or was already): the rest of the page comes from the undated.
        let part = PageRequest { limit: page.limit - items.len() as u32, cursor: undated_from };
        let found =
            self.list_through(tenant, Pointers::Undated, listing(tenant, filter).backward(), &part, keep).await?;
        items.extend(found.items);
        Ok(Page { items, next_cursor: found.next_cursor.map(|next| format!("{UNDATED}{next}")) })
    }

    /// A page of cases read through an index whose items lead to cases (see [`Pointers`]), in
    /// the index's order; like [`list_page`], it reads on until the page is full or the read
    /// budget is spent, and its cursor resumes after the last index item read.
    async fn list_through(
        &self,
        tenant: &TenantId,
        pointers: Pointers,
        query: Query,
        page: &PageRequest,
        keep: impl Fn(&Case) -> bool,
    ) -> Result<Page<Versioned<Case>>, ListError> {
        let index = query.index;
        let mut query = query.limit(page.limit).after(page.cursor.clone());
        let (mut items, mut read) = (Vec::new(), 0usize);
        loop {
            let result = self.store.query(&query).await?;
            let cases = self.follow(tenant, pointers, &result.items).await?;
            let count = result.items.len();
            for (position, (pointer, case)) in result.items.iter().zip(cases).enumerate() {
                read += 1;
                items.extend(case.filter(|c| keep(&c.value)));
                if position + 1 == count && result.next_cursor.is_none() {
                    return Ok(Page { items, next_cursor: None });
                }
                if items.len() == page.limit as usize || read >= FILTER_READ_BUDGET {
                    return Ok(Page { items, next_cursor: Some(CursorPosition::of(pointer, index).encode()) });
                }
            }
            match result.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(Page { items, next_cursor: None }),
            }
        }
    }

    /// The case each index item leads to, if it is listed there.
    async fn follow(
        &self,
        tenant: &TenantId,
        pointers: Pointers,
        items: &[Item],
    ) -> Result<Vec<Option<Versioned<Case>>>, StoreError> {
        match pointers {
            Pointers::Undated => {
                let cases: Vec<Versioned<Case>> = items
                    .iter()
                    .map(|item| Ok(Versioned { version: item.version, value: records::read(item)? }))
                    .collect::<Result<_, StoreError>>()?;
                let ids: Vec<EntityId> = cases.iter().map(|c| c.value.id).collect();
                let dated: HashSet<EntityId> = self
                    .armed_clocks(tenant, &ids)
                    .await?
                    .iter()
                    .filter(|clock| clock.deadline_rank().is_some())
                    .map(SlaEntry::case_id)
                    .collect();
                Ok(cases.into_iter().map(|c| Some(c).filter(|c| !dated.contains(&c.value.id))).collect())
            }
            Pointers::Recency => {
                let ids = items
                    .iter()
                    .map(|item| records::read::<CaseRecency>(item).map(|r| r.case_id))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut cases = self.cases_by_id(tenant, &ids).await?;
                Ok(ids.iter().map(|id| cases.remove(id)).collect())
            }
            Pointers::Deadlines => {
                let clocks = items.iter().map(records::read::<SlaEntry>).collect::<Result<Vec<_>, _>>()?;
                let ids: Vec<EntityId> = clocks.iter().map(SlaEntry::case_id).collect();
                // A case with several running clocks is listed once, at its nearest deadline.
                let mut nearest: HashMap<EntityId, (Timestamp, &str)> = HashMap::new();
                let armed = self.armed_clocks(tenant, &ids).await?;
                for (case, rank) in armed.iter().filter_map(|c| Some((c.case_id(), c.deadline_rank()?))) {
                    nearest.entry(case).and_modify(|r| *r = (*r).min(rank)).or_insert(rank);
                }
                let leading: Vec<Option<EntityId>> = clocks
                    .iter()
                    .map(|c| {
                        let leads = c.deadline_rank().is_some_and(|rank| nearest.get(&c.case_id()) == Some(&rank));
                        leads.then_some(c.case_id())
                    })
                    .collect();
                let wanted: Vec<EntityId> = leading.iter().flatten().copied().collect();
                let mut cases = self.cases_by_id(tenant, &wanted).await?;
                Ok(leading.iter().map(|id| id.and_then(|id| cases.remove(&id))).collect())
            }
        }
    }

    /// Puts every case of `tenant` stored before the list's orders existed into them: writes
    /// the "last changed" entry a case lacks and re-indexes its running clocks. Idempotent
    /// (the local runner calls it at every start); returns how many items it wrote.
    pub async fn index_case_orders(&self, tenant: &TenantId) -> Result<usize, StoreError> {
        let mut written = 0;
        for archived in [false, true] {
            let mut query = Query::index(Index::Gsi1, keys::cases_listing_partition(tenant, archived))
                .limit(crate::ports::MAX_READ_KEYS as u32);
            loop {
                let page = self.store.query(&query).await?;
                let cases = page.items.iter().map(records::read::<Case>).collect::<Result<Vec<_>, _>>()?;
                if !cases.is_empty() {
                    let places: Vec<Key> = cases.iter().map(|c| keys::case_recency(tenant, c.id)).collect();
                    let found = self.store.get_many(&places).await?;
                    for ((case, item), _) in cases.iter().zip(&page.items).zip(&found).filter(|(_, f)| f.is_none()) {
                        let put = WriteOp::Put {
                            item: recency_item(tenant, case, item.version)?,
                            condition: Condition::not_exists(conditions::CASE_RECENCY),
                        };
                        written += usize::from(self.backfill(put).await?);
                    }
                    let ids: Vec<EntityId> = cases.iter().map(|c| c.id).collect();
                    written += self.index_clock_deadlines(tenant, &ids).await?;
                }
                match page.next_cursor {
                    Some(cursor) => query.cursor = Some(cursor),
                    None => break,
                }
            }
        }
        Ok(written)
    }

    /// The cases `ids` names that exist, read in batches.
    pub(crate) async fn cases_by_id(
        &self,
        tenant: &TenantId,
        ids: &[EntityId],
    ) -> Result<HashMap<EntityId, Versioned<Case>>, StoreError> {
        let distinct: BTreeSet<EntityId> = ids.iter().copied().collect();
        let keys: Vec<_> = distinct.iter().map(|id| keys::case(tenant, *id)).collect();
        let mut cases = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(crate::ports::MAX_READ_KEYS) {
            for item in self.store.get_many(chunk).await?.into_iter().flatten() {
                let case: Case = records::read(&item)?;
                cases.insert(case.id, Versioned { version: item.version, value: case });
            }
        }
        Ok(cases)
    }

    /// The instants the filter's days start and end at in the tenant's time zone (the end is
    /// the start of the day after `created_to`).
    async fn created_bounds(
        &self,
        tenant: &TenantId,
        filter: &CaseFilter,
    ) -> Result<(Option<Timestamp>, Option<Timestamp>), ListError> {
        if filter.created_from.is_none() && filter.created_to.is_none() {
            return Ok((None, None));
        }
        if let (Some(from), Some(to)) = (filter.created_from, filter.created_to)
            && from > to
        {
            return Err(ValidationErrors::single("createdTo", msg::not_before(from)).into());
        }
        let zone = self.tenant(tenant).await?.map(|t| t.time_zone).unwrap_or_default();
        let zone = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let start = |day: Date| day.to_zoned(zone.clone()).map(|z| z.timestamp()).ok();
        let from = filter.created_from.and_then(start);
        let until = filter.created_to.and_then(|day| day.tomorrow().ok()).and_then(start);
        Ok((from, until))
    }
}
