//! Creating and editing accounts and contacts. Every form sends back each value as it was shown
//! (`was.*`), so an edit changes only what the user touched, at the version the form showed;
//! a late save is refused and the form shows the record as it is now.

use std::collections::BTreeMap;

use askama::Template;
use gestiona_domain::access::Module;
use gestiona_domain::account::{Account, AccountPatch, NewAccount};
use gestiona_domain::actor::{Forbidden, Needed};
use gestiona_domain::contact::{Contact, ContactPatch, NewContact};
use gestiona_domain::field_access::FieldAccess;
use gestiona_domain::messages as msg;
use gestiona_domain::service::accounts::{CreateAccountError, GetAccountError, UpdateAccountError};
use gestiona_domain::service::contacts::{CreateContactError, GetContactError, UpdateContactError};
use gestiona_domain::{EntityId, Message, ValidationErrors};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::form::{Control, FieldInput, FormBody};
use super::{Chrome, page};
use crate::session::SignedIn;
use crate::{Console, response};

const WAS: &str = "was.";

/// One input of a record's form.
struct Spec {
    name: &'static str,
    label: fn() -> Message,
    control: Control,
    required: bool,
}

const fn spec(name: &'static str, label: fn() -> Message, control: Control, required: bool) -> Spec {
    Spec { name, label, control, required }
}

/// A record's form: the module whose field rules apply, and its inputs.
struct RecordFields {
    module: Module,
    specs: &'static [Spec],
}

impl RecordFields {
    /// The inputs the user may see, each with whether they may change it.
    fn shown<'a>(&'a self, chrome: &'a Chrome) -> impl Iterator<Item = (&'a Spec, FieldAccess)> + 'a {
        self.specs
            .iter()
            .map(|spec| (spec, chrome.field_access(self.module, spec.name)))
            .filter(|(_, access)| *access != FieldAccess::Hidden)
    }

    /// The names of the inputs the user may change.
    fn writable<'a>(&'a self, chrome: &'a Chrome) -> Vec<&'static str> {
        self.shown(chrome).filter(|(_, access)| *access == FieldAccess::ReadWrite).map(|(spec, _)| spec.name).collect()
    }
}

const ACCOUNT_FIELDS: RecordFields = RecordFields {
    module: Module::Accounts,
    specs: &[
        spec("name", msg::ui_name, Control::Text, true),
        spec("taxId", msg::ui_tax_id, Control::Text, false),
        spec("email", msg::ui_email, Control::Text, false),
        spec("phone", msg::ui_phone, Control::Text, false),
        spec("website", msg::ui_website, Control::Text, false),
        spec("industry", msg::ui_industry, Control::Text, false),
        spec("branch", msg::ui_branch, Control::Text, false),
    ],
};

const CONTACT_FIELDS: RecordFields = RecordFields {
    module: Module::Contacts,
    specs: &[
        spec("firstName", msg::ui_first_name, Control::Text, true),
        spec("lastName", msg::ui_last_name, Control::Text, false),
        spec("title", msg::ui_job_title, Control::Text, false),
        spec("email", msg::ui_email, Control::Text, false),
        spec("phone", msg::ui_phone, Control::Text, false),
        spec("locale", msg::ui_language, Control::Choice, false),
    ],
};

fn account_values(account: &Account) -> BTreeMap<String, String> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    BTreeMap::from([
        ("name".into(), account.name.clone()),
        ("taxId".into(), text(&account.tax_id)),
        ("email".into(), text(&account.email)),
        ("phone".into(), text(&account.phone)),
        ("website".into(), text(&account.website)),
        ("industry".into(), text(&account.industry)),
        ("branch".into(), text(&account.branch)),
    ])
}

fn contact_values(contact: &Contact) -> BTreeMap<String, String> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    BTreeMap::from([
        ("firstName".into(), contact.first_name.clone()),
        ("lastName".into(), text(&contact.last_name)),
        ("title".into(), text(&contact.title)),
        ("email".into(), text(&contact.email)),
        ("phone".into(), text(&contact.phone)),
        ("locale".into(), text(&contact.locale)),
    ])
}

#[derive(Template)]
#[template(path = "record_form.html")]
struct RecordForm {
    chrome: Chrome,
    form: FormBody,
    notice: Option<String>,
}

