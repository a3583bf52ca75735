//! Orders [pedidos]: an accepted quote's lines, copied so that nothing done to the order or its
//! invoice changes the quote the customer accepted; invoiced once into receivables.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::quote::{QuoteLine, QuoteTotals};
use crate::ids::{DocumentNumber, EntityId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrderStatus {
    Open,
    Invoiced,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    pub id: EntityId,
    /// `PED-000042`, given once in creation order.
    pub number: String,
    pub quote_id: EntityId,
    /// The quote's number and the revision accepted.
    pub quote_number: String,
    pub quote_revision: u32,
    pub account_id: EntityId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<EntityId>,
    pub currency: String,
    pub lines: Vec<QuoteLine>,
    pub totals: QuoteTotals,
    pub status: OrderStatus,
    /// The invoice it became in receivables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<DocumentNumber>,
    pub owner: UserId,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// `POST /orders/{id}/invoice`: how the invoice is numbered and dated.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceOrder {
    /// Default: `F-` and the order's number (`F-PED-000042`).
    #[serde(default)]
    pub number: Option<DocumentNumber>,
    /// Default: today.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub issued_on: Option<Date>,
    /// Default: the issue date plus the account's days of credit.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub due_on: Option<Date>,
}

impl Order {
    /// The invoice number an order gets unless told otherwise: the same for every attempt, so
    /// invoicing again after a failure finds the invoice written before instead of a second.
    pub fn default_invoice_number(&self) -> DocumentNumber {
        DocumentNumber::parse(&format!("F-{}", self.number)).expect("an order number makes a valid invoice number")
    }
}
