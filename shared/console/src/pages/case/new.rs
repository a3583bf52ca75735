//! *Nuevo caso*: opening a case. The user chooses the type first (its custom fields follow),
//! then fills the case in. The form carries an id minted when it was shown, so sending it twice
//! (a double click, a retried post) opens one case.

use std::collections::BTreeMap;

use askama::Template;
use gestiona_domain::access::Module;
use gestiona_domain::case::NewCase;
use gestiona_domain::case_type::CaseType;
use gestiona_domain::messages as msg;
use gestiona_domain::search::SearchKind;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::cases::{CreateCaseError, CreatedCase};
use gestiona_domain::{EntityId, Role, UserId};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::fields::{FieldSource, form_fields, input_of_error, read_posted, restricted_of};
use super::steps::named_record;
use crate::pages::case_list::{self, Notes};
use crate::pages::form::{Control, FieldInput, FormBody};
use crate::pages::labels::{self, CHANNELS, channel_key, parse_channel};
use crate::pages::{Chrome, page, query_value};
use crate::session::SignedIn;
use crate::{Console, response};

/// The owner choice that names no one: the type's pool assigns, or the case is the creator's.
const BY_RULES: &str = "auto";

#[derive(Template)]
#[template(path = "new_case.html")]
struct NewCaseForm {
    chrome: Chrome,
    heading: String,
    /// The types to choose from: key and name.
    types: Vec<(String, String)>,
    /// The chosen type's key, or empty.
    chosen: String,
    /// Query values the type chooser keeps (the account or contact the case is for).
    carried: Vec<(String, String)>,
    /// Records the case is opened for, shown rather than asked: label and name.
    fixed: Vec<(String, String)>,
    notice: Option<String>,
    /// The case form, once a type is chosen.
    form: Option<FormBody>,
}

/// What the form is built from.
struct Setting {
    types: Vec<CaseType>,
    currency: String,
    /// The company's users, for a supervisor who names the owner.
    owners: Option<Vec<(String, String)>>,
}

/// An account or contact the case is opened for, named in the address (`?account=…`).
struct Preset {
    name: &'static str,
    id: EntityId,
    label: String,
    shown: String,
}

async fn setting(console: &Console, signed_in: &SignedIn) -> Option<Setting> {
    let actor = signed_in.actor.clone();
    let all = PageRequest::new(Some(100), None).expect("a valid page size");
    let supervisor = actor.may(Role::Supervisor);
    let (types, tenant, users) =
        tokio::join!(console.services.list_case_types(&actor, &all), console.services.tenant(&actor.tenant), async {
            if supervisor { Some(console.services.list_users(&actor, &all).await) } else { None }
        },);
    let types = types.map_err(|error| tracing::error!(?error, "the case types could not be listed")).ok()?;
    let tenant = tenant.map_err(|error| tracing::error!(%error, "the company could not be read")).ok()?;
    let owners = match users {
        Some(Ok(users)) => {
            Some(users.items.into_iter().map(|u| (u.value.id.to_string(), u.value.name)).collect::<Vec<_>>())
        }
        Some(Err(error)) => {
            tracing::error!(?error, "the users could not be listed");
            return None;
        }
        None => None,
    };
    Some(Setting {
        // Only the types the profile may open a case of.
        types: types
            .items
            .into_iter()
            .map(|t| t.value)
            .filter(|t| actor.allows_case(&t.key, gestiona_domain::access::Operation::Create))
            .collect(),
        currency: tenant.map_or_else(|| "CRC".to_owned(), |t| t.currency),
        owners,
    })
}

/// The account and contact named in the address, with their names.
async fn presets(console: &Console, signed_in: &SignedIn, values: &BTreeMap<String, String>) -> Vec<Preset> {
    let actor = signed_in.actor.clone();
    let chrome_label = |m: gestiona_domain::Message| m.render(signed_in.session.locale);
    let mut found = Vec::new();
    if let Some(id) = values.get("account").and_then(|v| EntityId::parse(v).ok())
        && let Ok(account) = console.services.get_account(&actor, id).await
    {
        found.push(Preset { name: "account", id, label: chrome_label(msg::ui_account()), shown: account.value.name });
    }
    if let Some(id) = values.get("contact").and_then(|v| EntityId::parse(v).ok())
        && let Ok(contact) = console.services.get_contact(&actor, id).await
    {
        let shown = contact.value.full_name();
        found.push(Preset { name: "contact", id, label: chrome_label(msg::ui_contact()), shown });
    }
    found
}

