//! The use cases: what the HTTP functions and the local runner call. Each operation takes the
//! caller's [`Actor`](crate::Actor), works on the store port only, and returns its own error
//! enum.

pub mod access;
pub mod access_log;
pub mod accounts;
pub mod assignment;
pub mod case_list;
mod case_recency;
pub mod case_types;
pub mod cases;
pub mod change;
pub mod conditions;
pub mod contacts;
pub mod customer_file;
pub mod directory;
pub mod documents;
pub mod forecast;
pub mod forms;
pub mod goals;
pub mod handover;
pub mod leads;
mod merged_list;
pub mod opportunities;
pub mod orders;
pub mod organisation;
pub mod outbox;
pub mod pipelines;
pub mod price_lists;
pub mod pricing;
pub mod products;
pub mod quotes;
pub mod receivables;
pub mod reports;
pub mod search;
pub mod seed;
pub mod sessions;
pub mod sla;
pub mod stored;
pub mod tenants;
pub mod transitions;
pub mod views;
pub mod webhook_deliveries;
pub mod webhooks;

#[cfg(test)]
mod access_log_tests;
#[cfg(test)]
mod case_type_access_tests;
#[cfg(test)]
mod catalogue_tests;
#[cfg(test)]
mod directory_tests;
#[cfg(test)]
mod field_access_tests;
#[cfg(test)]
mod forecast_history_tests;
#[cfg(test)]
mod goal_tests;
#[cfg(test)]
mod opportunity_tests;
#[cfg(test)]
mod quote_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod webhook_tests;

use std::sync::Arc;

use crate::ids::EntityId;
use crate::messages as msg;
use crate::ports::{Clock, CursorPosition, EffectQueue, IdGenerator, Index, Key, Query, Store, StoreError, WriteOp};
use crate::records::{self, Stored};
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Page, Versioned};

/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;
pub const DEFAULT_PAGE_SIZE: u32 = 25;
/// Items a filtered list may read to fill one page before it returns what it has with a cursor.
pub(super) const FILTER_READ_BUDGET: usize = 1_000;

/// What an upsert by another system's key (an invoice's number, a product's code) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Upserted {
    Created,
    Updated,
    /// The same data again: nothing written.
    Unchanged,
}

impl Upserted {
    pub fn as_str(self) -> &'static str {
        match self {
            Upserted::Created => "created",
            Upserted::Updated => "updated",
            Upserted::Unchanged => "unchanged",
        }
    }
}

/// The use cases, with the adapters they run on.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    queue: Arc<dyn EffectQueue>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// Where webhook deliveries may go.
    endpoints: crate::webhook::EndpointPolicy,
    /// The webhook events each tenant's subscriptions want, as the announcing use cases last read them.
    wanted_events: Arc<webhooks::WantedEventsCache>,
    /// Who can sign in: invitations and deactivations reach it.
    identity: Arc<dyn crate::ports::IdentityProvider>,
}

