//! Opening a case from the console: the type first, then its fields; errors at their inputs; one
//! case however often the form is sent.

mod support;

use http::{Method, StatusCode};
use support::{console, encode, header_of, input_value, request, sign_in, text};

#[tokio::test]
async fn a_case_is_opened_with_its_types_fields_once_however_often_the_form_is_sent() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let get = |path: String| {
        let cookie = cookie.clone();
        let console = &console;
        async move { text(&console.handle(request(Method::GET, &path, Some(&cookie), None)).await) }
    };

    let choose = get("/app/cases/new".into()).await;
    assert!(choose.contains("<option value=\"recepcion_vehiculos\">Recepción de Vehículos</option>"), "{choose}");
    assert!(!choose.contains("name=\"formId\""), "no case form before a type is chosen");

    let form = get("/app/cases/new?type=recepcion_vehiculos".into()).await;
    assert!(form.contains("<label for=\"new-cf-placa\">"), "the type's custom fields: {form}");
    assert!(form.contains("id=\"new-cf-placa\" name=\"cf.placa\" type=\"text\" value=\"\" required"), "{form}");
    assert!(form.contains("id=\"new-owner\""), "a supervisor may name the owner");
    let form_id = input_value(&form, "formId");

    let mut fields = vec![
        ("_csrf", csrf.as_str()),
        ("formId", form_id.as_str()),
        ("type", "recepcion_vehiculos"),
        ("subject", " "),
        ("channel", "phone"),
        ("priority", "high"),
        ("amount", "doce"),
        ("account", "Transportes Rápidos"),
        ("cf.kilometraje", "45.200"),
    ];
    let refused = console.handle(request(Method::POST, "/app/cases", Some(&cookie), Some(&encode(&fields)))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(&refused);
    assert!(html.contains("id=\"new-amount-error\""), "the amount is at its input: {html}");
    assert!(html.contains("value=\"Transportes Rápidos\""), "what was typed stays");

    fields.retain(|(name, _)| !matches!(*name, "subject" | "amount"));
    fields.extend([("subject", "Revisión de frenos"), ("amount", "1.250.000,50"), ("cf.placa", "BCR-123")]);
    let created = console.handle(request(Method::POST, "/app/cases", Some(&cookie), Some(&encode(&fields)))).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "{}", text(&created));
    let location = header_of(&created, "location").to_owned();
    assert_eq!(location, format!("/app/cases/{form_id}"), "the case takes the form's id");
    let page = get(location.clone()).await;
    assert!(page.contains("Revisión de frenos") && page.contains("BCR-123"), "{page}");
    assert!(page.contains("Transportes Rápidos S.A.") && page.contains("1.250.000,50"), "{page}");

    let again = console.handle(request(Method::POST, "/app/cases", Some(&cookie), Some(&encode(&fields)))).await;
    assert_eq!(header_of(&again, "location"), location, "sent twice, the form shows the case it opened");
    let list = get("/app/cases".into()).await;
    assert_eq!(list.matches(">Revisión de frenos</a>").count(), 1, "one case: {list}");

    // Another user cannot replay someone's form.
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let mut theirs = fields.clone();
    theirs[0] = ("_csrf", ana_csrf.as_str());
    theirs.retain(|(name, _)| *name != "owner");
    let replay = console.handle(request(Method::POST, "/app/cases", Some(&ana), Some(&encode(&theirs)))).await;
    assert_eq!(replay.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&replay).contains("otra persona envió este formulario"), "{}", text(&replay));
}

#[tokio::test]
async fn a_case_opened_from_an_account_names_it_and_an_agent_owns_what_they_open() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "ana").await;
    let accounts = text(&console.handle(request(Method::GET, "/app/accounts?q=cafe", Some(&cookie), None)).await);
    let account = accounts
        .split("href=\"/app/accounts/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .find(|id| id.len() == 26)
        .expect("an account's link")
        .to_owned();
    let file =
        text(&console.handle(request(Method::GET, &format!("/app/accounts/{account}"), Some(&cookie), None)).await);
    let link = format!("/app/cases/new?account={account}");
    assert!(file.contains(&format!("href=\"{link}\"")), "the customer file offers a new case");

    let chooser = text(&console.handle(request(Method::GET, &link, Some(&cookie), None)).await);
    assert!(chooser.contains(&format!("name=\"account\" value=\"{account}\"")), "choosing the type keeps the account");
    let form =
        text(&console.handle(request(Method::GET, &format!("{link}&type=queja_calidad"), Some(&cookie), None)).await);
    assert!(form.contains("Café Ñandú Ltda."), "the account is shown by name: {form}");
    assert!(!form.contains("id=\"new-account\""), "and not asked for");
    assert!(!form.contains("id=\"new-owner\""), "an agent does not choose the owner");

    let body = encode(&[
        ("_csrf", &csrf),
        ("formId", &input_value(&form, "formId")),
        ("type", "queja_calidad"),
        ("account", &account),
        ("subject", "Sacos con humedad"),
        ("channel", "email"),
        ("priority", "normal"),
    ]);
    let created = console.handle(request(Method::POST, "/app/cases", Some(&cookie), Some(&body))).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "{}", text(&created));
    let page = text(&console.handle(request(Method::GET, header_of(&created, "location"), Some(&cookie), None)).await);
    assert!(page.contains("Café Ñandú Ltda.") && page.contains("Sacos con humedad"), "{page}");
}
