//! `/tenant`: the caller's company settings.

use gestiona_domain::service::tenants::{Tenant, TenantSettingsError};
use gestiona_domain::tenant::TenantSettings;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, Record};
use crate::problem::{Problem, ProblemSchema};

impl From<TenantSettingsError> for Problem {
    fn from(e: TenantSettingsError) -> Self {
        match e {
            TenantSettingsError::NotFound => Problem::not_found(),
            TenantSettingsError::Forbidden(f) => f.into(),
            TenantSettingsError::Invalid(v) => v.into(),
            TenantSettingsError::Stale(version) => Problem::stale(version),
            TenantSettingsError::Store(s) => Problem::store(s),
        }
    }
}

#[utoipa::path(get, path = "/tenant", tag = "access",
    description = "The caller's company: name, legal id, language, currency, time zone, e-mail sender, address, logo \
        and console address.",
    responses((status = 200, body = Record<Tenant>), (status = 404, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.tenant_settings(&actor).await?))
}

#[utoipa::path(put, path = "/tenant", tag = "access",
    description = "Replaces the company's settings; with If-Match, only over that version.",
    params(("If-Match" = Option<String>, Header)), request_body = TenantSettings,
    responses((status = 200, body = Record<Tenant>), (status = 412, body = ProblemSchema, content_type = "application/problem+json"),
              (status = 422, body = ProblemSchema, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn save(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let expected = edge::optional_if_match(request)?;
    let settings: TenantSettings = edge::json_body(request)?;
    Ok(edge::versioned(StatusCode::OK, &api.services.save_tenant_settings(&actor, &settings, expected).await?))
}
