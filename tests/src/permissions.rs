//! The permission matrix through the HTTP API: every profile (the seeded ones and one a tenant
//! made) against every guarded route, on whichever store the caller passes. A route the profile
//! allows is never refused with 403; one it does not allow is refused with 403 before anything
//! of the request is read. The token always names the admin role: the directory's profile is
//! what counts.

use std::collections::BTreeSet;

use gestiona_api::Api;
use gestiona_domain::access::{Module, Operation, Permission, Profile, seeded_profiles};
use gestiona_domain::user::User;
use gestiona_domain::{ProfileId, TenantId, UserId};
use serde_json::{Value, json};

use crate::fixtures::{probe, staff};
use crate::handlers::call;

/// `event` as `user` signs it, whatever role the token claims.
pub(crate) fn as_user(mut event: Value, user: &str, groups: &str) -> Value {
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = json!(user);
    event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = json!(groups);
    event
}

/// A directory entry naming `profile`.
pub(crate) async fn give_profile(api: &Api, user: &str, profile: &str, active: bool) {
    let user = User {
        id: UserId::parse(user).unwrap(),
        name: user.to_owned(),
        email: format!("{user}@demo.example"),
        locale: "es".into(),
        profile: Some(ProfileId::parse(profile).unwrap()),
        active,
    };
    api.services.put_user(&TenantId::parse("demo").unwrap(), &user).await.expect("a directory entry");
}

