//! The SAM template declares exactly the routes the code serves, each on the function that
//! serves it (a text check; the full infrastructure tests deploy the template into moto).

use std::collections::BTreeSet;

use gestiona_api::Function;

fn logical_id(binary: &str) -> String {
    let name: String = binary.split('-').map(|w| w[..1].to_uppercase() + &w[1..]).collect();
    format!("{name}Function")
}

/// The `Method Path` keys of the function's `Events` in the template.
fn declared_routes(template: &str, logical: &str) -> BTreeSet<String> {
    let start = template.find(&format!("\n  {logical}:\n")).unwrap_or_else(|| panic!("{logical} missing"));
    let rest = &template[start + 1..];
    let end = rest.find("\n  ").map(|i| {
        // The block ends at the next top-level resource (two-space indent, not deeper).
        let mut at = i;
        while rest[at + 3..].starts_with(' ') {
            at = rest[at + 1..].find("\n  ").map_or(rest.len(), |j| at + 1 + j);
        }
        at
    });
    let block = &rest[..end.unwrap_or(rest.len())];
    let mut declared = BTreeSet::new();
    let lines: Vec<&str> = block.lines().collect();
    for (n, line) in lines.iter().enumerate() {
        if let Some(method) = line.trim().strip_prefix("Method: ") {
            let path = lines[n + 1].trim().strip_prefix("Path: ").expect("Path follows Method");
            declared.insert(format!("{method} {path}"));
        }
    }
    declared
}

fn template() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml")).unwrap()
}

#[test]
fn every_route_is_in_the_template_on_its_function() {
    let template = template();
    for function in Function::ALL {
        let declared = declared_routes(&template, &logical_id(function.name()));
        let served: BTreeSet<String> = function.routes().iter().map(|r| r.key()).collect();
        assert_eq!(declared, served, "{}", function.name());
    }
    assert!(template.contains("Authorizer: NONE"), "the public route opts out of the JWT authorizer");
}

#[test]
fn the_console_function_has_the_consoles_routes() {
    let declared = declared_routes(&template(), &logical_id("console"));
    let served: BTreeSet<String> = gestiona_console::GATEWAY_ROUTES.iter().map(|r| (*r).to_owned()).collect();
    assert_eq!(declared, served);
}
