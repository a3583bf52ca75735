//! Black-box tests of case types as data and the workflow, over HTTP against gestiona-local.

mod common;

use std::collections::{BTreeMap, HashMap, VecDeque};

use common::{Caller, Server, all_items};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A step of a walk: action, result and the result's definition.
type Step = (String, String, Value);

/// The shortest walk from the initial state to `target`, following the definition's table.
fn walk(definition: &Value, target: &str) -> Option<Vec<Step>> {
    let states: HashMap<&str, &str> = definition["states"]
        .as_array()?
        .iter()
        .map(|s| (s["key"].as_str().unwrap(), s["class"].as_str().unwrap()))
        .collect();
    let start = definition["initialState"].as_str()?;
    let mut previous: HashMap<String, (String, Step)> = HashMap::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    let mut seen = vec![start.to_owned()];
    while let Some(state) = queue.pop_front() {
        if state == target {
            let mut steps = Vec::new();
            let mut at = state;
            while let Some((from, step)) = previous.get(&at) {
                steps.push(step.clone());
                at = from.clone();
            }
            steps.reverse();
            return Some(steps);
        }
        let closed = states[state.as_str()].starts_with("closed");
        for action in definition["actions"].as_array()? {
            let from: Vec<&str> =
                action["from"].as_array().map(|f| f.iter().map(|s| s.as_str().unwrap()).collect()).unwrap_or_default();
            let offered = if from.is_empty() { !closed } else { from.contains(&state.as_str()) };
            if !offered {
                continue;
            }
            for result in action["results"].as_array()? {
                let next = result["next"].as_str().unwrap_or(&state).to_owned();
                if !seen.contains(&next) {
                    seen.push(next.clone());
                    let step = (action["key"].as_str()?.to_owned(), result["key"].as_str()?.to_owned(), result.clone());
                    previous.insert(next.clone(), (state.clone(), step));
                    queue.push_back(next);
                }
            }
        }
    }
    None
}

/// A valid value for a custom field of the definition.
fn sample(definition: &Value, key: &str) -> Value {
    let field =
        definition["customFields"].as_array().unwrap().iter().find(|f| f["key"] == key).expect("declared field");
    match field["kind"].as_str().unwrap() {
        "text" => json!(format!("{key}-001")),
        "number" => json!(12),
        "money" => json!(125_000),
        // Far ahead: a promissory note's due date must follow its issue date.
        "date" => json!("2099-11-30"),
        "boolean" => json!(true),
        "choice" => field["options"][0].clone(),
        other => panic!("unknown kind {other}"),
    }
}

