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
        // Named by the effect unit (effect and recipient): a redelivery after a crash, between the
        // write and the notifier's record of it, overwrites the file instead of adding a copy.
        let name = format!("{}.eml", file_stem(&email.effect_id));
        let path = self.dir.join(&name);
        let write_number = crate::queue::next_write_number();
        let temporary = self.dir.join(format!(".{name}.{write_number}.tmp"));
        let write = async {
            tokio::fs::create_dir_all(&self.dir).await?;
            tokio::fs::write(&temporary, &email.mime).await?;
            tokio::fs::rename(&temporary, &path).await
        };
        write.await.map_err(|e| MailError::Transient(format!("{}: {e}", path.display())))?;
        Ok(format!("local-{name}"))
    }
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
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .map(|p| Ok((std::fs::metadata(&p)?.modified()?, p)))
            .collect::<std::io::Result<_>>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    files.sort();
    let mut lines = Vec::new();
    for (_, file) in files {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn data_dir() -> PathBuf {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("gestiona-outbox-{}-{run}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[tokio::test]
    async fn a_redelivered_email_overwrites_its_file_and_leaves_no_temporary() {
        let data = data_dir();
        let mailer = OutboxMailer::new(&data);
        let email = |mime: &str, unit: &str| OutgoingEmail {
            from: "no-reply@example.com".into(),
            to: vec!["jose@cliente.example".into()],
            mime: mime.as_bytes().to_vec(),
            effect_id: unit.into(),
        };
        mailer.send(&email("first", "01EFFECT/jose@cliente.example")).await.unwrap();
        mailer.send(&email("again", "01EFFECT/jose@cliente.example")).await.unwrap();
        mailer.send(&email("other", "01EFFECT/ana@cliente.example")).await.unwrap();
        let outbox = data.join("outbox");
        assert_eq!(files(&outbox), ["01EFFECT_ana_cliente.example.eml", "01EFFECT_jose_cliente.example.eml"]);
        assert_eq!(std::fs::read_to_string(outbox.join("01EFFECT_jose_cliente.example.eml")).unwrap(), "again");
    }

    #[test]
    fn temporary_files_a_killed_runner_left_are_removed_and_nothing_else() {
        let data = data_dir();
        let queue = data.join("queues/notifications");
        std::fs::create_dir_all(&queue).unwrap();
        std::fs::write(queue.join(".01EFFECT.7.tmp"), "half").unwrap();
        std::fs::write(queue.join("01EFFECT.json"), "{}").unwrap();
        std::fs::create_dir_all(data.join("outbox")).unwrap();
        std::fs::write(data.join("outbox/.01EFFECT_a.eml.3.tmp"), "half").unwrap();
        std::fs::write(data.join("outbox/01EFFECT_a.eml"), "whole").unwrap();
        let removed: usize = ["outbox", "queues"]
            .iter()
            .map(|folder| crate::queue::remove_leftover_temporaries(&data.join(folder)).unwrap())
            .sum();
        assert_eq!(removed, 2);
        assert_eq!(files(&queue), ["01EFFECT.json"]);
        assert_eq!(files(&data.join("outbox")), ["01EFFECT_a.eml"]);
    }
}
