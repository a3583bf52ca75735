//! What the fuzz targets share: a JSON mutator driven by the fuzzer's bytes. Random bytes rarely
//! parse as JSON, let alone as a case type or a request body, so the targets start from valid
//! documents (the demo's definitions, the OpenAPI document's examples) and let the bytes pick
//! which node to change and how; libFuzzer's coverage feedback then steers the choices.

use serde_json::{Map, Value, json};

/// Values that have broken parsers and validators before: bounds, empty and huge, other types.
fn replacement(choice: u8, donor: &Value) -> Value {
    match choice % 16 {
        0 => Value::Null,
        1 => json!(""),
        2 => json!("x".repeat(5_000)),
        3 => json!("=HYPERLINK(\"http://x\")"),
        4 => json!("ñandú 😀 \u{0}\u{7}\t\r\n"),
        5 => json!(0),
        6 => json!(-1),
        7 => json!(i64::MAX),
        8 => json!(i64::MIN),
        9 => json!(u64::MAX),
        10 => json!(1e308),
        11 => json!(0.5),
        12 => json!(true),
        13 => json!([]),
        14 => json!({}),
        _ => donor.clone(),
    }
}

/// JSON pointers to every node of `value`, the root first.
fn pointers(value: &Value, at: String, found: &mut Vec<String>) {
    found.push(at.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(child, format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), found);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// Applies one edit per three bytes of `script` to `value`: the first picks a node, the second
/// what to do to it, the third a value or another node.
pub fn mutate(value: &mut Value, script: &[u8]) {
    for edit in script.chunks_exact(3).take(16) {
        let mut nodes = Vec::new();
        pointers(value, String::new(), &mut nodes);
        let target = nodes[usize::from(edit[0]) % nodes.len()].clone();
        let donor = value.pointer(&nodes[usize::from(edit[2]) % nodes.len()]).cloned().unwrap_or(Value::Null);
        let Some(node) = value.pointer_mut(&target) else { continue };
        match edit[1] % 6 {
            // Replace the node.
            0 | 1 => *node = replacement(edit[2], &donor),
            // Drop a member or an element.
            2 => match node {
                Value::Object(map) if !map.is_empty() => {
                    let key = map.keys().nth(usize::from(edit[2]) % map.len()).cloned().unwrap_or_default();
                    map.remove(&key);
                }
                Value::Array(items) if !items.is_empty() => {
                    items.remove(usize::from(edit[2]) % items.len());
                }
                _ => *node = Value::Null,
            },
            // Repeat an element, or add a member the type does not have.
            3 => match node {
                Value::Array(items) if !items.is_empty() => {
                    let copy = items[usize::from(edit[2]) % items.len()].clone();
                    items.push(copy);
                }
                Value::Object(map) => {
                    map.insert(format!("unknown{}", edit[2]), donor);
                }
                _ => *node = json!([node.clone()]),
            },
            // Put another node's value here (a state's key where an action's is expected…).
            4 => *node = donor,
            // Wrap the node in an object or an array.
            _ => *node = if edit[2] % 2 == 0 { json!([node.clone()]) } else { Value::Object(Map::new()) },
        }
    }
}
