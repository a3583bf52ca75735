//! Order use cases: an accepted quote becomes one order (its lines copied), and an order one
//! invoice in receivables, where aging and the dunning ladder take it up.
//!
//! Both steps are safe to repeat. The quote names its order in the same write that creates it,
//! so a second conversion finds the first. The invoice is upserted under a number the order
//! always derives the same way (unless given), then the order names it: an attempt that failed
//! between the two writes finds, when repeated, the invoice unchanged and completes the order.

use super::merged_list::list_merged;
use super::quotes::quote_item;
use super::receivables::SaveInvoiceError;
use super::{ListError, PageRequest, Services, conditions, list_page};
use crate::access::{Module, Operation, Permission};
use crate::actor::{Actor, Forbidden};
use crate::ids::{EntityId, TenantId, UserId};
use crate::keys;
use crate::messages as msg;
use crate::ports::{Condition, Index, Item, Query, StoreError, WriteOp};
use crate::receivables::{Invoice, InvoiceInput};
use crate::records;
use crate::sales::order::InvoiceOrder;
use crate::sales::{Order, OrderStatus, Quote, QuoteStatus};
use crate::validation::ValidationErrors;
use crate::{ExpectedVersion, Page, Versioned};

pub const ENTITY: &str = "Order";

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    #[error("no such order or quote")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("it changed since version {expected}")]
    Stale { expected: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `GET /orders` filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub account: Option<EntityId>,
    pub status: Option<OrderStatus>,
}

fn order_item(tenant: &TenantId, order: &Order, version: u64) -> Result<Item, StoreError> {
    Ok(Item::new(keys::order(tenant, order.id), ENTITY, version, records::body(order)?)
        .with_index(Index::Gsi1, keys::orders_listing(tenant, &order.number))
        .with_index(Index::Gsi2, keys::orders_of_owner(tenant, &order.owner, &order.number))
        .with_index(Index::Gsi3, keys::orders_of_account(tenant, order.account_id, &order.number)))
}

