//! The Cognito identity provider against the emulator's user pool (moto): an invitation makes
//! a user of the company with its address and language, in the group of the level; inviting
//! again finds it; another company's address is refused; deactivating disables the user and
//! reactivating enables it.

use aws_sdk_cognitoidentityprovider::types::{AttributeDataType, SchemaAttributeType, UsernameAttributeType};
use gestiona_domain::ports::{IdentityError, IdentityProvider, Invitation};
use gestiona_domain::{Role, TenantId};
use gestiona_identity_cognito::{CognitoIdentity, TENANT_ATTRIBUTE};

/// A pool shaped as the template makes it: e-mail sign-in, the immutable tenant attribute and
/// the three groups.
async fn pool(client: &aws_sdk_cognitoidentityprovider::Client) -> String {
    let tenant = SchemaAttributeType::builder()
        .name("tenant")
        .attribute_data_type(AttributeDataType::String)
        .mutable(false)
        .build();
    let created = client
        .create_user_pool()
        .pool_name(format!("gestiona-test-{}", ulid::Ulid::generate()))
        .username_attributes(UsernameAttributeType::Email)
        .schema(tenant)
        .send()
        .await
        .expect("a user pool");
    let id = created.user_pool().and_then(|p| p.id()).expect("a pool id").to_owned();
    for group in ["agent", "supervisor", "admin"] {
        client.create_group().user_pool_id(&id).group_name(group).send().await.expect("a group");
    }
    id
}

#[tokio::test]
#[ignore = "needs the AWS emulator: tests/run provides it"]
async fn invitations_and_deactivations_reach_the_user_pool() {
    let client = gestiona_tests::moto::cognito();
    let pool_id = pool(&client).await;
    let identity = CognitoIdentity::new(client.clone(), pool_id.clone());
    let demo = TenantId::parse("demo").unwrap();
    let invitation = Invitation {
        email: "marta@vidal.example".into(),
        name: "Marta Vidal".into(),
        locale: "en".into(),
        role: Role::Supervisor,
    };
    let sub = identity.invite(&demo, &invitation).await.expect("invited");

    let user = client.admin_get_user().user_pool_id(&pool_id).username(sub.as_str()).send().await.expect("the user");
    let attribute = |name: &str| {
        user.user_attributes().iter().find(|a| a.name() == name).and_then(|a| a.value()).map(str::to_owned)
    };
    assert_eq!(attribute("email").as_deref(), Some("marta@vidal.example"));
    assert_eq!(attribute(TENANT_ATTRIBUTE).as_deref(), Some("demo"));
    assert_eq!(attribute("sub").as_deref(), Some(sub.as_str()));
    assert!(user.enabled());
    let groups = client
        .admin_list_groups_for_user()
        .user_pool_id(&pool_id)
        .username(sub.as_str())
        .send()
        .await
        .expect("the user's groups");
    let names: Vec<_> = groups.groups().iter().filter_map(|g| g.group_name()).collect();
    assert_eq!(names, ["supervisor"]);

    // Again (a retry after the directory's write failed): the same user.
    assert_eq!(identity.invite(&demo, &invitation).await.expect("found"), sub);
    // Another company's address is refused, without saying whose it is.
    let other = TenantId::parse("otra").unwrap();
    match identity.invite(&other, &invitation).await {
        Err(IdentityError::Refused(reason)) => assert!(!reason.contains("demo"), "{reason}"),
        answered => panic!("expected a refusal, got {answered:?}"),
    }

    identity.set_enabled(&demo, &sub, false).await.expect("disabled");
    let user = client.admin_get_user().user_pool_id(&pool_id).username(sub.as_str()).send().await.unwrap();
    assert!(!user.enabled(), "a deactivated user cannot sign in");
    identity.set_enabled(&demo, &sub, true).await.expect("enabled");
    let user = client.admin_get_user().user_pool_id(&pool_id).username(sub.as_str()).send().await.unwrap();
    assert!(user.enabled());
}
