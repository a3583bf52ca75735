//! What every route answers because of how the edge serves it, written into the document.
//!
//! A route's declaration says what is particular to it: parameters, bodies, its successful
//! answers and the problems only it can give. What follows from the shared edge — a bearer
//! token checked before anything else (401, 403), path ids that may name nothing (404), JSON
//! bodies read by `edge::json_body` (400, 413, 415, 422), `If-Match` (412, 428), conditional
//! GETs (`If-None-Match`, 304), the store failing (503, `Retry-After`), the page parameters and
//! the `ETag`/`Location` headers — is added here, from the declaration, so that no route can
//! forget it and the document says exactly what a client meets.

use serde_json::{Map, Value, json};

use super::schemas::{self, SCHEMAS};
use crate::edge::{MAX_BODY_BYTES, RECORD_SUFFIX};
use gestiona_domain::service::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

const PROBLEM_JSON: &str = "application/problem+json";
/// An ETag as the API issues it: a version, strong (`"3"`).
const STRONG_TAG: &str = "^\"[0-9]+\"$";
/// What If-Match takes (RFC 9110 §13.1.1): `*` or a list of entity tags; only a listed strong
/// tag that is the current version matches.
const IF_MATCH: &str = "^(\\*|(W/)?\"[!#-~]*\"([ \\t]*,[ \\t]*(W/)?\"[!#-~]*\")*)$";

/// The `{T}Record` schema a JSON answer is, if it is a record.
fn record_answered(response: &Value) -> Option<&str> {
    let reference = response["content"]["application/json"]["schema"]["$ref"].as_str()?;
    reference.strip_prefix(SCHEMAS).filter(|name| name.ends_with(RECORD_SUFFIX))
}

/// Completes a generated document in place.
pub(super) fn complete(doc: &mut Value) {
    schemas::shape(doc);
    super::examples::add(doc);
    let paths: Vec<String> = doc["paths"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    for path in &paths {
        let Some(item) = doc["paths"][path].as_object_mut() else { continue };
        for (_, operation) in item.iter_mut() {
            complete_operation(operation);
        }
    }
    add_links(doc, &paths);
}

fn complete_operation(operation: &mut Value) {
    let secured = operation["security"].as_array().is_some_and(|s| !s.is_empty());
    let params = operation["parameters"].as_array().cloned().unwrap_or_default();
    let has = |place: &str| params.iter().any(|p| p["in"] == place);
    let header = |name: &str| params.iter().find(|p| p["in"] == "header" && p["name"] == name).cloned();
    let has_body = operation.get("requestBody").is_some();
    let if_match = header("If-Match");
    let versioned_read = record_answered(&operation["responses"]["200"]).is_some();

    // `get_mut`, not indexing: indexing a missing key would insert `null`.
    for parameter in operation.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
        constrain_parameter(parameter);
    }
    if versioned_read && !has_body && if_match.is_none() {
        push_parameter(
            operation,
            json!({
                "name": "If-None-Match", "in": "header", "required": false, "schema": { "type": "string" },
                "description": "The ETag of a representation the client holds: answered 304 while it is current."
            }),
        );
    }

    let mut problems: Vec<(&str, &str)> = Vec::new();
    if has_body {
        problems.push(("400", "The body is not JSON, or has content after the JSON value"));
        problems.push(("413", "The body is larger than the operation reads"));
        problems.push(("415", "The body's Content-Type is not one the operation reads"));
        problems.push((
            "409",
            "It conflicts with another record (an e-mail or number already in use) or was applied differently before",
        ));
        problems.push(("422", "A field is not valid: `errors` names each field and why"));
    } else if has("query") || has("path") {
        problems.push(("422", "A parameter is not valid: `errors` names each parameter and why"));
    }
    if secured {
        problems.push(("401", "No valid bearer token (missing, expired, not yet valid, or for another audience)"));
        problems.push((
            "403",
            if has_body {
                "The caller's profile may not do this (`forbidden`), or may not set a field the body sets \
                 (`field-not-writable`: `errors` names each field and why)"
            } else {
                "The caller's profile may not do this"
            },
        ));
    }
    if has("path") {
        problems.push(("404", "Nothing with this id in the caller's tenant"));
    }
    if let Some(if_match) = &if_match {
        problems.push(("412", "If-Match does not name the current version: read it again"));
        problems.push(("428", "If-Match is missing where required, or is not one ETag"));
        if if_match["required"] != true {
            // A definition saved without If-Match is a first one.
            problems.push(("409", "It exists already: send If-Match with the version read to replace it"));
        }
    }
    problems.push(("503", "The store could not be reached, or could not make the change durable: retry later"));

    let responses = operation["responses"].as_object_mut().expect("an operation has responses");
    for (status, description) in problems {
        let response = responses.entry(status).or_insert_with(|| json!({}));
        if response.get("content").is_none() {
            response["content"] = json!({ PROBLEM_JSON: { "schema": { "$ref": format!("{SCHEMAS}ProblemSchema") } } });
        }
        if response.get("description").is_none() {
            response["description"] = json!(description);
        }
    }
    if params.iter().any(|p| p["in"] == "query" && p["name"] == "format") {
        let ok = responses.entry("200").or_insert_with(|| json!({}));
        ok["content"]["text/csv"] = json!({ "schema": { "type": "string",
            "description": "With `format=csv`: UTF-8 with a header row; cells a spreadsheet would run as a formula are prefixed with '." } });
    }
    if versioned_read {
        responses
            .entry("304")
            .or_insert_with(|| json!({ "description": "Not modified: If-None-Match names the current version" }));
    }
    for (status, response) in responses.iter_mut() {
        complete_response(status, response);
    }
    if let Some(body) = operation.get_mut("requestBody") {
        body["description"].is_null().then(|| body["description"] = json!(format!("At most {MAX_BODY_BYTES} bytes.")));
    }
}

