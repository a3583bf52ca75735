//! *Equipos y sucursales* (administrators): the company's branches and teams in one form, saved
//! at the version the page showed. A row whose name is left empty is removed; the empty row at
//! the end of each table adds one.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use gestiona_domain::messages as msg;
use gestiona_domain::organisation::{Branch, Organisation, Team};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::organisation::OrganisationError;
use gestiona_domain::{ExpectedVersion, UnitId, UserId, ValidationErrors};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{Chrome, form_version, page};
use crate::session::SignedIn;
use crate::{Console, response};

/// The directory is read in one page: a company's staff fits in it.
const DIRECTORY_PAGE: u32 = 100;

/// One row of a table as the form shows it (the last, empty one adds).
#[derive(Default)]
pub struct BranchRow {
    pub id: String,
    pub name: String,
    pub region: String,
    pub zone: String,
    pub existing: bool,
}

#[derive(Default)]
pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub branch: String,
    pub members: BTreeSet<String>,
    pub supervisors: BTreeSet<String>,
    pub existing: bool,
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    chrome: Chrome,
    branches: Vec<BranchRow>,
    teams: Vec<TeamRow>,
    /// `(id, name)` of the directory's users, for the member and supervisor lists.
    users: Vec<(String, String)>,
    version: u64,
    /// Problems worded with the row they are in.
    errors: Vec<String>,
    notice: Option<String>,
    alert: Option<String>,
}

/// `GET /app/settings/organisation`.
pub async fn show(console: &Console, signed_in: &SignedIn) -> Response<Body> {
    match console.services.organisation(&signed_in.actor).await {
        Ok(found) => {
            let rows = Rows::of(&found.value);
            render(console, signed_in, StatusCode::OK, rows, found.version, Vec::new(), None, None).await
        }
        Err(error) => failed(error, signed_in),
    }
}

/// What the form showed or posted, row by row.
struct Rows {
    branches: Vec<BranchRow>,
    teams: Vec<TeamRow>,
}

impl Rows {
    fn of(organisation: &Organisation) -> Self {
        let branches = organisation
            .branches
            .iter()
            .map(|b| BranchRow {
                id: b.id.to_string(),
                name: b.name.clone(),
                region: b.region.clone().unwrap_or_default(),
                zone: b.zone.clone().unwrap_or_default(),
                existing: true,
            })
            .collect();
        let names = |users: &[UserId]| users.iter().map(ToString::to_string).collect();
        let teams = organisation
            .teams
            .iter()
            .map(|t| TeamRow {
                id: t.id.to_string(),
                name: t.name.clone(),
                branch: t.branch.as_ref().map(ToString::to_string).unwrap_or_default(),
                members: names(&t.members),
                supervisors: names(&t.supervisors),
                existing: true,
            })
            .collect();
        Rows { branches, teams }
    }

