//! *Price lists*: the company's lists with their published version, a list's rows and the log of
//! its versions, the settings form (who may change products), and the list an account is priced
//! from (on the account's page).

use askama::Template;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::ids::PriceListKey;
use gestiona_domain::messages as msg;
use gestiona_domain::sales::price_list::PriceListInput;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::price_lists::{PriceListError, PriceListView};
use gestiona_domain::{EntityId, ExpectedVersion};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::products::{PriceLine, price_lines};
use super::{Chrome, form_version, page, query_value};
use crate::session::{SignedIn, form_value};
use crate::{Console, response};

pub struct ListRow {
    pub key: String,
    pub name: String,
    pub currency: String,
    pub version: u32,
    pub rows: u64,
    pub default: bool,
    pub active: bool,
    pub draft: Option<u32>,
}

impl ListRow {
    fn of(view: &PriceListView) -> Self {
        let list = &view.list;
        ListRow {
            key: list.key.to_string(),
            name: list.name.clone(),
            currency: list.currency.clone(),
            version: list.published_version,
            rows: list.rows,
            default: view.default,
            active: list.active,
            draft: list.draft.as_ref().map(|d| d.version),
        }
    }
}

/// The settings form as typed.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    pub key: String,
    pub name: String,
    pub currency: String,
    pub active: bool,
    pub default: bool,
}

impl SettingsForm {
    fn of(request: &Request) -> Self {
        let field = |name| form_value(request, name).map(|v| v.trim().to_owned()).unwrap_or_default();
        SettingsForm {
            key: field("key"),
            name: field("name"),
            currency: field("currency").to_uppercase(),
            active: form_value(request, "active").is_some(),
            default: form_value(request, "default").is_some(),
        }
    }

    fn input(&self) -> PriceListInput {
        PriceListInput {
            name: self.name.clone(),
            currency: self.currency.clone(),
            active: Some(self.active),
            default: self.default,
        }
    }
}

#[derive(Template)]
#[template(path = "price_lists.html")]
struct ListsPage {
    chrome: Chrome,
    rows: Vec<ListRow>,
    may_change: bool,
    form: SettingsForm,
    errors: Vec<(String, String)>,
    alert: Option<String>,
}

impl ListsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, reason)| reason.as_str())
    }
}

async fn lists_page(
    console: &Console,
    signed_in: &SignedIn,
    status: StatusCode,
    form: SettingsForm,
    errors: Vec<(String, String)>,
    alert: Option<String>,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "products");
    let paging = PageRequest::new(Some(100), None).expect("a valid page size");
    let Ok(lists) = console.services.price_lists(&signed_in.actor, &paging).await else {
        return response::unavailable(chrome.locale);
    };
    let rows = lists.items.iter().map(|l| ListRow::of(&l.value)).collect();
    let may_change = signed_in.actor.allows(Permission::new(Module::Products, Operation::Update));
    page(status, &ListsPage { chrome, rows, may_change, form, errors, alert })
}

/// `GET /app/price-lists`.
pub async fn list(console: &Console, signed_in: &SignedIn) -> Response<Body> {
    let form = SettingsForm { active: true, currency: "CRC".into(), ..Default::default() };
    lists_page(console, signed_in, StatusCode::OK, form, Vec::new(), None).await
}

/// `POST /app/price-lists`: a new list (its key is taken once).
pub async fn create(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "products");
    let form = SettingsForm { active: true, ..SettingsForm::of(request) };
    let Ok(key) = PriceListKey::parse(&form.key) else {
        let errors = vec![("key".to_owned(), chrome.t(msg::price_list_key_rule()))];
        return lists_page(console, signed_in, StatusCode::UNPROCESSABLE_ENTITY, form, errors, None).await;
    };
    let saved =
        console.services.save_price_list(&signed_in.actor, &key, &form.input(), Some(ExpectedVersion::from(0))).await;
    match saved {
        Ok(_) => response::redirect(&format!("/app/price-lists/{key}")),
        Err(PriceListError::Invalid(errors)) => {
            let errors = errors.0.iter().map(|e| (e.field.clone(), chrome.t(e.reason.clone()))).collect();
            lists_page(console, signed_in, StatusCode::UNPROCESSABLE_ENTITY, form, errors, None).await
        }
        Err(PriceListError::Stale(_)) => {
            let errors = vec![("key".to_owned(), chrome.t(msg::ui_price_list_exists()))];
            lists_page(console, signed_in, StatusCode::CONFLICT, form, errors, None).await
        }
        Err(_) => response::unavailable(chrome.locale),
    }
}

