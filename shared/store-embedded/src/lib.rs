//! The embedded single-table store: the same item model as DynamoDB, kept in one
//! [redb](https://docs.rs/redb) file. redb is an ACID, copy-on-write B-tree store: every
//! committed write survives a crash or a power cut, and a half-done write never shows.
//!
//! Layout: one table `items` keyed by `(PK, SK)` holding the item as JSON, and one table per
//! global secondary index keyed by `(GSIxPK, GSIxSK, PK, SK)`, kept in the same write
//! transaction as the item. Conditions, batch limits and cursor semantics match the DynamoDB
//! adapter; the conformance suite in `tests/` runs against both.
//!
//! Durability is group-committed. Each write commits at once without syncing the file
//! (`Durability::None`: visible, all-or-nothing, but not yet on disk), and [`Store::sync`] — which
//! the edge calls once before it acknowledges a request — makes every commit so far durable with
//! one synced commit. Concurrent requests share that sync: whoever syncs while others wait covers
//! their writes too. A crash loses only writes that no request had acknowledged yet.

use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use gestiona_domain::ports::{
    COUNTER_ATTRIBUTE, COUNTER_ENTITY, CursorPosition, INDEX_COUNT, Index, Item, Key, Query, QueryPage, SortKeyRange,
    Store, StoreError, StoredItem, WriteOp, check_batch, check_keys, check_query,
};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");
type IndexKey<'a> = (&'a str, &'a str, &'a str, &'a str);
const INDEXES: [TableDefinition<IndexKey, ()>; INDEX_COUNT] =
    [TableDefinition::new("gsi1"), TableDefinition::new("gsi2"), TableDefinition::new("gsi3")];

/// The page cache. redb's default (1 GiB) lets a long-running local runner grow with its data;
/// 64 MiB holds the working set of a busy demo tenant (the hot index pages and recent items)
/// and bounds the runner's memory whatever the file's size.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A file-backed store. Cheap to clone; clones share the database.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    commits: Arc<Commits>,
}

/// How far the commits have been made durable.
#[derive(Default)]
struct Commits {
    /// Commits made so far (each counted once it has returned).
    made: AtomicU64,
    /// Commits known to be on disk.
    durable: AtomicU64,
    /// Held by the one caller that syncs; the others wait for it and are usually covered.
    syncing: Mutex<()>,
}

/// A write transaction that commits without syncing the file; [`Store::sync`] makes it durable.
fn begin_write(db: &Database) -> Result<redb::WriteTransaction, StoreError> {
    let mut txn = db.begin_write().map_err(unavailable)?;
    txn.set_durability(redb::Durability::None).map_err(unavailable)?;
    Ok(txn)
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl EmbeddedStore {
    /// Opens the database file, creating it (and its tables) if absent.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let db = redb::Builder::new().set_cache_size(CACHE_BYTES).create(path.as_ref()).map_err(unavailable)?;
        let txn = db.begin_write().map_err(unavailable)?;
        {
            txn.open_table(ITEMS).map_err(unavailable)?;
            for index in INDEXES {
                txn.open_table(index).map_err(unavailable)?;
            }
        }
        txn.commit().map_err(unavailable)?;
        Ok(Self { db: Arc::new(db), commits: Arc::default() })
    }

    /// Counts a write transaction that committed (unsynced), so [`Store::sync`] knows what it
    /// must cover.
    fn counted<T>(&self, committed: Result<T, StoreError>) -> Result<T, StoreError> {
        let value = committed?;
        self.commits.made.fetch_add(1, Ordering::SeqCst);
        Ok(value)
    }
}

fn decode(key: &Key, bytes: &[u8]) -> Result<Item, StoreError> {
    let stored: StoredItem = serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        pk: key.pk.clone(),
        sk: key.sk.clone(),
        reason: e.to_string(),
    })?;
    Ok(stored.into_item(key.clone()))
}

