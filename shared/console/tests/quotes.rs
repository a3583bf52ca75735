//! *Cotizaciones* through `Console::handle`: a quote written from an account with live totals,
//! refused lines said by line and column, sending it twice writing one, a sent quote revised,
//! the customer's answer, scopes, and English.

mod support;

use gestiona_console::{Console, SignIn};
use gestiona_domain::TenantId;
use http::{Method, StatusCode};
use support::{admin_reads_english, demo_services, encode, header_of, input_value, request, sign_in, text};

async fn console_with_catalogue() -> Console {
    let services = demo_services().await;
    services.seed_demo_catalogue(&TenantId::parse("demo").unwrap()).await.expect("the demo catalogue");
    Console::new(services, SignIn::LocalDemo, true)
}

/// The id of the account the chooser offers as `name`.
fn account_id(page: &str, name: &str) -> String {
    let before = page.split(name).next().unwrap();
    before.rsplit("href=\"/app/quotes/new?account=").next().unwrap().split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_quote_is_written_with_live_totals_sent_revised_and_rejected() {
    let console = console_with_catalogue().await;
    let (ana, csrf) = sign_in(&console, "ana").await;
    let get = |path: &str| console.handle(request(Method::GET, path, Some(&ana), None));

    let found = text(&get("/app/quotes/new?q=nandu").await);
    let account = account_id(&found, "Café Ñandú");
    let form = text(&get(&format!("/app/quotes/new?account={account}")).await);
    assert!(form.contains("Cotización para Café Ñandú Ltda."), "{form}");
    assert!(form.contains("<label class=\"sr-only\" for=\"quantity-1\">Línea 1, Cantidad</label>"), "{form}");
    let form_id = input_value(&form, "form_id");
    let lines = |quantity: &str| {
        encode(&[
            ("_csrf", &csrf),
            ("form_id", &form_id),
            ("account", &account),
            ("currency", ""),
            ("valid_until", ""),
            ("product", "tor-0412"),
            ("description", ""),
            ("quantity", quantity),
            ("price", ""),
            ("discount", "10"),
            ("tax", ""),
            ("product", ""),
            ("description", "Instalación"),
            ("quantity", "1"),
            ("price", "45.000"),
            ("discount", ""),
            ("tax", "13"),
            ("product", ""),
            ("description", ""),
            ("quantity", ""),
            ("price", ""),
            ("discount", ""),
            ("tax", ""),
        ])
    };

    // The live totals: htmx posts the form as it changes and swaps this region.
    let mut live = request(Method::POST, "/app/quotes/preview", Some(&ana), Some(&lines("12")));
    live.headers_mut().insert("hx-request", "true".parse().unwrap());
    let live = text(&console.handle(live).await);
    assert!(
        live.trim_start().starts_with("<section id=\"quote-preview\"") && !live.contains("<html"),
        "only the region: {live}"
    );
    // 12 × ₡12.500,00 = ₡150.000,00 less 10 % = ₡135.000,00, + 13 % = ₡152.550,00; plus ₡45.000,00 + 13 %.
    assert!(live.contains("₡135.000,00") && live.contains("₡203.400,00"), "{live}");
    assert!(live.contains("precio de general v1"), "where the price came from: {live}");
    let mut wrong = request(Method::POST, "/app/quotes/preview", Some(&ana), Some(&lines("doce")));
    wrong.headers_mut().insert("hx-request", "true".parse().unwrap());
    let wrong = text(&console.handle(wrong).await);
    assert!(wrong.contains("Línea 1, Cantidad: Escriba la cantidad en cifras"), "{wrong}");

    let refused = console.handle(request(Method::POST, "/app/quotes", Some(&ana), Some(&lines("doce")))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = text(&refused);
    assert!(refused.contains("value=\"doce\" size=\"6\" inputmode=\"decimal\" aria-invalid=\"true\""), "{refused}");
    let created = console.handle(request(Method::POST, "/app/quotes", Some(&ana), Some(&lines("12")))).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let path = header_of(&created, "location").to_owned();
    let again = console.handle(request(Method::POST, "/app/quotes", Some(&ana), Some(&lines("12")))).await;
    assert_eq!(header_of(&again, "location"), path, "the same form sent twice is one quote");

    let page = text(&get(&path).await);
    assert!(page.contains("COT-000001") && page.contains("Borrador") && page.contains("₡203.400,00"), "{page}");
    let version = input_value(&page, "version");
    let send = encode(&[("_csrf", &csrf), ("version", &version)]);
    let sent = console.handle(request(Method::POST, &format!("{path}/send"), Some(&ana), Some(&send))).await;
    assert_eq!(header_of(&sent, "location"), format!("{path}?done=sent"));
    let page = text(&get(&format!("{path}?done=sent")).await);
    assert!(
        page.contains("La cotización quedó marcada como enviada.") && page.contains("Revisar (se conserva"),
        "{page}"
    );

    // Revised: the editor sends the quote at the version shown; revision 2 is a draft again.
    let version = input_value(&page, "version");
    let revise =
        lines("20").replace(&format!("form_id={form_id}"), &format!("quote={}&version={version}", &path[12..]));
    let saved = console.handle(request(Method::POST, &path, Some(&ana), Some(&revise))).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{}", text(&saved));
    let page = text(&get(&path).await);
    assert!(page.contains("Revisiones enviadas antes") && page.contains("<dd>2</dd>"), "{page}");
    let stale = console.handle(request(Method::POST, &path, Some(&ana), Some(&revise))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);

    let version = input_value(&page, "version");
    let no_reason = encode(&[("_csrf", &csrf), ("version", &version), ("accepted", "false"), ("reason", " ")]);
    let refused =
        console.handle(request(Method::POST, &format!("{path}/decision"), Some(&ana), Some(&no_reason))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("es obligatorio al rechazar la cotización"));
    let why = encode(&[("_csrf", &csrf), ("version", &version), ("accepted", "false"), ("reason", "Plazo de entrega")]);
    let decided = console.handle(request(Method::POST, &format!("{path}/decision"), Some(&ana), Some(&why))).await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    let page = text(&get(&path).await);
    assert!(page.contains("Rechazada: Plazo de entrega") && !page.contains("id=\"quote-form\""), "{page}");

    let list = text(&get("/app/quotes?status=rejected").await);
    assert!(list.contains("COT-000001") && list.contains("Café Ñandú Ltda."), "{list}");
    let (carlos, _) = sign_in(&console, "carlos").await;
    let theirs = console.handle(request(Method::GET, &path, Some(&carlos), None)).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "another agent's quote is out of Carlos's scope");
}

#[tokio::test]
async fn the_quote_editor_reads_in_english() {
    let services = demo_services().await;
    services.seed_demo_catalogue(&TenantId::parse("demo").unwrap()).await.unwrap();
    admin_reads_english(&services).await;
    let console = Console::new(services, SignIn::LocalDemo, true);
    let (admin, _) = sign_in(&console, "admin").await;
    let found = text(&console.handle(request(Method::GET, "/app/quotes/new?q=nandu", Some(&admin), None)).await);
    let account = account_id(&found, "Café Ñandú");
    let form = text(
        &console.handle(request(Method::GET, &format!("/app/quotes/new?account={account}"), Some(&admin), None)).await,
    );
    assert!(form.contains("Quote for Café Ñandú Ltda.") && form.contains("Work out the totals"), "{form}");
    assert!(form.contains("Line 1, Unit price"), "{form}");
}

#[tokio::test]
async fn an_accepted_quote_becomes_an_order_and_a_supervisor_invoices_it() {
    let console = console_with_catalogue().await;
    let (ana, csrf) = sign_in(&console, "ana").await;
    let found = text(&console.handle(request(Method::GET, "/app/quotes/new?q=nandu", Some(&ana), None)).await);
    let account = account_id(&found, "Café Ñandú");
    let form = text(
        &console.handle(request(Method::GET, &format!("/app/quotes/new?account={account}"), Some(&ana), None)).await,
    );
    let body = encode(&[
        ("_csrf", &csrf),
        ("form_id", &input_value(&form, "form_id")),
        ("account", &account),
        ("product", "CAF-0010"),
        ("description", ""),
        ("quantity", "2"),
        ("price", ""),
        ("discount", ""),
        ("tax", ""),
    ]);
    let created = console.handle(request(Method::POST, "/app/quotes", Some(&ana), Some(&body))).await;
    let path = header_of(&created, "location").to_owned();
    let page = text(&console.handle(request(Method::GET, &path, Some(&ana), None)).await);
    let yes = encode(&[("_csrf", &csrf), ("version", &input_value(&page, "version")), ("accepted", "true")]);
    console.handle(request(Method::POST, &format!("{path}/decision"), Some(&ana), Some(&yes))).await;
    let page = text(&console.handle(request(Method::GET, &path, Some(&ana), None)).await);
    assert!(page.contains("Convertir en pedido"), "{page}");
    let order = encode(&[("_csrf", &csrf), ("version", &input_value(&page, "version"))]);
    let ordered = console.handle(request(Method::POST, &format!("{path}/order"), Some(&ana), Some(&order))).await;
    assert_eq!(ordered.status(), StatusCode::SEE_OTHER);
    let order_path = header_of(&ordered, "location").to_owned();
    let again = console.handle(request(Method::POST, &format!("{path}/order"), Some(&ana), Some(&order))).await;
    assert_eq!(header_of(&again, "location"), order_path, "a quote becomes one order");
    let order_page = text(&console.handle(request(Method::GET, &order_path, Some(&ana), None)).await);
    assert!(order_page.contains("PED-000001") && order_page.contains("COT-000001"), "{order_page}");
    assert!(!order_page.contains("Facturar el pedido"), "an agent records no invoice");

    let (sofia, sofia_csrf) = sign_in(&console, "sofia").await;
    let order_page = text(&console.handle(request(Method::GET, &order_path, Some(&sofia), None)).await);
    assert!(order_page.contains("Facturar el pedido") && order_page.contains("F-PED-000001"), "{order_page}");
    let version = input_value(&order_page, "version");
    let bad = encode(&[("_csrf", &sofia_csrf), ("version", &version), ("due_on", "el lunes")]);
    let refused =
        console.handle(request(Method::POST, &format!("{order_path}/invoice"), Some(&sofia), Some(&bad))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("id=\"invoice-due-error\""));
    let dated = encode(&[("_csrf", &sofia_csrf), ("version", &version), ("due_on", "2027-01-31")]);
    let invoiced =
        console.handle(request(Method::POST, &format!("{order_path}/invoice"), Some(&sofia), Some(&dated))).await;
    assert_eq!(header_of(&invoiced, "location"), "/app/receivables/invoices/F-PED-000001");
    let invoice =
        text(&console.handle(request(Method::GET, "/app/receivables/invoices/F-PED-000001", Some(&sofia), None)).await);
    assert!(invoice.contains("PED-000001 (COT-000001 v1)"), "{invoice}");
    let orders = text(&console.handle(request(Method::GET, "/app/orders", Some(&sofia), None)).await);
    assert!(orders.contains("Facturado"), "{orders}");
}

#[tokio::test]
async fn quotes_are_exported_by_who_may_export_and_written_for_an_opportunity() {
    let services = demo_services().await;
    let demo = TenantId::parse("demo").unwrap();
    services.seed_demo_catalogue(&demo).await.expect("the demo catalogue");
    services.seed_demo_sales(&demo).await.expect("the demo pipeline");
    let console = Console::new(services, SignIn::LocalDemo, true);
    let (sofia, csrf) = sign_in(&console, "sofia").await;
    let board = text(&console.handle(request(Method::GET, "/app/opportunities/list", Some(&sofia), None)).await);
    let opportunity = board
        .split("href=\"/app/opportunities/")
        .filter_map(|tail| tail.split('"').next())
        .find(|id| id.len() == 26 && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .expect("an opportunity on the list")
        .to_owned();
    let form_path = format!("/app/quotes/new?opportunity={opportunity}");
    let form = text(&console.handle(request(Method::GET, &form_path, Some(&sofia), None)).await);
    assert_eq!(input_value(&form, "opportunity"), opportunity, "the quote is for the opportunity");
    let body = encode(&[
        ("_csrf", &csrf),
        ("form_id", &input_value(&form, "form_id")),
        ("account", &input_value(&form, "account")),
        ("opportunity", &opportunity),
        ("product", "MAR-0100"),
        ("description", ""),
        ("quantity", "3"),
        ("price", ""),
        ("discount", ""),
        ("tax", ""),
    ]);
    let created = console.handle(request(Method::POST, "/app/quotes", Some(&sofia), Some(&body))).await;
    let path = header_of(&created, "location").to_owned();
    let page = text(&console.handle(request(Method::GET, &path, Some(&sofia), None)).await);
    assert!(page.contains(&format!("href=\"/app/opportunities/{opportunity}\"")), "{page}");

    let export = console.handle(request(Method::GET, "/app/quotes/export?status=draft", Some(&sofia), None)).await;
    assert_eq!(header_of(&export, "content-disposition"), "attachment; filename=\"cotizaciones.csv\"");
    let csv = text(&export);
    assert!(csv.contains("COT-000001") && csv.contains("Borrador"), "{csv}");
    let (ana, _) = sign_in(&console, "ana").await;
    let refused = console.handle(request(Method::GET, "/app/quotes/export", Some(&ana), None)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "an agent does not export");
    let prices = console.handle(request(Method::GET, "/app/price-lists/general/export", Some(&sofia), None)).await;
    let csv = text(&prices);
    assert!(csv.contains("TOR-0412,0,12500.00,CRC"), "{csv}");
}
