//! *Organización* and the profiles' "whose records": an administrator arranges branches and
//! teams, and each agent's pages show the cases of their circle only.

mod support;

use http::{Method, StatusCode};
use support::{console, demo_services, encode, input_value, request, sign_in, text};

const ORGANISATION: &str = "/app/settings/organisation";
const CARLOS_CASE: &str = "Camión placa CL-284571";
const ANA_CASE: &str = "Lote de café 2026-41";

/// The demo organisation as its page posts it, with `extra` rows appended.
fn demo_form<'a>(csrf: &'a str, version: &'a str, taller_members: &[&'a str], extra: &[(&'a str, &'a str)]) -> String {
    let mut fields = vec![
        ("_csrf", csrf),
        ("version", version),
        ("branch.0.existing", "1"),
        ("branch.0.id", "san-jose"),
        ("branch.0.name", "San José"),
        ("branch.0.region", "Central"),
        ("branch.0.zone", "Centro"),
        ("branch.1.existing", "1"),
        ("branch.1.id", "heredia"),
        ("branch.1.name", "Heredia"),
        ("branch.1.region", "Central"),
        ("branch.1.zone", "Norte"),
        ("team.0.existing", "1"),
        ("team.0.id", "servicio"),
        ("team.0.name", "Servicio al cliente"),
        ("team.0.branch", "san-jose"),
        ("team.0.members", "ana"),
        ("team.0.supervisors", "sofia"),
        ("team.1.existing", "1"),
        ("team.1.id", "taller"),
        ("team.1.name", "Taller"),
        ("team.1.branch", "san-jose"),
        ("team.1.supervisors", "sofia"),
    ];
    fields.extend(taller_members.iter().map(|m| ("team.1.members", *m)));
    fields.extend_from_slice(extra);
    encode(&fields)
}

#[tokio::test]
async fn an_administrator_moves_an_agent_into_a_team_and_her_list_follows() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (ana, _) = sign_in(&console, "ana").await;
    let get = |cookie: &str, path: &str| console.handle(request(Method::GET, path, Some(cookie), None));

    // Ana sees her team's cases, not the workshop's.
    let list = text(&get(&ana, "/app/cases").await);
    assert!(list.contains(ANA_CASE) && !list.contains(CARLOS_CASE), "{list}");
    let refused = get(&ana, ORGANISATION).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "agents do not arrange the company");

    let page = text(&get(&admin, ORGANISATION).await);
    assert!(page.contains("<caption>Sucursales</caption>") && page.contains("<caption>Equipos</caption>"), "{page}");
    assert!(page.contains("value=\"Servicio al cliente\"") && page.contains("value=\"san-jose\""), "{page}");
    let settings = text(&get(&admin, "/app/settings").await);
    assert!(settings.contains(&format!("href=\"{ORGANISATION}\"")), "reachable from the settings: {settings}");
    let version = input_value(&page, "version");

    // A key that is not one, and a member who is not in the directory: both worded by row.
    let bad_key = demo_form(&csrf, &version, &["carlos"], &[("team.2.id", "Ventas Norte"), ("team.2.name", "Ventas")]);
    let refused = console.handle(request(Method::POST, ORGANISATION, Some(&admin), Some(&bad_key))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(page.contains("id=\"organisation-errors\"") && page.contains("Equipos 3, Clave"), "{page}");
    assert!(page.contains("value=\"Ventas Norte\""), "what was typed stays: {page}");
    let stranger = demo_form(&csrf, &version, &["carlos", "nadie"], &[]);
    let refused = console.handle(request(Method::POST, ORGANISATION, Some(&admin), Some(&stranger))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("Equipos 2: "), "the row of the unknown member: {}", text(&refused));

    // Ana joins the workshop too: on her next request its cases are hers to see.
    let moved = demo_form(&csrf, &version, &["carlos", "ana"], &[]);
    let saved = console.handle(request(Method::POST, ORGANISATION, Some(&admin), Some(&moved))).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", text(&saved));
    assert!(text(&saved).contains("Guardado."));
    let list = text(&get(&ana, "/app/cases").await);
    assert!(list.contains(ANA_CASE) && list.contains(CARLOS_CASE), "{list}");

    // The version the page showed is stale now: the page shows the organisation as it is.
    let stale = console.handle(request(Method::POST, ORGANISATION, Some(&admin), Some(&moved))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(text(&stale).contains("Alguien guardó la organización"), "{}", text(&stale));
}

#[tokio::test]
async fn the_profile_widens_what_an_agent_sees() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (ana, _) = sign_in(&console, "ana").await;
    let path = "/app/settings/profiles/agent";
    let page = text(&console.handle(request(Method::GET, path, Some(&admin), None)).await);
    assert!(page.contains("Registros de quién en Casos"), "the column per owned module: {page}");
    assert!(page.contains("<option value=\"team\" selected>De sus equipos</option>"), "{page}");
    assert!(!page.contains("Registros de quién en Cuentas"), "accounts have no owner to scope by");

    let version = input_value(&page, "version");
    let mut form =
        vec![("_csrf", csrf.as_str()), ("version", version.as_str()), ("name", "Agente"), ("level", "agent")];
    for grant in ["cases.read", "cases.create", "cases.update", "accounts.read", "contacts.read"] {
        form.push(("grant", grant));
    }
    form.push(("scope.cases", "all"));
    let saved = console.handle(request(Method::POST, path, Some(&admin), Some(&encode(&form)))).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", text(&saved));
    assert!(text(&saved).contains("<option value=\"all\" selected>De todos</option>"));
    let list = text(&console.handle(request(Method::GET, "/app/cases", Some(&ana), None)).await);
    assert!(list.contains(CARLOS_CASE), "everyone's cases now: {list}");
}

