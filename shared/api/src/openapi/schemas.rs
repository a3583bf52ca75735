//! The shapes of the document's schemas, made what a client generator can use.
//!
//! utoipa writes each type as serde describes it; generators (openapi-python-client, the
//! tests/client run) read component names as model names and do not take an `allOf` that
//! includes a `oneOf`. The schemas are rewritten here into equivalent forms: records named
//! once, tagged variants named, `allOf`s merged, and a `oneOf` with common fields distributed
//! over its variants.

use serde_json::{Map, Value, json};

use crate::edge::RECORD_SUFFIX;

pub(super) const SCHEMAS: &str = "#/components/schemas/";

/// Reshapes the document's schemas in place.
pub(super) fn shape(doc: &mut Value) {
    name_records(doc);
    name_variants(doc);
    merge_all_of(doc);
    add_record_schemas(doc);
    refer_to_components(doc);
    // Again, for the variants that merging distributed (`HistoryEventTransitioned`).
    name_variants(doc);
}

/// utoipa names a generic's instance after its arguments (`CaseRecord_Case`,
/// `ListResponse_CaseRecord_Case`): a record is named `CaseRecord`, once.
fn name_records(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].as_object_mut().expect("the document has schemas");
    let renames: Vec<(String, String)> =
        schemas.keys().filter_map(|name| record_name(name).map(|short| (name.clone(), short))).collect();
    for (long, short) in &renames {
        let schema = schemas.remove(long).expect("listed above");
        let alias = schema["$ref"].as_str().is_some_and(|r| r.strip_prefix(SCHEMAS) == Some(short));
        if !alias {
            schemas.insert(short.clone(), schema);
        }
    }
    let renames: Vec<(String, String)> =
        renames.into_iter().map(|(long, short)| (format!("{SCHEMAS}{long}"), format!("{SCHEMAS}{short}"))).collect();
    rewrite_refs(doc, &renames);
}

/// `ListResponse_CaseRecord_Case` → `ListResponse_CaseRecord`; `None` for other names.
fn record_name(name: &str) -> Option<String> {
    let (head, argument) = name.rsplit_once('_')?;
    let kept = head.strip_suffix(RECORD_SUFFIX)?;
    (kept == argument || kept.ends_with(&format!("_{argument}"))).then(|| head.to_owned())
}

fn rewrite_refs(value: &mut Value, renames: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref")
                && let Some((_, short)) = renames.iter().find(|(long, _)| long == target)
            {
                *target = short.clone();
            }
            map.values_mut().for_each(|v| rewrite_refs(v, renames));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, renames)),
        _ => {}
    }
}

/// Replaces each inline `oneOf` that is a component's schema by a reference to it: utoipa
/// inlines a generic's argument (`ListResponse<HistoryEvent>`'s items).
fn refer_to_components(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].as_object().cloned().expect("the document has schemas");
    let unions: Vec<(&String, &Value)> = schemas.iter().filter(|(_, s)| s.get("oneOf").is_some()).collect();
    for (_, schema) in doc["components"]["schemas"].as_object_mut().expect("the document has schemas") {
        for child in schema.as_object_mut().into_iter().flat_map(|map| map.values_mut()) {
            refer_in(&unions, child);
        }
    }
}

fn refer_in(unions: &[(&String, &Value)], value: &mut Value) {
    if let Some((name, _)) = unions.iter().find(|(_, schema)| *schema == value) {
        *value = json!({ "$ref": format!("{SCHEMAS}{name}") });
        return;
    }
    match value {
        Value::Object(map) => map.values_mut().for_each(|v| refer_in(unions, v)),
        Value::Array(items) => items.iter_mut().for_each(|v| refer_in(unions, v)),
        _ => {}
    }
}

/// Lifts each tagged variant of a component's `oneOf` into a component of its own,
/// `{Name}{Tag}` (`EventKindTransitioned`). Generators name an inline variant by its position
/// (`EffectType1`) and then give the variants' own inline parts colliding names.
fn name_variants(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].as_object_mut().expect("the document has schemas");
    let mut lifted = Vec::new();
    for (name, schema) in schemas.iter_mut() {
        let Some(variants) = schema.get_mut("oneOf").and_then(Value::as_array_mut) else { continue };
        for variant in variants.iter_mut() {
            let Some(tag) = variant_tag(variant) else { continue };
            let component = format!("{name}{}", pascal_case(&tag));
            let inline = std::mem::replace(variant, json!({ "$ref": format!("{SCHEMAS}{component}") }));
            lifted.push((component, inline));
        }
    }
    for (component, schema) in lifted {
        let taken = schemas.insert(component.clone(), schema);
        assert!(taken.is_none(), "{component} names both a type and a variant");
    }
}