/// A case's documents once none is waiting for the worker (15 s at most).
async fn settled_documents(caller: &Caller<'_>, path: &str) -> Vec<Value> {
    for _ in 0..60 {
        let listed = caller.get(path).await;
        let items = listed.body["items"].as_array().cloned().unwrap_or_default();
        if items.iter().all(|d| d["status"] != "queued") {
            return items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("{path}: documents still queued after 15 s");
}

#[tokio::test]
async fn every_seeded_type_walks_to_each_closed_state_with_full_history_and_its_documents() {
    let server = Server::start();
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    // A promissory note names the debtor's id.
    let account = sofia.post("/accounts", json!({"name": "Cliente de pruebas", "taxId": "3-101-000001"})).await;
    let account_id = account.body["id"].as_str().unwrap().to_owned();
    let contact = sofia
        .post("/contacts", json!({"firstName": "Rosa", "email": "rosa@pruebas.example", "accountId": account_id}))
        .await;
    let contact_id = contact.body["id"].as_str().unwrap().to_owned();

    let types = all_items(&sofia, "/case-types").await;
    assert_eq!(types.len(), 6);
    let mut walked = BTreeMap::new();
    for definition in &types {
        let key = definition["key"].as_str().unwrap();
        let closed: Vec<&str> = definition["states"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["class"].as_str().unwrap().starts_with("closed"))
            .map(|s| s["key"].as_str().unwrap())
            .collect();
        for target in closed {
            let steps = walk(definition, target).unwrap_or_else(|| panic!("{key}: no walk to {target}"));
            let required: serde_json::Map<String, Value> = definition["customFields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["required"] == true)
                .map(|f| (f["key"].as_str().unwrap().to_owned(), sample(definition, f["key"].as_str().unwrap())))
                .collect();
            let created = sofia
                .post(
                    "/cases",
                    json!({"type": key, "subject": format!("{key} → {target}"), "description": "Prueba de recorrido",
                           "accountId": account_id, "contactId": contact_id, "branch": "Central",
                           "amount": {"amountMinor": 500_000, "currency": "CRC"}, "customFields": required}),
                )
                .await;
            assert_eq!(created.status, StatusCode::CREATED, "{key}: {}", created.body);
            let path = created.headers["location"].to_str().unwrap().to_owned();
            let mut etag = created.etag();
            for (n, (action, result, definition_of_result)) in steps.iter().enumerate() {
                let fields: serde_json::Map<String, Value> = definition_of_result["requiredFields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str().unwrap().strip_prefix("customFields."))
                    .map(|k| (k.to_owned(), sample(definition, k)))
                    .collect();
                let body = json!({"action": action, "result": result, "note": format!("Paso {n}"), "fields": fields});
                let moved = sofia.send(Method::POST, &format!("{path}/transitions"), Some(&body), Some(&etag)).await;
                assert_eq!(moved.status, StatusCode::OK, "{key} step {n} {action}/{result}: {}", moved.body);
                let expected_state = definition_of_result["next"].as_str().map(str::to_owned);
                if let Some(next) = expected_state {
                    assert_eq!(moved.body["state"], next.as_str());
                }
                etag = moved.etag();
            }
            let case = sofia.get(&path).await;
            assert_eq!(case.body["state"], target, "{key}");
            assert!(case.body["stateClass"].as_str().unwrap().starts_with("closed"));
            assert!(case.body["closedAt"].is_string(), "closing stamps closedAt");
            let history = all_items(&sofia, &format!("{path}/history")).await;
            let transitions: Vec<&Value> = history.iter().filter(|e| e["type"] == "transitioned").collect();
            assert_eq!(transitions.len(), steps.len(), "{key} → {target}: one history event per step");
            for (n, (event, (action, result, _))) in transitions.iter().zip(&steps).enumerate() {
                assert_eq!(event["actor"], "sofia");
                assert_eq!(
                    (event["action"].as_str().unwrap(), event["result"].as_str().unwrap()),
                    (action.as_str(), result.as_str())
                );
                assert_eq!(event["note"], format!("Paso {n}"));
                assert!(event["at"].is_string() && event["from"].is_string() && event["to"].is_string());
            }
            let expected_documents = steps
                .iter()
                .flat_map(|(_, _, result)| result["effects"].as_array().cloned().unwrap_or_default())
                .filter(|effect| effect["type"] == "document")
                .count();
            let documents = settled_documents(&sofia, &format!("{path}/documents")).await;
            assert_eq!(documents.len(), expected_documents, "{key} → {target}: {documents:?}");
            for document in &documents {
                assert_eq!(document["status"], "ready", "{key} → {target}: every document is produced: {document}");
            }
            let offered = sofia.get(&format!("{path}/transitions")).await;
            assert!(offered.body["actions"].as_array().unwrap().iter().all(|a| !a["key"].as_str().unwrap().is_empty()));
            walked.insert(format!("{key} → {target}"), steps.len());
        }
    }
    assert_eq!(walked.len(), 12, "both closed states of each of the six seeded types: {walked:?}");
}

#[tokio::test]
async fn refused_transitions_say_why_and_leave_no_trace() {
    let server = Server::start();
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let created = ana.post("/cases", json!({"type": "devolucion", "subject": "Caja abollada", "owner": "ana"})).await;
    let path = created.headers["location"].to_str().unwrap().to_owned();
    let post = |body: Value, tag: &str| {
        let path = format!("{path}/transitions");
        let tag = tag.to_owned();
        let ana = &ana;
        async move { ana.send(Method::POST, &path, Some(&body), Some(&tag)).await }
    };

    let offered = ana.get(&format!("{path}/transitions")).await;
    assert_eq!(offered.body["state"], "solicitada");
    let keys: Vec<_> = offered.body["actions"].as_array().unwrap().iter().map(|a| a["key"].clone()).collect();
    assert_eq!(keys, ["revisar"]);

    let not_here = post(json!({"action": "emitir_nota", "result": "emitida"}), "\"1\"").await;
    assert_eq!(
        (not_here.status, not_here.problem_type()),
        (StatusCode::UNPROCESSABLE_ENTITY, "urn:gestiona:problem:transition-not-allowed")
    );
    assert_eq!(not_here.body["allowedActions"], json!(["revisar"]));
    assert_eq!(not_here.fields(), ["action"]);
    let bad_result = post(json!({"action": "revisar", "result": "aprobada"}), "\"1\"").await;
    assert_eq!(
        (bad_result.status, bad_result.body["allowedResults"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(["en_revision"]))
    );
    let missing_if_match =
        ana.post(&format!("{path}/transitions"), json!({"action": "revisar", "result": "en_revision"})).await;
    assert_eq!(missing_if_match.status, StatusCode::PRECONDITION_REQUIRED);

    // Two racing transitions on version 1: one wins, the other leaves no trace.
    let (a, b) = tokio::join!(
        post(json!({"action": "revisar", "result": "en_revision", "note": "A"}), "\"1\""),
        post(json!({"action": "revisar", "result": "en_revision", "note": "B"}), "\"1\"")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED]);
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let history = all_items(&sofia, &format!("{path}/history")).await;
    assert_eq!(history.iter().filter(|e| e["type"] == "transitioned").count(), 1);
    // The review pool may have handed the case to Carlos, of another team, whose cases Ana
    // does not see: the supervisor gives it back to her for the refusals below.
    let case = sofia.get(&path).await;
    let back = sofia.patch(&path, json!({"owner": "ana"}), &case.etag()).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    let version = back.etag();

    // A guard on the role names the role; nothing changes.
    let role = post(json!({"action": "dictaminar", "result": "aprobada"}), &version).await;
    assert_eq!((role.status, role.body["requiredRoles"].clone()), (StatusCode::FORBIDDEN, json!(["supervisor"])));
    let note = sofia
        .send(
            Method::POST,
            &format!("{path}/transitions"),
            Some(&json!({"action": "dictaminar", "result": "rechazada"})),
            Some(&version),
        )
        .await;
    assert_eq!((note.status, note.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["note".to_owned()]));
    let approved = sofia
        .send(
            Method::POST,
            &format!("{path}/transitions"),
            Some(&json!({"action": "dictaminar", "result": "aprobada"})),
            Some(&version),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    // A guard on a field names the field; sending it with the transition satisfies it.
    let tag = approved.etag();
    let missing = post(json!({"action": "emitir_nota", "result": "emitida"}), &tag).await;
    assert_eq!(
        (missing.status, missing.problem_type()),
        (StatusCode::UNPROCESSABLE_ENTITY, "urn:gestiona:problem:missing-fields")
    );
    assert_eq!(missing.fields(), ["customFields.notaCredito"]);
    let wrong_type =
        post(json!({"action": "emitir_nota", "result": "emitida", "fields": {"notaCredito": 5}}), &tag).await;
    assert_eq!(wrong_type.fields(), ["fields.notaCredito"]);
    let done =
        post(json!({"action": "emitir_nota", "result": "emitida", "fields": {"notaCredito": "NC-0042"}}), &tag).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(
        (done.body["state"].clone(), done.body["customFields"]["notaCredito"].clone()),
        (json!("nota_credito_emitida"), json!("NC-0042"))
    );
    let after = ana.get(&format!("{path}/transitions")).await;
    assert_eq!(after.body["actions"], json!([]), "nothing is offered in a closed state");
}

#[tokio::test]
async fn a_step_sets_the_case_fields_its_result_requires() {
    let server = Server::start();
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let created = sofia.post("/cases", json!({"type": "solicitud_credito", "subject": "Crédito sin monto"})).await;
    let path = created.headers["location"].to_str().unwrap().to_owned();
    let step = |extra: Value| {
        let mut body = json!({"action": "iniciar_estudio", "result": "documentos_completos"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let sofia = &sofia;
        let path = format!("{path}/transitions");
        async move { sofia.send(Method::POST, &path, Some(&body), Some("\"1\"")).await }
    };

    let opened = all_items(&sofia, &format!("{path}/history")).await;
    let missing = step(json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.fields(), ["amount", "customFields.plazoMeses"]);
    let bad = step(
        json!({"caseFields": {"amount": {"amountMinor": -5, "currency": "colones"}}, "fields": {"plazoMeses": 24}}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.fields().iter().all(|f| f.starts_with("caseFields.amount")), "{:?}", bad.fields());
    let amount = json!({"amountMinor": 250_000_000, "currency": "CRC"});
    let nobody =
        step(json!({"caseFields": {"accountId": "01JD0000000000000000000000", "amount": amount}, "fields": {"plazoMeses": 24}}))
            .await;
    assert_eq!(nobody.fields(), ["caseFields.accountId"], "{}", nobody.body);
    let unknown = step(json!({"caseFields": {"state": "aprobado"}})).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "the state moves only by steps");
    let history = all_items(&sofia, &format!("{path}/history")).await;
    assert_eq!(history, opened, "refused steps leave no trace");

    let done = step(json!({"caseFields": {"amount": amount, "branch": "Heredia"}, "fields": {"plazoMeses": 24}})).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["amount"], json!({"amountMinor": 250_000_000, "currency": "CRC"}));
    assert_eq!((done.body["branch"].clone(), done.body["state"].clone()), (json!("Heredia"), json!("pre_estudios")));
    let history = all_items(&sofia, &format!("{path}/history")).await;
    let updated = history.iter().find(|e| e["type"] == "updated").expect("the step records what it changed");
    let mut changed: Vec<&str> =
        updated["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    changed.sort_unstable();
    assert_eq!(changed, ["amount", "branch", "customFields"]);
}

#[tokio::test]
async fn round_robin_is_fair_under_fifty_concurrent_creations() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let agents = ["a1", "a2", "a3", "a4", "a5"];
    let definition = json!({
        "key": "mesa_ayuda", "name": "Mesa de ayuda", "initialState": "nuevo",
        "states": [
            {"key": "nuevo", "name": "Nuevo", "class": "open", "pool": {"agents": agents, "strategy": "round_robin"}},
            {"key": "cerrado", "name": "Cerrado", "class": "closed_success"}
        ],
        "actions": [{"key": "cerrar", "name": "Cerrar", "results": [{"key": "ok", "name": "Resuelto", "next": "cerrado"}]}]
    });
    let created = admin.post("/case-types", definition).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let posts: Vec<_> =
        (0..50).map(|n| ana.post("/cases", json!({"type": "mesa_ayuda", "subject": format!("Ticket {n}")}))).collect();
    let replies = futures::future::join_all(posts).await;
    let mut per_agent: BTreeMap<String, usize> = BTreeMap::new();
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        *per_agent.entry(reply.body["owner"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(per_agent, agents.iter().map(|a| (a.to_string(), 10)).collect::<BTreeMap<_, _>>());
    // Every assignment is in the history and alerts the assignee (ana no longer sees the case: it is a1..a5's).
    let path = replies[0].headers["location"].to_str().unwrap();
    let history = all_items(&admin, &format!("{path}/history")).await;
    let assigned = history.iter().find(|e| e["type"] == "assigned").expect("an assigned event");
    assert_eq!(assigned["to"], replies[0].body["owner"]);
    assert_eq!(assigned["pool"], "mesa_ayuda#nuevo");
    assert!(history.iter().any(|e| e["type"] == "effectEnqueued" && e["kind"] == "notify:case_assigned"));
}

#[tokio::test]
async fn case_type_definitions_are_validated_versioned_and_admin_only() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let agent = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let good = json!({
        "key": "visita", "name": "Visita técnica", "initialState": "agendada",
        "states": [
            {"key": "agendada", "name": "Agendada", "class": "open"},
            {"key": "realizada", "name": "Realizada", "class": "closed_success"}
        ],
        "actions": [{"key": "visitar", "name": "Visitar", "results": [{"key": "hecha", "name": "Hecha", "next": "realizada"}]}]
    });
    assert_eq!(agent.post("/case-types", good.clone()).await.status, StatusCode::FORBIDDEN);
    let mut bad = good.clone();
    bad["actions"][0]["results"][0]["next"] = json!("inexistente");
    bad["states"].as_array_mut().unwrap().push(json!({"key": "huerfana", "name": "Huérfana", "class": "open"}));
    bad["actions"][0]["results"][0]["effects"] = json!([{"type": "notify", "to": "owner", "template": "no_hay"}]);
    let refused = admin.post("/case-types", bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(refused.fields(), ["actions[0].results[0].next", "actions[0].results[0].effects[0].template"]);
    assert_eq!(admin.get("/case-types/visita").await.status, StatusCode::NOT_FOUND, "a bad definition is never stored");

    let created = admin.post("/case-types", good.clone()).await;
    assert_eq!((created.status, created.etag()), (StatusCode::CREATED, "\"1\"".to_owned()));
    assert_eq!(admin.post("/case-types", good.clone()).await.status, StatusCode::CONFLICT);
    let old_case = agent.post("/cases", json!({"type": "visita", "subject": "Antes"})).await;
    assert_eq!(old_case.body["typeVersion"], 1);

    let mut v2 = good.clone();
    v2["states"]
        .as_array_mut()
        .unwrap()
        .insert(1, json!({"key": "cancelada", "name": "Cancelada", "class": "closed_failure"}));
    v2["actions"].as_array_mut().unwrap().push(json!({"key": "cancelar", "name": "Cancelar", "results": [{"key": "cancelada", "name": "Cancelada", "next": "cancelada"}]}));
    let stale = admin.send(Method::PUT, "/case-types/visita", Some(&v2), Some("\"7\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let saved = admin.send(Method::PUT, "/case-types/visita", Some(&v2), Some("\"1\"")).await;
    assert_eq!((saved.status, saved.etag()), (StatusCode::OK, "\"2\"".to_owned()), "{}", saved.body);
    let new_case = agent.post("/cases", json!({"type": "visita", "subject": "Después"})).await;
    assert_eq!(new_case.body["typeVersion"], 2);

    // The old case keeps its definition: "cancelar" does not exist for it.
    let old_path = old_case.headers["location"].to_str().unwrap();
    let old_offer = agent.get(&format!("{old_path}/transitions")).await;
    let keys: Vec<_> = old_offer.body["actions"].as_array().unwrap().iter().map(|a| a["key"].clone()).collect();
    assert_eq!(keys, ["visitar"]);
    let new_path = new_case.headers["location"].to_str().unwrap();
    let cancelled = agent
        .send(
            Method::POST,
            &format!("{new_path}/transitions"),
            Some(&json!({"action": "cancelar", "result": "cancelada"})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);

    // A custom-field schema is enforced on create and update.
    let mut v3 = v2.clone();
    v3["customFields"] = json!([{"key": "direccion", "label": "Dirección", "kind": "text", "required": true}]);
    assert_eq!(admin.send(Method::PUT, "/case-types/visita", Some(&v3), Some("\"2\"")).await.status, StatusCode::OK);
    let missing = agent.post("/cases", json!({"type": "visita", "subject": "Sin dirección"})).await;
    assert_eq!(
        (missing.status, missing.fields()),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["customFields.direccion".to_owned()])
    );
    let unknown = agent
        .post(
            "/cases",
            json!({"type": "visita", "subject": "x", "customFields": {"direccion": "San José", "color": "rojo"}}),
        )
        .await;
    assert_eq!(unknown.fields(), ["customFields.color"]);
}

#[tokio::test]
async fn effects_reach_the_local_queue_exactly_as_recorded() {
    let server = Server::start();
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let created =
        sofia.post("/cases", json!({"type": "devolucion", "subject": "Devolución con aviso", "owner": "ana"})).await;
    let path = created.headers["location"].to_str().unwrap().to_owned();
    let steps = [("revisar", "en_revision"), ("pedir_producto", "pedido")];
    let mut tag = created.etag();
    for (action, result) in steps {
        let moved = sofia
            .send(
                Method::POST,
                &format!("{path}/transitions"),
                Some(&json!({"action": action, "result": result})),
                Some(&tag),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
        tag = moved.etag();
    }
    let history = all_items(&sofia, &format!("{path}/history")).await;
    let enqueued: Vec<&Value> = history.iter().filter(|e| e["type"] == "effectEnqueued").collect();
    // "pedir_producto" alerts the customer ("Alerta Cliente"); entering "en_revision" assigned from its pool.
    let kinds: Vec<&str> = enqueued.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"notify:customer_alert"), "{kinds:?}");
    for event in enqueued {
        let id = event["effectId"].as_str().unwrap();
        let file = server.data_dir.join("queues").join(event["queue"].as_str().unwrap()).join(format!("{id}.json"));
        let message: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())))
                .unwrap();
        assert_eq!(message["effectId"], id);
        assert_eq!(message["body"]["subject"]["id"], created.body["id"]);
        assert_eq!(message["body"]["tenant"], "demo");
    }
}

#[tokio::test]
async fn reports_count_states_amounts_and_rejection_reasons() {
    let server = Server::start();
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let reject = |reason: &'static str| {
        let sofia = &sofia;
        async move {
            let created = sofia
                .post("/cases", json!({"type": "solicitud_credito", "subject": "Crédito", "owner": "ana",
                                       "amount": {"amountMinor": 100_000, "currency": "CRC"}, "customFields": {"plazoMeses": 12}}))
                .await;
            let path = created.headers["location"].to_str().unwrap().to_owned();
            let first = sofia
                .send(
                    Method::POST,
                    &format!("{path}/transitions"),
                    Some(&json!({"action": "iniciar_estudio", "result": "documentos_completos"})),
                    Some("\"1\""),
                )
                .await;
            assert_eq!(first.status, StatusCode::OK, "{}", first.body);
            let rejected = sofia
                .send(
                    Method::POST,
                    &format!("{path}/transitions"),
                    Some(&json!({"action": "rechazar", "result": reason, "note": "Análisis"})),
                    Some(&first.etag()),
                )
                .await;
            assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);
        }
    };
    reject("baja_capacidad").await;
    reject("baja_capacidad").await;
    reject("historial_crediticio").await;

    let pivot = sofia.get("/reports/rejections?type=solicitud_credito").await;
    assert_eq!(pivot.status, StatusCode::OK, "{}", pivot.body);
    assert_eq!(pivot.body["states"], json!(["rechazado"]));
    assert_eq!(pivot.body["total"], 3);
    let rows: Vec<(String, u64)> = pivot.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["resultName"].as_str().unwrap().to_owned(), r["counts"]["rechazado"].as_u64().unwrap()))
        .collect();
    assert_eq!(rows, [("Baja Capacidad".to_owned(), 2), ("Historial Crediticio".to_owned(), 1)]);

    let by_state = sofia.get("/reports/cases-by-state?type=solicitud_credito").await;
    let items = by_state.body["items"].as_array().unwrap();
    let rejected = items.iter().find(|r| r["state"] == "rechazado").expect("a rechazado row");
    // The seeded credit application (₡12 500 000, still "creado") plus the three rejected ones.
    assert_eq!((rejected["count"].clone(), rejected["percentage"].clone()), (json!(3), json!(75.0)));
    assert_eq!(rejected["amounts"], json!([{"amountMinor": 300_000, "currency": "CRC"}]));
    assert_eq!(rejected["stateName"], "Rechazado");
    let total: u64 = items.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 4);

    let csv = reqwest::Client::new()
        .get(format!("{}/reports/cases-by-state?type=solicitud_credito&format=csv", server.base))
        .bearer_auth(server.token("demo", "sofia", "supervisor"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "type,typeName,state,stateName,stateClass,count,percentage,currency,amount");
    assert!(
        lines
            .contains(&"solicitud_credito,Solicitud de Crédito,rechazado,Rechazado,closed_failure,3,75.00,CRC,3000.00"),
        "{text}"
    );
    let pivot_csv = reqwest::Client::new()
        .get(format!("{}/reports/rejections", server.base))
        .header("accept", "text/csv")
        .bearer_auth(server.token("demo", "sofia", "supervisor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(pivot_csv.lines().last().unwrap(), "total,Total general,3,3");
    let other = Caller::new(&server, Some(server.token("otra", "x", "admin")));
    assert_eq!(other.get("/reports/rejections").await.body["total"], 0, "reports are tenant-scoped");
}

#[tokio::test]
async fn follow_ups_open_linked_cases_and_least_open_balances_load() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let definition = json!({
        "key": "instalacion", "name": "Instalación", "initialState": "pendiente",
        "states": [
            {"key": "pendiente", "name": "Pendiente", "class": "open", "pool": {"agents": ["t1", "t2", "t3"], "strategy": "least_open"}},
            {"key": "instalada", "name": "Instalada", "class": "closed_success"}
        ],
        "actions": [{"key": "instalar", "name": "Instalar", "results": [{"key": "ok", "name": "Instalada", "next": "instalada",
            "effects": [{"type": "followUp", "caseType": "boleta_gestion", "subject": "Encuesta de satisfacción"}]}]}]
    });
    assert_eq!(admin.post("/case-types", definition).await.status, StatusCode::CREATED);
    // The installers are staff of the company: a case can only be owned by someone in its directory.
    for agent in ["t1", "t2", "t3"] {
        let entry = json!({"name": format!("Técnico {agent}"), "email": format!("{agent}@demo.example")});
        let put = admin.send(Method::PUT, &format!("/users/{agent}"), Some(&entry), None).await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    }
    // t1 already carries two open cases, t2 one: the next cases go to t3, then t2 or t3…
    for (owner, n) in [("t1", 2), ("t2", 1)] {
        for _ in 0..n {
            let made = admin.post("/cases", json!({"type": "instalacion", "subject": "Previa", "owner": owner})).await;
            assert_eq!(made.body["owner"], owner);
        }
    }
    let mut owners = Vec::new();
    for n in 0..3 {
        let made = admin.post("/cases", json!({"type": "instalacion", "subject": format!("Nueva {n}")})).await;
        owners.push(made.body["owner"].as_str().unwrap().to_owned());
    }
    assert_eq!(owners, ["t3", "t2", "t3"], "always the agent with the fewest open cases, ties in pool order");

    let made = admin.post("/cases", json!({"type": "instalacion", "subject": "Con seguimiento", "owner": "t1"})).await;
    let path = made.headers["location"].to_str().unwrap().to_owned();
    let done = admin
        .send(
            Method::POST,
            &format!("{path}/transitions"),
            Some(&json!({"action": "instalar", "result": "ok"})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let link = done.headers["link"].to_str().unwrap().to_owned();
    let child_path = link.trim_start_matches('<').split('>').next().unwrap().to_owned();
    let child = admin.get(&child_path).await;
    assert_eq!((child.body["type"].clone(), child.body["state"].clone()), (json!("boleta_gestion"), json!("creado")));
    assert_eq!(child.body["subject"], "Encuesta de satisfacción");
    assert_eq!(child.body["owner"], "t1", "the follow-up stays with the parent's owner");
    let parent_history = all_items(&admin, &format!("{path}/history")).await;
    let opened = parent_history.iter().find(|e| e["type"] == "followUpOpened").expect("recorded on the parent");
    assert_eq!(format!("/cases/{}", opened["caseId"].as_str().unwrap()), child_path);
    let child_history = all_items(&admin, &format!("{child_path}/history")).await;
    assert!(
        child_history
            .iter()
            .any(|e| e["type"] == "followUpOpened" && format!("/cases/{}", e["caseId"].as_str().unwrap()) == path)
    );
}

#[tokio::test]
async fn emails_land_in_the_local_outbox_once_even_when_redelivered() {
    let server = Server::start();
    let sofia = Caller::new(&server, Some(server.token("demo", "sofia", "supervisor")));
    let contact = sofia
        .post(
            "/contacts",
            json!({"firstName": "José", "lastName": "Núñez", "email": "jose@cliente.example", "locale": "es"}),
        )
        .await;
    let created = sofia.post("/cases", json!({"type": "devolucion", "subject": "Cafetera dañada", "owner": "ana", "contactId": contact.body["id"]})).await;
    let path = created.headers["location"].to_str().unwrap().to_owned();
    let first = sofia
        .send(
            Method::POST,
            &format!("{path}/transitions"),
            Some(&json!({"action": "revisar", "result": "en_revision"})),
            Some("\"1\""),
        )
        .await;
    let second = sofia
        .send(
            Method::POST,
            &format!("{path}/transitions"),
            Some(&json!({"action": "pedir_producto", "result": "pedido"})),
            Some(&first.etag()),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);

    let outbox = server.data_dir.join("outbox");
    let emails = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut found = Vec::new();
    for _ in 0..100 {
        found = emails(&outbox).into_iter().filter(|p| p.to_string_lossy().contains("jose_cliente.example")).collect();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(found.len(), 1, "the customer alert was written to the outbox");
    let raw = std::fs::read(&found[0]).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some("Actualización de su solicitud: Cafetera dañada"));
    assert!(parsed.body_text(0).unwrap().contains("Estado actual: Esperando el producto"));

    // The history says who got it, with the outbox's message id.
    let history = all_items(&sofia, &format!("{path}/history")).await;
    let notified =
        history.iter().find(|e| e["type"] == "notified" && e["to"][0] == "jose@cliente.example").expect("recorded");
    let effect_id = notified["effectId"].as_str().unwrap().to_owned();

    // Redeliver the same message: no second e-mail.
    let message = json!({"effectId": effect_id, "queue": "notifications", "body": {
        "kind": "notify", "tenant": "demo", "subject": {"type": "case", "id": created.body["id"]},
        "template": "customer_alert", "to": "customer", "users": [], "occurrence": null}});
    let queue = server.data_dir.join("queues").join("notifications");
    std::fs::write(queue.join(format!("{effect_id}.json")), message.to_string()).unwrap();
    for _ in 0..50 {
        if !queue.join(format!("{effect_id}.json")).exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!queue.join(format!("{effect_id}.json")).exists(), "the redelivered message was handled");
    let again: Vec<_> =
        emails(&outbox).into_iter().filter(|p| p.to_string_lossy().contains("jose_cliente.example")).collect();
    assert_eq!(again.len(), 1, "a redelivered effect sends nothing new");

    let listing = std::process::Command::new(env!("CARGO_BIN_EXE_gestiona-local"))
        .args(["outbox", "--data-dir"])
        .arg(&server.data_dir)
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(listing.contains("jose@cliente.example  Actualización de su solicitud: Cafetera dañada"), "{listing}");
}

#[tokio::test]
async fn the_directory_and_opt_outs_are_managed_over_http() {
    let server = Server::start();
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let agent = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let users = all_items(&agent, "/users").await;
    let ids: Vec<_> = users.iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, ["admin", "ana", "carlos", "sofia"]);
    let denied = agent
        .send(Method::PUT, "/users/pedro", Some(&json!({"name": "Pedro", "email": "pedro@demo.example"})), None)
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let bad =
        admin.send(Method::PUT, "/users/pedro", Some(&json!({"name": "", "email": "x", "locale": "de"})), None).await;
    assert_eq!(bad.fields(), ["name", "email", "locale"]);
    let saved = admin
        .send(
            Method::PUT,
            "/users/pedro",
            Some(&json!({"name": "Pedro Sánchez", "email": "Pedro@Demo.example", "locale": "en"})),
            None,
        )
        .await;
    assert_eq!((saved.status, saved.body["email"].clone()), (StatusCode::OK, json!("pedro@demo.example")));
    assert_eq!(all_items(&agent, "/users").await.len(), 5);
    // Path ids arrive percent-decoded, as API Gateway hands them over: an encoded control
    // character is refused, an encoded '@' is part of the id.
    let entry = json!({"name": "Lucía", "email": "lucia@demo.example"});
    let control = admin.send(Method::PUT, "/users/lu%0Fcia", Some(&entry), None).await;
    assert_eq!(control.status, StatusCode::NOT_FOUND, "{}", control.body);
    let at = admin.send(Method::PUT, "/users/lucia%40demo", Some(&entry), None).await;
    assert_eq!((at.status, at.body["id"].clone()), (StatusCode::OK, json!("lucia@demo")));
    assert_eq!(agent.post("/opt-outs", json!({"email": "no-spam@example.com"})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(agent.post("/opt-outs", json!({"email": "not an address"})).await.fields(), ["email"]);
}

#[tokio::test]
async fn sla_deadlines_fire_in_the_local_runner_when_its_clock_moves() {
    let server = Server::start_for_tenant("demo");
    let admin = Caller::new(&server, Some(server.token("demo", "admin", "admin")));
    let ana = Caller::new(&server, Some(server.token("demo", "ana", "agent")));
    let created = ana
        .post(
            "/cases",
            json!({"type": "queja_calidad", "subject": "Olor extraño", "priority": "urgent", "owner": "ana"}),
        )
        .await;
    let path = created.headers["location"].to_str().unwrap().to_owned();
    let sla = ana.get(&format!("{path}/sla")).await;
    let clocks: Vec<&str> =
        sla.body["clocks"].as_array().unwrap().iter().map(|c| c["clock"].as_str().unwrap()).collect();
    assert_eq!(clocks, ["firstResponse", "resolution", "state"]);
    assert_eq!((sla.body["policyVersion"].clone(), sla.body["calendar"].clone()), (json!(1), json!("oficina")));
    let first = &sla.body["clocks"][0];
    assert_eq!((first["targetMinutes"].clone(), first["status"].clone()), (json!(60), json!("running")));
    assert!(first["dueAt"].is_string() && first["warnAt"].is_string());

    // Agents cannot move the clock; admins can, in the local runner only.
    let refused = ana.send(Method::POST, "/_local/clock", Some(&json!({"advanceMinutes": 10})), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let moved = admin.send(Method::POST, "/_local/clock", Some(&json!({"advanceMinutes": 4 * 24 * 60})), None).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);

    // The runner's sweep (every 2 s) applies the warning, then the breach, of the first response.
    let mut kinds = Vec::new();
    for _ in 0..60 {
        let history = all_items(&ana, &format!("{path}/history")).await;
        kinds = history
            .iter()
            .filter(|e| e["clock"] == "firstResponse")
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect();
        if kinds.iter().filter(|k| *k == "slaEscalated").count() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(kinds, ["slaStarted", "slaWarned", "slaBreached", "slaEscalated", "slaEscalated"], "each stage once");
    let now = ana.get(&format!("{path}/sla")).await;
    assert_eq!(now.body["clocks"][0]["status"], "breached");
    // The second escalation reassigned the case to the type's supervisor.
    assert_eq!(ana.get(&path).await.body["owner"], "sofia");

    let workload = ana.get("/reports/workload").await;
    let row = workload.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "queja_calidad/registrada")
        .expect("a row")
        .clone();
    assert!(row["late"].as_u64().unwrap() >= 1, "{row}");
    // A spreadsheet needs reports.export: a supervisor's profile has it, an agent's does not.
    let refused = ana.get("/reports/workload?format=csv").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let csv = reqwest::Client::new()
        .get(format!("{}/reports/workload?format=csv", server.base))
        .bearer_auth(server.token("demo", "sofia", "supervisor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("dimension,key,name,active,onTime,late,attended"), "{csv}");
}
