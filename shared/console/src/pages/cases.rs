//! *Mi trabajo*, and what every case list shares: its rows, and the names of types and states.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use gestiona_domain::case::{Case, StateClass};
use gestiona_domain::lead::LeadStatus;
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::case_list::CaseFilter;
use gestiona_domain::service::leads::LeadFilter;
use gestiona_domain::service::sla::Deadline;
use gestiona_domain::{CaseTypeKey, EntityId, Page, Versioned};
use http::StatusCode;
use jiff::Timestamp;
use lambda_http::{Body, Request, Response};

use super::leads::LeadRow;
use super::{Chrome, labels, page};
use crate::session::SignedIn;
use crate::{Console, response};

/// The tenant's case types by key: their names and their states' names, for lists that show
/// words rather than keys.
pub struct TypeNames(HashMap<CaseTypeKey, (String, HashMap<String, String>)>);

impl TypeNames {
    /// How long a tenant's names are reused: a renamed state shows within a minute.
    pub const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(60);

    /// The current definitions' names (a few types per tenant: one query, reused a minute).
    pub async fn load(console: &Console, signed_in: &SignedIn) -> Result<Arc<Self>, Response<Body>> {
        let tenant = &signed_in.session.tenant;
        if let Some(names) = console.type_names.get(tenant) {
            return Ok(names);
        }
        let all = PageRequest::new(Some(100), None).expect("a valid page size");
        match console.services.list_case_types(&signed_in.actor, &all).await {
            Ok(found) => {
                let names = Arc::new(Self(
                    found
                        .items
                        .into_iter()
                        .map(|t| {
                            let states = t.value.states.iter().map(|s| (s.key.clone(), s.name.clone())).collect();
                            (t.value.key, (t.value.name, states))
                        })
                        .collect(),
                ));
                console.type_names.put(tenant.clone(), Arc::clone(&names));
                Ok(names)
            }
            Err(error) => {
                tracing::error!(?error, "the case types could not be listed");
                Err(response::unavailable(signed_in.session.locale))
            }
        }
    }

    /// The type's and the state's names (their keys for a type or state no longer defined).
    pub fn of(&self, case_type: &CaseTypeKey, state: &str) -> (String, String) {
        match self.0.get(case_type) {
            Some((name, states)) => (name.clone(), states.get(state).cloned().unwrap_or_else(|| state.to_owned())),
            None => (case_type.to_string(), state.to_owned()),
        }
    }

    /// `(key, name)` of every type, by name.
    pub fn options(&self) -> Vec<(String, String)> {
        let mut options: Vec<(String, String)> = self.0.iter().map(|(k, (n, _))| (k.to_string(), n.clone())).collect();
        options.sort_by(|a, b| a.1.cmp(&b.1));
        options
    }
}

/// One row of a case list.
pub struct CaseRow {
    pub id: String,
    /// The version the row showed: a bulk action acts on it or not at all.
    pub version: u64,
    pub subject: String,
    pub case_type: String,
    pub state: String,
    pub closed: bool,
    pub priority: String,
    /// The priority's key, the badge's class.
    pub urgency: &'static str,
    pub owner: String,
    pub updated: String,
    /// When its nearest running clock falls due.
    pub due: Option<String>,
    /// `Vencido` or `Por vencer`, and the badge's class.
    pub alarm: Option<(String, &'static str)>,
}

impl CaseRow {
    pub(crate) fn of(case: &Versioned<Case>, names: &TypeNames, chrome: &Chrome) -> Self {
        let (version, case) = (case.version, &case.value);
        let (case_type, state) = names.of(&case.case_type, &case.state);
        Self {
            id: case.id.to_string(),
            version,
            subject: case.subject.clone(),
            case_type,
            state,
            closed: case.state_class.is_closed(),
            priority: labels::priority(case.priority, chrome.locale),
            urgency: labels::priority_key(case.priority),
            owner: case.owner.as_ref().map_or_else(|| chrome.t(msg::ui_unassigned()), ToString::to_string),
            updated: chrome.when(case.updated_at),
            due: None,
            alarm: None,
        }
    }

