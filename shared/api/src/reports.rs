//! `/reports/*` handlers: JSON by default, CSV with `?format=csv` (or `Accept: text/csv`).

use gestiona_domain::CaseTypeKey;
use gestiona_domain::ValidationErrors;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::access_log::{AccessAction, RecordRef};
use gestiona_domain::messages as msg;
use gestiona_domain::service::reports::{Period, RejectionPivot, SlaRow, StateRow, WorkloadRow};
use http::{StatusCode, header};
use lambda_http::{Body, Request, Response};

use crate::Api;
use crate::edge::{self, QueryParams};
use crate::problem::Problem;

/// Whether the caller asked for CSV; a spreadsheet leaves the system, so it needs the
/// reports.export permission besides the route's reports.read.
pub(crate) async fn wants_csv(api: &Api, request: &Request) -> Result<bool, Problem> {
    let csv = asked_for_csv(request)?;
    if csv {
        let actor = api.actor(request)?;
        actor.permit(Permission::new(Module::Reports, Operation::Export))?;
        let report = RecordRef::new("report", request.uri().path().trim_start_matches("/reports/"));
        api.services.log_access(&actor, AccessAction::Exported, Some(report)).await;
    }
    Ok(csv)
}

fn asked_for_csv(request: &Request) -> Result<bool, Problem> {
    match QueryParams::of(request).text("format").as_deref() {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ValidationErrors::single("format", gestiona_domain::messages::json_or_csv()).into()),
        None => Ok(request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/csv"))),
    }
}

fn case_type_filter(request: &Request) -> Result<Option<CaseTypeKey>, Problem> {
    QueryParams::of(request)
        .text("type")
        .map(|t| CaseTypeKey::parse(&t).map_err(|e| ValidationErrors::single("type", e.into()).into()))
        .transpose()
}

/// Every CSV export is written by `gestiona_domain::export`, so every cell is spreadsheet-safe.
pub(crate) fn csv_response(name: &str, rows: Vec<Vec<String>>) -> Result<Response<Body>, Problem> {
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/csv; charset=utf-8")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\""))
        .body(Body::Text(gestiona_domain::export::csv(&rows)))
        .expect("a valid response"))
}

#[utoipa::path(get, path = "/reports/cases-by-state", tag = "reports",
    description = "Active cases by type and state: count, share and summed amounts per currency [Gestiones por Estados].",
    params(("type" = Option<CaseTypeKey>, Query), ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = edge::Rows<StateRow>)),
    security(("bearer" = [])))]
pub async fn cases_by_state(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let csv = wants_csv(api, request).await?;
    let rows = api.services.cases_by_state(&actor, case_type_filter(request)?.as_ref()).await?;
    if !csv {
        return Ok(edge::json(StatusCode::OK, &edge::Rows { items: rows }));
    }
    let mut table = vec![
        ["type", "typeName", "state", "stateName", "stateClass", "count", "percentage", "currency", "amount"]
            .map(String::from)
            .to_vec(),
    ];
    for row in rows {
        let class =
            serde_json::to_value(row.state_class).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let amounts = if row.amounts.is_empty() { vec![None] } else { row.amounts.iter().map(Some).collect() };
        for amount in amounts {
            table.push(vec![
                row.case_type.clone(),
                row.case_type_name.clone(),
                row.state.clone(),
                row.state_name.clone(),
                class.clone(),
                row.count.to_string(),
                format!("{:.2}", row.percentage),
                amount.map(|a| a.currency.clone()).unwrap_or_default(),
                amount.map(|a| a.decimal_string()).unwrap_or_default(),
            ]);
        }
    }
    csv_response("cases-by-state", table)
}

#[utoipa::path(get, path = "/reports/rejections", tag = "reports",
    description = "Cases closed as failures: their last result (rows) by state (columns) [Solicitudes Rechazadas y Motivos].",
    params(("type" = Option<CaseTypeKey>, Query), ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = RejectionPivot)),
    security(("bearer" = [])))]
