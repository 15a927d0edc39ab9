//! The trade: properties and their boundaries, quotes, jobs.

mod editor;
mod jobs;
mod properties;
mod quotes;

pub use jobs::*;
pub use properties::*;
pub use quotes::*;
