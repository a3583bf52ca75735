//! The transactional outbox. An effect is written as an outbox entry in the same atomic write as
//! the change that caused it, then published to its queue; the entry is deleted once the queue
//! has it. If publishing fails (or the function dies first), the relay publishes it later, so a
//! committed effect is never lost. A message may be published twice; its deterministic effect
//! id lets the worker act once.

use sha2::{Digest, Sha256};

use super::{Services, conditions};
use crate::ids::{DocumentNumber, EntityId, TenantId};
use crate::keys;
use crate::ports::{Condition, EffectMessage, Index, Item, Query, StoreError, WriteOp};
use crate::records;

pub const ENTITY: &str = "OutboxEntry";
/// Entries the relay moves per shard and run.
const RELAY_BATCH: u32 = 100;

/// The deterministic id of an effect: the same tenant, subject, occurrence and rule always give
/// the same id, and nothing else does.
pub fn effect_id(tenant: &TenantId, subject: &str, occurrence: &str, rule: &str) -> String {
    let mut hash = Sha256::new();
    for part in [tenant.as_str(), subject, occurrence, rule] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    hex::encode(&hash.finalize()[..16])
}

fn shard_of(effect_id: &str) -> u32 {
    u32::from_str_radix(&effect_id[..2.min(effect_id.len())], 16).unwrap_or(0) % keys::OUTBOX_SHARDS
}

/// What a relay run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayReport {
    pub published: usize,
    /// Entries still pending because the queue refused them.
    pub failed: usize,
}

/// The record an outbox entry lives beside (in its partition), so the entry is written in the
/// same transaction as the change that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutboxOwner {
    Case(EntityId),
    Lead(EntityId),
    Invoice(DocumentNumber),
    /// A webhook subscription: its deliveries' retries.
    Webhook(EntityId),
}

impl OutboxOwner {
    fn entry(&self, tenant: &TenantId, effect_id: &str) -> crate::ports::Key {
        match self {
            Self::Case(id) => keys::case_outbox(tenant, *id, effect_id),
            Self::Lead(id) => keys::lead_outbox(tenant, *id, effect_id),
            Self::Invoice(number) => keys::invoice_outbox(tenant, number, effect_id),
            Self::Webhook(subscription) => keys::webhook_outbox(tenant, *subscription, effect_id),
        }
    }
}

impl Services {
    /// The outbox entry of one effect on a case or lead, to write with the change that caused it.
    pub(crate) fn outbox_op(
        &self,
        tenant: &TenantId,
        owner: OutboxOwner,
        message: &EffectMessage,
    ) -> Result<WriteOp, StoreError> {
        let at = self.clock.now().to_string();
        let item = Item::new(owner.entry(tenant, &message.effect_id), ENTITY, 1, records::body(message)?)
            .with_index(Index::Gsi1, keys::outbox_listing(shard_of(&message.effect_id), &at, &message.effect_id));
        Ok(WriteOp::Put { item, condition: Condition::not_exists(conditions::OUTBOX_ENTRY) })
    }

    /// Publishes committed effects now and clears their entries. Failures are left to the relay.
    pub(crate) async fn publish_committed(&self, tenant: &TenantId, owner: OutboxOwner, messages: &[EffectMessage]) {
        if messages.is_empty() {
            return;
        }
        if let Err(error) = self.queue.publish(messages).await {
            tracing::warn!(%error, count = messages.len(), "effects stay in the outbox for the relay");
            return;
        }
        let deletes: Vec<WriteOp> = messages
            .iter()
            .map(|m| WriteOp::Delete { key: owner.entry(tenant, &m.effect_id), condition: Condition::ALWAYS })
            .collect();
        if let Err(error) = self.store.write(deletes).await {
            // Harmless: the relay publishes them again and the workers skip repeats.
            tracing::warn!(%error, "published effects not cleared from the outbox");
        }
    }

    /// Publishes one committed effect to be received after `delay`, and clears its entry. A
    /// failure is left to the relay, which publishes it at once; the consumer then waits out the
    /// rest of the delay itself.
    pub(crate) async fn publish_committed_after(
        &self,
        tenant: &TenantId,
        owner: OutboxOwner,
        message: &EffectMessage,
        delay: std::time::Duration,
    ) {
        if let Err(error) = self.queue.publish_delayed(message, delay).await {
            tracing::warn!(%error, "a delayed effect stays in the outbox for the relay");
            return;
        }
        let delete = WriteOp::Delete { key: owner.entry(tenant, &message.effect_id), condition: Condition::ALWAYS };
        if let Err(error) = self.store.write(vec![delete]).await {
            tracing::warn!(%error, "published effect not cleared from the outbox");
        }
    }

    /// Publishes every pending outbox entry (oldest first, per shard) and deletes what the queue
    /// accepted. Reads only pending entries, whatever the size of the table.
    pub async fn relay_outbox(&self) -> Result<RelayReport, StoreError> {
        let mut report = RelayReport::default();
        for shard in 0..keys::OUTBOX_SHARDS {
            let page = self
                .store
                .query(&Query::index(Index::Gsi1, keys::outbox_listing_partition(shard)).limit(RELAY_BATCH))
                .await?;
            if page.items.is_empty() {
                continue;
            }
            let messages: Vec<EffectMessage> = page.items.iter().map(records::read).collect::<Result<_, _>>()?;
            match self.queue.publish(&messages).await {
                Ok(()) => {
                    let deletes: Vec<WriteOp> = page
                        .items
                        .iter()
                        .map(|item| WriteOp::Delete { key: item.key.clone(), condition: Condition::ALWAYS })
                        .collect();
                    self.store.write(deletes).await?;
                    report.published += messages.len();
                }
                Err(error) => {
                    tracing::warn!(%error, count = messages.len(), "relay: the queue refused effects");
                    report.failed += messages.len();
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effect_ids_are_deterministic_and_distinct() {
        let t = TenantId::parse("demo").unwrap();
        let a = effect_id(&t, "case:1", "event:1", "0:notify");
        assert_eq!(a, effect_id(&t, "case:1", "event:1", "0:notify"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, effect_id(&t, "case:1", "event:2", "0:notify"));
        assert_ne!(a, effect_id(&t, "case:1", "event:1", "1:notify"));
        assert_ne!(effect_id(&t, "ab", "c", "d"), effect_id(&t, "a", "bc", "d"), "parts are delimited");
        assert!(shard_of(&a) < keys::OUTBOX_SHARDS);
    }
}
