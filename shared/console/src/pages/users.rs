//! *Users* (administrators): the company's staff directory, and for each user their profile,
//! language and whether they may still work. Deactivating takes effect on the user's next
//! request, whatever session or token they hold.

use askama::Template;
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::directory::{InviteUserError, SaveUserError};
use gestiona_domain::service::handover::HandOverError;
use gestiona_domain::user::{User, UserEntry};
use gestiona_domain::{ExpectedVersion, ProfileId, UserId, ValidationErrors};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{Chrome, form_version, page};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

/// The directory is read in one page: a company's staff fits in it.
const DIRECTORY_PAGE: u32 = 100;

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub profile: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<UserRow>,
    /// The invitation form: what was typed, and the error of each field it was refused for.
    invite: UserEntry,
    /// `(key, name)`; the empty key is "the one of their sign-in role".
    profiles: Vec<(String, String)>,
    errors: Vec<(String, String)>,
    alert: Option<String>,
}

impl UsersPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, reason)| reason.as_str())
    }

    fn invited_profile(&self) -> String {
        self.invite.profile.as_ref().map(ToString::to_string).unwrap_or_default()
    }

    fn invited_locale(&self) -> &str {
        self.invite.locale.as_deref().unwrap_or("es")
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    id: String,
    name: String,
    email: String,
    locale: String,
    profile: String,
    /// `(key, name)`; the empty key is "the one of their sign-in role".
    profiles: Vec<(String, String)>,
    active: bool,
    version: u64,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    alert: Option<String>,
    /// `(id, name)` of the active colleagues open work can be handed to.
    colleagues: Vec<(String, String)>,
    hand_over_error: Option<String>,
}

async fn profile_names(console: &Console, signed_in: &SignedIn) -> Result<Vec<(String, String)>, Response<Body>> {
    match console.services.list_profiles(&signed_in.actor).await {
        Ok(policy) => Ok(policy.value.profiles.into_iter().map(|p| (p.id.to_string(), p.name)).collect()),
        Err(error) => {
            tracing::error!(?error, "the profiles could not be read");
            Err(response::unavailable(signed_in.session.locale))
        }
    }
}

/// `GET /app/settings/users`.
pub async fn list(console: &Console, signed_in: &SignedIn) -> Response<Body> {
    let blank = UserEntry { name: String::new(), email: String::new(), locale: None, profile: None, active: None };
    render_list(console, signed_in, StatusCode::OK, blank, Vec::new(), None).await
}

