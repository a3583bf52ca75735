//! *Casos*: the company's cases filtered (type, state, owner, branch, priority, channel, days
//! opened, words), in either order, saved as views, exported, and reassigned or archived in
//! bulk with a result per case.

use gestiona_domain::access_log::{AccessAction, RecordRef};
use std::collections::BTreeMap;

use askama::Template;
use gestiona_domain::case::{Case, CasePatch};
use gestiona_domain::messages as msg;
use gestiona_domain::service::case_list::{CaseFilter, CaseSort};
use gestiona_domain::service::cases::{ArchiveCaseError, UpdateCaseError};
use gestiona_domain::service::views::{DeleteViewError, NewSavedView, SaveViewError};
use gestiona_domain::service::{ListError, PageRequest};
use gestiona_domain::{CaseTypeKey, EntityId, Message, Role, UserId};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::cases::{CaseRow, CaseRows, TypeNames, next_page_link, rows_with_deadlines};
use super::labels::{self, CHANNELS, PRIORITIES};
use super::params::Params;
use super::{Chrome, from_htmx, page};
use crate::session::SignedIn;
use crate::{Console, response};

/// The list's query parameters, in the order a view's query string keeps them.
const PARAMS: [&str; 11] =
    ["q", "type", "state", "owner", "branch", "priority", "channel", "from", "to", "sort", "archived"];
const LIST: &str = "cases";
/// The orders offered, by their value in the query string (none: newest first).
const SORTS: [(&str, CaseSort); 4] = [
    ("oldest", CaseSort::Oldest),
    ("due", CaseSort::Deadline),
    ("updated", CaseSort::RecentlyUpdated),
    ("untouched", CaseSort::LeastRecentlyUpdated),
];
/// Rows per page, and the most an export or a bulk action takes.
const PAGE_ROWS: u32 = 50;
const EXPORT_MAX: usize = 5_000;
const BULK_MAX: usize = 100;

/// The orders as a select's options: value and label.
fn sort_options(chrome: &Chrome) -> Vec<(String, String)> {
    let label = |sort: CaseSort| match sort {
        CaseSort::Newest => msg::ui_newest_first(),
        CaseSort::Oldest => msg::ui_oldest_first(),
        CaseSort::Deadline => msg::ui_nearest_deadline_first(),
        CaseSort::RecentlyUpdated => msg::ui_last_changed_first(),
        CaseSort::LeastRecentlyUpdated => msg::ui_longest_untouched_first(),
    };
    let newest = (String::new(), chrome.t(label(CaseSort::Newest)));
    std::iter::once(newest).chain(SORTS.iter().map(|(key, sort)| ((*key).to_owned(), chrome.t(label(*sort))))).collect()
}

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct ViewLink {
    pub id: String,
    pub name: String,
    pub href: String,
    pub shared: bool,
    pub current: bool,
    pub deletable: bool,
}

/// What a bulk action did to one case.
pub struct BulkRow {
    pub id: String,
    pub subject: String,
    pub ok: bool,
    pub outcome: String,
}

/// The filters as typed (to show them again) and as read.
struct Filters {
    params: Params,
    filter: CaseFilter,
    errors: Vec<String>,
}

