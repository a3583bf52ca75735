//! The files of the domain crate do not import each other in circles: every module's `crate::`,
//! `super::` and `self::` paths (outside its tests) name only modules below it in one order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`service::cases`) → its source, for every file under `src/`.
fn modules(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if path.is_dir() {
            modules(&path, &join(prefix, &name), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let module = match name.as_str() {
                "lib" | "mod" => prefix.to_owned(),
                _ => join(prefix, &name),
            };
            let source = std::fs::read_to_string(&path).unwrap();
            // Tests may reach anywhere; comments (doc links) import nothing.
            let code: String = source
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .lines()
                .map(|line| line.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(module, code);
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_owned() } else { format!("{prefix}::{name}") }
}

/// The module a path like `crate::service::cases::Thing` or `super::change::X` names.
fn target(from: &str, path: &str, known: &BTreeMap<String, String>) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = match *parts.first()? {
        "crate" => Vec::new(),
        "super" => from.split("::").collect::<Vec<_>>().split_last().map_or(Vec::new(), |(_, rest)| rest.to_vec()),
        "self" => from.split("::").collect(),
        _ => return None,
    };
    parts.remove(0);
    base.extend(parts);
    while !base.is_empty() {
        let candidate = base.join("::");
        if known.contains_key(&candidate) {
            return Some(candidate);
        }
        base.pop();
    }
    None
}

fn paths_in(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        let mut rest = code;
        while let Some(at) = rest.find(start) {
            let preceded = rest[..at].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let tail = &rest[at..];
            let end = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
            if !preceded {
                found.push(tail[..end].trim_end_matches(':').to_owned());
            }
            rest = &tail[end.max(1)..];
        }
    }
    found
}

#[test]
fn domain_modules_import_each_other_in_one_direction() {
    let mut sources = BTreeMap::new();
    modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "", &mut sources);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in &sources {
        for path in paths_in(code) {
            if let Some(to) = target(module, &path, &sources).filter(|t| t != module && !t.is_empty()) {
                edges.entry(module.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search for a path back to where it started.
    fn cycle_from(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            return Some(stack[at..].iter().cloned().chain([node.to_owned()]).collect());
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = cycle_from(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    assert!(edges.contains_key("service::cases"), "the scan reads the crate: {:?}", edges.keys());
    let mut done = BTreeSet::new();
    for module in sources.keys() {
        if let Some(cycle) = cycle_from(module, &edges, &mut Vec::new(), &mut done) {
            panic!("modules import each other in a circle: {}", cycle.join(" → "));
        }
    }
}
