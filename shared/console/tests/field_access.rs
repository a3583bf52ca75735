//! Field access in the console: an administrator sets, on the agents' profile, the account's
//! tax id hidden and its phone read-only, the case's amount hidden and a credit's term
//! read-only; an agent then sees none of the hidden values on any page or in the case export,
//! gets the read-only ones locked in forms, and a value posted for a locked input changes
//! nothing (the API's refusal of such writes is tested in `gestiona-tests`).

mod support;

use http::{Method, StatusCode};
use support::{console, encode, input_value, request, sign_in, text};

const AGENT_PROFILE: &str = "/app/settings/profiles/agent";
const COOP_TAX_ID: &str = "3-004-045117";

/// Every `name="{name}" value="…"` of ticked boxes and selected options the page's form would
/// post as it is (the matrix's grants and scopes).
fn posted_as_is(page: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for tag in
        page.split('<').filter(|t| t.starts_with("input type=\"checkbox\" name=\"grant\"") && t.contains(" checked"))
    {
        let value = tag.split("value=\"").nth(1).unwrap().split('"').next().unwrap();
        pairs.push(("grant".to_owned(), value.to_owned()));
    }
    for select in page.split("<select name=\"").skip(1) {
        let name = select.split('"').next().unwrap();
        if let Some(selected) =
            select.split("</select>").next().unwrap().split("<option value=\"").find(|o| o.contains(" selected"))
        {
            pairs.push((name.to_owned(), selected.split('"').next().unwrap().to_owned()));
        }
    }
    pairs
}

#[tokio::test]
async fn hidden_fields_leave_the_agents_pages_and_read_only_ones_are_locked() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let get = |cookie: &str, path: &str| console.handle(request(Method::GET, path, Some(cookie), None));

    // The table lists the standard fields and the custom fields of the tenant's case types.
    let page = text(&get(&admin, AGENT_PROFILE).await);
    assert!(page.contains("name=\"field.accounts.taxId\""), "{page}");
    assert!(page.contains("name=\"field.cases.customFields.plazoMeses\""), "{page}");
    assert!(page.contains("aria-label=\"Acceso a Cuentas: Identificación\""), "{page}");

    let mut form = posted_as_is(&page);
    form.retain(|(name, _)| !name.starts_with("field."));
    // And the export, so the agent's CSV can be checked too.
    form.push(("grant".into(), "cases.export".into()));
    for (field, access) in [
        ("field.accounts.taxId", "hidden"),
        ("field.accounts.phone", "readOnly"),
        ("field.cases.amount", "hidden"),
        ("field.cases.customFields.plazoMeses", "readOnly"),
    ] {
        form.push((field.into(), access.into()));
    }
    let version = input_value(&page, "version");
    let mut pairs: Vec<(&str, &str)> =
        vec![("_csrf", &csrf), ("version", &version), ("name", "Agente"), ("level", "agent")];
    pairs.extend(form.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let saved = console.handle(request(Method::POST, AGENT_PROFILE, Some(&admin), Some(&encode(&pairs)))).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", text(&saved));
    let saved = text(&saved);
    assert!(saved.contains("<option value=\"hidden\" selected>"), "{saved}");

    // The account: no tax id on its page, in the list or in its form; the phone locked.
    let accounts = text(&get(&ana, "/app/accounts").await);
    assert!(accounts.contains("Cooperativa Médica del Norte") && !accounts.contains(COOP_TAX_ID), "{accounts}");
    let coop = accounts
        .split("href=\"/app/accounts/")
        .skip(1)
        .find(|s| s.contains("\">Cooperativa Médica"))
        .expect("the cooperative is listed")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let account_page = text(&get(&ana, &format!("/app/accounts/{coop}")).await);
    assert!(!account_page.contains(COOP_TAX_ID), "{account_page}");
    assert!(text(&get(&admin, &format!("/app/accounts/{coop}")).await).contains(COOP_TAX_ID), "others see it");
    let edit = text(&get(&ana, &format!("/app/accounts/{coop}/edit")).await);
    assert!(!edit.contains("name=\"taxId\"") && !edit.contains("name=\"was.taxId\""), "{edit}");
    assert!(edit.contains("name=\"phone\" type=\"text\" value=\"\" readonly"), "{edit}");

    // Saving the name keeps the tax id; a tampered post that changes the phone is refused at it.
    let save = |version: &str, fields: &[(&str, &str)]| {
        let mut pairs = vec![("_csrf", ana_csrf.as_str()), ("version", version)];
        pairs.extend_from_slice(fields);
        encode(&pairs)
    };
    let renamed = save(
        &input_value(&edit, "version"),
        &[("was.name", "Cooperativa Médica del Norte"), ("name", "Cooperativa Médica del Norte R.L.")],
    );
    let saved =
        console.handle(request(Method::POST, &format!("/app/accounts/{coop}"), Some(&ana), Some(&renamed))).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{}", text(&saved));
    let seen_by_admin = text(&get(&admin, &format!("/app/accounts/{coop}")).await);
    assert!(seen_by_admin.contains("R.L.") && seen_by_admin.contains(COOP_TAX_ID), "{seen_by_admin}");
    let edit = text(&get(&ana, &format!("/app/accounts/{coop}/edit")).await);
    let tampered = save(&input_value(&edit, "version"), &[("was.phone", ""), ("phone", "+50622224444")]);
    let tampered_reply =
        console.handle(request(Method::POST, &format!("/app/accounts/{coop}"), Some(&ana), Some(&tampered))).await;
    assert_eq!(tampered_reply.status(), StatusCode::SEE_OTHER, "a locked input is never a change: nothing to save");
    let seen_by_admin = text(&get(&admin, &format!("/app/accounts/{coop}")).await);
    assert!(!seen_by_admin.contains("22224444"), "the locked phone was not changed: {seen_by_admin}");

    // The credit case (ana's): no amount on the page or in the export; the term locked.
    let cases = text(&get(&ana, "/app/cases").await);
    let credit = cases
        .split("href=\"/app/cases/")
        .skip(1)
        .find(|s| s.contains("Crédito de consumo"))
        .expect("ana's credit case is listed")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let case_page = text(&get(&ana, &format!("/app/cases/{credit}")).await);
    assert!(!case_page.contains("12.500.000,00") && !case_page.contains("name=\"amount\""), "{case_page}");
    assert!(
        case_page.contains("name=\"cf.plazoMeses\" type=\"text\" value=\"48\" inputmode=\"decimal\" readonly"),
        "{case_page}"
    );
    let export = text(&get(&ana, "/app/cases/export").await);
    assert!(export.contains("Crédito de consumo") && !export.contains("12500000"), "{export}");
}
