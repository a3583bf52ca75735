//! An in-memory effect queue that records what it is given and can be told to fail.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use gestiona_domain::ports::{EffectMessage, EffectQueue, QueueError};

#[derive(Default)]
pub struct RecordingQueue {
    published: Mutex<Vec<EffectMessage>>,
    failing: AtomicBool,
}

impl RecordingQueue {
    /// Makes every publish fail (true) or succeed (false) from now on.
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    pub fn published(&self) -> Vec<EffectMessage> {
        self.published.lock().unwrap().clone()
    }
}

#[async_trait]
impl EffectQueue for RecordingQueue {
    async fn publish(&self, messages: &[EffectMessage]) -> Result<(), QueueError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(QueueError("the test queue is down".into()));
        }
        self.published.lock().unwrap().extend_from_slice(messages);
        Ok(())
    }
}
