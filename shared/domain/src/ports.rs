//! The ports: narrow async traits the adapters implement (DynamoDB and embedded for the
//! store; system or fixed for the clock and ids).
//!
//! The store port speaks single-table items, not entities: `PK`/`SK`, an entity discriminator,
//! a version, up to [`INDEX_COUNT`] sparse index keys, an optional TTL and a JSON body. The
//! use cases in [`crate::service`] map entities to items with the key layout in [`crate::keys`].

use std::collections::BTreeMap;

use crate::ids::{TenantId, UserId};
use async_trait::async_trait;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Number of global secondary indexes on the table (`GSI1` … `GSI3`).
pub const INDEX_COUNT: usize = 3;
/// DynamoDB's limit on the items of one `TransactWriteItems`; the embedded store enforces it too.
pub const MAX_WRITE_OPS: usize = 100;
/// DynamoDB's item size limit; the embedded store enforces it too.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limit on the keys of one `BatchGetItem`; the embedded store enforces it too.
pub const MAX_READ_KEYS: usize = 100;
/// The largest page a query may ask for.
pub const MAX_QUERY_LIMIT: u32 = 1000;

/// A global secondary index of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Index {
    Gsi1,
    Gsi2,
    Gsi3,
}

impl Index {
    pub const ALL: [Index; INDEX_COUNT] = [Index::Gsi1, Index::Gsi2, Index::Gsi3];

    pub fn position(self) -> usize {
        self as usize
    }
    /// The index name in the table definition.
    pub fn name(self) -> &'static str {
        ["GSI1", "GSI2", "GSI3"][self.position()]
    }
    pub fn pk_attribute(self) -> &'static str {
        ["GSI1PK", "GSI2PK", "GSI3PK"][self.position()]
    }
    pub fn sk_attribute(self) -> &'static str {
        ["GSI1SK", "GSI2SK", "GSI3SK"][self.position()]
    }
}

/// A primary key or an index key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

/// One item of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    /// Type discriminator (`Case`, `Account`, …): stored as the `entity` attribute.
    pub entity: String,
    /// Optimistic-locking version; 1 on create, +1 on every write.
    pub version: u64,
    /// Sparse index keys: `None` keeps the item out of that index.
    pub indexes: [Option<Key>; INDEX_COUNT],
    /// Expiry in epoch seconds (the table's TTL attribute `ttl`).
    pub ttl: Option<i64>,
    /// The remaining attributes. Must not use the reserved names in [`RESERVED_ATTRIBUTES`].
    pub body: Map<String, Value>,
}

/// Attribute names the store itself owns.
pub const RESERVED_ATTRIBUTES: &[&str] =
    &["PK", "SK", "entity", "version", "ttl", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"];

/// The entity of counter items and the body attribute holding their value.
pub const COUNTER_ENTITY: &str = "Counter";
pub const COUNTER_ATTRIBUTE: &str = "count";

impl Item {
    pub fn new(key: Key, entity: impl Into<String>, version: u64, body: Map<String, Value>) -> Self {
        Self { key, entity: entity.into(), version, indexes: Default::default(), ttl: None, body }
    }

    pub fn with_index(mut self, index: Index, key: Key) -> Self {
        self.indexes[index.position()] = Some(key);
        self
    }

    pub fn index(&self, index: Index) -> Option<&Key> {
        self.indexes[index.position()].as_ref()
    }

    /// Serialises `value` (which must serialise to a JSON object) as the body of an item.
    pub fn body_of<T: Serialize>(value: &T) -> Result<Map<String, Value>, StoreError> {
        match serde_json::to_value(value) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(StoreError::InvalidRequest("an item body must be a JSON object".into())),
            Err(e) => Err(StoreError::InvalidRequest(format!("unserialisable body: {e}"))),
        }
    }
}

/// What must hold of the existing item for a write to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Applies whatever is stored.
    Always,
    /// No item with this key exists.
    NotExists,
    /// An item with this key exists.
    Exists,
    /// An item with this key exists and has this version.
    VersionIs(u64),
}

/// The condition of one write, named after what it protects ("case version", "contact
/// e-mail"), so a failed batch reports which rule was broken whatever the order of its writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    pub requirement: Requirement,
    /// Reported by [`StoreError::ConditionFailed`]; empty only for [`Condition::ALWAYS`].
    pub name: &'static str,
}

