//! What every Lambda function does once per cold start: read its configuration from the
//! environment (names declared in `infra/template.yaml`, listed in the README) and build its
//! AWS clients, which later requests borrow.

use std::sync::Arc;

use gestiona_api::{Api, ClaimNames};
use gestiona_domain::ports::{SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_store_dynamo::DynamoStore;

/// The DynamoDB table name.
pub const TABLE_VARIABLE: &str = "GESTIONA_TABLE";
/// The JWT claim that names the tenant (default `custom:tenant`).
pub const TENANT_CLAIM_VARIABLE: &str = "GESTIONA_TENANT_CLAIM";
/// The JWT claim that lists the user's groups (default `cognito:groups`).
pub const ROLES_CLAIM_VARIABLE: &str = "GESTIONA_ROLES_CLAIM";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
}

/// The configuration of an HTTP API function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    pub table: String,
    pub claims: ClaimNames,
}

impl HttpConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = ClaimNames::default();
        Ok(Self {
            table: lookup(TABLE_VARIABLE).filter(|t| !t.is_empty()).ok_or(ConfigError::Missing(TABLE_VARIABLE))?,
            claims: ClaimNames {
                tenant: lookup(TENANT_CLAIM_VARIABLE).unwrap_or(defaults.tenant),
                roles: lookup(ROLES_CLAIM_VARIABLE).unwrap_or(defaults.roles),
            },
        })
    }
}

/// Builds the API on DynamoDB. `AWS_ENDPOINT_URL` redirects the SDK (moto, LocalStack).
pub async fn http_api(config: HttpConfig) -> Api {
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table);
    let services = Services::new(Arc::new(store), Arc::new(SystemClock), Arc::new(UlidGenerator::default()));
    Api::new(services, config.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_comes_from_the_environment() {
        let missing = HttpConfig::from_lookup(|_| None);
        assert!(matches!(missing, Err(ConfigError::Missing(TABLE_VARIABLE))));
        let config = HttpConfig::from_lookup(|name| (name == TABLE_VARIABLE).then(|| "gestiona".to_owned())).unwrap();
        assert_eq!(config, HttpConfig { table: "gestiona".into(), claims: ClaimNames::default() });
    }
}