/// Where a record's form posts, what it is called, and the version it edits.
struct Frame {
    heading: String,
    action: String,
    back: String,
    version: Option<u64>,
}

struct FormParts<'a> {
    frame: Frame,
    was: BTreeMap<String, String>,
    shown: &'a BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    hidden: Vec<(String, String)>,
    notice: Option<String>,
}

impl<'a> FormParts<'a> {
    /// The form with `shown` as the record's values, nothing posted yet.
    fn showing(frame: Frame, shown: &'a BTreeMap<String, String>) -> Self {
        Self { frame, was: shown.clone(), shown, errors: BTreeMap::new(), hidden: Vec::new(), notice: None }
    }
}

fn render(chrome: Chrome, fields: &RecordFields, parts: FormParts<'_>, status: StatusCode) -> Response<Body> {
    let inputs = fields
        .shown(&chrome)
        .map(|(spec, access)| FieldInput {
            name: spec.name.to_owned(),
            dom_id: format!("record-{}", spec.name),
            label: chrome.t((spec.label)()),
            control: spec.control,
            value: parts.shown.get(spec.name).cloned().unwrap_or_default(),
            options: if spec.name == "locale" {
                vec![("es".into(), "Español".into()), ("en".into(), "English".into())]
            } else {
                Vec::new()
            },
            required: spec.required,
            read_only: access == FieldAccess::ReadOnly,
            error: parts.errors.get(spec.name).cloned(),
        })
        .collect();
    let form = FormBody {
        heading: parts.frame.heading,
        action: parts.frame.action,
        back: parts.frame.back,
        version: parts.frame.version,
        // A hidden field's former value is not carried either (it is empty: the record came
        // without it).
        was: parts
            .was
            .into_iter()
            .filter(|(name, _)| chrome.field_access(fields.module, name) != FieldAccess::Hidden)
            .collect(),
        inputs,
        hidden: parts.hidden,
        failed: !parts.errors.is_empty(),
        submit: chrome.t(msg::ui_save()),
    };
    page(status, &RecordForm { chrome, form, notice: parts.notice })
}

/// The posted form's fields.
fn posted(request: &Request) -> BTreeMap<String, String> {
    form_urlencoded::parse(request.body().as_ref()).map(|(n, v)| (n.into_owned(), v.into_owned())).collect()
}

