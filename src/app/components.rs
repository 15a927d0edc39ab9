//! Reusable view pieces: form fields with live validation, status banners,
//! the page header and small states (loading, empty, error).

mod designer;
mod field;
mod header;
mod live;
mod loaded;
mod offline;
mod status;
mod tabs;

pub use designer::*;
pub use field::*;
pub use header::*;
pub use live::*;
pub use loaded::*;
pub use offline::*;
pub use status::*;
pub use tabs::*;