    /// The row with its case's nearest deadline, flagged when past or near at `now`.
    pub(crate) fn with_deadline(mut self, deadline: Option<&Deadline>, now: Timestamp, chrome: &Chrome) -> Self {
        let Some(deadline) = deadline else { return self };
        self.due = Some(chrome.when(deadline.due_at));
        self.alarm = if deadline.overdue(now) {
            Some((chrome.t(msg::ui_overdue()), "breached"))
        } else if deadline.at_risk(now) {
            Some((chrome.t(msg::ui_at_risk()), "met-late"))
        } else {
            None
        };
        self
    }
}

/// The rows of `cases`, each with its nearest deadline, or the page that says why not.
pub(crate) async fn rows_with_deadlines(
    console: &Console,
    signed_in: &SignedIn,
    cases: &[Versioned<Case>],
    names: &TypeNames,
    chrome: &Chrome,
) -> Result<Vec<CaseRow>, Response<Body>> {
    let deadlines = deadlines_of(console, signed_in, cases).await?;
    let now = console.services.now();
    Ok(cases
        .iter()
        .map(|c| CaseRow::of(c, names, chrome).with_deadline(deadlines.get(&c.value.id), now, chrome))
        .collect())
}

/// The rows alone, for htmx's "next page".
#[derive(Template)]
#[template(path = "case_rows.html")]
pub struct CaseRows {
    pub chrome: Chrome,
    pub rows: Vec<CaseRow>,
    pub next_page: Option<String>,
    /// Rows carry a checkbox for bulk actions.
    pub selectable: bool,
    /// Rows show their nearest deadline (read only where the page orders or flags by it: the
    /// reads cost more than the rest of the list).
    pub show_due: bool,
}

/// The link to a list's next page: its filters and the cursor.
pub fn next_page_link(path: &str, filters: &str, cursor: &str) -> String {
    let cursor: String = form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
    if filters.is_empty() { format!("{path}?cursor={cursor}") } else { format!("{path}?{filters}&cursor={cursor}") }
}

/// One table of *Mi trabajo*.
pub struct WorkGroup {
    pub id: &'static str,
    pub heading: String,
    pub rows: Vec<CaseRow>,
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage {
    chrome: Chrome,
    /// The user's new leads, oldest waiting first.
    new_leads: Vec<LeadRow>,
    /// Open cases waiting for the user (the most urgent first), then those waiting on the
    /// customer or a third party (clocks paused).
    groups: Vec<WorkGroup>,
    /// More open cases than the page reads: the case list has them all.
    truncated: bool,
}

/// How many new leads *Mi trabajo* shows; the lead list has the rest.
const NEW_LEADS_SHOWN: u32 = 10;
/// How many open cases *Mi trabajo* reads to order them by urgency: far more than one person
/// works at once; beyond it the page says so and the case list has the rest.
const MY_OPEN_CASES_READ: usize = 300;

/// The user's open cases (at most [`MY_OPEN_CASES_READ`]) with their deadlines.
pub struct MyCases {
    pub cases: Vec<Versioned<Case>>,
    pub deadlines: HashMap<EntityId, Deadline>,
    pub truncated: bool,
}

impl MyCases {
    /// The cases waiting for the user, not for the customer or a third party.
    pub fn needs_me(&self) -> impl Iterator<Item = &Versioned<Case>> {
        self.cases.iter().filter(|c| c.value.state_class != StateClass::Waiting)
    }
}

/// Reads the user's open cases and their deadlines, or answers why not.
pub async fn my_open_cases(console: &Console, signed_in: &SignedIn) -> Result<MyCases, Response<Body>> {
    let locale = signed_in.session.locale;
    let actor = signed_in.actor.clone();
    let filter = CaseFilter { owner: Some(actor.user.clone()), open: true, ..Default::default() };
    let mut cases: Vec<Versioned<Case>> = Vec::new();
    let mut cursor = None;
    let truncated = loop {
        let paging = PageRequest::new(Some(100), cursor).expect("a valid page size");
        let found: Page<Versioned<Case>> = match console.services.list_cases(&actor, &filter, &paging).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(?error, "cases could not be listed");
                return Err(response::unavailable(locale));
            }
        };
        cases.extend(found.items);
        match found.next_cursor {
            Some(next) if cases.len() < MY_OPEN_CASES_READ => cursor = Some(next),
            Some(_) => break true,
            None => break false,
        }
    };
    let deadlines = deadlines_of(console, signed_in, &cases).await?;
    Ok(MyCases { cases, deadlines, truncated })
}

/// The nearest running deadline of each of `cases` (archived ones have none), or the page that
/// says why not.
async fn deadlines_of(
    console: &Console,
    signed_in: &SignedIn,
    cases: &[Versioned<Case>],
) -> Result<HashMap<EntityId, Deadline>, Response<Body>> {
    let ids: Vec<EntityId> = cases.iter().filter(|c| !c.value.archived).map(|c| c.value.id).collect();
    console.services.case_deadlines(&signed_in.actor, &ids).await.map_err(|error| {
        tracing::error!(%error, "the deadlines could not be read");
        response::unavailable(signed_in.session.locale)
    })
}

/// *Mi trabajo*: the user's new leads, then their open cases by urgency (overdue first, then
/// by the nearest deadline, then the rest by last change), then those waiting on others.
pub async fn work(console: &Console, _request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let me = signed_in.session.user.clone();
    let chrome = Chrome::of(signed_in, "work");
    let actor = signed_in.actor.clone();
    let MyCases { mut cases, deadlines, truncated } = match my_open_cases(console, signed_in).await {
        Ok(mine) => mine,
        Err(response) => return response,
    };
    let names = match TypeNames::load(console, signed_in).await {
        Ok(names) => names,
        Err(response) => return response,
    };
    let now = console.services.now();
    // Overdue first, then the nearest deadline, then cases without one by their last change.
    cases.sort_by_key(|c| {
        let deadline = deadlines.get(&c.value.id);
        (deadline.is_none(), deadline.map(|d| d.due_at), std::cmp::Reverse(c.value.updated_at))
    });
    let (waiting, needs_me): (Vec<_>, Vec<_>) = cases.iter().partition(|c| c.value.state_class == StateClass::Waiting);
    let work_row = |case: &Versioned<Case>| {
        CaseRow::of(case, &names, &chrome).with_deadline(deadlines.get(&case.value.id), now, &chrome)
    };
    let groups = vec![
        WorkGroup {
            id: "needs-me",
            heading: chrome.t(msg::ui_needs_me()),
            rows: needs_me.into_iter().map(work_row).collect(),
        },
        WorkGroup {
            id: "waiting",
            heading: chrome.t(msg::ui_waiting_on_others()),
            rows: waiting.into_iter().map(work_row).collect(),
        },
    ];
    let mine = LeadFilter { owner: Some(me), status: Some(LeadStatus::New), ..Default::default() };
    let first = PageRequest::new(Some(NEW_LEADS_SHOWN), None).expect("a valid page size");
    let new_leads = match console.services.list_leads(&actor, &mine, &first).await {
        Ok(found) => found.items.iter().map(|l| LeadRow::of(&l.value, &chrome)).collect(),
        Err(error) => {
            tracing::error!(?error, "the new leads could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    page(StatusCode::OK, &WorkPage { chrome, new_leads, groups, truncated })
}
