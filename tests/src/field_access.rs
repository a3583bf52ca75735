//! Field-level access through the HTTP API, on whichever store the caller passes: a profile
//! that hides an account's tax id, a contact's e-mail, a lead's phone and a case's amount sees
//! none of them in any answer of any route it may call (JSON or CSV), and may not set them or
//! the field it may only read; what it saves otherwise keeps the values it could not see.

use gestiona_api::{Api, Function};
use serde_json::{Value, json};

use crate::fixtures::staff;
use crate::handlers::{Reply, call};
use crate::permissions::{as_user, give_profile};

/// Values that appear nowhere else, so finding one in an answer means a hidden field leaked.
const TAX_ID: &str = "3-101-424242";
const CONTACT_EMAIL: &str = "olga.zafiro@hidrantes.example";
const LEAD_PHONE_DIGITS: &str = "88884242";
const AMOUNT_MINOR: i64 = 4_242_424_217;

fn markers() -> Vec<String> {
    // The amount as JSON (minor units), and as reports write it (major units, both languages).
    vec![
        TAX_ID.into(),
        CONTACT_EMAIL.into(),
        LEAD_PHONE_DIGITS.into(),
        AMOUNT_MINOR.to_string(),
        "42424242.17".into(),
        "42424242,17".into(),
        "42.424.242".into(),
        "42,424,242".into(),
    ]
}

async fn as_admin(api: &Api, function: Function, method: &str, route: &str, path: &str, body: Value) -> Reply {
    let reply = call(api, function, &staff(method, route, path, &[], Some(body))).await;
    assert!(reply.status.is_success(), "{method} {path}: {} {}", reply.status, reply.body);
    reply
}

/// Where a route's `{id}` points for this test's records (other parameters: not crawled).
fn path_of(route: &str, ids: &[(&str, &str)]) -> Option<String> {
    let resource = route.split('/').nth(1)?;
    let mut path = String::new();
    for part in route.split('/').skip(1) {
        path.push('/');
        match part {
            "{id}" => path.push_str(ids.iter().find(|(r, _)| *r == resource)?.1),
            p if p.starts_with('{') => return None,
            p => path.push_str(p),
        }
    }
    Some(path)
}

