//! Sales [ventas]: pipelines and the opportunities that move through them.

pub mod forecast;
pub mod opportunity;
pub mod pipeline;

pub use opportunity::{NewOpportunity, Opportunity, OpportunityPatch};
pub use pipeline::{ForecastCategory, Pipeline, Pipelines, RequiredField, Stage};
