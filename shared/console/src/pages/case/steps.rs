//! `POST /app/cases/{id}/transitions`: takes the chosen step at the version the page showed,
//! with the fields its result requires as the user filled them in.

use gestiona_domain::actor::Needed;
use gestiona_domain::messages as msg;
use gestiona_domain::search::{SearchDoc, SearchKind};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::transitions::TransitionCaseError;
use gestiona_domain::workflow::{StepCaseFields, TransitionError, TransitionRequest};
use gestiona_domain::{EntityId, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::fields::{form_fields, input_of_error, read_posted};
use super::{Draft, Outcome, load, parse_id, render};
use crate::session::SignedIn;
use crate::{Console, response};

pub async fn transition(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(case_id) = parse_id(id) else { return response::not_found(locale) };
    let values = form_fields(request.body().as_ref());
    let Some(expected) = values.get("version").and_then(|v| v.parse::<u64>().ok()) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let action = values.get("action").cloned().unwrap_or_default();
    let result = values.get("result").cloned().unwrap_or_default();
    let loaded = match load(console, signed_in, case_id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    // The inputs the result asks for; the domain refuses a step that does not exist.
    let required = loaded
        .definition
        .action(&action)
        .and_then(|a| a.results.iter().find(|r| r.key == result))
        .map(|r| r.required_fields.clone())
        .unwrap_or_default();
    let names: Vec<String> = loaded
        .source(locale, &signed_in.actor)
        .step_inputs(&required, "step")
        .unwrap_or_default()
        .into_iter()
        .map(|input| input.name)
        .collect();
    let mut draft = Draft { target: format!("{action}/{result}"), values, errors: Default::default() };
    let posted = read_posted(&names, &draft.values, &loaded.definition, &loaded.currency, locale);
    draft.errors = posted.errors;
    let actor = signed_in.actor.clone();
    let mut case_fields = StepCaseFields {
        description: posted.own.description.flatten(),
        branch: posted.own.branch.flatten(),
        amount: posted.own.amount.flatten(),
        ..Default::default()
    };
    let accounts = [SearchKind::Account];
    let contacts = [SearchKind::Contact];
    for (name, typed, kinds) in
        [("account", &posted.own.account, &accounts), ("contact", &posted.own.contact, &contacts)]
    {
        let Some(typed) = typed else { continue };
        match named_record(console, signed_in, typed, kinds).await {
            Ok(found) if name == "account" => case_fields.account_id = Some(found),
            Ok(found) => case_fields.contact_id = Some(found),
            Err(Some(reason)) => {
                draft.errors.insert(name.to_owned(), reason.render(locale));
            }
            Err(None) => return response::unavailable(locale),
        }
    }
    if !draft.errors.is_empty() {
        let outcome = Outcome { step: Some(draft), ..Default::default() };
        return render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
    }
    let custom = posted.custom.into_iter().filter(|(_, v)| !v.is_null()).collect::<serde_json::Map<_, _>>();
    let step = TransitionRequest {
        action,
        result,
        note: draft.values.get("note").filter(|n| !n.trim().is_empty()).cloned(),
        fields: Some(custom).filter(|f| !f.is_empty()),
        case_fields: Some(case_fields).filter(|f| *f != StepCaseFields::default()),
    };
    match console.services.transition_case(&actor, case_id, expected.into(), step).await {
        Ok(_) => response::redirect(&format!("/app/cases/{case_id}")),
        Err(TransitionCaseError::NotFound) => response::not_found(locale),
        // A field the step sets that the profile may not change (the form offers none such).
        Err(TransitionCaseError::Forbidden(refusal)) => {
            if let Needed::Fields(fields) = &refusal.needed {
                for (field, _) in fields {
                    draft.errors.insert(input_of_error(field), refusal.message().render(locale));
                }
            }
            let outcome = Outcome {
                transition_errors: vec![refusal.message().render(locale)],
                step: Some(draft),
                ..Default::default()
            };
            render(console, signed_in, id, StatusCode::FORBIDDEN, outcome).await
        }
        // Someone else moved the case: show it as it is now, and say so.
        Err(TransitionCaseError::Stale { .. }) => {
            let outcome = Outcome { stale: true, ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(TransitionCaseError::Archived) => {
            let outcome =
                Outcome { transition_errors: vec![msg::title_case_archived().render(locale)], ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(TransitionCaseError::Rejected(TransitionError::Invalid(errors))) => {
            for error in errors.0 {
                draft.errors.insert(input_of_error(&error.field), error.reason.render(locale));
            }
            let outcome = Outcome { step: Some(draft), ..Default::default() };
            render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(TransitionCaseError::Rejected(refusal)) => {
            let transition_errors = refusal.messages().iter().map(|m| m.render(locale)).collect();
            let outcome = Outcome { transition_errors, step: Some(draft), ..Default::default() };
            render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(TransitionCaseError::Store(error)) => {
            tracing::error!(%error, "the transition could not be stored");
            response::unavailable(locale)
        }
    }
}

/// The one record of `kinds` that `typed` names: an id, or words of its name. `Err(Some)`
/// says why none or several match; `Err(None)` is a store failure (logged).
pub(super) async fn named_record(
    console: &Console,
    signed_in: &SignedIn,
    typed: &str,
    kinds: &[SearchKind],
) -> Result<EntityId, Option<Message>> {
    if let Ok(id) = EntityId::parse(typed.trim()) {
        return Ok(id);
    }
    let first = PageRequest::new(Some(6), None).expect("a valid page size");
    let found = match console.services.search(&signed_in.actor, typed, kinds, &first).await {
        Ok(found) => found.items,
        Err(gestiona_domain::service::ListError::Invalid(errors)) => {
            return Err(errors.0.into_iter().next().map(|e| e.reason));
        }
        Err(error) => {
            tracing::error!(?error, "a record could not be looked up by name");
            return Err(None);
        }
    };
    let folded = |text: &str| gestiona_domain::search::fold(text.trim());
    let all: Vec<&SearchDoc> = found.iter().collect();
    let exact: Vec<&SearchDoc> = found.iter().filter(|doc| folded(&doc.title) == folded(typed)).collect();
    match (all.as_slice(), exact.as_slice()) {
        (_, [one]) | ([one], _) => EntityId::parse(&one.id).map_err(|_| None),
        ([], _) => Err(Some(msg::ui_no_match(typed))),
        (many, _) => {
            let names: Vec<&str> = many.iter().map(|doc| doc.title.as_str()).collect();
            Err(Some(msg::ui_several_match(names.join("; "))))
        }
    }
}
