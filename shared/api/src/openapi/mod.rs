//! The OpenAPI 3.1 document, generated from the route declarations ([`crate::routes`]) and the
//! domain types.
//!
//! The generated document is committed as `shared/api/openapi.json` and served from that copy:
//! building it at run time would link every function's operations (and, through the route
//! tables, every handler) into the function that serves it. A test keeps the copy current;
//! after changing a route or a type, refresh it with
//! `GESTIONA_WRITE_OPENAPI=1 cargo test -p gestiona-api openapi`.

use http::StatusCode;
use lambda_http::{Body, Request, Response};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::Api;
use crate::problem::Problem;

mod contract;
mod examples;
pub use examples::EXAMPLE_ACCOUNT_ID;
mod schemas;

#[derive(OpenApi)]
#[openapi(
    info(title = "Gestiona API", description = "Accounts, contacts and cases of configurable types. \
        Errors are RFC 9457 problem+json; lists are cursor-paginated; updates need If-Match."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The document as served (the committed copy of [`generate`]'s output).
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// Builds the document from every route's declaration.
pub fn generate() -> String {
    let mut doc = ApiDoc::openapi();
    let mut schemas = Vec::new();
    for route in crate::routes::all_docs() {
        route.document_into(&mut doc.paths, &mut schemas);
    }
    // Types that only path and query parameters name: utoipa collects a schema from bodies only.
    use gestiona_domain::{CaseTypeKey, DocumentNumber, EntityId, FormId, TenantId, UserId};
    use utoipa::{PartialSchema, ToSchema};
    for (name, schema) in [
        (EntityId::name(), EntityId::schema()),
        (TenantId::name(), TenantId::schema()),
        (FormId::name(), FormId::schema()),
        (UserId::name(), UserId::schema()),
        (CaseTypeKey::name(), CaseTypeKey::schema()),
        (DocumentNumber::name(), DocumentNumber::schema()),
    ] {
        schemas.push((name.into_owned(), schema));
    }
    doc.components.get_or_insert_with(Default::default).schemas.extend(schemas);
    let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
    contract::complete(&mut value);
    let mut json = serde_json::to_string_pretty(&value).expect("a JSON value serialises");
    json.push('\n');
    json
}

#[utoipa::path(get, path = "/openapi.json", tag = "meta", description = "This document.",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn serve(_api: &Api, _request: &Request) -> Result<Response<Body>, Problem> {
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CACHE_CONTROL, "public, max-age=300")
        .body(Body::Text(DOCUMENT.to_owned()))
        .expect("a valid response"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_covers_every_route() {
        let doc: serde_json::Value = serde_json::from_str(&generate()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for route in crate::routes::all() {
            let operation = &doc["paths"][route.path()][route.method().to_lowercase()];
            assert!(operation.is_object(), "{} is not documented", route.key());
        }
        assert!(doc["components"]["schemas"]["Case"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }

    #[test]
    fn every_json_request_body_has_an_example() {
        let doc: serde_json::Value = serde_json::from_str(&generate()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for (media_type, body) in operation["requestBody"]["content"].as_object().into_iter().flatten() {
                    if media_type.contains("json") {
                        assert!(body["example"].is_object(), "{method} {path} ({media_type}) has no example");
                    }
                }
            }
        }
    }

    #[test]
    fn the_served_document_is_the_generated_one() {
        let generated = generate();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        if std::env::var_os("GESTIONA_WRITE_OPENAPI").is_some() {
            std::fs::write(path, &generated).expect("write openapi.json");
        }
        assert!(
            DOCUMENT == generated,
            "{path} is out of date: refresh it with `GESTIONA_WRITE_OPENAPI=1 cargo test -p gestiona-api openapi`"
        );
    }
}
