//! *Prospectos* through `Console::handle`: the lists, a status change, the review of held
//! posts, and a conversion into account, contact and opportunity.

mod support;

use gestiona_domain::form::PostMeta;
use gestiona_domain::ids::FormId;
use gestiona_domain::lead::NewLead;
use gestiona_domain::service::forms::IncomingPost;
use gestiona_domain::{Actor, Role, TenantId, UserId};
use http::{Method, StatusCode};
use support::{demo_services, header_of, request, sign_in, text};

fn ana() -> Actor {
    support::demo_actor("ana", Role::Agent)
}

/// A post to the demo form without the page's signed token: held for review, like a bot's.
fn unsigned_post(name: &str, email: &str) -> IncomingPost {
    IncomingPost {
        tenant: TenantId::parse("demo").unwrap(),
        form: FormId::parse("contacto").unwrap(),
        fields: vec![("nombre".into(), name.into()), ("email".into(), email.into())],
        meta: PostMeta {
            ip: "203.0.113.9".into(),
            origin: None,
            referrer: None,
            user_agent: None,
            landing_page: None,
            landing_query: vec![],
        },
        idempotency_key: None,
    }
}

fn lead_link(page: &str, name: &str) -> String {
    let before = page.split(&format!(">{name}</a>")).next().expect("the lead's row");
    let href = before.rsplit("href=\"").next().unwrap();
    href.split('"').next().unwrap().to_owned()
}

