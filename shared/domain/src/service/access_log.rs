//! The access log's use cases: recording an entry (on its own, or in the same write as the
//! change it records) and reading the log by user or by record.

use super::access::POLICY_ENTITY;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::access::{Module, Operation, Permission};
use crate::access_log::{AccessAction, AccessEntry, RETENTION_DAYS, RecordRef, Retention};
use crate::actor::{Actor, Forbidden};
use crate::ids::UserId;
use crate::keys;
use crate::ports::{Condition, Index, Item, Query, SortKeyRange, StoreError, WriteOp};
use crate::records;
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Page, Versioned};

pub const ENTITY: &str = "AccessEntry";

const SECONDS_A_DAY: i64 = 86_400;

#[derive(Debug, thiserror::Error)]
pub enum SaveRetentionError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the profiles changed since version {expected}")]
    Stale { expected: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

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
    /// The write that records `action` by `actor`, to put in the batch of the change it records;
    /// kept as long as the actor's company keeps its log.
    pub(crate) fn access_op(
        &self,
        actor: &Actor,
        action: AccessAction,
        record: Option<RecordRef>,
    ) -> Result<WriteOp, StoreError> {
        let tenant = &actor.tenant;
        let entry = AccessEntry {
            id: self.new_id(),
            at: self.clock.now(),
            user: actor.user.clone(),
            action,
            record,
            from: actor.origin().into(),
        };
        // CloudWatch Logs keeps its own copy, whatever the table's retention.
        tracing::info!(target: "gestiona::access", tenant = %tenant, user = %entry.user, action = ?entry.action,
            record = ?entry.record, from = %entry.from, "access");
        let sort = format!("{}#{}", sort_instant(entry.at), entry.id);
        let mut item = Item::new(keys::access_entry(tenant, entry.id), ENTITY, 1, records::body(&entry)?)
            .with_index(Index::Gsi1, keys::access_log(tenant, &sort))
            .with_index(Index::Gsi2, keys::access_log_of_user(tenant, &entry.user, &sort));
        if let Some(record) = &entry.record {
            item = item.with_index(Index::Gsi3, keys::access_log_of_record(tenant, &record.kind, &record.id, &sort));
        }
        item.ttl = Some(entry.at.as_second() + i64::from(actor.log_retention_days()) * SECONDS_A_DAY);
        Ok(WriteOp::Put { item, condition: Condition::ALWAYS })
    }

    /// Records `action` by `actor` on its own (a read, an export, a sign-in), from where the
    /// actor's request came. A failure is logged and nothing else: the record was read whether
    /// or not the log could say so, and the answer still goes out.
    pub async fn log_access(&self, actor: &Actor, action: AccessAction, record: Option<RecordRef>) {
        let written = match self.access_op(actor, action, record) {
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
        // Only what the company keeps: an entry written before the keeping was shortened waits
        // for its own expiry, unseen.
        let kept_since =
            self.clock.now() - jiff::SignedDuration::from_secs(i64::from(actor.log_retention_days()) * SECONDS_A_DAY);
        let kept = SortKeyRange::Between(sort_instant(kept_since), "~".to_owned());
        let query = match (&filter.user, &filter.record) {
            (_, Some(record)) => {
                Query::index(Index::Gsi3, keys::access_log_of_record_partition(tenant, &record.kind, &record.id))
            }
            (Some(user), None) => Query::index(Index::Gsi2, keys::access_log_of_user_partition(tenant, user)),
            (None, None) => Query::index(Index::Gsi1, keys::access_log_partition(tenant)),
        };
        let user = filter.user.clone();
        let keep = move |entry: &AccessEntry| user.as_ref().is_none_or(|u| entry.user == *u);
        Ok(list_page(self.store.as_ref(), query.range(kept).backward(), page, keep).await?)
    }

    /// `GET /access-log/retention`: how many days the company keeps entries, at the version of
    /// its profiles (the same item holds both).
    pub async fn access_log_retention(&self, actor: &Actor) -> Result<Versioned<Retention>, AccessLogError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Read))?;
        let policy = self.access_policy(&actor.tenant).await.map_err(AccessLogError::Store)?;
        let days = policy.value.log_retention_days.unwrap_or(RETENTION_DAYS);
        Ok(Versioned { value: Retention { days }, version: policy.version })
    }

    /// `PUT /access-log/retention` (who may change the configuration): entries written from
    /// now on are kept `days`; reads show no entry older than that at once. Conditioned on the
    /// version of the profiles' item when `expected` names one.
    pub async fn save_access_log_retention(
        &self,
        actor: &Actor,
        retention: Retention,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<Retention>, SaveRetentionError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let retention = retention.validate()?;
        let current = self.access_policy(&actor.tenant).await?;
        let pinned = expected.map_or(current.version, |expected| expected.pin(Some(current.version)));
        if pinned != current.version {
            return Err(SaveRetentionError::Stale { expected: pinned });
        }
        let mut policy = current.value;
        policy.log_retention_days = (retention.days != RETENTION_DAYS).then_some(retention.days);
        let next = current.version + 1;
        let item = Item::new(keys::access_policy(&actor.tenant), POLICY_ENTITY, next, records::body(&policy)?);
        let condition = Condition::version_or_new(conditions::ACCESS_POLICY, Some(current.version).filter(|v| *v > 0));
        // The change is kept as long as the new keeping says.
        let changer = Actor { log_retention_days: Some(retention.days), ..actor.clone() };
        let logged =
            self.access_op(&changer, AccessAction::SettingsChanged, Some(RecordRef::new("tenant", &actor.tenant)))?;
        match self.store.write(vec![WriteOp::Put { item, condition }, logged]).await {
            Ok(()) => Ok(Versioned { value: retention, version: next }),
            Err(StoreError::ConditionFailed { name: conditions::ACCESS_POLICY }) => {
                Err(SaveRetentionError::Stale { expected: pinned })
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// An instant as the log's sort keys begin: nanoseconds, zero-padded, so entries of one request
/// or one second keep their order and a time bound is a key bound.
fn sort_instant(at: jiff::Timestamp) -> String {
    format!("{:020}", at.as_nanosecond())
}
