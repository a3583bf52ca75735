//! One opportunity: its fields, the form that changes them (a stage move included) and its
//! history in words, with the values before each change.

use askama::Template;
use gestiona_domain::access_log::{AccessAction, RecordRef};
use gestiona_domain::history::{EventKind, FieldChange, HistoryEvent};
use gestiona_domain::ids::{StageKey, UserId};
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::sales::{Opportunity, OpportunityPatch, Pipelines};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::contacts::ContactFilter;
use gestiona_domain::service::opportunities::{GetOpportunityError, UpdateOpportunityError};
use gestiona_domain::{EntityId, FieldError, Locale, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

use super::case::timeline::Entry;
use super::input::parse_amount;
use super::opportunities::Choice;
use super::{Chrome, form_version, page};
use crate::session::{SignedIn, form_value, form_values};
use crate::{Console, response};

/// The opportunity form as typed: every field text, so a refused form comes back as it was.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub name: String,
    pub pipeline: String,
    pub stage: String,
    pub amount: String,
    pub currency: String,
    pub close: String,
    pub probability: String,
    pub product_line: String,
    pub competitors: String,
    pub source: String,
    pub campaign: String,
    pub owner: String,
    pub lost_reason: String,
    /// The contacts ticked (ids), when the form showed the account's contacts.
    pub contacts: Option<Vec<String>>,
}

/// The draft's fields read as values.
pub struct DraftFields {
    pub amount: Money,
    pub close: Option<jiff::civil::Date>,
    pub probability: Option<u8>,
    pub product_line: Option<String>,
    pub competitors: Vec<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub lost_reason: Option<String>,
}

