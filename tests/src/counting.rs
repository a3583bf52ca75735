//! A store wrapper that counts what goes through it: queries, items returned, gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use gestiona_domain::ports::{Item, Key, Query, QueryPage, Store, StoreError, WriteOp};

#[derive(Default, Debug)]
pub struct Counts {
    pub queries: AtomicUsize,
    pub items_from_queries: AtomicUsize,
    pub gets: AtomicUsize,
    pub writes: AtomicUsize,
    pub increments: AtomicUsize,
}

impl Counts {
    pub fn reset(&self) {
        for counter in [&self.queries, &self.items_from_queries, &self.gets, &self.writes, &self.increments] {
            counter.store(0, Ordering::SeqCst);
        }
    }
    /// Round trips to the store (what a DynamoDB request count is): gets, queries, writes and
    /// increments.
    pub fn calls(&self) -> usize {
        [&self.queries, &self.gets, &self.writes, &self.increments].iter().map(|c| c.load(Ordering::SeqCst)).sum()
    }
    pub fn snapshot(&self) -> (usize, usize, usize) {
        (
            self.queries.load(Ordering::SeqCst),
            self.items_from_queries.load(Ordering::SeqCst),
            self.gets.load(Ordering::SeqCst),
        )
    }
}

pub struct CountingStore {
    inner: Arc<dyn Store>,
    pub counts: Arc<Counts>,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner, counts: Arc::new(Counts::default()) }
    }
}

#[async_trait]
impl Store for CountingStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.counts.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, StoreError> {
        self.counts.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get_many(keys).await
    }
    async fn write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.counts.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write(ops).await
    }
    async fn query(&self, query: &Query) -> Result<QueryPage, StoreError> {
        let page = self.inner.query(query).await?;
        self.counts.queries.fetch_add(1, Ordering::SeqCst);
        self.counts.items_from_queries.fetch_add(page.items.len(), Ordering::SeqCst);
        Ok(page)
    }
    async fn increment(&self, key: &Key, by: i64, ttl: Option<i64>) -> Result<i64, StoreError> {
        self.counts.increments.fetch_add(1, Ordering::SeqCst);
        self.inner.increment(key, by, ttl).await
    }
    async fn sync(&self) -> Result<(), StoreError> {
        self.inner.sync().await
    }
}