impl Condition {
    /// Applies whatever is stored; cannot fail, so it needs no name.
    pub const ALWAYS: Condition = Condition { requirement: Requirement::Always, name: "" };

    pub const fn not_exists(name: &'static str) -> Self {
        Self { requirement: Requirement::NotExists, name }
    }
    pub const fn exists(name: &'static str) -> Self {
        Self { requirement: Requirement::Exists, name }
    }
    pub const fn version_is(name: &'static str, version: u64) -> Self {
        Self { requirement: Requirement::VersionIs(version), name }
    }
    /// `version_is` when the caller read a version, `not_exists` when it creates the item.
    pub const fn version_or_new(name: &'static str, version: Option<u64>) -> Self {
        match version {
            Some(v) => Self::version_is(name, v),
            None => Self::not_exists(name),
        }
    }

    /// Whether the condition holds of `existing`, the item stored under the write's key (for the
    /// adapters that evaluate conditions themselves).
    pub fn holds(self, existing: Option<&Item>) -> bool {
        match self.requirement {
            Requirement::Always => true,
            Requirement::NotExists => existing.is_none(),
            Requirement::Exists => existing.is_some(),
            Requirement::VersionIs(v) => existing.is_some_and(|item| item.version == v),
        }
    }

    /// The error a batch fails with when this condition does not hold.
    pub fn failed(self) -> StoreError {
        StoreError::ConditionFailed { name: self.name }
    }
}

/// One write of an atomic batch.
#[derive(Debug, Clone, PartialEq)]
#[expect(clippy::large_enum_variant, reason = "batches are short-lived and hold at most 100 writes, mostly puts")]
pub enum WriteOp {
    /// Stores the item as given (replacing any item with its key).
    Put {
        item: Item,
        condition: Condition,
    },
    Delete {
        key: Key,
        condition: Condition,
    },
    /// Writes nothing; the batch fails unless the condition holds.
    Check {
        key: Key,
        condition: Condition,
    },
    /// Adds each amount to the body's integer attribute of that name (absent: 0), creating the
    /// item as `entity` when there is none, and counts a version: a running total kept in the
    /// same transaction as the change it totals, without reading it first.
    Add {
        key: Key,
        entity: &'static str,
        amounts: Vec<(&'static str, i64)>,
    },
}

impl WriteOp {
    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put { item, .. } => &item.key,
            WriteOp::Delete { key, .. } | WriteOp::Check { key, .. } | WriteOp::Add { key, .. } => key,
        }
    }
    pub fn condition(&self) -> Condition {
        match self {
            WriteOp::Put { condition, .. } | WriteOp::Delete { condition, .. } | WriteOp::Check { condition, .. } => {
                *condition
            }
            WriteOp::Add { .. } => Condition::ALWAYS,
        }
    }
}

/// Which sort keys a query returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKeyRange {
    All,
    BeginsWith(String),
    /// Inclusive on both ends.
    Between(String, String),
}

impl SortKeyRange {
    pub fn contains(&self, sk: &str) -> bool {
        match self {
            SortKeyRange::All => true,
            SortKeyRange::BeginsWith(prefix) => sk.starts_with(prefix.as_str()),
            SortKeyRange::Between(low, high) => low.as_str() <= sk && sk <= high.as_str(),
        }
    }
}

/// A query of one partition of the table or of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Option<Index>,
    pub pk: String,
    pub range: SortKeyRange,
    /// 1 ..= [`MAX_QUERY_LIMIT`].
    pub limit: u32,
    /// Ascending sort-key order when true.
    pub forward: bool,
    /// Opaque cursor from a previous page of the same query.
    pub cursor: Option<String>,
}

