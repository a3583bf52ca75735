//! *Profiles* (administrators): the tenant's profiles, and for each a matrix of modules by
//! operations to tick, saved at the version of the profiles the page showed.

use askama::Template;
use gestiona_domain::access::{
    ADMIN_PROFILE, CaseTypeGrants, Grants, Module, Operation, Profile, ProfileEntry, Scope, Scopes,
};
use gestiona_domain::messages as msg;
use gestiona_domain::service::access::{GetProfileError, SaveProfileError};
use gestiona_domain::{CaseTypeKey, ExpectedVersion, ProfileId, Role, ValidationErrors};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::profile_fields::{self, CaseTypesShown, FieldRow};
use super::{Chrome, form_version, labels, page};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};
use gestiona_domain::field_access::FieldRules;

const LIST: &str = "/app/settings/profiles";
const LEVELS: [Role; 3] = [Role::Agent, Role::Supervisor, Role::Admin];

pub struct ProfileRow {
    pub id: String,
    pub name: String,
    pub level: String,
    /// The modules the profile may read, in words.
    pub reads: String,
}

#[derive(Template)]
#[template(path = "profiles.html")]
struct ProfilesPage {
    chrome: Chrome,
    rows: Vec<ProfileRow>,
    new_id: String,
    new_name: String,
    errors: Vec<(String, String)>,
}

