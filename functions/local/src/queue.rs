//! The local runner's effect queue: one JSON file per effect under `{data}/queues/{queue}/`,
//! named by its effect id, so publishing twice writes the same file once. The workers of the
//! local runner read from here.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use gestiona_domain::ports::{EffectMessage, EffectQueue, QueueError};

pub struct FolderQueue {
    root: PathBuf,
}

impl FolderQueue {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("queues") }
    }
}

#[async_trait]
impl EffectQueue for FolderQueue {
    async fn publish(&self, messages: &[EffectMessage]) -> Result<(), QueueError> {
        for message in messages {
            let dir = self.root.join(message.queue.as_str());
            let path = dir.join(format!("{}.json", message.effect_id));
            let body = serde_json::to_vec_pretty(message).map_err(|e| QueueError(e.to_string()))?;
            let temporary = dir.join(format!(".{}.tmp", message.effect_id));
            let write = async {
                tokio::fs::create_dir_all(&dir).await?;
                tokio::fs::write(&temporary, &body).await?;
                // A rename is atomic: a reader sees the whole message or none.
                tokio::fs::rename(&temporary, &path).await
            };
            write.await.map_err(|e| QueueError(format!("{}: {e}", path.display())))?;
        }
        Ok(())
    }
}
