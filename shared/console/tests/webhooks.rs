//! *Webhooks* through `Console::handle`: administrators only; a subscription made with its
//! secret shown once; the form's errors; disabling, a stale version, rotation, the delivery log
//! with its replay, English, and deletion.

mod support;

use std::sync::Arc;

use gestiona_console::{Console, SignIn};
use gestiona_domain::effects::EffectBody;
use gestiona_domain::lead::NewLead;
use gestiona_domain::ports::{SystemClock, UlidGenerator};
use gestiona_domain::service::Services;
use gestiona_domain::testing::{AnsweringEndpoint, MemoryStore, RecordingQueue};
use gestiona_domain::{Role, TenantId};
use http::{Method, StatusCode};
use support::{encode, input_value, request, sign_in, text};

const LIST: &str = "/app/settings/webhooks";

async fn world() -> (Console, Services, Arc<RecordingQueue>) {
    let queue = Arc::new(RecordingQueue::default());
    let services = Services::new(
        Arc::new(MemoryStore::new()),
        queue.clone(),
        Arc::new(SystemClock),
        Arc::new(UlidGenerator::default()),
    );
    services.seed_demo(&TenantId::parse("demo").unwrap()).await.expect("seed");
    (Console::new(services.clone(), SignIn::LocalDemo, true), services, queue)
}

/// The path of the subscription page a page links to first.
fn subscription_path(page: &str) -> String {
    let after = page.split(&format!("href=\"{LIST}/")).nth(1).expect("a link to a subscription");
    format!("{LIST}/{}", after.split('"').next().unwrap())
}

/// Fans every queued webhook event out into deliveries and attempts them, as the webhooks
/// function does, at an endpoint that accepts them.
async fn fan_out(services: &Services, queue: &RecordingQueue) {
    for message in queue.published() {
        if matches!(message.body, EffectBody::WebhookEvent(_)) {
            services.handle_webhook_message(&message, &AnsweringEndpoint(200)).await.expect("fanned out");
        }
    }
}