fn write_batch(db: &Database, ops: Vec<WriteOp>) -> Result<(), StoreError> {
    let txn = begin_write(db)?;
    {
        let mut items = txn.open_table(ITEMS).map_err(unavailable)?;
        let mut indexes = INDEXES.map(|d| txn.open_table(d));
        for op in ops {
            let key = op.key().clone();
            let existing = match items.get((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)? {
                Some(bytes) => Some(decode(&key, bytes.value())?),
                None => None,
            };
            if !op.condition().holds(existing.as_ref()) {
                // Dropping the transaction uncommitted discards every earlier write of the batch.
                return Err(op.condition().failed());
            }
            // A running total is a put of the total after the addition.
            let op = match op {
                WriteOp::Add { key, entity, amounts } => {
                    let mut item = existing.clone().unwrap_or_else(|| Item::new(key, entity, 0, Default::default()));
                    gestiona_domain::ports::add_amounts(&mut item, &amounts);
                    WriteOp::Put { item, condition: gestiona_domain::ports::Condition::ALWAYS }
                }
                other => other,
            };
            let replaced = match op {
                WriteOp::Check { .. } | WriteOp::Add { .. } => continue,
                WriteOp::Delete { .. } => {
                    items.remove((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)?;
                    existing
                }
                WriteOp::Put { item, .. } => {
                    let bytes = serde_json::to_vec(&StoredItem::from_item(&item)).map_err(unavailable)?;
                    items.insert((key.pk.as_str(), key.sk.as_str()), bytes.as_slice()).map_err(unavailable)?;
                    for index in Index::ALL {
                        if let Some(ik) = item.index(index) {
                            let table = indexes[index.position()].as_mut().map_err(unavailable)?;
                            table
                                .insert((ik.pk.as_str(), ik.sk.as_str(), key.pk.as_str(), key.sk.as_str()), ())
                                .map_err(unavailable)?;
                        }
                    }
                    // Old index entries that the new item no longer has (or has under another key).
                    existing.filter(|old| old.indexes != item.indexes).map(|mut old| {
                        for index in Index::ALL {
                            if old.index(index) == item.index(index) {
                                old.indexes[index.position()] = None;
                            }
                        }
                        old
                    })
                }
            };
            if let Some(old) = replaced {
                for index in Index::ALL {
                    if let Some(ik) = old.index(index) {
                        let table = indexes[index.position()].as_mut().map_err(unavailable)?;
                        table
                            .remove((ik.pk.as_str(), ik.sk.as_str(), key.pk.as_str(), key.sk.as_str()))
                            .map_err(unavailable)?;
                    }
                }
            }
        }
    }
    txn.commit().map_err(unavailable)
}

/// The sort-key bounds of a range within one partition (`None` upper = the partition's end).
fn sort_bounds(range: &SortKeyRange) -> (String, Bound<String>) {
    match range {
        SortKeyRange::All => (String::new(), Bound::Unbounded),
        SortKeyRange::BeginsWith(prefix) => {
            (prefix.clone(), successor_of_prefix(prefix).map_or(Bound::Unbounded, Bound::Excluded))
        }
        SortKeyRange::Between(low, high) => (low.clone(), Bound::Included(high.clone())),
    }
}

/// The least string greater than every string that starts with `prefix`, if any.
fn successor_of_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) =
            char::from_u32(last as u32 + 1).or_else(|| char::from_u32(0xE000).filter(|_| last as u32 == 0xD7FF))
        {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The least string sorting after `s`: as the first element of a key tuple, it bounds every
/// tuple whose first element is `s`.
fn after(s: &str) -> String {
    format!("{s}\0")
}

/// The table keys of the first `limit + 1` entries of a range, in query order: one more than
/// the page, to learn whether another page follows.
fn first_keys<K: redb::Key + 'static, V: redb::Value + 'static>(
    range: redb::Range<'static, K, V>,
    forward: bool,
    limit: usize,
    key_of: impl Fn(K::SelfType<'_>) -> Key,
) -> Result<Vec<Key>, StoreError> {
    let entries: Box<dyn Iterator<Item = _>> = if forward { Box::new(range) } else { Box::new(range.rev()) };
    entries.take(limit + 1).map(|entry| entry.map(|(k, _)| key_of(k.value())).map_err(unavailable)).collect()
}

fn query_page(db: &Database, query: &Query) -> Result<QueryPage, StoreError> {
    check_query(query)?;
    let cursor = query.cursor.as_deref().map(|c| CursorPosition::decode_for(c, query)).transpose()?;
    if let Some(position) = &cursor
        && !query.range.contains(position.sort_key())
    {
        return Err(StoreError::InvalidCursor);
    }
    let txn = db.begin_read().map_err(unavailable)?;
    let items = txn.open_table(ITEMS).map_err(unavailable)?;
    let (low, high) = sort_bounds(&query.range);
    let limit = query.limit as usize;
    let mut keys = match query.index {
        None => {
            let pk = query.pk.as_str();
            let partition_end = after(pk);
            let mut start = Bound::Included((pk, low.as_str()));
            let mut end = match &high {
                Bound::Included(h) => Bound::Included((pk, h.as_str())),
                Bound::Excluded(h) => Bound::Excluded((pk, h.as_str())),
                Bound::Unbounded => Bound::Excluded((partition_end.as_str(), "")),
            };
            if let Some(position) = &cursor {
                let at = (pk, position.key.sk.as_str());
                if query.forward { start = Bound::Excluded(at) } else { end = Bound::Excluded(at) }
            }
            let range = items.range::<(&str, &str)>((start, end)).map_err(unavailable)?;
            first_keys(range, query.forward, limit, |(p, s)| Key::new(p, s))?
        }
        Some(index) => {
            let table = txn.open_table(INDEXES[index.position()]).map_err(unavailable)?;
            let ipk = query.pk.as_str();
            let partition_end = after(ipk);
            let high_after = match &high {
                Bound::Included(h) => after(h),
                _ => String::new(),
            };
            let mut start = Bound::Included((ipk, low.as_str(), "", ""));
            let mut end = match &high {
                Bound::Included(_) => Bound::Excluded((ipk, high_after.as_str(), "", "")),
                Bound::Excluded(h) => Bound::Excluded((ipk, h.as_str(), "", "")),
                Bound::Unbounded => Bound::Excluded((partition_end.as_str(), "", "", "")),
            };
            if let Some(position) = &cursor {
                let at = (ipk, position.sort_key(), position.key.pk.as_str(), position.key.sk.as_str());
                if query.forward { start = Bound::Excluded(at) } else { end = Bound::Excluded(at) }
            }
            let range = table.range::<IndexKey>((start, end)).map_err(unavailable)?;
            first_keys(range, query.forward, limit, |(_, _, p, s)| Key::new(p, s))?
        }
    };
    let more = keys.len() > limit;
    keys.truncate(limit);
    let mut page = Vec::with_capacity(keys.len());
    for key in keys {
        let bytes = items.get((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)?.ok_or_else(|| {
            StoreError::Corrupt { pk: key.pk.clone(), sk: key.sk.clone(), reason: "index entry without item".into() }
        })?;
        page.push(decode(&key, bytes.value())?);
    }
    let next_cursor = if more { page.last().map(|item| CursorPosition::of(item, query.index).encode()) } else { None };
    Ok(QueryPage { items: page, next_cursor })
}

/// Adds `by` to a counter item in one write transaction (redb runs one at a time, so the
/// read, the addition and the write cannot interleave).
fn increment_counter(db: &Database, key: &Key, by: i64, ttl: Option<i64>) -> Result<i64, StoreError> {
    let txn = begin_write(db)?;
    let value = {
        let mut items = txn.open_table(ITEMS).map_err(unavailable)?;
        let current = match items.get((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)? {
            Some(bytes) => Some(decode(key, bytes.value())?),
            None => None,
        };
        let (count, version) = match &current {
            Some(item) => (item.body.get(COUNTER_ATTRIBUTE).and_then(|v| v.as_i64()).unwrap_or(0), item.version),
            None => (0, 0),
        };
        let value = count + by;
        let mut body = serde_json::Map::new();
        body.insert(COUNTER_ATTRIBUTE.into(), value.into());
        let mut item = Item::new(key.clone(), COUNTER_ENTITY, version + 1, body);
        item.ttl = ttl.or(current.as_ref().and_then(|c| c.ttl));
        let bytes = serde_json::to_vec(&StoredItem::from_item(&item)).map_err(unavailable)?;
        items.insert((key.pk.as_str(), key.sk.as_str()), bytes.as_slice()).map_err(unavailable)?;
        value
    };
    txn.commit().map_err(unavailable)?;
    Ok(value)
}

#[async_trait]
impl Store for EmbeddedStore {
    // Reads come from the page cache and unsynced commits only copy pages into the OS cache:
    // tens of microseconds, less than handing the work to a blocking thread and back would
    // cost, so they run on the caller's thread. Only `sync`, which waits for the disk, does not.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let txn = self.db.begin_read().map_err(unavailable)?;
        let items = txn.open_table(ITEMS).map_err(unavailable)?;
        let found = items.get((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)?;
        found.map(|bytes| decode(key, bytes.value())).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        check_keys(keys)?;
        // One read transaction: the items are read as of one instant.
        let txn = self.db.begin_read().map_err(unavailable)?;
        let items = txn.open_table(ITEMS).map_err(unavailable)?;
        keys.iter()
            .map(|key| {
                let found = items.get((key.pk.as_str(), key.sk.as_str())).map_err(unavailable)?;
                found.map(|bytes| decode(key, bytes.value())).transpose()
            })
            .collect()
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        check_batch(&ops)?;
        self.counted(write_batch(&self.db, ops))
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        query_page(&self.db, query)
    }

    async fn increment(&self, key: &Key, by: i64, ttl: Option<i64>) -> Result<i64, StoreError> {
        self.counted(increment_counter(&self.db, key, by, ttl))
    }

    async fn sync(&self) -> Result<(), StoreError> {
        let target = self.commits.made.load(Ordering::SeqCst);
        if self.commits.durable.load(Ordering::SeqCst) >= target {
            return Ok(());
        }
        let commits = Arc::clone(&self.commits);
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || {
            let _syncing = commits.syncing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if commits.durable.load(Ordering::SeqCst) >= target {
                return Ok(()); // The sync we waited for covered this caller.
            }
            // Every commit counted by now has returned, so the synced commit below persists it.
            let covered = commits.made.load(Ordering::SeqCst);
            let txn = db.begin_write().map_err(unavailable)?;
            txn.commit().map_err(unavailable)?;
            commits.durable.fetch_max(covered, Ordering::SeqCst);
            Ok(())
        })
        .await
        .map_err(unavailable)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successors() {
        assert_eq!(successor_of_prefix("EVT#").as_deref(), Some("EVT$"));
        assert_eq!(successor_of_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor_of_prefix("\u{10FFFF}"), None);
        assert_eq!(successor_of_prefix("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }
}
