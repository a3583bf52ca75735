//! *Registro de accesos* (administrators): sign-ins, records opened, exports and changes of
//! profiles, users and settings, newest first, by user or by record; and how many days the
//! company keeps an entry, saved at the version the page showed.

use askama::Template;
use gestiona_domain::access_log::{
    AccessAction, AccessEntry, RETENTION_MAX_DAYS, RETENTION_MIN_DAYS, RecordRef, Retention,
};
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::access_log::{AccessFilter, AccessLogError, SaveRetentionError};
use gestiona_domain::{ExpectedVersion, Message, UserId};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{Chrome, form_version, page, query_value};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

const PATH: &str = "/app/settings/access-log";
const PER_PAGE: u32 = 50;
/// The record kinds a filter offers, as the log names them.
const KINDS: [&str; 5] = ["case", "account", "contact", "lead", "invoice"];

pub struct EntryRow {
    pub when: String,
    pub user: String,
    pub action: String,
    pub record: String,
    /// Where the record opens in the console, when it is one.
    pub link: Option<String>,
    pub from: String,
}

#[derive(Template)]
#[template(path = "access_log.html")]
struct AccessLogPage {
    chrome: Chrome,
    users: Vec<(String, String)>,
    user: String,
    kinds: Vec<(&'static str, String)>,
    kind: String,
    record: String,
    rows: Vec<EntryRow>,
    next_page: Option<String>,
    keeping: Keeping,
}

/// The keeping form: what it shows, at which version, and how the last post went.
pub struct Keeping {
    pub days: String,
    pub version: u64,
    pub help: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub alert: Option<String>,
}

pub fn action(action: AccessAction) -> Message {
    match action {
        AccessAction::SignedIn => msg::ui_access_signed_in(),
        AccessAction::SignInFailed => msg::ui_access_sign_in_failed(),
        AccessAction::Read => msg::ui_access_read(),
        AccessAction::Exported => msg::ui_access_exported(),
        AccessAction::ProfileChanged => msg::ui_access_profile_changed(),
        AccessAction::UserChanged => msg::ui_access_user_changed(),
        AccessAction::SettingsChanged => msg::ui_access_settings_changed(),
    }
}

fn kind_label(kind: &str) -> Message {
    match kind {
        "case" => msg::ui_module_cases(),
        "account" => msg::ui_module_accounts(),
        "contact" => msg::ui_module_contacts(),
        "lead" => msg::ui_module_leads(),
        "invoice" => msg::ui_module_receivables(),
        "profile" => msg::ui_profiles(),
        "user" => msg::ui_users(),
        "tenant" => msg::ui_company(),
        _ => msg::ui_module_reports(),
    }
}

fn link(record: &RecordRef) -> Option<String> {
    let base = match record.kind.as_str() {
        "case" => "/app/cases",
        "account" => "/app/accounts",
        "lead" => "/app/leads",
        "invoice" => "/app/receivables/invoices",
        "profile" => "/app/settings/profiles",
        "user" => "/app/settings/users",
        _ => return None,
    };
    Some(format!("{base}/{}", form_urlencoded::byte_serialize(record.id.as_bytes()).collect::<String>()))
}

fn row(entry: &AccessEntry, chrome: &Chrome) -> EntryRow {
    EntryRow {
        when: chrome.when(entry.at),
        user: entry.user.to_string(),
        action: chrome.t(action(entry.action)),
        record: entry
            .record
            .as_ref()
            .map(|r| format!("{}: {}", chrome.t(kind_label(&r.kind)), r.id))
            .unwrap_or_default(),
        link: entry.record.as_ref().and_then(link),
        from: entry.from.clone(),
    }
}

/// What the keeping form shows besides the stored value.
#[derive(Default)]
struct Posted {
    days: Option<String>,
    error: Option<String>,
    notice: Option<Message>,
    alert: Option<Message>,
}

/// `GET /app/settings/access-log?user=&kind=&record=&cursor=` (`kept=1` after a saved keeping).
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let notice = query_value(request, "kept").is_some().then(msg::ui_saved);
    render(console, request, signed_in, StatusCode::OK, Posted { notice, ..Posted::default() }).await
}