/// The rules of the parameters the edge reads the same way on every route: the page, the
/// answer's format, and `If-Match` (one strong tag as the API issues them).
fn constrain_parameter(parameter: &mut Value) {
    if parameter["in"] == "header" && parameter["name"] == "If-Match" {
        // Where it is optional, an empty field names no tag and asks for nothing, as if absent
        // (RFC 9110 §5.6.1): the pattern admits it.
        let pattern = if parameter["required"] == true { IF_MATCH.to_owned() } else { format!("^$|{IF_MATCH}") };
        parameter["schema"] = json!({ "type": "string", "pattern": pattern });
        parameter["description"] = json!(
            "The ETag of the version the change is based on, as it was read; or several (any of them may be current), or `*` (whatever is current)."
        );
        return;
    }
    if parameter["in"] != "query" {
        return;
    }
    match parameter["name"].as_str() {
        Some("format") => {
            parameter["schema"] = json!({ "type": "string", "enum": ["json", "csv"] });
            parameter["description"] = json!("`json` (the default) or `csv`.");
        }
        Some("limit") => {
            parameter["schema"] =
                json!({ "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE });
            parameter["description"] = json!(format!("Items per page, 1 to {MAX_PAGE_SIZE}."));
        }
        Some("cursor") => {
            parameter["schema"] = json!({ "type": "string", "minLength": 1 });
            parameter["description"] = json!("The `nextCursor` of the previous page, as it was given.");
        }
        _ => {}
    }
    // The edge reads an empty query value as an absent one (an HTML form's empty field).
    let constrained = parameter["schema"].get("$ref").is_some()
        || parameter["schema"]["type"] != "string"
        || ["pattern", "enum", "format", "minLength"].iter().any(|k| parameter["schema"].get(*k).is_some());
    if constrained {
        let schema = parameter["schema"].take();
        parameter["schema"] = json!({ "anyOf": [schema, { "type": "string", "maxLength": 0 }] });
    }
}

fn push_parameter(operation: &mut Value, parameter: Value) {
    match operation.get_mut("parameters").and_then(Value::as_array_mut) {
        Some(parameters) => parameters.push(parameter),
        None => operation["parameters"] = json!([parameter]),
    }
}

/// Every response has a description; a record's carries its `ETag`, a creation its `Location`,
/// an answer to retry later its `Retry-After`.
fn complete_response(status: &str, response: &mut Value) {
    if response.get("description").is_none() {
        let reason =
            status.parse().ok().and_then(|s| http::StatusCode::from_u16(s).ok()).and_then(|s| s.canonical_reason());
        response["description"] = json!(reason.unwrap_or("Answer"));
    }
    let record = record_answered(response).is_some();
    let mut headers = Map::new();
    if record {
        headers.insert(
            "ETag".into(),
            json!({
                "description": "The version of the record, a strong tag such as \"3\": send it back in If-Match.",
                "schema": { "type": "string", "pattern": STRONG_TAG }
            }),
        );
    }
    if status == "201" && record {
        headers.insert("Location".into(), json!({
            "description": "The path of the created record.", "schema": { "type": "string", "format": "uri-reference" }
        }));
    }
    if status == "503" {
        headers.insert(
            "Retry-After".into(),
            json!({
                "description": "Seconds to wait before trying again.", "schema": { "type": "integer", "minimum": 0 }
            }),
        );
    }
    if !headers.is_empty() {
        let existing = response["headers"].as_object().cloned().unwrap_or_default();
        headers.extend(existing);
        response["headers"] = Value::Object(headers);
    }
}

/// Links from each operation that answers a record to the operations on that record: the
/// record's path parameters filled from the request or the answer, and `If-Match` from its ETag.
fn add_links(doc: &mut Value, paths: &[String]) {
    let mut additions = Vec::new();
    for path in paths {
        for (method, operation) in doc["paths"][path].as_object().into_iter().flatten() {
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                let Some(record) = record_answered(response) else { continue };
                if !status.starts_with('2') {
                    continue;
                }
                let Some(item) = item_path(path, paths) else { continue };
                let properties = &doc["components"]["schemas"][record]["properties"];
                let links = links_to(doc, paths, path, &item, properties, method);
                if !links.is_empty() {
                    additions.push((path.clone(), method.clone(), status.clone(), links));
                }
            }
        }
    }
    for (path, method, status, links) in additions {
        doc["paths"][&path][&method]["responses"][&status]["links"] = Value::Object(links);
    }
}

/// The path of the record an operation on `path` answers: `path` itself when it ends with a
/// parameter, else the one path below it that does (`/cases` → `/cases/{id}`).
fn item_path(path: &str, paths: &[String]) -> Option<String> {
    if path.ends_with('}') {
        return Some(path.to_owned());
    }
    let prefix = format!("{path}/{{");
    paths.iter().find(|p| p.starts_with(&prefix) && !p[prefix.len()..].contains('/')).cloned()
}

fn links_to(
    doc: &Value,
    paths: &[String],
    from_path: &str,
    item: &str,
    properties: &Value,
    from_method: &str,
) -> Map<String, Value> {
    let mut links = Map::new();
    let item_params = path_parameters(item);
    let from_params = path_parameters(from_path);
    for path in paths.iter().filter(|p| *p == item || p.starts_with(&format!("{item}/"))) {
        // Only the record's own operations: a path with parameters of its own needs values
        // the answer does not hold.
        if path_parameters(path).len() != item_params.len() {
            continue;
        }
        for (method, operation) in doc["paths"][path].as_object().into_iter().flatten() {
            if path == from_path && method == from_method {
                continue;
            }
            let Some(operation_id) = operation["operationId"].as_str() else { continue };
            let mut parameters = Map::new();
            for name in &item_params {
                let value = if from_params.contains(name) {
                    format!("$request.path.{name}")
                } else if properties.get(name).is_some() {
                    format!("$response.body#/{name}")
                } else {
                    "$response.body#/id".to_owned()
                };
                parameters.insert(format!("path.{name}"), json!(value));
            }
            let takes_if_match = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "header" && p["name"] == "If-Match"));
            if takes_if_match {
                parameters.insert("header.If-Match".into(), json!("$response.header.ETag"));
            }
            links.insert(operation_id.to_owned(), json!({ "operationId": operation_id, "parameters": parameters }));
        }
    }
    links
}

fn path_parameters(path: &str) -> Vec<String> {
    path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).map(str::to_owned).collect()
}