pub struct RowView {
    pub product: String,
    pub prices: Vec<PriceLine>,
}

pub struct VersionRow {
    pub number: u32,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub rows: u64,
    pub when: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "price_list.html")]
struct ListPage {
    chrome: Chrome,
    list: ListRow,
    version: u64,
    may_change: bool,
    may_export: bool,
    form: SettingsForm,
    errors: Vec<(String, String)>,
    alert: Option<String>,
    rows: Vec<RowView>,
    next_page: Option<String>,
    versions: Vec<VersionRow>,
}

impl ListPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, reason)| reason.as_str())
    }
}

/// A settings form sent back: its answer's status, the form as typed, the errors by field, and
/// an alert.
struct Typed {
    status: StatusCode,
    form: SettingsForm,
    errors: Vec<(String, String)>,
    alert: Option<String>,
}

/// The list's page, with the settings form as given (or as stored).
async fn list_page(
    console: &Console,
    signed_in: &SignedIn,
    key: &str,
    cursor: Option<String>,
    typed: Option<Typed>,
    saved: bool,
) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "products");
    let Ok(key) = PriceListKey::parse(key) else { return response::not_found(chrome.locale) };
    let actor = &signed_in.actor;
    let Ok(paging) = PageRequest::new(Some(50), cursor) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let first = PageRequest::new(Some(10), None).expect("a valid page size");
    let (list, rows, versions) = futures::join!(
        console.services.get_price_list(actor, &key),
        console.services.price_rows(actor, &key, &paging),
        console.services.price_list_versions(actor, &key, &first)
    );
    let list = match list {
        Ok(list) => list,
        Err(PriceListError::NotFound) => return response::not_found(chrome.locale),
        Err(_) => return response::unavailable(chrome.locale),
    };
    let (Ok(rows), Ok(versions)) = (rows, versions) else { return response::unavailable(chrome.locale) };
    let currency = list.value.list.currency.clone();
    let Typed { status, form, errors, alert } = typed.unwrap_or_else(|| {
        let l = &list.value.list;
        let form = SettingsForm {
            key: l.key.to_string(),
            name: l.name.clone(),
            currency: l.currency.clone(),
            active: l.active,
            default: list.value.default,
        };
        Typed { status: StatusCode::OK, form, errors: Vec::new(), alert: saved.then(|| chrome.t(msg::ui_saved())) }
    });
    let next_page = rows.next_cursor.map(|c| {
        format!("/app/price-lists/{key}?cursor={}", form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>())
    });
    let view = ListPage {
        list: ListRow::of(&list.value),
        version: list.version,
        may_change: actor.allows(Permission::new(Module::Products, Operation::Update)),
        may_export: actor.allows(Permission::new(Module::Products, Operation::Export)),
        form,
        errors,
        alert,
        rows: rows
            .items
            .iter()
            .map(|r| RowView { product: r.product.to_string(), prices: price_lines(r, &currency, &chrome) })
            .collect(),
        next_page,
        versions: versions
            .items
            .iter()
            .map(|v| VersionRow {
                number: v.value.number,
                added: v.value.added,
                changed: v.value.changed,
                removed: v.value.removed,
                rows: v.value.rows,
                when: chrome.when(v.value.published_at),
                by: v.value.published_by.to_string(),
            })
            .collect(),
        chrome,
    };
    page(status, &view)
}

/// `GET /app/price-lists/{key}?cursor=`.
pub async fn show(console: &Console, request: &Request, signed_in: &SignedIn, key: &str) -> Response<Body> {
    let saved = query_value(request, "saved").is_some();
    list_page(console, signed_in, key, query_value(request, "cursor"), None, saved).await
}

