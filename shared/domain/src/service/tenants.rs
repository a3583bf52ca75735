//! Tenants [empresas]: one customer company of Gestiona and its defaults.

use serde::{Deserialize, Serialize};

use super::{Services, conditions};
use crate::ids::TenantId;
use crate::keys;
use crate::ports::{Item, StoreError};
use crate::records;

pub const ENTITY: &str = "Tenant";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    /// Default language of e-mails and documents (`es` or `en`).
    pub locale: String,
    /// Default ISO 4217 currency.
    pub currency: String,
    /// IANA time zone of the tenant's business calendar.
    pub time_zone: String,
    /// The verified sender identity of the tenant's e-mails (`Name <address>` or an address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Postal address for e-mail footers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// Where links in e-mails point (the staff web app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_url: Option<String>,
}

impl Services {
    pub async fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        Ok(self.load::<Tenant>(&keys::tenant(id)).await?.map(|v| v.value))
    }

    /// Creates the tenant record; `false` if it already existed (nothing changed).
    pub async fn create_tenant(&self, tenant: &Tenant) -> Result<bool, StoreError> {
        let item = Item::new(keys::tenant(&tenant.id), ENTITY, 1, records::body(tenant)?);
        match self.store.put_new(item, conditions::TENANT).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
