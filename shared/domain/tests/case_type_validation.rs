//! Every validation rule of case-type definitions, and a property test that random
//! definitions never crash the validator.

use gestiona_domain::case_type::CaseType;
use gestiona_domain::service::seed::demo_case_types;
use proptest::prelude::*;
use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "key": "queja",
        "name": "Queja",
        "initialState": "nueva",
        "states": [
            {"key": "nueva", "name": "Nueva", "class": "open"},
            {"key": "en_curso", "name": "En curso", "class": "open"},
            {"key": "esperando", "name": "Esperando", "class": "waiting"},
            {"key": "resuelta", "name": "Resuelta", "class": "closed_success"},
            {"key": "rechazada", "name": "Rechazada", "class": "closed_failure"}
        ],
        "customFields": [
            {"key": "lote", "label": "Lote", "kind": "text"},
            {"key": "severidad", "label": "Severidad", "kind": "choice", "options": ["baja", "alta"]}
        ],
        "actions": [
            {"key": "tomar", "name": "Tomar", "from": ["nueva"], "results": [{"key": "tomada", "name": "Tomada", "next": "en_curso"}]},
            {"key": "pedir", "name": "Pedir datos", "from": ["en_curso"], "results": [{"key": "pedido", "name": "Pedido", "next": "esperando"}]},
            {"key": "recibir", "name": "Recibir", "from": ["esperando"], "results": [{"key": "recibido", "name": "Recibido", "next": "en_curso"}]},
            {"key": "cerrar", "name": "Cerrar", "from": ["en_curso"], "results": [
                {"key": "ok", "name": "Resuelta", "next": "resuelta", "requiredFields": ["customFields.lote"],
                 "effects": [{"type": "notify", "to": "customer", "template": "customer_alert"}]},
                {"key": "no", "name": "Rechazada", "next": "rechazada", "requiresNote": true}
            ]}
        ]
    })
}

fn parse(value: Value) -> CaseType {
    serde_json::from_value(value).expect("well-formed definition")
}

/// The fields of every validation error of `value`.
fn problems(value: Value) -> Vec<(String, String)> {
    match parse(value).validate() {
        Ok(()) => Vec::new(),
        Err(errors) => errors.0.into_iter().map(|e| (e.field, e.reason.to_string())).collect(),
    }
}

fn fields(value: Value) -> Vec<String> {
    problems(value).into_iter().map(|(f, _)| f).collect()
}

#[test]
fn the_base_and_every_seeded_definition_are_valid() {
    assert_eq!(problems(base()), Vec::new());
    for definition in demo_case_types() {
        definition.validate().unwrap_or_else(|e| panic!("{}: {e}", definition.key));
    }
}

#[test]
fn unknown_next_state() {
    let mut d = base();
    d["actions"][0]["results"][0]["next"] = json!("perdida");
    let found = problems(d);
    assert_eq!(found[0].0, "actions[0].results[0].next");
    assert!(found[0].1.contains("unknown state 'perdida'"));
}

#[test]
fn unknown_from_state() {
    let mut d = base();
    d["actions"][1]["from"] = json!(["en_curso", "fantasma"]);
    assert_eq!(fields(d), ["actions[1].from[1]"]);
}

#[test]
fn unreachable_state() {
    let mut d = base();
    d["states"].as_array_mut().unwrap().push(json!({"key": "isla", "name": "Isla", "class": "open"}));
    let found = problems(d);
    assert!(found.iter().any(|(f, r)| f == "states[5]" && r.contains("cannot be reached")), "{found:?}");
}

#[test]
fn a_state_that_cannot_close() {
    let mut d = base();
    // From "esperando" the only way out now loops back to itself.
    d["actions"][2]["results"][0]["next"] = json!("esperando");
    let found = problems(d);
    assert!(
        found.iter().any(|(f, r)| f == "states[2]" && r.contains("no closed state can be reached from 'esperando'")),
        "{found:?}"
    );
}

#[test]
fn duplicate_names() {
    let mut d = base();
    d["states"][1]["key"] = json!("nueva");
    d["actions"][1]["key"] = json!("tomar");
    d["actions"][3]["results"][1]["key"] = json!("ok");
    d["customFields"][1]["key"] = json!("lote");
    let found = fields(d);
    for expected in ["states[1].key", "actions[1].key", "actions[3].results[1].key", "customFields[1].key"] {
        assert!(found.contains(&expected.to_owned()), "{expected} missing from {found:?}");
    }
}

#[test]
fn effects_naming_missing_templates() {
    let mut d = base();
    d["actions"][3]["results"][0]["effects"] = json!([
        {"type": "notify", "to": "owner", "template": "no_existe"},
        {"type": "document", "template": "pagare_inventado"}
    ]);
    let found = problems(d);
    assert_eq!(
        found.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["actions[3].results[0].effects[0].template", "actions[3].results[0].effects[1].template"]
    );
    assert!(found[0].1.contains("no e-mail template 'no_existe'"));
    assert!(found[1].1.contains("no document template 'pagare_inventado'"));
}

