//! *Oportunidades*: a pipeline's kanban (cards moved by a select and a button, so from the
//! keyboard too), the list of one stage or of all, and the form that opens an opportunity.
//! One opportunity's page is [`super::opportunity`].

use std::collections::BTreeMap;

use askama::Template;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::access_log::{AccessAction, RecordRef};
use gestiona_domain::ids::{PipelineKey, StageKey};
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::sales::{NewOpportunity, Opportunity, OpportunityPatch, Pipelines};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::accounts::AccountFilter;
use gestiona_domain::service::opportunities::{OpportunityFilter, UpdateOpportunityError};
use gestiona_domain::{EntityId, Message, Versioned};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::opportunity::{self, Draft, Outcome};
use super::{Chrome, form_version, page, query_value};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

/// One opportunity as a card or a row.
pub struct Card {
    pub id: String,
    pub version: u64,
    pub name: String,
    pub account: String,
    pub account_id: String,
    pub stage: String,
    pub amount: String,
    pub weighted: String,
    pub probability: String,
    pub close: String,
    pub owner: String,
}

impl Card {
    fn of(
        o: &Versioned<Opportunity>,
        accounts: &std::collections::HashMap<EntityId, String>,
        pipelines: &Pipelines,
        chrome: &Chrome,
    ) -> Self {
        let value = &o.value;
        let stage = value.stage_in(pipelines).map_or_else(|| value.stage.to_string(), |(_, s)| s.name.clone());
        Self {
            id: value.id.to_string(),
            version: o.version,
            name: value.name.clone(),
            account: accounts.get(&value.account_id).cloned().unwrap_or_default(),
            account_id: value.account_id.to_string(),
            stage,
            amount: gestiona_domain::format::money(&value.amount, chrome.locale),
            weighted: gestiona_domain::format::money(&value.weighted_amount, chrome.locale),
            probability: chrome.t(msg::ui_percent(value.probability)),
            close: value
                .expected_close_date
                .map(|d| gestiona_domain::format::date(d, chrome.locale))
                .unwrap_or_default(),
            owner: value.owner.as_ref().map_or_else(|| chrome.t(msg::ui_unassigned()), ToString::to_string),
        }
    }
}

pub struct Column {
    pub key: String,
    pub name: String,
    pub probability: String,
    pub summary: String,
    pub cards: Vec<Card>,
    /// The list of the rest of the stage, when there is more than the board shows.
    pub more: Option<String>,
}

/// A choice of a select: its value, its words and whether it is the current one.
pub struct Choice {
    pub key: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "opportunities.html")]
struct BoardPage {
    chrome: Chrome,
    pipeline: String,
    pipelines: Vec<Choice>,
    mine: bool,
    columns: Vec<Column>,
    /// Where a card can go: every active stage.
    stages: Vec<Choice>,
    notice: Option<String>,
    may_create: bool,
}

