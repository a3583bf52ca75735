//! *Caso*: one case with its fields, the steps the user may take (asking for the fields a step
//! requires), its time limits explained, comments and history.

mod clocks;
mod documents;
mod edit;
mod fields;
mod new;
mod steps;
pub(crate) mod timeline;
mod uploads;

use gestiona_domain::access_log::{AccessAction, RecordRef};
use std::collections::BTreeMap;

use askama::Template;
use gestiona_domain::case::Case;
use gestiona_domain::case_type::CaseType;
use gestiona_domain::history::NewComment;
use gestiona_domain::messages as msg;
use gestiona_domain::service::cases::{AddCommentError, CaseHistoryError, GetCaseError};
use gestiona_domain::workflow::{self, OfferedAction};
use gestiona_domain::{EntityId, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

pub use documents::{DocumentView, download as download_document, generate as generate_document};
pub use edit::save;
pub use new::{create, form as new_form};
pub use steps::transition;
pub use uploads::{announce as announce_upload, complete as complete_upload, form_upload};

use self::clocks::ClockView;
use self::documents::DocumentsSection;
use self::edit::ConflictRow;
use self::fields::{FieldInput, FieldSource, show_custom};
use self::timeline::Entry;
use super::{Chrome, labels, page};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

/// The case as the page shows it.
pub struct CaseView {
    pub id: String,
    pub version: u64,
    pub subject: String,
    pub description: Option<String>,
    pub case_type: String,
    pub state: String,
    pub closed: bool,
    pub priority: String,
    pub channel: String,
    pub owner: String,
    /// The account and contact: link and name.
    pub account: Option<(String, String)>,
    pub contact: Option<(String, String)>,
    pub branch: Option<String>,
    pub amount: Option<String>,
    pub created: String,
    pub updated: String,
    /// The case type's custom fields that are set: label and value.
    pub fields: Vec<(String, String)>,
}

impl CaseView {
    fn of(case: &Versioned<Case>, definition: &CaseType, chrome: &Chrome, currency: &str) -> Self {
        let c = &case.value;
        let fields = definition
            .custom_fields
            .iter()
            .filter_map(|def| {
                let value = c.custom_fields.get(&def.key).filter(|v| !v.is_null())?;
                let shown = match value {
                    serde_json::Value::Bool(b) => chrome.t(if *b { msg::ui_yes() } else { msg::ui_no() }),
                    other => show_custom(def.kind, other, currency, chrome.locale),
                };
                Some((def.label.clone(), shown))
            })
            .collect();
        Self {
            id: c.id.to_string(),
            version: case.version,
            subject: c.subject.clone(),
            description: c.description.clone(),
            case_type: definition.name.clone(),
            state: definition.state(&c.state).map_or_else(|| c.state.clone(), |s| s.name.clone()),
            closed: c.state_class.is_closed(),
            priority: labels::priority(c.priority, chrome.locale),
            channel: labels::channel(c.channel, chrome.locale),
            owner: c.owner.as_ref().map_or_else(|| chrome.t(msg::ui_unassigned()), ToString::to_string),
            account: None,
            contact: None,
            branch: c.branch.clone(),
            amount: c.amount.as_ref().map(|a| gestiona_domain::format::money(a, chrome.locale)),
            created: chrome.when(c.created_at),
            updated: chrome.when(c.updated_at),
            fields,
        }
    }
}

/// One result of an offered action: a form with the fields it still needs.
pub struct StepView {
    pub key: String,
    pub name: String,
    pub next: Option<String>,
    pub requires_note: bool,
    pub note: String,
    pub inputs: Vec<FieldInput>,
    /// Required fields no form can give (the owner): the step stays disabled and says why.
    pub blocked: Option<String>,
}

pub struct ActionView {
    pub key: String,
    pub name: String,
    pub results: Vec<StepView>,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    case: CaseView,
    actions: Vec<ActionView>,
    edit_inputs: Vec<FieldInput>,
    /// Each edit input's value as the case has it, so the save sends only what the user changed.
    edit_was: Vec<(String, String)>,
    clocks: Vec<ClockView>,
    clock_basis: Vec<String>,
    docs: DocumentsSection,
    /// An error of the document form as a whole (the case has no addressee).
    document_error: Option<String>,
    activity: Vec<Entry>,
    stale: bool,
    transition_errors: Vec<String>,
    edit_failed: bool,
    /// Someone saved the case while the user edited it: what they changed (maybe nothing the
    /// form shows, if they took a step).
    conflict: Option<Vec<ConflictRow>>,
    conflict_by: String,
    comment_draft: String,
    comment_error: Option<String>,
    /// Whether the profile may change cases of this type (edit, comment, take steps).
    may_change: bool,
}

/// What the user posted that did not go through, shown on the page again with the reasons.
#[derive(Default)]
pub(super) struct Outcome {
    /// Someone else moved the case first.
    stale: bool,
    transition_errors: Vec<String>,
    /// The step the user tried, with what they typed and the errors per input.
    step: Option<Draft>,
    /// The edit form as posted, with the errors per input.
    edit: Option<Draft>,
    /// The other user's changes, when the edit arrived after them.
    conflict: Option<Vec<ConflictRow>>,
    /// The document form as posted (its template in `target`).
    document: Option<Draft>,
    /// The template whose form is open (`?document=quote`).
    open_document: Option<gestiona_domain::document::DocumentTemplate>,
    /// Why the file posted with the upload form was not filed.
    upload_error: Option<String>,
    comment_draft: String,
    comment_error: Option<String>,
}

/// A posted form: its values and the error of each input that has one.
#[derive(Default)]
pub(super) struct Draft {
    /// `action/result` for a step.
    target: String,
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
}

impl Draft {
    /// Fills `inputs` with the posted values and their errors.
    fn fill(&self, inputs: &mut [FieldInput]) {
        for input in inputs {
            input.value = self.values.get(&input.name).cloned().unwrap_or_default();
            input.error = self.errors.get(&input.name).cloned();
        }
    }
}

/// How many of the latest events the page shows (the API's history route pages through all).
const ACTIVITY_SHOWN: u32 = 100;

fn parse_id(id: &str) -> Option<EntityId> {
    EntityId::parse(id).ok()
}

/// A case with what the page needs around it: its definition and the currency of its figures.
pub(super) struct Loaded {
    case: Versioned<Case>,
    definition: CaseType,
    currency: String,
}

impl Loaded {
    fn source<'a>(&'a self, locale: gestiona_domain::Locale, actor: &'a gestiona_domain::Actor) -> FieldSource<'a> {
        FieldSource {
            case: Some(&self.case.value),
            definition: &self.definition,
            locale,
            currency: &self.currency,
            restricted: fields::restricted_of(actor),
        }
    }
}

/// Reads the case, its type's definition and the tenant's currency, or answers why not.
async fn load(console: &Console, signed_in: &SignedIn, id: EntityId) -> Result<Loaded, Response<Body>> {
    let locale = signed_in.session.locale;
    let actor = signed_in.actor.clone();
    let unavailable = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, "the case could not be read");
        response::unavailable(locale)
    };
    let case = match console.services.get_case(&actor, id).await {
        Ok(case) => case,
        Err(GetCaseError::NotFound) => return Err(response::not_found(locale)),
        Err(GetCaseError::Store(error)) => return Err(unavailable(&error)),
    };
    let definition = console
        .services
        .definition_of(&actor.tenant, &case.value.case_type, case.value.type_version)
        .await
        .map_err(|e| unavailable(&e))?;
    let currency = match &case.value.amount {
        Some(amount) => amount.currency.clone(),
        None => match console.services.tenant(&actor.tenant).await {
            Ok(tenant) => tenant.map_or_else(|| "CRC".to_owned(), |t| t.currency),
            Err(error) => return Err(unavailable(&error)),
        },
    };
    Ok(Loaded { case, definition, currency })
}

