//! Adapters for tests that need no I/O: an in-memory store with the same semantics as the
//! embedded store and DynamoDB (the conformance suite in `tests/` runs on it too), a clock the
//! test moves by hand and a queue that records what it is given. The use-case tests beside the
//! code run on these, so a plain `cargo test` needs nothing installed.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_trait::async_trait;
use serde_json::Map;

use crate::ports::{
    BlobError, BlobInfo, BlobStore, COUNTER_ATTRIBUTE, COUNTER_ENTITY, Clock, CursorPosition, EffectMessage,
    EffectQueue, IdGenerator, Index, Item, Key, Query, QueryPage, QueueError, Store, StoreError, WriteOp, check_batch,
    check_keys, check_query,
};

/// Table key, then index key → table key, as ordered tuples.
type TableKey = (String, String);
type IndexEntry = (String, String, String, String);

#[derive(Default)]
struct Tables {
    items: BTreeMap<TableKey, Item>,
    indexes: [BTreeMap<IndexEntry, ()>; crate::ports::INDEX_COUNT],
}

impl Tables {
    fn remove(&mut self, key: &Key) {
        if let Some(old) = self.items.remove(&(key.pk.clone(), key.sk.clone())) {
            for index in Index::ALL {
                if let Some(ik) = old.index(index) {
                    self.indexes[index.position()].remove(&(
                        ik.pk.clone(),
                        ik.sk.clone(),
                        key.pk.clone(),
                        key.sk.clone(),
                    ));
                }
            }
        }
    }

    fn put(&mut self, item: Item) {
        self.remove(&item.key);
        for index in Index::ALL {
            if let Some(ik) = item.index(index) {
                let entry = (ik.pk.clone(), ik.sk.clone(), item.key.pk.clone(), item.key.sk.clone());
                self.indexes[index.position()].insert(entry, ());
            }
        }
        self.items.insert((item.key.pk.clone(), item.key.sk.clone()), item);
    }

    fn get(&self, key: &Key) -> Option<&Item> {
        self.items.get(&(key.pk.clone(), key.sk.clone()))
    }
}

/// The single table in memory. One lock: every write batch is atomic and conditions are checked
/// against the state the batch will change.
#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every stored item, in key order (for tests that inspect what a scenario wrote).
    pub fn items(&self) -> Vec<Item> {
        self.tables().items.values().cloned().collect()
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether `sk` lies after the cursor position in the query's direction.
fn after_cursor(query: &Query, position: Option<&CursorPosition>, sort_key: &str, key: &Key) -> bool {
    let Some(position) = position else { return true };
    let here = (sort_key, key.pk.as_str(), key.sk.as_str());
    let there = (position.sort_key(), position.key.pk.as_str(), position.key.sk.as_str());
    if query.forward { here > there } else { here < there }
}

#[async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        Ok(self.tables().get(key).cloned())
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        check_keys(keys)?;
        let tables = self.tables();
        Ok(keys.iter().map(|key| tables.get(key).cloned()).collect())
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        check_batch(&ops)?;
        let mut tables = self.tables();
        // Keys within a batch are distinct, so checking every condition first is the same as
        // checking each before its own write.
        if let Some(op) = ops.iter().find(|op| !op.condition().holds(tables.get(op.key()))) {
            return Err(op.condition().failed());
        }
        for op in ops {
            match op {
                WriteOp::Put { item, .. } => tables.put(item),
                WriteOp::Delete { key, .. } => tables.remove(&key),
                WriteOp::Check { .. } => {}
                WriteOp::Add { key, entity, amounts } => {
                    let mut item = tables.get(&key).cloned().unwrap_or_else(|| Item::new(key, entity, 0, Map::new()));
                    crate::ports::add_amounts(&mut item, &amounts);
                    tables.put(item);
                }
            }
        }
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        check_query(query)?;
        let cursor = query.cursor.as_deref().map(|c| CursorPosition::decode_for(c, query)).transpose()?;
        if let Some(position) = &cursor
            && !query.range.contains(position.sort_key())
        {
            return Err(StoreError::InvalidCursor);
        }
        let tables = self.tables();
        let pk = query.pk.clone();
        // (sort key in the queried table or index, table key) of the partition, in sort order.
        let mut matches: Vec<(String, Key)> = match query.index {
            None => tables
                .items
                .range((Bound::Included((pk.clone(), String::new())), Bound::Unbounded))
                .take_while(|((p, _), _)| *p == pk)
                .map(|((p, s), _)| (s.clone(), Key::new(p, s)))
                .collect(),
            Some(index) => tables.indexes[index.position()]
                .range((Bound::Included((pk.clone(), String::new(), String::new(), String::new())), Bound::Unbounded))
                .take_while(|((ipk, ..), _)| *ipk == pk)
                .map(|((_, isk, p, s), _)| (isk.clone(), Key::new(p, s)))
                .collect(),
        };
        matches.retain(|(sort_key, key)| {
            query.range.contains(sort_key) && after_cursor(query, cursor.as_ref(), sort_key, key)
        });
        if !query.forward {
            matches.reverse();
        }
        let limit = query.limit as usize;
        let more = matches.len() > limit;
        let items: Vec<Item> = matches
            .into_iter()
            .take(limit)
            .map(|(_, key)| tables.get(&key).cloned().expect("an index entry has its item"))
            .collect();
        let next_cursor =
            if more { items.last().map(|item| CursorPosition::of(item, query.index).encode()) } else { None };
        Ok(QueryPage { items, next_cursor })
    }

    async fn increment(&self, key: &Key, by: i64, ttl: Option<i64>) -> Result<i64, StoreError> {
        let mut tables = self.tables();
        let current = tables.get(key);
        let count = current.and_then(|item| item.body.get(COUNTER_ATTRIBUTE)).and_then(|v| v.as_i64()).unwrap_or(0);
        let version = current.map_or(0, |item| item.version);
        let kept_ttl = current.and_then(|item| item.ttl);
        let value = count + by;
        let mut body = Map::new();
        body.insert(COUNTER_ATTRIBUTE.into(), value.into());
        let mut item = Item::new(key.clone(), COUNTER_ENTITY, version + 1, body);
        item.ttl = ttl.or(kept_ttl);
        tables.put(item);
        Ok(value)
    }
}

