//! The Cognito user pool as the identity provider: an invitation is `AdminCreateUser` (the
//! address as sign-in, verified, the company in the immutable `custom:tenant` attribute, and
//! Cognito's invitation e-mail with a temporary password), then `AdminAddUserToGroup` with the
//! group of the profile's level, so the token names a role the API knows. Deactivating is
//! `AdminDisableUser` then `AdminUserGlobalSignOut` (refresh tokens revoked); reactivating is
//! `AdminEnableUser`.
//!
//! Inviting is safe to repeat: an address the pool has already answers the user it has, when
//! it belongs to the same company (the group is added again, which Cognito accepts). An address
//! of another company's user is refused without saying whose it is.

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType};
use gestiona_domain::ports::{IdentityError, IdentityProvider, Invitation};
use gestiona_domain::{TenantId, UserId};

/// The attribute that carries the user's company (declared on the pool, immutable).
pub const TENANT_ATTRIBUTE: &str = "custom:tenant";

#[derive(Clone, Debug)]
pub struct CognitoIdentity {
    client: Client,
    user_pool_id: String,
}

impl CognitoIdentity {
    pub fn new(client: Client, user_pool_id: impl Into<String>) -> Self {
        Self { client, user_pool_id: user_pool_id.into() }
    }

    /// The subject and company of the pool's user with this address, if it has one.
    async fn existing(&self, email: &str) -> Result<(UserId, Option<String>), IdentityError> {
        let user = self
            .client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(email)
            .send()
            .await
            .map_err(unavailable)?;
        let attribute = |name: &str| {
            user.user_attributes().iter().find(|a| a.name() == name).and_then(|a| a.value()).map(str::to_owned)
        };
        let sub = attribute("sub").unwrap_or_else(|| user.username().to_owned());
        Ok((subject(&sub)?, attribute(TENANT_ATTRIBUTE)))
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, IdentityError> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| IdentityError::Refused(e.to_string()))
}

fn subject(sub: &str) -> Result<UserId, IdentityError> {
    UserId::parse(sub).map_err(|e| IdentityError::Unavailable(format!("the pool answered a subject {sub:?}: {e}")))
}

fn unavailable<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(error: SdkError<E, R>) -> IdentityError {
    match error {
        SdkError::ServiceError(e) => {
            let e = e.into_err();
            IdentityError::Unavailable(format!(
                "{}: {}",
                e.code().unwrap_or("unknown"),
                e.message().unwrap_or_default()
            ))
        }
        other => IdentityError::Unavailable(format!("{other:?}")),
    }
}

/// The pool's group for a level: the groups the template declares.
fn group(role: gestiona_domain::Role) -> &'static str {
    role.as_str()
}

#[async_trait]
impl IdentityProvider for CognitoIdentity {
    async fn invite(&self, tenant: &TenantId, invitation: &Invitation) -> Result<UserId, IdentityError> {
        let attributes = vec![
            attribute("email", &invitation.email)?,
            attribute("email_verified", "true")?,
            attribute("name", &invitation.name)?,
            attribute("locale", &invitation.locale)?,
            attribute(TENANT_ATTRIBUTE, tenant.as_str())?,
        ];
        let created = self
            .client
            .admin_create_user()
            .user_pool_id(&self.user_pool_id)
            .username(&invitation.email)
            .set_user_attributes(Some(attributes))
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .send()
            .await;
        let sub = match created {
            Ok(output) => {
                let user = output.user();
                let sub = user
                    .and_then(|u| u.attributes().iter().find(|a| a.name() == "sub").and_then(|a| a.value()))
                    .or_else(|| user.and_then(|u| u.username()))
                    .ok_or_else(|| IdentityError::Unavailable("the pool answered no subject".into()))?;
                subject(sub)?
            }
            Err(SdkError::ServiceError(e)) if matches!(e.err(), AdminCreateUserError::UsernameExistsException(_)) => {
                match self.existing(&invitation.email).await? {
                    (sub, Some(owner)) if owner == tenant.as_str() => sub,
                    _ => return Err(IdentityError::Refused("the address is another company's sign-in".into())),
                }
            }
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    AdminCreateUserError::InvalidParameterException(_)
                        | AdminCreateUserError::InvalidPasswordException(_)
                ) =>
            {
                return Err(IdentityError::Refused(e.err().message().unwrap_or_default().to_owned()));
            }
            Err(other) => return Err(unavailable(other)),
        };
        self.client
            .admin_add_user_to_group()
            .user_pool_id(&self.user_pool_id)
            .username(sub.as_str())
            .group_name(group(invitation.role))
            .send()
            .await
            .map_err(unavailable)?;
        tracing::info!(%tenant, user = %sub, "invited");
        Ok(sub)
    }

    async fn set_enabled(&self, tenant: &TenantId, user: &UserId, enabled: bool) -> Result<(), IdentityError> {
        if enabled {
            self.client
                .admin_enable_user()
                .user_pool_id(&self.user_pool_id)
                .username(user.as_str())
                .send()
                .await
                .map_err(unavailable)?;
        } else {
            self.client
                .admin_disable_user()
                .user_pool_id(&self.user_pool_id)
                .username(user.as_str())
                .send()
                .await
                .map_err(unavailable)?;
            self.client
                .admin_user_global_sign_out()
                .user_pool_id(&self.user_pool_id)
                .username(user.as_str())
                .send()
                .await
                .map_err(unavailable)?;
        }
        tracing::info!(%tenant, %user, enabled, "sign-in changed");
        Ok(())
    }
}
