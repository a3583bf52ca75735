//! Quote use cases: written and priced, revised once sent, sent, accepted or rejected, listed.
//!
//! Quotes belong to the opportunities module of profiles (they are sales work): its record
//! scope applies to their owners. Lines from the catalogue are priced by [`Services::price_lines`]
//! from the account's list (then the default) unless the author gives a price; each line keeps
//! the list and version it was priced from.

use jiff::civil::Date;

use super::merged_list::list_merged;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::access::{Module, Operation, Permission};
use crate::actor::{Actor, Forbidden};
use crate::ids::{EntityId, TenantId, UserId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::records;
use crate::sales::pricing::{PricingLine, PricingProblem, PricingRequest};
use crate::sales::product::DEFAULT_UNIT;
use crate::sales::quote::{
    DEFAULT_VALID_DAYS, Decision, DecisionInput, LineAmounts, QuoteInput, QuoteLine, QuoteTotals, REASON_MAX,
};
use crate::sales::{Quote, QuoteStatus};
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Page, Versioned};

pub const ENTITY: &str = "Quote";
pub const REVISION_ENTITY: &str = "QuoteRevision";

#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such quote")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the quote changed since version {expected}")]
    Stale { expected: u64 },
    /// Accepted or rejected: it changes no more.
    #[error("the quote is {}", .0.as_str())]
    Decided(QuoteStatus),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ListError> for QuoteError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::Invalid(v) => QuoteError::Invalid(v),
            ListError::Store(s) => QuoteError::Store(s),
        }
    }
}

/// `GET /quotes` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuoteFilter {
    pub account: Option<EntityId>,
    pub status: Option<QuoteStatus>,
    pub owner: Option<UserId>,
}

/// The quote's item with its listings: by number, by owner, by account.
pub(super) fn quote_item(tenant: &TenantId, quote: &Quote, version: u64) -> Result<Item, StoreError> {
    Ok(Item::new(keys::quote(tenant, quote.id), ENTITY, version, records::body(quote)?)
        .with_index(Index::Gsi1, keys::quotes_listing(tenant, &quote.number))
        .with_index(Index::Gsi2, keys::quotes_of_owner(tenant, &quote.owner, &quote.number))
        .with_index(Index::Gsi3, keys::quotes_of_account(tenant, quote.account_id, &quote.number)))
}

/// A quote's lines and totals as they would be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotePreview {
    pub currency: String,
    pub lines: Vec<QuoteLine>,
    pub totals: QuoteTotals,
}

/// The write that replaces the quote read at `version`.
fn replace_op(tenant: &TenantId, quote: &Quote, version: u64) -> Result<WriteOp, StoreError> {
    Ok(WriteOp::Put {
        item: quote_item(tenant, quote, version + 1)?,
        condition: Condition::version_is(conditions::QUOTE, version),
    })
}

/// What the lines and their references came to.
struct Written {
    currency: String,
    valid_until: Date,
    lines: Vec<QuoteLine>,
}