/// The inputs whose value differs from the one the form showed: `None` clears the field.
fn changes(values: &BTreeMap<String, String>, fields: &[&str]) -> BTreeMap<String, Option<String>> {
    fields
        .iter()
        .filter(|name| values.get(**name) != values.get(&format!("{WAS}{name}")))
        .map(|name| {
            let value = values.get(*name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            ((*name).to_owned(), value)
        })
        .collect()
}

/// What the form of a record shows after a save that did not go through: invalid input stays
/// for the user to fix (over the values it was typed against); after someone else's save, the
/// record as it is now. `(shown, was)`.
fn after_refusal(
    values: &BTreeMap<String, String>,
    fields: &RecordFields,
    current: BTreeMap<String, String>,
    invalid: bool,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    if invalid {
        let was = fields
            .specs
            .iter()
            .map(|f| (f.name.to_owned(), values.get(&format!("{WAS}{}", f.name)).cloned().unwrap_or_default()));
        (values.clone(), was.collect())
    } else {
        (current.clone(), current)
    }
}

/// An edit that did not go through: why, as the form shows it.
struct Refusal {
    status: StatusCode,
    notice: Option<String>,
    /// The error of each input, when the input was at fault.
    errors: Option<BTreeMap<String, String>>,
}

impl Refusal {
    fn stale(chrome: &Chrome) -> Self {
        Self { status: StatusCode::CONFLICT, notice: Some(chrome.t(msg::ui_record_stale())), errors: None }
    }
    fn archived(chrome: &Chrome) -> Self {
        Self { status: StatusCode::CONFLICT, notice: Some(chrome.t(msg::ui_record_archived())), errors: None }
    }
    fn invalid(status: StatusCode, errors: BTreeMap<String, String>) -> Self {
        Self { status, notice: None, errors: Some(errors) }
    }
}

/// The edit form again after `refusal`, over the record as it is now (`current`).
fn render_refused(
    chrome: Chrome,
    fields: &RecordFields,
    frame: Frame,
    posted: &BTreeMap<String, String>,
    current: BTreeMap<String, String>,
    refusal: Refusal,
) -> Response<Body> {
    let (shown, was) = after_refusal(posted, fields, current, refusal.errors.is_some());
    let parts = FormParts {
        frame,
        was,
        shown: &shown,
        errors: refusal.errors.unwrap_or_default(),
        hidden: Vec::new(),
        notice: refusal.notice,
    };
    render(chrome, fields, parts, refusal.status)
}

/// An edit form as posted: the version it showed and the inputs the user changed (of those
/// their profile lets them change: a locked input is never a change).
fn posted_edit(
    values: &BTreeMap<String, String>,
    fields: &RecordFields,
    chrome: &Chrome,
) -> Option<(u64, BTreeMap<String, Option<String>>)> {
    let version = values.get("version").and_then(|v| v.parse().ok())?;
    Some((version, changes(values, &fields.writable(chrome))))
}

/// A refusal of the user's profile, as errors on the inputs it concerns (a field they may not
/// change; a form only offers such a field locked, so this answers a tampered post).
fn refused_fields(refusal: Forbidden, chrome: &Chrome) -> BTreeMap<String, String> {
    match refusal.needed {
        Needed::Fields(_) => refusal.field_errors().into_iter().map(|e| (e.field, chrome.t(e.reason))).collect(),
        _ => BTreeMap::from([("name".to_owned(), chrome.t(refusal.message()))]),
    }
}

fn errors_of(errors: ValidationErrors, chrome: &Chrome) -> BTreeMap<String, String> {
    errors.0.into_iter().map(|e| (e.field, e.reason.render(chrome.locale))).collect()
}

fn optional(values: &BTreeMap<String, String>, name: &str) -> Option<String> {
    values.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `GET /app/accounts/new`.
pub async fn new_account(signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let frame = new_account_frame(&chrome);
    render(chrome, &ACCOUNT_FIELDS, FormParts::showing(frame, &BTreeMap::new()), StatusCode::OK)
}

/// `POST /app/accounts`: creates the account and opens its file.
pub async fn create_account(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let values = posted(request);
    let input = NewAccount {
        name: values.get("name").cloned().unwrap_or_default(),
        tax_id: optional(&values, "taxId"),
        email: optional(&values, "email"),
        phone: optional(&values, "phone"),
        website: optional(&values, "website"),
        industry: optional(&values, "industry"),
        branch: optional(&values, "branch"),
        owner: None,
    };
    match console.services.create_account(&signed_in.actor, input).await {
        Ok(account) => response::redirect(&format!("/app/accounts/{}", account.value.id)),
        Err(CreateAccountError::Forbidden(refusal)) => {
            let errors = refused_fields(refusal, &chrome);
            let parts =
                FormParts { was: BTreeMap::new(), errors, ..FormParts::showing(new_account_frame(&chrome), &values) };
            render(chrome, &ACCOUNT_FIELDS, parts, StatusCode::FORBIDDEN)
        }
        Err(CreateAccountError::Invalid(errors)) => {
            let errors = errors_of(errors, &chrome);
            let parts =
                FormParts { was: BTreeMap::new(), errors, ..FormParts::showing(new_account_frame(&chrome), &values) };
            render(chrome, &ACCOUNT_FIELDS, parts, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(CreateAccountError::Store(error)) => {
            tracing::error!(%error, "the account could not be created");
            response::unavailable(chrome.locale)
        }
    }
}

async fn load_account(console: &Console, signed_in: &SignedIn, id: EntityId) -> Result<(Account, u64), Response<Body>> {
    match console.services.get_account(&signed_in.actor, id).await {
        Ok(found) => Ok((found.value, found.version)),
        Err(GetAccountError::NotFound) => Err(response::not_found(signed_in.session.locale)),
        Err(GetAccountError::Store(error)) => {
            tracing::error!(%error, "the account could not be read");
            Err(response::unavailable(signed_in.session.locale))
        }
    }
}

fn new_account_frame(chrome: &Chrome) -> Frame {
    Frame {
        heading: chrome.t(msg::ui_new_account()),
        action: "/app/accounts".into(),
        back: "/app/accounts".into(),
        version: None,
    }
}

fn account_frame(chrome: &Chrome, account: &Account, version: u64) -> Frame {
    let file = format!("/app/accounts/{}", account.id);
    Frame {
        heading: chrome.t(msg::ui_edit_record(&account.name)),
        action: file.clone(),
        back: file,
        version: Some(version),
    }
}

/// `GET /app/accounts/{id}/edit`.
pub async fn edit_account(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let (account, version) = match load_account(console, signed_in, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let values = account_values(&account);
    let frame = account_frame(&chrome, &account, version);
    render(chrome, &ACCOUNT_FIELDS, FormParts::showing(frame, &values), StatusCode::OK)
}

/// `POST /app/accounts/{id}`: saves what the user changed.
pub async fn update_account(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let values = posted(request);
    let Some((expected, changed)) = posted_edit(&values, &ACCOUNT_FIELDS, &chrome) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let field = |name: &str| changed.get(name).cloned();
    let patch = AccountPatch {
        name: field("name").map(Option::unwrap_or_default),
        tax_id: field("taxId"),
        email: field("email"),
        phone: field("phone"),
        website: field("website"),
        industry: field("industry"),
        branch: field("branch"),
        owner: None,
    };
    let refusal = match console.services.update_account(&signed_in.actor, id, expected.into(), patch).await {
        Ok(_) => return response::redirect(&format!("/app/accounts/{id}")),
        Err(UpdateAccountError::NotFound) => return response::not_found(chrome.locale),
        Err(UpdateAccountError::Stale { .. }) => Refusal::stale(&chrome),
        Err(UpdateAccountError::Archived) => Refusal::archived(&chrome),
        Err(UpdateAccountError::Forbidden(refusal)) => {
            Refusal::invalid(StatusCode::FORBIDDEN, refused_fields(refusal, &chrome))
        }
        Err(UpdateAccountError::Invalid(errors)) => {
            Refusal::invalid(StatusCode::UNPROCESSABLE_ENTITY, errors_of(errors, &chrome))
        }
        Err(UpdateAccountError::Store(error)) => {
            tracing::error!(%error, "the account could not be saved");
            return response::unavailable(chrome.locale);
        }
    };
    let (account, version) = match load_account(console, signed_in, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let frame = account_frame(&chrome, &account, version);
    render_refused(chrome, &ACCOUNT_FIELDS, frame, &values, account_values(&account), refusal)
}

/// `GET /app/accounts/{id}/contacts/new`.
pub async fn new_contact(console: &Console, signed_in: &SignedIn, account: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let Ok(account_id) = EntityId::parse(account) else { return response::not_found(chrome.locale) };
    let (account, _) = match load_account(console, signed_in, account_id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let frame = Frame {
        heading: chrome.t(msg::ui_new_contact_of(&account.name)),
        action: "/app/contacts".into(),
        back: format!("/app/accounts/{account_id}"),
        version: None,
    };
    let shown = BTreeMap::from([("locale".to_owned(), "es".to_owned())]);
    let parts = FormParts {
        was: BTreeMap::new(),
        hidden: vec![("accountId".into(), account_id.to_string())],
        ..FormParts::showing(frame, &shown)
    };
    render(chrome, &CONTACT_FIELDS, parts, StatusCode::OK)
}

/// `POST /app/contacts`: creates the contact on its account and opens the account's file.
pub async fn create_contact(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let values = posted(request);
    let account_id = values.get("accountId").and_then(|a| EntityId::parse(a).ok());
    let input = NewContact {
        first_name: values.get("firstName").cloned().unwrap_or_default(),
        last_name: optional(&values, "lastName"),
        email: optional(&values, "email"),
        phone: optional(&values, "phone"),
        title: optional(&values, "title"),
        account_id,
        locale: optional(&values, "locale"),
    };
    let back = account_id.map_or_else(|| "/app/contacts".to_owned(), |a| format!("/app/accounts/{a}"));
    let errors = match console.services.create_contact(&signed_in.actor, input).await {
        Ok(_) => return response::redirect(&back),
        Err(CreateContactError::Invalid(errors)) => errors_of(errors, &chrome),
        Err(CreateContactError::Forbidden(refusal)) => refused_fields(refusal, &chrome),
        Err(CreateContactError::EmailTaken { .. }) => {
            BTreeMap::from([("email".to_owned(), chrome.t(msg::ui_email_taken()))])
        }
        Err(CreateContactError::Store(error)) => {
            tracing::error!(%error, "the contact could not be created");
            return response::unavailable(chrome.locale);
        }
    };
    let frame = Frame { heading: chrome.t(msg::ui_new_contact()), action: "/app/contacts".into(), back, version: None };
    let parts = FormParts {
        was: BTreeMap::new(),
        errors,
        hidden: account_id.map(|a| ("accountId".to_owned(), a.to_string())).into_iter().collect(),
        ..FormParts::showing(frame, &values)
    };
    render(chrome, &CONTACT_FIELDS, parts, StatusCode::UNPROCESSABLE_ENTITY)
}

async fn load_contact(console: &Console, signed_in: &SignedIn, id: EntityId) -> Result<(Contact, u64), Response<Body>> {
    match console.services.get_contact(&signed_in.actor, id).await {
        Ok(found) => Ok((found.value, found.version)),
        Err(GetContactError::NotFound) => Err(response::not_found(signed_in.session.locale)),
        Err(GetContactError::Store(error)) => {
            tracing::error!(%error, "the contact could not be read");
            Err(response::unavailable(signed_in.session.locale))
        }
    }
}

fn contact_back(contact: &Contact) -> String {
    contact.account_id.map_or_else(|| "/app/contacts".to_owned(), |a| format!("/app/accounts/{a}"))
}

fn contact_frame(chrome: &Chrome, contact: &Contact, version: u64) -> Frame {
    Frame {
        heading: chrome.t(msg::ui_edit_record(&contact.first_name)),
        action: format!("/app/contacts/{}", contact.id),
        back: contact_back(contact),
        version: Some(version),
    }
}

/// `GET /app/contacts/{id}/edit`.
pub async fn edit_contact(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "contacts");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let (contact, version) = match load_contact(console, signed_in, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let values = contact_values(&contact);
    let frame = contact_frame(&chrome, &contact, version);
    render(chrome, &CONTACT_FIELDS, FormParts::showing(frame, &values), StatusCode::OK)
}

/// `POST /app/contacts/{id}`: saves what the user changed.
pub async fn update_contact(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "contacts");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let values = posted(request);
    let Some((expected, changed)) = posted_edit(&values, &CONTACT_FIELDS, &chrome) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let field = |name: &str| changed.get(name).cloned();
    let patch = ContactPatch {
        first_name: field("firstName").map(Option::unwrap_or_default),
        last_name: field("lastName"),
        email: field("email"),
        phone: field("phone"),
        title: field("title"),
        locale: field("locale"),
        ..Default::default()
    };
    let refusal = match console.services.update_contact(&signed_in.actor, id, expected.into(), patch).await {
        Ok(contact) => return response::redirect(&contact_back(&contact.value)),
        Err(UpdateContactError::NotFound) => return response::not_found(chrome.locale),
        Err(UpdateContactError::Stale { .. }) => Refusal::stale(&chrome),
        Err(UpdateContactError::Archived) => Refusal::archived(&chrome),
        Err(UpdateContactError::Forbidden(refusal)) => {
            Refusal::invalid(StatusCode::FORBIDDEN, refused_fields(refusal, &chrome))
        }
        Err(UpdateContactError::Invalid(errors)) => {
            Refusal::invalid(StatusCode::UNPROCESSABLE_ENTITY, errors_of(errors, &chrome))
        }
        Err(UpdateContactError::EmailTaken { .. }) => Refusal::invalid(
            StatusCode::CONFLICT,
            BTreeMap::from([("email".to_owned(), chrome.t(msg::ui_email_taken()))]),
        ),
        Err(UpdateContactError::Store(error)) => {
            tracing::error!(%error, "the contact could not be saved");
            return response::unavailable(chrome.locale);
        }
    };
    let (contact, version) = match load_contact(console, signed_in, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let frame = contact_frame(&chrome, &contact, version);
    render_refused(chrome, &CONTACT_FIELDS, frame, &values, contact_values(&contact), refusal)
}
