//! The case page's forms: a step that asks for the fields its result requires, the case data
//! form and its conflict screen, and the time limits explained.

mod support;

use gestiona_console::{Console, SignIn};
use gestiona_domain::actor::{Actor, Role};
use gestiona_domain::service::Services;
use http::{Method, StatusCode};
use serde_json::json;
use support::{demo_services, encode, request, sign_in, text};

fn sofia() -> Actor {
    support::demo_actor("sofia", Role::Supervisor)
}

/// The demo console with one more case, opened through the use case: its page's path.
async fn with_case(new_case: serde_json::Value) -> (Console, Services, String) {
    let services = demo_services().await;
    let case = services.create_case(&sofia(), serde_json::from_value(new_case).unwrap()).await.unwrap();
    let console = Console::new(services.clone(), SignIn::LocalDemo, true);
    (console, services, format!("/app/cases/{}", case.value.id))
}

/// The value of the hidden input `name` in the form posting to `action`.
fn hidden(page: &str, action: &str, name: &str) -> String {
    let form = page.split(&format!("action=\"{action}\"")).nth(1).expect("the form");
    let form = form.split("</form>").next().unwrap();
    form.split(&format!("name=\"{name}\" value=\"")).nth(1).unwrap().split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_step_asks_for_the_fields_its_result_requires() {
    let (console, services, case) = with_case(json!({"type": "solicitud_credito", "subject": "Crédito pyme"})).await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    // The result that needs the amount and the term asks for them instead of staying disabled.
    assert!(page.contains("id=\"step-iniciar_estudio-documentos_completos-amount\""), "{page}");
    assert!(page.contains("Monto (CRC)"), "the amount's label names the currency");
    assert!(page.contains("id=\"step-iniciar_estudio-documentos_completos-cf-plazoMeses\""));
    let version = hidden(&page, &format!("{case}/transitions"), "version");
    let path = format!("{case}/transitions");
    let step = |amount: &str, term: &str| {
        encode(&[
            ("_csrf", &csrf),
            ("version", &version),
            ("action", "iniciar_estudio"),
            ("result", "documentos_completos"),
            ("amount", amount),
            ("cf.plazoMeses", term),
        ])
    };

    let refused = console.handle(request(Method::POST, &path, Some(&cookie), Some(&step("dos millones", "24")))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(&refused);
    assert!(html.contains("Escriba el monto en cifras"), "the reason, inline and in Spanish");
    assert!(html.contains("aria-describedby=\"step-iniciar_estudio-documentos_completos-amount-error\""));
    assert!(html.contains("value=\"dos millones\""), "what the user typed stays in the form");

    let taken = console.handle(request(Method::POST, &path, Some(&cookie), Some(&step("2.500.000,00", "24")))).await;
    assert_eq!(taken.status(), StatusCode::SEE_OTHER, "{}", text(&taken));
    let id = case.rsplit('/').next().unwrap();
    let stored = services.get_case(&sofia(), id.parse().unwrap()).await.unwrap().value;
    assert_eq!((stored.state.as_str(), stored.amount.map(|a| a.amount_minor)), ("pre_estudios", Some(250_000_000)));
    assert_eq!(stored.custom_fields["plazoMeses"], json!(24));
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    assert!(page.contains("₡2.500.000,00"), "the amount in the user's format");

    // The activity says in words what the step did, newest first, in the tenant's time zone.
    let activity = page.split("id=\"activity-heading\"").nth(1).unwrap();
    let step = activity.find("Iniciar pre-estudio: Documentos completos").expect("the step, by its names");
    let changed = activity.find("Cambió los datos del caso").expect("the fields it set");
    let opened = activity.find("Abierto en «Creado»").expect("the opening");
    assert!(step.min(changed) < opened, "newest first");
    assert!(activity.contains("Monto: — → ₡2.500.000,00") && activity.contains("Plazo (meses): — → 24"), "{activity}");
    let zone = jiff::tz::TimeZone::get("America/Costa_Rica").unwrap();
    let created = stored.created_at.to_zoned(zone).strftime("%d/%m/%Y %H:%M").to_string();
    assert!(page.contains(&created), "times in Costa Rica's time zone, day first: {created}");
    assert!(!page.contains(" UTC"), "no UTC times");
}

#[tokio::test]
async fn an_edit_after_someone_elses_shows_what_they_changed_and_saves_nothing() {
    let new_case = json!({"type": "queja_calidad", "subject": "Sacos húmedos", "customFields": {"lote": "L-1"}});
    let (console, services, case) = with_case(new_case).await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let (other_cookie, other_csrf) = sign_in(&console, "ana").await;
    let action = format!("{case}/fields");
    // Both open the form at the same version.
    let mine = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    let theirs = text(&console.handle(request(Method::GET, &case, Some(&other_cookie), None)).await);
    let form = |page: &str, csrf: &str, lote: &str| {
        let was = hidden(page, &action, "was.cf.lote");
        let version = hidden(page, &action, "version");
        let priority = hidden(page, &action, "was.priority");
        encode(&[
            ("_csrf", csrf),
            ("version", &version),
            ("was.cf.lote", &was),
            ("cf.lote", lote),
            ("was.priority", &priority),
            ("priority", &priority),
        ])
    };
    assert_eq!(hidden(&mine, &action, "was.cf.lote"), "L-1");

    let first = console
        .handle(request(Method::POST, &action, Some(&other_cookie), Some(&form(&theirs, &other_csrf, "L-2"))))
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER, "{}", text(&first));
    let second = console.handle(request(Method::POST, &action, Some(&cookie), Some(&form(&mine, &csrf, "L-3")))).await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    let html = text(&second);
    assert!(html.contains("Otra persona guardó este caso"), "{html}");
    assert!(html.contains("Guardado por última vez por ana"), "who changed it");
    let row =
        html.split("<th scope=\"row\">Lote</th>").nth(1).expect("the changed field").split("</tr>").next().unwrap();
    assert_eq!(row, "<td>L-1</td><td>L-2</td><td>L-3</td>", "before, now, and the user's unsaved value");
    assert!(html.contains("Recargar el caso"));
    let id = case.rsplit('/').next().unwrap();
    let stored = services.get_case(&sofia(), id.parse().unwrap()).await.unwrap().value;
    assert_eq!(stored.custom_fields["lote"], json!("L-2"), "the later edit overwrote nothing");

    // From the refreshed form (the case as it is now), the same change goes through.
    let again = console.handle(request(Method::POST, &action, Some(&cookie), Some(&form(&html, &csrf, "L-3")))).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER, "{}", text(&again));
    let stored = services.get_case(&sofia(), id.parse().unwrap()).await.unwrap().value;
    assert_eq!(stored.custom_fields["lote"], json!("L-3"));
}