impl Filters {
    fn read(query: &str, chrome: &Chrome) -> Self {
        let params = Params::read(query, &PARAMS);
        let mut errors = Vec::new();
        let mut bad = |label: Message, reason: Message| {
            errors.push(format!("{}: {}", chrome.t(label), chrome.t(reason)));
        };
        let text = |name: &str| params.get(name);
        let mut filter =
            CaseFilter { words: text("q"), state: text("state"), branch: text("branch"), ..Default::default() };
        if let Some(raw) = text("type") {
            match CaseTypeKey::parse(&raw) {
                Ok(key) => filter.case_type = Some(key),
                Err(e) => bad(msg::ui_type(), e.into()),
            }
        }
        if let Some(raw) = text("owner") {
            match UserId::parse(&raw) {
                Ok(user) => filter.owner = Some(user),
                Err(e) => bad(msg::ui_owner(), e.into()),
            }
        }
        if let Some(raw) = text("priority") {
            match labels::parse_priority(&raw) {
                Some(priority) => filter.priority = Some(priority),
                None => bad(msg::ui_priority(), msg::one_of(PRIORITIES.map(labels::priority_key).join(", "))),
            }
        }
        if let Some(raw) = text("channel") {
            match labels::parse_channel(&raw) {
                Some(channel) => filter.channel = Some(channel),
                None => bad(msg::ui_channel(), msg::one_of(CHANNELS.map(labels::channel_key).join(", "))),
            }
        }
        for (name, label) in [("from", msg::ui_opened_from()), ("to", msg::ui_opened_to())] {
            let Some(raw) = text(name) else { continue };
            match raw.parse::<jiff::civil::Date>() {
                Ok(day) if name == "from" => filter.created_from = Some(day),
                Ok(day) => filter.created_to = Some(day),
                Err(_) => bad(label, msg::date_format()),
            }
        }
        match text("sort").as_deref().map(|raw| SORTS.iter().find(|(key, _)| *key == raw)) {
            None => {}
            Some(Some((_, sort))) => filter.sort = *sort,
            Some(None) => bad(msg::ui_sort(), msg::one_of(SORTS.map(|(key, _)| key).join(", "))),
        }
        filter.archived = text("archived").as_deref() == Some("true");
        Self { params, filter, errors }
    }
}

#[derive(Template)]
#[template(path = "case_list.html")]
struct CaseListPage {
    chrome: Chrome,
    filters: BTreeMap<&'static str, String>,
    query: String,
    types: Vec<Choice>,
    owners: Vec<Choice>,
    priorities: Vec<Choice>,
    channels: Vec<Choice>,
    archived: bool,
    sorts: Vec<Choice>,
    filter_errors: Vec<String>,
    views: Vec<ViewLink>,
    can_share: bool,
    view_error: Option<String>,
    view_name: String,
    /// Supervisors pick rows and act on them.
    selectable: bool,
    show_due: bool,
    bulk_results: Option<Vec<BulkRow>>,
    bulk_error: Option<String>,
    notice: Option<String>,
    rows: Vec<CaseRow>,
    next_page: Option<String>,
}

/// What the last post to the page left to say.
#[derive(Default)]
pub(crate) struct Notes {
    view_error: Option<String>,
    view_name: String,
    bulk_results: Option<Vec<BulkRow>>,
    bulk_error: Option<String>,
    notice: Option<String>,
}

impl Notes {
    pub(crate) fn notice(notice: String) -> Self {
        Notes { notice: Some(notice), ..Default::default() }
    }
}

