//! The local runner's e-mail: the same notifier as in Lambda, draining the notifications folder
//! queue, with a mailer that writes each message as an `.eml` file in `{data}/outbox/` instead of
//! sending it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use gestiona_domain::ports::{MailError, Mailer, OutgoingEmail, QueueName};
use gestiona_domain::service::Services;
use gestiona_notify::{Notifier, NotifyError};

use crate::queue::Consumed;

pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(data_dir: &Path) -> Self {
        Self { dir: data_dir.join("outbox") }
    }
}

/// A file-name-safe form of an effect unit (`{effectId}/{address}`).
fn file_stem(unit: &str) -> String {
    unit.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect()
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let stamp = sortable_stamp();
        let name = format!("{stamp}-{}.eml", file_stem(&email.effect_id));
        let path = self.dir.join(&name);
        let temporary = self.dir.join(format!(".{name}.tmp"));
        let write = async {
            tokio::fs::create_dir_all(&self.dir).await?;
            tokio::fs::write(&temporary, &email.mime).await?;
            tokio::fs::rename(&temporary, &path).await
        };
        write.await.map_err(|e| MailError::Transient(format!("{}: {e}", path.display())))?;
        Ok(format!("local-{name}"))
    }
}

/// Milliseconds since the epoch, zero-padded, so outbox files sort by time.
fn sortable_stamp() -> String {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
    format!("{millis:015}")
}

/// Plays the notifier's SQS trigger over the notifications folder queue.
pub async fn drain(services: Services, notifier: Arc<Notifier>, data_dir: PathBuf) {
    crate::queue::consume(services, data_dir, QueueName::Notifications, move |message| {
        let notifier = Arc::clone(&notifier);
        async move {
            match notifier.deliver(&message).await {
                Ok(delivery) => Ok(format!("{delivery:?}")),
                Err(NotifyError::Malformed(reason)) => Err(Consumed::Dead(reason)),
                Err(other) => Err(Consumed::Retry(other.to_string())),
            }
        }
    })
    .await
}

/// `gestiona-local outbox`: the e-mails written so far, oldest first.
pub fn list(data_dir: &Path) -> std::io::Result<Vec<String>> {
    let dir = data_dir.join("outbox");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    files.sort();
    let mut lines = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file)?;
        let parsed = mail_parser::MessageParser::default().parse(&bytes);
        let subject = parsed.as_ref().and_then(|m| m.subject()).unwrap_or("(no subject)").to_owned();
        let to = parsed
            .as_ref()
            .and_then(|m| m.to())
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or("?")
            .to_owned();
        lines.push(format!("{}  {to}  {subject}", file.display()));
    }
    Ok(lines)
}