/// `POST /app/price-lists/{key}`: the settings, at the version the form was read.
pub async fn save(console: &Console, request: &Request, signed_in: &SignedIn, key: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "products");
    let Ok(list) = PriceListKey::parse(key) else { return response::not_found(chrome.locale) };
    let form = SettingsForm { key: key.to_owned(), ..SettingsForm::of(request) };
    let expected = form_version(request).map(ExpectedVersion::from);
    match console.services.save_price_list(&signed_in.actor, &list, &form.input(), expected).await {
        Ok(_) => response::redirect(&format!("/app/price-lists/{list}?saved=1")),
        Err(PriceListError::Invalid(errors)) => {
            let errors = errors.0.iter().map(|e| (e.field.clone(), chrome.t(e.reason.clone()))).collect();
            let typed = Typed { status: StatusCode::UNPROCESSABLE_ENTITY, form, errors, alert: None };
            list_page(console, signed_in, key, None, Some(typed), false).await
        }
        Err(PriceListError::Stale(_)) => {
            let alert = Some(chrome.t(msg::ui_price_list_stale()));
            let typed = Typed { status: StatusCode::CONFLICT, form, errors: Vec::new(), alert };
            list_page(console, signed_in, key, None, Some(typed), false).await
        }
        Err(PriceListError::NotFound) => response::not_found(chrome.locale),
        Err(_) => response::unavailable(chrome.locale),
    }
}

/// `POST /app/accounts/{id}/price-list`: the list the account is priced from (empty: the default).
pub async fn assign(console: &Console, request: &Request, signed_in: &SignedIn, account: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "accounts");
    let Ok(account) = account.parse::<EntityId>() else { return response::not_found(chrome.locale) };
    let chosen = form_value(request, "price_list").filter(|v| !v.is_empty());
    let list = match chosen.as_deref().map(PriceListKey::parse).transpose() {
        Ok(list) => list,
        Err(_) => return response::status_page(StatusCode::BAD_REQUEST, chrome.locale),
    };
    match console.services.set_account_price_list(&signed_in.actor, account, list.as_ref()).await {
        Ok(_) => response::redirect(&format!("/app/accounts/{account}#price-list")),
        Err(PriceListError::NotFound) => response::not_found(chrome.locale),
        Err(PriceListError::Invalid(errors)) => {
            let reason = errors.0.first().map(|e| e.reason.clone()).unwrap_or_else(msg::ui_fix_fields);
            response::message_page(StatusCode::UNPROCESSABLE_ENTITY, chrome.locale, reason)
        }
        Err(_) => response::unavailable(chrome.locale),
    }
}

/// `GET /app/price-lists/{key}/export`: the published version's prices as CSV safe to open in a
/// spreadsheet, a row per price (amounts in major units of the list's currency).
pub async fn export(console: &Console, request: &Request, signed_in: &SignedIn, key: &str) -> Response<Body> {
    use gestiona_domain::access_log::{AccessAction, RecordRef};
    use gestiona_domain::money::Money;
    let chrome = Chrome::of(signed_in, "products");
    let Ok(key) = PriceListKey::parse(key) else { return response::not_found(chrome.locale) };
    let actor = &signed_in.actor;
    let list = match console.services.get_price_list(actor, &key).await {
        Ok(list) => list.value.list,
        Err(PriceListError::NotFound) => return response::not_found(chrome.locale),
        Err(_) => return response::unavailable(chrome.locale),
    };
    let t = |m: gestiona_domain::Message| chrome.t(m);
    let mut rows = vec![vec![
        t(msg::ui_product()),
        t(msg::ui_from_quantity()),
        t(msg::ui_unit_price()),
        t(msg::ui_currency()),
        t(msg::ui_valid_from()),
        t(msg::ui_valid_to()),
        t(msg::ui_version()),
    ]];
    let mut cursor = None;
    loop {
        let paging = PageRequest::new(Some(100), cursor).expect("a valid page size");
        let Ok(found) = console.services.price_rows(actor, &key, &paging).await else {
            return response::unavailable(chrome.locale);
        };
        for row in &found.items {
            for price in &row.prices {
                let money = Money { amount_minor: price.unit_price_minor, currency: list.currency.clone() };
                rows.push(vec![
                    row.product.to_string(),
                    price.min_quantity.to_string(),
                    money.decimal_string(),
                    list.currency.clone(),
                    price.valid_from.map(|d| d.to_string()).unwrap_or_default(),
                    price.valid_to.map(|d| d.to_string()).unwrap_or_default(),
                    row.since.to_string(),
                ]);
            }
        }
        match found.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let what = format!("price-lists/{key}?{}", request.uri().query().unwrap_or_default());
    console.services.log_access(actor, AccessAction::Exported, Some(RecordRef::new("report", what))).await;
    response::download(&format!("{key}.csv"), "text/csv; charset=utf-8", gestiona_domain::export::csv(&rows))
}
