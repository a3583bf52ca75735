//! Aging: an account's open balance by bucket, and the aging report by account or agent.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;

use super::GetInvoiceError;
use crate::actor::Actor;
use crate::ids::{EntityId, UserId};
use crate::keys;
use crate::ports::{Index, Query, StoreError};
use crate::receivables::{AgingBucket, AgingTotals, CollectionsProfile, Invoice, InvoiceView, age};
use crate::service::Services;

/// `GET /accounts/{id}/aging`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountAging {
    pub account_id: EntityId,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub as_of: Date,
    pub profile: CollectionsProfile,
    pub totals: Vec<AgingTotals>,
    /// Credit limit less what is owed in its currency; negative when over the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_credit_minor: Option<i64>,
    pub over_limit: bool,
    pub invoices: Vec<InvoiceView>,
}

/// One row of `GET /reports/aging`: a group (account or agent) in one currency.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgingRow {
    /// The account id or the agent's user id (`unassigned` when none).
    pub group: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub totals: AgingTotals,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgingReport {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub as_of: Date,
    pub group_by: String,
    pub rows: Vec<AgingRow>,
    /// Per currency, over every row.
    pub totals: Vec<AgingTotals>,
}

/// How `GET /reports/aging` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgingGroup {
    Account,
    Agent,
}

impl Services {
    /// `GET /accounts/{id}/aging`: the account's open invoices by bucket and currency, with its
    /// credit terms and how much credit is left.
    pub async fn account_aging(&self, actor: &Actor, account: EntityId) -> Result<AccountAging, GetInvoiceError> {
        let tenant = &actor.tenant;
        if self.store.get(&keys::account(tenant, account)).await?.is_none() {
            return Err(GetInvoiceError::NotFound);
        }
        let today = self.tenant_today(tenant).await?;
        let profile = self.collections_profile(tenant, account).await?.value;
        let query = Query::index(Index::Gsi2, keys::invoices_of_account_partition(tenant, account)).limit(100);
        let invoices: Vec<Invoice> = self.read_all(query).await?;
        let open: Vec<&Invoice> = invoices.iter().filter(|i| i.is_open()).collect();
        let totals = age(open.iter().copied(), today);
        let available = match (profile.credit_limit_minor, &profile.credit_currency) {
            (Some(limit), Some(currency)) => {
                let owed = totals.iter().find(|t| &t.currency == currency).map_or(0, |t| t.total);
                Some(limit - owed)
            }
            _ => None,
        };
        Ok(AccountAging {
            account_id: account,
            as_of: today,
            over_limit: available.is_some_and(|a| a < 0),
            available_credit_minor: available,
            profile,
            totals,
            invoices: open.into_iter().map(|i| i.view(today)).collect(),
        })
    }

    /// `GET /reports/aging`: every open invoice of the tenant (the sparse open index, so paid
    /// history costs nothing), grouped by account or by collections agent.
    pub async fn aging_report(
        &self,
        actor: &Actor,
        group_by: AgingGroup,
        agent: Option<&UserId>,
    ) -> Result<AgingReport, StoreError> {
        let tenant = &actor.tenant;
        let today = self.tenant_today(tenant).await?;
        let query = Query::index(Index::Gsi3, keys::open_invoices_partition(tenant)).limit(100);
        let invoices: Vec<Invoice> = self.read_all(query).await?;
        let mut profiles: HashMap<EntityId, CollectionsProfile> = HashMap::new();
        let mut names: HashMap<EntityId, String> = HashMap::new();
        let mut groups: std::collections::BTreeMap<(String, String), AgingTotals> = Default::default();
        let mut selected = Vec::new();
        for invoice in invoices.iter().filter(|i| i.is_open()) {
            if let std::collections::hash_map::Entry::Vacant(slot) = profiles.entry(invoice.account_id) {
                slot.insert(self.collections_profile(tenant, invoice.account_id).await?.value);
                let account = self.load::<crate::account::Account>(&keys::account(tenant, invoice.account_id)).await?;
                let name = account.map(|a| a.value.name).unwrap_or_default();
                names.insert(invoice.account_id, name);
            }
            let owner =
                invoice.collections_agent.clone().or_else(|| profiles[&invoice.account_id].collections_agent.clone());
            if agent.is_some_and(|a| owner.as_ref() != Some(a)) {
                continue;
            }
            let group = match group_by {
                AgingGroup::Account => invoice.account_id.to_string(),
                AgingGroup::Agent => owner.map_or_else(|| "unassigned".to_owned(), |u| u.to_string()),
            };
            groups
                .entry((group, invoice.currency.clone()))
                .or_insert_with(|| AgingTotals { currency: invoice.currency.clone(), ..Default::default() })
                .add(AgingBucket::of(invoice.days_past_due(today)), invoice.balance_minor());
            selected.push(invoice);
        }
        let rows = groups
            .into_iter()
            .map(|((group, _), totals)| {
                let name = match group_by {
                    AgingGroup::Account => EntityId::parse(&group).ok().and_then(|id| names.get(&id).cloned()),
                    AgingGroup::Agent => None,
                };
                AgingRow { group, name, totals }
            })
            .collect();
        Ok(AgingReport {
            as_of: today,
            group_by: match group_by {
                AgingGroup::Account => "account".into(),
                AgingGroup::Agent => "agent".into(),
            },
            rows,
            totals: age(selected, today),
        })
    }
}