#[tokio::test]
async fn the_case_data_form_refuses_bad_figures_inline() {
    let new_case = json!({"type": "recepcion_vehiculos", "subject": "Revisión", "customFields": {"placa": "ABC-123"}});
    let (console, _, case) = with_case(new_case).await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    let action = format!("{case}/fields");
    let version = hidden(&page, &action, "version");
    let post = encode(&[
        ("_csrf", &csrf),
        ("version", &version),
        ("cf.kilometraje", "mucho"),
        ("cf.placa", "ABC-123"),
        ("was.cf.placa", "ABC-123"),
    ]);
    let refused = console.handle(request(Method::POST, &action, Some(&cookie), Some(&post))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(&refused);
    assert!(html.contains("Revise los campos marcados"), "{html}");
    assert!(html.contains("id=\"edit-cf-kilometraje-error\""), "the error sits under its input");
    assert!(html.contains("value=\"mucho\""), "the typed value stays");
}

#[tokio::test]
async fn the_time_limits_are_explained() {
    // Owned by Carlos, who reads it in English below.
    let new_case = json!({"type": "queja_calidad", "subject": "Etiqueta mal impresa", "owner": "carlos"});
    let (console, _, case) = with_case(new_case).await;
    let (cookie, _) = sign_in(&console, "sofia").await;
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    let section = page.split("id=\"clocks-heading\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(section.contains("Primera respuesta") && section.contains("Resolución"), "{section}");
    assert!(section.contains("En curso"), "{section}");
    assert!(section.contains("hábiles contados") && section.contains("Vence el"), "{section}");
    assert!(section.contains("calendario"), "which calendar the business time follows: {section}");

    let (cookie, _) = sign_in(&console, "carlos").await;
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    assert!(page.contains("First response") && page.contains("business time counted"), "and in English");
}

#[tokio::test]
async fn a_document_is_asked_for_with_its_fields_in_words() {
    let (console, services, case) = with_case(json!({"type": "queja_calidad", "subject": "Cotizar reposición"})).await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let page =
        text(&console.handle(request(Method::GET, &format!("{case}?document=quote"), Some(&cookie), None)).await);
    assert!(page.contains("Todavía no hay documentos"), "{page}");
    assert!(page.contains("aria-label=\"Cotización\""), "the quote's form is open");
    assert!(
        page.contains("<label for=\"doc-validUntil\">Válida hasta</label>")
            && page.contains("Línea 1: precio unitario")
    );

    let path = format!("{case}/documents");
    let post = |pairs: &[(&str, &str)]| {
        let mut all = vec![("_csrf", csrf.as_str()), ("template", "quote")];
        all.extend_from_slice(pairs);
        request(Method::POST, &path, Some(&cookie), Some(&encode(&all)))
    };
    let refused = console
        .handle(post(&[
            ("validUntil", "2026-12-31"),
            ("line1.description", "Sacos"),
            ("line1.quantity", "dos"),
            ("line1.price", "1.500,00"),
        ]))
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(&refused);
    assert!(html.contains("id=\"doc-line1-quantity-error\""), "the bad cell is marked: {html}");
    assert!(html.contains("value=\"Sacos\""), "what was typed stays");
    let missing = text(
        &console
            .handle(post(&[("line1.description", "Sacos"), ("line1.quantity", "2"), ("line1.price", "1500")]))
            .await,
    );
    assert!(missing.contains("id=\"doc-validUntil-error\" class=\"error\">la plantilla lo exige"), "{missing}");

    // A case with no account or contact has nobody to address a quote to: the form says so.
    let complete = [
        ("validUntil", "2026-12-31"),
        ("line1.description", "Sacos"),
        ("line1.quantity", "2"),
        ("line1.price", "1500"),
    ];
    let nobody = text(&console.handle(post(&complete)).await);
    assert!(nobody.contains("el caso no tiene cuenta ni contacto a quien dirigir el documento"), "{nobody}");
    let id: gestiona_domain::EntityId = case.rsplit('/').next().unwrap().parse().unwrap();
    let first = gestiona_domain::service::PageRequest::new(Some(1), None).unwrap();
    let accounts = services.list_accounts(&sofia(), &Default::default(), &first).await.unwrap();
    let patch =
        gestiona_domain::case::CasePatch { account_id: Some(Some(accounts.items[0].value.id)), ..Default::default() };
    services.update_case(&sofia(), id, 1.into(), patch).await.unwrap();

    let asked = console
        .handle(post(&[
            ("validUntil", "2026-12-31"),
            ("line1.description", "Sacos de yute"),
            ("line1.quantity", "2"),
            ("line1.price", "1.500,00"),
        ]))
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER, "{}", text(&asked));
    let documents = services.list_documents(&sofia(), id).await.unwrap();
    assert_eq!(documents.len(), 1);
    let page = text(&console.handle(request(Method::GET, &case, Some(&cookie), None)).await);
    assert!(page.contains("En preparación"), "{page}");
    assert!(
        page.contains(&format!("hx-get=\"{case}/documents\" hx-trigger=\"every 2s\"")),
        "the section refreshes itself"
    );
    let section = console.handle(request(Method::GET, &path, Some(&cookie), None)).await;
    assert!(text(&section).starts_with("<section id=\"documents\""), "the fragment alone");
    let early = console.handle(request(Method::GET, &format!("{path}/{}", documents[0].id), Some(&cookie), None)).await;
    assert_eq!(early.status(), StatusCode::CONFLICT, "nothing to download yet");
    assert!(text(&early).contains("no está listo"));
}