impl Services {
    /// `POST /quotes/{id}/order`: the accepted quote's order (`true`: it had one already).
    pub async fn order_quote(
        &self,
        actor: &Actor,
        quote_id: EntityId,
        expected: ExpectedVersion,
    ) -> Result<(Versioned<Order>, bool), OrderError> {
        actor.permit(Permission::new(Module::Opportunities, Operation::Update))?;
        let quote = self.get_quote(actor, quote_id).await.map_err(|e| match e {
            super::quotes::QuoteError::Forbidden(f) => OrderError::Forbidden(f),
            super::quotes::QuoteError::Store(s) => OrderError::Store(s),
            _ => OrderError::NotFound,
        })?;
        if let Some(order) = quote.value.order_id {
            return Ok((self.get_order(actor, order).await?, true));
        }
        let version = expected.admit(quote.version).ok_or(OrderError::Stale { expected: expected.named() })?;
        let q = &quote.value;
        if q.status != QuoteStatus::Accepted {
            return Err(ValidationErrors::single("status", msg::quote_not_accepted()).into());
        }
        let number = self.store.increment(&keys::order_numbers(&actor.tenant), 1, None).await?;
        let now = self.clock.now();
        let order = Order {
            id: self.new_id(),
            number: format!("PED-{number:06}"),
            quote_id: q.id,
            quote_number: q.number.clone(),
            quote_revision: q.revision,
            account_id: q.account_id,
            contact_id: q.contact_id,
            currency: q.currency.clone(),
            lines: q.lines.clone(),
            totals: q.totals.clone(),
            status: OrderStatus::Open,
            invoice_number: None,
            owner: q.owner.clone(),
            created_at: now,
            created_by: actor.user.clone(),
            updated_at: now,
            updated_by: actor.user.clone(),
        };
        let ordered = Quote { order_id: Some(order.id), updated_at: now, updated_by: actor.user.clone(), ..q.clone() };
        let ops = vec![
            WriteOp::Put {
                item: order_item(&actor.tenant, &order, 1)?,
                condition: Condition::not_exists(conditions::ORDER),
            },
            WriteOp::Put {
                item: quote_item(&actor.tenant, &ordered, version + 1)?,
                condition: Condition::version_is(conditions::QUOTE, version),
            },
        ];
        match self.store.write(ops).await {
            Ok(()) => Ok((Versioned { value: order, version: 1 }, false)),
            Err(StoreError::ConditionFailed { .. }) => Err(OrderError::Stale { expected: version }),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_order(&self, actor: &Actor, id: EntityId) -> Result<Versioned<Order>, OrderError> {
        actor.permit(Permission::new(Module::Opportunities, Operation::Read))?;
        self.load::<Order>(&keys::order(&actor.tenant, id))
            .await?
            .filter(|o| actor.sees(Module::Opportunities, Some(&o.value.owner)))
            .ok_or(OrderError::NotFound)
    }

    /// `POST /orders/{id}/invoice`: the order's invoice in receivables (who may record invoices),
    /// for the order's total in its currency, due by the account's days of credit unless dated.
    pub async fn invoice_order(
        &self,
        actor: &Actor,
        id: EntityId,
        expected: ExpectedVersion,
        input: &InvoiceOrder,
    ) -> Result<(Versioned<Order>, Versioned<Invoice>), OrderError> {
        actor.permit(Permission::new(Module::Receivables, Operation::Create))?;
        let order = self.get_order(actor, id).await?;
        if let Some(number) = &order.value.invoice_number {
            let invoice = self.get_invoice(actor, number).await.map_err(|e| match e {
                super::receivables::GetInvoiceError::NotFound => OrderError::NotFound,
                super::receivables::GetInvoiceError::Store(s) => OrderError::Store(s),
            })?;
            return Ok((order, invoice));
        }
        let version = expected.admit(order.version).ok_or(OrderError::Stale { expected: expected.named() })?;
        let o = &order.value;
        let number = input.number.clone().unwrap_or_else(|| o.default_invoice_number());
        let issued_on = match input.issued_on {
            Some(day) => day,
            None => self.tenant_today(&actor.tenant).await?,
        };
        let invoice = InvoiceInput {
            account_id: o.account_id,
            contact_id: o.contact_id,
            currency: o.currency.clone(),
            issued_on,
            due_on: input.due_on,
            total_minor: o.totals.total_minor,
            description: Some(format!("{} ({} v{})", o.number, o.quote_number, o.quote_revision)),
        };
        let (invoice, _) = self.upsert_invoice(actor, &number, &invoice).await.map_err(invoice_error)?;
        let now = self.clock.now();
        let invoiced = Order {
            status: OrderStatus::Invoiced,
            invoice_number: Some(number),
            updated_at: now,
            updated_by: actor.user.clone(),
            ..o.clone()
        };
        let op = WriteOp::Put {
            item: order_item(&actor.tenant, &invoiced, version + 1)?,
            condition: Condition::version_is(conditions::ORDER, version),
        };
        match self.store.write(vec![op]).await {
            Ok(()) => Ok((Versioned { value: invoiced, version: version + 1 }, invoice)),
            Err(StoreError::ConditionFailed { .. }) => Err(OrderError::Stale { expected: version }),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /orders`: newest first within the caller's scope; one account's, or by status.
    pub async fn list_orders(
        &self,
        actor: &Actor,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> Result<Page<Versioned<Order>>, ListError> {
        let tenant = &actor.tenant;
        let keep = |o: &Order| {
            actor.sees(Module::Opportunities, Some(&o.owner))
                && filter.status.is_none_or(|s| o.status == s)
                && filter.account.is_none_or(|a| o.account_id == a)
        };
        if let Some(account) = filter.account {
            let query = Query::index(Index::Gsi3, keys::orders_of_account_partition(tenant, account)).backward();
            return list_page(self.store.as_ref(), query, page, keep).await;
        }
        let by_owner =
            |owner: &UserId| Query::index(Index::Gsi2, keys::orders_of_owner_partition(tenant, owner)).backward();
        let mut queries = match actor.owners_seen(Module::Opportunities) {
            Some(owners) => owners.iter().map(by_owner).collect(),
            None => vec![Query::index(Index::Gsi1, keys::orders_listing_partition(tenant)).backward()],
        };
        match queries.len() {
            0 => Ok(Page { items: Vec::new(), next_cursor: None }),
            1 => list_page(self.store.as_ref(), queries.remove(0), page, keep).await,
            _ => list_merged(self.store.as_ref(), queries, page, keep).await,
        }
    }
}

fn invoice_error(e: SaveInvoiceError) -> OrderError {
    match e {
        SaveInvoiceError::Forbidden(f) => OrderError::Forbidden(f),
        SaveInvoiceError::Invalid(v) => OrderError::Invalid(v),
        SaveInvoiceError::Store(s) => OrderError::Store(s),
        // Someone else was writing the same invoice: the caller may repeat.
        SaveInvoiceError::Busy => OrderError::Stale { expected: 0 },
    }
}
