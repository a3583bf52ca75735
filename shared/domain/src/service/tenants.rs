//! Tenants [empresas]: one customer company of Gestiona and its defaults.

use serde::{Deserialize, Serialize};

use super::{Services, conditions};
use crate::access::{ADMIN_PROFILE, Module, Operation, Permission};
use crate::access_log::{AccessAction, RecordRef};
use crate::actor::{Actor, Forbidden};
use crate::ids::{ProfileId, TenantId};
use crate::keys;
use crate::ports::{Condition, Item, StoreError, WriteOp};
use crate::records;
use crate::tenant::{NewTenant, TenantSettings, ValidSettings};
use crate::user::User;
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Versioned};

pub const ENTITY: &str = "Tenant";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    /// The company's tax or legal id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_id: Option<String>,
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

#[derive(Debug, thiserror::Error)]
pub enum TenantSettingsError {
    #[error("the company has no record")]
    NotFound,
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the settings changed since version {0}")]
    Stale(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateTenantError {
    #[error("the company exists")]
    Exists,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the company's template could not be applied: {0}")]
    Template(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Tenant {
    fn with(id: TenantId, settings: ValidSettings) -> Self {
        Tenant {
            id,
            name: settings.name,
            legal_id: settings.legal_id,
            locale: settings.locale,
            currency: settings.currency,
            time_zone: settings.time_zone,
            sender: settings.sender,
            address: settings.address,
            logo_url: settings.logo_url,
            app_url: settings.app_url,
        }
    }
}

impl Services {
    /// `GET /tenant`: the caller's company and the version its settings are at.
    pub async fn tenant_settings(&self, actor: &Actor) -> Result<Versioned<Tenant>, TenantSettingsError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Read))?;
        self.load::<Tenant>(&keys::tenant(&actor.tenant)).await?.ok_or(TenantSettingsError::NotFound)
    }

    /// `PUT /tenant` (who may change the configuration): replaces the settings at the version
    /// the caller read (`If-Match`) or, without one, over whatever is stored.
    pub async fn save_tenant_settings(
        &self,
        actor: &Actor,
        settings: &TenantSettings,
        expected: Option<ExpectedVersion>,
    ) -> Result<Versioned<Tenant>, TenantSettingsError> {
        actor.permit(Permission::new(Module::Configuration, Operation::Update))?;
        let valid = settings.validate()?;
        let key = keys::tenant(&actor.tenant);
        let stored = self.store.get(&key).await?.ok_or(TenantSettingsError::NotFound)?;
        let version = match expected {
            Some(expected) => expected.admit(stored.version).ok_or(TenantSettingsError::Stale(expected.named()))?,
            None => stored.version,
        };
        let tenant = Tenant::with(actor.tenant.clone(), valid);
        let item = Item::new(key, ENTITY, version + 1, records::body(&tenant)?);
        let condition = Condition::version_is(conditions::TENANT, version);
        let record = Some(RecordRef::new("tenant", &actor.tenant));
        let logged = self.access_op(actor, AccessAction::SettingsChanged, record)?;
        match self.store.write(vec![WriteOp::Put { item, condition }, logged]).await {
            Ok(()) => Ok(Versioned { value: tenant, version: version + 1 }),
            Err(StoreError::ConditionFailed { name: conditions::TENANT }) => Err(TenantSettingsError::Stale(version)),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens a company (a platform operator's step, from the local runner's command line): its
    /// settings, its first administrator in the directory with the admin profile, and the
    /// brochures' template (case types, a calendar, SLA policies and a web form), so that it
    /// can work at once. The company's record is written last and only if it did not exist, so
    /// a company is never opened twice, and an interrupted opening can be run again.
    pub async fn create_tenant_from_template(&self, new: &NewTenant) -> Result<Tenant, CreateTenantError> {
        let mut admin_errors = ValidationErrors::new();
        let name = admin_errors.text("adminName", &new.admin_name, crate::account::NAME_MAX, false);
        let email = admin_errors.email("adminEmail", &new.admin_email);
        let valid = new.settings.validate().map_err(|mut invalid| {
            invalid.0.extend(admin_errors.0.clone());
            invalid
        })?;
        admin_errors.finish()?;
        if self.tenant(&new.id).await?.is_some() {
            return Err(CreateTenantError::Exists);
        }
        let admin = User {
            id: new.admin.clone(),
            name: name.unwrap_or_default(),
            email: email.unwrap_or_default(),
            locale: valid.locale.clone(),
            profile: Some(ProfileId::parse(ADMIN_PROFILE).expect("a valid id")),
            active: true,
        };
        self.put_user(&new.id, &admin).await?;
        let actor = Actor::with_role(&new.id, &new.admin, crate::actor::Role::Admin);
        self.apply_brochure_template(&actor).await.map_err(|e| CreateTenantError::Template(e.to_string()))?;
        let tenant = Tenant::with(new.id.clone(), valid);
        if self.create_tenant(&tenant).await? { Ok(tenant) } else { Err(CreateTenantError::Exists) }
    }
}