pub async fn hidden_fields_leave_every_answer(api: Api) {
    use Function::{AccountsApi, CasesApi, LeadsApi};
    let module_grants = json!({
        "accounts": ["create", "read", "update", "export"],
        "contacts": ["create", "read", "update", "export"],
        "leads": ["create", "read", "update", "export"],
        "opportunities": ["read"],
        "cases": ["create", "read", "update", "export"],
        "documents": ["read"],
        "receivables": ["read", "export"],
        "reports": ["read", "export"],
    });
    let blind = json!({
        "name": "Sin datos sensibles", "level": "agent", "grants": module_grants,
        "fields": {
            "accounts": {"taxId": "hidden", "email": "readOnly"},
            "contacts": {"email": "hidden"},
            "leads": {"phone": "hidden"},
            "cases": {"amount": "hidden"},
        },
    });
    let mut put = staff("PUT", "/profiles/{id}", "/profiles/blind", &[], Some(blind));
    put["headers"]["if-match"] = json!("\"0\"");
    let saved = call(&api, AccountsApi, &put).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["fields"]["accounts"]["taxId"], "hidden", "{}", saved.body);
    give_profile(&api, "u-blind", "blind", true).await;

    // The records, made by an administrator.
    let account = as_admin(
        &api,
        AccountsApi,
        "POST",
        "/accounts",
        "/accounts",
        json!({
            "name": "Hidrantes Zafiro", "taxId": TAX_ID, "email": "ventas@hidrantes.example",
        }),
    )
    .await;
    let account_id = account.body["id"].as_str().unwrap().to_owned();
    let contact = as_admin(
        &api,
        AccountsApi,
        "POST",
        "/contacts",
        "/contacts",
        json!({
            "firstName": "Olga", "lastName": "Zafiro", "email": CONTACT_EMAIL, "accountId": account_id,
        }),
    )
    .await;
    let contact_id = contact.body["id"].as_str().unwrap().to_owned();
    let lead = as_admin(
        &api,
        LeadsApi,
        "POST",
        "/leads",
        "/leads",
        json!({
            "name": "Pedro Zafiro", "phone": format!("+506{LEAD_PHONE_DIGITS}"), "owner": "u-blind",
        }),
    )
    .await;
    let lead_id = lead.body["id"].as_str().unwrap().to_owned();
    let case = as_admin(
        &api,
        CasesApi,
        "POST",
        "/cases",
        "/cases",
        json!({
            "type": "queja_calidad", "subject": "Hidrante Zafiro roto", "accountId": account_id,
            "contactId": contact_id, "owner": "u-blind",
        }),
    )
    .await;
    let case_id = case.body["id"].as_str().unwrap().to_owned();
    // Set afterwards, so the case's history tells the change too.
    let mut amount = staff(
        "PATCH",
        "/cases/{id}",
        &format!("/cases/{case_id}"),
        &[],
        Some(json!({"amount": {"amountMinor": AMOUNT_MINOR, "currency": "CRC"}})),
    );
    amount["headers"]["if-match"] = json!("\"1\"");
    amount["headers"]["content-type"] = json!("application/merge-patch+json");
    let patched = call(&api, CasesApi, &amount).await;
    assert_eq!(patched.status, 200, "{}", patched.body);

    // Every GET the profile may call, as JSON and as CSV, on these records.
    let ids = [("accounts", account_id.as_str()), ("contacts", &contact_id), ("leads", &lead_id), ("cases", &case_id)];
    let profile: gestiona_domain::access::Profile = serde_json::from_value(saved.body.clone()).unwrap();
    let mut crawled = 0;
    for route in gestiona_api::routes::all().filter(|r| r.method() == "GET") {
        let Some(permission) = route.permission() else { continue };
        if !profile.allows(permission) {
            continue;
        }
        let Some(path) = path_of(&route.path(), &ids) else { continue };
        for accept in ["application/json", "text/csv"] {
            let mut event = as_user(staff("GET", &route.path(), &path, &[], None), "u-blind", "[admin]");
            event["headers"]["accept"] = json!(accept);
            let reply = call(&api, route.function, &event).await;
            assert!(reply.status.is_success(), "{} as {accept}: {} {}", route.key(), reply.status, reply.body);
            let text = reply.body.to_string();
            for marker in markers() {
                assert!(!text.contains(&marker), "{} ({accept}) told {marker}: {text}", route.key());
            }
            crawled += 1;
        }
    }
    assert!(crawled >= 30, "only {crawled} answers were read");

    // The same answers to an administrator do tell them: the markers are where they should be.
    let full =
        call(&api, AccountsApi, &staff("GET", "/accounts/{id}", &format!("/accounts/{account_id}"), &[], None)).await;
    assert_eq!(full.body["taxId"], TAX_ID);

    // Writes: a hidden or read-only field is refused, each named; the rest is saved and keeps
    // what the user could not see.
    let patch = |body: Value| {
        let mut event = staff("PATCH", "/accounts/{id}", &format!("/accounts/{account_id}"), &[], Some(body));
        event["headers"]["if-match"] = json!("\"1\"");
        event["headers"]["content-type"] = json!("application/merge-patch+json");
        event["headers"]["accept-language"] = json!("es");
        as_user(event, "u-blind", "[admin]")
    };
    let refused = call(&api, AccountsApi, &patch(json!({"taxId": null, "email": "otro@hidrantes.example"}))).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.body["type"], "urn:gestiona:problem:field-not-writable", "{}", refused.body);
    let fields: Vec<&str> =
        refused.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["taxId", "email"], "{}", refused.body);
    assert!(
        refused.body["errors"][1]["reason"].as_str().unwrap().contains("solo")
            || refused.body["errors"][1]["reason"].as_str().unwrap().contains("leer"),
        "{}",
        refused.body
    );
    let renamed = call(&api, AccountsApi, &patch(json!({"name": "Hidrantes Zafiro S.A."}))).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert!(renamed.body.get("taxId").is_none(), "{}", renamed.body);
    let kept =
        call(&api, AccountsApi, &staff("GET", "/accounts/{id}", &format!("/accounts/{account_id}"), &[], None)).await;
    assert_eq!(
        (kept.body["name"].as_str(), kept.body["taxId"].as_str()),
        (Some("Hidrantes Zafiro S.A."), Some(TAX_ID))
    );
}
