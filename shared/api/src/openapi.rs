//! The OpenAPI 3.1 document, generated from the handlers' annotations and the domain types.

use std::sync::OnceLock;

use http::StatusCode;
use lambda_http::{Body, Response};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::{
    accounts, capture, case_types, cases, contacts, directory, documents, leads, receivables, reports, sla, transitions,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Gestiona API", description = "Accounts, contacts and cases of configurable types. \
        Errors are RFC 9457 problem+json; lists are cursor-paginated; updates need If-Match."),
    paths(
        accounts::create, accounts::get, accounts::update, accounts::archive, accounts::list,
        contacts::create, contacts::get, contacts::update, contacts::archive, contacts::list,
        cases::create, cases::get, cases::update, cases::archive, cases::list, cases::history,
        cases::add_comment, cases::list_comments,
        case_types::list, case_types::get, case_types::create, case_types::update,
        transitions::transition, transitions::offered,
        reports::cases_by_state, reports::rejections, reports::workload, reports::sla,
        directory::list, directory::save, directory::opt_out,
        sla::case_sla, sla::list_calendars, sla::get_calendar, sla::put_calendar, sla::get_policy, sla::put_policy,
        leads::create, leads::get, leads::update, leads::list, leads::history, leads::convert, leads::get_opportunity,
        leads::contact_activities, leads::list_forms, leads::get_form, leads::put_form, leads::list_submissions,
        leads::get_submission, leads::release_submission, leads::discard_submission,
        capture::page, capture::submit,
        documents::templates, documents::request, documents::list, documents::download, documents::begin_upload,
        documents::complete_upload,
        receivables::put_invoice, receivables::batch, receivables::get_invoice, receivables::list_invoices,
        receivables::patch_invoice, receivables::history, receivables::movements, receivables::put_payment,
        receivables::put_credit_note, receivables::write_off, receivables::get_ladder, receivables::put_ladder,
        receivables::get_profile, receivables::put_profile, receivables::account_aging, receivables::aging_report,
    ),
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

/// The document as JSON, built once per container.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_json().expect("the OpenAPI document serialises"))
}

pub fn serve() -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CACHE_CONTROL, "public, max-age=300")
        .body(Body::Text(document().to_owned()))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_covers_every_route() {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for route in crate::ROUTES.iter().filter(|r| r.path != "/openapi.json") {
            let operation = &doc["paths"][route.path][route.method.to_lowercase()];
            assert!(operation.is_object(), "{} is not documented", route.key());
        }
        assert!(doc["components"]["schemas"]["Case"].is_object());
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }
}