/// `POST /app/settings/access-log`: the keeping, at the version the page showed; back to the
/// log when saved, the form again with the reason when not.
pub async fn save_retention(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(version) = form_version(request) else { return response::status_page(StatusCode::BAD_REQUEST, locale) };
    let typed = form_value(request, "days").unwrap_or_default();
    let Ok(days) = typed.trim().parse::<u16>() else {
        let error = Some(msg::between(RETENTION_MIN_DAYS, RETENTION_MAX_DAYS).render(locale));
        let posted = Posted { days: Some(typed), error, ..Posted::default() };
        return render(console, request, signed_in, StatusCode::UNPROCESSABLE_ENTITY, posted).await;
    };
    let expected = Some(ExpectedVersion::Exactly(version));
    match console.services.save_access_log_retention(&signed_in.actor, Retention { days }, expected).await {
        Ok(_) => response::redirect(&format!("{PATH}?kept=1")),
        Err(SaveRetentionError::Invalid(errors)) => {
            let error = errors.render(locale).into_iter().next().map(|e| e.reason);
            let posted = Posted { days: Some(typed), error, ..Posted::default() };
            render(console, request, signed_in, StatusCode::UNPROCESSABLE_ENTITY, posted).await
        }
        Err(SaveRetentionError::Stale { .. }) => {
            let posted = Posted { alert: Some(msg::ui_log_retention_stale()), ..Posted::default() };
            render(console, request, signed_in, StatusCode::CONFLICT, posted).await
        }
        Err(SaveRetentionError::Forbidden(f)) => response::not_permitted(locale, f.message()),
        Err(SaveRetentionError::Store(error)) => {
            tracing::error!(%error, "the access log's keeping could not be saved");
            response::unavailable(locale)
        }
    }
}

async fn render(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    status: StatusCode,
    posted: Posted,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "access-log");
    let user = query_value(request, "user").unwrap_or_default();
    let kind = query_value(request, "kind").filter(|k| KINDS.contains(&k.as_str())).unwrap_or_default();
    let record = query_value(request, "record").map(|r| r.trim().to_owned()).unwrap_or_default();
    let filter = AccessFilter {
        user: UserId::parse(&user).ok(),
        record: (!kind.is_empty() && !record.is_empty()).then(|| RecordRef::new(&kind, &record)),
    };
    let Ok(paging) = PageRequest::new(Some(PER_PAGE), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let found = match console.services.access_log(&signed_in.actor, &filter, &paging).await {
        Ok(found) => found,
        Err(AccessLogError::Forbidden(f)) => return response::not_permitted(chrome.locale, f.message()),
        Err(AccessLogError::Invalid(_)) => return response::status_page(StatusCode::BAD_REQUEST, chrome.locale),
        Err(AccessLogError::Store(error)) => {
            tracing::error!(%error, "the access log could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let everyone = PageRequest::new(Some(100), None).expect("a valid page size");
    let users = match console.services.list_users(&signed_in.actor, &everyone).await {
        Ok(users) => users.items.into_iter().map(|u| (u.value.id.to_string(), u.value.name)).collect(),
        Err(error) => {
            tracing::error!(?error, "the users could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let next_page = found.next_cursor.map(|cursor| {
        format!(
            "{PATH}?user={}&kind={}&record={}&cursor={}",
            encode(&user),
            encode(&kind),
            encode(&record),
            encode(&cursor)
        )
    });
    let kept = match console.services.access_log_retention(&signed_in.actor).await {
        Ok(kept) => kept,
        Err(AccessLogError::Forbidden(f)) => return response::not_permitted(chrome.locale, f.message()),
        Err(error) => {
            tracing::error!(?error, "the access log's keeping could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let keeping = Keeping {
        days: posted.days.unwrap_or_else(|| kept.value.days.to_string()),
        version: kept.version,
        help: chrome.t(msg::ui_log_retention_help(RETENTION_MIN_DAYS, RETENTION_MAX_DAYS)),
        error: posted.error,
        notice: posted.notice.map(|m| chrome.t(m)),
        alert: posted.alert.map(|m| chrome.t(m)),
    };
    let rows = found.items.iter().map(|e| row(&e.value, &chrome)).collect();
    let kinds = KINDS.into_iter().map(|k| (k, chrome.t(kind_label(k)))).collect();
    page(status, &AccessLogPage { users, user, kinds, kind, record, rows, next_page, keeping, chrome })
}