pub async fn permission_matrix(api: Api) {
    // A profile the tenant makes through the API: everything readable, nothing else.
    let readers = json!({
        "name": "Solo lectura", "level": "agent",
        "grants": Module::ALL.iter().map(|m| (m.as_str().to_owned(), json!(["read"]))).collect::<serde_json::Map<_, _>>(),
    });
    let mut put = staff("PUT", "/profiles/{id}", "/profiles/readers", &[], Some(readers));
    put["headers"]["if-match"] = json!("\"0\"");
    let saved = call(&api, gestiona_api::Function::AccountsApi, &put).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let listed =
        call(&api, gestiona_api::Function::AccountsApi, &staff("GET", "/profiles", "/profiles", &[], None)).await;
    let ids: BTreeSet<&str> =
        listed.body["profiles"].as_array().unwrap().iter().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, ["admin", "agent", "collections", "readers", "sales", "supervisor"].into());

    // The profiles as the API answers them: the seeded ones and the tenant's own.
    let profiles: Vec<Profile> = serde_json::from_value(listed.body["profiles"].clone()).expect("profiles");
    let readers = profiles.iter().find(|p| p.id.as_str() == "readers").expect("the tenant's profile");
    assert!(readers.allows(Permission::new(Module::Leads, Operation::Read)));
    assert!(!readers.allows(Permission::new(Module::Leads, Operation::Create)));
    assert_eq!(profiles.len(), seeded_profiles().len() + 1);

    let guarded: Vec<_> = gestiona_api::routes::all().filter(|r| r.permission().is_some()).collect();
    assert!(guarded.len() > 70, "every staff route declares its permission: {}", guarded.len());
    let mut refused = 0;
    for profile in &profiles {
        let user = format!("u-{}", profile.id);
        give_profile(&api, &user, profile.id.as_str(), true).await;
        for route in &guarded {
            let permission = route.permission().unwrap();
            let reply = call(&api, route.function, &as_user(probe(route), &user, "[admin]")).await;
            let (allowed, profile) = (profile.allows(permission), &profile.id);
            if allowed {
                assert_ne!(reply.status, 403, "{profile} may {}: {} {}", permission.code(), route.key(), reply.body);
            } else {
                refused += 1;
                assert_eq!(
                    reply.status,
                    403,
                    "{profile} may not {}: {} {}",
                    permission.code(),
                    route.key(),
                    reply.body
                );
                let detail = reply.body["detail"].as_str().unwrap_or_default();
                assert!(detail.contains(&permission.code()), "the refusal names what is missing: {detail}");
            }
        }
    }
    assert!(refused > 100, "the matrix refused only {refused} calls");

    // The case: an agent lists and reads, but records no payment; collections does.
    let payment = |user: &str| {
        let event = staff(
            "PUT",
            "/invoices/{number}/payments/{paymentId}",
            "/invoices/FAC-X/payments/PAY-1",
            &[],
            Some(json!({"amountMinor": 100, "paidOn": "2026-11-30"})),
        );
        as_user(event, user, "[agent]")
    };
    let by_agent = call(&api, gestiona_api::Function::ReceivablesApi, &payment("u-agent")).await;
    assert_eq!(by_agent.status, 403, "{}", by_agent.body);
    let by_collections = call(&api, gestiona_api::Function::ReceivablesApi, &payment("u-collections")).await;
    assert_eq!(by_collections.status, 404, "allowed, and the invoice does not exist: {}", by_collections.body);

    // A deactivated user is refused on every route at once, whatever their token says; the
    // same user active again works.
    give_profile(&api, "u-admin", "admin", false).await;
    let mut accounts = as_user(staff("GET", "/accounts", "/accounts", &[], None), "u-admin", "[admin]");
    accounts["headers"]["accept-language"] = json!("es");
    let gone = call(&api, gestiona_api::Function::AccountsApi, &accounts).await;
    assert_eq!(gone.status, 403, "{}", gone.body);
    assert!(gone.body["detail"].as_str().unwrap().contains("desactivado"), "{}", gone.body);
    give_profile(&api, "u-admin", "admin", true).await;
    assert_eq!(call(&api, gestiona_api::Function::AccountsApi, &accounts).await.status, 200);

    // Per case type: complaints kept to reading, other types as on cases.
    let narrowed = json!({
        "name": "Reclamos solo lectura", "level": "agent",
        "grants": {"cases": ["create", "read", "update"], "accounts": ["read"]},
        "caseTypes": {"queja_calidad": ["read"]},
    });
    let put = staff("PUT", "/profiles/{id}", "/profiles/tipos", &[], Some(narrowed));
    let saved = call(&api, gestiona_api::Function::AccountsApi, &put).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["caseTypes"], json!({"queja_calidad": ["read"]}));
    give_profile(&api, "u-tipos", "tipos", true).await;
    let open = |case_type: &str| {
        let body = json!({"type": case_type, "subject": "Sacos rotos", "owner": "u-tipos"});
        as_user(staff("POST", "/cases", "/cases", &[], Some(body)), "u-tipos", "[agent]")
    };
    let refused_type = call(&api, gestiona_api::Function::CasesApi, &open("queja_calidad")).await;
    assert_eq!(refused_type.status, 403, "{}", refused_type.body);
    assert!(refused_type.body["detail"].as_str().unwrap().contains("queja_calidad"), "{}", refused_type.body);
    assert_eq!(call(&api, gestiona_api::Function::CasesApi, &open("devolucion")).await.status, 201);
    let by_admin =
        call(&api, gestiona_api::Function::CasesApi, &as_user(open("queja_calidad"), "u-admin", "[admin]")).await;
    assert_eq!(by_admin.status, 201, "{}", by_admin.body);
    let path = format!("/cases/{}", by_admin.body["id"].as_str().unwrap());
    let read = as_user(staff("GET", "/cases/{id}", &path, &[], None), "u-tipos", "[agent]");
    assert_eq!(call(&api, gestiona_api::Function::CasesApi, &read).await.status, 200, "kept: reading");
    let mut patch =
        as_user(staff("PATCH", "/cases/{id}", &path, &[], Some(json!({"subject": "Otro"}))), "u-tipos", "[agent]");
    patch["headers"]["content-type"] = json!("application/merge-patch+json");
    patch["headers"]["if-match"] = json!("*");
    let changed = call(&api, gestiona_api::Function::CasesApi, &patch).await;
    assert_eq!(changed.status, 403, "{}", changed.body);
    let beyond = json!({"name": "Más", "level": "agent", "grants": {"cases": ["read"]}, "caseTypes": {"queja_calidad": ["read", "export"]}});
    let refused_profile = call(
        &api,
        gestiona_api::Function::AccountsApi,
        &staff("PUT", "/profiles/{id}", "/profiles/mas", &[], Some(beyond)),
    )
    .await;
    assert_eq!(refused_profile.status, 422, "{}", refused_profile.body);
    assert_eq!(refused_profile.body["errors"][0]["field"], "caseTypes.queja_calidad");

    // A user the directory does not list works with their token's role.
    let stranger = as_user(staff("GET", "/profiles", "/profiles", &[], None), "stranger", "[agent]");
    let refused_stranger = call(&api, gestiona_api::Function::AccountsApi, &stranger).await;
    assert_eq!(refused_stranger.status, 403, "an agent reads no configuration");
}
