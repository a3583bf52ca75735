//! The case-type validator on definitions mutated from the demo's. A definition it accepts must
//! hold up where the engine relies on it: its initial state and every next state exist, keys are
//! unique, and it reads back as itself. Raw bytes go through the parser too. Nothing may panic.
#![no_main]

use std::collections::HashSet;

use gestiona_domain::case_type::CaseType;
use gestiona_domain::service::seed::demo_case_types;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = serde_json::from_slice::<CaseType>(data) {
        let _ = raw.validate();
    }
    let Some((&pick, script)) = data.split_first() else { return };
    let types = demo_case_types();
    let mut definition = serde_json::to_value(&types[usize::from(pick) % types.len()]).unwrap();
    gestiona_fuzz::mutate(&mut definition, script);
    let Ok(case_type) = serde_json::from_value::<CaseType>(definition) else { return };
    if case_type.validate().is_err() {
        return;
    }
    let states: HashSet<&str> = case_type.states.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(states.len(), case_type.states.len(), "state keys are unique");
    assert!(states.contains(case_type.initial_state.as_str()), "the initial state exists");
    let actions: HashSet<&str> = case_type.actions.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(actions.len(), case_type.actions.len(), "action keys are unique");
    for action in &case_type.actions {
        assert!(action.from.iter().all(|state| states.contains(state.as_str())), "{} starts in a state", action.key);
        for result in &action.results {
            if let Some(next) = &result.next {
                assert!(states.contains(next.as_str()), "{}/{} leads to a state", action.key, result.key);
            }
        }
    }
    let again: CaseType = serde_json::from_value(serde_json::to_value(&case_type).unwrap()).unwrap();
    assert_eq!(again, CaseType { version: again.version, ..case_type.clone() }, "reads back as itself");
    assert!(again.validate().is_ok(), "stays valid once stored");
});
