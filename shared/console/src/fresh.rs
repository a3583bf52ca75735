//! A small map of values kept for a while in the function's memory: what pages show on every
//! load but rarely changes (the case types' names, the navigation's counts). A warm Lambda
//! serves many requests, so a minute of reuse saves a read on most pages; a cold one starts
//! empty, which is always correct.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Fresh<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> Fresh<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The value of `key`, if it was kept less than the time-to-live ago.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, value)| value.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Stale entries go whenever one is added, so the map stays as small as its live keys.
        entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        entries.insert(key, (Instant::now(), value));
    }

    pub fn forget(&self, key: &K) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_for_their_time_and_can_be_forgotten() {
        let fresh = Fresh::new(Duration::from_millis(50));
        fresh.put("a", 1);
        assert_eq!(fresh.get(&"a"), Some(1));
        fresh.forget(&"a");
        assert_eq!(fresh.get(&"a"), None);
        fresh.put("b", 2);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(fresh.get(&"b"), None, "stale after its time");
    }
}