/// `POST /app/settings/users`: invites someone (their sign-in, then their entry) and opens
/// their page; refused, the list again with what was typed and why.
pub async fn invite(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let text = |name: &str| form_value(request, name).map(|v| v.trim().to_owned()).unwrap_or_default();
    let profile = form_value(request, "profile").filter(|p| !p.is_empty()).and_then(|p| ProfileId::parse(&p).ok());
    let locale_value = form_value(request, "locale").filter(|l| !l.is_empty());
    let entry = UserEntry { name: text("name"), email: text("email"), locale: locale_value, profile, active: None };
    let refused = |status, errors: Vec<(String, String)>, alert: Option<String>| {
        render_list(console, signed_in, status, entry.clone(), errors, alert)
    };
    match console.services.invite_user(&signed_in.actor, entry.clone()).await {
        Ok(user) => response::redirect(&format!("/app/settings/users/{}", user.value.id)),
        Err(InviteUserError::Invalid(errors)) => {
            let errors = errors.render(locale).into_iter().map(|e| (e.field, e.reason)).collect();
            refused(StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
        }
        Err(InviteUserError::AlreadyListed { existing }) => {
            let reason = msg::detail_user_listed(existing).render(locale);
            refused(StatusCode::CONFLICT, vec![("email".to_owned(), reason)], None).await
        }
        Err(InviteUserError::SignInUnavailable(reason)) => {
            tracing::error!(%reason, "the identity provider is unavailable");
            let alert = msg::detail_nothing_changed_retry().render(locale);
            refused(StatusCode::SERVICE_UNAVAILABLE, Vec::new(), Some(alert)).await
        }
        Err(InviteUserError::Forbidden(f)) => response::not_permitted(locale, f.message()),
        Err(InviteUserError::Store(error)) => {
            tracing::error!(%error, "the invitation could not be stored");
            response::unavailable(locale)
        }
    }
}

async fn render_list(
    console: &Console,
    signed_in: &SignedIn,
    status: StatusCode,
    invite: UserEntry,
    errors: Vec<(String, String)>,
    alert: Option<String>,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "users");
    let everyone = PageRequest::new(Some(DIRECTORY_PAGE), None).expect("a valid page size");
    let users = match console.services.list_users(&signed_in.actor, &everyone).await {
        Ok(users) => users,
        Err(error) => {
            tracing::error!(?error, "the users could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let names = match profile_names(console, signed_in).await {
        Ok(names) => names,
        Err(response) => return response,
    };
    let profile_name = |user: &User| match &user.profile {
        Some(id) => names.iter().find(|(key, _)| key == id.as_str()).map_or_else(|| id.to_string(), |(_, n)| n.clone()),
        None => chrome.t(msg::ui_by_sign_in_role()),
    };
    let rows = users
        .items
        .iter()
        .map(|u| UserRow {
            id: u.value.id.to_string(),
            name: u.value.name.clone(),
            email: u.value.email.clone(),
            profile: profile_name(&u.value),
            active: u.value.active,
        })
        .collect();
    let mut profiles = vec![(String::new(), chrome.t(msg::ui_by_sign_in_role()))];
    profiles.extend(names.iter().cloned());
    page(status, &UsersPage { chrome, rows, invite, profiles, errors, alert })
}

fn entry_of(user: User) -> UserEntry {
    UserEntry {
        name: user.name,
        email: user.email,
        locale: Some(user.locale),
        profile: user.profile,
        active: Some(user.active),
    }
}

/// The directory entry a page's path names, with its version; not found when the path names
/// none.
async fn stored_user(console: &Console, signed_in: &SignedIn, id: &str) -> Result<(UserId, User, u64), Response<Body>> {
    let locale = signed_in.session.locale;
    let Ok(id) = UserId::parse(id) else { return Err(response::not_found(locale)) };
    match console.services.versioned_user(&signed_in.actor.tenant, &id).await {
        Ok(Some(found)) => Ok((id, found.value, found.version)),
        Ok(None) => Err(response::not_found(locale)),
        Err(error) => {
            tracing::error!(%error, "the user could not be read");
            Err(response::unavailable(locale))
        }
    }
}

/// `GET /app/settings/users/{id}`.
pub async fn show(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let (id, user, version) = match stored_user(console, signed_in, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let entry = entry_of(user);
    render_one(console, signed_in, Shown::new(StatusCode::OK, version), &id, &entry).await
}

/// How the user page is shown: its status, the version its form saves over, and what it says.
struct Shown {
    status: StatusCode,
    version: u64,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    alert: Option<String>,
    hand_over_error: Option<String>,
}

impl Shown {
    fn new(status: StatusCode, version: u64) -> Self {
        Self { status, version, errors: Vec::new(), notice: None, alert: None, hand_over_error: None }
    }
}

async fn render_one(
    console: &Console,
    signed_in: &SignedIn,
    shown: Shown,
    id: &UserId,
    entry: &UserEntry,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "users");
    let mut profiles = vec![(String::new(), chrome.t(msg::ui_by_sign_in_role()))];
    match profile_names(console, signed_in).await {
        Ok(names) => profiles.extend(names),
        Err(response) => return response,
    }
    let everyone = PageRequest::new(Some(DIRECTORY_PAGE), None).expect("a valid page size");
    let colleagues = match console.services.list_users(&signed_in.actor, &everyone).await {
        Ok(users) => users
            .items
            .into_iter()
            .filter(|u| u.value.active && u.value.id != *id)
            .map(|u| (u.value.id.to_string(), u.value.name))
            .collect(),
        Err(error) => {
            tracing::error!(?error, "the users could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let data = UserPage {
        id: id.to_string(),
        name: entry.name.clone(),
        email: entry.email.clone(),
        locale: entry.locale.clone().unwrap_or_else(|| "es".into()),
        profile: entry.profile.as_ref().map(ToString::to_string).unwrap_or_default(),
        profiles,
        active: entry.active.unwrap_or(true),
        version: shown.version,
        errors: shown.errors,
        notice: shown.notice,
        alert: shown.alert,
        colleagues,
        hand_over_error: shown.hand_over_error,
        chrome,
    };
    page(shown.status, &data)
}

/// `POST /app/settings/users/{id}/hand-over`: the user's open cases and leads to a colleague.
pub async fn hand_over(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let (id, user, version) = match stored_user(console, signed_in, id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let to = form_value(request, "to").and_then(|v| UserId::parse(&v).ok());
    let outcome = match &to {
        Some(to) => console.services.hand_over_work(&signed_in.actor, &id, to).await,
        None => Err(HandOverError::Invalid(ValidationErrors::single("to", msg::required()))),
    };
    let shown = match outcome {
        Ok(moved) => {
            let to = to.expect("a hand-over that ran had a colleague");
            let name = match console.services.user(&signed_in.actor.tenant, &to).await {
                Ok(Some(colleague)) => colleague.name,
                _ => to.to_string(),
            };
            let mut notice = msg::ui_handed_over(moved.cases, moved.leads, name.as_str()).render(locale);
            if moved.remaining > 0 {
                notice = format!("{notice} {}", msg::ui_hand_over_remaining(moved.remaining).render(locale));
            }
            Shown { notice: Some(notice), ..Shown::new(StatusCode::OK, version) }
        }
        Err(HandOverError::Invalid(errors)) => {
            let reason = errors.render(locale).into_iter().next().map(|e| e.reason);
            Shown { hand_over_error: reason, ..Shown::new(StatusCode::UNPROCESSABLE_ENTITY, version) }
        }
        Err(HandOverError::Forbidden(f)) => return response::not_permitted(locale, f.message()),
        Err(HandOverError::Store(error)) => {
            tracing::error!(%error, "the work could not be handed over");
            return response::unavailable(locale);
        }
    };
    render_one(console, signed_in, shown, &id, &entry_of(user)).await
}

/// `POST /app/settings/users/{id}`: name, e-mail, language, profile and whether active.
pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Ok(id) = UserId::parse(id) else { return response::not_found(locale) };
    let profile_text = form_value(request, "profile").unwrap_or_default();
    let profile = match profile_text.as_str() {
        "" => Ok(None),
        text => ProfileId::parse(text).map(Some),
    };
    let entry = UserEntry {
        name: form_value(request, "name").unwrap_or_default(),
        email: form_value(request, "email").unwrap_or_default(),
        locale: form_value(request, "locale"),
        profile: profile.clone().ok().flatten(),
        active: Some(form_value(request, "active").is_some_and(|v| v == "true")),
    };
    let Some(version) = form_version(request) else { return response::status_page(StatusCode::BAD_REQUEST, locale) };
    let expected = Some(ExpectedVersion::Exactly(version));
    let outcome = match profile {
        Ok(_) => console.services.save_user(&signed_in.actor, id.clone(), entry.clone(), expected).await,
        Err(invalid) => Err(SaveUserError::Invalid(ValidationErrors::single("profile", invalid.into()))),
    };
    match outcome {
        Ok(saved) => {
            let shown =
                Shown { notice: Some(msg::ui_saved().render(locale)), ..Shown::new(StatusCode::OK, saved.version) };
            render_one(console, signed_in, shown, &id, &entry).await
        }
        Err(SaveUserError::Invalid(errors)) => {
            let errors = errors.render(locale).into_iter().map(|e| (e.field, e.reason)).collect();
            let shown = Shown { errors, ..Shown::new(StatusCode::UNPROCESSABLE_ENTITY, version) };
            render_one(console, signed_in, shown, &id, &entry).await
        }
        // Someone saved the entry meanwhile: the page shows it as it is now.
        Err(SaveUserError::Stale(_)) => match console.services.versioned_user(&signed_in.actor.tenant, &id).await {
            Ok(Some(now)) => {
                let alert = Some(msg::ui_user_stale().render(locale));
                let shown = Shown { alert, ..Shown::new(StatusCode::CONFLICT, now.version) };
                render_one(console, signed_in, shown, &id, &entry_of(now.value)).await
            }
            Ok(None) => response::not_found(locale),
            Err(error) => {
                tracing::error!(%error, "the user could not be read");
                response::unavailable(locale)
            }
        },
        Err(SaveUserError::Forbidden(f)) => response::not_permitted(locale, f.message()),
        // The sign-in could not be stopped or let in: nothing changed, the form stays as typed.
        Err(SaveUserError::SignInUnavailable(reason)) => {
            tracing::error!(%reason, "the identity provider is unavailable");
            let alert = Some(msg::detail_nothing_changed_retry().render(locale));
            let shown = Shown { alert, ..Shown::new(StatusCode::SERVICE_UNAVAILABLE, version) };
            render_one(console, signed_in, shown, &id, &entry).await
        }
        Err(SaveUserError::Store(error)) => {
            tracing::error!(%error, "the user could not be saved");
            response::unavailable(locale)
        }
    }
}
