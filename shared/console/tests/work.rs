//! *Mi trabajo* orders the user's cases by urgency, and the navigation counts them.

mod support;

use std::sync::Arc;

use gestiona_console::{Console, SignIn};
use gestiona_domain::TenantId;
use gestiona_domain::actor::{Actor, Role};
use gestiona_domain::service::Services;
use gestiona_domain::testing::{ManualClock, MemoryStore, RecordingQueue, SequentialIds};
use gestiona_domain::workflow::TransitionRequest;
use http::Method;
use serde_json::json;
use support::{request, sign_in, text};

fn ana() -> Actor {
    support::demo_actor("ana", Role::Agent)
}

#[tokio::test]
async fn my_work_puts_overdue_cases_first_and_counts_them() {
    let clock = Arc::new(ManualClock::at("2026-11-30T14:00:00Z"));
    let services = Services::new(
        Arc::new(MemoryStore::new()),
        Arc::new(RecordingQueue::default()),
        clock.clone(),
        Arc::new(SequentialIds::default()),
    );
    services.seed_demo(&TenantId::parse("demo").unwrap()).await.unwrap();
    let open = |subject: &str, priority: &str| {
        let services = &services;
        let case = json!({"type": "queja_calidad", "subject": subject, "owner": "ana", "priority": priority});
        async move { services.create_case(&ana(), serde_json::from_value(case).unwrap()).await.unwrap() }
    };
    let early = open("Abierta primero", "normal").await;
    clock.advance(3 * 24 * 3600);
    let later = open("Abierta después", "low").await;
    let waiting = open("Esperando fotos", "high").await;
    let step = |action: &str, result: &str| TransitionRequest {
        action: action.into(),
        result: result.into(),
        ..Default::default()
    };
    let moved =
        services.transition_case(&ana(), waiting.value.id, 1.into(), step("analizar", "en_analisis")).await.unwrap();
    let ask = TransitionRequest { note: Some("Pedimos fotos".into()), ..step("solicitar_informacion", "solicitada") };
    services.transition_case(&ana(), waiting.value.id, moved.case.version.into(), ask).await.unwrap();

    let console = Console::new(services.clone(), SignIn::LocalDemo, true);
    let (cookie, csrf) = sign_in(&console, "ana").await;
    let page = text(&console.handle(request(Method::GET, "/app/", Some(&cookie), None)).await);
    let needs_me = page.split("id=\"needs-me\"").nth(1).unwrap().split("id=\"waiting\"").next().unwrap();
    let first = needs_me.find("Abierta primero").expect("the overdue case");
    let second = needs_me.find("Abierta después").expect("the fresh case");
    assert!(first < second, "the overdue case comes first");
    let overdue_row = needs_me[first..].split("</tr>").next().unwrap();
    assert!(overdue_row.contains("badge breached\">Vencido"), "{overdue_row}");
    assert!(!needs_me.contains("Esperando fotos"), "cases waiting on the customer are apart");
    let waiting_part = page.split("id=\"waiting\"").nth(1).unwrap();
    assert!(waiting_part.contains("Esperando fotos"));
    assert!(page.contains("hx-get=\"/app/counts\" hx-trigger=\"load\""), "the counts load after the page");

    let counts = text(&console.handle(request(Method::GET, "/app/counts", Some(&cookie), None)).await);
    let work = counts.split("id=\"count-leads\"").next().unwrap();
    assert!(work.contains("class=\"count overdue\""), "{counts}");
    let spoken = work.split("class=\"sr-only\">").nth(1).unwrap().split('<').next().unwrap();
    // Ana's open cases that wait for her: the demo's, and these two (not the one waiting on the customer).
    let needing = needs_me.matches("<tr>").count() - 1;
    let overdue = needs_me.matches("badge breached\">Vencido").count();
    assert!(overdue >= 1 && needing >= 2);
    assert_eq!(spoken, format!("{needing} casos esperan su acción, {overdue} vencidos"));

    // The customer answers (someone else's change): the counts stay a minute as they were...
    let back = TransitionRequest { note: Some("Llegaron".into()), ..step("recibir_informacion", "recibida") };
    let current = services.get_case(&ana(), waiting.value.id).await.unwrap();
    services.transition_case(&ana(), waiting.value.id, current.version.into(), back).await.unwrap();
    let cached = text(&console.handle(request(Method::GET, "/app/counts", Some(&cookie), None)).await);
    assert_eq!(cached, counts, "kept for a minute");
    // ...until Ana herself changes something.
    let comment = format!("_csrf={csrf}&body=Revisado");
    let path = format!("/app/cases/{}/comments", early.value.id);
    let commented = console.handle(request(Method::POST, &path, Some(&cookie), Some(&comment))).await;
    assert_eq!(commented.status(), http::StatusCode::SEE_OTHER);
    let fresh = text(&console.handle(request(Method::GET, "/app/counts", Some(&cookie), None)).await);
    assert!(fresh.contains(&format!("{} casos esperan su acción", needing + 1)), "{fresh}");
    let _ = later;
}
