//! The SAM template declares exactly the routes the code serves, each on the function that
//! serves it (a text check; the full infrastructure tests deploy the template into moto).

use std::collections::BTreeSet;

use gestiona_api::Function;

fn logical_id(function: Function) -> String {
    let name: String = function.name().split('-').map(|w| w[..1].to_uppercase() + &w[1..]).collect();
    format!("{name}Function")
}

#[test]
fn every_route_is_in_the_template_on_its_function() {
    let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml")).unwrap();
    for function in Function::ALL {
        let start = template
            .find(&format!("\n  {}:\n", logical_id(function)))
            .unwrap_or_else(|| panic!("{} missing", logical_id(function)));
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
        let served: BTreeSet<String> = function.routes().iter().map(|r| r.key()).collect();
        assert_eq!(declared, served, "{}", function.name());
    }
    assert!(template.contains("Authorizer: NONE"), "the public route opts out of the JWT authorizer");
}
