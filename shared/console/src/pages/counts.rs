//! The counts beside *Mi trabajo* and *Prospectos* in the navigation: cases waiting for the
//! user (and how many are overdue), and their new leads. Pages load them after they render
//! (htmx, `hx-swap-oob`), so no page waits for them; each user's are kept a minute in the
//! function's memory, and dropped as soon as the user changes something.

use std::time::Duration;

use askama::Template;
use gestiona_domain::lead::LeadStatus;
use gestiona_domain::messages as msg;
use gestiona_domain::service::PageRequest;
use gestiona_domain::service::leads::LeadFilter;
use http::StatusCode;
use lambda_http::{Body, Response};

use super::cases::my_open_cases;
use super::{Chrome, page};
use crate::session::SignedIn;
use crate::{Console, response};

/// How long a user's counts are reused.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// New leads counted; more shows as `99+`.
const LEADS_COUNTED: u32 = 99;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavCounts {
    pub needs_me: usize,
    pub overdue: usize,
    pub new_leads: usize,
    /// More new leads than counted.
    pub more_leads: bool,
}

#[derive(Template)]
#[template(path = "nav_counts.html")]
struct CountsFragment {
    chrome: Chrome,
    counts: NavCounts,
}

/// `GET /app/counts`: the navigation's counts, as out-of-band swaps.
pub async fn nav(console: &Console, signed_in: &SignedIn) -> Response<Body> {
    let chrome = Chrome::of(signed_in, "");
    let key = (signed_in.session.tenant.clone(), signed_in.session.user.clone());
    let counts = match console.counts.get(&key) {
        Some(counts) => counts,
        None => {
            let mine = match my_open_cases(console, signed_in).await {
                Ok(mine) => mine,
                Err(response) => return response,
            };
            let now = console.services.now();
            let needs_me = mine.needs_me().count();
            let overdue =
                mine.needs_me().filter(|c| mine.deadlines.get(&c.value.id).is_some_and(|d| d.overdue(now))).count();
            let filter = LeadFilter {
                owner: Some(signed_in.session.user.clone()),
                status: Some(LeadStatus::New),
                ..Default::default()
            };
            let first = PageRequest::new(Some(LEADS_COUNTED), None).expect("a valid page size");
            let leads = match console.services.list_leads(&signed_in.actor, &filter, &first).await {
                Ok(found) => found,
                Err(error) => {
                    tracing::error!(?error, "the new leads could not be counted");
                    return response::unavailable(chrome.locale);
                }
            };
            let counts =
                NavCounts { needs_me, overdue, new_leads: leads.items.len(), more_leads: leads.next_cursor.is_some() };
            console.counts.put(key, counts);
            counts
        }
    };
    page(StatusCode::OK, &CountsFragment { chrome, counts })
}