/// A clock the test moves by hand.
pub struct ManualClock(Mutex<jiff::Timestamp>);

impl ManualClock {
    pub fn at(start: &str) -> Self {
        Self(Mutex::new(start.parse().expect("an RFC 3339 instant")))
    }

    pub fn advance(&self, seconds: i64) {
        let mut now = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = now.checked_add(jiff::SignedDuration::from_secs(seconds)).expect("in range");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> jiff::Timestamp {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An effect queue that records what it is given and can be told to fail.
#[derive(Default)]
pub struct RecordingQueue {
    published: Mutex<Vec<EffectMessage>>,
    delayed: Mutex<Vec<(EffectMessage, std::time::Duration)>>,
    failing: AtomicBool,
}

impl RecordingQueue {
    /// Makes every publish fail (true) or succeed (false) from now on.
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn published(&self) -> Vec<EffectMessage> {
        self.published.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// What was published with a delay, and the delay.
    pub fn delayed(&self) -> Vec<(EffectMessage, std::time::Duration)> {
        self.delayed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

#[async_trait]
impl EffectQueue for RecordingQueue {
    async fn publish(&self, messages: &[EffectMessage]) -> Result<(), QueueError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(QueueError("the test queue is down".into()));
        }
        self.published.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(messages);
        Ok(())
    }

    async fn publish_delayed(&self, message: &EffectMessage, delay: std::time::Duration) -> Result<(), QueueError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(QueueError("the test queue is down".into()));
        }
        self.delayed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((message.clone(), delay));
        Ok(())
    }
}

/// A documents bucket in memory; its presigned URLs are `memory://{key}`, which a test follows
/// with [`MemoryBlobs::put`].
#[derive(Default)]
pub struct MemoryBlobs(Mutex<BTreeMap<String, (Vec<u8>, String)>>);

impl MemoryBlobs {
    /// How many objects the bucket holds.
    pub fn len(&self) -> usize {
        self.objects().len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects().is_empty()
    }

    fn objects(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, (Vec<u8>, String)>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl BlobStore for MemoryBlobs {
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str, _: &str) -> Result<String, BlobError> {
        self.objects().insert(key.into(), (bytes.to_vec(), content_type.into()));
        Ok(memory_etag(bytes))
    }
    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError> {
        Ok(self.objects().get(key).map(|(b, t)| BlobInfo {
            size: b.len() as u64,
            content_type: t.clone(),
            etag: memory_etag(b),
        }))
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Ok(self.objects().get(key).map(|(b, _)| b.clone()))
    }
    async fn presign_get(&self, key: &str, _: &str, _: u64) -> Result<String, BlobError> {
        Ok(format!("memory://{key}"))
    }
    async fn presign_put(&self, key: &str, _: &str, _: u64, _: u64) -> Result<String, BlobError> {
        Ok(format!("memory://{key}"))
    }
}

/// The in-memory bucket's entity tag: the content's SHA-256, as the local folder's.
fn memory_etag(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// Ids in creation order from a fixed start, so a test can predict them.
#[derive(Default)]
pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn next_id(&self) -> ulid::Ulid {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        // 2026-01-01T00:00:00Z, then one millisecond per id.
        ulid::Ulid::from_parts(1_767_225_600_000 + n, u128::from(n))
    }
}

/// A webhook endpoint that answers every delivery with one status code.
pub struct AnsweringEndpoint(pub u16);

#[async_trait]
impl crate::ports::WebhookTransport for AnsweringEndpoint {
    async fn post(
        &self,
        _: &str,
        _: &[(&str, String)],
        _: &[u8],
    ) -> Result<crate::ports::EndpointAnswer, crate::ports::TransportError> {
        Ok(crate::ports::EndpointAnswer { status: self.0, body: format!("answered {}", self.0) })
    }
}
