//! *Metas*: each agent's goals of a month beside what they achieved, and (for who configures the
//! company) the month's goals written as a sheet of rows.

use std::collections::BTreeMap;

use askama::Template;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::ids::UserId;
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::sales::forecast::Month;
use gestiona_domain::sales::goal::{self, Goal, GoalSheet, Success};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::goals::{GoalsError, MonthAttainment};
use gestiona_domain::{ExpectedVersion, Locale, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::input::parse_amount;
use super::{Chrome, form_version, page, query_value};
use crate::session::{SignedIn, form_value, form_values};
use crate::{Console, response};

/// Blank rows the editor offers beyond the month's goals.
const BLANK_ROWS: usize = 3;

/// One figure of a goal: what was achieved, the target, and the share as a meter.
pub struct Figure {
    pub achieved: String,
    pub target: String,
    /// Whole percent, absent without a target.
    pub percent: Option<u32>,
}

impl Figure {
    /// The meter's value, capped where a meter ends (the text says the real share).
    pub fn meter(&self) -> u32 {
        self.percent.unwrap_or(0).min(100)
    }
}

pub struct AttainmentRow {
    pub owner: String,
    pub line: String,
    pub success: String,
    pub successes: i64,
    pub local: Figure,
    pub second: Figure,
    pub customers: Figure,
    pub prospects: Figure,
}

impl AttainmentRow {
    /// The four figures in the table's order.
    pub fn figures(&self) -> [&Figure; 4] {
        [&self.local, &self.second, &self.customers, &self.prospects]
    }
}

#[derive(Template)]
#[template(path = "goals.html")]
struct GoalsPage {
    chrome: Chrome,
    month: String,
    previous: String,
    next: String,
    local_currency: String,
    second_currency: String,
    rows: Vec<AttainmentRow>,
    may_edit: bool,
    may_export: bool,
}

/// A choice of the editor's success select: `stage:{pipeline}:{stage}` or
/// `case:{caseType}:{state}`.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One row of the editor as typed.
#[derive(Clone, Default)]
pub struct RowDraft {
    pub owner: String,
    pub line: String,
    pub success: String,
    pub local: String,
    pub second: String,
    pub customers: String,
    pub prospects: String,
}

#[derive(Template)]
#[template(path = "goals_edit.html")]
struct GoalsEditPage {
    chrome: Chrome,
    month: String,
    version: u64,
    local_currency: String,
    second_currency: String,
    rows: Vec<RowDraft>,
    people: Vec<Choice>,
    successes: Vec<Choice>,
    errors: Vec<(String, String)>,
}

impl GoalsEditPage {
    /// The error of one cell of row `i` (`owner`, `localTargetMinor`, …), or of the row itself.
    pub fn cell_error(&self, i: &usize, name: &str) -> Option<&str> {
        let at = format!("goals[{i}].{name}");
        self.errors.iter().find(|(f, _)| *f == at || f.starts_with(&format!("{at}."))).map(|(_, r)| r.as_str())
    }

    /// Every error as a line a reader can act on: the sheet's as they are, a row's cell as
    /// "Line 2, Agent: …".
    pub fn error_lines(&self) -> Vec<String> {
        self.errors
            .iter()
            .map(|(field, reason)| {
                let Some((row, name)) = field.strip_prefix("goals[").and_then(|f| f.split_once("].")) else {
                    return reason.clone();
                };
                let column = match name.split('.').next().unwrap_or_default() {
                    "owner" => msg::ui_agent(),
                    "productLine" => msg::ui_product_line(),
                    "success" => msg::ui_counts_as_success(),
                    "localTargetMinor" => msg::ui_goal_in(&self.local_currency),
                    "secondTargetMinor" => msg::ui_goal_in(&self.second_currency),
                    "customersTarget" => msg::ui_new_customers(),
                    _ => msg::ui_prospects(),
                };
                let line = row.parse::<usize>().map_or(0, |r| r + 1);
                format!("{}: {reason}", self.chrome.t(msg::ui_line_column(line, self.chrome.t(column))))
            })
            .collect()
    }
}

/// The month `?month=` names, else the current one (UTC).
fn month_of(console: &Console, request: &Request) -> Option<Month> {
    match query_value(request, "month") {
        Some(text) => goal::parse_month(&text),
        None => Some(Month::of(console.services.now().to_zoned(jiff::tz::TimeZone::UTC).date())),
    }
}

fn previous(month: Month) -> Month {
    if month.month == 1 { Month { year: month.year - 1, month: 12 } } else { Month { month: month.month - 1, ..month } }
}

fn amount(amount_minor: i64, currency: &str, locale: Locale) -> String {
    gestiona_domain::format::money(&Money { amount_minor, currency: currency.to_owned() }, locale)
}

/// What a success reads as: "Ventas · Ganada" or "Queja de calidad · Resuelta".
async fn success_names(console: &Console, signed_in: &SignedIn) -> Result<Vec<Choice>, Response<Body>> {
    let actor = &signed_in.actor;
    let locale = signed_in.session.locale;
    let pipelines = console.services.pipelines_of(&actor.tenant).await.map_err(|_| response::unavailable(locale))?;
    let mut choices = Vec::new();
    for pipeline in pipelines.value.pipelines.iter().filter(|p| !p.retired) {
        for stage in &pipeline.stages {
            choices.push(Choice {
                value: format!("stage:{}:{}", pipeline.key, stage.key),
                label: format!("{} · {}", pipeline.name, stage.name),
            });
        }
    }
    let all = PageRequest::new(Some(100), None).expect("a valid page size");
    if actor.allows(Permission::new(Module::Cases, Operation::Read)) {
        let types = console.services.list_case_types(actor, &all).await.map_err(|_| response::unavailable(locale))?;
        for t in &types.items {
            for state in t.value.states.iter().filter(|s| s.class.is_closed()) {
                choices.push(Choice {
                    value: format!("case:{}:{}", t.value.key, state.key),
                    label: format!("{} · {}", t.value.name, state.name),
                });
            }
        }
    }
    Ok(choices)
}

fn success_value(success: &Success) -> String {
    match success {
        Success::Stage { pipeline, stage } => format!("stage:{pipeline}:{stage}"),
        Success::CaseState { case_type, state } => format!("case:{case_type}:{state}"),
    }
}

fn parse_success(text: &str) -> Option<Success> {
    let mut parts = text.splitn(3, ':');
    let (kind, first, second) = (parts.next()?, parts.next()?, parts.next()?);
    match kind {
        "stage" => Some(Success::Stage { pipeline: first.parse().ok()?, stage: second.parse().ok()? }),
        "case" => Some(Success::CaseState { case_type: first.parse().ok()?, state: second.to_owned() }),
        _ => None,
    }
}

/// `GET /app/opportunities/goals?month=2026-12`.
/// A month's attainment with what its rows name: the agents' names and the successes' labels.
struct Named {
    found: MonthAttainment,
    names: BTreeMap<UserId, String>,
    successes: Vec<Choice>,
}

impl Named {
    fn owner(&self, goal: &Goal) -> String {
        self.names.get(&goal.owner).cloned().unwrap_or_else(|| goal.owner.to_string())
    }

    fn success(&self, goal: &Goal) -> String {
        let value = success_value(&goal.success);
        self.successes.iter().find(|c| c.value == value).map_or(value, |c| c.label.clone())
    }
}

async fn named_attainment(
    console: &Console,
    request: &Request,
    signed_in: &SignedIn,
) -> Result<(Month, Named), Response<Body>> {
    let locale = signed_in.session.locale;
    let Some(month) = month_of(console, request) else { return Err(response::not_found(locale)) };
    let actor = &signed_in.actor;
    let found = match console.services.goal_attainment(actor, month).await {
        Ok(found) => found,
        Err(GoalsError::Forbidden(_)) => return Err(response::forbidden(signed_in)),
        Err(_) => return Err(response::unavailable(locale)),
    };
    let successes = success_names(console, signed_in).await?;
    // Agents by name: a month names a few people, each read once.
    let mut names = BTreeMap::new();
    for row in &found.rows {
        let owner = &row.goal.owner;
        if !names.contains_key(owner) {
            let Ok(user) = console.services.user(&actor.tenant, owner).await else {
                return Err(response::unavailable(locale));
            };
            names.insert(owner.clone(), user.map_or_else(|| owner.to_string(), |u| u.name));
        }
    }
    Ok((month, Named { found, names, successes }))
}

/// `GET /app/opportunities/goals?month=2026-12`.
pub async fn show(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let actor = &signed_in.actor;
    let (month, named) = match named_attainment(console, request, signed_in).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let found = &named.found;
    let locale = chrome.locale;
    let (local, second) = (&found.local_currency, &found.second_currency);
    let count = |n: u32| n.to_string();
    let rows = found
        .rows
        .iter()
        .map(|row| {
            let g = &row.goal;
            let a = &row.achieved;
            AttainmentRow {
                owner: named.owner(g),
                line: g.product_line.clone().unwrap_or_else(|| chrome.t(msg::ui_any_line())),
                success: named.success(g),
                successes: a.successes,
                local: Figure {
                    achieved: amount(a.local_minor, local, locale),
                    target: amount(g.local_target_minor, local, locale),
                    percent: row.local_percent,
                },
                second: Figure {
                    achieved: amount(a.second_minor, second, locale),
                    target: amount(g.second_target_minor, second, locale),
                    percent: row.second_percent,
                },
                customers: Figure {
                    achieved: count(a.customers),
                    target: count(g.customers_target),
                    percent: row.customers_percent,
                },
                prospects: Figure {
                    achieved: count(a.prospects),
                    target: count(g.prospects_target),
                    percent: row.prospects_percent,
                },
            }
        })
        .collect();
    let view = GoalsPage {
        month: month.key(),
        previous: previous(month).key(),
        next: month.next().key(),
        local_currency: found.local_currency.clone(),
        second_currency: found.second_currency.clone(),
        rows,
        may_edit: actor.allows(Permission::new(Module::Configuration, Operation::Update)),
        may_export: actor.allows(Permission::new(Module::Opportunities, Operation::Export)),
        chrome,
    };
    page(StatusCode::OK, &view)
}

fn draft_of(goal: &Goal, local: &str, second: &str, locale: Locale) -> RowDraft {
    let figure = |minor: i64, currency: &str| {
        let decimals = gestiona_domain::format::exponent(currency);
        let scale = 10i64.pow(decimals);
        let mark = if locale == Locale::Es { ',' } else { '.' };
        match minor % scale {
            0 => (minor / scale).to_string(),
            fraction => format!("{}{mark}{fraction:0width$}", minor / scale, width = decimals as usize),
        }
    };
    RowDraft {
        owner: goal.owner.to_string(),
        line: goal.product_line.clone().unwrap_or_default(),
        success: success_value(&goal.success),
        local: figure(goal.local_target_minor, local),
        second: figure(goal.second_target_minor, second),
        customers: goal.customers_target.to_string(),
        prospects: goal.prospects_target.to_string(),
    }
}

/// `GET /app/opportunities/goals/edit?month=2026-12`: the month's goals as rows, and blank ones.
pub async fn edit(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let Some(month) = month_of(console, request) else { return response::not_found(locale) };
    let sheet = match console.services.goals(&signed_in.actor, month).await {
        Ok(sheet) => sheet,
        Err(GoalsError::Forbidden(_)) => return response::forbidden(signed_in),
        Err(_) => return response::unavailable(locale),
    };
    let s = &sheet.value;
    let rows = s.goals.iter().map(|g| draft_of(g, &s.local_currency, &s.second_currency, locale)).collect();
    let (local, second) = (s.local_currency.clone(), s.second_currency.clone());
    render_editor(console, signed_in, month, sheet.version, (local, second), rows, Vec::new(), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_editor(
    console: &Console,
    signed_in: &SignedIn,
    month: Month,
    version: u64,
    currencies: (String, String),
    mut rows: Vec<RowDraft>,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let successes = match success_names(console, signed_in).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let all = PageRequest::new(Some(100), None).expect("a valid page size");
    let people = match console.services.list_users(&signed_in.actor, &all).await {
        Ok(found) => {
            found.items.into_iter().map(|u| Choice { value: u.value.id.to_string(), label: u.value.name }).collect()
        }
        Err(_) => return response::unavailable(chrome.locale),
    };
    rows.extend(std::iter::repeat_n(RowDraft::default(), BLANK_ROWS));
    let view = GoalsEditPage {
        month: month.key(),
        version,
        local_currency: currencies.0,
        second_currency: currencies.1,
        rows,
        people,
        successes,
        errors,
        chrome,
    };
    page(status, &view)
}

/// `POST /app/opportunities/goals?month=2026-12`: the sheet as typed, saved at the version read.
pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let (Some(month), Some(version)) = (month_of(console, request), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let field = |name: &str| form_value(request, name).map(|v| v.trim().to_uppercase()).unwrap_or_default();
    let currencies = (field("local_currency"), field("second_currency"));
    let column = |name: &str| form_values(request, name);
    let (owners, lines, successes) = (column("owner"), column("line"), column("success"));
    let (locals, seconds, customers, prospects) =
        (column("local"), column("second"), column("customers"), column("prospects"));
    let at = |values: &[String], i: usize| values.get(i).map(|v| v.trim().to_owned()).unwrap_or_default();
    let rows: Vec<RowDraft> = (0..owners.len())
        .map(|i| RowDraft {
            owner: at(&owners, i),
            line: at(&lines, i),
            success: at(&successes, i),
            local: at(&locals, i),
            second: at(&seconds, i),
            customers: at(&customers, i),
            prospects: at(&prospects, i),
        })
        // A row without an agent is a blank row left as it was.
        .filter(|r| !r.owner.is_empty())
        .collect();

    let mut errors: Vec<(String, String)> = Vec::new();
    let mut goals = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let mut fail = |name: &str, reason: Message| errors.push((format!("goals[{i}].{name}"), chrome.t(reason)));
        let owner = UserId::parse(&row.owner).map_err(|e| fail("owner", e.into())).ok();
        let success = parse_success(&row.success);
        if success.is_none() {
            fail("success", msg::required());
        }
        let mut money = |name: &str, text: &str, currency: &str| match text {
            "" => Some(0),
            text => {
                let parsed = parse_amount(text, gestiona_domain::format::exponent(currency));
                if parsed.is_none() {
                    fail(name, msg::ui_amount_format());
                }
                parsed
            }
        };
        let local = money("localTargetMinor", &row.local, &currencies.0);
        let second = money("secondTargetMinor", &row.second, &currencies.1);
        let mut whole = |name: &str, text: &str| match text {
            "" => Some(0),
            text => {
                let parsed = text.parse::<u32>().ok();
                if parsed.is_none() {
                    fail(name, msg::between(0, u32::MAX));
                }
                parsed
            }
        };
        let customers_target = whole("customersTarget", &row.customers);
        let prospects_target = whole("prospectsTarget", &row.prospects);
        if let (Some(owner), Some(success), Some(local), Some(second), Some(customers), Some(prospects)) =
            (owner, success, local, second, customers_target, prospects_target)
        {
            goals.push(Goal {
                owner,
                product_line: Some(row.line.clone()).filter(|l| !l.is_empty()),
                success,
                local_target_minor: local,
                second_target_minor: second,
                customers_target: customers,
                prospects_target: prospects,
            });
        }
    }
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_editor(console, signed_in, month, version, currencies, rows, errors, status).await;
    }
    let sheet = GoalSheet { local_currency: currencies.0.clone(), second_currency: currencies.1.clone(), goals };
    match console.services.save_goals(&signed_in.actor, month, sheet, Some(ExpectedVersion::from(version))).await {
        Ok(_) => response::redirect(&format!("/app/opportunities/goals?month={}", month.key())),
        Err(GoalsError::Invalid(found)) => {
            let errors = found.0.iter().map(|e| (e.field.clone(), chrome.t(e.reason.clone()))).collect();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_editor(console, signed_in, month, version, currencies, rows, errors, status).await
        }
        Err(GoalsError::Stale(_)) => {
            let errors = vec![("version".to_owned(), chrome.t(msg::ui_goals_stale()))];
            render_editor(console, signed_in, month, version, currencies, rows, errors, StatusCode::CONFLICT).await
        }
        Err(GoalsError::Forbidden(_)) => response::forbidden(signed_in),
        Err(GoalsError::Store(_)) => response::unavailable(chrome.locale),
    }
}

/// `GET /app/opportunities/goals/export?month=2026-12`: the month's attainment as CSV (amounts
/// as plain decimals, cells a spreadsheet would run as formulas written as text), logged.
pub async fn export(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    use gestiona_domain::access_log::{AccessAction, RecordRef};
    let chrome = Chrome::of(signed_in, "opportunities");
    let (month, named) = match named_attainment(console, request, signed_in).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let found = &named.found;
    let t = |m: Message| chrome.t(m);
    let (local, second) = (&found.local_currency, &found.second_currency);
    let mut rows = vec![vec![
        t(msg::ui_month()),
        t(msg::ui_agent()),
        t(msg::ui_product_line()),
        t(msg::ui_counts_as_success()),
        t(msg::ui_successes()),
        t(msg::ui_goal_in(local)),
        t(msg::ui_achieved_in(local)),
        t(msg::ui_goal_in(second)),
        t(msg::ui_achieved_in(second)),
        t(msg::ui_new_customers()),
        t(msg::ui_achieved()),
        t(msg::ui_prospects()),
        t(msg::ui_achieved()),
    ]];
    let decimal =
        |amount_minor: i64, currency: &str| Money { amount_minor, currency: currency.to_owned() }.decimal_string();
    for row in &found.rows {
        let (g, a) = (&row.goal, &row.achieved);
        rows.push(vec![
            month.key(),
            named.owner(g),
            g.product_line.clone().unwrap_or_default(),
            named.success(g),
            a.successes.to_string(),
            decimal(g.local_target_minor, local),
            decimal(a.local_minor, local),
            decimal(g.second_target_minor, second),
            decimal(a.second_minor, second),
            g.customers_target.to_string(),
            a.customers.to_string(),
            g.prospects_target.to_string(),
            a.prospects.to_string(),
        ]);
    }
    let record = Some(RecordRef::new("report", format!("goals/{}", month.key())));
    console.services.log_access(&signed_in.actor, AccessAction::Exported, record).await;
    let name = format!("{}-{}.csv", chrome.t(msg::ui_goals()).to_lowercase(), month.key());
    response::download(&name, "text/csv; charset=utf-8", gestiona_domain::export::csv(&rows))
}
