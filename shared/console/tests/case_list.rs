//! *Casos*: filters, saved views, the export and bulk actions.

mod support;

use http::{Method, StatusCode};
use support::{console, encode, header_of, request, sign_in, text};

/// The subjects of the case rows of a list page.
fn subjects(page: &str) -> Vec<String> {
    page.split("<td><a href=\"/app/cases/")
        .skip(1)
        .map(|rest| rest.split('>').nth(1).unwrap().split('<').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn filters_narrow_the_list_and_bad_ones_are_explained() {
    let console = console().await;
    let (cookie, _) = sign_in(&console, "sofia").await;
    let get = |path: &str| request(Method::GET, path, Some(&cookie), None);
    let all = text(&console.handle(get("/app/cases")).await);
    assert!(subjects(&all).len() >= 3, "{all}");
    let urgent = text(&console.handle(get("/app/cases?priority=urgent")).await);
    assert_eq!(subjects(&urgent), ["Lote de café 2026-41 con humedad"]);
    assert!(urgent.contains("<option value=\"urgent\" selected>Urgente</option>"), "the form shows the filter");
    let typed = text(&console.handle(get("/app/cases?type=recepcion_vehiculos&channel=phone")).await);
    assert!(subjects(&typed).iter().all(|s| s.starts_with("Camión")) && !subjects(&typed).is_empty());
    assert!(typed.contains("Recepción de Vehículos"), "types by name, not key");

    let bad = console.handle(get("/app/cases?from=ayer&priority=altisima")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(&bad);
    assert!(html.contains("Abierto desde: debe ser una fecha AAAA-MM-DD"), "{html}");
    assert!(html.contains("Prioridad: debe ser uno de estos valores"), "{html}");
}

#[tokio::test]
async fn a_view_is_saved_reopened_shared_and_deleted() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let save = encode(&[("_csrf", &csrf), ("query", "priority=urgent"), ("name", "Urgentes"), ("shared", "true")]);
    let saved = console.handle(request(Method::POST, "/app/views", Some(&cookie), Some(&save))).await;
    assert_eq!((saved.status(), header_of(&saved, "location")), (StatusCode::SEE_OTHER, "/app/cases?priority=urgent"));

    // Another user sees the shared view in the tabs, and it opens the filtered list.
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let list = text(&console.handle(request(Method::GET, "/app/cases", Some(&ana), None)).await);
    assert!(
        list.contains("<a href=\"/app/cases?priority=urgent\">Urgentes <span class=\"muted\">· compartida</span></a>"),
        "{list}"
    );
    let opened = text(&console.handle(request(Method::GET, "/app/cases?priority=urgent", Some(&ana), None)).await);
    assert!(opened.contains("aria-current=\"page\">Urgentes"), "the view is marked as the current one");
    assert!(!opened.contains("Eliminar la vista"), "an agent cannot delete a shared view");
    // An agent may keep views of their own, but not share them.
    let share =
        encode(&[("_csrf", &ana_csrf), ("query", "channel=phone"), ("name", "Por teléfono"), ("shared", "true")]);
    let refused = console.handle(request(Method::POST, "/app/views", Some(&ana), Some(&share))).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(text(&refused).contains("requiere el rol supervisor"));
    let unnamed = encode(&[("_csrf", &ana_csrf), ("query", "channel=phone"), ("name", " ")]);
    let refused = console.handle(request(Method::POST, "/app/views", Some(&ana), Some(&unnamed))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let mine = text(&console.handle(request(Method::GET, "/app/cases?priority=urgent", Some(&cookie), None)).await);
    let delete = mine.split("action=\"/app/views/").nth(1).expect("the owner may delete it").split('/').next().unwrap();
    let path = format!("/app/views/{delete}/delete");
    let deleted = console.handle(request(Method::POST, &path, Some(&cookie), Some(&format!("_csrf={csrf}")))).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    let list = text(&console.handle(request(Method::GET, "/app/cases", Some(&ana), None)).await);
    assert!(!list.contains("Urgentes"), "gone for everyone");
}

#[tokio::test]
async fn the_export_is_the_filtered_list_and_safe_in_a_spreadsheet() {
    let console = console().await;
    let (cookie, _) = sign_in(&console, "sofia").await;
    let export = console.handle(request(Method::GET, "/app/cases/export?priority=urgent", Some(&cookie), None)).await;
    assert_eq!(export.status(), StatusCode::OK);
    assert_eq!(header_of(&export, "content-type"), "text/csv; charset=utf-8");
    assert_eq!(header_of(&export, "content-disposition"), "attachment; filename=\"casos.csv\"");
    let csv = text(&export);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "the header and the one urgent case: {csv}");
    assert!(lines[0].starts_with("id,Asunto,Tipo,Estado,Prioridad"), "{csv}");
    assert!(
        lines[1].contains("Lote de café 2026-41 con humedad")
            && lines[1].contains("Urgente")
            && lines[1].contains("45.000,00")
    );
}

#[tokio::test]
async fn bulk_actions_report_each_case_and_skip_the_ones_that_changed() {
    let console = console().await;
    let (cookie, csrf) = sign_in(&console, "sofia").await;
    let list = text(&console.handle(request(Method::GET, "/app/cases", Some(&cookie), None)).await);
    let picks: Vec<String> = list
        .split("name=\"case\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .take(2)
        .collect();
    assert_eq!(picks.len(), 2, "supervisors get a checkbox per row: {list}");
    // The second case changes after the list was shown: it must be left alone.
    let (second_id, second_version) = picks[1].split_once(':').unwrap();
    let stale = format!("{second_id}:{}", second_version.parse::<u64>().unwrap() - 1);
    let form = encode(&[
        ("_csrf", &csrf),
        ("query", ""),
        ("case", &picks[0]),
        ("case", &stale),
        ("owner", "carlos"),
        ("do", "reassign"),
    ]);
    let done = console.handle(request(Method::POST, "/app/cases/bulk", Some(&cookie), Some(&form))).await;
    assert_eq!(done.status(), StatusCode::OK);
    let html = text(&done);
    let results =
        html.split("id=\"bulk-results\"").nth(1).expect("a result per case").split("</section>").next().unwrap();
    assert_eq!(results.matches("<li class=\"ok\">").count(), 1, "{results}");
    assert!(results.contains("Reasignado a carlos"), "{results}");
    assert!(results.contains("alguien lo cambió desde que se mostró la lista"), "{results}");

    let nothing = encode(&[("_csrf", &csrf), ("query", ""), ("do", "archive")]);
    let refused = console.handle(request(Method::POST, "/app/cases/bulk", Some(&cookie), Some(&nothing))).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&refused).contains("Seleccione al menos un caso"));

    // Agents see no checkboxes, and the domain refuses them anyway.
    let (ana, ana_csrf) = sign_in(&console, "ana").await;
    let theirs = text(&console.handle(request(Method::GET, "/app/cases", Some(&ana), None)).await);
    assert!(!theirs.contains("name=\"case\""));
    let list = text(&console.handle(request(Method::GET, "/app/cases", Some(&cookie), None)).await);
    let pick = list.split("name=\"case\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let form = encode(&[("_csrf", &ana_csrf), ("query", ""), ("case", &pick), ("do", "archive")]);
    let tried = text(&console.handle(request(Method::POST, "/app/cases/bulk", Some(&ana), Some(&form))).await);
    assert!(tried.contains("requiere el permiso cases.archive"), "{tried}");
}

#[tokio::test]
async fn the_list_sorts_by_nearest_deadline_and_by_last_change() {
    let console = console().await;
    let (cookie, _) = sign_in(&console, "sofia").await;
    let get = |path: &str| request(Method::GET, path, Some(&cookie), None);
    let due = text(&console.handle(get("/app/cases?sort=due")).await);
    assert!(due.contains("<option value=\"due\" selected>Vencimiento más próximo primero</option>"), "{due}");
    // Each row's second cell is its nearest deadline: the rows with one come first.
    let dated: Vec<bool> = due
        .split("<td><a href=\"/app/cases/")
        .skip(1)
        .map(|row| !row.split("</td>").nth(1).unwrap().trim_start_matches("\n    <td>").is_empty())
        .collect();
    assert!(dated.len() >= 3 && dated[0], "{dated:?}");
    assert!(dated.windows(2).all(|w| w[0] || !w[1]), "no dated row after an undated one: {dated:?}");
    assert_eq!(
        {
            let mut all = subjects(&due);
            all.sort();
            all
        },
        {
            let mut all = subjects(&text(&console.handle(get("/app/cases")).await));
            all.sort();
            all
        },
        "the same cases in another order"
    );

    let updated = subjects(&text(&console.handle(get("/app/cases?sort=updated")).await));
    let mut untouched = subjects(&text(&console.handle(get("/app/cases?sort=untouched")).await));
    untouched.reverse();
    assert_eq!(updated, untouched);

    let bad = console.handle(get("/app/cases?sort=alfabetico")).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&bad).contains("oldest, due, updated, untouched"), "{}", text(&bad));
}
