//! *Oportunidades* through `Console::handle`: opening one from an account (a form sent twice
//! opens one), the kanban and a card moved on it, a stage that asks for what is missing, the
//! page's edit form and history, the list, and scopes.

mod support;

use http::{Method, StatusCode};
use support::{console, encode, header_of, input_value, request, sign_in, text};

/// The part of `page` from `marker` on.
fn after<'a>(page: &'a str, marker: &str) -> &'a str {
    page.split_once(marker).map(|(_, rest)| rest).unwrap_or_else(|| panic!("{marker} on the page: {page}"))
}

#[tokio::test]
async fn an_opportunity_is_opened_from_an_account_moved_on_the_board_and_edited_with_its_history() {
    let console = console().await;
    let (ana, csrf) = sign_in(&console, "ana").await;

    // No account chosen yet: the form finds one by words.
    let find = text(&console.handle(request(Method::GET, "/app/opportunities/new?q=nandu", Some(&ana), None)).await);
    let pick = after(&find, "href=\"/app/opportunities/new?account=").split('"').next().unwrap().to_owned();
    let form_path = format!("/app/opportunities/new?account={pick}");
    let form = text(&console.handle(request(Method::GET, &form_path, Some(&ana), None)).await);
    assert!(form.contains("Oportunidad de Café Ñandú Ltda."), "{form}");
    let form_id = input_value(&form, "form_id");
    let body = encode(&[
        ("_csrf", &csrf),
        ("form_id", &form_id),
        ("account", &pick),
        ("pipeline", "sales"),
        ("name", "Cafeteras para 12 tiendas"),
        ("amount", "4.800.000,00"),
        ("currency", "crc"),
        ("close", "2027-02-26"),
        ("probability", ""),
        ("product_line", "Equipos"),
        ("competitors", "Cafés del Norte\r\nImportadora Sur"),
    ]);
    let created = console.handle(request(Method::POST, "/app/opportunities", Some(&ana), Some(&body))).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let page_path = header_of(&created, "location").to_owned();
    let again = console.handle(request(Method::POST, "/app/opportunities", Some(&ana), Some(&body))).await;
    assert_eq!(header_of(&again, "location"), page_path, "the same form sent twice opens one opportunity");
    let bad = body.replace("4.800.000%2C00", "mucho");
    let refused = console.handle(request(Method::POST, "/app/opportunities", Some(&ana), Some(&bad))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("value=\"Cafeteras para 12 tiendas\""), "a refused form comes back as typed");

    // On the board, in the first stage; moved by its select and button.
    let board = text(&console.handle(request(Method::GET, "/app/opportunities", Some(&ana), None)).await);
    let column = after(&board, "id=\"stage-prospecting\"").split("<section").next().unwrap();
    assert!(column.contains("Cafeteras para 12 tiendas") && column.contains("₡4.800.000,00"), "{column}");
    let id = page_path.trim_start_matches("/app/opportunities/").to_owned();
    let card = after(&board, &format!("id=\"o-{id}\""));
    let version = input_value(card, "version");
    assert!(
        card.contains(&format!(
            "<label class=\"sr-only\" for=\"move-{id}\">Mover «Cafeteras para 12 tiendas» a</label>"
        ))
    );
    let move_to = |stage: &str| encode(&[("_csrf", &csrf), ("version", &version), ("stage", stage), ("view", "all")]);
    let stage_path = format!("{page_path}/stage");
    let lost = console.handle(request(Method::POST, &stage_path, Some(&ana), Some(&move_to("lost")))).await;
    assert_eq!(lost.status(), StatusCode::UNPROCESSABLE_ENTITY, "a lost stage asks why");
    let lost = text(&lost);
    assert!(lost.contains("Motivo de pérdida: es obligatorio en la etapa Perdida"), "{lost}");
    assert!(lost.contains("<option value=\"lost\" selected>"), "the page offers the move again");
    let moved = console.handle(request(Method::POST, &stage_path, Some(&ana), Some(&move_to("negotiation")))).await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let back = header_of(&moved, "location").to_owned();
    assert!(back.ends_with(&format!("#o-{id}")), "back at the card: {back}");
    let board = text(&console.handle(request(Method::GET, &back, Some(&ana), None)).await);
    assert!(board.contains("«Cafeteras para 12 tiendas» está ahora en Negociación."), "{board}");
    let column = after(&board, "id=\"stage-negotiation\"").split("<section").next().unwrap();
    assert!(column.contains("Cafeteras para 12 tiendas"));
    let stale = console.handle(request(Method::POST, &stage_path, Some(&ana), Some(&move_to("proposal")))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT, "the card was shown at an older version");

    // The page: a probability set by hand, then the history with the values before.
    let page = text(&console.handle(request(Method::GET, &page_path, Some(&ana), None)).await);
    assert!(page.contains("75 %") && page.contains("₡3.600.000,00"), "weighted at the stage's 75 %: {page}");
    let edit_page = after(&page, "id=\"edit-heading\"").to_owned();
    let edit = encode(&[
        ("_csrf", &csrf),
        ("version", &input_value(&edit_page, "version")),
        ("stage", "negotiation"),
        ("name", "Cafeteras para 12 tiendas"),
        ("amount", "4800000"),
        ("currency", "CRC"),
        ("close", "2027-03-31"),
        ("probability", "60"),
        ("product_line", "Equipos"),
        ("competitors", "Cafés del Norte\nImportadora Sur"),
        ("owner", "ana"),
    ]);
    let saved = console.handle(request(Method::POST, &page_path, Some(&ana), Some(&edit))).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = text(&console.handle(request(Method::GET, &page_path, Some(&ana), None)).await);
    assert!(page.contains("60 % (fijada a mano)") && page.contains("₡2.880.000,00"), "{page}");

    // The account's contacts are offered as checkboxes; the ticked one is named on the page.
    let contact = after(&page, "name=\"contact\" value=\"").split('"').next().unwrap().to_owned();
    let label = after(&page, &format!("value=\"{contact}\">")).split('<').next().unwrap().trim().to_owned();
    let version = input_value(after(&page, "id=\"edit-heading\""), "version");
    let with_contact = edit
        .replace(&format!("version={}", input_value(&edit_page, "version")), &format!("version={version}"))
        + &format!("&contacts_shown=1&contact={contact}");
    let saved = console.handle(request(Method::POST, &page_path, Some(&ana), Some(&with_contact))).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = text(&console.handle(request(Method::GET, &page_path, Some(&ana), None)).await);
    assert!(after(&page, "<dt>Contactos</dt><dd>").starts_with(&label), "{label}: {page}");
    assert!(page.contains(&format!("value=\"{contact}\" checked>")));
    let history = after(&page, "class=\"timeline\"");
    assert!(history.contains("Probabilidad: 75 % → 60 %"), "{history}");
    assert!(history.contains("Cierre previsto: 26 de febrero de 2027 → 31 de marzo de 2027"), "{history}");
    assert!(history.contains("Etapa: Prospección → Negociación"), "{history}");
    assert!(history.contains("Abierta en la etapa «Prospección»"), "{history}");

    // The list shows it; the account's file links to it.
    let list = text(&console.handle(request(Method::GET, "/app/opportunities/list?open=true", Some(&ana), None)).await);
    assert!(list.contains(&format!("href=\"{page_path}\">Cafeteras para 12 tiendas</a>")), "{list}");
    let account = text(&console.handle(request(Method::GET, &format!("/app/accounts/{pick}"), Some(&ana), None)).await);
    assert!(account.contains(&format!("href=\"{page_path}\">Cafeteras para 12 tiendas</a>")), "{account}");

    // The forecast of its quarter: in commit at 60 %, drawn and tabled.
    let path = "/app/opportunities/forecast?period=quarter&date=2027-03-01&groupBy=owner&pipeline=";
    let forecast = text(&console.handle(request(Method::GET, path, Some(&ana), None)).await);
    assert!(forecast.contains("Del 1 de enero de 2027 al 31 de marzo de 2027"), "{forecast}");
    let row = after(&forecast, "<th scope=\"row\">ana</th>").split("</tr>").next().unwrap();
    let cells: Vec<&str> =
        row.split("<td").skip(1).map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap()).collect();
    assert_eq!(
        cells,
        ["CRC", "1", "₡4.800.000,00", "₡4.800.000,00", "₡4.800.000,00", "₡0,00 (0)", "₡0,00", "₡2.880.000,00"]
    );
    assert!(forecast.contains("<svg role=\"img\" aria-labelledby=\"chart-title\""), "{forecast}");
    // What moved in the last thirty days: it was opened; two days ago the quarter held nothing.
    let new = after(&forecast, "<th scope=\"row\">Nuevas</th>").split("</tr>").next().unwrap();
    assert!(new.contains("<td class=\"num\">1</td>"), "{new}");
    let two_days_ago =
        jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().yesterday().unwrap().yesterday().unwrap();
    let as_of = format!("{path}&as_of={two_days_ago}");
    let before = text(&console.handle(request(Method::GET, &as_of, Some(&ana), None)).await);
    assert!(before.contains("según estaba al cierre del"), "{before}");
    assert!(before.contains("Ninguna oportunidad tiene cierre previsto en este periodo."), "{before}");
    let empty = "/app/opportunities/forecast?period=month&date=2031-01-01";
    let empty = text(&console.handle(request(Method::GET, empty, Some(&ana), None)).await);
    assert!(empty.contains("Ninguna oportunidad tiene cierre previsto en este periodo."));
    let bad = console.handle(request(Method::GET, "/app/opportunities/forecast?period=decade", Some(&ana), None)).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn another_agents_board_shows_only_theirs_in_english_and_the_page_is_not_found() {
    let console = console().await;
    let (ana, csrf) = sign_in(&console, "ana").await;
    let form = text(&console.handle(request(Method::GET, "/app/opportunities/new?q=nandu", Some(&ana), None)).await);
    let account = after(&form, "href=\"/app/opportunities/new?account=").split('"').next().unwrap().to_owned();
    let form = text(
        &console
            .handle(request(Method::GET, &format!("/app/opportunities/new?account={account}"), Some(&ana), None))
            .await,
    );
    let body = encode(&[
        ("_csrf", &csrf),
        ("form_id", &input_value(&form, "form_id")),
        ("account", &account),
        ("name", "Molinos"),
        ("amount", "900000"),
        ("currency", "CRC"),
    ]);
    let created = console.handle(request(Method::POST, "/app/opportunities", Some(&ana), Some(&body))).await;
    let page_path = header_of(&created, "location").to_owned();

    let (carlos, _) = sign_in(&console, "carlos").await;
    let board = text(&console.handle(request(Method::GET, "/app/opportunities", Some(&carlos), None)).await);
    assert!(!board.contains("Molinos"), "an agent sees their own opportunities only");
    assert!(board.contains(">Board</a>") && board.contains("None at this stage"), "Carlos reads English: {board}");
    let page = console.handle(request(Method::GET, &page_path, Some(&carlos), None)).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let (sofia, _) = sign_in(&console, "sofia").await;
    let board = text(&console.handle(request(Method::GET, "/app/opportunities", Some(&sofia), None)).await);
    assert!(board.contains("Molinos"), "a supervisor sees everyone's");

    // A supervisor exports the list; an agent's profile does not export.
    let list = text(&console.handle(request(Method::GET, "/app/opportunities/list", Some(&sofia), None)).await);
    let export = after(&list, "href=\"/app/opportunities/export?").split('"').next().unwrap().replace("&amp;", "&");
    let csv =
        console.handle(request(Method::GET, &format!("/app/opportunities/export?{export}"), Some(&sofia), None)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(header_of(&csv, "content-disposition").contains("oportunidades.csv"));
    let csv = text(&csv);
    assert!(csv.starts_with("id,Nombre,Cuenta,Embudo,Etapa,"), "{csv}");
    assert!(
        csv.contains("Molinos,Café Ñandú Ltda.,Ventas,Prospección,En embudo,900000.00,CRC,10,90000.00,,ana"),
        "{csv}"
    );
    let list = text(&console.handle(request(Method::GET, "/app/opportunities/list", Some(&ana), None)).await);
    assert!(!list.contains("/app/opportunities/export"), "no export link without the permission");
    let refused = console.handle(request(Method::GET, "/app/opportunities/export", Some(&ana), None)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
