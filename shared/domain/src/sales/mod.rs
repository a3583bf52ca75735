//! Sales [ventas]: pipelines and the opportunities that move through them, the product
//! catalogue and its price lists, quotes, orders and goals.

pub mod forecast;
pub mod forecast_history;
pub mod goal;
pub mod opportunity;
pub mod order;
pub mod pipeline;
pub mod price_list;
pub mod pricing;
pub mod product;
pub mod quote;

pub use opportunity::{NewOpportunity, Opportunity, OpportunityPatch};
pub use order::{Order, OrderStatus};
pub use pipeline::{ForecastCategory, Pipeline, Pipelines, RequiredField, Stage};
pub use price_list::{PriceList, PriceRow, Quantity};
pub use product::{Product, ProductDetails};
pub use quote::{Quote, QuoteStatus};