#[tokio::test]
async fn only_administrators_see_and_use_the_webhooks_pages() {
    let (console, ..) = world().await;
    let (ana, csrf) = sign_in(&console, "ana").await;
    let work = text(&console.handle(request(Method::GET, "/app/", Some(&ana), None)).await);
    assert!(!work.contains(LIST), "no link for an agent");
    let refused = console.handle(request(Method::GET, LIST, Some(&ana), None)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(text(&refused).contains("requiere el permiso configuration.read"));
    let form = encode(&[("_csrf", &csrf), ("url", "https://erp.example.com/h"), ("events", "case.created")]);
    let posted = console.handle(request(Method::POST, LIST, Some(&ana), Some(&form))).await;
    assert_eq!(posted.status(), StatusCode::FORBIDDEN);

    let (admin, _) = sign_in(&console, "admin").await;
    let work = text(&console.handle(request(Method::GET, "/app/", Some(&admin), None)).await);
    assert!(work.contains("href=\"/app/settings\""), "the administrator's navigation links the settings");
    let settings = text(&console.handle(request(Method::GET, "/app/settings", Some(&admin), None)).await);
    assert!(settings.contains(&format!("href=\"{LIST}\"")), "which link the webhooks");
}

#[tokio::test]
async fn an_administrator_subscribes_copies_the_secret_once_and_manages_the_subscription() {
    let (console, services, queue) = world().await;
    let (admin, csrf) = sign_in(&console, "admin").await;
    let page = text(&console.handle(request(Method::GET, LIST, Some(&admin), None)).await);
    assert!(page.contains("Todavía no hay suscripciones.") && page.contains("Factura vencida"), "{page}");

    let form_id = input_value(&page, "formId");
    let posted_without =
        console.handle(request(Method::POST, LIST, Some(&admin), Some(&encode(&[("_csrf", &csrf)])))).await;
    assert_eq!(posted_without.status(), StatusCode::BAD_REQUEST, "a post that no form shown made");

    // The form's errors, on their inputs, with what was typed kept (and the form's id).
    let bad = encode(&[
        ("_csrf", &csrf),
        ("formId", &form_id),
        ("url", "http://erp.example.com/hooks"),
        ("description", "ERP"),
    ]);
    let refused = console.handle(request(Method::POST, LIST, Some(&admin), Some(&bad))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&refused);
    assert!(page.contains("debe ser una dirección https:// del receptor"), "{page}");
    assert!(page.contains("indique al menos un evento") && page.contains("value=\"http://erp.example.com/hooks\""));
    assert!(page.contains("aria-describedby=\"webhook-url-error\""));
    assert_eq!(input_value(&page, "formId"), form_id);

    let good = encode(&[
        ("_csrf", &csrf),
        ("formId", &form_id),
        ("url", "https://erp.example.com/hooks"),
        ("description", "ERP"),
        ("events", "lead.captured"),
        ("events", "invoice.overdue"),
    ]);
    let created = console.handle(request(Method::POST, LIST, Some(&admin), Some(&good))).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER, "post, then redirect: a reload posts nothing again");
    let path = support::header_of(&created, "location").to_owned();
    let page = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    let shown = page.split("id=\"secret\" class=\"code\" readonly value=\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(shown.starts_with("whsec_") && shown.len() > 40, "{shown}");
    assert!(page.contains("no se volverá a mostrar"));
    let again = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    assert!(!again.contains(shown) && again.contains(&format!("whsec_…{}", &shown[shown.len() - 4..])), "hint only");
    // The same form again (a double click): the same subscription, not a second one.
    let twice = console.handle(request(Method::POST, LIST, Some(&admin), Some(&good))).await;
    assert_eq!(support::header_of(&twice, "location"), path);
    let listed = text(&console.handle(request(Method::GET, LIST, Some(&admin), None)).await);
    assert_eq!(subscription_path(&listed), path);
    assert_eq!(listed.matches(&format!("href=\"{path}\"")).count(), 1, "{listed}");
    assert!(again.contains("Prospecto captado, Factura vencida") && again.contains("Activa"));

    // An event, fanned out: the log shows it, and it can be sent again.
    let lead =
        NewLead { name: "Laura Jiménez".into(), email: Some("laura@palmas.example".into()), ..Default::default() };
    services.create_lead(&support::demo_actor("admin", Role::Admin), lead).await.unwrap();
    fan_out(&services, &queue).await;
    let log = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    assert!(log.contains("<code>lead.captured</code>") && log.contains("Entregada"), "{log}");
    let replay = log.split("action=\"").find(|a| a.contains("/replay")).unwrap().split('"').next().unwrap().to_owned();
    let sent = console.handle(request(Method::POST, &replay, Some(&admin), Some(&encode(&[("_csrf", &csrf)])))).await;
    assert_eq!(sent.status(), StatusCode::OK);
    let page = text(&sent);
    assert!(page.contains("En cola de nuevo como una entrega nueva.") && page.contains("reenvía "), "{page}");

    // Disabled at the version shown; the same old version again is stale, and says so.
    let version = input_value(&page, "version");
    let disable = encode(&[("_csrf", &csrf), ("version", &version), ("status", "disabled")]);
    let done = console.handle(request(Method::POST, &format!("{path}/status"), Some(&admin), Some(&disable))).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let page = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    assert!(page.contains("Desactivada por un administrador") && page.contains(">Activar</button>"), "{page}");
    let stale = console.handle(request(Method::POST, &format!("{path}/status"), Some(&admin), Some(&disable))).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(text(&stale).contains("Alguien cambió esta suscripción"));
    let refused =
        console.handle(request(Method::POST, &replay, Some(&admin), Some(&encode(&[("_csrf", &csrf)])))).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(text(&refused).contains("Actívela antes de reenviar una entrega."));

    // A rotation shows the new secret once; the old one keeps signing for a day.
    let rotated = console
        .handle(request(Method::POST, &format!("{path}/rotate"), Some(&admin), Some(&encode(&[("_csrf", &csrf)]))))
        .await;
    assert_eq!(rotated.status(), StatusCode::SEE_OTHER);
    let page = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    let new = page.split("id=\"secret\" class=\"code\" readonly value=\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(new.starts_with("whsec_") && new != shown);
    assert!(page.contains("firma hasta"), "the replaced secret, with its end: {page}");

    // The edit form: a new address and events at the version shown.
    let version = input_value(&page, "version");
    let edit = encode(&[
        ("_csrf", &csrf),
        ("version", &version),
        ("url", "https://erp.example.com/v2/hooks"),
        ("events", "case.closed"),
    ]);
    let saved = console.handle(request(Method::POST, &path, Some(&admin), Some(&edit))).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = text(&console.handle(request(Method::GET, &path, Some(&admin), None)).await);
    assert!(page.contains("<h1>https://erp.example.com/v2/hooks</h1>") && page.contains("Caso cerrado"), "{page}");

    // In English for an administrator who reads English.
    support::admin_reads_english(&services).await;
    let (english, english_csrf) = sign_in(&console, "admin").await;
    let page = text(&console.handle(request(Method::GET, &path, Some(&english), None)).await);
    assert!(page.contains("Disabled by an administrator") && page.contains("Rotate the signing secret"), "{page}");
    assert!(page.contains("Deliveries") && page.contains("Send again"));

    let version = input_value(&page, "version");
    let delete = encode(&[("_csrf", &english_csrf), ("version", &version)]);
    let deleted = console.handle(request(Method::POST, &format!("{path}/delete"), Some(&english), Some(&delete))).await;
    let page = text(&deleted);
    assert!(page.contains("The subscription was deleted.") && page.contains("No subscriptions yet."), "{page}");
    let gone = console.handle(request(Method::GET, &path, Some(&english), None)).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}