#[test]
fn initial_state_must_exist_and_be_open() {
    let mut d = base();
    d["initialState"] = json!("resuelta");
    assert_eq!(fields(d.clone()), ["initialState"]);
    d["initialState"] = json!("nada");
    assert_eq!(fields(d), ["initialState"]);
}

#[test]
fn a_closed_state_is_required() {
    let d =
        json!({"key": "x", "name": "X", "initialState": "a", "states": [{"key": "a", "name": "A", "class": "open"}]});
    let found = problems(d);
    assert!(found.iter().any(|(f, r)| f == "states" && r.contains("closed state")), "{found:?}");
}

#[test]
fn guards_and_fields_must_name_real_things() {
    let mut d = base();
    d["actions"][3]["results"][0]["requiredFields"] = json!(["customFields.nada", "amount", "altura"]);
    d["actions"][3]["results"][0]["effects"] = json!([
        {"type": "setFields", "fields": {"severidad": "media", "inventado": 1}},
        {"type": "assign", "to": {}},
        {"type": "assign", "to": {"pool": {"agents": [], "strategy": "round_robin"}}}
    ]);
    let found = fields(d);
    assert_eq!(
        found,
        [
            "actions[3].results[0].requiredFields[0]",
            "actions[3].results[0].requiredFields[2]",
            "actions[3].results[0].effects[0].fields.inventado",
            "actions[3].results[0].effects[0].fields.severidad",
            "actions[3].results[0].effects[1].to",
            "actions[3].results[0].effects[2].to.pool.agents"
        ]
    );
}

#[test]
fn pools_and_custom_fields_are_checked() {
    let mut d = base();
    d["states"][1]["pool"] = json!({"agents": ["ana", "ana"], "strategy": "least_open"});
    d["states"][1]["timeLimitMinutes"] = json!(0);
    d["customFields"][1]["options"] = json!([]);
    d["customFields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "bad key", "label": "x", "kind": "number", "options": ["a"]}));
    let found = fields(d);
    assert_eq!(
        found,
        [
            "customFields[1].options",
            "customFields[2].key",
            "customFields[2].options",
            "states[1].timeLimitMinutes",
            "states[1].pool.agents"
        ]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut d = base();
    d["name"] = json!("");
    d["actions"][0]["results"][0]["next"] = json!("x");
    d["actions"][3]["results"][0]["effects"][0]["template"] = json!("y");
    d["states"][0]["name"] = json!(" ");
    assert_eq!(problems(d).len(), 4);
}

#[test]
fn unknown_keys_in_a_definition_are_refused() {
    let mut d = base();
    d["states"][0]["colour"] = json!("red");
    assert!(serde_json::from_value::<CaseType>(d).is_err());
}

fn arbitrary_definition() -> impl Strategy<Value = Value> {
    let name = "[a-z_]{1,6}";
    let class = prop_oneof![Just("open"), Just("waiting"), Just("closed_success"), Just("closed_failure")];
    let state = (name, class).prop_map(|(key, class)| json!({"key": key, "name": key, "class": class}));
    let effect = prop_oneof![
        name.prop_map(|t| json!({"type": "notify", "to": "owner", "template": t})),
        name.prop_map(|t| json!({"type": "document", "template": t})),
        name.prop_map(|u| json!({"type": "assign", "to": {"user": u}})),
    ];
    let result = (name, prop::option::of(name), prop::collection::vec(effect, 0..3), prop::collection::vec(name, 0..2))
        .prop_map(|(key, next, effects, required)| {
            json!({"key": key, "name": key, "next": next, "effects": effects, "requiredFields": required})
        });
    let action = (name, prop::collection::vec(name, 0..3), prop::collection::vec(result, 0..4))
        .prop_map(|(key, from, results)| json!({"key": key, "name": key, "from": from, "results": results}));
    (name, prop::collection::vec(state, 0..8), prop::collection::vec(action, 0..8)).prop_map(|(initial, states, actions)| {
        json!({"key": "t", "name": "T", "initialState": initial, "states": states, "actions": actions})
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_definitions_never_crash_the_validator(definition in arbitrary_definition()) {
        let parsed: CaseType = serde_json::from_value(definition).unwrap();
        // Whatever it finds, it answers; and a definition it accepts is internally consistent.
        if parsed.validate().is_ok() {
            prop_assert!(parsed.state(&parsed.initial_state).is_some());
            for action in &parsed.actions {
                for result in &action.results {
                    if let Some(next) = &result.next {
                        prop_assert!(parsed.state(next).is_some());
                    }
                }
            }
        }
    }
}
