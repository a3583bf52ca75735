//! The event fixtures in `events/`, loaded and adjusted for one test.

use serde_json::Value;

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
