//! *Productos* and *Listas de precios* through `Console::handle`: the catalogue found by word and
//! by department, a product's prices in each list, the export, a list created and edited at the
//! version read, an account given its list, and who may do what, in Spanish and English.

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

#[tokio::test]
async fn an_agent_finds_products_and_their_prices_but_changes_no_list() {
    let console = console_with_catalogue().await;
    let (ana, csrf) = sign_in(&console, "ana").await;
    let get = |path: &str| console.handle(request(Method::GET, path, Some(&ana), None));

    let all = text(&get("/app/products").await);
    assert!(all.contains("href=\"/app/products\" aria-current=\"page\">Productos</a>"), "the navigation: {all}");
    assert!(all.contains("TOR-0412") && all.contains("CAF-0010"), "{all}");
    assert!(!all.contains("/app/products/export"), "an agent does not export the catalogue");
    let found = text(&get("/app/products?q=latex").await);
    assert!(found.contains("PIN-0100") && !found.contains("TOR-0412"), "{found}");
    let department = text(&get("/app/products?department=ferreteria&group=herramientas").await);
    assert!(department.contains("MAR-0100") && !department.contains("TOR-0412"), "{department}");

    let product = text(&get("/app/products/TOR-0412").await);
    assert!(product.contains("Tornillo hexagonal"), "{product}");
    assert!(product.contains("13 %"), "the tax rate: {product}");
    assert!(product.contains("Lista general") && product.contains("₡12.500,00"), "{product}");
    assert!(product.contains("Distribuidores") && product.contains("₡11.000,00"), "the break from 10: {product}");
    assert_eq!(get("/app/products/NADA-1").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get("/app/products/export").await.status(), StatusCode::FORBIDDEN);

    let lists = text(&get("/app/price-lists").await);
    assert!(lists.contains("Distribuidores") && lists.contains("Predeterminada"), "{lists}");
    assert!(!lists.contains("action=\"/app/price-lists\""), "no form for an agent");
    let body = encode(&[("_csrf", &csrf), ("key", "mia"), ("name", "Mía"), ("currency", "CRC")]);
    let refused = console.handle(request(Method::POST, "/app/price-lists", Some(&ana), Some(&body))).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let list = text(&get("/app/price-lists/distribuidores").await);
    assert!(list.contains("TOR-0412") && list.contains("Versiones"), "{list}");
}

#[tokio::test]
async fn an_admin_creates_and_edits_a_list_and_gives_an_account_its_list() {
    let console = console_with_catalogue().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let post = |path: &str, body: String| {
        let admin = admin.clone();
        let path = path.to_owned();
        let console = &console;
        async move { console.handle(request(Method::POST, &path, Some(&admin), Some(&body))).await }
    };

    let bad = post(
        "/app/price-lists",
        encode(&[("_csrf", &csrf), ("key", "Mala Clave"), ("name", "X"), ("currency", "CRC")]),
    );
    let bad = bad.await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&bad).contains("id=\"list-key-error\""), "the key's error beside it");
    let body = encode(&[("_csrf", &csrf), ("key", "exportacion"), ("name", "Exportación"), ("currency", "usd")]);
    let created = post("/app/price-lists", body.clone()).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(header_of(&created, "location"), "/app/price-lists/exportacion");
    let again = post("/app/price-lists", body).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(text(&again).contains("Ya existe una lista de precios con esta clave"));

    let page = text(&console.handle(request(Method::GET, "/app/price-lists/exportacion", Some(&admin), None)).await);
    let version = input_value(&page, "version");
    let edit = |name: &str, version: &str| {
        encode(&[("_csrf", &csrf), ("version", version), ("name", name), ("currency", "USD"), ("active", "true")])
    };
    let saved = post("/app/price-lists/exportacion", edit("Exportación USD", &version)).await;
    assert_eq!(header_of(&saved, "location"), "/app/price-lists/exportacion?saved=1");
    let stale = post("/app/price-lists/exportacion", edit("Otra", &version)).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT, "the form was read at an older version");
    assert!(text(&stale).contains("Alguien cambió la lista"));
    let general = text(&console.handle(request(Method::GET, "/app/price-lists/general", Some(&admin), None)).await);
    let version = input_value(&general, "version");
    let inactive_default =
        encode(&[("_csrf", &csrf), ("version", &version), ("name", "X"), ("currency", "CRC"), ("default", "true")]);
    let refused = post("/app/price-lists/general", inactive_default).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("la lista predeterminada debe estar activa"));

    // The account's page: its list, changed.
    let accounts = text(&console.handle(request(Method::GET, "/app/accounts?q=cooperativa", Some(&admin), None)).await);
    let account = accounts
        .split("href=\"/app/accounts/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .find(|id| id.len() == 26)
        .expect("an account's link")
        .to_owned();
    let account_page = format!("/app/accounts/{account}");
    let before = text(&console.handle(request(Method::GET, &account_page, Some(&admin), None)).await);
    assert!(before.contains("<option value=\"\">La predeterminada de la empresa</option>"), "{before}");
    let chosen =
        post(&format!("{account_page}/price-list"), encode(&[("_csrf", &csrf), ("price_list", "distribuidores")]));
    assert_eq!(header_of(&chosen.await, "location"), format!("{account_page}#price-list"));
    let after = text(&console.handle(request(Method::GET, &account_page, Some(&admin), None)).await);
    assert!(after.contains("<option value=\"distribuidores\" selected>Distribuidores</option>"), "{after}");
}

#[tokio::test]
async fn the_catalogue_reads_in_english() {
    let services = demo_services().await;
    services.seed_demo_catalogue(&TenantId::parse("demo").unwrap()).await.unwrap();
    admin_reads_english(&services).await;
    let console = Console::new(services, SignIn::LocalDemo, true);
    let (admin, _) = sign_in(&console, "admin").await;
    let lists = text(&console.handle(request(Method::GET, "/app/price-lists", Some(&admin), None)).await);
    assert!(lists.contains("<h1>Price lists</h1>") && lists.contains("New price list"), "{lists}");
    let product = text(&console.handle(request(Method::GET, "/app/products/TOR-0412", Some(&admin), None)).await);
    assert!(product.contains("Unit price") && product.contains("13%"), "{product}");
    let export =
        console.handle(request(Method::GET, "/app/products/export?department=Pinturas", Some(&admin), None)).await;
    assert_eq!(header_of(&export, "content-disposition"), "attachment; filename=\"products.csv\"");
    let csv = text(&export);
    assert!(csv.starts_with("\u{feff}Code,Name,Department") || csv.starts_with("Code,Name,Department"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "the two paints: {csv}");
}
