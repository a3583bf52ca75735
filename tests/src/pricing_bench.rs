//! The pricing scenario shared by the benchmark binary and its test: a catalogue of `rows`
//! products, an account's price list with a row for each (quantity breaks and a December
//! offer) synced through the use case in parts of 2 000, the default list as fallback for the
//! products missing from it; then the daily re-sync with 1 % changed, and a 100-line quote
//! priced warm, counted and timed.

use std::sync::Arc;
use std::time::Instant;

use gestiona_domain::Actor;
use gestiona_domain::ids::{PriceListKey, ProductCode};
use gestiona_domain::ports::{Condition, Store, WriteOp};
use gestiona_domain::sales::price_list::{
    MAX_ROWS_PER_SYNC, Price, PriceListInput, PriceRowInput, PriceSync, Quantity,
};
use gestiona_domain::sales::pricing::{PricingLine, PricingRequest};
use gestiona_domain::sales::product::ProductInput;
use gestiona_domain::sales::{Product, ProductDetails};
use gestiona_domain::service::Services;
use gestiona_domain::service::products::product_item;

use crate::bench_company::BenchCompany;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingFigures {
    /// Rows of the account's list.
    pub rows: usize,
    pub lines: usize,
    /// Lines priced from the account's list, and from the default.
    pub from_account_list: usize,
    pub from_default: usize,
    /// Store round trips of one pricing, and items they read.
    pub calls: usize,
    pub items_read: usize,
    /// The median of the warm runs.
    pub micros: u128,
    /// The first sync (every row written), and the re-sync with 1 % changed.
    pub first_sync_millis: u128,
    pub resync_written: u64,
    pub resync_unchanged: u64,
    pub resync_millis: u128,
}

fn code(n: usize) -> ProductCode {
    ProductCode::parse(&format!("P-{n:06}")).unwrap()
}

fn prices(n: usize, bump: i64) -> Vec<Price> {
    let base = 10_000 + (n as i64 % 500) * 100 + bump;
    let at = |min: i64, unit_price_minor, from: Option<&str>, to: Option<&str>| Price {
        min_quantity: Quantity::from_milli(min * 1000).unwrap(),
        unit_price_minor,
        valid_from: from.map(|d| d.parse().unwrap()),
        valid_to: to.map(|d| d.parse().unwrap()),
    };
    vec![
        at(0, base, None, None),
        at(10, base * 95 / 100, None, None),
        at(100, base * 90 / 100, None, None),
        at(10, base * 85 / 100, Some("2026-12-01"), Some("2026-12-31")),
    ]
}

/// Syncs `rows` rows into `list` as one version, in parts; returns what the parts wrote.
async fn sync_all(services: &Services, admin: &Actor, list: &PriceListKey, rows: Vec<PriceRowInput>) -> (u64, u64) {
    let parts: Vec<Vec<PriceRowInput>> = rows.chunks(MAX_ROWS_PER_SYNC).map(<[_]>::to_vec).collect();
    let (mut written, mut unchanged, mut version) = (0, 0, None);
    let count = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let sync = PriceSync { version, rows: part, remove: Vec::new(), publish: i + 1 == count };
        let outcome = services.sync_prices(admin, list, &sync).await.unwrap();
        version = Some(outcome.version);
        written += outcome.written;
        unchanged += outcome.unchanged;
    }
    (written, unchanged)
}

/// Runs the scenario on `store` (which must be empty); `runs` warm pricings are timed.
pub async fn run(store: Arc<dyn Store>, rows: usize, runs: usize) -> PricingFigures {
    let BenchCompany { services, counting, tenant, admin, account } = crate::bench_company::seed(store.clone()).await;

    // The catalogue, written directly (its upserts are not what is measured).
    let details = ProductInput {
        name: "Producto".into(),
        description: None,
        department: Some("Ferretería".into()),
        group: None,
        subgroup: None,
        unit: None,
        tax_rate_bp: Some(1300),
        warranty_months: None,
        active: None,
        variants: Vec::new(),
    }
    .validate()
    .unwrap();
    let at: jiff::Timestamp = "2026-11-01T12:00:00Z".parse().unwrap();
    let mut ops = Vec::new();
    for n in 0..rows {
        let product = Product {
            code: code(n),
            details: ProductDetails { name: format!("Producto {n}"), ..details.clone() },
            created_at: at,
            updated_at: at,
            updated_by: admin.user.clone(),
        };
        ops.push(WriteOp::Put { item: product_item(&tenant, &product, 1).unwrap(), condition: Condition::ALWAYS });
        if ops.len() == 100 {
            store.write(std::mem::take(&mut ops)).await.unwrap();
        }
    }
    if !ops.is_empty() {
        store.write(ops).await.unwrap();
    }

    // The account's list lacks every tenth product; the default list has those.
    let (own, general) = (PriceListKey::parse("distribuidores").unwrap(), PriceListKey::parse("general").unwrap());
    for (key, default) in [(&own, false), (&general, true)] {
        let input = PriceListInput { name: key.to_string(), currency: "CRC".into(), active: None, default };
        services.save_price_list(&admin, key, &input, None).await.unwrap();
    }
    let row = |n: usize, bump| PriceRowInput { product: code(n), prices: prices(n, bump) };
    let started = Instant::now();
    sync_all(&services, &admin, &own, (0..rows).filter(|n| n % 10 != 7).map(|n| row(n, 0)).collect()).await;
    let first_sync_millis = started.elapsed().as_millis();
    sync_all(&services, &admin, &general, (0..rows).filter(|n| n % 10 == 7).map(|n| row(n, 50)).collect()).await;
    services.set_account_price_list(&admin, account, Some(&own)).await.unwrap();

    // The daily sync: the whole list again, 1 % of it changed.
    let started = Instant::now();
    let again = (0..rows).filter(|n| n % 10 != 7).map(|n| row(n, if n % 90 == 0 { 7 } else { 0 })).collect();
    let (resync_written, resync_unchanged) = sync_all(&services, &admin, &own, again).await;
    let resync_millis = started.elapsed().as_millis();

    // A 100-line quote: products spread over the catalogue, quantities across the breaks.
    let lines: Vec<PricingLine> = (0..100)
        .map(|i| PricingLine {
            product: code((i * 197) % rows),
            quantity: Quantity::from_milli(((i % 4) as i64 * 40 + 1) * 1000).unwrap(),
        })
        .collect();
    let request = PricingRequest {
        account_id: Some(account),
        price_list: None,
        date: Some(jiff::civil::date(2026, 12, 15)),
        lines,
    };
    services.price_lines(&admin, &request).await.unwrap(); // warm up
    counting.counts.reset();
    let answer = services.price_lines(&admin, &request).await.unwrap();
    let calls = counting.counts.calls();
    let (_, items_read, _) = counting.counts.snapshot();
    let from = |list: &PriceListKey| {
        answer.lines.iter().filter(|l| l.price.as_ref().is_some_and(|p| &p.price_list == list)).count()
    };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        std::hint::black_box(services.price_lines(&admin, &request).await.unwrap());
        times.push(started.elapsed().as_micros());
    }
    times.sort_unstable();
    PricingFigures {
        rows,
        lines: answer.lines.len(),
        from_account_list: from(&own),
        from_default: from(&general),
        calls,
        items_read,
        micros: times[times.len() / 2],
        first_sync_millis,
        resync_written,
        resync_unchanged,
        resync_millis,
    }
}