impl Query {
    pub fn partition(pk: impl Into<String>) -> Self {
        Self { index: None, pk: pk.into(), range: SortKeyRange::All, limit: 100, forward: true, cursor: None }
    }
    pub fn index(index: Index, pk: impl Into<String>) -> Self {
        Self { index: Some(index), ..Self::partition(pk) }
    }
    pub fn range(mut self, range: SortKeyRange) -> Self {
        self.range = range;
        self
    }
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
    pub fn after(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// One page of query results, in sort-key order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPage {
    pub items: Vec<Item>,
    /// Present when more items may follow.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The named condition of a write did not hold; nothing was written. When several fail, the
    /// first in the batch is reported.
    #[error("the condition \"{name}\" did not hold")]
    ConditionFailed { name: &'static str },
    /// The cursor was not issued for this query, or was altered.
    #[error("invalid cursor")]
    InvalidCursor,
    /// The request breaks a store limit (batch size, item size, duplicate keys, reserved names).
    #[error("invalid store request: {0}")]
    InvalidRequest(String),
    /// A stored item could not be read back as its entity.
    #[error("corrupt item {pk} / {sk}: {reason}")]
    Corrupt { pk: String, sk: String, reason: String },
    /// The backend failed or could not be reached; the write may be retried.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// The single table.
#[async_trait]
pub trait Store: Send + Sync {
    /// Reads one item (strongly consistent).
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// Reads several items at once (strongly consistent), in the order of `keys`: one round
    /// trip where a use case needs a handful of items it can name in advance. At most
    /// [`MAX_READ_KEYS`] keys, all different.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        check_keys(keys)?;
        let mut items = Vec::with_capacity(keys.len());
        for key in keys {
            items.push(self.get(key).await?);
        }
        Ok(items)
    }

    /// Applies every write or none (`TransactWriteItems`; a single write uses a conditional put
    /// or delete). At most [`MAX_WRITE_OPS`] writes, each to a different key.
    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError>;

    /// Reads one page of a partition of the table or of an index.
    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError>;

    /// Atomically adds `by` to the counter item at `key` (created at 0 if absent) and returns
    /// the new value. Concurrent increments never return the same value. `ttl` (epoch seconds)
    /// sets the item's expiry, for counters of a time window.
    async fn increment(&self, key: &Key, by: i64, ttl: Option<i64>) -> Result<i64, StoreError>;

    /// Makes every write that has returned so far durable. Writes are atomic and visible when
    /// they return; a store that defers syncing them to disk (the embedded store, which syncs
    /// many requests' writes at once) does it here, and the edge calls this once before it
    /// acknowledges a request. DynamoDB's writes are durable when they return.
    async fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Stores a new item; fails with `ConditionFailed { name }` if the key exists.
    async fn put_new(&self, item: Item, name: &'static str) -> Result<(), StoreError> {
        self.write(vec![WriteOp::Put { item, condition: Condition::not_exists(name) }]).await
    }
}

/// The time source, so tests and the local runner can control "now".
pub trait Clock: Send + Sync {
    fn now(&self) -> jiff::Timestamp;
}

/// The id source, so tests can predict ids.
pub trait IdGenerator: Send + Sync {
    fn next_id(&self) -> ulid::Ulid;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// Monotonic ULIDs: ids made within one millisecond still sort in creation order.
#[derive(Debug, Default)]
pub struct UlidGenerator(std::sync::Mutex<ulid::Generator>);

impl IdGenerator for UlidGenerator {
    fn next_id(&self) -> ulid::Ulid {
        let mut generator = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Overflow needs 2^80 ids in one millisecond; fall back to a fresh random id.
        generator.generate().unwrap_or_else(|_| ulid::Ulid::generate())
    }
}

/// The position after which a query resumes: the last item's table key and, for index
/// queries, its index key. Both adapters encode it the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorPosition {
    pub key: Key,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_key: Option<Key>,
}

impl CursorPosition {
    pub fn of(item: &Item, index: Option<Index>) -> Self {
        Self { key: item.key.clone(), index_key: index.and_then(|i| item.index(i).cloned()) }
    }

    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a cursor serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a cursor and checks that it belongs to `query`'s partition, so a cursor can
    /// never move a query into another partition (or tenant).
    pub fn decode_for(cursor: &str, query: &Query) -> Result<Self, StoreError> {
        let bytes =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| StoreError::InvalidCursor)?;
        let position: Self = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        let partition = match (query.index, &position.index_key) {
            (None, None) => &position.key.pk,
            (Some(_), Some(index_key)) => &index_key.pk,
            _ => return Err(StoreError::InvalidCursor),
        };
        if partition != &query.pk {
            return Err(StoreError::InvalidCursor);
        }
        Ok(position)
    }

    /// The sort key this position stands at in the queried table or index.
    pub fn sort_key(&self) -> &str {
        self.index_key.as_ref().map_or(&self.key.sk, |k| &k.sk)
    }
}

/// Checks a query the way DynamoDB would, so both adapters refuse the same queries: a limit in
/// range and no empty key values.
pub fn check_query(query: &Query) -> Result<(), StoreError> {
    if query.limit == 0 || query.limit > MAX_QUERY_LIMIT {
        return Err(StoreError::InvalidRequest(format!("limit must be 1 to {MAX_QUERY_LIMIT}")));
    }
    let empty = match &query.range {
        SortKeyRange::All => false,
        SortKeyRange::BeginsWith(prefix) => prefix.is_empty(),
        SortKeyRange::Between(low, high) => low.is_empty() || high.is_empty(),
    };
    if query.pk.is_empty() || empty {
        return Err(StoreError::InvalidRequest("key values in a query must not be empty".into()));
    }
    Ok(())
}

/// Checks the keys of a `get_many` the way DynamoDB would: 1 to [`MAX_READ_KEYS`], no repeats.
pub fn check_keys(keys: &[Key]) -> Result<(), StoreError> {
    if keys.is_empty() || keys.len() > MAX_READ_KEYS {
        return Err(StoreError::InvalidRequest(format!("a read of several items takes 1 to {MAX_READ_KEYS} keys")));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(key) = keys.iter().find(|k| !seen.insert(*k)) {
        return Err(StoreError::InvalidRequest(format!("{} / {} twice in one read", key.pk, key.sk)));
    }
    Ok(())
}

/// Checks the limits both adapters share before a batch is written.
/// What [`WriteOp::Add`] does to an item, for the stores that apply it themselves: each amount
/// added to its attribute (absent or not a number: 0), one more version.
pub fn add_amounts(item: &mut Item, amounts: &[(&'static str, i64)]) {
    for (name, amount) in amounts {
        let now = item.body.get(*name).and_then(Value::as_i64).unwrap_or(0);
        item.body.insert((*name).to_owned(), Value::from(now.saturating_add(*amount)));
    }
    item.version += 1;
}

pub fn check_batch(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() {
        return Err(StoreError::InvalidRequest("empty write batch".into()));
    }
    if ops.len() > MAX_WRITE_OPS {
        return Err(StoreError::InvalidRequest(format!("more than {MAX_WRITE_OPS} writes in one batch")));
    }
    let mut seen = std::collections::HashSet::new();
    for op in ops {
        if !seen.insert(op.key()) {
            return Err(StoreError::InvalidRequest(format!("two writes to {} / {}", op.key().pk, op.key().sk)));
        }
        if let WriteOp::Put { item, .. } = op {
            check_item(item)?;
        }
    }
    Ok(())
}

fn check_item(item: &Item) -> Result<(), StoreError> {
    let keys = std::iter::once(&item.key).chain(item.indexes.iter().flatten());
    if keys.into_iter().any(|k| k.pk.is_empty() || k.sk.is_empty()) {
        return Err(StoreError::InvalidRequest("empty key attribute".into()));
    }
    if let Some(name) = item.body.keys().find(|k| RESERVED_ATTRIBUTES.contains(&k.as_str())) {
        return Err(StoreError::InvalidRequest(format!("body uses the reserved attribute {name}")));
    }
    let size = serde_json::to_vec(&item.body).map(|b| b.len()).unwrap_or(usize::MAX);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::InvalidRequest(format!("item of {size} bytes exceeds {MAX_ITEM_BYTES}")));
    }
    Ok(())
}

/// Serialisable view of an item for adapters that store it as one document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredItem {
    pub entity: String,
    pub version: u64,
    pub indexes: BTreeMap<Index, Key>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    pub body: Map<String, Value>,
}

impl StoredItem {
    pub fn from_item(item: &Item) -> Self {
        Self {
            entity: item.entity.clone(),
            version: item.version,
            indexes: Index::ALL.iter().filter_map(|&i| item.index(i).map(|k| (i, k.clone()))).collect(),
            ttl: item.ttl,
            body: item.body.clone(),
        }
    }

