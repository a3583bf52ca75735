//! Price lists: their settings, the versions the ERP's sync writes, the list each account is
//! priced from, and pricing quote lines.
//!
//! A version is written as a draft and then published. Each product's current row is one item
//! (`P#code`) stamped with the version that wrote it; when a draft replaces or removes a row,
//! the row it replaces is kept in the history (`H#code#since`) in the same write, and a removal
//! leaves a tombstone. Readers of the published version take the current row when its version
//! is not newer than the published one, and otherwise the row the history kept: a draft is
//! never seen before it is published, and only the rows that changed are ever written.
//!
//! The draft's counts (added, changed, removed) are running totals in their own item, added in
//! each write of rows; every write of rows also checks that the list's settings item is as
//! read, so that a publish in between turns a late write into a conflict instead of a change
//! to a published version.

use std::collections::{HashMap, HashSet};

use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::access::{Module, Operation, Permission};
use crate::actor::{Actor, Forbidden};
use crate::ids::{EntityId, PriceListKey, ProductCode, TenantId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{
    Condition, Index, Item, Key, MAX_READ_KEYS, MAX_WRITE_OPS, Query, SortKeyRange, StoreError, WriteOp,
};
use crate::records;
use crate::sales::price_list::{Draft, MAX_ROWS_PER_SYNC, Price, PriceListInput, PriceListVersion, PriceSync};
use crate::sales::{PriceList, PriceRow};
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Page, Versioned};

pub const ENTITY: &str = "PriceList";
pub const ROW_ENTITY: &str = "PriceRow";
pub const DRAFT_ENTITY: &str = "PriceListDraft";
pub const VERSION_ENTITY: &str = "PriceListVersion";
pub const DEFAULT_ENTITY: &str = "DefaultPriceList";
pub const ACCOUNT_LIST_ENTITY: &str = "AccountPriceList";

#[derive(Debug, thiserror::Error)]
pub enum PriceListError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such price list")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the price list changed since version {0}")]
    Stale(u64),
    /// A sync named a version that is not the one being written.
    #[error("version {open} of the list is being written")]
    DraftOpen { open: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A price list as read: its settings and whether it is the tenant's default.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceListView {
    #[serde(flatten)]
    pub list: PriceList,
    pub default: bool,
}

/// Which list is the default (stored as the pointer's body).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPointer {
    pub price_list: PriceListKey,
}

/// The draft's running counts: what it changed against the published version.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftCounts {
    #[serde(default)]
    pub added: i64,
    #[serde(default)]
    pub changed: i64,
    #[serde(default)]
    pub removed: i64,
}

/// What one sync request did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncOutcome {
    /// The version written: published now, or the draft to continue.
    pub version: u32,
    pub published: bool,
    /// Rows this request wrote (added, changed or removed); the others were as sent.
    pub written: u64,
    pub unchanged: u64,
    /// The version's counts so far against the published version before it.
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    /// Rows in the list once this version is published.
    pub rows: u64,
}

/// How a product's row at the end of a draft differs from the published version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Difference {
    Same,
    Added,
    Changed,
    Removed,
}

impl Difference {
    fn between(before: Option<&PriceRow>, after: Option<&PriceRow>) -> Self {
        fn live(r: Option<&PriceRow>) -> Option<&PriceRow> {
            r.filter(|r| !r.removed)
        }
        match (live(before), live(after)) {
            (None, None) => Difference::Same,
            (None, Some(_)) => Difference::Added,
            (Some(_), None) => Difference::Removed,
            (Some(b), Some(a)) if b.prices == a.prices => Difference::Same,
            (Some(_), Some(_)) => Difference::Changed,
        }
    }

    fn counts(self) -> [i64; 3] {
        match self {
            Difference::Same => [0, 0, 0],
            Difference::Added => [1, 0, 0],
            Difference::Changed => [0, 1, 0],
            Difference::Removed => [0, 0, 1],
        }
    }
}

