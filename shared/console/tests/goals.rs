//! *Metas* through `Console::handle`: an administrator writes a month's goals as rows (refused
//! cells said by line and column, a late save refused), the month's attainment with its
//! percentages, an agent's own goals only, and English.

mod support;

use gestiona_console::{Console, SignIn};
use gestiona_domain::access::Role;
use gestiona_domain::money::Money;
use gestiona_domain::sales::NewOpportunity;
use gestiona_domain::service::PageRequest;
use gestiona_domain::{Actor, TenantId, UserId};
use http::{Method, StatusCode};
use support::{admin_reads_english, demo_services, encode, header_of, request, sign_in, text};

async fn console_with_a_won_opportunity() -> Console {
    let services = demo_services().await;
    let tenant = TenantId::parse("demo").unwrap();
    let admin = Actor::with_role(&tenant, &UserId::parse("admin").unwrap(), Role::Admin);
    let accounts = services.list_accounts(&admin, &Default::default(), &PageRequest::default()).await.unwrap();
    let won = NewOpportunity {
        name: "Cafeteras de marzo".into(),
        account_id: accounts.items[0].value.id,
        contact_ids: Vec::new(),
        pipeline: None,
        stage: Some("won".parse().unwrap()),
        amount: Money { amount_minor: 30_000_000, currency: "CRC".into() },
        expected_close_date: Some(jiff::civil::date(2031, 3, 10)),
        probability: None,
        product_line: Some("Equipos".into()),
        competitors: Vec::new(),
        owner: Some(UserId::parse("ana").unwrap()),
        source: None,
        campaign: None,
    };
    services.create_opportunity(&admin, won).await.expect("a won opportunity");
    Console::new(services, SignIn::LocalDemo, true)
}

fn sheet(csrf: &str, version: &str, local: &str) -> String {
    encode(&[
        ("_csrf", csrf),
        ("version", version),
        ("local_currency", "crc"),
        ("second_currency", "USD"),
        ("owner", "ana"),
        ("line", "Equipos"),
        ("success", "stage:sales:won"),
        ("local", local),
        ("second", ""),
        ("customers", "2"),
        ("prospects", "4"),
        ("owner", ""),
        ("line", ""),
        ("success", ""),
        ("local", ""),
        ("second", ""),
        ("customers", ""),
        ("prospects", ""),
    ])
}

#[tokio::test]
async fn an_administrator_writes_a_months_goals_and_the_agent_reads_her_attainment() {
    let console = console_with_a_won_opportunity().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let get = |path: &str, who: &str| console.handle(request(Method::GET, path, Some(who), None));

    let form = text(&get("/app/opportunities/goals/edit?month=2031-03", &admin).await);
    assert!(form.contains("<option value=\"stage:sales:won\">"), "{form}");
    assert!(form.contains("<option value=\"case:queja_calidad:resuelta\">"), "final case states count: {form}");
    assert!(!form.contains("case:queja_calidad:registrada"), "an open state is no success");
    assert!(form.contains("<label class=\"sr-only\" for=\"local-1\">Línea 1, Meta en CRC</label>"), "{form}");

    let post = |body: String| {
        console.handle(request(Method::POST, "/app/opportunities/goals?month=2031-03", Some(&admin), Some(&body)))
    };
    let refused = post(sheet(&csrf, "0", "mucho")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(page.contains("Línea 1, Meta en CRC: Escriba el monto en cifras"), "{page}");
    assert!(page.contains("value=\"mucho\""), "what was typed stays");

    let saved = post(sheet(&csrf, "0", "600.000")).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{}", text(&saved));
    assert_eq!(header_of(&saved, "location"), "/app/opportunities/goals?month=2031-03");
    let late = post(sheet(&csrf, "0", "700.000")).await;
    assert_eq!(late.status(), StatusCode::CONFLICT, "a save over a version read before");
    assert!(text(&late).contains("Alguien cambió las metas de este mes"));

    let month = text(&get("/app/opportunities/goals?month=2031-03", &admin).await);
    assert!(month.contains("Editar las metas del mes"), "{month}");
    assert!(month.contains("<strong>50 %</strong>"), "300 000 of 600 000: {month}");
    let export = get("/app/opportunities/goals/export?month=2031-03", &admin).await;
    assert_eq!(header_of(&export, "content-disposition"), "attachment; filename=\"metas-2031-03.csv\"");
    let csv = text(&export);
    assert!(
        csv.contains("2031-03,Ana Rodríguez,Equipos,Ventas · Ganada,1,600000.00,300000.00,0.00,0.00,2,0,4,0"),
        "{csv}"
    );
    let reopened = text(&get("/app/opportunities/goals/edit?month=2031-03", &admin).await);
    assert!(reopened.contains("value=\"600000\""), "{reopened}");

    let (ana, _) = sign_in(&console, "ana").await;
    let refused = get("/app/opportunities/goals/export?month=2031-03", &ana).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "an agent does not export");
    let hers = text(&get("/app/opportunities/goals?month=2031-03", &ana).await);
    assert!(hers.contains("<th scope=\"row\">Ana Rodríguez</th>") && !hers.contains("Editar las metas"), "{hers}");
    assert_eq!(get("/app/opportunities/goals/edit?month=2031-03", &ana).await.status(), StatusCode::FORBIDDEN);
    let (carlos, _) = sign_in(&console, "carlos").await;
    let none = text(&get("/app/opportunities/goals?month=2031-03", &carlos).await);
    assert!(none.contains("No goals for this month."), "an agent sees only their own goals (Carlos reads English)");
    assert_eq!(get("/app/opportunities/goals?month=2031-13", &ana).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn goals_read_in_english() {
    let services = demo_services().await;
    admin_reads_english(&services).await;
    let console = Console::new(services, SignIn::LocalDemo, true);
    let (admin, _) = sign_in(&console, "admin").await;
    let form = text(
        &console.handle(request(Method::GET, "/app/opportunities/goals/edit?month=2031-03", Some(&admin), None)).await,
    );
    assert!(form.contains("<h1>Goals of 2031-03</h1>") && form.contains("Line 1, Goal in CRC"), "{form}");
    let month =
        text(&console.handle(request(Method::GET, "/app/opportunities/goals?month=2031-03", Some(&admin), None)).await);
    assert!(month.contains("No goals for this month.") && month.contains("Previous month"), "{month}");
}
