//! The access log's use cases: recording an entry (on its own, or in the same write as the
//! change it records) and reading the log by user or by record.

use super::{ListError, PageRequest, Services, list_page};
use crate::access::{Module, Operation, Permission};
use crate::access_log::{AccessAction, AccessEntry, RETENTION_DAYS, RecordRef};
use crate::actor::{Actor, Forbidden};
use crate::ids::{TenantId, UserId};
use crate::keys;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;
use crate::{Page, Versioned};

pub const ENTITY: &str = "AccessEntry";

#[derive(Debug, thiserror::Error)]
pub enum AccessLogError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error(transparent)]
    Store(StoreError),
}

impl From<ListError> for AccessLogError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::Invalid(v) => Self::Invalid(v),
            ListError::Store(s) => Self::Store(s),
        }
    }
}

/// Which entries to read: one user's, one record's, or (neither) everyone's; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessFilter {
    pub user: Option<UserId>,
    pub record: Option<RecordRef>,
}

impl Services {
    /// The write that records `action` by `user`, to put in the batch of the change it records.
    pub(crate) fn access_op(
        &self,
        tenant: &TenantId,
        user: &UserId,
        action: AccessAction,
        record: Option<RecordRef>,
        from: &str,
    ) -> Result<WriteOp, StoreError> {
        let entry = AccessEntry {
            id: self.new_id(),
            at: self.clock.now(),
            user: user.clone(),
            action,
            record,
            from: from.into(),
        };
        // CloudWatch Logs keeps its own copy, whatever the table's retention.
        tracing::info!(target: "gestiona::access", tenant = %tenant, user = %entry.user, action = ?entry.action,
            record = ?entry.record, from = %entry.from, "access");
        // Nanoseconds, zero-padded: entries of one request or one second keep their order.
        let sort = format!("{:020}#{}", entry.at.as_nanosecond(), entry.id);
        let mut item = Item::new(keys::access_entry(tenant, entry.id), ENTITY, 1, records::body(&entry)?)
            .with_index(Index::Gsi1, keys::access_log(tenant, &sort))
            .with_index(Index::Gsi2, keys::access_log_of_user(tenant, &entry.user, &sort));
        if let Some(record) = &entry.record {
            item = item.with_index(Index::Gsi3, keys::access_log_of_record(tenant, &record.kind, &record.id, &sort));
        }
        item.ttl = Some(entry.at.as_second() + RETENTION_DAYS * 86_400);
        Ok(WriteOp::Put { item, condition: Condition::ALWAYS })
    }

    /// Records `action` by `actor` on its own (a read, an export, a sign-in), from where the
    /// actor's request came. A failure is logged and nothing else: the record was read whether
    /// or not the log could say so, and the answer still goes out.
    pub async fn log_access(&self, actor: &Actor, action: AccessAction, record: Option<RecordRef>) {
        let written = match self.access_op(&actor.tenant, &actor.user, action, record, actor.origin()) {
            Ok(op) => self.store.write(vec![op]).await,
            Err(error) => Err(error),
        };
        if let Err(error) = written {
            tracing::error!(%error, ?action, "the access log could not record this");
        }
    }

    /// `GET /access-log` (who may change the configuration): newest first.
    pub async fn access_log(
        &self,
        actor: &Actor,
        filter: &AccessFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<AccessEntry>>, AccessLogError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let tenant = &actor.tenant;
        let query = match (&filter.user, &filter.record) {
            (_, Some(record)) => {
                Query::index(Index::Gsi3, keys::access_log_of_record_partition(tenant, &record.kind, &record.id))
            }
            (Some(user), None) => Query::index(Index::Gsi2, keys::access_log_of_user_partition(tenant, user)),
            (None, None) => Query::index(Index::Gsi1, keys::access_log_partition(tenant)),
        };
        let user = filter.user.clone();
        let keep = move |entry: &AccessEntry| user.as_ref().is_none_or(|u| entry.user == *u);
        Ok(list_page(self.store.as_ref(), query.backward(), page, keep).await?)
    }
}