fn filled(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

impl Draft {
    pub fn of(request: &Request) -> Self {
        let field = |name: &str| form_value(request, name).unwrap_or_default();
        Draft {
            name: field("name"),
            pipeline: field("pipeline"),
            stage: field("stage"),
            amount: field("amount"),
            currency: field("currency").trim().to_uppercase(),
            close: field("close"),
            probability: field("probability"),
            product_line: field("product_line"),
            competitors: field("competitors"),
            source: field("source"),
            campaign: field("campaign"),
            owner: field("owner"),
            lost_reason: field("lost_reason"),
            contacts: form_value(request, "contacts_shown").map(|_| form_values(request, "contact")),
        }
    }

    fn from_opportunity(o: &Opportunity) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Draft {
            name: o.name.clone(),
            pipeline: o.pipeline.to_string(),
            stage: o.stage.to_string(),
            amount: o.amount.decimal_string(),
            currency: o.amount.currency.clone(),
            close: o.expected_close_date.map(|d| d.to_string()).unwrap_or_default(),
            probability: if o.probability_by_hand { o.probability.to_string() } else { String::new() },
            product_line: text(&o.product_line),
            competitors: o.competitors.join("\n"),
            source: text(&o.source),
            campaign: text(&o.campaign),
            owner: o.owner.as_ref().map(ToString::to_string).unwrap_or_default(),
            lost_reason: text(&o.lost_reason),
            contacts: Some(o.contact_ids.iter().map(ToString::to_string).collect()),
        }
    }

    /// The typed values, or what is wrong with them by field (as the API names the fields).
    pub fn fields(&self) -> Result<DraftFields, Vec<(String, Message)>> {
        let mut errors = Vec::new();
        let exponent = gestiona_domain::format::exponent(&self.currency);
        let amount_minor = match filled(&self.amount) {
            None => Some(0),
            Some(text) => parse_amount(&text, exponent),
        };
        if amount_minor.is_none() {
            errors.push(("amount".to_owned(), msg::ui_amount_format()));
        }
        let close = match filled(&self.close).map(|d| d.parse::<jiff::civil::Date>()) {
            Some(Err(_)) => {
                errors.push(("expectedCloseDate".to_owned(), msg::date_format()));
                None
            }
            Some(Ok(date)) => Some(date),
            None => None,
        };
        let probability = match filled(&self.probability).map(|p| p.trim_end_matches('%').trim().parse::<u8>()) {
            Some(Ok(p)) if p <= 100 => Some(p),
            Some(_) => {
                errors.push(("probability".to_owned(), msg::between(0, 100)));
                None
            }
            None => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(DraftFields {
            amount: Money { amount_minor: amount_minor.unwrap_or_default(), currency: self.currency.clone() },
            close,
            probability,
            product_line: filled(&self.product_line),
            competitors: self.competitors.lines().filter_map(filled).collect(),
            source: filled(&self.source),
            campaign: filled(&self.campaign),
            lost_reason: filled(&self.lost_reason),
        })
    }
}

/// What went wrong with the user's last post, shown on the page again.
#[derive(Default)]
pub struct Outcome {
    pub notice: Option<Message>,
    pub errors: Vec<FieldError>,
    /// The stage the user tried to move to (the form offers it again).
    pub wanted_stage: Option<StageKey>,
    /// The form as the user sent it.
    pub draft: Option<Draft>,
}

#[derive(Template)]
#[template(path = "opportunity.html")]
struct OpportunityPage {
    chrome: Chrome,
    id: String,
    version: u64,
    name: String,
    account: (String, String),
    pipeline: String,
    stage: String,
    category: String,
    probability: String,
    amount: String,
    weighted: String,
    close: String,
    owner: String,
    product_line: String,
    competitors: String,
    source: String,
    campaign: String,
    lost_reason: String,
    closed: String,
    lead: Option<String>,
    stages: Vec<Choice>,
    /// The account's contacts, ticked when the opportunity is worked with them.
    contacts: Vec<Choice>,
    /// The names of the contacts it is worked with.
    contact_names: String,
    draft: Draft,
    notice: Option<String>,
    errors: Vec<String>,
    entries: Vec<Entry>,
}

/// `GET /app/opportunities/{id}`.
pub async fn show(console: &Console, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let page = render(console, signed_in, id, StatusCode::OK, Outcome::default()).await;
    if page.status() == StatusCode::OK {
        let record = Some(RecordRef::new("opportunity", id));
        console.services.log_access(&signed_in.actor, AccessAction::Read, record).await;
    }
    page
}

pub async fn render(
    console: &Console,
    signed_in: &SignedIn,
    id: &str,
    status: StatusCode,
    outcome: Outcome,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "opportunities");
    let Ok(id) = EntityId::parse(id) else { return response::not_found(chrome.locale) };
    let actor = &signed_in.actor;
    let history_page = PageRequest { limit: gestiona_domain::service::MAX_PAGE_SIZE, cursor: None };
    let (found, pipelines, history) = tokio::join!(
        console.services.get_opportunity(actor, id),
        console.services.pipelines_of(&actor.tenant),
        console.services.opportunity_history(actor, id, &history_page),
    );
    let o = match found {
        Ok(o) => o,
        Err(GetOpportunityError::NotFound) => return response::not_found(chrome.locale),
        Err(GetOpportunityError::Store(error)) => {
            tracing::error!(%error, "the opportunity could not be read");
            return response::unavailable(chrome.locale);
        }
    };
    let (Ok(pipelines), Ok(history)) = (pipelines, history) else { return response::unavailable(chrome.locale) };
    let pipelines = pipelines.value;
    let account = match console.services.account_names(actor, [o.value.account_id]).await {
        Ok(names) => names.get(&o.value.account_id).cloned().unwrap_or_default(),
        Err(_) => return response::unavailable(chrome.locale),
    };
    let of_account = ContactFilter { account_id: Some(o.value.account_id), ..Default::default() };
    let page_of_contacts = PageRequest { limit: gestiona_domain::service::MAX_PAGE_SIZE, cursor: None };
    let Ok(account_contacts) = console.services.list_contacts(actor, &of_account, &page_of_contacts).await else {
        return response::unavailable(chrome.locale);
    };
    let value = &o.value;
    let place = value.stage_in(&pipelines);
    let wanted = outcome.wanted_stage.as_ref().unwrap_or(&value.stage);
    let stages = place
        .map(|(pipeline, _)| {
            pipeline
                .stages
                .iter()
                .filter(|s| !s.retired || s.key == value.stage)
                .map(|s| Choice { key: s.key.to_string(), label: s.name.clone(), current: &s.key == wanted })
                .collect()
        })
        .unwrap_or_default();
    let mut draft = outcome.draft.unwrap_or_else(|| Draft::from_opportunity(value));
    draft.stage = wanted.to_string();
    let ticked = draft.contacts.clone().unwrap_or_default();
    let contacts = account_contacts
        .items
        .iter()
        .map(|c| Choice {
            key: c.value.id.to_string(),
            label: c.value.full_name(),
            current: ticked.contains(&c.value.id.to_string()),
        })
        .collect();
    let contact_names = account_contacts
        .items
        .iter()
        .filter(|c| value.contact_ids.contains(&c.value.id))
        .map(|c| c.value.full_name())
        .collect::<Vec<_>>()
        .join(", ");
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let probability = if value.probability_by_hand {
        chrome.t(msg::ui_probability_by_hand(value.probability))
    } else {
        chrome.t(msg::ui_percent(value.probability))
    };
    let entries = history.items.iter().rev().map(|e| entry(&e.value, &pipelines, value, &chrome)).collect();
    let errors = outcome
        .errors
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                label(&e.field).map_or_else(|| e.field.clone(), |l| chrome.t(l)),
                chrome.t(e.reason.clone())
            )
        })
        .collect();
    let view = OpportunityPage {
        id: value.id.to_string(),
        version: o.version,
        name: value.name.clone(),
        account: (value.account_id.to_string(), account),
        pipeline: place.map_or_else(|| value.pipeline.to_string(), |(p, _)| p.name.clone()),
        stage: place.map_or_else(|| value.stage.to_string(), |(_, s)| s.name.clone()),
        category: place.map(|(_, s)| chrome.t(s.category.label())).unwrap_or_default(),
        probability,
        amount: gestiona_domain::format::money(&value.amount, chrome.locale),
        weighted: gestiona_domain::format::money(&value.weighted_amount, chrome.locale),
        close: value.expected_close_date.map(|d| gestiona_domain::format::date(d, chrome.locale)).unwrap_or_default(),
        owner: value.owner.as_ref().map_or_else(|| chrome.t(msg::ui_unassigned()), ToString::to_string),
        product_line: text(&value.product_line),
        competitors: value.competitors.join(", "),
        source: text(&value.source),
        campaign: text(&value.campaign),
        lost_reason: text(&value.lost_reason),
        closed: value.closed_at.map(|at| chrome.when(at)).unwrap_or_default(),
        lead: value.lead_id.map(|l| l.to_string()),
        stages,
        contacts,
        contact_names,
        draft,
        notice: outcome.notice.map(|m| chrome.t(m)),
        errors,
        entries,
        chrome,
    };
    page(status, &view)
}