/// `GET /app/cases`.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let cursor = form_urlencoded::parse(query.as_bytes()).find(|(n, _)| n == "cursor").map(|(_, v)| v.into_owned());
    render(console, request, signed_in, &query, cursor, StatusCode::OK, Notes::default()).await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn render(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
    query: &str,
    cursor: Option<String>,
    status: StatusCode,
    notes: Notes,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "cases");
    let locale = chrome.locale;
    let actor = signed_in.actor.clone();
    let filters = Filters::read(query, &chrome);
    let Ok(paging) = PageRequest::new(Some(PAGE_ROWS), cursor) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let mut filter_errors = filters.errors.clone();
    let found = if filter_errors.is_empty() {
        match console.services.list_cases(&actor, &filters.filter, &paging).await {
            Ok(found) => Some(found),
            Err(ListError::Invalid(errors)) => {
                filter_errors.extend(errors.0.iter().map(|e| e.reason.render(locale)));
                None
            }
            Err(ListError::Store(error)) => {
                tracing::error!(%error, "cases could not be listed");
                return response::unavailable(locale);
            }
        }
    } else {
        None
    };
    let names = match TypeNames::load(console, signed_in).await {
        Ok(names) => names,
        Err(response) => return response,
    };
    let selectable = actor.role >= Role::Supervisor;
    let show_due = filters.filter.sort == CaseSort::Deadline;
    let (rows, next_page) = match found {
        Some(found) => {
            let rows = if show_due {
                match rows_with_deadlines(console, signed_in, &found.items, &names, &chrome).await {
                    Ok(rows) => rows,
                    Err(response) => return response,
                }
            } else {
                found.items.iter().map(|c| CaseRow::of(c, &names, &chrome)).collect()
            };
            (rows, found.next_cursor.map(|c| next_page_link("/app/cases", &filters.params.query(), &c)))
        }
        None => (Vec::new(), None),
    };
    let status = if filter_errors.is_empty() { status } else { StatusCode::UNPROCESSABLE_ENTITY };
    if from_htmx(request) && notes.bulk_results.is_none() {
        return page(status, &CaseRows { chrome, rows, next_page, selectable, show_due });
    }
    let (views, users) = views_and_users(console, signed_in).await;
    let (Some(views), Some(users)) = (views, users) else { return response::unavailable(locale) };
    let current = filters.params.query();
    let views = views
        .into_iter()
        .map(|view| ViewLink {
            id: view.id.to_string(),
            href: format!("/app/cases?{}", view.query),
            current: view.query == current && !current.is_empty(),
            deletable: if view.shared { selectable } else { view.owner == actor.user },
            shared: view.shared,
            name: view.name,
        })
        .collect();
    let choose = |options: Vec<(String, String)>, current: &str| -> Vec<Choice> {
        options.into_iter().map(|(value, label)| Choice { selected: value == current, value, label }).collect()
    };
    let types = choose(names.options(), &filters.params.value("type"));
    let owners = choose(users, &filters.params.value("owner"));
    let priorities = choose(
        PRIORITIES.iter().map(|p| (labels::priority_key(*p).to_owned(), labels::priority(*p, locale))).collect(),
        &filters.params.value("priority"),
    );
    let channels = choose(
        CHANNELS.iter().map(|c| (labels::channel_key(*c).to_owned(), labels::channel(*c, locale))).collect(),
        &filters.params.value("channel"),
    );
    let data = CaseListPage {
        query: current,
        archived: filters.filter.archived,
        sorts: choose(sort_options(&chrome), &filters.params.value("sort")),
        filters: filters.params.values().clone(),
        chrome,
        types,
        owners,
        priorities,
        channels,
        filter_errors,
        views,
        can_share: selectable,
        view_error: notes.view_error,
        view_name: notes.view_name,
        selectable,
        show_due,
        bulk_results: notes.bulk_results,
        bulk_error: notes.bulk_error,
        notice: notes.notice,
        rows,
        next_page,
    };
    page(status, &data)
}

/// The user's views and the company's users (for the owner filter and bulk reassignment).
async fn views_and_users(
    console: &Console,
    signed_in: &SignedIn,
) -> (Option<Vec<gestiona_domain::service::views::SavedView>>, Option<Vec<(String, String)>>) {
    let actor = signed_in.actor.clone();
    let everyone = PageRequest::new(Some(100), None).expect("a valid page size");
    let (views, users) =
        tokio::join!(console.services.list_views(&actor, LIST), console.services.list_users(&actor, &everyone));
    let views = views.map_err(|error| tracing::error!(%error, "the saved views could not be read")).ok();
    let users = users
        .map(|page| page.items.into_iter().map(|u| (u.value.id.to_string(), u.value.name)).collect())
        .map_err(|error| tracing::error!(?error, "the users could not be listed"))
        .ok();
    (views, users)
}

