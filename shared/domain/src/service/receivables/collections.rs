//! The collections settings (the dunning ladder, account profiles) and how an invoice is armed on them.

use super::{
    ATTEMPTS, CollectionsSettingsError, DunningState, LADDER_ENTITY, PROFILE_ENTITY, local_day, overdue_instant,
    send_instant, state_item,
};
use crate::ExpectedVersion;
use crate::Versioned;
use crate::access::{Module, Operation, Permission};
use crate::actor::Actor;
use crate::ids::{DocumentNumber, EntityId, TenantId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::receivables::{CollectionsProfile, DunningLadder, Invoice};
use crate::records;
use crate::service::accounts::GetAccountError;
use crate::service::{Services, conditions};
use crate::validation::ValidationErrors;

/// Version 0 is the default that GET answers (ETag `"0"`) while nothing is stored: saving over
/// it creates the record, like saving without `If-Match`; once something is stored, `"0"` is
/// stale (412), unlike no `If-Match` at all (409, it exists).
fn stored_version(expected: Option<u64>) -> Option<u64> {
    expected.filter(|version| *version > 0)
}

impl Services {
    pub async fn dunning_ladder(&self, tenant: &TenantId) -> Result<Versioned<DunningLadder>, StoreError> {
        Ok(self
            .load::<DunningLadder>(&keys::dunning_ladder(tenant))
            .await?
            .unwrap_or(Versioned { value: DunningLadder::default(), version: 0 }))
    }

    /// `PUT /dunning-ladder` (admins). Applies to each invoice from its next step or change.
    pub async fn save_dunning_ladder(
        &self,
        actor: &Actor,
        ladder: DunningLadder,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<DunningLadder>, CollectionsSettingsError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        ladder.validate()?;
        self.check_task_types(&actor.tenant, &ladder, "").await?;
        let expected = self.pin_version(&keys::dunning_ladder(&actor.tenant), expected, Some(0)).await?;
        let stored = stored_version(expected);
        let next = stored.map_or(1, |v| v + 1);
        let item = Item::new(keys::dunning_ladder(&actor.tenant), LADDER_ENTITY, next, records::body(&ladder)?);
        let condition = Condition::version_or_new(conditions::DUNNING_LADDER, stored);
        match self.store.write(vec![WriteOp::Put { item, condition }]).await {
            Ok(()) => Ok(Versioned { value: ladder, version: next }),
            Err(StoreError::ConditionFailed { name: conditions::DUNNING_LADDER }) => {
                Err(CollectionsSettingsError::Stale { expected })
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn check_task_types(
        &self,
        tenant: &TenantId,
        ladder: &DunningLadder,
        prefix: &str,
    ) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        for (i, step) in ladder.steps.iter().enumerate() {
            if let Some(task) = &step.task {
                let exists = self.store.get(&keys::case_type(tenant, &task.case_type)).await;
                if !matches!(exists, Ok(Some(_))) {
                    errors.add(format!("{prefix}steps[{i}].task.caseType"), msg::no_case_type(&task.case_type));
                }
            }
        }
        errors.finish()
    }

    /// `GET /accounts/{id}/collections`: the account's collections profile (defaults until set).
    pub async fn account_collections_profile(
        &self,
        actor: &Actor,
        account: EntityId,
    ) -> Result<Versioned<CollectionsProfile>, GetAccountError> {
        if self.store.get(&keys::account(&actor.tenant, account)).await?.is_none() {
            return Err(GetAccountError::NotFound);
        }
        Ok(self.collections_profile(&actor.tenant, account).await?)
    }

    pub async fn collections_profile(
        &self,
        tenant: &TenantId,
        account: EntityId,
    ) -> Result<Versioned<CollectionsProfile>, StoreError> {
        Ok(self
            .load::<CollectionsProfile>(&keys::collections_profile(tenant, account))
            .await?
            .unwrap_or(Versioned { value: CollectionsProfile::default(), version: 0 }))
    }

    /// `PUT /accounts/{id}/collections` (supervisors): credit terms, collections agent, paused
    /// reminders, an account ladder. The account's open invoices are re-armed to match.
    pub async fn save_collections_profile(
        &self,
        actor: &Actor,
        account: EntityId,
        profile: CollectionsProfile,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<CollectionsProfile>, CollectionsSettingsError> {
        actor.permit(Permission::new(Module::Receivables, Operation::Update))?;
        let tenant = &actor.tenant;
        if self.store.get(&keys::account(tenant, account)).await?.is_none() {
            return Err(CollectionsSettingsError::NotFound);
        }
        profile.validate()?;
        if let Some(ladder) = &profile.ladder {
            self.check_task_types(tenant, ladder, "ladder.").await?;
        }
        let expected = self.pin_version(&keys::collections_profile(tenant, account), expected, Some(0)).await?;
        let stored = stored_version(expected);
        let next = stored.map_or(1, |v| v + 1);
        let item =
            Item::new(keys::collections_profile(tenant, account), PROFILE_ENTITY, next, records::body(&profile)?);
        let condition = Condition::version_or_new(conditions::COLLECTIONS_PROFILE, stored);
        match self.store.write(vec![WriteOp::Put { item, condition }]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { name: conditions::COLLECTIONS_PROFILE }) => {
                return Err(CollectionsSettingsError::Stale { expected });
            }
            Err(e) => return Err(e.into()),
        }
        // Re-arm what the account owes: a pause takes its invoices out of the due index, an
        // unpause or a new ladder puts them back at their current step.
        let query = Query::index(Index::Gsi2, keys::invoices_of_account_partition(tenant, account)).limit(100);
        let invoices: Vec<Invoice> = self.read_all(query).await?;
        for invoice in invoices.into_iter().filter(Invoice::is_open) {
            self.rearm(actor, &invoice.number, &profile).await?;
        }
        Ok(Versioned { value: profile, version: next })
    }

    /// Rewrites one invoice's dunning state from what is stored now (after a profile change).
    async fn rearm(
        &self,
        actor: &Actor,
        number: &DocumentNumber,
        profile: &CollectionsProfile,
    ) -> Result<(), StoreError> {
        for _ in 0..ATTEMPTS {
            let context = self.invoice_context(&actor.tenant, number).await?;
            let Some(invoice) = context.invoice else { return Ok(()) };
            let mut ops = Vec::new();
            self.arm_ops(actor, &invoice.value, context.state, profile, &mut ops).await?;
            ops.push(WriteOp::Check {
                key: keys::invoice(&actor.tenant, number),
                condition: Condition::version_is(conditions::INVOICE, invoice.version),
            });
            match self.store.write(ops).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Adds the write of `invoice`'s dunning state, armed at its next pending step (or out of
    /// the due index when it is settled, written off, stopped or paused). `profile` is the
    /// collections profile of the invoice's account, which the caller has read already.
    pub(super) async fn arm_ops(
        &self,
        actor: &Actor,
        invoice: &Invoice,
        previous: Option<(DunningState, u64)>,
        profile: &CollectionsProfile,
        ops: &mut Vec<WriteOp>,
    ) -> Result<(), StoreError> {
        let tenant = &actor.tenant;
        let now = self.clock.now();
        let time_zone = self.tenant_zone(tenant).await?;
        let (condition, version) = match &previous {
            Some((_, v)) => (Condition::version_is(conditions::COLLECTIONS_STATE, *v), v + 1),
            None => (Condition::not_exists(conditions::COLLECTIONS_STATE), 1),
        };
        let mut state = match previous {
            Some((state, _)) => state,
            None => DunningState {
                tenant: tenant.clone(),
                number: invoice.number.clone(),
                account_id: invoice.account_id,
                due_on: None,
                handled_through: None,
                next_at: None,
                promised_on: None,
                ladder: None,
                agent: None,
                contact_id: None,
                time_zone: time_zone.clone(),
                overdue_at: None,
            },
        };
        if state.due_on != Some(invoice.due_on) {
            // A new due date (the ERP moved it) starts the ladder again for that date, and
            // falling overdue on it is news again.
            state.due_on = Some(invoice.due_on);
            state.handled_through = None;
            state.overdue_at = Some(overdue_instant(invoice.due_on, &time_zone));
        }
        if !invoice.is_open() {
            state.overdue_at = None;
        }
        state.account_id = invoice.account_id;
        state.promised_on = invoice.promised_on;
        state.ladder = profile.ladder.clone();
        state.agent = invoice.collections_agent.clone().or(profile.collections_agent.clone());
        state.contact_id = invoice.contact_id;
        state.time_zone = time_zone;
        let active = invoice.is_open() && !invoice.stop_dunning && !profile.dunning_paused;
        state.next_at = if active {
            let ladder = match &state.ladder {
                Some(ladder) => ladder.clone(),
                None => self.dunning_ladder(tenant).await?.value,
            };
            let today = local_day(now, &state.time_zone);
            ladder
                .next_due(invoice.due_on, state.handled_through, invoice.promised_on, today)
                .map(|day| send_instant(day, ladder.send_hour, &state.time_zone))
        } else {
            None
        };
        ops.push(WriteOp::Put { item: state_item(&state, version, now)?, condition });
        Ok(())
    }
}