/// One cell of the matrix: a checkbox.
pub struct Cell {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct MatrixRow {
    pub module: String,
    pub cells: Vec<Cell>,
    /// Whose records the profile sees, for modules whose records have an owner.
    pub scope: Option<ScopeCell>,
}

/// One case type's own permissions: whether it follows the cases module or keeps only what is
/// ticked, and the ticks.
pub struct TypeRow {
    pub key: String,
    pub name: String,
    pub own: bool,
    pub choice_label: String,
    pub cells: Vec<Cell>,
}

/// The scope of one module: a choice of own, team, branch or all.
pub struct ScopeCell {
    pub name: String,
    pub label: String,
    pub selected: &'static str,
    pub options: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    id: String,
    name: String,
    level: &'static str,
    levels: Vec<(&'static str, String)>,
    operations: Vec<String>,
    matrix: Vec<MatrixRow>,
    case_types: Vec<TypeRow>,
    type_modes: Vec<(&'static str, String)>,
    fields: Vec<FieldRow>,
    field_options: Vec<(&'static str, String)>,
    /// The admin profile keeps everything: its boxes are shown, not editable.
    fixed: bool,
    version: u64,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    alert: Option<String>,
}

/// `GET /app/settings/profiles`.
pub async fn list(console: &Console, signed_in: &SignedIn) -> Response<Body> {
    render_list(console, signed_in, StatusCode::OK, String::new(), String::new(), Vec::new()).await
}

async fn render_list(
    console: &Console,
    signed_in: &SignedIn,
    status: StatusCode,
    new_id: String,
    new_name: String,
    errors: Vec<(String, String)>,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "profiles");
    let policy = match console.services.list_profiles(&signed_in.actor).await {
        Ok(policy) => policy.value,
        Err(error) => return refused(error, signed_in),
    };
    let rows = policy
        .profiles
        .iter()
        .map(|profile| ProfileRow {
            id: profile.id.to_string(),
            name: profile.name.clone(),
            level: chrome.t(labels::level(profile.level)),
            reads: Module::ALL
                .into_iter()
                .filter(|&m| profile.grants.get(&m).is_some_and(|ops| ops.contains(&Operation::Read)))
                .map(|m| chrome.t(labels::module(m)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    page(status, &ProfilesPage { chrome, rows, new_id, new_name, errors })
}

fn refused(error: GetProfileError, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    match error {
        GetProfileError::NotFound => response::not_found(locale),
        GetProfileError::Forbidden(f) => response::not_permitted(locale, f.message()),
        GetProfileError::Store(error) => {
            tracing::error!(%error, "the profiles could not be read");
            response::unavailable(locale)
        }
    }
}

/// `POST /app/settings/profiles`: a new profile with a key and a name and nothing allowed yet;
/// its page then opens to tick what it may do.
pub async fn create(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let id_text = form_value(request, "id").unwrap_or_default().trim().to_owned();
    let name = form_value(request, "name").unwrap_or_default();
    let again = |errors: ValidationErrors| {
        let errors = errors.render(locale).into_iter().map(|e| (e.field, e.reason)).collect();
        render_list(console, signed_in, StatusCode::UNPROCESSABLE_ENTITY, id_text.clone(), name.clone(), errors)
    };
    let id = match ProfileId::parse(&id_text) {
        Ok(id) => id,
        Err(invalid) => return again(ValidationErrors::single("id", invalid.into())).await,
    };
    let policy = match console.services.list_profiles(&signed_in.actor).await {
        Ok(policy) => policy,
        Err(error) => return refused(error, signed_in),
    };
    if policy.value.profile(&id).is_some() {
        return again(ValidationErrors::single("id", msg::ui_profile_exists(id.as_str()))).await;
    }
    let entry = ProfileEntry {
        name: name.clone(),
        level: Role::Agent,
        grants: Grants::new(),
        scopes: Scopes::new(),
        fields: FieldRules::new(),
        case_types: CaseTypeGrants::new(),
    };
    let expected = Some(ExpectedVersion::Exactly(policy.version));
    match console.services.save_profile(&signed_in.actor, id.clone(), entry, expected).await {
        Ok(_) => response::redirect(&format!("{LIST}/{id}")),
        Err(SaveProfileError::Invalid(errors)) => again(errors).await,
        // Someone saved the profiles meanwhile: the list shows them as they are now.
        Err(SaveProfileError::Stale { .. }) => response::redirect(LIST),
        Err(error) => save_failed(error, signed_in),
    }
}

fn save_failed(error: SaveProfileError, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    match error {
        SaveProfileError::Forbidden(f) => response::not_permitted(locale, f.message()),
        error => {
            tracing::error!(?error, "the profile could not be saved");
            response::unavailable(locale)
        }
    }
}

/// `GET /app/settings/profiles/{id}`.
pub async fn show(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let Ok(id) = ProfileId::parse(id) else { return response::not_found(signed_in.session.locale) };
    match console.services.get_profile(&signed_in.actor, &id).await {
        Ok(found) => {
            let notice = None;
            let shown = profile_fields::case_types_shown(console, signed_in).await;
            render_one(signed_in, &shown, StatusCode::OK, &found.value, found.version, Vec::new(), notice, None)
        }
        Err(error) => refused(error, signed_in),
    }
}

#[allow(clippy::too_many_arguments)]
fn render_one(
    signed_in: &SignedIn,
    shown: &CaseTypesShown,
    status: StatusCode,
    profile: &Profile,
    version: u64,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    alert: Option<String>,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "profiles");
    let matrix = Module::ALL
        .into_iter()
        .map(|module| {
            let module_name = chrome.t(labels::module(module));
            let cells = Operation::ALL
                .into_iter()
                .map(|operation| Cell {
                    value: format!("{}.{}", module.as_str(), operation.as_str()),
                    label: chrome.t(msg::ui_allow(chrome.t(labels::operation(operation)), &module_name)),
                    checked: profile.grants.get(&module).is_some_and(|ops| ops.contains(&operation)),
                })
                .collect();
            let scope = module.is_owned().then(|| ScopeCell {
                name: format!("scope.{}", module.as_str()),
                label: chrome.t(msg::ui_scope_of(&module_name)),
                selected: profile.scope(module).as_str(),
                options: Scope::ALL.into_iter().map(|s| (s.as_str(), chrome.t(labels::scope(s)))).collect(),
            });
            MatrixRow { module: module_name, cells, scope }
        })
        .collect();
    let cases = chrome.t(labels::module(Module::Cases));
    let case_types = shown
        .types
        .iter()
        .map(|(key, name)| {
            let own = CaseTypeKey::parse(key).ok().and_then(|k| profile.case_types.get(&k));
            let label = format!("{cases}: {name}");
            let cells = Operation::ALL
                .into_iter()
                .map(|operation| Cell {
                    value: operation.as_str().to_owned(),
                    label: chrome.t(msg::ui_allow(chrome.t(labels::operation(operation)), &label)),
                    checked: match own {
                        Some(ops) => ops.contains(&operation),
                        None => profile.grants.get(&Module::Cases).is_some_and(|ops| ops.contains(&operation)),
                    },
                })
                .collect();
            let choice_label = chrome.t(msg::ui_case_type_permissions_of(&label));
            TypeRow { key: key.clone(), name: name.clone(), own: own.is_some(), choice_label, cells }
        })
        .collect();
    let type_modes = vec![
        ("module", chrome.t(msg::ui_case_type_as_cases(&cases))),
        ("own", chrome.t(msg::ui_case_type_only_ticked())),
    ];
    let page_data = ProfilePage {
        id: profile.id.to_string(),
        name: profile.name.clone(),
        level: profile.level.as_str(),
        levels: LEVELS.into_iter().map(|l| (l.as_str(), chrome.t(labels::level(l)))).collect(),
        operations: Operation::ALL.into_iter().map(|o| chrome.t(labels::operation(o))).collect(),
        matrix,
        case_types,
        type_modes,
        fields: profile_fields::rows(profile, &shown.custom, &chrome),
        field_options: profile_fields::options(&chrome),
        fixed: profile.id.as_str() == ADMIN_PROFILE,
        version,
        errors,
        notice,
        alert,
        chrome,
    };
    page(status, &page_data)
}

/// The profile as the form describes it: name, level, the ticked boxes, the scopes and the
/// fields' access.
fn entry_of(request: &Request) -> ProfileEntry {
    let mut grants = Grants::new();
    let mut scopes = Scopes::new();
    let mut fields = FieldRules::new();
    let mut case_types = CaseTypeGrants::new();
    let mut ticked: Vec<(CaseTypeKey, Operation)> = Vec::new();
    for (name, value) in form_urlencoded::parse(request.body().as_ref()) {
        // A type keeps its own permissions only when its choice says so; its ticks then.
        if let Some(key) = name.strip_prefix("caseTypeMode.").and_then(|k| CaseTypeKey::parse(k).ok())
            && value == "own"
        {
            case_types.entry(key).or_default();
        }
        let tick =
            name.strip_prefix("caseType.").and_then(|k| CaseTypeKey::parse(k).ok()).zip(Operation::parse(&value));
        if let Some(tick) = tick {
            ticked.push(tick);
        }
        if let Some((module, field, access)) = profile_fields::parse(&name, &value) {
            fields.entry(module).or_default().insert(field, access);
        }
        let scope = name.strip_prefix("scope.").and_then(Module::parse).zip(Scope::parse(&value));
        if let Some((module, scope)) = scope {
            scopes.insert(module, scope);
        }
        let parsed = (name == "grant")
            .then(|| value.split_once('.'))
            .flatten()
            .and_then(|(m, o)| Some((Module::parse(m)?, Operation::parse(o)?)));
        if let Some((module, operation)) = parsed {
            grants.entry(module).or_default().insert(operation);
        }
    }
    for (key, operation) in ticked {
        if let Some(ops) = case_types.get_mut(&key) {
            ops.insert(operation);
        }
    }
    let level = form_value(request, "level").and_then(|l| Role::parse(&l)).unwrap_or(Role::Agent);
    ProfileEntry { name: form_value(request, "name").unwrap_or_default(), level, grants, scopes, fields, case_types }
}

/// `POST /app/settings/profiles/{id}`: saves the matrix at the version the page showed.
pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Ok(id) = ProfileId::parse(id) else { return response::not_found(locale) };
    let Some(version) = form_version(request) else { return response::status_page(StatusCode::BAD_REQUEST, locale) };
    let entry = entry_of(request);
    let shown = profile_fields::case_types_shown(console, signed_in).await;
    let posted = Profile {
        id: id.clone(),
        name: entry.name.clone(),
        level: entry.level,
        grants: entry.grants.clone(),
        scopes: entry.scopes.clone(),
        fields: entry.fields.clone(),
        case_types: entry.case_types.clone(),
    };
    let expected = Some(ExpectedVersion::Exactly(version));
    match console.services.save_profile(&signed_in.actor, id.clone(), entry, expected).await {
        Ok(saved) => {
            let notice = Some(msg::ui_saved().render(locale));
            render_one(signed_in, &shown, StatusCode::OK, &saved.value, saved.version, Vec::new(), notice, None)
        }
        Err(SaveProfileError::Invalid(errors)) => {
            let errors = errors.render(locale).into_iter().map(|e| (e.field, e.reason)).collect();
            render_one(signed_in, &shown, StatusCode::UNPROCESSABLE_ENTITY, &posted, version, errors, None, None)
        }
        Err(SaveProfileError::Stale { .. }) => match console.services.get_profile(&signed_in.actor, &id).await {
            Ok(now) => {
                let alert = Some(msg::ui_profile_stale().render(locale));
                render_one(signed_in, &shown, StatusCode::CONFLICT, &now.value, now.version, Vec::new(), None, alert)
            }
            Err(error) => refused(error, signed_in),
        },
        Err(error) => save_failed(error, signed_in),
    }
}