/// Sums of amounts, one per currency (a pipeline may hold several), in the user's words.
fn total(amounts: impl IntoIterator<Item = Money>, chrome: &Chrome) -> String {
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for money in amounts {
        *sums.entry(money.currency).or_default() += money.amount_minor;
    }
    if sums.is_empty() {
        return "—".into();
    }
    sums.into_iter()
        .map(|(currency, amount_minor)| {
            gestiona_domain::format::money(&Money { amount_minor, currency }, chrome.locale)
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The pipeline a request names (`?pipeline=`), if it is one.
fn chosen_pipeline(request: &Request) -> Result<Option<PipelineKey>, ()> {
    query_value(request, "pipeline")
        .filter(|p| !p.is_empty())
        .map(|p| PipelineKey::parse(&p).map_err(|_| ()))
        .transpose()
}

/// `GET /app/opportunities?pipeline=&view=mine|all`: the kanban.
pub async fn board(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let Ok(chosen) = chosen_pipeline(request) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let mine = query_value(request, "view").as_deref() == Some("mine");
    let owner = mine.then(|| signed_in.session.user.clone());
    let actor = &signed_in.actor;
    let board = match console.services.opportunity_board(actor, chosen.as_ref(), owner.as_ref()).await {
        Ok(Some(board)) => board,
        Ok(None) => return response::not_found(chrome.locale),
        Err(error) => {
            tracing::error!(?error, "the board could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let pipelines = &board.pipelines;
    let mut account_ids = Vec::new();
    for column in &board.columns {
        account_ids.extend(column.cards.items.iter().map(|o| o.value.account_id));
    }
    let accounts = match console.services.account_names(actor, account_ids).await {
        Ok(names) => names,
        Err(error) => {
            tracing::error!(%error, "the board's accounts could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let key = board.pipeline.key.to_string();
    let view = if mine { "mine" } else { "all" };
    let columns = board
        .columns
        .iter()
        .map(|column| {
            let cards: Vec<Card> =
                column.cards.items.iter().map(|o| Card::of(o, &accounts, pipelines, &chrome)).collect();
            let sum = total(column.cards.items.iter().map(|o| o.value.amount.clone()), &chrome);
            let (summary, more) = match &column.cards.next_cursor {
                None => (chrome.t(msg::ui_stage_summary(cards.len(), sum)), None),
                Some(_) => (
                    chrome.t(msg::ui_stage_summary_more(cards.len(), sum)),
                    Some(format!("/app/opportunities/list?pipeline={key}&stage={}&view={view}", column.stage.key)),
                ),
            };
            Column {
                key: column.stage.key.to_string(),
                name: column.stage.name.clone(),
                probability: chrome.t(msg::ui_percent(column.stage.probability)),
                summary,
                cards,
                more,
            }
        })
        .collect();
    let stages = board
        .pipeline
        .active_stages()
        .map(|s| Choice { key: s.key.to_string(), label: s.name.clone(), current: false })
        .collect();
    let pipeline_choices = pipelines
        .pipelines
        .iter()
        .filter(|p| !p.retired || p.key == board.pipeline.key)
        .map(|p| Choice { key: p.key.to_string(), label: p.name.clone(), current: p.key == board.pipeline.key })
        .collect();
    let notice = moved_notice(request, &board, &chrome);
    let may_create = signed_in.actor.allows(Permission::new(Module::Opportunities, Operation::Create));
    let view =
        BoardPage { pipeline: key, pipelines: pipeline_choices, mine, columns, stages, notice, may_create, chrome };
    page(StatusCode::OK, &view)
}

/// "X is now at Y", after a card was moved (`?moved={id}`).
fn moved_notice(
    request: &Request,
    board: &gestiona_domain::service::opportunities::Board,
    chrome: &Chrome,
) -> Option<String> {
    let moved = EntityId::parse(&query_value(request, "moved")?).ok()?;
    board.columns.iter().find_map(|column| {
        let card = column.cards.items.iter().find(|o| o.value.id == moved)?;
        Some(chrome.t(msg::ui_moved_to(&card.value.name, &column.stage.name)))
    })
}

#[derive(Template)]
#[template(path = "opportunity_list.html")]
struct ListPage {
    chrome: Chrome,
    pipeline: String,
    pipelines: Vec<Choice>,
    stages: Vec<Choice>,
    mine: bool,
    open_only: bool,
    rows: Vec<Card>,
    next_page: Option<String>,
    /// The CSV of the same filters, for who may export.
    export: Option<String>,
}

/// The list's filters as the query gives them (`None`: a malformed one).
struct ListQuery {
    pipeline: Option<PipelineKey>,
    stage: Option<StageKey>,
    mine: bool,
    open_only: bool,
}

impl ListQuery {
    fn read(request: &Request) -> Option<Self> {
        let pipeline = chosen_pipeline(request).ok()?;
        let stage = match query_value(request, "stage").filter(|s| !s.is_empty()).map(|s| StageKey::parse(&s)) {
            Some(Err(_)) => return None,
            Some(Ok(stage)) => Some(stage),
            None => None,
        };
        let mine = query_value(request, "view").as_deref() == Some("mine");
        let open_only = query_value(request, "open").as_deref() == Some("true");
        Some(ListQuery { pipeline, stage, mine, open_only })
    }

    /// The filter over `pipelines` (the named pipeline, else the default one).
    fn filter(&self, pipelines: &Pipelines, signed_in: &SignedIn) -> Option<OpportunityFilter> {
        let pipeline =
            self.pipeline.as_ref().and_then(|k| pipelines.pipeline(k)).or_else(|| pipelines.default_pipeline())?;
        Some(OpportunityFilter {
            pipeline: Some(pipeline.key.clone()),
            stage: self.stage.clone(),
            owner: self.mine.then(|| signed_in.session.user.clone()),
            open: self.open_only.then_some(true),
            ..Default::default()
        })
    }

    fn query_string(&self, pipeline: &str) -> String {
        let stage = self.stage.as_ref().map(ToString::to_string).unwrap_or_default();
        let view = if self.mine { "mine" } else { "all" };
        format!("pipeline={pipeline}&stage={stage}&view={view}&open={}", self.open_only)
    }
}

/// `GET /app/opportunities/list?pipeline=&stage=&view=&open=`: by stage, then expected close.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let bad = || response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    let Some(query) = ListQuery::read(request) else { return bad() };
    let Ok(paging) = PageRequest::new(Some(50), query_value(request, "cursor")) else { return bad() };
    let actor = &signed_in.actor;
    let pipelines = match console.services.pipelines_of(&actor.tenant).await {
        Ok(p) => p.value,
        Err(error) => {
            tracing::error!(%error, "the pipelines could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let Some(filter) = query.filter(&pipelines, signed_in) else { return response::not_found(chrome.locale) };
    let found = match console.services.list_opportunities(actor, &filter, &paging).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(?error, "opportunities could not be listed");
            return response::unavailable(chrome.locale);
        }
    };
    let account_ids: Vec<EntityId> = found.items.iter().map(|o| o.value.account_id).collect();
    let accounts = match console.services.account_names(actor, account_ids).await {
        Ok(names) => names,
        Err(error) => {
            tracing::error!(%error, "the list's accounts could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let rows = found.items.iter().map(|o| Card::of(o, &accounts, &pipelines, &chrome)).collect();
    let pipeline = filter.pipeline.as_ref().and_then(|k| pipelines.pipeline(k)).expect("the filter's pipeline");
    let key = pipeline.key.to_string();
    let query_string = query.query_string(&key);
    let next_page =
        found.next_cursor.map(|cursor| format!("/app/opportunities/list?{query_string}&cursor={}", encode(&cursor)));
    let stages = pipeline
        .stages
        .iter()
        .map(|s| Choice {
            key: s.key.to_string(),
            label: s.name.clone(),
            current: Some(&s.key) == query.stage.as_ref(),
        })
        .collect();
    let pipeline_choices = pipelines
        .pipelines
        .iter()
        .map(|p| Choice { key: p.key.to_string(), label: p.name.clone(), current: p.key == pipeline.key })
        .collect();
    let may_export = signed_in.actor.allows(Permission::new(Module::Opportunities, Operation::Export));
    let export = may_export.then(|| format!("/app/opportunities/export?{query_string}"));
    let view = ListPage {
        pipeline: key,
        pipelines: pipeline_choices,
        stages,
        mine: query.mine,
        open_only: query.open_only,
        rows,
        next_page,
        export,
        chrome,
    };
    page(StatusCode::OK, &view)
}

/// The most rows an export holds (the list's filters narrow it).
const EXPORT_MAX: usize = 5_000;

/// `GET /app/opportunities/export?…`: the list's filters, as CSV safe to open in a spreadsheet.
pub async fn export(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let Some(query) = ListQuery::read(request) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let actor = &signed_in.actor;
    let pipelines = match console.services.pipelines_of(&actor.tenant).await {
        Ok(p) => p.value,
        Err(_) => return response::unavailable(chrome.locale),
    };
    let Some(filter) = query.filter(&pipelines, signed_in) else { return response::not_found(chrome.locale) };
    let t = |m: Message| chrome.t(m);
    let mut rows = vec![vec![
        "id".to_owned(),
        t(msg::ui_name()),
        t(msg::ui_account()),
        t(msg::ui_pipeline()),
        t(msg::ui_stage()),
        t(msg::ui_forecast_category()),
        t(msg::ui_amount()),
        t(msg::ui_currency()),
        t(msg::ui_probability()),
        t(msg::ui_weighted_amount()),
        t(msg::ui_expected_close()),
        t(msg::ui_owner()),
        t(msg::ui_product_line()),
        t(msg::ui_source()),
        t(msg::ui_campaign()),
        t(msg::ui_competitors()),
        t(msg::ui_created()),
    ]];
    let mut cursor = None;
    loop {
        let paging = PageRequest::new(Some(100), cursor).expect("a valid page size");
        let found = match console.services.list_opportunities(actor, &filter, &paging).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(?error, "opportunities could not be exported");
                return response::unavailable(chrome.locale);
            }
        };
        let account_ids: Vec<EntityId> = found.items.iter().map(|o| o.value.account_id).collect();
        let Ok(accounts) = console.services.account_names(actor, account_ids).await else {
            return response::unavailable(chrome.locale);
        };
        rows.extend(found.items.iter().map(|o| export_row(&o.value, &accounts, &pipelines, &chrome)));
        match found.next_cursor {
            Some(next) if rows.len() <= EXPORT_MAX => cursor = Some(next),
            _ => break,
        }
    }
    rows.truncate(EXPORT_MAX + 1);
    let name = if chrome.locale == gestiona_domain::Locale::Es { "oportunidades.csv" } else { "opportunities.csv" };
    let what = format!("opportunities?{}", request.uri().query().unwrap_or_default());
    console.services.log_access(actor, AccessAction::Exported, Some(RecordRef::new("report", what))).await;
    response::download(name, "text/csv; charset=utf-8", gestiona_domain::export::csv(&rows))
}

fn export_row(
    o: &Opportunity,
    accounts: &std::collections::HashMap<EntityId, String>,
    pipelines: &Pipelines,
    chrome: &Chrome,
) -> Vec<String> {
    let place = o.stage_in(pipelines);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        o.id.to_string(),
        o.name.clone(),
        accounts.get(&o.account_id).cloned().unwrap_or_default(),
        place.map_or_else(|| o.pipeline.to_string(), |(p, _)| p.name.clone()),
        place.map_or_else(|| o.stage.to_string(), |(_, s)| s.name.clone()),
        place.map(|(_, s)| chrome.t(s.category.label())).unwrap_or_default(),
        o.amount.decimal_string(),
        o.amount.currency.clone(),
        o.probability.to_string(),
        o.weighted_amount.decimal_string(),
        o.expected_close_date.map(|d| d.to_string()).unwrap_or_default(),
        o.owner.as_ref().map(ToString::to_string).unwrap_or_default(),
        text(&o.product_line),
        text(&o.source),
        text(&o.campaign),
        o.competitors.join("; "),
        chrome.when(o.created_at),
    ]
}

/// `POST /app/opportunities/{id}/stage`: a card moved on the board. Back to the board at the
/// card; when the stage asks for what the opportunity lacks, its page with the fields to fill.
pub async fn move_card(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let (Ok(opportunity_id), Some(expected)) = (EntityId::parse(id), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let Some(stage) = form_value(request, "stage").and_then(|s| StageKey::parse(&s).ok()) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let view = if form_value(request, "view").as_deref() == Some("mine") { "mine" } else { "all" };
    let patch = OpportunityPatch { stage: Some(stage.clone()), ..Default::default() };
    match console.services.update_opportunity(&signed_in.actor, opportunity_id, expected.into(), patch).await {
        Ok(moved) => response::redirect(&format!(
            "/app/opportunities?pipeline={}&view={view}&moved={opportunity_id}#o-{opportunity_id}",
            moved.value.pipeline
        )),
        Err(UpdateOpportunityError::NotFound) => response::not_found(locale),
        Err(UpdateOpportunityError::Stale { .. }) => {
            let outcome = Outcome { notice: Some(msg::ui_record_stale()), ..Default::default() };
            opportunity::render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(UpdateOpportunityError::Invalid(errors)) => {
            // The page's form asks for the move again, with what the stage needs.
            let outcome = Outcome { errors: errors.0, wanted_stage: Some(stage), ..Default::default() };
            opportunity::render(console, signed_in, id, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(UpdateOpportunityError::Store(error)) => {
            tracing::error!(%error, "the opportunity could not be stored");
            response::unavailable(locale)
        }
    }
}

#[derive(Template)]
#[template(path = "opportunity_new.html")]
struct NewPage {
    chrome: Chrome,
    /// The id the form creates the opportunity under: sent twice, it opens one.
    form_id: String,
    account: Option<(String, String)>,
    /// Accounts found by the words asked (when no account is chosen yet).
    words: String,
    found: Vec<(String, String)>,
    draft: Draft,
    pipelines: Vec<Choice>,
    errors: Vec<(String, String)>,
}

/// `GET /app/opportunities/new?account=&q=`: first the account (found by words), then the form.
pub async fn new_form(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let account = query_value(request, "account").and_then(|a| EntityId::parse(&a).ok());
    let words = query_value(request, "q").unwrap_or_default();
    let draft = Draft { currency: "CRC".into(), ..Default::default() };
    render_new(console, signed_in, account, &words, draft, Vec::new(), None, StatusCode::OK).await
}

#[expect(clippy::too_many_arguments, reason = "the form's parts as the two callers hold them")]
async fn render_new(
    console: &Console,
    signed_in: &SignedIn,
    account: Option<EntityId>,
    words: &str,
    draft: Draft,
    errors: Vec<(String, String)>,
    form_id: Option<EntityId>,
    status: StatusCode,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let actor = &signed_in.actor;
    let account = match account {
        Some(id) => match console.services.get_account(actor, id).await {
            Ok(a) if !a.value.archived => Some((a.value.id.to_string(), a.value.name)),
            _ => return response::not_found(chrome.locale),
        },
        None => None,
    };
    let mut found = Vec::new();
    if account.is_none() && words.trim().chars().count() >= 2 {
        let filter = AccountFilter { words: Some(words.to_owned()), include_archived: false };
        match console.services.list_accounts(actor, &filter, &PageRequest::default()).await {
            Ok(page) => found = page.items.into_iter().map(|a| (a.value.id.to_string(), a.value.name)).collect(),
            Err(error) => {
                tracing::error!(?error, "accounts could not be searched");
                return response::unavailable(chrome.locale);
            }
        }
    }
    let pipelines = match console.services.pipelines_of(&actor.tenant).await {
        Ok(p) => p.value,
        Err(error) => {
            tracing::error!(%error, "the pipelines could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let pipeline_choices = pipelines
        .pipelines
        .iter()
        .filter(|p| !p.retired)
        .map(|p| Choice { key: p.key.to_string(), label: p.name.clone(), current: draft.pipeline == p.key.as_str() })
        .collect();
    let form_id = form_id.unwrap_or_else(|| console.services.new_id()).to_string();
    let view = NewPage {
        form_id,
        account,
        words: words.to_owned(),
        found,
        draft,
        pipelines: pipeline_choices,
        errors,
        chrome,
    };
    page(status, &view)
}

/// `POST /app/opportunities`: opens the opportunity the form describes, once per form.
pub async fn create(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let locale = signed_in.session.locale;
    let (Some(account), Some(form_id)) = (
        form_value(request, "account").and_then(|a| EntityId::parse(&a).ok()),
        form_value(request, "form_id").and_then(|a| EntityId::parse(&a).ok()),
    ) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let draft = Draft::of(request);
    let invalid = |errors: Vec<(String, Message)>| {
        let errors = errors.into_iter().map(|(field, m)| (field, m.render(locale))).collect();
        render_new(
            console,
            signed_in,
            Some(account),
            "",
            draft.clone(),
            errors,
            Some(form_id),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let fields = match draft.fields() {
        Ok(fields) => fields,
        Err(errors) => return invalid(errors).await,
    };
    let input = NewOpportunity {
        name: draft.name.clone(),
        account_id: account,
        contact_ids: Vec::new(),
        pipeline: PipelineKey::parse(&draft.pipeline).ok(),
        stage: None,
        amount: fields.amount,
        expected_close_date: fields.close,
        probability: fields.probability,
        product_line: fields.product_line,
        competitors: fields.competitors,
        owner: None,
        source: fields.source,
        campaign: fields.campaign,
    };
    match console.services.create_opportunity_once(&signed_in.actor, input, form_id).await {
        Ok((created, _)) => response::redirect(&format!("/app/opportunities/{}", created.value.id)),
        Err(gestiona_domain::service::opportunities::CreateOpportunityError::Invalid(errors)) => {
            invalid(errors.0.into_iter().map(|e| (e.field, e.reason)).collect()).await
        }
        Err(gestiona_domain::service::opportunities::CreateOpportunityError::Store(error)) => {
            tracing::error!(%error, "the opportunity could not be stored");
            response::unavailable(locale)
        }
    }
}