impl DraftCounts {
    fn rows_delta(&self) -> i64 {
        self.added - self.removed
    }
}

fn list_item(tenant: &TenantId, list: &PriceList, version: u64) -> Result<Item, StoreError> {
    Ok(Item::new(keys::price_list(tenant, &list.key), ENTITY, version, records::body(list)?)
        .with_index(Index::Gsi1, keys::price_lists_listing(tenant, &list.key)))
}

fn row_item(tenant: &TenantId, list: &PriceListKey, row: &PriceRow, version: u64) -> Result<Item, StoreError> {
    Ok(Item::new(keys::price_row(tenant, list, &row.product), ROW_ENTITY, version, records::body(row)?))
}

impl Services {
    async fn price_list_of(
        &self,
        tenant: &TenantId,
        key: &PriceListKey,
    ) -> Result<Option<Versioned<PriceList>>, StoreError> {
        self.load::<PriceList>(&keys::price_list(tenant, key)).await
    }

    pub(super) async fn default_price_list(&self, tenant: &TenantId) -> Result<Option<PriceListKey>, StoreError> {
        Ok(self.load::<ListPointer>(&keys::default_price_list(tenant)).await?.map(|p| p.value.price_list))
    }

    /// `GET /price-lists`: the tenant's lists by key.
    pub async fn price_lists(
        &self,
        actor: &Actor,
        page: &PageRequest,
    ) -> Result<Page<Versioned<PriceListView>>, ListError> {
        let default = self.default_price_list(&actor.tenant).await?;
        let query = Query::index(Index::Gsi1, keys::price_lists_listing_partition(&actor.tenant));
        let page = list_page(self.store.as_ref(), query, page, |_: &PriceList| true).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|v| Versioned {
                    version: v.version,
                    value: PriceListView { default: default.as_ref() == Some(&v.value.key), list: v.value },
                })
                .collect(),
            next_cursor: page.next_cursor,
        })
    }

    pub async fn get_price_list(
        &self,
        actor: &Actor,
        key: &PriceListKey,
    ) -> Result<Versioned<PriceListView>, PriceListError> {
        actor.permit(Permission::new(Module::Products, Operation::Read))?;
        let (list, default) =
            futures::try_join!(self.price_list_of(&actor.tenant, key), self.default_price_list(&actor.tenant))?;
        let list = list.ok_or(PriceListError::NotFound)?;
        Ok(Versioned {
            version: list.version,
            value: PriceListView { default: default.as_ref() == Some(key), list: list.value },
        })
    }

    /// `PUT /price-lists/{key}`: creates the list or changes its settings, at the version read
    /// (`If-Match`) when given. Making it the default takes the default from the list that had it.
    pub async fn save_price_list(
        &self,
        actor: &Actor,
        key: &PriceListKey,
        input: &PriceListInput,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<PriceListView>, PriceListError> {
        actor.permit(Permission::new(Module::Products, Operation::Update))?;
        let tenant = &actor.tenant;
        let (current, default) = futures::try_join!(self.price_list_of(tenant, key), self.default_price_list(tenant))?;
        let current_version = current.as_ref().map_or(0, |c| c.version);
        if let Some(expected) = expected {
            expected.admit(current_version).ok_or(PriceListError::Stale(expected.named()))?;
        }
        let settings = input.validate(current.as_ref().map(|c| &c.value))?;
        let is_default = default.as_ref() == Some(key);
        if is_default && !settings.active {
            return Err(ValidationErrors::single("active", msg::default_must_be_active()).into());
        }
        let now = self.clock.now();
        let list = match &current {
            Some(current) => PriceList {
                name: settings.name,
                currency: settings.currency,
                active: settings.active,
                updated_at: now,
                updated_by: actor.user.clone(),
                ..current.value.clone()
            },
            None => PriceList {
                key: key.clone(),
                name: settings.name,
                currency: settings.currency,
                active: settings.active,
                published_version: 0,
                rows: 0,
                draft: None,
                created_at: now,
                updated_at: now,
                updated_by: actor.user.clone(),
            },
        };
        let version = current_version + 1;
        let condition = Condition::version_or_new(conditions::PRICE_LIST, current.as_ref().map(|c| c.version));
        let mut ops = vec![WriteOp::Put { item: list_item(tenant, &list, version)?, condition }];
        if settings.default && !is_default {
            let pointer = ListPointer { price_list: key.clone() };
            let item = Item::new(keys::default_price_list(tenant), DEFAULT_ENTITY, 1, records::body(&pointer)?);
            ops.push(WriteOp::Put { item, condition: Condition::ALWAYS });
        }
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { version, value: PriceListView { default: settings.default || is_default, list } }),
            Err(StoreError::ConditionFailed { .. }) => Err(PriceListError::Stale(current_version)),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /price-lists/{key}/prices`: the published version's rows by product code.
    pub async fn price_rows(
        &self,
        actor: &Actor,
        key: &PriceListKey,
        page: &PageRequest,
    ) -> Result<Page<PriceRow>, PriceListError> {
        actor.permit(Permission::new(Module::Products, Operation::Read))?;
        let list = self.price_list_of(&actor.tenant, key).await?.ok_or(PriceListError::NotFound)?.value;
        let query = Query::partition(keys::price_list_partition(&actor.tenant, key))
            .range(SortKeyRange::BeginsWith(keys::PRICE_ROW_PREFIX.into()));
        // Rows a draft wrote are read as published; removed ones (and ones the draft added) are
        // left out, so a page may be short while a draft is open.
        let found = list_page(self.store.as_ref(), query, page, |_: &PriceRow| true).await.map_err(|e| match e {
            ListError::Invalid(v) => PriceListError::Invalid(v),
            ListError::Store(s) => PriceListError::Store(s),
        })?;
        let mut items = Vec::with_capacity(found.items.len());
        for row in found.items {
            if let Some(row) = self.published_row(&actor.tenant, &list, row.value).await? {
                items.push(row);
            }
        }
        Ok(Page { items, next_cursor: found.next_cursor })
    }

    /// The row as the published version has it, given the current one.
    async fn published_row(
        &self,
        tenant: &TenantId,
        list: &PriceList,
        current: PriceRow,
    ) -> Result<Option<PriceRow>, StoreError> {
        let row = if current.since <= list.published_version {
            Some(current)
        } else {
            self.row_before(tenant, &list.key, &current.product, current.since).await?
        };
        Ok(row.filter(|r| !r.removed))
    }

    /// The row a version before `version` had: the newest the history kept.
    async fn row_before(
        &self,
        tenant: &TenantId,
        list: &PriceListKey,
        product: &ProductCode,
        version: u32,
    ) -> Result<Option<PriceRow>, StoreError> {
        let query = Query::partition(keys::price_list_partition(tenant, list))
            .range(SortKeyRange::BeginsWith(keys::price_row_history_prefix(product)))
            .backward()
            .limit(5);
        let page = self.store.query(&query).await?;
        for item in page.items {
            let row: PriceRow = records::read(&item)?;
            if row.since < version {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }

    /// `GET /price-lists/{key}/versions`: the published versions, newest first.
    pub async fn price_list_versions(
        &self,
        actor: &Actor,
        key: &PriceListKey,
        page: &PageRequest,
    ) -> Result<Page<Versioned<PriceListVersion>>, PriceListError> {
        actor.permit(Permission::new(Module::Products, Operation::Read))?;
        self.price_list_of(&actor.tenant, key).await?.ok_or(PriceListError::NotFound)?;
        let query = Query::partition(keys::price_list_partition(&actor.tenant, key))
            .range(SortKeyRange::BeginsWith(keys::PRICE_LIST_VERSION_PREFIX.into()))
            .backward();
        list_page(self.store.as_ref(), query, page, |_: &PriceListVersion| true).await.map_err(|e| match e {
            ListError::Invalid(v) => PriceListError::Invalid(v),
            ListError::Store(s) => PriceListError::Store(s),
        })
    }

    /// `POST /price-lists/{key}/prices`: writes rows into the draft of the next version (opened
    /// by the first request, continued by naming it) and publishes it unless told not to. Only
    /// the rows that differ from what the draft already has are written.
    pub async fn sync_prices(
        &self,
        actor: &Actor,
        key: &PriceListKey,
        sync: &PriceSync,
    ) -> Result<SyncOutcome, PriceListError> {
        actor.permit(Permission::new(Module::Products, Operation::Update))?;
        let tenant = &actor.tenant;
        let wanted = validate_sync(sync)?;
        let list = self.price_list_of(tenant, key).await?.ok_or(PriceListError::NotFound)?;
        let list = self.open_draft(actor, list, sync.version).await?;
        let draft = list.value.draft.clone().expect("an open draft");
        let mut written = 0u64;
        let mut unchanged = 0u64;
        let codes: Vec<&ProductCode> = wanted.keys().collect();
        for chunk in codes.chunks(MAX_READ_KEYS) {
            let row_keys: Vec<Key> = chunk.iter().map(|code| keys::price_row(tenant, key, code)).collect();
            let currents = self.store.get_many(&row_keys).await?;
            let mut ops: Vec<WriteOp> = Vec::new();
            let mut counts = DraftCounts::default();
            for (code, current) in chunk.iter().zip(currents) {
                let current: Option<Versioned<PriceRow>> = current
                    .map(|item| Ok::<_, StoreError>(Versioned { version: item.version, value: records::read(&item)? }))
                    .transpose()?;
                let after = wanted[*code].as_ref().map(|prices| PriceRow {
                    product: (*code).clone(),
                    prices: prices.clone(),
                    since: draft.version,
                    removed: false,
                });
                let same_as_now = match (&current, &after) {
                    (Some(c), Some(a)) => !c.value.removed && c.value.prices == a.prices,
                    (Some(c), None) => c.value.removed,
                    (None, None) => true,
                    (None, Some(_)) => false,
                };
                if same_as_now {
                    unchanged += 1;
                    continue;
                }
                // What the published version has, to count the draft's difference against it.
                let published = match &current {
                    Some(c) if c.value.since < draft.version => Some(c.value.clone()),
                    Some(c) => self.row_before(tenant, key, code, c.value.since).await?,
                    None => None,
                };
                let drafted = current.as_ref().filter(|c| c.value.since == draft.version).map(|c| &c.value);
                let then = Difference::between(published.as_ref(), drafted.or(published.as_ref())).counts();
                let now = Difference::between(published.as_ref(), after.as_ref()).counts();
                let row_ops = row_ops(tenant, key, current.as_ref(), after, draft.version)?;
                // Two writes of each batch are the list's check and the counts.
                if ops.len() + row_ops.len() + 2 > MAX_WRITE_OPS {
                    self.write_rows(tenant, &list, std::mem::take(&mut ops), std::mem::take(&mut counts)).await?;
                }
                ops.extend(row_ops);
                counts.added += now[0] - then[0];
                counts.changed += now[1] - then[1];
                counts.removed += now[2] - then[2];
                written += 1;
            }
            if !ops.is_empty() {
                self.write_rows(tenant, &list, ops, counts).await?;
            }
        }
        let counts = self.load::<DraftCounts>(&keys::price_list_draft(tenant, key)).await?;
        let totals = counts.as_ref().map(|c| c.value.clone()).unwrap_or_default();
        let rows = (list.value.rows as i64 + totals.rows_delta()).max(0) as u64;
        let outcome = SyncOutcome {
            version: draft.version,
            published: sync.publish,
            written,
            unchanged,
            added: totals.added.max(0) as u64,
            changed: totals.changed.max(0) as u64,
            removed: totals.removed.max(0) as u64,
            rows,
        };
        if sync.publish {
            self.publish(actor, list, counts, &outcome).await?;
        }
        Ok(outcome)
    }

    /// The list with its draft open: the one named, or a new one after the published version.
    async fn open_draft(
        &self,
        actor: &Actor,
        list: Versioned<PriceList>,
        named: Option<u32>,
    ) -> Result<Versioned<PriceList>, PriceListError> {
        let next = list.value.published_version + 1;
        match (&list.value.draft, named) {
            (Some(draft), Some(named)) if draft.version == named => return Ok(list),
            (Some(draft), _) => return Err(PriceListError::DraftOpen { open: draft.version }),
            (None, Some(named)) if named != next => {
                return Err(ValidationErrors::single("version", msg::must_be_next_version(next)).into());
            }
            (None, _) => {}
        }
        let opened =
            PriceList { draft: Some(Draft { version: next, started_at: self.clock.now() }), ..list.value.clone() };
        let version = list.version + 1;
        let condition = Condition::version_is(conditions::PRICE_LIST, list.version);
        let ops = vec![
            WriteOp::Put { item: list_item(&actor.tenant, &opened, version)?, condition },
            // A draft's counts start from nothing.
            WriteOp::Delete { key: keys::price_list_draft(&actor.tenant, &opened.key), condition: Condition::ALWAYS },
        ];
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: opened, version }),
            Err(StoreError::ConditionFailed { .. }) => Err(PriceListError::Stale(list.version)),
            Err(e) => Err(e.into()),
        }
    }

    /// One write of a draft's rows, with their counts, while the list is as read.
    async fn write_rows(
        &self,
        tenant: &TenantId,
        list: &Versioned<PriceList>,
        mut ops: Vec<WriteOp>,
        counts: DraftCounts,
    ) -> Result<(), PriceListError> {
        ops.push(WriteOp::Check {
            key: keys::price_list(tenant, &list.value.key),
            condition: Condition::version_is(conditions::PRICE_LIST, list.version),
        });
        ops.push(WriteOp::Add {
            key: keys::price_list_draft(tenant, &list.value.key),
            entity: DRAFT_ENTITY,
            amounts: vec![("added", counts.added), ("changed", counts.changed), ("removed", counts.removed)],
        });
        match self.store.write(ops).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(PriceListError::Stale(list.version)),
            Err(e) => Err(e.into()),
        }
    }

    /// Makes the draft the published version, with its entry in the log, while neither the
    /// list nor the draft's counts changed since read.
    async fn publish(
        &self,
        actor: &Actor,
        list: Versioned<PriceList>,
        counts: Option<Versioned<DraftCounts>>,
        outcome: &SyncOutcome,
    ) -> Result<(), PriceListError> {
        let tenant = &actor.tenant;
        let now = self.clock.now();
        let published = PriceList {
            published_version: outcome.version,
            rows: outcome.rows,
            draft: None,
            updated_at: now,
            updated_by: actor.user.clone(),
            ..list.value.clone()
        };
        let entry = PriceListVersion {
            number: outcome.version,
            added: outcome.added,
            changed: outcome.changed,
            removed: outcome.removed,
            rows: outcome.rows,
            published_at: now,
            published_by: actor.user.clone(),
        };
        let draft_key = keys::price_list_draft(tenant, &list.value.key);
        let mut ops = vec![
            WriteOp::Put {
                item: list_item(tenant, &published, list.version + 1)?,
                condition: Condition::version_is(conditions::PRICE_LIST, list.version),
            },
            WriteOp::Put {
                item: Item::new(
                    keys::price_list_version(tenant, &list.value.key, outcome.version),
                    VERSION_ENTITY,
                    1,
                    records::body(&entry)?,
                ),
                condition: Condition::ALWAYS,
            },
        ];
        ops.push(match counts {
            Some(counts) => WriteOp::Delete {
                key: draft_key,
                condition: Condition::version_is(conditions::PRICE_LIST, counts.version),
            },
            None => WriteOp::Check { key: draft_key, condition: Condition::not_exists(conditions::PRICE_LIST) },
        });
        match self.store.write(ops).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(PriceListError::Stale(list.version)),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /accounts/{id}/price-list`: the list the account is priced from, if one is set.
    pub async fn account_price_list(
        &self,
        actor: &Actor,
        account: EntityId,
    ) -> Result<Option<PriceListKey>, PriceListError> {
        actor.permit(Permission::new(Module::Products, Operation::Read))?;
        self.store.get(&keys::account(&actor.tenant, account)).await?.ok_or(PriceListError::NotFound)?;
        Ok(self
            .load::<ListPointer>(&keys::account_price_list(&actor.tenant, account))
            .await?
            .map(|p| p.value.price_list))
    }

    /// `PUT /accounts/{id}/price-list`: sets (or, with `None`, clears) the account's list.
    pub async fn set_account_price_list(
        &self,
        actor: &Actor,
        account: EntityId,
        list: Option<&PriceListKey>,
    ) -> Result<Option<PriceListKey>, PriceListError> {
        actor.permit(Permission::new(Module::Accounts, Operation::Update))?;
        let tenant = &actor.tenant;
        self.store.get(&keys::account(tenant, account)).await?.ok_or(PriceListError::NotFound)?;
        let key = keys::account_price_list(tenant, account);
        let op = match list {
            Some(list) => {
                let found = self.price_list_of(tenant, list).await?;
                if !found.is_some_and(|l| l.value.active) {
                    return Err(ValidationErrors::single("priceList", msg::no_such_price_list(list.as_str())).into());
                }
                let pointer = ListPointer { price_list: list.clone() };
                // The list must still be there when the account points to it.
                self.store
                    .write(vec![
                        WriteOp::Put {
                            item: Item::new(key, ACCOUNT_LIST_ENTITY, 1, records::body(&pointer)?),
                            condition: Condition::ALWAYS,
                        },
                        WriteOp::Check {
                            key: keys::price_list(tenant, list),
                            condition: Condition::exists(conditions::PRICE_LIST),
                        },
                    ])
                    .await
            }
            None => self.store.write(vec![WriteOp::Delete { key, condition: Condition::ALWAYS }]).await,
        };
        match op {
            Ok(()) => Ok(list.cloned()),
            Err(StoreError::ConditionFailed { .. }) => Err(ValidationErrors::single(
                "priceList",
                msg::no_such_price_list(list.map(PriceListKey::as_str).unwrap_or_default()),
            )
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// The current rows of `codes` in `list` as its published version has them (absent: no
    /// row), one batch read per hundred codes.
    pub(super) async fn published_rows(
        &self,
        tenant: &TenantId,
        list: &PriceList,
        codes: &[ProductCode],
    ) -> Result<HashMap<ProductCode, PriceRow>, StoreError> {
        let mut rows = HashMap::with_capacity(codes.len());
        let unique: Vec<&ProductCode> = codes.iter().collect::<HashSet<_>>().into_iter().collect();
        for chunk in unique.chunks(MAX_READ_KEYS) {
            let row_keys: Vec<Key> = chunk.iter().map(|code| keys::price_row(tenant, &list.key, code)).collect();
            for item in self.store.get_many(&row_keys).await?.into_iter().flatten() {
                let current: PriceRow = records::read(&item)?;
                if let Some(row) = self.published_row(tenant, list, current).await? {
                    rows.insert(row.product.clone(), row);
                }
            }
        }
        Ok(rows)
    }

    pub(super) async fn stored_price_list(
        &self,
        tenant: &TenantId,
        key: &PriceListKey,
    ) -> Result<Option<PriceList>, StoreError> {
        Ok(self.price_list_of(tenant, key).await?.map(|l| l.value))
    }
}

/// Each product the sync names and its prices after it (`None`: removed), checked.
fn validate_sync(sync: &PriceSync) -> Result<HashMap<ProductCode, Option<Vec<Price>>>, ValidationErrors> {
    let mut e = ValidationErrors::new();
    if sync.rows.len() + sync.remove.len() > MAX_ROWS_PER_SYNC {
        e.add("rows", msg::at_most_items(MAX_ROWS_PER_SYNC));
        return Err(e);
    }
    let mut wanted = HashMap::with_capacity(sync.rows.len() + sync.remove.len());
    for (i, row) in sync.rows.iter().enumerate() {
        let prices = row.validate(&format!("rows[{i}]"), &mut e);
        if wanted.insert(row.product.clone(), prices).is_some() {
            e.add(format!("rows[{i}].product"), msg::duplicate(row.product.as_str()));
        }
    }
    for (i, code) in sync.remove.iter().enumerate() {
        if wanted.insert(code.clone(), None).is_some() {
            e.add(format!("remove[{i}]"), msg::duplicate(code.as_str()));
        }
    }
    e.finish()?;
    Ok(wanted)
}

/// The writes that take a product's row from `current` to `after` in draft `version`: the row
/// replaced is kept in the history unless the draft itself wrote it.
fn row_ops(
    tenant: &TenantId,
    list: &PriceListKey,
    current: Option<&Versioned<PriceRow>>,
    after: Option<PriceRow>,
    version: u32,
) -> Result<Vec<WriteOp>, StoreError> {
    let mut ops = Vec::with_capacity(2);
    let (row, item_version) = match (current, after) {
        (_, Some(row)) => (row, current.map_or(1, |c| c.version + 1)),
        (Some(c), None) => {
            (PriceRow { prices: Vec::new(), since: version, removed: true, ..c.value.clone() }, c.version + 1)
        }
        (None, None) => return Ok(ops),
    };
    if let Some(current) = current
        && current.value.since < version
    {
        let key = keys::price_row_history(tenant, list, &current.value.product, current.value.since);
        let item = Item::new(key, ROW_ENTITY, 1, records::body(&current.value)?);
        ops.push(WriteOp::Put { item, condition: Condition::ALWAYS });
    }
    let condition = Condition::version_or_new(conditions::PRICE_LIST, current.map(|c| c.version));
    ops.push(WriteOp::Put { item: row_item(tenant, list, &row, item_version)?, condition });
    Ok(ops)
}

impl Services {
    /// A product's prices in every list of the company (up to a hundred lists), as each list's
    /// published version has them: the product's page.
    pub async fn product_prices(
        &self,
        actor: &Actor,
        product: &ProductCode,
    ) -> Result<Vec<(PriceListView, Option<PriceRow>)>, PriceListError> {
        actor.permit(Permission::new(Module::Products, Operation::Read))?;
        let tenant = &actor.tenant;
        let lists =
            self.price_lists(actor, &PageRequest { limit: MAX_READ_KEYS as u32, cursor: None }).await.map_err(|e| {
                match e {
                    ListError::Invalid(v) => PriceListError::Invalid(v),
                    ListError::Store(s) => PriceListError::Store(s),
                }
            })?;
        if lists.items.is_empty() {
            return Ok(Vec::new());
        }
        let row_keys: Vec<Key> =
            lists.items.iter().map(|l| keys::price_row(tenant, &l.value.list.key, product)).collect();
        let currents = self.store.get_many(&row_keys).await?;
        let mut prices = Vec::with_capacity(lists.items.len());
        for (list, current) in lists.items.into_iter().zip(currents) {
            let row = match current {
                Some(item) => self.published_row(tenant, &list.value.list, records::read(&item)?).await?,
                None => None,
            };
            prices.push((list.value, row));
        }
        Ok(prices)
    }
}