    pub fn into_item(self, key: Key) -> Item {
        let mut indexes: [Option<Key>; INDEX_COUNT] = Default::default();
        for (index, k) in self.indexes {
            indexes[index.position()] = Some(k);
        }
        Item { key, entity: self.entity, version: self.version, indexes, ttl: self.ttl, body: self.body }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(pk: &str, sk: &str) -> Item {
        Item::new(Key::new(pk, sk), "Thing", 1, Map::new())
    }

    #[test]
    fn cursors_round_trip_and_stay_in_their_partition() {
        let q = Query::partition("T#a#CASE#1");
        let cursor = CursorPosition::of(&item("T#a#CASE#1", "EVT#2"), None).encode();
        assert_eq!(CursorPosition::decode_for(&cursor, &q).unwrap().sort_key(), "EVT#2");
        let other = Query::partition("T#b#CASE#1");
        assert_eq!(CursorPosition::decode_for(&cursor, &other), Err(StoreError::InvalidCursor));
        assert_eq!(CursorPosition::decode_for("!!", &q), Err(StoreError::InvalidCursor));
        assert_eq!(CursorPosition::decode_for("e30", &q), Err(StoreError::InvalidCursor), "{{}} is no position");
    }

    #[test]
    fn index_cursors_need_the_index_key() {
        let indexed = item("T#a#CASE#1", "#META").with_index(Index::Gsi1, Key::new("T#a#CASES", "2026#1"));
        let q = Query::index(Index::Gsi1, "T#a#CASES");
        let cursor = CursorPosition::of(&indexed, Some(Index::Gsi1)).encode();
        assert_eq!(CursorPosition::decode_for(&cursor, &q).unwrap().sort_key(), "2026#1");
        let table_cursor = CursorPosition::of(&indexed, None).encode();
        assert_eq!(CursorPosition::decode_for(&table_cursor, &q), Err(StoreError::InvalidCursor));
    }

    #[test]
    fn batches_are_checked() {
        let put = |i: Item| WriteOp::Put { item: i, condition: Condition::ALWAYS };
        assert!(check_batch(&[]).is_err());
        assert!(check_batch(&[put(item("a", "b")), put(item("a", "b"))]).is_err());
        let many: Vec<_> = (0..101).map(|n| put(item("a", &n.to_string()))).collect();
        assert!(check_batch(&many).is_err());
        let mut reserved = item("a", "b");
        reserved.body.insert("PK".into(), Value::from("x"));
        assert!(check_batch(&[put(reserved)]).is_err());
        let mut big = item("a", "b");
        big.body.insert("blob".into(), Value::from("x".repeat(MAX_ITEM_BYTES)));
        assert!(check_batch(&[put(big)]).is_err());
        assert!(check_batch(&[put(item("a", "b")), put(item("a", "c"))]).is_ok());
    }

    #[test]
    fn index_names_match_the_table() {
        assert_eq!(Index::Gsi2.name(), "GSI2");
        assert_eq!(Index::Gsi3.pk_attribute(), "GSI3PK");
        assert_eq!(Index::Gsi1.sk_attribute(), "GSI1SK");
    }
}

pub use crate::effects::{EffectMessage, QueueName};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

/// Where effects are published (SQS in AWS, a folder in the local runner).
#[async_trait]
pub trait EffectQueue: Send + Sync {
    /// Publishes every message or reports failure; publishing one twice is harmless.
    async fn publish(&self, messages: &[EffectMessage]) -> Result<(), QueueError>;