#[tokio::test]
async fn a_case_handed_outside_the_creators_circle_is_announced_not_lost() {
    let console = console().await;
    let (ana, csrf) = sign_in(&console, "ana").await;
    // The complaints pool takes turns between Ana and Carlos: of two new complaints, one is his.
    let mut outcomes = Vec::new();
    for subject in ["Sacos rotos", "Etiquetas borrosas"] {
        let form =
            text(&console.handle(request(Method::GET, "/app/cases/new?type=queja_calidad", Some(&ana), None)).await);
        let form_id = input_value(&form, "formId");
        let fields = [
            ("_csrf", csrf.as_str()),
            ("formId", form_id.as_str()),
            ("type", "queja_calidad"),
            ("subject", subject),
            ("channel", "phone"),
            ("priority", "normal"),
        ];
        let created = console.handle(request(Method::POST, "/app/cases", Some(&ana), Some(&encode(&fields)))).await;
        outcomes.push((created.status(), text(&created)));
    }
    let statuses: Vec<_> = outcomes.iter().map(|(s, _)| *s).collect();
    assert!(statuses.contains(&StatusCode::SEE_OTHER), "one is hers, and opens: {statuses:?}");
    let (_, notice) = outcomes.iter().find(|(s, _)| *s == StatusCode::CREATED).expect("one is Carlos's");
    assert!(notice.contains("asignado a Carlos Smith; está fuera de los casos que usted ve"), "{notice}");
    assert!(notice.contains("role=\"status\""), "announced to screen readers: {notice}");
}

#[tokio::test]
async fn the_organisation_speaks_english_to_an_english_administrator() {
    let services = demo_services().await;
    support::admin_reads_english(&services).await;
    let console = gestiona_console::Console::new(services, gestiona_console::SignIn::LocalDemo, true);
    let (admin, _) = sign_in(&console, "admin").await;
    let page = text(&console.handle(request(Method::GET, ORGANISATION, Some(&admin), None)).await);
    assert!(page.contains("<caption>Branches</caption>") && page.contains(">Supervisors</th>"), "{page}");
    let profile = text(&console.handle(request(Method::GET, "/app/settings/profiles/sales", Some(&admin), None)).await);
    assert!(profile.contains("Whose records of Leads") && profile.contains(">Their teams&#39;</option>"), "{profile}");
}