pub async fn show(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let open_document = super::query_value(request, "document")
        .and_then(|key| gestiona_domain::document::DocumentTemplate::parse(&key));
    let page = render(console, signed_in, id, StatusCode::OK, Outcome { open_document, ..Default::default() }).await;
    if page.status() == StatusCode::OK {
        console.services.log_access(&signed_in.actor, AccessAction::Read, Some(RecordRef::new("case", id))).await;
    }
    page
}

/// The documents section alone, for htmx's refresh while one is being prepared.
#[derive(Template)]
#[template(path = "case_documents.html")]
struct DocumentsFragment {
    chrome: Chrome,
    case: CaseId,
    docs: DocumentsSection,
    document_error: Option<String>,
}

/// What the documents section needs of the case.
struct CaseId {
    id: String,
}

/// `GET /app/cases/{id}/documents`: the section, fresh.
pub async fn documents_section(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "cases");
    let Some(case_id) = parse_id(id) else { return response::not_found(chrome.locale) };
    let documents = match console.services.list_documents(&signed_in.actor, case_id).await {
        Ok(documents) => documents,
        Err(gestiona_domain::service::documents::GetDocumentError::NotFound) => {
            return response::not_found(chrome.locale);
        }
        Err(gestiona_domain::service::documents::GetDocumentError::Store(error)) => {
            tracing::error!(%error, "the documents could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let docs = DocumentsSection::of(&documents, None, None, &chrome, "");
    page(
        StatusCode::OK,
        &DocumentsFragment { chrome, case: CaseId { id: case_id.to_string() }, docs, document_error: None },
    )
}

pub(super) async fn render(
    console: &Console,
    signed_in: &SignedIn,
    id: &str,
    status: StatusCode,
    outcome: Outcome,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "cases");
    let locale = chrome.locale;
    let Some(id) = parse_id(id) else { return response::not_found(locale) };
    let loaded = match load(console, signed_in, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let actor = signed_in.actor.clone();
    let (activity, sla, documents, (account, contact)) = tokio::join!(
        console.services.recent_case_activity(&actor, id, ACTIVITY_SHOWN),
        console.services.case_sla(&actor, id),
        console.services.list_documents(&actor, id),
        parties(console, &actor, &loaded.case.value),
    );
    let Ok(documents) = documents else {
        tracing::error!("the case's documents could not be listed");
        return response::unavailable(locale);
    };
    let (events, comments) = match activity {
        Ok(activity) => activity,
        Err(CaseHistoryError::NotFound) => return response::not_found(locale),
        Err(error) => {
            tracing::error!(?error, "the case's history could not be read");
            return response::unavailable(locale);
        }
    };
    let (clocks, clock_basis) = match sla {
        Ok(sla) => clocks::views(&sla, &loaded.definition, &chrome),
        Err(error) => {
            // The rest of the case is still worth showing; the section says the limits are unknown.
            tracing::error!(?error, "the case's clocks could not be computed");
            (Vec::new(), vec![msg::title_unavailable().render(locale)])
        }
    };
    let source = loaded.source(locale, &actor);
    let offered = workflow::offered(&loaded.definition, &loaded.case.value, &actor);
    let actions = offered.iter().map(|action| step_views(action, &source, outcome.step.as_ref(), locale)).collect();
    let mut edit_inputs = source.data_inputs("edit");
    // A type the profile keeps read only: its data shown locked, no comment form.
    let may_change =
        signed_in.actor.allows_case(&loaded.case.value.case_type, gestiona_domain::access::Operation::Update);
    if !may_change {
        edit_inputs.iter_mut().for_each(|input| input.read_only = true);
    }
    let edit_was = edit_inputs.iter().map(|i| (i.name.clone(), i.value.clone())).collect();
    if let Some(draft) = &outcome.edit {
        draft.fill(&mut edit_inputs);
    }
    let activity = timeline::entries(&events, &comments, &loaded.definition, &chrome);
    let open_document = outcome.open_document.or_else(|| {
        outcome.document.as_ref().and_then(|d| gestiona_domain::document::DocumentTemplate::parse(&d.target))
    });
    let mut docs =
        DocumentsSection::of(&documents, open_document, outcome.document.as_ref(), &chrome, &loaded.currency);
    docs.upload_error = outcome.upload_error;
    let document_error = documents::form_error(outcome.document.as_ref());
    let case =
        CaseView { account, contact, ..CaseView::of(&loaded.case, &loaded.definition, &chrome, &loaded.currency) };
    let updated = &loaded.case.value;
    let conflict_by = chrome.t(msg::ui_changed_by(&updated.updated_by, chrome.when(updated.updated_at)));
    let page_data = CasePage {
        chrome,
        case,
        actions,
        edit_inputs,
        edit_was,
        clocks,
        clock_basis,
        docs,
        document_error,
        activity,
        stale: outcome.stale,
        transition_errors: outcome.transition_errors,
        edit_failed: outcome.edit.is_some_and(|d| !d.errors.is_empty()),
        conflict: outcome.conflict,
        conflict_by,
        comment_draft: outcome.comment_draft,
        comment_error: outcome.comment_error,
        may_change,
    };
    page(status, &page_data)
}

/// The case's account and contact as links with their names (left out if they cannot be read:
/// the rest of the page is still worth showing).
async fn parties(
    console: &Console,
    actor: &gestiona_domain::Actor,
    case: &Case,
) -> (Option<(String, String)>, Option<(String, String)>) {
    let account = async {
        let id = case.account_id?;
        match console.services.get_account(actor, id).await {
            Ok(account) => Some((format!("/app/accounts/{id}"), account.value.name)),
            Err(error) => {
                tracing::warn!(?error, "the case's account could not be read");
                None
            }
        }
    };
    let contact = async {
        let id = case.contact_id?;
        match console.services.get_contact(actor, id).await {
            Ok(contact) => Some((format!("/app/contacts/{id}"), contact.value.full_name())),
            Err(error) => {
                tracing::warn!(?error, "the case's contact could not be read");
                None
            }
        }
    };
    tokio::join!(account, contact)
}

/// The forms of one action's results; the one the user just tried keeps what they typed.
fn step_views(
    action: &OfferedAction,
    source: &FieldSource<'_>,
    draft: Option<&Draft>,
    locale: gestiona_domain::Locale,
) -> ActionView {
    let results = action
        .results
        .iter()
        .map(|result| {
            let dom_prefix = format!("step-{}-{}", action.key, result.key);
            let (inputs, blocked) = match source.step_inputs(&result.missing_fields, &dom_prefix) {
                Some(inputs) => (inputs, None),
                None => (Vec::new(), Some(msg::ui_needs_fields(result.missing_fields.join(", ")).render(locale))),
            };
            let next = result
                .next
                .as_ref()
                .map(|key| source.definition.state(key).map_or_else(|| key.clone(), |state| state.name.clone()));
            let mut view = StepView {
                key: result.key.clone(),
                name: result.name.clone(),
                next,
                requires_note: result.requires_note,
                note: String::new(),
                inputs,
                blocked,
            };
            if let Some(draft) = draft.filter(|d| d.target == format!("{}/{}", action.key, result.key)) {
                draft.fill(&mut view.inputs);
                view.note = draft.values.get("note").cloned().unwrap_or_default();
            }
            view
        })
        .collect();
    ActionView { key: action.key.clone(), name: action.name.clone(), results }
}

/// `POST /app/cases/{id}/comments`: adds the comment and shows the case again.
pub async fn comment(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(case_id) = parse_id(id) else { return response::not_found(locale) };
    let body = form_value(request, "body").unwrap_or_default();
    let internal = form_value(request, "internal").is_some();
    let input = NewComment { body: body.clone(), internal };
    match console.services.add_comment(&signed_in.actor, case_id, input).await {
        Ok(_) => response::redirect(&format!("/app/cases/{case_id}#comments-heading")),
        Err(AddCommentError::NotFound) => response::not_found(locale),
        Err(AddCommentError::Forbidden(f)) => response::not_permitted(locale, f.message()),
        Err(AddCommentError::Invalid(errors)) => {
            let comment_error = errors.0.first().map(|e| e.reason.render(locale));
            let outcome = Outcome { comment_draft: body, comment_error, ..Default::default() };
            render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(AddCommentError::Archived) => {
            let outcome = Outcome {
                comment_draft: body,
                comment_error: Some(msg::title_case_archived().render(locale)),
                ..Default::default()
            };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(AddCommentError::Store(error)) => {
            tracing::error!(%error, "the comment could not be stored");
            response::unavailable(locale)
        }
    }
}
