//! Accounts and contacts created and edited from the console.

mod support;

use http::{Method, StatusCode};
use support::{console, encode, header_of, input_value, request, sign_in, text};

#[tokio::test]
async fn an_account_is_created_edited_and_a_late_edit_overwrites_nothing() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let form = text(&console.handle(request(Method::GET, "/app/accounts/new", Some(&cookie), None)).await);
    assert!(form.contains("<label for=\"record-taxId\">Identificación</label>"), "{form}");

    let blank = encode(&[("_csrf", &csrf), ("name", "  "), ("email", "no es correo")]);
    let refused = console.handle(request(Method::POST, "/app/accounts", Some(&cookie), Some(&blank))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(&refused);
    assert!(html.contains("id=\"record-name-error\"") && html.contains("id=\"record-email-error\""), "{html}");
    assert!(html.contains("value=\"no es correo\""), "the typed value stays");

    let new =
        encode(&[("_csrf", &csrf), ("name", "Ferretería El Clavo"), ("taxId", "3-101-555555"), ("phone", "2222-0000")]);
    let created = console.handle(request(Method::POST, "/app/accounts", Some(&cookie), Some(&new))).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "{}", text(&created));
    let file = header_of(&created, "location").to_owned();
    let page = text(&console.handle(request(Method::GET, &file, Some(&cookie), None)).await);
    assert!(page.contains("<h1>Ferretería El Clavo</h1>") && page.contains("3-101-555555"));

    // Two people open the edit form; the first saves, the second is told and shown the record now.
    let edit = format!("{file}/edit");
    let mine = text(&console.handle(request(Method::GET, &edit, Some(&cookie), None)).await);
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let theirs = text(&console.handle(request(Method::GET, &edit, Some(&ana), None)).await);
    let save = |page: &str, csrf: &str, phone: &str| {
        encode(&[
            ("_csrf", csrf),
            ("version", &input_value(page, "version")),
            ("name", &input_value(page, "was.name")),
            ("was.name", &input_value(page, "was.name")),
            ("phone", phone),
            ("was.phone", &input_value(page, "was.phone")),
        ])
    };
    let first =
        console.handle(request(Method::POST, &file, Some(&ana), Some(&save(&theirs, &ana_csrf, "2222-1111")))).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER, "{}", text(&first));
    let late =
        console.handle(request(Method::POST, &file, Some(&cookie), Some(&save(&mine, &csrf, "2222-9999")))).await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    let html = text(&late);
    assert!(html.contains("Alguien cambió este registro"), "{html}");
    assert!(html.contains("value=\"2222-1111\""), "the form shows the record as it is now");
    let page = text(&console.handle(request(Method::GET, &file, Some(&cookie), None)).await);
    assert!(page.contains("2222-1111") && !page.contains("2222-9999"));
    assert!(page.contains("3-101-555555"), "fields nobody touched are kept");
}

#[tokio::test]
async fn a_contact_is_added_to_an_account_and_edited() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let new = encode(&[("_csrf", &csrf), ("name", "Taller Solís")]);
    let created = console.handle(request(Method::POST, "/app/accounts", Some(&cookie), Some(&new))).await;
    let file = header_of(&created, "location").to_owned();
    let account_id = file.rsplit('/').next().unwrap().to_owned();
    let form = text(&console.handle(request(Method::GET, &format!("{file}/contacts/new"), Some(&cookie), None)).await);
    assert!(form.contains("Nuevo contacto de Taller Solís"));
    assert_eq!(input_value(&form, "accountId"), account_id);

    let contact = encode(&[
        ("_csrf", &csrf),
        ("accountId", &account_id),
        ("firstName", "Marco"),
        ("lastName", "Solís"),
        ("email", "marco@taller.example"),
        ("locale", "es"),
    ]);
    let added = console.handle(request(Method::POST, "/app/contacts", Some(&cookie), Some(&contact))).await;
    assert_eq!((added.status(), header_of(&added, "location")), (StatusCode::SEE_OTHER, file.as_str()));
    // The same address twice is refused on the field.
    let twice = console.handle(request(Method::POST, "/app/contacts", Some(&cookie), Some(&contact))).await;
    assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&twice).contains("otro contacto ya tiene esta dirección"));

    let page = text(&console.handle(request(Method::GET, &file, Some(&cookie), None)).await);
    let edit = page.split("href=\"/app/contacts/").nth(1).expect("an edit link").split('"').next().unwrap();
    let edit = format!("/app/contacts/{edit}");
    let form = text(&console.handle(request(Method::GET, &edit, Some(&cookie), None)).await);
    let path = edit.trim_end_matches("/edit").to_owned();
    let save = encode(&[
        ("_csrf", &csrf),
        ("version", &input_value(&form, "version")),
        ("firstName", "Marco"),
        ("was.firstName", "Marco"),
        ("title", "Gerente"),
        ("was.title", ""),
    ]);
    let saved = console.handle(request(Method::POST, &path, Some(&cookie), Some(&save))).await;
    assert_eq!((saved.status(), header_of(&saved, "location")), (StatusCode::SEE_OTHER, file.as_str()));
    let page = text(&console.handle(request(Method::GET, &file, Some(&cookie), None)).await);
    assert!(page.contains("Gerente") && page.contains("marco@taller.example"), "the untouched e-mail stays");
}

#[tokio::test]
async fn the_customer_file_shows_what_the_account_owes_by_age() {
    use gestiona_domain::receivables::InvoiceInput;
    use gestiona_domain::{Actor, DocumentNumber, Role, TenantId, UserId};
    let services = support::demo_services().await;
    let sofia = Actor::with_role(&TenantId::parse("demo").unwrap(), &UserId::parse("sofia").unwrap(), Role::Supervisor);
    let new_account =
        gestiona_domain::account::NewAccount { name: "Ferretería El Clavo".into(), ..Default::default() };
    let account = services.create_account(&sofia, new_account).await.unwrap().value;
    let today = services.tenant_today(&sofia.tenant).await.unwrap();
    let invoice = InvoiceInput {
        account_id: account.id,
        contact_id: None,
        currency: "CRC".into(),
        issued_on: today.saturating_sub(jiff::Span::new().days(75)),
        due_on: Some(today.saturating_sub(jiff::Span::new().days(45))),
        total_minor: 125_000_050,
        description: None,
    };
    services.upsert_invoice(&sofia, &DocumentNumber::parse("F-0042").unwrap(), &invoice).await.unwrap();

    let console = gestiona_console::Console::new(services, gestiona_console::SignIn::LocalDemo, true);
    let (cookie, _) = sign_in(&console, "sofia").await;
    let page = text(
        &console.handle(request(Method::GET, &format!("/app/accounts/{}", account.id), Some(&cookie), None)).await,
    );
    let section = page.split("id=\"receivables\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(section.contains("31–60 días"), "{section}");
    let row = section.split(">CRC</a></th>").nth(1).expect("a row per currency").split("</tr>").next().unwrap();
    assert_eq!(row.matches("₡1.250.000,50").count(), 2, "in 31–60 days and in the total: {row}");
    assert!(section.contains("F-0042") && section.contains("Vencida hace 45 días"), "{section}");
    assert!(section.contains("href=\"/app/receivables/invoices/F-0042\""), "the invoice opens on Cartera");
}
