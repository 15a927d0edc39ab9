//! Reusable view pieces: form fields with live validation, status banners,
//! the page header and small states (loading, empty, error).

mod field;
mod header;
mod status;

pub use field::*;
pub use header::*;
pub use status::*;