/// `GET /app/cases/export`: the filtered cases as CSV, every cell spreadsheet-safe.
pub async fn export(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "cases");
    let filters = Filters::read(request.uri().query().unwrap_or_default(), &chrome);
    if !filters.errors.is_empty() {
        return list(console, request, signed_in).await;
    }
    let actor = signed_in.actor.clone();
    let names = match TypeNames::load(console, signed_in).await {
        Ok(names) => names,
        Err(response) => return response,
    };
    let t = |m: Message| chrome.t(m);
    let mut rows = vec![vec![
        "id".to_owned(),
        t(msg::ui_subject()),
        t(msg::ui_type()),
        t(msg::ui_state()),
        t(msg::ui_priority()),
        t(msg::ui_channel()),
        t(msg::ui_owner()),
        t(msg::ui_branch()),
        t(msg::ui_amount()),
        t(msg::ui_currency()),
        t(msg::ui_created()),
        t(msg::ui_updated()),
    ]];
    let mut cursor = None;
    loop {
        let paging = PageRequest::new(Some(100), cursor).expect("a valid page size");
        let found = match console.services.list_cases(&actor, &filters.filter, &paging).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(?error, "cases could not be exported");
                return response::unavailable(chrome.locale);
            }
        };
        rows.extend(found.items.iter().map(|c| export_row(&c.value, &names, &chrome)));
        match found.next_cursor {
            Some(next) if rows.len() <= EXPORT_MAX => cursor = Some(next),
            _ => break,
        }
    }
    rows.truncate(EXPORT_MAX + 1);
    let name = if chrome.locale == gestiona_domain::Locale::Es { "casos.csv" } else { "cases.csv" };
    let what = format!("cases?{}", request.uri().query().unwrap_or_default());
    console.services.log_access(&actor, AccessAction::Exported, Some(RecordRef::new("report", what))).await;
    response::download(name, "text/csv; charset=utf-8", gestiona_domain::export::csv(&rows))
}

fn export_row(case: &Case, names: &TypeNames, chrome: &Chrome) -> Vec<String> {
    let (type_name, state_name) = names.of(&case.case_type, &case.state);
    vec![
        case.id.to_string(),
        case.subject.clone(),
        type_name,
        state_name,
        labels::priority(case.priority, chrome.locale),
        labels::channel(case.channel, chrome.locale),
        case.owner.as_ref().map(ToString::to_string).unwrap_or_default(),
        case.branch.clone().unwrap_or_default(),
        case.amount.as_ref().map(|a| gestiona_domain::format::number(a, chrome.locale)).unwrap_or_default(),
        case.amount.as_ref().map(|a| a.currency.clone()).unwrap_or_default(),
        chrome.when(case.created_at),
        chrome.when(case.updated_at),
    ]
}

/// `POST /app/cases/bulk`: reassigns or archives the selected cases, each at the version the
/// list showed, and shows what happened to each.
pub async fn bulk(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let form: Vec<(String, String)> = form_urlencoded::parse(request.body().as_ref()).into_owned().collect();
    let value = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let query = value("query");
    let selected: Vec<(EntityId, u64)> = form
        .iter()
        .filter(|(n, _)| n == "case")
        .filter_map(|(_, v)| v.split_once(':'))
        .filter_map(|(id, version)| Some((EntityId::parse(id).ok()?, version.parse().ok()?)))
        .collect();
    let action = value("do");
    let owner = UserId::parse(value("owner").trim()).ok();
    let refuse = |error: Message| Notes { bulk_error: Some(error.render(locale)), ..Default::default() };
    let notes = if selected.is_empty() {
        refuse(msg::ui_bulk_none())
    } else if selected.len() > BULK_MAX {
        refuse(msg::ui_bulk_too_many(BULK_MAX))
    } else if action == "reassign" && owner.is_none() {
        refuse(msg::ui_bulk_choose_owner())
    } else if action != "reassign" && action != "archive" {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    } else {
        let actor = signed_in.actor.clone();
        let ids: Vec<EntityId> = selected.iter().map(|(id, _)| *id).collect();
        let subjects = console.services.case_subjects(&actor, &ids).await.unwrap_or_else(|error| {
            // The rows then name their cases by id; the changes themselves go ahead.
            tracing::warn!(%error, "the selected cases' subjects could not be read");
            Default::default()
        });
        let mut results = Vec::with_capacity(selected.len());
        for (id, version) in selected {
            let subject = subjects.get(&id).cloned().unwrap_or_else(|| id.to_string());
            let outcome = match &owner {
                Some(owner) if action == "reassign" => reassign(console, &actor, id, version, owner).await,
                _ => archive(console, &actor, id, version).await,
            };
            let (ok, outcome) = match outcome {
                Ok(done) => (true, done.render(locale)),
                Err(reason) => (false, reason.render(locale)),
            };
            results.push(BulkRow { id: id.to_string(), subject, ok, outcome });
        }
        Notes { bulk_results: Some(results), ..Default::default() }
    };
    let status = if notes.bulk_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render(console, request, signed_in, &query, None, status, notes).await
}

