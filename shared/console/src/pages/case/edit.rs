//! `POST /app/cases/{id}/fields`: saves the case data form. Only the inputs the user changed
//! are sent, at the version the page showed; when someone saved the case in between, the page
//! shows what they changed next to what the user typed, and nothing is overwritten.

use gestiona_domain::case::CasePatch;
use gestiona_domain::messages as msg;
use gestiona_domain::service::cases::UpdateCaseError;
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::fields::{CUSTOM, FieldInput, form_fields, input_of_error, read_posted};
use super::{Draft, Outcome, load, parse_id, render};
use crate::session::SignedIn;
use crate::{Console, response};

/// Prefix of the hidden input that holds a field's value as the form was first shown.
const WAS: &str = "was.";

/// One field someone else changed while the user was editing.
pub struct ConflictRow {
    pub label: String,
    pub before: String,
    pub now: String,
    pub yours: String,
}

pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(case_id) = parse_id(id) else { return response::not_found(locale) };
    let values = form_fields(request.body().as_ref());
    let Some(expected) = values.get("version").and_then(|v| v.parse::<u64>().ok()) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let loaded = match load(console, signed_in, case_id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let inputs = loaded.source(locale, &signed_in.actor).data_inputs("edit");
    let typed = |input: &FieldInput| values.get(&input.name).cloned().unwrap_or_default();
    let was = |input: &FieldInput| values.get(&format!("{WAS}{}", input.name)).cloned().unwrap_or_default();
    if loaded.case.version != expected {
        return conflict(console, signed_in, id, &values).await;
    }
    // A locked input is never a change, whatever arrives for it (a disabled box sends nothing).
    let changed: Vec<String> =
        inputs.iter().filter(|i| !i.read_only && typed(i) != was(i)).map(|i| i.name.clone()).collect();
    let mut draft = Draft { values: values.clone(), ..Default::default() };
    let posted = read_posted(&changed, &values, &loaded.definition, &loaded.currency, locale);
    if !posted.errors.is_empty() {
        draft.errors = posted.errors;
        let outcome = Outcome { edit: Some(draft), ..Default::default() };
        return render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
    }
    if changed.is_empty() {
        return response::redirect(&format!("/app/cases/{case_id}#case-data"));
    }
    let own = posted.own;
    let patch = CasePatch {
        description: own.description,
        branch: own.branch,
        amount: own.amount,
        priority: own.priority,
        custom_fields: Some(posted.custom).filter(|c| changed.iter().any(|n| n.starts_with(CUSTOM)) && !c.is_empty()),
        ..Default::default()
    };
    match console.services.update_case(&signed_in.actor, case_id, expected.into(), patch).await {
        Ok(_) => response::redirect(&format!("/app/cases/{case_id}#case-data")),
        Err(UpdateCaseError::NotFound) => response::not_found(locale),
        Err(UpdateCaseError::Stale { .. }) => conflict(console, signed_in, id, &values).await,
        Err(UpdateCaseError::Invalid(errors)) => {
            draft.errors = errors.0.into_iter().map(|e| (input_of_error(&e.field), e.reason.render(locale))).collect();
            let outcome = Outcome { edit: Some(draft), ..Default::default() };
            render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(UpdateCaseError::Forbidden(forbidden)) => {
            draft.errors.insert("priority".into(), forbidden.message().render(locale));
            let outcome = Outcome { edit: Some(draft), ..Default::default() };
            render(console, signed_in, id, StatusCode::FORBIDDEN, outcome).await
        }
        Err(UpdateCaseError::Archived) => {
            let outcome =
                Outcome { transition_errors: vec![msg::title_case_archived().render(locale)], ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(UpdateCaseError::Store(error)) => {
            tracing::error!(%error, "the case could not be saved");
            response::unavailable(locale)
        }
    }
}

/// The case as it is now, with the fields that changed since the user opened the form: their
/// value then, now, and what the user typed (not saved).
async fn conflict(
    console: &Console,
    signed_in: &SignedIn,
    id: &str,
    values: &std::collections::BTreeMap<String, String>,
) -> Response<Body> {
    let Some(case_id) = parse_id(id) else { return response::not_found(signed_in.session.locale) };
    // Read again: the write may have lost to a change made after this request loaded the case.
    let now = match load(console, signed_in, case_id).await {
        Ok(loaded) => loaded.source(signed_in.session.locale, &signed_in.actor).data_inputs("edit"),
        Err(response) => return response,
    };
    let rows = now
        .iter()
        .filter_map(|current| {
            let before = values.get(&format!("{WAS}{}", current.name)).cloned().unwrap_or_default();
            (before != current.value).then(|| ConflictRow {
                label: current.label.clone(),
                before,
                now: current.value.clone(),
                yours: values.get(&current.name).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let outcome = Outcome { conflict: Some(rows), ..Default::default() };
    render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
}
