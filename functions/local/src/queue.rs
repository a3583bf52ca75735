//! The local runner's effect queue: one JSON file per effect under `{data}/queues/{queue}/`,
//! named by its effect id, so publishing twice writes the same file once. The workers of the
//! local runner read from here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use gestiona_domain::ports::{Clock, EffectMessage, EffectQueue, QueueError, QueueName};
use gestiona_domain::service::Services;

pub struct FolderQueue {
    root: PathBuf,
    /// The runner's clock: a delayed message comes due by it, so advancing the runner's time
    /// brings a webhook's retry forward as it does the SLA sweeps.
    clock: Arc<dyn Clock>,
}

impl FolderQueue {
    pub fn new(data_dir: &Path, clock: Arc<dyn Clock>) -> Self {
        Self { root: data_dir.join("queues"), clock }
    }
}

/// Numbers each write's temporary file.
static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A number no other write of this process uses for its temporary file.
pub fn next_write_number() -> u64 {
    WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Removes the temporary files (`.*.tmp`) a killed runner left under `dir`, at any depth: a
/// write renames its file into place only once it is whole, so a leftover is never needed.
pub fn remove_leftover_temporaries(dir: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            removed += remove_leftover_temporaries(&path)?;
        } else if name.starts_with('.') && name.ends_with(".tmp") {
            std::fs::remove_file(&path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

impl FolderQueue {
    async fn write(&self, message: &EffectMessage, dir: PathBuf, name: String) -> Result<(), QueueError> {
        let path = dir.join(name);
        let body = serde_json::to_vec_pretty(message).map_err(|e| QueueError(e.to_string()))?;
        // Its own temporary name: the relay and the writer may publish one effect at once.
        let write_number = next_write_number();
        let temporary = dir.join(format!(".{}.{write_number}.tmp", message.effect_id));
        let write = async {
            tokio::fs::create_dir_all(&dir).await?;
            tokio::fs::write(&temporary, &body).await?;
            // A rename is atomic: a reader sees the whole message or none.
            tokio::fs::rename(&temporary, &path).await
        };
        write.await.map_err(|e| QueueError(format!("{}: {e}", path.display())))
    }
}

/// Where a queue's delayed messages wait, named `{due in Unix milliseconds}.{effect id}.json`.
fn later_dir(queue_dir: &Path) -> PathBuf {
    queue_dir.join("later")
}

/// Moves the delayed messages of a queue that are due at `now` into the queue (SQS's delay).
async fn release_due(queue_dir: &Path, now: jiff::Timestamp) {
    let Ok(mut entries) = tokio::fs::read_dir(later_dir(queue_dir)).await else { return };
    let now = now.as_millisecond();
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((due, rest)) = name.split_once('.') else { continue };
        if due.parse::<i64>().is_ok_and(|due| due <= now) && rest.ends_with(".json") {
            let _ = tokio::fs::rename(entry.path(), queue_dir.join(rest)).await;
        }
    }
}

#[async_trait]
impl EffectQueue for FolderQueue {
    async fn publish_delayed(&self, message: &EffectMessage, delay: std::time::Duration) -> Result<(), QueueError> {
        let due = self.clock.now().as_millisecond() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
        let dir = later_dir(&self.root.join(message.queue.as_str()));
        self.write(message, dir, format!("{due}.{}.json", message.effect_id)).await
    }

    async fn publish(&self, messages: &[EffectMessage]) -> Result<(), QueueError> {
        for message in messages {
            let dir = self.root.join(message.queue.as_str());
            self.write(message, dir, format!("{}.json", message.effect_id)).await?;
        }
        Ok(())
    }
}

/// Why a message was not consumed.
pub enum Consumed {
    /// It can never be processed: set aside in the queue's `dead/` folder (the dead-letter queue).
    Dead(String),
    /// Try again on the next round.
    Retry(String),
}

/// Plays a worker's SQS trigger: every second, hands each message of `queue` to `handle`,
/// deletes what was handled, sets aside what never can be and leaves the rest for next time.
/// The store is synced before a message is handled (the writes of the request that published
/// it are then durable, so no effect acts on a change a crash could still undo) and before the
/// message is deleted (so is the worker's own claim).
pub async fn consume<F, Fut>(services: Services, data_dir: PathBuf, queue: QueueName, handle: F)
where
    F: Fn(EffectMessage) -> Fut,
    Fut: std::future::Future<Output = Result<String, Consumed>>,
{
    let dir = data_dir.join("queues").join(queue.as_str());
    let dead = dir.join("dead");
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tick.tick().await;
        release_due(&dir, services.now()).await;
        let Ok(mut entries) = tokio::fs::read_dir(&dir).await else { continue };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(bytes) = tokio::fs::read(&path).await else { continue };
            if let Err(error) = services.sync().await {
                tracing::warn!(queue = queue.as_str(), %error, "store not synced; the message waits");
                continue;
            }
            let outcome = match serde_json::from_slice::<EffectMessage>(&bytes) {
                Ok(message) => handle(message).await,
                Err(e) => Err(Consumed::Dead(e.to_string())),
            };
            if let Err(error) = services.sync().await {
                tracing::warn!(queue = queue.as_str(), %error, "store not synced; the message is kept for a retry");
                continue;
            }
            match outcome {
                Ok(outcome) => {
                    tracing::info!(queue = queue.as_str(), %outcome, "effect handled");
                    let _ = tokio::fs::remove_file(&path).await;
                }
                Err(Consumed::Dead(reason)) => {
                    tracing::warn!(queue = queue.as_str(), %reason, file = %path.display(), "effect set aside as dead");
                    let _ = tokio::fs::create_dir_all(&dead).await;
                    let _ = tokio::fs::rename(&path, dead.join(entry.file_name())).await;
                }
                Err(Consumed::Retry(reason)) => {
                    tracing::warn!(queue = queue.as_str(), %reason, "effect kept for a retry")
                }
            }
        }
    }
}