/// `POST /app/opportunities/{id}`: the form's changes, at the version shown.
pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn, id: &str) -> Response<Body> {
    let locale = signed_in.session.locale;
    let (Ok(opportunity_id), Some(expected)) = (EntityId::parse(id), form_version(request)) else {
        return response::status_page(StatusCode::BAD_REQUEST, locale);
    };
    let draft = Draft::of(request);
    let wanted_stage = StageKey::parse(draft.stage.trim()).ok();
    let refused = |errors: Vec<FieldError>, status| {
        let outcome = Outcome { errors, wanted_stage: wanted_stage.clone(), draft: Some(draft.clone()), notice: None };
        render(console, signed_in, id, status, outcome)
    };
    let fields = match draft.fields() {
        Ok(fields) => fields,
        Err(errors) => {
            let errors = errors.into_iter().map(|(field, reason)| FieldError::new(field, reason)).collect();
            return refused(errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let owner = match filled(&draft.owner).map(|o| UserId::parse(&o)) {
        Some(Err(_)) => {
            return refused(vec![FieldError::new("owner", msg::no_such_user())], StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
        Some(Ok(owner)) => Some(owner),
        None => None,
    };
    let contact_ids = match &draft.contacts {
        None => None,
        Some(ids) => match ids.iter().map(|id| EntityId::parse(id)).collect::<Result<Vec<_>, _>>() {
            Ok(ids) => Some(ids),
            Err(_) => return response::status_page(StatusCode::BAD_REQUEST, locale),
        },
    };
    let patch = OpportunityPatch {
        name: Some(draft.name.clone()),
        contact_ids,
        stage: wanted_stage.clone(),
        probability: Some(fields.probability),
        amount: Some(fields.amount),
        expected_close_date: Some(fields.close),
        product_line: Some(fields.product_line),
        competitors: Some(fields.competitors),
        owner,
        source: Some(fields.source),
        campaign: Some(fields.campaign),
        lost_reason: Some(fields.lost_reason),
        ..Default::default()
    };
    match console.services.update_opportunity(&signed_in.actor, opportunity_id, expected.into(), patch).await {
        Ok(_) => response::redirect(&format!("/app/opportunities/{opportunity_id}")),
        Err(UpdateOpportunityError::NotFound) => response::not_found(locale),
        Err(UpdateOpportunityError::Stale { .. }) => {
            let outcome = Outcome { notice: Some(msg::ui_record_stale()), ..Default::default() };
            render(console, signed_in, id, StatusCode::CONFLICT, outcome).await
        }
        Err(UpdateOpportunityError::Invalid(errors)) => refused(errors.0, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(UpdateOpportunityError::Store(error)) => {
            tracing::error!(%error, "the opportunity could not be stored");
            response::unavailable(locale)
        }
    }
}

/// The words for a field of an opportunity, as the API names it.
fn label(field: &str) -> Option<Message> {
    Some(match field {
        "name" => msg::ui_name(),
        "pipeline" => msg::ui_pipeline(),
        "stage" => msg::ui_stage(),
        "probability" => msg::ui_probability(),
        "probabilityByHand" => msg::ui_probability_set_by_hand(),
        "amount" | "amount.amountMinor" => msg::ui_amount(),
        "amount.currency" => msg::ui_currency(),
        "expectedCloseDate" => msg::ui_expected_close(),
        "accountId" => msg::ui_account(),
        "contactIds" => msg::ui_contacts(),
        "productLine" => msg::ui_product_line(),
        "competitors" => msg::ui_competitors(),
        "owner" => msg::ui_owner(),
        "source" => msg::ui_source(),
        "campaign" => msg::ui_campaign(),
        "lostReason" => msg::ui_lost_reason(),
        "closedAt" => msg::ui_closed_at(),
        _ => return None,
    })
}

/// One history event in words: the stage names, amounts and dates as the user reads them.
fn entry(event: &HistoryEvent, pipelines: &Pipelines, o: &Opportunity, chrome: &Chrome) -> Entry {
    let locale = chrome.locale;
    let stage_name = |key: &str| {
        pipelines
            .pipeline(&o.pipeline)
            .and_then(|p| p.stages.iter().find(|s| s.key.as_str() == key))
            .map_or_else(|| key.to_owned(), |s| s.name.clone())
    };
    let (title, details) = match &event.kind {
        EventKind::Created { state } => (chrome.t(msg::ev_opportunity_opened(stage_name(state))), Vec::new()),
        EventKind::Updated { changes } => {
            let lines = changes.iter().map(|c| change_line(c, &stage_name, locale)).collect();
            (chrome.t(msg::ev_opportunity_changed()), lines)
        }
        other => (
            serde_json::to_value(other).ok().and_then(|v| v["type"].as_str().map(str::to_owned)).unwrap_or_default(),
            Vec::new(),
        ),
    };
    Entry::plain(chrome.when(event.at), event.actor.to_string(), title, details)
}

fn change_line(change: &FieldChange, stage_name: &dyn Fn(&str) -> String, locale: Locale) -> String {
    let show = |value: &Value| -> String {
        match (change.field.as_str(), value) {
            (_, Value::Null) => "—".to_owned(),
            (_, Value::Array(items)) if items.is_empty() => "—".to_owned(),
            ("stage", Value::String(key)) => stage_name(key),
            ("amount", v) => serde_json::from_value::<Money>(v.clone())
                .map_or_else(|_| v.to_string(), |m| gestiona_domain::format::money(&m, locale)),
            ("probability", Value::Number(n)) => msg::ui_percent(n).render(locale),
            ("expectedCloseDate", Value::String(d)) => {
                d.parse().map_or_else(|_| d.clone(), |d| gestiona_domain::format::date(d, locale))
            }
            ("probabilityByHand", Value::Bool(b)) => (if *b { msg::ui_yes() } else { msg::ui_no() }).render(locale),
            (_, Value::String(s)) => s.clone(),
            (_, Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", "),
            (_, other) => other.to_string(),
        }
    };
    let name = label(&change.field).map_or_else(|| change.field.clone(), |l| l.render(locale));
    format!("{name}: {} → {}", show(&change.from), show(&change.to))
}
