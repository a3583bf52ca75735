//! The console through `Console::handle`, on the in-memory store with the demo tenant: signing
//! in, the pages in both languages, CSRF, comments, a transition and the conflict screen.

mod support;

use http::{Method, StatusCode};
use support::{console, header_of, request, sign_in, text};

fn first_case_link(page: &str) -> String {
    let rest = page.split("<td><a href=\"/app/cases/").nth(1).expect("a case link");
    format!("/app/cases/{}", rest.split('"').next().unwrap())
}

#[tokio::test]
async fn pages_need_a_session_and_come_back_after_sign_in() {
    let console = console().await;
    let response = console.handle(request(Method::GET, "/app/cases?cursor=x", None, None)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(header_of(&response, "location"), "/app/sign-in?next=%2Fapp%2Fcases%3Fcursor%3Dx");

    let mut htmx = request(Method::GET, "/app/cases", None, None);
    htmx.headers_mut().insert("hx-request", "true".parse().unwrap());
    let response = console.handle(htmx).await;
    assert_eq!(header_of(&response, "hx-redirect"), "/app/sign-in?next=%2Fapp%2Fcases", "htmx reloads the whole page");
    // A fragment's session expired (a section refreshing itself): back to the page, not the fragment.
    let mut fragment = request(Method::GET, "/app/cases/01JD0000000000000000000000/documents", None, None);
    fragment.headers_mut().insert("hx-request", "true".parse().unwrap());
    let page = "http://127.0.0.1:3000/app/cases/01JD0000000000000000000000?document=quote";
    fragment.headers_mut().insert("hx-current-url", page.parse().unwrap());
    let response = console.handle(fragment).await;
    assert_eq!(
        header_of(&response, "hx-redirect"),
        "/app/sign-in?next=%2Fapp%2Fcases%2F01JD0000000000000000000000%3Fdocument%3Dquote"
    );

    let form = "user=ana&next=%2Fapp%2Fcases";
    let response = console.handle(request(Method::POST, "/app/sign-in", None, Some(form))).await;
    assert_eq!(header_of(&response, "location"), "/app/cases");
    let forged = "user=ana&next=https%3A%2F%2Fevil.example%2F";
    let response = console.handle(request(Method::POST, "/app/sign-in", None, Some(forged))).await;
    assert_eq!(header_of(&response, "location"), "/app/", "never back to another site");
}

#[tokio::test]
async fn pages_speak_the_users_language_and_carry_security_headers() {
    let console = console().await;
    let (spanish, _) = sign_in(&console, "ana").await;
    let page = console.handle(request(Method::GET, "/app/", Some(&spanish), None)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = text(&page);
    assert!(html.contains("<html lang=\"es\">") && html.contains("Mi trabajo") && html.contains("Mis casos"), "{html}");
    let csp = header_of(&page, "content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header_of(&page, "cache-control"), "no-store");
    assert!(!html.contains("<script>") && !html.contains(" style="), "no inline script or style");

    // Carlos reads English (his directory entry says so).
    let (english, _) = sign_in(&console, "carlos").await;
    let html = text(&console.handle(request(Method::GET, "/app/", Some(&english), None)).await);
    assert!(html.contains("<html lang=\"en\">") && html.contains("My work") && html.contains("My cases"), "{html}");
}

#[tokio::test]
async fn posts_without_the_sessions_token_are_refused() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let list = text(&console.handle(request(Method::GET, "/app/cases", Some(&cookie), None)).await);
    let case = first_case_link(&list);
    let path = format!("{case}/comments");
    let forged = console.handle(request(Method::POST, &path, Some(&cookie), Some("body=hola&_csrf=nope"))).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let missing = console.handle(request(Method::POST, &path, Some(&cookie), Some("body=hola"))).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);

    let mut htmx = request(Method::POST, &path, Some(&cookie), Some("body=desde+htmx&internal=true"));
    htmx.headers_mut().insert("x-csrf-token", csrf.parse().unwrap());
    assert_eq!(console.handle(htmx).await.status(), StatusCode::SEE_OTHER, "htmx sends it as a header");

    let out =
        console.handle(request(Method::POST, "/app/sign-out", Some(&cookie), Some(&format!("_csrf={csrf}")))).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(header_of(&out, "set-cookie").contains("Max-Age=0"));
    let after = console.handle(request(Method::GET, "/app/cases", Some(&cookie), None)).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "the session ended with the sign-out");
}

#[tokio::test]
async fn a_comment_and_a_transition_from_the_case_page() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let list = text(&console.handle(request(Method::GET, "/app/cases", Some(&cookie), None)).await);
    let case = first_case_link(&list);

    let empty = format!("_csrf={csrf}&body=+++");
    let refused = console.handle(request(Method::POST, &format!("{case}/comments"), Some(&cookie), Some(&empty))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("no puede estar vacío"), "the reason inline, in Spanish");

    let comment = format!("_csrf={csrf}&body=Cliente+llam%C3%B3&internal=true");
    let saved = console.handle(request(Method::POST, &format!("{case}/comments"), Some(&cookie), Some(&comment))).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    assert!(page.contains("Cliente llamó"), "the comment is on the page");

    // The first step offered, taken at the version the page showed.
    let form = page.split("/transitions\">").nth(1).expect("a step is offered");
    let field = |name: &str| {
        form.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let (version, action, result) = (field("version"), field("action"), field("result"));
    let step = format!("_csrf={csrf}&version={version}&action={action}&result={result}");
    let path = format!("{case}/transitions");
    let moved = console.handle(request(Method::POST, &path, Some(&cookie), Some(&step))).await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER, "{}", text(&moved));

    // The same step again from the page as it was: the case changed meanwhile.
    let stale = console.handle(request(Method::POST, &path, Some(&cookie), Some(&step))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(text(&stale).contains("Alguien cambió este caso"), "the conflict is explained");
}