    /// The rows a post describes, by their number in the form.
    fn posted(request: &Request) -> Self {
        let mut branches: BTreeMap<usize, BranchRow> = BTreeMap::new();
        let mut teams: BTreeMap<usize, TeamRow> = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(request.body().as_ref()) {
            let mut parts = name.splitn(3, '.');
            let (Some(table), Some(row), Some(field)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let Ok(row) = row.parse::<usize>() else { continue };
            let value = value.into_owned();
            match table {
                "branch" => {
                    let entry = branches.entry(row).or_default();
                    match field {
                        "id" => entry.id = value,
                        "name" => entry.name = value,
                        "region" => entry.region = value,
                        "zone" => entry.zone = value,
                        "existing" => entry.existing = true,
                        _ => {}
                    }
                }
                "team" => {
                    let entry = teams.entry(row).or_default();
                    match field {
                        "id" => entry.id = value,
                        "name" => entry.name = value,
                        "branch" => entry.branch = value,
                        "members" => _ = entry.members.insert(value),
                        "supervisors" => _ = entry.supervisors.insert(value),
                        "existing" => entry.existing = true,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Rows { branches: branches.into_values().collect(), teams: teams.into_values().collect() }
    }

    /// The organisation the rows describe (rows without a name left out), or the problems of
    /// their keys, worded with the row they are in.
    fn organisation(&self, chrome: &Chrome) -> Result<(Organisation, Kept), Vec<String>> {
        let mut problems = Vec::new();
        let mut key = |section: &str, row: usize, text: &str| match UnitId::parse(text.trim()) {
            Ok(id) => Some(id),
            Err(invalid) => {
                let reason = msg::Message::from(invalid).render(chrome.locale);
                problems.push(format!("{section} {}, {}: {reason}", row + 1, chrome.t(msg::ui_key())));
                None
            }
        };
        let branches_label = chrome.t(msg::ui_branches());
        let teams_label = chrome.t(msg::ui_teams());
        let mut kept = Kept::default();
        let mut branches = Vec::new();
        for (row, b) in self.branches.iter().enumerate().filter(|(_, b)| !b.name.trim().is_empty()) {
            if let Some(id) = key(&branches_label, row, &b.id) {
                let optional = |text: &str| Some(text.to_owned()).filter(|t| !t.trim().is_empty());
                branches.push(Branch {
                    id,
                    name: b.name.clone(),
                    region: optional(&b.region),
                    zone: optional(&b.zone),
                });
                kept.branches.push(row);
            }
        }
        let mut teams = Vec::new();
        for (row, t) in self.teams.iter().enumerate().filter(|(_, t)| !t.name.trim().is_empty()) {
            let branch = match t.branch.as_str() {
                "" => Some(None),
                text => key(&teams_label, row, text).map(Some),
            };
            let people =
                |ids: &BTreeSet<String>| ids.iter().filter_map(|id| UserId::parse(id).ok()).collect::<Vec<_>>();
            if let (Some(id), Some(branch)) = (key(&teams_label, row, &t.id), branch) {
                let (members, supervisors) = (people(&t.members), people(&t.supervisors));
                teams.push(Team { id, name: t.name.clone(), branch, members, supervisors });
                kept.teams.push(row);
            }
        }
        if problems.is_empty() { Ok((Organisation { branches, teams }, kept)) } else { Err(problems) }
    }
}

/// Which form row each saved branch and team came from, to word a refusal with its row.
#[derive(Default)]
struct Kept {
    branches: Vec<usize>,
    teams: Vec<usize>,
}

impl Kept {
    /// `teams[2].members` → "Teams 4: reason" (the row in the form, counted from 1).
    fn word(&self, chrome: &Chrome, errors: ValidationErrors) -> Vec<String> {
        errors
            .render(chrome.locale)
            .into_iter()
            .map(|e| {
                let located =
                    [("branches[", &self.branches, msg::ui_branches()), ("teams[", &self.teams, msg::ui_teams())]
                        .into_iter()
                        .find_map(|(prefix, rows, label)| {
                            let rest = e.field.strip_prefix(prefix)?;
                            let (index, _) = rest.split_once(']')?;
                            let row = rows.get(index.parse::<usize>().ok()?)?;
                            Some(format!("{} {}", chrome.t(label), row + 1))
                        });
                match located {
                    Some(place) => format!("{place}: {}", e.reason),
                    None => e.reason,
                }
            })
            .collect()
    }
}

#[expect(clippy::too_many_arguments, reason = "the page's parts, each passed once")]
async fn render(
    console: &Console,
    signed_in: &SignedIn,
    status: StatusCode,
    mut rows: Rows,
    version: u64,
    errors: Vec<String>,
    notice: Option<String>,
    alert: Option<String>,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "organisation");
    let everyone = PageRequest::new(Some(DIRECTORY_PAGE), None).expect("a valid page size");
    let users = match console.services.list_users(&signed_in.actor, &everyone).await {
        Ok(users) => users.items.into_iter().map(|u| (u.value.id.to_string(), u.value.name)).collect(),
        Err(error) => {
            tracing::error!(?error, "the users could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    rows.branches.retain(|b| b.existing || !b.name.trim().is_empty() || !b.id.trim().is_empty());
    rows.teams.retain(|t| t.existing || !t.name.trim().is_empty() || !t.id.trim().is_empty());
    rows.branches.push(BranchRow::default());
    rows.teams.push(TeamRow::default());
    let data =
        OrganisationPage { chrome, branches: rows.branches, teams: rows.teams, users, version, errors, notice, alert };
    page(status, &data)
}

fn failed(error: OrganisationError, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    match error {
        OrganisationError::Forbidden(f) => response::not_permitted(locale, f.message()),
        error => {
            tracing::error!(?error, "the organisation could not be read or saved");
            response::unavailable(locale)
        }
    }
}

/// `POST /app/settings/organisation`: saves every row at the version the page showed.
pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(version) = form_version(request) else { return response::status_page(StatusCode::BAD_REQUEST, locale) };
    let rows = Rows::posted(request);
    let chrome = Chrome::of(signed_in, "organisation");
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let (organisation, kept) = match rows.organisation(&chrome) {
        Ok(parsed) => parsed,
        Err(problems) => return render(console, signed_in, unprocessable, rows, version, problems, None, None).await,
    };
    let expected = Some(ExpectedVersion::Exactly(version));
    match console.services.save_organisation(&signed_in.actor, organisation, expected).await {
        Ok(saved) => {
            let notice = Some(msg::ui_saved().render(locale));
            let rows = Rows::of(&saved.value);
            render(console, signed_in, StatusCode::OK, rows, saved.version, Vec::new(), notice, None).await
        }
        Err(OrganisationError::Invalid(errors)) => {
            let problems = kept.word(&chrome, errors);
            render(console, signed_in, unprocessable, rows, version, problems, None, None).await
        }
        Err(OrganisationError::Stale(_)) => match console.services.organisation(&signed_in.actor).await {
            Ok(now) => {
                let alert = Some(msg::ui_organisation_stale().render(locale));
                let rows = Rows::of(&now.value);
                render(console, signed_in, StatusCode::CONFLICT, rows, now.version, Vec::new(), None, alert).await
            }
            Err(error) => failed(error, signed_in),
        },
        Err(error) => failed(error, signed_in),
    }
}
