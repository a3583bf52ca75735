//! Every entity the use cases store, and the type its items read as.

use serde_json::{Map, Value};

use super::{
    access, access_log, accounts, case_recency, case_types, cases, change, contacts, directory, documents, forecast,
    forms, goals, leads, opportunities, orders, organisation, outbox, pipelines, price_lists, products, quotes,
    receivables, search, sessions, sla, tenants, views, webhook_deliveries, webhooks,
};
use crate::ports::Item;
use crate::records::{self, Stored, stored_as_is};

// The use cases' own stored types, stored as they are (see `records`).
stored_as_is!(
    contacts::EmailClaim,
    sla::SlaEntry,
    case_recency::CaseRecency,
    sla::SlaWatermark,
    receivables::DunningState,
    receivables::InvoiceWatermark,
    forms::Submission,
    forms::PostRecord,
    leads::LeadClaim,
    directory::OptOut,
    directory::ClaimRecord,
    tenants::Tenant,
    sessions::Session,
    sessions::ShownOnce,
    views::SavedView,
    crate::search::SearchDoc,
    crate::webhook::Subscription,
    crate::webhook::Delivery,
    webhooks::WantedEvents,
    crate::access::AccessPolicy,
    crate::organisation::Organisation,
    crate::access_log::AccessEntry,
    crate::sales::Pipelines,
    crate::sales::goal::GoalSheet,
    forecast::CellTotals,
    crate::sales::forecast_history::Movement,
    crate::sales::Product,
    crate::sales::Quote,
    crate::sales::Order,
    crate::sales::PriceList,
    crate::sales::PriceRow,
    crate::sales::price_list::PriceListVersion,
    price_lists::DraftCounts,
    price_lists::ListPointer,
);

/// Reads a stored item as the type its entity names and writes it back: the body today's code
/// would store for it. The stored-record fixture test runs every fixture through it; an entity
/// without a type here is an error.
pub fn read_and_rewrite(item: &Item) -> Result<Map<String, Value>, String> {
    fn again<T: Stored>(item: &Item) -> Result<Map<String, Value>, String> {
        let value: T = records::read(item).map_err(|e| e.to_string())?;
        records::body(&value).map_err(|e| e.to_string())
    }
    match item.entity.as_str() {
        accounts::ENTITY => again::<crate::account::Account>(item),
        contacts::ENTITY => again::<crate::contact::Contact>(item),
        contacts::EMAIL_CLAIM_ENTITY => again::<contacts::EmailClaim>(item),
        cases::ENTITY => again::<crate::case::Case>(item),
        cases::COMMENT_ENTITY => again::<crate::history::Comment>(item),
        case_recency::RECENCY_ENTITY => again::<case_recency::CaseRecency>(item),
        change::EVENT_ENTITY => again::<crate::history::HistoryEvent>(item),
        case_types::ENTITY | case_types::VERSION_ENTITY => again::<crate::case_type::CaseType>(item),
        sla::CALENDAR_ENTITY => again::<crate::calendar::CalendarDef>(item),
        sla::POLICY_ENTITY => again::<crate::sla::SlaPolicy>(item),
        sla::ENTRY_ENTITY => again::<sla::SlaEntry>(item),
        // Both sweeps keep a watermark; their keys differ, and so do their bodies.
        sla::WATERMARK_ENTITY if item.key == crate::keys::sla_watermark() => again::<sla::SlaWatermark>(item),
        receivables::WATERMARK_ENTITY => again::<receivables::InvoiceWatermark>(item),
        outbox::ENTITY => again::<crate::effects::EffectMessage>(item),
        forms::FORM_ENTITY => again::<crate::form::StoredForm>(item),
        forms::SUBMISSION_ENTITY => again::<forms::Submission>(item),
        forms::POST_ENTITY => again::<forms::PostRecord>(item),
        leads::ENTITY => again::<crate::lead::Lead>(item),
        sessions::ENTITY => again::<sessions::Session>(item),
        sessions::ONCE_ENTITY => again::<sessions::ShownOnce>(item),
        views::ENTITY => again::<views::SavedView>(item),
        search::WORD_ENTITY => again::<crate::search::SearchDoc>(item),
        leads::CLAIM_ENTITY => again::<leads::LeadClaim>(item),
        opportunities::ENTITY => again::<crate::sales::Opportunity>(item),
        pipelines::ENTITY => again::<crate::sales::Pipelines>(item),
        goals::ENTITY => again::<crate::sales::goal::GoalSheet>(item),
        forecast::CELL_ENTITY => again::<forecast::CellTotals>(item),
        forecast::MOVEMENT_ENTITY => again::<crate::sales::forecast_history::Movement>(item),
        products::ENTITY => again::<crate::sales::Product>(item),
        quotes::ENTITY | quotes::REVISION_ENTITY => again::<crate::sales::Quote>(item),
        orders::ENTITY => again::<crate::sales::Order>(item),
        price_lists::ENTITY => again::<crate::sales::PriceList>(item),
        price_lists::ROW_ENTITY => again::<crate::sales::PriceRow>(item),
        price_lists::VERSION_ENTITY => again::<crate::sales::price_list::PriceListVersion>(item),
        price_lists::DRAFT_ENTITY => again::<price_lists::DraftCounts>(item),
        price_lists::DEFAULT_ENTITY | price_lists::ACCOUNT_LIST_ENTITY => again::<price_lists::ListPointer>(item),
        receivables::INVOICE_ENTITY => again::<crate::receivables::Invoice>(item),
        receivables::PAYMENT_ENTITY => again::<crate::receivables::Payment>(item),
        receivables::CREDIT_NOTE_ENTITY => again::<crate::receivables::CreditNote>(item),
        receivables::DUNNING_ENTITY => again::<receivables::DunningState>(item),
        receivables::LADDER_ENTITY => again::<crate::receivables::DunningLadder>(item),
        receivables::PROFILE_ENTITY => again::<crate::receivables::CollectionsProfile>(item),
        access_log::ENTITY => again::<crate::access_log::AccessEntry>(item),
        access::POLICY_ENTITY => again::<crate::access::AccessPolicy>(item),
        organisation::ENTITY => again::<crate::organisation::Organisation>(item),
        directory::USER_ENTITY => again::<crate::user::User>(item),
        directory::OPT_OUT_ENTITY => again::<directory::OptOut>(item),
        directory::CLAIM_ENTITY => again::<directory::ClaimRecord>(item),
        tenants::ENTITY => again::<tenants::Tenant>(item),
        documents::ENTITY => again::<crate::document::Document>(item),
        webhooks::SUBSCRIPTION_ENTITY => again::<crate::webhook::Subscription>(item),
        webhooks::WANTED_EVENTS_ENTITY => again::<webhooks::WantedEvents>(item),
        webhook_deliveries::DELIVERY_ENTITY => again::<crate::webhook::Delivery>(item),
        crate::ports::COUNTER_ENTITY => again::<records::Counter>(item),
        other => Err(format!("no stored type for entity {other}")),
    }
}