    /// Publishes `message` to be received no sooner than `delay` from now. A queue may hold a
    /// message back for less (SQS for at most 15 minutes): a consumer that gets one early
    /// publishes it again for the rest of the wait.
    async fn publish_delayed(&self, message: &EffectMessage, delay: std::time::Duration) -> Result<(), QueueError>;
}

/// An endpoint's answer to a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointAnswer {
    pub status: u16,
    /// The start of the body, as text.
    pub body: String,
}

/// Why a delivery got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("no answer within {0} seconds")]
    Timeout(u64),
    #[error("{0}")]
    Failed(String),
}

/// Posts webhook deliveries (HTTPS through reqwest, in the webhooks function and the runner).
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    /// Posts `body` with `headers` to `url`, following no redirect, waiting at most the
    /// transport's timeout.
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &[u8]) -> Result<EndpointAnswer, TransportError>;
}

/// One e-mail ready to send: the whole MIME message and its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub from: String,
    pub to: Vec<String>,
    /// RFC 5322 message, headers and body.
    pub mime: Vec<u8>,
    /// Names the message for logs and the local outbox.
    pub effect_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The provider's rate limit: try again shortly.
    #[error("throttled: {0}")]
    Throttled(String),
    /// The message can never be sent as it is (invalid address, rejected content).
    #[error("rejected: {0}")]
    Permanent(String),
    /// Anything else; a retry may succeed.
    #[error("mail provider unavailable: {0}")]
    Transient(String),
}