impl Services {
    pub fn new(
        store: Arc<dyn Store>,
        queue: Arc<dyn EffectQueue>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            store,
            queue,
            clock,
            ids,
            endpoints: Default::default(),
            wanted_events: Default::default(),
            identity: Arc::new(crate::ports::DirectoryIdentity),
        }
    }

    /// The same services with users invited into, and deactivated in, `identity` (the Cognito
    /// user pool on AWS); without it the directory is the only list of users.
    pub fn with_identity(mut self, identity: Arc<dyn crate::ports::IdentityProvider>) -> Self {
        self.identity = identity;
        self
    }

    /// The time now, by the services' clock (the edges use it for defaults such as a report's
    /// period, so tests and the local runner's clock control them too).
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// Makes every write so far durable; the edges call it once before they acknowledge a
    /// request or a message (see [`Store::sync`]).
    pub async fn sync(&self) -> Result<(), StoreError> {
        self.store.sync().await
    }

    /// Every item `query` matches, page after page, read as `T` (small partitions: a case's
    /// history or documents, a tenant's active cases).
    async fn read_all<T: Stored>(&self, mut query: Query) -> Result<Vec<T>, StoreError> {
        let mut values = Vec::new();
        loop {
            let page = self.store.query(&query).await?;
            for item in &page.items {
                values.push(records::read(item)?);
            }
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(values),
            }
        }
    }

    /// Writes one backfilled index item unless its record changed since it was read (the
    /// change then wrote the index itself); says whether it wrote.
    async fn backfill(&self, put: WriteOp) -> Result<bool, StoreError> {
        self.backfill_all(vec![put]).await
    }

    /// [`Services::backfill`] for the several index items of one record, written together.
    async fn backfill_all(&self, ops: Vec<WriteOp>) -> Result<bool, StoreError> {
        match self.store.write(ops).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A fresh id from the id generator (also what a form is given to open a record once).
    pub fn new_id(&self) -> EntityId {
        EntityId::from_ulid(self.ids.next_id())
    }

    async fn load<T: Stored>(&self, key: &Key) -> Result<Option<Versioned<T>>, StoreError> {
        match self.store.get(key).await? {
            Some(item) => Ok(Some(Versioned { version: item.version, value: records::read(&item)? })),
            None => Ok(None),
        }
    }

    /// The version a write without a prior read is conditioned on (`None`: no precondition).
    /// One named version needs no read; `*` or a list reads the stored version first, and
    /// `absent` is the version answered while nothing is stored (a default's `"0"`).
    async fn pin_version(
        &self,
        key: &Key,
        expected: Option<ExpectedVersion>,
        absent: Option<u64>,
    ) -> Result<Option<u64>, StoreError> {
        let Some(expected) = expected else { return Ok(None) };
        if let Some(version) = expected.exact() {
            return Ok(Some(version));
        }
        let stored = self.store.get(key).await?.map(|item| item.version).or(absent);
        Ok(Some(expected.pin(stored)))
    }
}

/// Fixed-width UTC, so index sort keys order by time.
pub(crate) fn utc_stamp(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A stable shard in `0..shards` for a due-index entry, from its subject's id.
pub(crate) fn shard_of(subject: &str, shards: u32) -> u32 {
    subject.bytes().fold(0u32, |acc, b| acc.wrapping_mul(31).wrapping_add(u32::from(b))) % shards
}

/// A validated page request: `limit` in 1 ..= [`MAX_PAGE_SIZE`], an opaque cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { limit: DEFAULT_PAGE_SIZE, cursor: None }
    }
}

impl PageRequest {
    pub fn new(limit: Option<u32>, cursor: Option<String>) -> Result<Self, ValidationErrors> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(ValidationErrors::single("limit", msg::page_limit(MAX_PAGE_SIZE)));
        }
        if cursor.as_ref().is_some_and(|c| c.is_empty() || c.len() > 2048) {
            return Err(ValidationErrors::single("cursor", msg::foreign_cursor()));
        }
        Ok(Self { limit, cursor })
    }
}

/// Errors of list operations.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ListError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InvalidCursor => Self::Invalid(ValidationErrors::single("cursor", msg::foreign_cursor())),
            other => Self::Store(other),
        }
    }
}

/// Reads one page of `query`, keeping the items `keep` accepts. With a filter, reads further
/// pages until the page is full or the read budget is spent, and returns a cursor positioned
/// after the last item read, so the next page resumes exactly there.
async fn list_page<T, F>(
    store: &dyn Store,
    query: Query,
    page: &PageRequest,
    keep: F,
) -> Result<Page<Versioned<T>>, ListError>
where
    T: Stored,
    F: Fn(&T) -> bool,
{
    let index: Option<Index> = query.index;
    let mut query = query.limit(page.limit).after(page.cursor.clone());
    let mut items = Vec::new();
    let mut read = 0usize;
    loop {
        let result = store.query(&query).await?;
        let count = result.items.len();
        for (position, item) in result.items.into_iter().enumerate() {
            read += 1;
            let value: T = records::read(&item)?;
            if keep(&value) {
                items.push(Versioned { version: item.version, value });
            }
            let exhausted = position + 1 == count && result.next_cursor.is_none();
            if exhausted {
                return Ok(Page { items, next_cursor: None });
            }
            if items.len() == page.limit as usize || read >= FILTER_READ_BUDGET {
                // Stop here, mid-page if need be: the cursor resumes right after this item.
                let cursor = CursorPosition::of(&item, index).encode();
                return Ok(Page { items, next_cursor: Some(cursor) });
            }
        }
        match result.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(Page { items, next_cursor: None }),
        }
    }
}
