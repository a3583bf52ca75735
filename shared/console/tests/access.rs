//! *Perfiles* and *Usuarios*: administrators edit what each profile may do and give users
//! theirs; the pages and the navigation follow the profile at once, and a deactivated user's
//! session ends on their next request.

mod support;

use gestiona_console::{Console, SignIn};
use http::{Method, StatusCode};
use support::{admin_reads_english, console, demo_services, encode, header_of, input_value, request, sign_in, text};

const PROFILES: &str = "/app/settings/profiles";
const USERS: &str = "/app/settings/users";

#[tokio::test]
async fn an_administrator_makes_a_profile_and_gives_it_to_a_user_who_then_works_with_it() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (ana, _) = sign_in(&console, "ana").await;

    let get = |cookie: &str, path: &str| console.handle(request(Method::GET, path, Some(cookie), None));
    let agents_view = text(&get(&ana, "/app/").await);
    assert!(!agents_view.contains(PROFILES) && !agents_view.contains(USERS), "no settings links for an agent");
    let refused = get(&ana, PROFILES).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(text(&refused).contains("requiere el permiso configuration.read"));

    let list = text(&get(&admin, PROFILES).await);
    assert!(list.contains("href=\"/app/settings\" aria-current=\"page\""), "Configuración is marked: {list}");
    for seeded in ["Agente", "Ventas", "Cobranza", "Supervisor", "Administrador"] {
        assert!(list.contains(seeded), "{seeded} is listed");
    }

    // A key that is not one: the error sits at its input, what was typed stays.
    let bad = encode(&[("_csrf", &csrf), ("id", "Centro Llamadas"), ("name", "Centro de llamadas")]);
    let refused = console.handle(request(Method::POST, PROFILES, Some(&admin), Some(&bad))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(page.contains("id=\"profile-id-error\"") && page.contains("value=\"Centro Llamadas\""), "{page}");

    let good = encode(&[("_csrf", &csrf), ("id", "centro-llamadas"), ("name", "Centro de llamadas")]);
    let created = console.handle(request(Method::POST, PROFILES, Some(&admin), Some(&good))).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let path = format!("{PROFILES}/centro-llamadas");
    let again = console.handle(request(Method::POST, PROFILES, Some(&admin), Some(&good))).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "the key is taken");
    assert!(text(&again).contains("Ya existe un perfil"));

    // The matrix: nothing ticked yet; tick reading and opening cases, reading accounts.
    let page = text(&get(&admin, &path).await);
    assert!(page.contains("aria-label=\"Crear: Casos\"") && !page.contains(" checked"), "{page}");
    let version = input_value(&page, "version");
    let matrix = |version: &str| {
        encode(&[
            ("_csrf", &csrf),
            ("version", version),
            ("name", "Centro de llamadas"),
            ("level", "agent"),
            ("grant", "cases.read"),
            ("grant", "cases.create"),
            ("grant", "accounts.read"),
        ])
    };
    let saved = console.handle(request(Method::POST, &path, Some(&admin), Some(&matrix(&version)))).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let page = text(&saved);
    let modules = page.split("id=\"profile-case-types\"").next().unwrap();
    assert!(page.contains("Guardado.") && modules.matches(" checked").count() == 3, "{page}");
    let stale = console.handle(request(Method::POST, &path, Some(&admin), Some(&matrix(&version)))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT, "the same version again is stale");
    assert!(text(&stale).contains("Alguien cambió los perfiles"));

    // Ana gets the profile: her navigation and pages follow on her next request.
    let user_page = text(&get(&admin, &format!("{USERS}/ana")).await);
    assert!(user_page.contains("Centro de llamadas"), "the profile is offered");
    let user_version = input_value(&user_page, "version");
    let give = encode(&[
        ("_csrf", &csrf),
        ("version", &user_version),
        ("name", "Ana Rodríguez"),
        ("email", "ana@demo.gestiona.example"),
        ("locale", "es"),
        ("profile", "centro-llamadas"),
        ("active", "true"),
    ]);
    let given = console.handle(request(Method::POST, &format!("{USERS}/ana"), Some(&admin), Some(&give))).await;
    assert_eq!(given.status(), StatusCode::OK);
    let again = console.handle(request(Method::POST, &format!("{USERS}/ana"), Some(&admin), Some(&give))).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "the version the page showed is stale now");
    assert!(text(&again).contains("Alguien cambió este usuario"));
    let users = text(&get(&admin, USERS).await);
    assert!(users.contains("Centro de llamadas"), "{users}");
    let nav = text(&get(&ana, "/app/cases").await);
    assert!(nav.contains("href=\"/app/accounts\"") && !nav.contains("href=\"/app/leads\""), "{nav}");
    assert!(!nav.contains("href=\"/app/receivables\""));
    let leads = get(&ana, "/app/leads").await;
    assert_eq!(leads.status(), StatusCode::FORBIDDEN);
    assert!(text(&leads).contains("requiere el permiso leads.read"));
}