/// Sends e-mail (SES v2 in AWS, `.eml` files in the local runner).
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends the message and returns the provider's message id.
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError>;
}

/// What the blob store knows of a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub size: u64,
    pub content_type: String,
    /// The store's entity tag of the content (S3's ETag: the MD5 of a single-part object under
    /// SSE-S3; the local folder's SHA-256). Recorded when a document is filed and compared
    /// before every download link, so an object replaced behind the application's back is
    /// never handed out as the filed one.
    pub etag: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// The backend failed or could not be reached; a retry may succeed.
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
}

/// The header an upload link is signed with so it writes its object once (S3 conditional
/// writes): whoever holds the link cannot replace what was filed.
pub const UPLOAD_ONCE_HEADER: (&str, &str) = ("if-none-match", "*");

/// The headers a client sends with an upload link's `PUT`, as the link was signed.
pub fn upload_headers(content_type: &str) -> [(&'static str, String); 2] {
    [("content-type", content_type.to_owned()), (UPLOAD_ONCE_HEADER.0, UPLOAD_ONCE_HEADER.1.to_owned())]
}

/// Where document files live (S3 in AWS, a folder in the local runner). Keys are the
/// deterministic paths built in [`crate::keys::document_object`], so writing one twice is harmless.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key` with its content type and SHA-256 (hex) as metadata, and
    /// returns the stored object's entity tag (see [`BlobInfo::etag`]).
    async fn put(&self, key: &str, bytes: &[u8], content_type: &str, sha256: &str) -> Result<String, BlobError>;
    /// Size and type of the object, or `None` if nothing is stored under `key`.
    async fn head(&self, key: &str) -> Result<Option<BlobInfo>, BlobError>;
    /// The object's bytes, or `None`.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// A URL that downloads the object for `expires_in` seconds, saved as `file_name`.
    async fn presign_get(&self, key: &str, file_name: &str, expires_in: u64) -> Result<String, BlobError>;
    /// A URL that accepts one `PUT` of exactly `size` bytes of `content_type` for `expires_in`
    /// seconds, sent with the headers of [`upload_headers`]: it writes the object once, so a
    /// filed document cannot be replaced through its link (a second `PUT` is refused, 412).
    async fn presign_put(&self, key: &str, content_type: &str, size: u64, expires_in: u64)
    -> Result<String, BlobError>;
}

/// Someone an administrator invites: where the invitation goes and the sign-in group their
/// profile's level stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub email: String,
    pub name: String,
    pub locale: String,
    pub role: crate::access::Role,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The provider will not do it (the address belongs to another company's sign-in).
    #[error("refused: {0}")]
    Refused(String),
    /// The provider failed or could not be reached; a retry may succeed.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
}

/// Who can sign in (the Cognito user pool on AWS; locally, the directory itself). The
/// directory's entries say what each user may do; this only lets them in or not.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Creates the sign-in and sends the invitation, or finds the one an earlier attempt made
    /// for the same address in the same company; answers its subject (the token's `sub`).
    async fn invite(&self, tenant: &TenantId, invitation: &Invitation) -> Result<UserId, IdentityError>;

    /// Lets the user sign in again, or stops them (ending their sessions).
    async fn set_enabled(&self, tenant: &TenantId, user: &UserId, enabled: bool) -> Result<(), IdentityError>;
}

/// The local runner's provider: the directory is the only list of users, and a user's id is
/// their address (the sign-in page offers every active entry).
#[derive(Debug, Default, Clone, Copy)]
pub struct DirectoryIdentity;

#[async_trait]
impl IdentityProvider for DirectoryIdentity {
    async fn invite(&self, _: &TenantId, invitation: &Invitation) -> Result<UserId, IdentityError> {
        UserId::parse(&invitation.email.to_lowercase()).map_err(|e| IdentityError::Refused(e.to_string()))
    }

    async fn set_enabled(&self, _: &TenantId, _: &UserId, _: bool) -> Result<(), IdentityError> {
        Ok(())
    }
}
