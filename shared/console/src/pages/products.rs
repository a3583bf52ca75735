//! *Products*: the catalogue as the ERP sends it, found by word or by department and group, each
//! product with its prices in every list; and its export.

use askama::Template;
use gestiona_domain::access::{Module, Operation, Permission};
use gestiona_domain::access_log::{AccessAction, RecordRef};
use gestiona_domain::ids::ProductCode;
use gestiona_domain::messages as msg;
use gestiona_domain::money::Money;
use gestiona_domain::sales::product::ProductFilter;
use gestiona_domain::sales::{PriceRow, Product};
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::products::GetProductError;
use gestiona_domain::{Locale, Message};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::{Chrome, page, query_value};
use crate::session::SignedIn;
use crate::{Console, response};

pub struct ProductRow {
    pub code: String,
    pub name: String,
    pub place: String,
    pub unit: String,
    pub tax: String,
    pub active: bool,
}

impl ProductRow {
    fn of(p: &Product, locale: Locale) -> Self {
        let d = &p.details;
        ProductRow {
            code: p.code.to_string(),
            name: d.name.clone(),
            place: place(p),
            unit: d.unit.clone(),
            tax: gestiona_domain::format::percent(u32::from(d.tax_rate_bp), locale),
            active: d.active,
        }
    }
}

fn place(p: &Product) -> String {
    let d = &p.details;
    [&d.department, &d.group, &d.subgroup].into_iter().flatten().cloned().collect::<Vec<_>>().join(" › ")
}

/// The list's filters as typed.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub q: String,
    pub department: String,
    pub group: String,
    /// `""` any, `"true"` active only, `"false"` inactive only.
    pub active: String,
}

impl Filters {
    fn read(request: &Request) -> Self {
        let value = |name| query_value(request, name).map(|v| v.trim().to_owned()).unwrap_or_default();
        Filters { q: value("q"), department: value("department"), group: value("group"), active: value("active") }
    }

    fn filter(&self) -> ProductFilter {
        let text = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
        ProductFilter {
            department: text(&self.department),
            // A group without its department is looked for across the catalogue by word.
            group: text(&self.group).filter(|_| !self.department.is_empty() || !self.q.is_empty()),
            active: self.active.parse().ok(),
        }
    }

    /// The words searched for: `q`, or a group named without its department.
    fn words(&self) -> Option<String> {
        match (self.q.is_empty(), self.department.is_empty(), self.group.is_empty()) {
            (false, _, _) => Some(self.q.clone()),
            (true, true, false) => Some(self.group.clone()),
            _ => None,
        }
    }

    fn query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("department", &self.department)
            .append_pair("group", &self.group)
            .append_pair("active", &self.active)
            .finish()
    }
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    chrome: Chrome,
    filters: Filters,
    rows: Vec<ProductRow>,
    next_page: Option<String>,
    export: Option<String>,
    problem: Option<String>,
}

async fn found(
    console: &Console,
    signed_in: &SignedIn,
    filters: &Filters,
    paging: &PageRequest,
) -> Result<gestiona_domain::Page<gestiona_domain::Versioned<Product>>, gestiona_domain::service::ListError> {
    let words = filters.words();
    console.services.list_products(&signed_in.actor, words.as_deref(), &filters.filter(), paging).await
}

/// `GET /app/products?q=&department=&group=&active=`: the catalogue.
pub async fn list(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "products");
    let filters = Filters::read(request);
    let Ok(paging) = PageRequest::new(Some(50), query_value(request, "cursor")) else {
        return response::status_page(StatusCode::BAD_REQUEST, chrome.locale);
    };
    let (rows, next_cursor, problem) = match found(console, signed_in, &filters, &paging).await {
        Ok(found) => {
            (found.items.iter().map(|p| ProductRow::of(&p.value, chrome.locale)).collect(), found.next_cursor, None)
        }
        Err(gestiona_domain::service::ListError::Invalid(errors)) => {
            let reason = errors.0.first().map(|e| chrome.t(e.reason.clone()));
            (Vec::new(), None, reason)
        }
        Err(_) => return response::unavailable(chrome.locale),
    };
    let query_string = filters.query_string();
    let next_page = next_cursor.map(|c| format!("/app/products?{query_string}&cursor={}", encode(&c)));
    let may_export = signed_in.actor.allows(Permission::new(Module::Products, Operation::Export));
    let export = may_export.then(|| format!("/app/products/export?{query_string}"));
    page(StatusCode::OK, &ProductsPage { chrome, filters, rows, next_page, export, problem })
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The most rows an export holds (the filters narrow it).
const EXPORT_MAX: usize = 20_000;