#[tokio::test]
async fn the_admin_profile_keeps_everything_and_nobody_deactivates_themselves() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let path = format!("{PROFILES}/admin");
    let page = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    assert!(page.contains("conserva siempre todos los permisos") && page.contains(" disabled"), "{page}");
    let version = input_value(&page, "version");
    let less = encode(&[("_csrf", &csrf), ("version", &version), ("name", "Admin"), ("level", "admin")]);
    let refused = console.handle(request(Method::POST, &path, Some(&admin), Some(&less))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let own = text(&console.handle(request(Method::GET, &format!("{USERS}/admin"), Some(&admin), None)).await);
    let own_version = input_value(&own, "version");
    let myself = encode(&[
        ("_csrf", &csrf),
        ("version", &own_version),
        ("name", "Administración"),
        ("email", "admin@demo.example"),
        ("locale", "es"),
    ]);
    let refused = console.handle(request(Method::POST, &format!("{USERS}/admin"), Some(&admin), Some(&myself))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "no 'active' box: deactivating oneself");
    assert!(text(&refused).contains("id=\"user-active-error\""));
    let demoted = encode(&[
        ("_csrf", &csrf),
        ("version", &own_version),
        ("name", "Administración"),
        ("email", "admin@demo.example"),
        ("locale", "es"),
        ("profile", "agent"),
        ("active", "true"),
    ]);
    let refused = console.handle(request(Method::POST, &format!("{USERS}/admin"), Some(&admin), Some(&demoted))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "nor demotes themselves");
    assert!(text(&refused).contains("no puede quitarse a sí mismo el derecho de administrar"));
    let still = console.handle(request(Method::GET, PROFILES, Some(&admin), None)).await;
    assert_eq!(still.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_deactivated_user_is_signed_out_on_their_next_request() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (ana, _) = sign_in(&console, "ana").await;
    let page = text(&console.handle(request(Method::GET, &format!("{USERS}/ana"), Some(&admin), None)).await);
    let version = input_value(&page, "version");
    let off = encode(&[
        ("_csrf", &csrf),
        ("version", &version),
        ("name", "Ana Rodríguez"),
        ("email", "ana@demo.example"),
        ("locale", "es"),
    ]);
    let saved = console.handle(request(Method::POST, &format!("{USERS}/ana"), Some(&admin), Some(&off))).await;
    assert_eq!(saved.status(), StatusCode::OK);
    assert!(text(&saved).contains("Guardado."));
    let refused = console.handle(request(Method::GET, "/app/cases", Some(&ana), None)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(text(&refused).contains("fue desactivado"));
    let after = console.handle(request(Method::GET, "/app/cases", Some(&ana), None)).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session is gone: back to sign in");
}

#[tokio::test]
async fn the_profile_matrix_speaks_english_to_an_english_administrator() {
    let services = demo_services().await;
    support::admin_reads_english(&services).await;
    let console = gestiona_console::Console::new(services, gestiona_console::SignIn::LocalDemo, true);
    let (admin, _) = sign_in(&console, "admin").await;
    let page =
        text(&console.handle(request(Method::GET, &format!("{PROFILES}/collections"), Some(&admin), None)).await);
    assert!(
        page.contains("Profile Cobranza") && page.contains("aria-label=\"Create: Invoices and payments\""),
        "{page}"
    );
    assert!(page.contains("Level for workflows") && page.contains(">Export</th>"), "{page}");
    assert!(page.contains("<caption>Fields</caption>") && page.contains("aria-label=\"Access to Accounts: Tax id\""));
    assert!(page.contains(">Read and change</option>") && page.contains(">Hidden</option>"), "{page}");
    let users = text(&console.handle(request(Method::GET, USERS, Some(&admin), None)).await);
    assert!(users.contains("The one of their sign-in role") && users.contains(">Active<"), "{users}");
    assert!(users.contains("Invite someone") && users.contains(">Invite</button>"), "{users}");
}

#[tokio::test]
async fn an_administrator_edits_the_companys_settings_at_the_version_shown() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (ana, _) = sign_in(&console, "ana").await;
    const COMPANY: &str = "/app/settings/company";
    assert_eq!(console.handle(request(Method::GET, COMPANY, Some(&ana), None)).await.status(), StatusCode::FORBIDDEN);
    let page = text(&console.handle(request(Method::GET, COMPANY, Some(&admin), None)).await);
    assert!(page.contains("value=\"Demo Gestiona\"") && page.contains("America/Costa_Rica"), "{page}");
    let version = input_value(&page, "version");
    let form = |version: &str, currency: &str| {
        encode(&[
            ("_csrf", &csrf),
            ("version", version),
            ("name", "Demo Gestiona S.A."),
            ("legalId", "3-101-000000"),
            ("locale", "es"),
            ("currency", currency),
            ("timeZone", "America/Costa_Rica"),
            ("sender", "Demo <avisos@demo.gestiona.example>"),
            ("address", "Avenida Central 100\nSan José"),
            ("logoUrl", ""),
            ("appUrl", "http://127.0.0.1:3000"),
        ])
    };
    let refused = console.handle(request(Method::POST, COMPANY, Some(&admin), Some(&form(&version, "PESOS")))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(page.contains("id=\"company-currency-error\"") && page.contains("value=\"PESOS\""), "{page}");
    let saved = console.handle(request(Method::POST, COMPANY, Some(&admin), Some(&form(&version, "USD")))).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let page = text(&saved);
    assert!(page.contains("Guardado.") && page.contains("value=\"Demo Gestiona S.A.\""), "{page}");
    let stale = console.handle(request(Method::POST, COMPANY, Some(&admin), Some(&form(&version, "EUR")))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let page = text(&stale);
    assert!(page.contains("Alguien cambió los datos de la empresa") && page.contains("value=\"USD\""), "{page}");
}

#[tokio::test]
async fn the_access_log_shows_sign_ins_records_opened_and_changes_by_user_and_by_record() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (ana, _) = sign_in(&console, "ana").await;
    let cases = text(&console.handle(request(Method::GET, "/app/cases", Some(&ana), None)).await);
    // A case's own link (its id is a ULID), not "new" or "export".
    let case = format!("01{}", cases.split("href=\"/app/cases/01").nth(1).unwrap().split('"').next().unwrap());
    let opened = console.handle(request(Method::GET, &format!("/app/cases/{case}"), Some(&ana), None)).await;
    assert_eq!(opened.status(), StatusCode::OK);
    let page = text(&console.handle(request(Method::GET, &format!("{USERS}/carlos"), Some(&admin), None)).await);
    let version = input_value(&page, "version");
    let off = encode(&[
        ("_csrf", &csrf),
        ("version", &version),
        ("name", "Carlos Smith"),
        ("email", "carlos@demo.example"),
        ("locale", "en"),
    ]);
    console.handle(request(Method::POST, &format!("{USERS}/carlos"), Some(&admin), Some(&off))).await;

    const LOG: &str = "/app/settings/access-log";
    let refused = console.handle(request(Method::GET, LOG, Some(&ana), None)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "an agent reads no access log");
    let spanish = text(&console.handle(request(Method::GET, LOG, Some(&admin), None)).await);
    assert!(spanish.contains("Conservar cada entrada (días)") && spanish.contains("De 30 a 3650 días."), "{spanish}");
    let of_ana = text(&console.handle(request(Method::GET, &format!("{LOG}?user=ana"), Some(&admin), None)).await);
    assert!(of_ana.contains("Inició sesión") && of_ana.contains(&format!("Casos: {case}")), "{of_ana}");
    assert!(of_ana.contains(&format!("href=\"/app/cases/{case}\"")) && of_ana.contains(">console"), "{of_ana}");
    assert!(!of_ana.contains("Cambió un usuario"), "only Ana's: {of_ana}");
    let of_case = text(
        &console.handle(request(Method::GET, &format!("{LOG}?kind=case&record={case}"), Some(&admin), None)).await,
    );
    assert_eq!(of_case.matches("<td>Abrió</td>").count(), 1, "{of_case}");
    let everyone = text(&console.handle(request(Method::GET, LOG, Some(&admin), None)).await);
    assert!(everyone.contains("Cambió un usuario") && everyone.contains("Usuarios: carlos"), "{everyone}");
}

#[tokio::test]
async fn an_administrator_hands_a_users_open_work_to_a_colleague() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (carlos, _) = sign_in(&console, "carlos").await;
    let path = format!("{USERS}/ana");
    let page = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    let section = page.split("id=\"hand-over-heading\"").nth(1).expect("the hand-over section");
    assert!(section.contains("Entregar el trabajo abierto") && section.contains(">Carlos Smith</option>"), "{section}");
    assert!(!section.contains(">Ana Rodríguez</option>"), "not to herself");
    let before = text(&console.handle(request(Method::GET, "/app/cases", Some(&carlos), None)).await);
    assert!(!before.contains("Lote de café"), "Ana's case is not Carlos's to see yet");

    let hand_over = format!("{path}/hand-over");
    let nobody = encode(&[("_csrf", &csrf), ("to", "")]);
    let refused = console.handle(request(Method::POST, &hand_over, Some(&admin), Some(&nobody))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("id=\"hand-over-to-error\""), "the reason under the choice");

    let to_carlos = encode(&[("_csrf", &csrf), ("to", "carlos")]);
    let done = console.handle(request(Method::POST, &hand_over, Some(&admin), Some(&to_carlos))).await;
    assert_eq!(done.status(), StatusCode::OK);
    let page = text(&done);
    assert!(page.contains("Entregados a Carlos Smith: casos abiertos, 2;"), "{page}");
    let after = text(&console.handle(request(Method::GET, "/app/cases", Some(&carlos), None)).await);
    assert!(after.contains("Lote de café") && after.contains("Crédito de consumo"), "{after}");
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let agent = console
        .handle(request(Method::POST, &hand_over, Some(&ana), Some(&encode(&[("_csrf", &ana_csrf), ("to", "sofia")]))))
        .await;
    assert_eq!(agent.status(), StatusCode::FORBIDDEN, "an agent hands over nothing");
}

#[tokio::test]
async fn an_administrator_invites_someone_who_then_has_an_entry_and_a_profile() {
    let console = console().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let page = text(&console.handle(request(Method::GET, USERS, Some(&admin), None)).await);
    assert!(page.contains("Invitar a alguien") && page.contains("id=\"invite-email\""), "{page}");

    let form = |email: &str| {
        encode(&[("_csrf", &csrf), ("name", "Marta Vidal"), ("email", email), ("locale", "en"), ("profile", "sales")])
    };
    let refused = console.handle(request(Method::POST, USERS, Some(&admin), Some(&form("marta")))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(
        page.contains("id=\"invite-email-error\"") && page.contains("value=\"Marta Vidal\""),
        "typed stays: {page}"
    );

    let invited = console.handle(request(Method::POST, USERS, Some(&admin), Some(&form("marta@vidal.example")))).await;
    assert_eq!(invited.status(), StatusCode::SEE_OTHER);
    let location = support::header_of(&invited, "location").to_owned();
    assert_eq!(location, format!("{USERS}/marta@vidal.example"), "locally the address is the id");
    let user_page = text(&console.handle(request(Method::GET, &location, Some(&admin), None)).await);
    assert!(user_page.contains("Marta Vidal") && user_page.contains("value=\"sales\" selected"), "{user_page}");

    let again = console.handle(request(Method::POST, USERS, Some(&admin), Some(&form("MARTA@vidal.example")))).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(text(&again).contains("el directorio tiene a marta@vidal.example"), "{}", text(&again));

    // She signs in with the profile she was given.
    let (marta, _) = sign_in(&console, "marta@vidal.example").await;
    let nav = text(&console.handle(request(Method::GET, "/app/leads", Some(&marta), None)).await);
    assert!(nav.contains("href=\"/app/leads\""), "sales reads leads: {nav}");
}

#[tokio::test]
async fn an_administrator_chooses_how_long_the_access_log_keeps_entries() {
    const LOG: &str = "/app/settings/access-log";
    let services = demo_services().await;
    admin_reads_english(&services).await;
    let console = Console::new(services, SignIn::LocalDemo, true);
    let (sofia, sofia_csrf) = sign_in(&console, "sofia").await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let page = text(&console.handle(request(Method::GET, LOG, Some(&admin), None)).await);
    assert!(page.contains("Keep each entry (days)") && page.contains("From 30 to 3650 days."), "{page}");
    assert_eq!(input_value(&page, "days"), "400");
    let version = input_value(&page, "version");
    let form = |version: &str, days: &str| encode(&[("_csrf", &csrf), ("version", version), ("days", days)]);

    for (days, reason) in [("7", "must be between 30 and 3650"), ("a year", "must be between 30 and 3650")] {
        let refused = console.handle(request(Method::POST, LOG, Some(&admin), Some(&form(&version, days)))).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = text(&refused);
        assert!(page.contains("id=\"log-retention-error\"") && page.contains(reason), "{page}");
        assert_eq!(input_value(&page, "days"), days, "what was typed stays");
    }
    let saved = console.handle(request(Method::POST, LOG, Some(&admin), Some(&form(&version, "90")))).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let back = header_of(&saved, "location").to_owned();
    assert_eq!(back, format!("{LOG}?kept=1"));
    let page = text(&console.handle(request(Method::GET, &back, Some(&admin), None)).await);
    assert!(page.contains("Saved.") && page.contains("Changed the company&#39;s settings"), "{page}");
    assert_eq!(input_value(&page, "days"), "90");

    let stale = console.handle(request(Method::POST, LOG, Some(&admin), Some(&form(&version, "120")))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let page = text(&stale);
    assert!(page.contains("Someone changed the profiles or the keeping"), "{page}");
    assert_eq!(input_value(&page, "days"), "90", "the keeping as it is now");

    let by_supervisor = encode(&[("_csrf", &sofia_csrf), ("version", &version), ("days", "60")]);
    let refused = console.handle(request(Method::POST, LOG, Some(&sofia), Some(&by_supervisor))).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "only who may change the configuration");
}

#[tokio::test]
async fn an_administrator_keeps_a_profile_to_reading_one_case_type_and_the_agent_follows() {
    let services = demo_services().await;
    let console = Console::new(services.clone(), SignIn::LocalDemo, true);
    let (admin, csrf) = sign_in(&console, "admin").await;
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let path = format!("{PROFILES}/agent");
    let page = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    let types = page.split("id=\"profile-case-types\"").nth(1).expect("the case types' table");
    assert!(
        types.contains("Permisos por tipo de caso")
            && types.contains("aria-label=\"Permisos sobre Casos: Queja de calidad\""),
        "{types}"
    );
    assert!(
        types.contains("aria-label=\"Crear: Casos: Queja de calidad\" checked"),
        "a type follows the module: {types}"
    );
    let version = input_value(&page, "version");
    let mut form =
        vec![("_csrf", csrf.as_str()), ("version", version.as_str()), ("name", "Agente"), ("level", "agent")];
    for grant in [
        "cases.create",
        "cases.read",
        "cases.update",
        "accounts.read",
        "accounts.create",
        "accounts.update",
        "contacts.read",
        "contacts.create",
        "contacts.update",
        "leads.read",
        "leads.create",
        "leads.update",
        "documents.read",
        "documents.create",
        "opportunities.read",
        "opportunities.create",
        "opportunities.update",
    ] {
        form.push(("grant", grant));
    }
    form.extend([("caseTypeMode.queja_calidad", "own"), ("caseType.queja_calidad", "read")]);
    // A type that follows the module: its ticks are not read.
    form.extend([("caseTypeMode.devolucion", "module"), ("caseType.devolucion", "read")]);
    let saved = console.handle(request(Method::POST, &path, Some(&admin), Some(&encode(&form)))).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", text(&saved));
    let page = text(&saved);
    let types = page.split("id=\"profile-case-types\"").nth(1).unwrap();
    let complaint_row = types.split("Queja de calidad</th>").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(complaint_row.contains("<option value=\"own\" selected>Solo lo marcado"), "{complaint_row}");
    assert_eq!(complaint_row.matches(" checked").count(), 1, "only reading: {complaint_row}");
    let return_row = types.split("Devolución</th>").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(return_row.contains("<option value=\"module\" selected>Como en Casos"), "{return_row}");

    // Ana may read a complaint but neither open one nor take a step on it.
    let new_case = text(&console.handle(request(Method::GET, "/app/cases/new", Some(&ana), None)).await);
    assert!(!new_case.contains("value=\"queja_calidad\""), "no complaint to open: {new_case}");
    let form = encode(&[
        ("_csrf", &ana_csrf),
        ("formId", "01JD8X3Q9V7M2K4T6W8Y0Z1A2B"),
        ("type", "queja_calidad"),
        ("subject", "Saco roto"),
    ]);
    let refused = console.handle(request(Method::POST, "/app/cases", Some(&ana), Some(&form))).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(text(&refused).contains("queja_calidad"), "the page says which type");

    // A complaint someone else opened: Ana reads it, locked, with no step and no comment form.
    let admin_actor = support::demo_actor("admin", gestiona_domain::Role::Admin);
    let complaint = gestiona_domain::case::NewCase {
        case_type: "queja_calidad".into(),
        subject: "Sacos húmedos en bodega".into(),
        owner: Some(gestiona_domain::UserId::parse("ana").unwrap()),
        ..Default::default()
    };
    let case = services.create_case(&admin_actor, complaint).await.unwrap();
    let page =
        text(&console.handle(request(Method::GET, &format!("/app/cases/{}", case.value.id), Some(&ana), None)).await);
    assert!(page.contains("Sacos húmedos en bodega"), "{page}");
    assert!(!page.contains("/comments\"") && !page.contains("name=\"action\""), "nothing to change: {page}");
    assert!(page.contains(" readonly"), "the data locked: {page}");

    // More than the module on a type is refused with the reason on the page.
    let page = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    let version = input_value(&page, "version");
    let too_much = encode(&[
        ("_csrf", &csrf),
        ("version", &version),
        ("name", "Agente"),
        ("level", "agent"),
        ("grant", "cases.read"),
        ("caseTypeMode.queja_calidad", "own"),
        ("caseType.queja_calidad", "export"),
    ]);
    let refused = console.handle(request(Method::POST, &path, Some(&admin), Some(&too_much))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("nunca más"), "{}", text(&refused));
}
