//! *Pronóstico*: the forecast of a month, fiscal quarter or fiscal year, by owner, team, region
//! or business line, as a table and as a bar chart drawn here (SVG, described, with the table
//! as its text alternative).

use askama::Template;
use gestiona_domain::Message;
use gestiona_domain::ids::PipelineKey;
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::sales::forecast::{ForecastLine, PeriodKind};
use gestiona_domain::sales::forecast_history::MovementKind;
use gestiona_domain::service::forecast::{ForecastQuery, GroupBy};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::opportunities::Choice;
use super::{Chrome, page, query_value};
use crate::session::SignedIn;
use crate::{Console, response};

pub struct Row {
    pub group: String,
    pub currency: String,
    pub open: i64,
    pub pipeline: String,
    pub best_case: String,
    pub commit: String,
    pub won: String,
    pub won_count: i64,
    pub lost: String,
    pub weighted: String,
}

/// One line of the period's movement.
pub struct MovementRow {
    pub kind: String,
    pub currency: String,
    pub count: i64,
    pub amount: String,
}

/// One group's bars: won, commit, best case and pipeline, as widths of the chart.
pub struct Bars {
    pub label: String,
    pub y: u32,
    /// (class, width, x) per bar, drawn over one another from the widest.
    pub bars: Vec<(&'static str, u32, String)>,
}

#[derive(Template)]
#[template(path = "opportunity_forecast.html")]
struct ForecastPage {
    chrome: Chrome,
    periods: Vec<Choice>,
    groupings: Vec<Choice>,
    pipelines: Vec<Choice>,
    date: String,
    /// The day the forecast is as of (empty: now).
    as_of: String,
    /// The first day of the movement shown.
    moved_from: String,
    movement_range: String,
    movement_rows: Vec<MovementRow>,
    range: String,
    chart_description: String,
    rows: Vec<Row>,
    chart: Vec<Bars>,
    chart_height: u32,
    /// What the first column holds: the grouping's name.
    group_label: String,
}

const CHART_WIDTH: u32 = 560;
const BAR_ROW: u32 = 28;

fn money(amount_minor: i64, currency: &str, chrome: &Chrome) -> String {
    gestiona_domain::format::money(&Money { amount_minor, currency: currency.to_owned() }, chrome.locale)
}

/// `GET /app/opportunities/forecast?period=&date=&groupBy=&pipeline=&as_of=&moved_from=`.
pub async fn show(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let bad = || response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    let period = match query_value(request, "period").filter(|p| !p.is_empty()) {
        None => PeriodKind::Quarter,
        Some(p) => match PeriodKind::parse(&p) {
            Some(p) => p,
            None => return bad(),
        },
    };
    let group_by = match query_value(request, "groupBy").filter(|g| !g.is_empty()) {
        None => None,
        Some(g) => match GroupBy::parse(&g) {
            Some(g) => Some(g),
            None => return bad(),
        },
    };
    let pipeline = match query_value(request, "pipeline").filter(|p| !p.is_empty()).map(|p| PipelineKey::parse(&p)) {
        Some(Err(_)) => return bad(),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    let date = match query_value(request, "date").filter(|d| !d.is_empty()).map(|d| d.parse::<jiff::civil::Date>()) {
        Some(Err(_)) => return bad(),
        Some(Ok(date)) => date,
        None => console.services.now().to_zoned(chrome.zone.clone()).date(),
    };
    let day = |name: &str| query_value(request, name).filter(|d| !d.is_empty()).map(|d| d.parse::<jiff::civil::Date>());
    let as_of = match day("as_of") {
        Some(Err(_)) => return bad(),
        Some(Ok(d)) => Some(d),
        None => None,
    };
    let today = console.services.now().to_zoned(chrome.zone.clone()).date();
    // The movement of the last thirty days unless asked for other days.
    let moved_from = match day("moved_from") {
        Some(Err(_)) => return bad(),
        Some(Ok(d)) => d,
        None => today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today),
    };
    let actor = &signed_in.actor;
    let query = ForecastQuery { period, date, group_by, pipeline: pipeline.clone(), as_of };
    let (forecast, pipelines, movement) = tokio::join!(
        console.services.forecast(actor, &query),
        console.services.pipelines_of(&actor.tenant),
        console.services.forecast_movement(actor, &query, Some(moved_from), Some(today))
    );
    let (forecast, pipelines, movement) = match (forecast, pipelines, movement) {
        (Ok(f), Ok(p), Ok(m)) => (f, p.value, m),
        _ => return response::unavailable(chrome.locale),
    };
    let movement_rows = movement
        .lines
        .iter()
        .map(|l| MovementRow {
            kind: chrome.t(match l.kind {
                MovementKind::New => msg::ui_movement_new(),
                MovementKind::PulledIn => msg::ui_pulled_in(),
                MovementKind::PushedOut => msg::ui_pushed_out(),
                MovementKind::Won => msg::ui_won(),
                MovementKind::Lost => msg::ui_lost(),
            }),
            currency: l.currency.clone(),
            count: l.count,
            amount: money(l.amount_minor, &l.currency, &chrome),
        })
        .collect();
    let movement_range = chrome.t(msg::ui_changes_between(
        gestiona_domain::format::date(movement.from, chrome.locale),
        gestiona_domain::format::date(movement.to, chrome.locale),
    ));
    // Without a grouping the one line is the total; within one, a line without a group is unassigned.
    let unnamed = chrome.t(if group_by.is_none() { msg::ui_total() } else { msg::ui_unassigned() });
    let rows: Vec<Row> = forecast.lines.iter().map(|l| row(l, &unnamed, &chrome)).collect();
    let chart = bars(&forecast.lines, &unnamed);
    let mut range = chrome.t(msg::ui_from_to(
        gestiona_domain::format::date(forecast.from, chrome.locale),
        gestiona_domain::format::date(forecast.to, chrome.locale),
    ));
    if let Some(day) = as_of {
        range =
            format!("{range} · {}", chrome.t(msg::ui_as_it_stood(gestiona_domain::format::date(day, chrome.locale))));
    }
    let chart_description = chrome.t(msg::ui_forecast_chart(
        gestiona_domain::format::date(forecast.from, chrome.locale),
        gestiona_domain::format::date(forecast.to, chrome.locale),
    ));
    let choice =
        |key: &str, label: Message, current: bool| Choice { key: key.to_owned(), label: chrome.t(label), current };
    let periods = [
        (PeriodKind::Month, msg::ui_period_month()),
        (PeriodKind::Quarter, msg::ui_period_quarter()),
        (PeriodKind::FiscalYear, msg::ui_period_fiscal_year()),
    ]
    .into_iter()
    .map(|(kind, label)| choice(kind.as_str(), label, kind == period))
    .collect();
    let groupings = [
        ("", msg::ui_no_grouping(), None),
        ("owner", msg::ui_owner(), Some(GroupBy::Owner)),
        ("team", msg::ui_team(), Some(GroupBy::Team)),
        ("region", msg::ui_region(), Some(GroupBy::Region)),
        ("productLine", msg::ui_product_line(), Some(GroupBy::ProductLine)),
    ]
    .into_iter()
    .map(|(key, label, g)| choice(key, label, g == group_by))
    .collect();
    let mut pipeline_choices = vec![choice("", msg::ui_all_pipelines(), pipeline.is_none())];
    pipeline_choices.extend(pipelines.pipelines.iter().map(|p| Choice {
        key: p.key.to_string(),
        label: p.name.clone(),
        current: pipeline.as_ref() == Some(&p.key),
    }));
    let chart_height = BAR_ROW * u32::try_from(chart.len()).unwrap_or(0) + 8;
    let group_label = chrome.t(match group_by {
        None => msg::ui_total(),
        Some(GroupBy::Owner) => msg::ui_owner(),
        Some(GroupBy::Team) => msg::ui_team(),
        Some(GroupBy::Region) => msg::ui_region(),
        Some(GroupBy::ProductLine) => msg::ui_product_line(),
    });
    let view = ForecastPage {
        periods,
        groupings,
        pipelines: pipeline_choices,
        date: date.to_string(),
        as_of: as_of.map(|d| d.to_string()).unwrap_or_default(),
        moved_from: moved_from.to_string(),
        movement_range,
        movement_rows,
        range,
        chart_description,
        rows,
        chart,
        chart_height,
        group_label,
        chrome,
    };
    page(StatusCode::OK, &view)
}

fn row(line: &ForecastLine, unnamed: &str, chrome: &Chrome) -> Row {
    let m = |amount| money(amount, &line.currency, chrome);
    Row {
        group: line.group.clone().unwrap_or_else(|| unnamed.to_owned()),
        currency: line.currency.clone(),
        open: line.open_count,
        pipeline: m(line.pipeline_minor),
        best_case: m(line.best_case_minor),
        commit: m(line.commit_minor),
        won: m(line.won_minor),
        won_count: line.won_count,
        lost: m(line.lost_minor),
        weighted: m(line.weighted_minor),
    }
}

/// Bars scaled to the widest figure of each currency (amounts of different currencies are
/// never drawn on one scale).
fn bars(lines: &[ForecastLine], unnamed: &str) -> Vec<Bars> {
    let widest = |currency: &str| {
        lines
            .iter()
            .filter(|l| l.currency == currency)
            .map(|l| l.pipeline_minor.max(l.best_case_minor).max(l.commit_minor).max(l.won_minor))
            .max()
            .unwrap_or(0)
            .max(1)
    };
    let label_width = 180;
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let scale = |amount: i64| -> u32 {
                let share = i128::from(amount.max(0)) * i128::from(CHART_WIDTH - label_width)
                    / i128::from(widest(&line.currency));
                u32::try_from(share).unwrap_or(0)
            };
            let x = label_width.to_string();
            Bars {
                label: format!("{} · {}", line.group.as_deref().unwrap_or(unnamed), line.currency),
                y: BAR_ROW * u32::try_from(i).unwrap_or(0) + 4,
                bars: vec![
                    ("pipeline", scale(line.pipeline_minor + line.won_minor), x.clone()),
                    ("best-case", scale(line.best_case_minor), x.clone()),
                    ("commit", scale(line.commit_minor), x.clone()),
                    ("won", scale(line.won_minor), x),
                ],
            }
        })
        .collect()
}
