//! The event fixtures in `events/`, loaded and adjusted for one test.

use serde_json::{Value, json};

/// Loads `events/{name}` as JSON.
pub fn event(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// The placeholder case id in the fixtures' paths.
pub const PLACEHOLDER_ID: &str = "01JD8X3Q9V7M2K4T6W8Y0Z1A2B";

/// Points a fixture at another case id (path parameter and raw paths).
pub fn with_id(mut event: Value, id: &str) -> Value {
    event["pathParameters"]["id"] = Value::from(id);
    for pointer in ["/rawPath", "/requestContext/http/path"] {
        if let Some(path) = event.pointer_mut(pointer) {
            *path = Value::from(path.as_str().unwrap_or_default().replace(PLACEHOLDER_ID, id));
        }
    }
    event
}

pub fn with_header(mut event: Value, name: &str, value: &str) -> Value {
    event["headers"][name] = Value::from(value);
    event
}

pub fn with_claim(mut event: Value, name: &str, value: &str) -> Value {
    event["requestContext"]["authorizer"]["jwt"]["claims"][name] = Value::from(value);
    event
}

/// Turns an event into the request lambda_http hands the function.
pub fn request(event: &Value) -> lambda_http::Request {
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
}

/// Staff listing the form posts held for review (`GET /lead-submissions`): the JWT-authorized
/// `list-cases.json` fixture pointed at that route.
pub fn lead_submissions() -> Value {
    let mut review = event("apigw/list-cases.json");
    for pointer in ["/routeKey", "/requestContext/routeKey"] {
        *review.pointer_mut(pointer).unwrap() = Value::from("GET /lead-submissions");
    }
    review["rawPath"] = Value::from("/lead-submissions");
    review["requestContext"]["http"]["path"] = Value::from("/lead-submissions");
    review["queryStringParameters"] = Value::Null;
    review["rawQueryString"] = Value::from("");
    review
}

/// A staff request (the create-case fixture's authorizer claims) for another route.
pub fn staff(method: &str, route: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Value {
    let mut e = event("apigw/create-case.json");
    let key = format!("{method} {route}");
    e["routeKey"] = json!(key);
    e["requestContext"]["routeKey"] = json!(key);
    e["requestContext"]["http"]["method"] = json!(method);
    e["requestContext"]["http"]["path"] = json!(path);
    e["rawPath"] = json!(path);
    e["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = json!("[agent supervisor admin]");
    let parameters: serde_json::Map<String, Value> = route
        .split('/')
        .zip(path.split('/'))
        .filter(|(r, _)| r.starts_with('{'))
        .map(|(r, p)| (r.trim_matches(['{', '}']).to_owned(), json!(p)))
        .collect();
    e["pathParameters"] = if parameters.is_empty() { Value::Null } else { Value::Object(parameters) };
    e["queryStringParameters"] = if query.is_empty() {
        Value::Null
    } else {
        Value::Object(query.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect())
    };
    e["rawQueryString"] = json!(query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"));
    match body {
        Some(body) => e["body"] = json!(body.to_string()),
        None => {
            e["body"] = Value::Null;
            e["headers"].as_object_mut().unwrap().remove("content-type");
        }
    }
    e
}

/// The benchmarks' own form: the demo form's fields, server-to-server (no timestamp check) and
/// rate limits above the bench's rate, so every post takes the intake path.
pub fn bench_form() -> Value {
    json!({
        "name": "Bench",
        "fields": [
            {"name": "nombre", "maps": "name", "required": true},
            {"name": "email", "maps": "email", "required": true},
            {"name": "telefono", "maps": "phone"},
            {"name": "mensaje", "maps": "message", "maxLength": 2000}
        ],
        "defaultCountry": "CR",
        "honeypot": "website",
        "minFillSeconds": 0,
        "rateLimits": {"perIpPerMinute": 1_000_000, "perFormPerMinute": 1_000_000},
        "assignment": {"agents": ["ana", "carlos"], "strategy": "round_robin"},
        "notifications": {"assignee": "lead_new_assignee", "prospect": "lead_welcome"},
        "locale": "es"
    })
}

/// A clean post of the bench form (`bench_form`), the `n`th of a run: its own e-mail and phone.
pub fn lead_post(n: usize) -> Value {
    let mut e = event("apigw/post-lead-form.json");
    let body = json!({
        "nombre": format!("Cliente Bench {n}"),
        "email": format!("cliente{n}@bench.example"),
        "telefono": format!("88{:06}", n % 1_000_000),
        "mensaje": "Quisiera una cotización"
    });
    e["pathParameters"]["form"] = json!("bench");
    for pointer in ["/rawPath", "/requestContext/http/path"] {
        *e.pointer_mut(pointer).unwrap() = json!("/f/demo/bench");
    }
    e["body"] = json!(body.to_string());
    e["isBase64Encoded"] = json!(false);
    e["headers"]["content-type"] = json!("application/json");
    e["headers"]["accept"] = json!("application/json");
    e["headers"]["content-length"] = json!(body.to_string().len().to_string());
    e["headers"]["idempotency-key"] = json!(format!("bench-{n}"));
    e["requestContext"]["http"]["sourceIp"] = json!(format!("198.51.{}.{}", (n / 250) % 250, n % 250 + 1));
    e
}

/// A staff request to `route` whose path parameters name nothing and whose body is not even
/// JSON: what a check that must refuse before reading the request sends.
pub fn probe(route: &gestiona_api::Route) -> Value {
    let path: String = route
        .path()
        .split('/')
        .map(|part| if part.starts_with('{') { "01J0000000000000000000000X" } else { part })
        .collect::<Vec<_>>()
        .join("/");
    let mut event = staff(route.method(), &route.path(), &path, &[], None);
    event["body"] = json!("{not json");
    event["headers"]["content-type"] = json!("application/json");
    event
}