fn version_on(page: &str) -> String {
    page.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn leads_are_listed_by_view_and_move_through_their_statuses() {
    let services = demo_services().await;
    let lead = NewLead {
        name: "Lucía Ramírez".into(),
        email: Some("lucia@ejemplo.cr".into()),
        company: Some("Ferretería El Clavo".into()),
        owner: Some(UserId::parse("ana").unwrap()),
        ..Default::default()
    };
    services.create_lead(&ana(), lead).await.expect("a lead");
    let console = gestiona_console::Console::new(services, gestiona_console::SignIn::LocalDemo, true);
    let (cookie, csrf) = sign_in(&console, "ana").await;

    let work = text(&console.handle(request(Method::GET, "/app/", Some(&cookie), None)).await);
    let waiting = work.split("Mis prospectos nuevos").nth(1).expect("Mi trabajo lists the new leads");
    assert!(waiting.split("Mis casos").next().unwrap().contains("Lucía Ramírez"), "{work}");
    let mine = text(&console.handle(request(Method::GET, "/app/leads", Some(&cookie), None)).await);
    assert!(mine.contains("Lucía Ramírez") && mine.contains("Ferretería El Clavo") && mine.contains("Nuevo"), "{mine}");
    for view in ["uncontacted", "week", "all"] {
        let page =
            text(&console.handle(request(Method::GET, &format!("/app/leads?view={view}"), Some(&cookie), None)).await);
        assert!(page.contains("Lucía Ramírez"), "{view}: {page}");
    }
    let (carlos, _) = sign_in(&console, "carlos").await;
    let his = text(&console.handle(request(Method::GET, "/app/leads?view=mine", Some(&carlos), None)).await);
    assert!(!his.contains("Lucía Ramírez") && his.contains("No leads here."), "Carlos's own list, in English");
    let unknown = console.handle(request(Method::GET, "/app/leads?view=everything", Some(&cookie), None)).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    let path = lead_link(&mine, "Lucía Ramírez");
    let page = text(&console.handle(request(Method::GET, &path, Some(&cookie), None)).await);
    let version = version_on(&page);
    let form = format!("_csrf={csrf}&version={version}&status=disqualified&reason=Sin+presupuesto");
    let moved = console.handle(request(Method::POST, &format!("{path}/status"), Some(&cookie), Some(&form))).await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let page = text(&console.handle(request(Method::GET, &path, Some(&cookie), None)).await);
    assert!(page.contains("Descartado") && page.contains("Sin presupuesto"), "{page}");
    let work = text(&console.handle(request(Method::GET, "/app/", Some(&cookie), None)).await);
    assert!(!work.contains("Lucía Ramírez") && work.contains("No tiene prospectos nuevos"), "no longer waiting");

    // The page was open at the old version: the change is refused and the lead shown as it is.
    let stale = console.handle(request(Method::POST, &format!("{path}/status"), Some(&cookie), Some(&form))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(text(&stale).contains("Alguien cambió este registro"));
}

#[tokio::test]
async fn a_held_post_is_released_into_a_lead_and_converted_in_one_step() {
    let services = demo_services().await;
    let held = services.submit_form(unsigned_post("Marco Solís", "marco@taller.cr")).await.expect("a post");
    assert!(format!("{:?}", held.outcome).contains("uarantin"), "{held:?}");
    services.submit_form(unsigned_post("Bot", "bot@spam.example")).await.expect("a post");
    let console = gestiona_console::Console::new(services, gestiona_console::SignIn::LocalDemo, true);
    let (cookie, csrf) = sign_in(&console, "sofia").await;

    let review = text(&console.handle(request(Method::GET, "/app/leads/review", Some(&cookie), None)).await);
    assert!(review.contains("Marco Solís") && review.contains("enviado sin el token"), "{review}");
    let marco = review.split("Marco Solís").nth(1).unwrap();
    let action = marco.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let version = version_on(marco);
    let release = format!("_csrf={csrf}&version={version}&decision=release");
    let released = console.handle(request(Method::POST, &action, Some(&cookie), Some(&release))).await;
    assert_eq!(header_of(&released, "location"), "/app/leads/review");
    let again = console.handle(request(Method::POST, &action, Some(&cookie), Some(&release))).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "a post is reviewed once");
    assert!(text(&again).contains("Alguien ya revisó este envío"));

    let bot = text(&console.handle(request(Method::GET, "/app/leads/review", Some(&cookie), None)).await);
    assert!(!bot.contains("Marco Solís") && bot.contains("bot@spam.example"));
    let bot_action = bot.split("action=\"/app/leads/review/").nth(1).unwrap().split('"').next().unwrap();
    let discard = format!("_csrf={csrf}&version={}&decision=discard", version_on(&bot));
    let path = format!("/app/leads/review/{bot_action}");
    assert_eq!(
        console.handle(request(Method::POST, &path, Some(&cookie), Some(&discard))).await.status(),
        StatusCode::SEE_OTHER
    );
    let empty = text(&console.handle(request(Method::GET, "/app/leads/review", Some(&cookie), None)).await);
    assert!(empty.contains("No hay nada pendiente de revisión"));

    // The released post is a lead; converted with an opportunity, it opens the new account.
    let all = text(&console.handle(request(Method::GET, "/app/leads?view=all", Some(&cookie), None)).await);
    let lead = lead_link(&all, "Marco Solís");
    let page = text(&console.handle(request(Method::GET, &lead, Some(&cookie), None)).await);
    let version = version_on(page.split("/convert").nth(1).unwrap());
    let bad = format!(
        "_csrf={csrf}&version={version}&account_name=Taller+Sol%C3%ADs&opportunity=Flota&amount=mucho&currency=CRC"
    );
    let refused = console.handle(request(Method::POST, &format!("{lead}/convert"), Some(&cookie), Some(&bad))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("Escriba el monto en cifras"));
    let good = format!(
        "_csrf={csrf}&version={version}&account_name=Taller+Sol%C3%ADs&opportunity=Flota+2027&amount=1.250.000%2C50&currency=crc"
    );
    let converted = console.handle(request(Method::POST, &format!("{lead}/convert"), Some(&cookie), Some(&good))).await;
    assert_eq!(converted.status(), StatusCode::SEE_OTHER, "{}", text(&converted));
    let account = header_of(&converted, "location").to_owned();
    assert!(account.starts_with("/app/accounts/"), "{account}");
    let file = text(&console.handle(request(Method::GET, &account, Some(&cookie), None)).await);
    assert!(file.contains("Taller Solís") && file.contains("marco@taller.cr"), "the account and its contact: {file}");
    let opportunities =
        file.split("id=\"opportunities\"").nth(1).expect("the opportunities").split("</table>").next().unwrap();
    assert!(opportunities.contains("Flota 2027") && opportunities.contains("₡1.250.000,50"), "{opportunities}");
    assert!(
        opportunities.contains("Prospección") && opportunities.contains(&format!("href=\"{lead}\"")),
        "{opportunities}"
    );
    let converted_leads =
        file.split("id=\"converted-leads\"").nth(1).expect("the converted leads").split("</table>").next().unwrap();
    assert!(converted_leads.contains(&format!("href=\"{lead}\"")), "{converted_leads}");
    assert!(converted_leads.contains("Con oportunidad"), "{converted_leads}");
    assert!(converted_leads.contains("Formulario web · contacto"), "the source in words: {converted_leads}");
    let page = text(&console.handle(request(Method::GET, &lead, Some(&cookie), None)).await);
    assert!(page.contains("Convertido") && page.contains(&format!("href=\"{account}\"")), "{page}");
}

#[tokio::test]
async fn the_web_forms_page_gives_each_forms_address_and_embed_snippet() {
    let services = demo_services().await;
    services.submit_form(unsigned_post("Bot Bot", "bot@example.com")).await.unwrap();
    let console = gestiona_console::Console::new(services, gestiona_console::SignIn::LocalDemo, true);
    let (cookie, _) = support::sign_in(&console, "sofia").await;
    let mut request = support::request(http::Method::GET, "/app/leads/forms", Some(&cookie), None);
    request.headers_mut().insert("host", "127.0.0.1:3000".parse().unwrap());
    let page = support::text(&console.handle(request).await);
    assert!(page.contains("<a href=\"http://127.0.0.1:3000/f/demo/contacto\">"), "{page}");
    assert!(
        page.contains("&#60;iframe src=&#34;http://127.0.0.1:3000/f/demo/contacto&#34;"),
        "the snippet, escaped in the page: {page}"
    );
    assert!(page.contains("0 aceptados, 1 retenidos para revisión, 0 descartados como bots"), "what the form received");
}