async fn reassign(
    console: &Console,
    actor: &gestiona_domain::Actor,
    id: EntityId,
    version: u64,
    owner: &UserId,
) -> Result<Message, Message> {
    let patch = CasePatch { owner: Some(Some(owner.clone())), ..Default::default() };
    match console.services.update_case(actor, id, version.into(), patch).await {
        Ok(_) => Ok(msg::ui_done_reassigned(owner)),
        Err(UpdateCaseError::NotFound) => Err(msg::ui_row_missing()),
        Err(UpdateCaseError::Stale { .. }) => Err(msg::ui_row_changed()),
        Err(UpdateCaseError::Archived) => Err(msg::ui_row_archived()),
        Err(UpdateCaseError::Forbidden(f)) => Err(f.message()),
        Err(UpdateCaseError::Invalid(errors)) => {
            Err(errors.0.into_iter().next().map_or_else(msg::incomplete, |e| e.reason))
        }
        Err(UpdateCaseError::Store(error)) => {
            tracing::error!(%error, "a case could not be reassigned");
            Err(msg::title_unavailable())
        }
    }
}

async fn archive(
    console: &Console,
    actor: &gestiona_domain::Actor,
    id: EntityId,
    version: u64,
) -> Result<Message, Message> {
    match console.services.archive_case(actor, id, version.into()).await {
        Ok(()) => Ok(msg::ui_done_archived()),
        Err(ArchiveCaseError::NotFound) => Err(msg::ui_row_missing()),
        Err(ArchiveCaseError::Stale { .. }) => Err(msg::ui_row_changed()),
        Err(ArchiveCaseError::AlreadyArchived) => Err(msg::ui_row_archived()),
        Err(ArchiveCaseError::Forbidden(f)) => Err(f.message()),
        Err(ArchiveCaseError::Store(error)) => {
            tracing::error!(%error, "a case could not be archived");
            Err(msg::title_unavailable())
        }
    }
}

/// `POST /app/views`: saves the list's current filters under a name.
pub async fn save_view(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let form: BTreeMap<String, String> = form_urlencoded::parse(request.body().as_ref()).into_owned().collect();
    let query = form.get("query").cloned().unwrap_or_default();
    let name = form.get("name").cloned().unwrap_or_default();
    let input = NewSavedView {
        list: LIST.to_owned(),
        name: name.clone(),
        query: query.clone(),
        shared: form.get("shared").is_some_and(|v| v == "true"),
    };
    let refused = |error: String| Notes { view_error: Some(error), view_name: name.clone(), ..Default::default() };
    let (status, notes) = match console.services.save_view(&signed_in.actor, input).await {
        Ok(_) => return response::redirect(&format!("/app/cases?{query}")),
        Err(SaveViewError::Invalid(errors)) => {
            let reason = errors.0.first().map(|e| e.reason.render(locale)).unwrap_or_default();
            (StatusCode::UNPROCESSABLE_ENTITY, refused(format!("{}: {reason}", msg::ui_view_name().render(locale))))
        }
        Err(SaveViewError::Forbidden(f)) => (StatusCode::FORBIDDEN, refused(f.message().render(locale))),
        Err(SaveViewError::Store(error)) => {
            tracing::error!(%error, "the view could not be saved");
            return response::unavailable(locale);
        }
    };
    render(console, request, signed_in, &query, None, status, notes).await
}

/// `POST /app/views/{id}/delete`.
pub async fn delete_view(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Ok(id) = EntityId::parse(id) else { return response::not_found(locale) };
    match console.services.delete_view(&signed_in.actor, LIST, id).await {
        Ok(()) => response::redirect("/app/cases"),
        Err(DeleteViewError::NotFound) => response::not_found(locale),
        Err(DeleteViewError::Forbidden(_)) => response::forbidden(signed_in),
        Err(DeleteViewError::Store(error)) => {
            tracing::error!(%error, "the view could not be deleted");
            response::unavailable(locale)
        }
    }
}