/// The value of the required one-valued string property a variant is told apart by
/// (`"type": "notify"`).
fn variant_tag(variant: &Value) -> Option<String> {
    let required = variant["required"].as_array()?;
    variant["properties"].as_object()?.iter().find_map(|(field, property)| {
        let [Value::String(tag)] = property["enum"].as_array()?.as_slice() else { return None };
        (property["type"] == "string" && required.iter().any(|r| r == field)).then(|| tag.clone())
    })
}

/// `followUp` → `FollowUp`, `write_off` → `WriteOff`.
fn pascal_case(tag: &str) -> String {
    tag.split(|c: char| !c.is_ascii_alphanumeric())
        .flat_map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_ascii_uppercase()).into_iter().chain(chars)
        })
        .collect()
}

/// `{T}Record`: the schema of `T` with its `version`, for every record a response names.
fn add_record_schemas(doc: &mut Value) {
    let mut wanted = Vec::new();
    collect_refs(&doc["paths"], &mut wanted);
    collect_refs(&doc["components"], &mut wanted);
    let schemas = doc["components"]["schemas"].as_object_mut().expect("the document has schemas");
    for name in wanted {
        let Some(base) = name.strip_suffix(RECORD_SUFFIX) else { continue };
        if schemas.contains_key(&name) || !schemas.contains_key(base) {
            continue;
        }
        let mut record = schemas[base].clone();
        match record.get_mut("oneOf").and_then(Value::as_array_mut) {
            Some(variants) => {
                for variant in variants {
                    *variant = resolved(schemas, variant);
                    add_version(variant);
                }
            }
            None => add_version(&mut record),
        }
        schemas.insert(name, record);
    }
}

fn add_version(object: &mut Value) {
    object["properties"]["version"] = json!({
        "type": "integer", "minimum": 0,
        "description": "The version this representation is of: the value of its ETag, sent back in If-Match."
    });
    match object["required"].as_array_mut() {
        Some(required) => required.push(json!("version")),
        None => object["required"] = json!(["version"]),
    }
}

/// Merges every `allOf` of the schemas, nested ones included (see [`flattened`]).
fn merge_all_of(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].as_object().cloned().expect("the document has schemas");
    merge_all_of_in(&schemas, &mut doc["components"]["schemas"]);
}

fn merge_all_of_in(schemas: &Map<String, Value>, value: &mut Value) {
    if value.get("allOf").is_some() {
        *value = flattened(schemas, value);
    }
    match value {
        Value::Object(map) => map.values_mut().for_each(|v| merge_all_of_in(schemas, v)),
        Value::Array(items) => items.iter_mut().for_each(|v| merge_all_of_in(schemas, v)),
        _ => {}
    }
}

/// `schema` with the object parts of its `allOf` merged into one object: a closed part
/// (`deny_unknown_fields`) inside an `allOf` rejects the other parts' fields, so such a schema
/// could never be met. When the one other part is a `oneOf` of objects (a tagged enum
/// flattened into a struct), the merged fields are distributed over its variants, which is the
/// same set of instances; any other part stays in an `allOf`, and the object cannot be closed.
fn flattened(schemas: &Map<String, Value>, schema: &Value) -> Value {
    let Some(parts) = schema["allOf"].as_array() else { return schema.clone() };
    let mut merged = json!({ "type": "object", "properties": {}, "required": [] });
    if let Some(description) = schema.get("description") {
        merged["description"] = description.clone();
    }
    // Fields beside the `allOf` belong to every instance too.
    let own = json!({ "properties": schema["properties"], "required": schema["required"] });
    let mut closed = false;
    let mut kept = Vec::new();
    for part in parts.iter().chain(std::iter::once(&own)) {
        let resolved = resolved(schemas, part);
        if resolved["properties"].is_null() && part == &own {
            continue;
        }
        let Some(properties) = resolved["properties"].as_object().filter(|_| resolved.get("allOf").is_none()) else {
            kept.push(part.clone());
            continue;
        };
        merged["properties"].as_object_mut().expect("an object").extend(properties.clone());
        if let Some(required) = resolved["required"].as_array() {
            merged["required"].as_array_mut().expect("an array").extend(required.iter().cloned());
        }
        closed |= resolved.get("additionalProperties") == Some(&Value::Bool(false));
    }
    if let [part] = kept.as_slice()
        && let Some(variants) = object_variants(schemas, part)
    {
        let variants: Vec<Value> = variants
            .into_iter()
            .map(|mut variant| {
                let properties = merged["properties"].as_object().expect("an object").clone();
                variant["properties"].as_object_mut().expect("an object variant").extend(properties);
                let required = merged["required"].as_array().expect("an array").clone();
                match variant["required"].as_array_mut() {
                    Some(own) => own.extend(required),
                    None => variant["required"] = Value::Array(required),
                }
                if closed {
                    variant["additionalProperties"] = Value::Bool(false);
                }
                variant
            })
            .collect();
        let mut distributed = json!({ "oneOf": variants });
        if let Some(description) = merged.get("description") {
            distributed["description"] = description.clone();
        }
        return distributed;
    }
    if kept.is_empty() {
        if closed {
            merged["additionalProperties"] = Value::Bool(false);
        }
    } else {
        merged["allOf"] = Value::Array(kept);
    }
    merged
}

