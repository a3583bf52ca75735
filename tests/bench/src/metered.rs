//! A store wrapper that meters what DynamoDB would bill for the same calls: read and write
//! request units by the item sizes, as DynamoStore issues them (consistent `GetItem` and base
//! table queries, eventually consistent index queries, one `PutItem`/`DeleteItem` for a
//! single-operation write, `TransactWriteItems` otherwise, `UpdateItem` for counters).

use std::sync::Arc;
use std::sync::Mutex;

use async_trait::async_trait;
use gestiona_domain::ports::{Item, Key, Query, QueryPage, Store, StoreError, WriteOp};

#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Metered {
    /// Store calls, each one DynamoDB request (a round trip in the Lambda's duration).
    pub calls: f64,
    /// Of which writes (each a commit: an fsync on the embedded store).
    pub writes: f64,
    pub read_units: f64,
    pub write_units: f64,
}

pub struct MeteredStore {
    inner: Arc<dyn Store>,
    totals: Mutex<Metered>,
}

/// DynamoDB's size of an item: attribute names and values; JSON length is a close stand-in.
fn item_bytes(item: &Item) -> usize {
    let keys: usize = item.indexes.iter().flatten().chain([&item.key]).map(|k| k.pk.len() + k.sk.len() + 16).sum();
    let body = serde_json::to_vec(&item.body).map(|b| b.len()).unwrap_or(0);
    keys + body + item.entity.len() + 32
}

fn units(bytes: usize, unit: usize) -> f64 {
    bytes.div_ceil(unit).max(1) as f64
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner, totals: Mutex::new(Metered::default()) }
    }

    /// What was metered since the last call, and a fresh start.
    pub fn take(&self) -> Metered {
        std::mem::take(&mut *self.totals.lock().unwrap())
    }

    fn add(&self, read_units: f64, write_units: f64) {
        let mut totals = self.totals.lock().unwrap();
        totals.calls += 1.0;
        totals.read_units += read_units;
        totals.write_units += write_units;
    }
}

#[async_trait]
impl Store for MeteredStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let item = self.inner.get(key).await?;
        self.add(item.as_ref().map_or(1.0, |i| units(item_bytes(i), 4096)), 0.0);
        Ok(item)
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        // One BatchGetItem; each item is billed as its own strongly consistent read.
        let items = self.inner.get_many(keys).await?;
        let read_units = items.iter().map(|i| i.as_ref().map_or(1.0, |i| units(item_bytes(i), 4096))).sum();
        self.add(read_units, 0.0);
        Ok(items)
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        // A transaction bills two units per KiB of each item it touches.
        let factor = if ops.len() > 1 { 2.0 } else { 1.0 };
        let mut write_units = 0.0;
        for op in &ops {
            write_units += factor
                * match op {
                    WriteOp::Put { item, .. } => units(item_bytes(item), 1024),
                    // A running total is a small item: one unit.
                    WriteOp::Delete { .. } | WriteOp::Check { .. } | WriteOp::Add { .. } => 1.0,
                };
        }
        let result = self.inner.write(ops).await;
        self.add(0.0, write_units);
        self.totals.lock().unwrap().writes += 1.0;
        result
    }

    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        let page = self.inner.query(query).await?;
        let bytes: usize = page.items.iter().map(item_bytes).sum();
        // Index queries are eventually consistent: half a unit per 4 KiB.
        let factor = if query.index.is_some() { 0.5 } else { 1.0 };
        self.add(factor * units(bytes, 4096), 0.0);
        Ok(page)
    }

    async fn increment(&self, key: &Key, by: i64, ttl: Option<i64>) -> Result<i64, StoreError> {
        let value = self.inner.increment(key, by, ttl).await?;
        self.add(0.0, 1.0);
        self.totals.lock().unwrap().writes += 1.0;
        Ok(value)
    }
    async fn sync(&self) -> Result<(), StoreError> {
        self.inner.sync().await
    }
}