/// `GET /app/products/export?…`: the list's products as CSV safe to open in a spreadsheet.
pub async fn export(console: &Console, request: &Request, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "products");
    let filters = Filters::read(request);
    let t = |m: Message| chrome.t(m);
    let mut rows = vec![vec![
        t(msg::ui_code()),
        t(msg::ui_name()),
        t(msg::ui_department()),
        t(msg::ui_group()),
        t(msg::ui_subgroup()),
        t(msg::ui_unit()),
        t(msg::ui_tax_rate()),
        t(msg::ui_warranty_months()),
        t(msg::ui_active()),
        t(msg::ui_variants()),
    ]];
    let mut cursor = None;
    loop {
        let paging = PageRequest::new(Some(100), cursor).expect("a valid page size");
        let Ok(found) = found(console, signed_in, &filters, &paging).await else {
            return response::unavailable(chrome.locale);
        };
        rows.extend(found.items.iter().map(|p| {
            let d = &p.value.details;
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            vec![
                p.value.code.to_string(),
                d.name.clone(),
                text(&d.department),
                text(&d.group),
                text(&d.subgroup),
                d.unit.clone(),
                gestiona_domain::format::percent(u32::from(d.tax_rate_bp), chrome.locale),
                d.warranty_months.map(|m| m.to_string()).unwrap_or_default(),
                t(if d.active { msg::ui_yes() } else { msg::ui_no() }),
                d.variants.iter().map(|v| format!("{} ({})", v.code, v.colour)).collect::<Vec<_>>().join("; "),
            ]
        }));
        match found.next_cursor {
            Some(next) if rows.len() <= EXPORT_MAX => cursor = Some(next),
            _ => break,
        }
    }
    rows.truncate(EXPORT_MAX + 1);
    let name = if chrome.locale == Locale::Es { "productos.csv" } else { "products.csv" };
    let what = format!("products?{}", request.uri().query().unwrap_or_default());
    console.services.log_access(&signed_in.actor, AccessAction::Exported, Some(RecordRef::new("report", what))).await;
    response::download(name, "text/csv; charset=utf-8", gestiona_domain::export::csv(&rows))
}

/// One price of a row, in words.
pub struct PriceLine {
    pub from_quantity: String,
    pub unit_price: String,
    pub window: String,
}

/// Prices of a row in the list's currency, in the reader's words.
pub fn price_lines(row: &PriceRow, currency: &str, chrome: &Chrome) -> Vec<PriceLine> {
    row.prices
        .iter()
        .map(|p| PriceLine {
            from_quantity: p.min_quantity.to_string(),
            unit_price: gestiona_domain::format::money(
                &Money { amount_minor: p.unit_price_minor, currency: currency.to_owned() },
                chrome.locale,
            ),
            window: match (p.valid_from, p.valid_to) {
                (None, None) => chrome.t(msg::ui_always()),
                (from, to) => {
                    let day = |d: Option<jiff::civil::Date>| {
                        d.map(|d| gestiona_domain::format::date(d, chrome.locale)).unwrap_or_else(|| "…".into())
                    };
                    format!("{} – {}", day(from), day(to))
                }
            },
        })
        .collect()
}

pub struct ListPrices {
    pub key: String,
    pub name: String,
    pub default: bool,
    pub version: u32,
    pub prices: Vec<PriceLine>,
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    chrome: Chrome,
    product: Product,
    place: String,
    tax: String,
    lists: Vec<ListPrices>,
}

/// `GET /app/products/{code}`: the product and its prices in each list.
pub async fn show(console: &Console, signed_in: &SignedIn, code: &str) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "products");
    let Ok(code) = ProductCode::parse(code) else { return response::not_found(chrome.locale) };
    let actor = &signed_in.actor;
    let (product, prices) =
        futures::join!(console.services.get_product(actor, &code), console.services.product_prices(actor, &code));
    let product = match product {
        Ok(product) => product.value,
        Err(GetProductError::NotFound) => return response::not_found(chrome.locale),
        Err(_) => return response::unavailable(chrome.locale),
    };
    let Ok(prices) = prices else { return response::unavailable(chrome.locale) };
    let lists = prices
        .into_iter()
        .filter_map(|(list, row)| {
            row.map(|row| ListPrices {
                prices: price_lines(&row, &list.list.currency, &chrome),
                key: list.list.key.to_string(),
                name: list.list.name,
                default: list.default,
                version: list.list.published_version,
            })
        })
        .collect();
    let view = ProductPage {
        place: place(&product),
        tax: gestiona_domain::format::percent(u32::from(product.details.tax_rate_bp), chrome.locale),
        product,
        lists,
        chrome,
    };
    page(StatusCode::OK, &view)
}
