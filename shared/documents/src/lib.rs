//! Documents: typst templates rendered to PDF with embedded fonts ([`render`]), the view they
//! read ([`view`]) with amounts, dates and words formatted per language ([`format`]), and the
//! documents worker's use case ([`worker`]). Only the documents function and the local runner
//! link this crate, so typst stays out of every other binary.

#[doc(hidden)]
pub mod fixtures;
pub use gestiona_domain::format;
pub mod render;
pub mod view;
pub mod worker;

pub use render::{RenderError, Rendered, Renderer};
pub use worker::{DocumentError, DocumentWorker, Outcome};