#[tokio::test]
async fn htmx_gets_the_rows_alone_and_assets_are_immutable() {
    let console = console().await;
    let (cookie, _) = sign_in(&console, "sofia").await;
    let mut htmx = request(Method::GET, "/app/cases", Some(&cookie), None);
    htmx.headers_mut().insert("hx-request", "true".parse().unwrap());
    let fragment = text(&console.handle(htmx).await);
    assert!(fragment.starts_with("<div id=\"case-rows\">") && !fragment.contains("<html"), "{fragment}");

    let page = text(&console.handle(request(Method::GET, "/app/cases", Some(&cookie), None)).await);
    let htmx_path = page.split("<script src=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let asset = console.handle(request(Method::GET, &htmx_path, None, None)).await;
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(header_of(&asset, "cache-control"), "public, max-age=31536000, immutable");
    assert!(text(&asset).contains("htmx"), "the vendored htmx");
}

#[tokio::test]
async fn accounts_are_found_by_name_and_open_as_a_customer_file() {
    let console = console().await;
    let (cookie, _) = sign_in(&console, "ana").await;
    // Accents and case aside: "cafe ñ" finds "Café Ñandú Ltda." and nothing else.
    let list = text(&console.handle(request(Method::GET, "/app/accounts?q=cafe+%C3%B1", Some(&cookie), None)).await);
    assert!(list.contains("Café Ñandú Ltda.") && !list.contains("Transportes Rápidos"), "{list}");
    assert!(list.contains("value=\"cafe ñ\""), "the search box keeps what was typed");

    let rest = list.split("<td><a href=\"/app/accounts/").nth(1).expect("an account link");
    let file = format!("/app/accounts/{}", rest.split('"').next().unwrap());
    let page = console.handle(request(Method::GET, &file, Some(&cookie), None)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = text(&page);
    assert!(html.contains("3-102-654321") && html.contains("Contactos") && html.contains("Casos"), "{html}");
    assert!(html.contains("Lote de café"), "the account's cases are on its file");

    let contacts = text(&console.handle(request(Method::GET, "/app/contacts?q=gomez", Some(&cookie), None)).await);
    assert!(contacts.contains("Rubis Francisco Gómez") && !contacts.contains("Araya"), "{contacts}");
    let missing =
        console.handle(request(Method::GET, "/app/accounts/01ARZ3NDEKTSV4RRFFQ69G5FAV", Some(&cookie), None)).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_box_finds_every_kind_of_record_by_the_start_of_its_words() {
    let console = console().await;
    let (cookie, _) = sign_in(&console, "sofia").await;
    let home = text(&console.handle(request(Method::GET, "/app/", Some(&cookie), None)).await);
    assert!(home.contains("action=\"/app/search\"") && home.contains("id=\"find\""), "the box is on every page");

    // "cafe" finds the account and the case about its coffee; "jos" finds María José.
    let found = text(&console.handle(request(Method::GET, "/app/search?q=CAFE", Some(&cookie), None)).await);
    assert!(found.contains("Café Ñandú Ltda.") && found.contains("Lote de café 2026-41 con humedad"), "{found}");
    assert!(found.contains(">Cuenta<") && found.contains(">Caso<") && !found.contains("Transportes"), "{found}");
    let case = found.split("href=\"/app/cases/").nth(1).expect("a link to the case").split('"').next().unwrap();
    let page = console.handle(request(Method::GET, &format!("/app/cases/{case}"), Some(&cookie), None)).await;
    assert!(text(&page).contains("Lote de café"));

    let people = text(&console.handle(request(Method::GET, "/app/search?q=jos", Some(&cookie), None)).await);
    assert!(people.contains("María José Araya") && people.contains(">Contacto<"), "{people}");
    // A contact opens in its account's customer file.
    let contact = people.split("href=\"/app/contacts/").nth(1).unwrap().split('"').next().unwrap();
    let opened = console.handle(request(Method::GET, &format!("/app/contacts/{contact}"), Some(&cookie), None)).await;
    let file = text(&console.handle(request(Method::GET, header_of(&opened, "location"), Some(&cookie), None)).await);
    assert!(file.contains("Transportes Rápidos S.A.") && file.contains("María José Araya"), "{file}");

    // An invoice by a part of its number or a word of its description, opening on Cartera.
    let invoice = text(&console.handle(request(Method::GET, "/app/search?q=0412", Some(&cookie), None)).await);
    assert!(invoice.contains("href=\"/app/receivables/invoices/FAC-2026-0412\"") && invoice.contains(">Factura<"));
    let by_words = text(&console.handle(request(Method::GET, "/app/search?q=yute", Some(&cookie), None)).await);
    assert!(by_words.contains("FAC-2026-0357") && by_words.contains("Sacos de yute"), "{by_words}");

    // Every term must match; one letter is too little to search for, and says so.
    let both = text(&console.handle(request(Method::GET, "/app/search?q=jos+aray", Some(&cookie), None)).await);
    assert!(both.contains("María José Araya") && !both.contains("Íñigo"));
    let none = text(&console.handle(request(Method::GET, "/app/search?q=zzz", Some(&cookie), None)).await);
    assert!(none.contains("No se encontró nada"), "{none}");
    let short = text(&console.handle(request(Method::GET, "/app/search?q=a", Some(&cookie), None)).await);
    assert!(short.contains("escriba al menos dos letras"), "{short}");
    let listed = text(&console.handle(request(Method::GET, "/app/accounts?q=a", Some(&cookie), None)).await);
    assert!(listed.contains("aria-invalid=\"true\"") && listed.contains("escriba al menos dos letras"), "{listed}");
}