/// The inputs of the case form for `definition`, before any value is posted.
fn inputs(
    setting: &Setting,
    definition: &CaseType,
    presets: &[Preset],
    chrome: &Chrome,
    actor: &gestiona_domain::Actor,
) -> Vec<FieldInput> {
    let text = |name: &str, label: String, control: Control, required: bool| FieldInput {
        name: name.to_owned(),
        dom_id: format!("new-{name}"),
        label,
        control,
        value: String::new(),
        options: Vec::new(),
        required,
        read_only: false,
        error: None,
    };
    let mut inputs = vec![text("subject", chrome.t(msg::ui_subject()), Control::Text, true)];
    for (name, label) in [("account", msg::ui_account_by_name()), ("contact", msg::ui_contact_by_name())] {
        if !presets.iter().any(|p| p.name == name) {
            inputs.push(text(name, chrome.t(label), Control::Text, false));
        }
    }
    inputs.push(FieldInput {
        value: channel_key(Default::default()).to_owned(),
        options: CHANNELS.iter().map(|c| (channel_key(*c).to_owned(), labels::channel(*c, chrome.locale))).collect(),
        ..text("channel", chrome.t(msg::ui_channel()), Control::Choice, true)
    });
    let source = FieldSource {
        case: None,
        definition,
        locale: chrome.locale,
        currency: &setting.currency,
        restricted: restricted_of(actor),
    };
    inputs.extend(source.data_inputs("new"));
    if let Some(owners) = &setting.owners {
        let mut options = vec![(BY_RULES.to_owned(), chrome.t(msg::ui_owner_by_rules()))];
        options.extend(owners.iter().cloned());
        // Required with a first option that names no one, so the choice is never a blank.
        let owner = text("owner", chrome.t(msg::ui_owner()), Control::Choice, true);
        inputs.push(FieldInput { options, value: BY_RULES.to_owned(), ..owner });
    }
    inputs
}

struct Shown<'a> {
    setting: &'a Setting,
    chosen: Option<&'a CaseType>,
    presets: &'a [Preset],
    form_id: EntityId,
    /// What was posted, if anything.
    posted: Option<&'a BTreeMap<String, String>>,
    /// The error of each input that has one.
    errors: BTreeMap<String, String>,
    notice: Option<String>,
}

fn render(signed_in: &SignedIn, shown: Shown<'_>, status: StatusCode) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "cases");
    let mut inputs =
        shown.chosen.map(|d| inputs(shown.setting, d, shown.presets, &chrome, &signed_in.actor)).unwrap_or_default();
    let mut failed = false;
    if let Some(values) = shown.posted {
        for input in &mut inputs {
            input.value = values.get(&input.name).cloned().unwrap_or_default();
            input.error = shown.errors.get(&input.name).cloned();
        }
        failed = !shown.errors.is_empty();
    }
    let chosen = shown.chosen.map(|d| d.key.to_string()).unwrap_or_default();
    let mut hidden = vec![("type".to_owned(), chosen.clone()), ("formId".to_owned(), shown.form_id.to_string())];
    hidden.extend(shown.presets.iter().map(|p| (p.name.to_owned(), p.id.to_string())));
    let heading = chrome.t(msg::ui_new_case());
    let form = shown.chosen.map(|_| FormBody {
        heading: heading.clone(),
        action: "/app/cases".into(),
        back: "/app/cases".into(),
        version: None,
        was: Vec::new(),
        inputs,
        hidden,
        failed,
        submit: chrome.t(msg::ui_create_case()),
    });
    let data = NewCaseForm {
        heading,
        types: shown.setting.types.iter().map(|t| (t.key.to_string(), t.name.clone())).collect(),
        chosen,
        carried: shown.presets.iter().map(|p| (p.name.to_owned(), p.id.to_string())).collect(),
        fixed: shown.presets.iter().map(|p| (p.label.clone(), p.shown.clone())).collect(),
        notice: shown.notice,
        form,
        chrome,
    };
    page(status, &data)
}

/// `GET /app/cases/new[?type=…&account=…&contact=…]`.
pub async fn form(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let values: BTreeMap<String, String> = ["type", "account", "contact"]
        .into_iter()
        .filter_map(|name| query_value(request, name).map(|v| (name.to_owned(), v)))
        .collect();
    let (setting, presets) = tokio::join!(setting(console, signed_in), presets(console, signed_in, &values));
    let Some(setting) = setting else { return response::unavailable(locale) };
    // With one type there is nothing to choose.
    let only = (setting.types.len() == 1).then(|| &setting.types[0]);
    let chosen = values.get("type").and_then(|key| setting.types.iter().find(|t| t.key.as_str() == key)).or(only);
    let shown = Shown {
        setting: &setting,
        chosen,
        presets: &presets,
        form_id: console.services.new_id(),
        posted: None,
        errors: BTreeMap::new(),
        notice: None,
    };
    render(signed_in, shown, StatusCode::OK)
}