/// The variants of `part` if it is a `oneOf` of plain objects, each resolved.
fn object_variants(schemas: &Map<String, Value>, part: &Value) -> Option<Vec<Value>> {
    let one_of = resolved(schemas, part);
    one_of["oneOf"]
        .as_array()?
        .iter()
        .map(|variant| {
            let variant = resolved(schemas, variant);
            (variant["properties"].is_object() && variant.get("allOf").is_none()).then_some(variant)
        })
        .collect()
}

/// `schema` itself, or the component it refers to, with its `allOf` merged.
fn resolved(schemas: &Map<String, Value>, schema: &Value) -> Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix(SCHEMAS)) {
        Some(name) => flattened(schemas, &schemas[name]),
        None => flattened(schemas, schema),
    }
}

fn collect_refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix(SCHEMAS)) {
                found.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(schemas: Value) -> Value {
        json!({ "paths": {}, "components": { "schemas": schemas } })
    }

    fn tagged(tag: &str, field: &str) -> Value {
        json!({ "type": "object", "required": ["type", field],
                "properties": { "type": { "type": "string", "enum": [tag] }, field: { "type": "string" } } })
    }

    #[test]
    fn a_tagged_variant_becomes_a_component_named_by_its_tag() {
        let mut doc = doc(json!({ "Kind": { "oneOf": [tagged("followUp", "subject"), { "type": "string" }] } }));
        shape(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Kind"]["oneOf"][0], json!({ "$ref": "#/components/schemas/KindFollowUp" }));
        assert_eq!(schemas["Kind"]["oneOf"][1], json!({ "type": "string" }), "an untagged variant stays inline");
        assert_eq!(schemas["KindFollowUp"], tagged("followUp", "subject"));
    }

    #[test]
    fn fields_beside_a_flattened_enum_are_distributed_over_its_variants() {
        let mut doc = doc(json!({
            "Kind": { "oneOf": [tagged("created", "state"), tagged("moved", "action")] },
            "Event": {
                "allOf": [{ "$ref": "#/components/schemas/Kind" }],
                "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } }
            },
            "Page": { "type": "object", "properties": { "items": { "type": "array", "items": {
                "allOf": [{ "$ref": "#/components/schemas/Kind" }],
                "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } }
            } } } }
        }));
        shape(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Event"],
            json!({ "oneOf": [{ "$ref": "#/components/schemas/EventCreated" }, { "$ref": "#/components/schemas/EventMoved" }] })
        );
        let moved = &schemas["EventMoved"];
        assert_eq!(moved["required"], json!(["type", "action", "id"]));
        assert_eq!(moved["properties"]["id"], json!({ "type": "string" }));
        assert!(moved.get("allOf").is_none());
        assert_eq!(schemas["Page"]["properties"]["items"]["items"], json!({ "$ref": "#/components/schemas/Event" }));
    }

    #[test]
    fn a_closed_part_closes_the_merged_object_instead_of_making_it_unsatisfiable() {
        let mut doc = doc(json!({
            "Base": { "type": "object", "additionalProperties": false, "properties": { "a": { "type": "string" } } },
            "Both": { "allOf": [{ "$ref": "#/components/schemas/Base" },
                                { "type": "object", "properties": { "b": { "type": "integer" } } }] }
        }));
        shape(&mut doc);
        let both = &doc["components"]["schemas"]["Both"];
        assert!(both.get("allOf").is_none());
        assert_eq!(both["additionalProperties"], json!(false));
        assert_eq!(both["properties"].as_object().unwrap().len(), 2);
    }
}
