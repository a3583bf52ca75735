//! The SQS effect queue. Messages go out in batches of ten (`SendMessageBatch`) with the effect
//! id as a message attribute too, so a consumer can claim it before parsing the body.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use gestiona_domain::ports::{EffectMessage, EffectQueue, QueueError, QueueName};

/// SQS accepts at most ten messages per batch.
const BATCH: usize = 10;
/// The longest SQS holds a message back.
const MAX_DELAY_SECONDS: u64 = 900;
pub const EFFECT_ID_ATTRIBUTE: &str = "effectId";

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    urls: HashMap<QueueName, String>,
}

impl SqsQueue {
    pub fn new(client: Client, urls: HashMap<QueueName, String>) -> Self {
        Self { client, urls }
    }
}

#[async_trait]
impl EffectQueue for SqsQueue {
    async fn publish(&self, messages: &[EffectMessage]) -> Result<(), QueueError> {
        self.send(messages, 0).await
    }

    async fn publish_delayed(&self, message: &EffectMessage, delay: std::time::Duration) -> Result<(), QueueError> {
        // Rounded up, so the message is never received before its time.
        let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        self.send(std::slice::from_ref(message), seconds.min(MAX_DELAY_SECONDS) as i32).await
    }
}

impl SqsQueue {
    async fn send(&self, messages: &[EffectMessage], delay_seconds: i32) -> Result<(), QueueError> {
        for queue in QueueName::ALL {
            let batch: Vec<&EffectMessage> = messages.iter().filter(|m| m.queue == queue).collect();
            if batch.is_empty() {
                continue;
            }
            let url =
                self.urls.get(&queue).ok_or_else(|| QueueError(format!("no URL for the {} queue", queue.as_str())))?;
            for chunk in batch.chunks(BATCH) {
                let entries = chunk
                    .iter()
                    .enumerate()
                    .map(|(n, message)| {
                        let attribute = MessageAttributeValue::builder()
                            .data_type("String")
                            .string_value(&message.effect_id)
                            .build()
                            .map_err(|e| QueueError(e.to_string()))?;
                        let body = serde_json::to_string(message).map_err(|e| QueueError(e.to_string()))?;
                        SendMessageBatchRequestEntry::builder()
                            .id(format!("m{n}"))
                            .message_body(body)
                            .message_attributes(EFFECT_ID_ATTRIBUTE, attribute)
                            .set_delay_seconds((delay_seconds > 0).then_some(delay_seconds))
                            .build()
                            .map_err(|e| QueueError(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let output = self
                    .client
                    .send_message_batch()
                    .queue_url(url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| QueueError(format!("SendMessageBatch: {e:?}")))?;
                if !output.failed().is_empty() {
                    let codes: Vec<&str> = output.failed().iter().map(|f| f.code()).collect();
                    return Err(QueueError(format!("SendMessageBatch refused {} messages: {codes:?}", codes.len())));
                }
            }
        }
        Ok(())
    }
}

/// A queue that accepts nothing: effects stay in the outbox for the relay. For functions
/// deployed without queue URLs.
#[derive(Clone, Copy, Debug, Default)]
pub struct OutboxOnly;

#[async_trait]
impl EffectQueue for OutboxOnly {
    async fn publish(&self, _: &[EffectMessage]) -> Result<(), QueueError> {
        Err(QueueError("this function publishes no effects; the outbox relay will".into()))
    }

    async fn publish_delayed(&self, _: &EffectMessage, _: std::time::Duration) -> Result<(), QueueError> {
        Err(QueueError("this function publishes no effects; the outbox relay will".into()))
    }
}