/// `POST /app/cases`: opens the case and shows it, or shows the form again with each error at
/// its input.
pub async fn create(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let values = form_fields(request.body().as_ref());
    let Some(form_id) = values.get("formId").and_then(|v| EntityId::parse(v).ok()) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    // A type the profile may not open a case of is refused as such, not as an unknown type.
    let typed = values.get("type").and_then(|key| gestiona_domain::CaseTypeKey::parse(key).ok());
    if let Some(Err(refused)) =
        typed.map(|key| signed_in.actor.permit_case(&key, gestiona_domain::access::Operation::Create))
    {
        return response::not_permitted(locale, refused.message());
    }
    let (setting, presets) = tokio::join!(setting(console, signed_in), presets(console, signed_in, &values));
    let Some(setting) = setting else { return response::unavailable(locale) };
    let Some(definition) = values.get("type").and_then(|key| setting.types.iter().find(|t| t.key.as_str() == key))
    else {
        let notice = Some(msg::no_case_type_listed(values.get("type").cloned().unwrap_or_default()).render(locale));
        let shown = Shown {
            setting: &setting,
            chosen: None,
            presets: &presets,
            form_id,
            posted: None,
            errors: BTreeMap::new(),
            notice,
        };
        return render(signed_in, shown, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let mut names: Vec<String> =
        ["priority", "branch", "amount", "description", "account", "contact"].map(String::from).into();
    names.extend(definition.custom_fields.iter().map(|f| format!("cf.{}", f.key)));
    // What the profile may not set is not read from the form at all.
    let source = FieldSource {
        case: None,
        definition,
        locale,
        currency: &setting.currency,
        restricted: restricted_of(&signed_in.actor),
    };
    names.retain(|name| source.writable_input(name));
    let posted = read_posted(&names, &values, definition, &setting.currency, locale);
    let mut errors = posted.errors;
    let channel = values.get("channel").map(String::as_str).unwrap_or_default();
    let channel = match parse_channel(channel) {
        Some(channel) => Some(channel),
        None if channel.is_empty() => None,
        None => {
            errors.insert("channel".into(), msg::required().render(locale));
            None
        }
    };
    let owner = match values.get("owner").map(|v| v.trim()).filter(|v| !v.is_empty() && *v != BY_RULES) {
        None => None,
        Some(text) => match UserId::parse(text) {
            Ok(user) => Some(user),
            Err(_) => {
                errors.insert("owner".into(), msg::no_such_user().render(locale));
                None
            }
        },
    };
    let mut named = [None, None];
    for (slot, (name, typed, kind)) in
        [("account", &posted.own.account, SearchKind::Account), ("contact", &posted.own.contact, SearchKind::Contact)]
            .into_iter()
            .enumerate()
    {
        let Some(typed) = typed else { continue };
        match named_record(console, signed_in, typed, &[kind]).await {
            Ok(id) => named[slot] = Some(id),
            Err(Some(reason)) => {
                errors.insert(name.to_owned(), reason.render(locale));
            }
            Err(None) => return response::unavailable(locale),
        }
    }
    let refused = |errors: BTreeMap<String, String>, notice: Option<String>| {
        let shown = Shown {
            setting: &setting,
            chosen: Some(definition),
            presets: &presets,
            form_id,
            posted: Some(&values),
            errors,
            notice,
        };
        render(signed_in, shown, StatusCode::UNPROCESSABLE_ENTITY)
    };
    if !errors.is_empty() {
        return refused(errors, None);
    }
    let custom: serde_json::Map<_, _> = posted.custom.into_iter().filter(|(_, v)| !v.is_null()).collect();
    let new_case = NewCase {
        case_type: definition.key.to_string(),
        subject: values.get("subject").cloned().unwrap_or_default(),
        description: posted.own.description.flatten(),
        account_id: named[0],
        contact_id: named[1],
        owner,
        branch: posted.own.branch.flatten(),
        channel,
        priority: posted.own.priority,
        amount: posted.own.amount.flatten(),
        custom_fields: Some(custom).filter(|c| !c.is_empty()),
    };
    match console.services.create_case_once(&signed_in.actor, new_case, form_id).await {
        // A repeated submission shows the case the first one opened.
        // The pool may hand it to someone outside the cases the creator sees: say so on the
        // list instead of leading to a page that would answer "not found". A reload posts the
        // same form id again and lands here again, opening nothing more.
        Ok(CreatedCase { case, .. }) if !signed_in.actor.sees(Module::Cases, case.value.owner.as_ref()) => {
            let owner = match &case.value.owner {
                Some(id) => match console.services.user(&signed_in.actor.tenant, id).await {
                    Ok(Some(user)) => user.name,
                    _ => id.to_string(),
                },
                None => String::new(),
            };
            let notice = msg::ui_case_opened_elsewhere(case.value.subject.as_str(), owner.as_str()).render(locale);
            case_list::render(console, request, signed_in, "", None, StatusCode::CREATED, Notes::notice(notice)).await
        }
        Ok(CreatedCase { case, .. }) => response::redirect(&format!("/app/cases/{}", case.value.id)),
        Err(CreateCaseError::Invalid(invalid)) => {
            let mut errors = BTreeMap::new();
            let mut notice = None;
            for error in invalid.0 {
                let reason = error.reason.render(locale);
                match error.field.as_str() {
                    "formId" | "type" => notice = Some(reason),
                    field => {
                        errors.insert(input_of_error(field), reason);
                    }
                }
            }
            refused(errors, notice)
        }
        Err(CreateCaseError::Forbidden(_)) => response::forbidden(signed_in),
        Err(CreateCaseError::Store(error)) => {
            tracing::error!(%error, "the case could not be opened");
            response::unavailable(locale)
        }
    }
}