impl Services {
    /// `POST /quotes`, under the id a form was given when shown, so that sending it twice
    /// writes one quote (`true`: the first one's, replayed).
    pub async fn create_quote_once(
        &self,
        actor: &Actor,
        input: &QuoteInput,
        id: EntityId,
    ) -> Result<(Versioned<Quote>, bool), QuoteError> {
        actor.permit(Permission::new(Module::Opportunities, Operation::Create))?;
        let tenant = &actor.tenant;
        if let Some(existing) = self.load::<Quote>(&keys::quote(tenant, id)).await? {
            return if existing.value.created_by == actor.user {
                Ok((existing, true))
            } else {
                Err(StoreError::ConditionFailed { name: conditions::QUOTE }.into())
            };
        }
        let written = self.written_quote(actor, input).await?;
        let number = self.store.increment(&keys::quote_numbers(tenant), 1, None).await?;
        let now = self.clock.now();
        let totals = QuoteTotals::of(&written.lines);
        let quote = Quote {
            id,
            number: format!("COT-{number:06}"),
            revision: 1,
            status: QuoteStatus::Draft,
            account_id: input.account_id,
            contact_id: input.contact_id,
            opportunity_id: input.opportunity_id,
            currency: written.currency,
            valid_until: written.valid_until,
            lines: written.lines,
            totals,
            notes: input.notes.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
            owner: actor.user.clone(),
            sent_at: None,
            decision: None,
            order_id: None,
            created_at: now,
            created_by: actor.user.clone(),
            updated_at: now,
            updated_by: actor.user.clone(),
        };
        let item = quote_item(tenant, &quote, 1)?;
        match self.store.write(vec![WriteOp::Put { item, condition: Condition::not_exists(conditions::QUOTE) }]).await {
            Ok(()) => Ok((Versioned { value: quote, version: 1 }, false)),
            // Sent twice at once: the first one's (a number was spent on the second).
            Err(StoreError::ConditionFailed { .. }) => match self.load::<Quote>(&keys::quote(tenant, id)).await? {
                Some(existing) if existing.value.created_by == actor.user => Ok((existing, true)),
                _ => Err(StoreError::ConditionFailed { name: conditions::QUOTE }.into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    pub async fn create_quote(&self, actor: &Actor, input: &QuoteInput) -> Result<Versioned<Quote>, QuoteError> {
        self.create_quote_once(actor, input, self.new_id()).await.map(|(quote, _)| quote)
    }

    /// The quote, if the caller's scope reaches its owner.
    pub async fn get_quote(&self, actor: &Actor, id: EntityId) -> Result<Versioned<Quote>, QuoteError> {
        actor.permit(Permission::new(Module::Opportunities, Operation::Read))?;
        self.load::<Quote>(&keys::quote(&actor.tenant, id))
            .await?
            .filter(|q| actor.sees(Module::Opportunities, Some(&q.value.owner)))
            .ok_or(QuoteError::NotFound)
    }

    /// `PUT /quotes/{id}`: rewrites the quote at the version read. A draft changes in place; a
    /// sent quote becomes the next revision, a draft again, and the one sent is kept.
    pub async fn update_quote(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        input: &QuoteInput,
    ) -> Result<Versioned<Quote>, QuoteError> {
        let (before, version) = self.changing_quote(actor, id, expected).await?;
        let written = self.written_quote(actor, input).await?;
        let now = self.clock.now();
        let revised = before.status == QuoteStatus::Sent;
        let quote = Quote {
            revision: before.revision + u32::from(revised),
            status: QuoteStatus::Draft,
            account_id: input.account_id,
            contact_id: input.contact_id,
            opportunity_id: input.opportunity_id,
            currency: written.currency,
            valid_until: written.valid_until,
            totals: QuoteTotals::of(&written.lines),
            lines: written.lines,
            notes: input.notes.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned),
            sent_at: if revised { None } else { before.sent_at },
            updated_at: now,
            updated_by: actor.user.clone(),
            ..before.clone()
        };
        let mut ops = vec![replace_op(&actor.tenant, &quote, version)?];
        if revised {
            let key = keys::quote_revision(&actor.tenant, id, before.revision);
            let item = Item::new(key, REVISION_ENTITY, 1, records::body(&before)?);
            ops.push(WriteOp::Put { item, condition: Condition::ALWAYS });
        }
        self.write_quote(ops, quote, version).await
    }

    /// `POST /quotes/{id}/send`: marks the quote sent (again, if it was). An expired quote is
    /// revised with a new date first.
    pub async fn send_quote(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<Versioned<Quote>, QuoteError> {
        let (before, version) = self.changing_quote(actor, id, expected).await?;
        let today = self.tenant_today(&actor.tenant).await?;
        if before.is_expired(today) {
            return Err(
                ValidationErrors::single("validUntil", msg::quote_expired(before.valid_until.to_string())).into()
            );
        }
        let now = self.clock.now();
        let quote = Quote {
            status: QuoteStatus::Sent,
            sent_at: Some(now),
            updated_at: now,
            updated_by: actor.user.clone(),
            ..before
        };
        let ops = vec![replace_op(&actor.tenant, &quote, version)?];
        self.write_quote(ops, quote, version).await
    }

    /// `POST /quotes/{id}/decision`: the customer accepted it, or rejected it (and why).
    pub async fn decide_quote(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        input: &DecisionInput,
    ) -> Result<Versioned<Quote>, QuoteError> {
        let (before, version) = self.changing_quote(actor, id, expected).await?;
        let mut e = ValidationErrors::new();
        let reason = e.optional_text("reason", input.reason.as_deref(), REASON_MAX, true);
        if !input.accepted && reason.is_none() && e.is_empty() {
            e.add("reason", msg::reason_for_rejection());
        }
        let today = self.tenant_today(&actor.tenant).await?;
        if input.accepted && before.is_expired(today) {
            e.add("validUntil", msg::quote_expired(before.valid_until.to_string()));
        }
        e.finish()?;
        let now = self.clock.now();
        let quote = Quote {
            status: if input.accepted { QuoteStatus::Accepted } else { QuoteStatus::Rejected },
            decision: Some(Decision { accepted: input.accepted, reason, at: now, by: actor.user.clone() }),
            updated_at: now,
            updated_by: actor.user.clone(),
            ..before
        };
        let ops = vec![replace_op(&actor.tenant, &quote, version)?];
        self.write_quote(ops, quote, version).await
    }

    /// The quote a change applies to, and the version the caller read, while it may still change.
    async fn changing_quote(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<(Quote, u64), QuoteError> {
        actor.permit(Permission::new(Module::Opportunities, Operation::Update))?;
        let current = self.get_quote(actor, id).await?;
        let version = expected.admit(current.version).ok_or(QuoteError::Stale { expected: expected.named() })?;
        if current.value.status.is_decided() {
            return Err(QuoteError::Decided(current.value.status));
        }
        Ok((current.value, version))
    }

    async fn write_quote(&self, ops: Vec<WriteOp>, quote: Quote, version: u64) -> Result<Versioned<Quote>, QuoteError> {
        match self.store.write(ops).await {
            Ok(()) => Ok(Versioned { value: quote, version: version + 1 }),
            Err(StoreError::ConditionFailed { name: conditions::QUOTE }) => {
                Err(QuoteError::Stale { expected: version })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The revisions sent before the current one, oldest first.
    pub async fn quote_revisions(&self, actor: &Actor, id: EntityId) -> Result<Vec<Quote>, QuoteError> {
        self.get_quote(actor, id).await?;
        let query = Query::partition(keys::quote_partition(&actor.tenant, id))
            .range(crate::ports::SortKeyRange::BeginsWith(keys::QUOTE_REVISION_PREFIX.into()));
        let page =
            list_page(self.store.as_ref(), query, &PageRequest { limit: 100, cursor: None }, |_: &Quote| true).await?;
        Ok(page.items.into_iter().map(|v| v.value).collect())
    }

    /// `GET /quotes`: newest first, within the caller's scope; one account's, or one owner's.
    pub async fn list_quotes(
        &self,
        actor: &Actor,
        filter: &QuoteFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Quote>>, ListError> {
        let tenant = &actor.tenant;
        let owners = actor.owners_seen(Module::Opportunities);
        if let (Some(owners), Some(owner)) = (&owners, &filter.owner)
            && !owners.contains(owner)
        {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        let keep = |q: &Quote| {
            actor.sees(Module::Opportunities, Some(&q.owner))
                && filter.status.is_none_or(|s| q.status == s)
                && filter.owner.as_ref().is_none_or(|o| &q.owner == o)
                && filter.account.is_none_or(|a| q.account_id == a)
        };
        if let Some(account) = filter.account {
            // An account has a handful: its list reads on past those outside the filter.
            let query = Query::index(Index::Gsi3, keys::quotes_of_account_partition(tenant, account)).backward();
            return list_page(self.store.as_ref(), query, page, keep).await;
        }
        let by_owner =
            |owner: &UserId| Query::index(Index::Gsi2, keys::quotes_of_owner_partition(tenant, owner)).backward();
        let mut queries = match (&filter.owner, &owners) {
            (Some(owner), _) => vec![by_owner(owner)],
            (None, Some(owners)) => owners.iter().map(by_owner).collect(),
            (None, None) => vec![Query::index(Index::Gsi1, keys::quotes_listing_partition(tenant)).backward()],
        };
        if queries.is_empty() {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
        if queries.len() == 1 {
            return list_page(self.store.as_ref(), queries.remove(0), page, keep).await;
        }
        list_merged(self.store.as_ref(), queries, page, keep).await
    }

    /// What a quote written so would come to, without writing it: the editor's live totals.
    pub async fn preview_quote(&self, actor: &Actor, input: &QuoteInput) -> Result<QuotePreview, QuoteError> {
        actor.permit(Permission::new(Module::Opportunities, Operation::Read))?;
        let written = self.written_quote(actor, input).await?;
        Ok(QuotePreview { currency: written.currency, totals: QuoteTotals::of(&written.lines), lines: written.lines })
    }

    /// Checks the input against what is stored (the account, its contact and opportunity, the
    /// catalogue and the lists) and prices its lines.
    async fn written_quote(&self, actor: &Actor, input: &QuoteInput) -> Result<Written, QuoteError> {
        let tenant = &actor.tenant;
        let today = self.tenant_today(tenant).await?;
        let mut checked = ValidationErrors::new();
        input.check(today, &mut checked);
        checked.finish()?;
        let mut e = ValidationErrors::new();
        let mut refs = vec![keys::account(tenant, input.account_id)];
        refs.extend(input.contact_id.map(|c| keys::contact(tenant, c)));
        refs.extend(input.opportunity_id.map(|o| keys::opportunity(tenant, o)));
        let found = self.store.get_many(&refs).await?;
        if found[0].is_none() {
            e.add("accountId", msg::no_such_account());
        }
        let mut rest = found.iter().skip(1);
        if input.contact_id.is_some() {
            let contact =
                rest.next().and_then(Option::as_ref).map(records::read::<crate::contact::Contact>).transpose()?;
            if contact.is_none_or(|c| c.account_id != Some(input.account_id)) {
                e.add("contactId", msg::no_such_contact_of_account());
            }
        }
        if input.opportunity_id.is_some() {
            let opportunity =
                rest.next().and_then(Option::as_ref).map(records::read::<crate::sales::Opportunity>).transpose()?;
            if !opportunity.is_some_and(|o| {
                o.account_id == input.account_id && actor.sees(Module::Opportunities, o.owner.as_ref())
            }) {
                e.add("opportunityId", msg::no_such_opportunity_of_account());
            }
        }
        if !e.is_empty() {
            return Err(e.into());
        }

        // The catalogue's lines, priced together.
        let pricing: Vec<(usize, PricingLine)> = input
            .lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.product.clone().map(|product| (i, PricingLine { product, quantity: l.quantity })))
            .collect();
        let answer = if pricing.is_empty() {
            None
        } else {
            let request = PricingRequest {
                account_id: Some(input.account_id),
                price_list: input.price_list.clone(),
                date: Some(today),
                lines: pricing.iter().map(|(_, l)| l.clone()).collect(),
            };
            Some(self.price_lines(actor, &request).await.map_err(|error| match error {
                super::price_lists::PriceListError::Invalid(v) => QuoteError::Invalid(v),
                super::price_lists::PriceListError::Forbidden(f) => QuoteError::Forbidden(f),
                super::price_lists::PriceListError::Store(s) => QuoteError::Store(s),
                other => QuoteError::Store(StoreError::Unavailable(other.to_string())),
            })?)
        };
        let mut list_currency: Option<String> = None;
        let mut lines = Vec::with_capacity(input.lines.len());
        for (i, line) in input.lines.iter().enumerate() {
            let field = |name: &str| format!("lines[{i}].{name}");
            let priced = pricing.iter().position(|(at, _)| *at == i).and_then(|j| answer.as_ref().map(|a| &a.lines[j]));
            let (description, unit, tax, unit_price, source) = match priced {
                None => (
                    line.description.clone().unwrap_or_default(),
                    DEFAULT_UNIT.to_owned(),
                    line.tax_rate_bp.unwrap_or(0),
                    line.unit_price_minor.unwrap_or(0),
                    None,
                ),
                Some(priced) => {
                    let code = &priced.product;
                    match priced.problem {
                        Some(PricingProblem::NotInCatalogue) => {
                            e.add(field("product"), msg::not_in_catalogue(code.as_str()));
                            continue;
                        }
                        Some(PricingProblem::Inactive) => {
                            e.add(field("product"), msg::product_inactive(code.as_str()));
                            continue;
                        }
                        _ => {}
                    }
                    let unit_price = match (line.unit_price_minor, &priced.price) {
                        (Some(given), _) => given,
                        (None, Some(price)) => {
                            list_currency.get_or_insert_with(|| price.currency.clone());
                            price.unit_price_minor
                        }
                        (None, None) => {
                            e.add(field("product"), msg::not_priced(code.as_str()));
                            continue;
                        }
                    };
                    let source = match line.unit_price_minor {
                        Some(_) => None,
                        None => priced.price.as_ref().map(|p| (p.price_list.clone(), p.version)),
                    };
                    (
                        line.description.clone().or_else(|| priced.name.clone()).unwrap_or_else(|| code.to_string()),
                        priced.unit.clone().unwrap_or_else(|| DEFAULT_UNIT.to_owned()),
                        line.tax_rate_bp.or(priced.tax_rate_bp).unwrap_or(0),
                        unit_price,
                        source,
                    )
                }
            };
            let discount = line.discount_bp.unwrap_or(0);
            let (price_list, price_list_version) = source.map_or((None, None), |(l, v)| (Some(l), Some(v)));
            lines.push(QuoteLine {
                product: line.product.clone(),
                description: description.trim().to_owned(),
                quantity: line.quantity,
                unit,
                unit_price_minor: unit_price,
                discount_bp: discount,
                tax_rate_bp: tax,
                price_list,
                price_list_version,
                amounts: LineAmounts::of(line.quantity, unit_price, discount, tax),
            });
        }
        let currency = match (&input.currency, &list_currency) {
            (Some(given), Some(list)) if given != list => {
                e.add("currency", msg::currency_of_list(list));
                None
            }
            (Some(given), _) => Some(given.clone()),
            (None, Some(list)) => Some(list.clone()),
            // Unless a line failed already (its price would have named the currency).
            (None, None) => {
                if e.is_empty() {
                    e.add("currency", msg::required());
                }
                None
            }
        };
        e.finish()?;
        let valid_until =
            input.valid_until.unwrap_or_else(|| today.saturating_add(jiff::Span::new().days(DEFAULT_VALID_DAYS)));
        Ok(Written { currency: currency.unwrap_or_default(), valid_until, lines })
    }
}