pub async fn rejections(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let csv = wants_csv(api, request).await?;
    let pivot = api.services.rejections(&actor, case_type_filter(request)?.as_ref()).await?;
    if !csv {
        return Ok(edge::json(StatusCode::OK, &pivot));
    }
    let mut header = vec!["result".to_owned(), "resultName".to_owned()];
    header.extend(pivot.states.iter().cloned());
    header.push("total".into());
    let mut table = vec![header];
    for row in &pivot.rows {
        let mut line = vec![row.result.clone(), row.result_name.clone()];
        line.extend(pivot.states.iter().map(|s| row.counts.get(s).copied().unwrap_or(0).to_string()));
        line.push(row.total.to_string());
        table.push(line);
    }
    let mut totals = vec!["total".to_owned(), "Total general".to_owned()];
    totals.extend(pivot.states.iter().map(|s| pivot.totals.get(s).copied().unwrap_or(0).to_string()));
    totals.push(pivot.total.to_string());
    table.push(totals);
    csv_response("rejections", table)
}

/// `from` and `to` (RFC 3339 instants); the last 30 days by default.
fn period(api: &Api, request: &Request) -> Result<Period, Problem> {
    let query = QueryParams::of(request);
    let now = api.services.now();
    let to = query.parse::<jiff::Timestamp>("to", msg::rfc3339_instant())?.unwrap_or(now);
    let from = match query.parse::<jiff::Timestamp>("from", msg::rfc3339_instant())? {
        Some(from) => from,
        None => to.checked_sub(jiff::SignedDuration::from_hours(24 * 30)).unwrap_or(to),
    };
    if from >= to {
        return Err(ValidationErrors::single("from", gestiona_domain::messages::from_before_to()).into());
    }
    Ok(Period { from, to })
}

#[utoipa::path(get, path = "/reports/workload", tag = "reports",
    description = "Workload by type and state, by agent and by branch: active, on time, late (an SLA deadline passed) and attended (closed) in the period [Control de Tiempos y Cargas de Trabajo].",
    params(("from" = Option<String>, Query, format = DateTime), ("to" = Option<String>, Query, format = DateTime), ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = edge::Rows<WorkloadRow>)),
    security(("bearer" = [])))]
pub async fn workload(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let csv = wants_csv(api, request).await?;
    let rows = api.services.workload(&actor, period(api, request)?).await?;
    if !csv {
        return Ok(edge::json(StatusCode::OK, &edge::Rows { items: rows }));
    }
    let mut table =
        vec![["dimension", "key", "name", "active", "onTime", "late", "attended"].map(String::from).to_vec()];
    for row in rows {
        table.push(vec![
            row.dimension,
            row.key,
            row.name,
            row.active.to_string(),
            row.on_time.to_string(),
            row.late.to_string(),
            row.attended.to_string(),
        ]);
    }
    csv_response("workload", table)
}

#[utoipa::path(get, path = "/reports/sla", tag = "reports",
    description = "Resolution SLA compliance of the cases closed in the period, by type and by agent.",
    params(("from" = Option<String>, Query, format = DateTime), ("to" = Option<String>, Query, format = DateTime), ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = edge::Rows<SlaRow>)),
    security(("bearer" = [])))]
pub async fn sla(api: &Api, request: &Request) -> Result<Response<Body>, Problem> {
    let actor = api.actor(request)?;
    let csv = wants_csv(api, request).await?;
    let rows = api.services.sla_compliance(&actor, period(api, request)?).await?;
    if !csv {
        return Ok(edge::json(StatusCode::OK, &edge::Rows { items: rows }));
    }
    let mut table = vec![["dimension", "key", "met", "breached", "compliance"].map(String::from).to_vec()];
    for row in rows {
        table.push(vec![
            row.dimension,
            row.key,
            row.met.to_string(),
            row.breached.to_string(),
            format!("{:.2}", row.compliance),
        ]);
    }
    csv_response("sla", table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_goes_through_the_safe_writer() {
        let rows =
            vec![vec!["name".to_owned(), "total".to_owned()], vec!["=cmd|' /C calc'!A0".to_owned(), "-5".to_owned()]];
        let response = csv_response("x", rows).unwrap();
        let Body::Text(text) = response.body() else { panic!("a text body") };
        assert_eq!(text, "name,total\n'=cmd|' /C calc'!A0,-5\n");
    }
}
