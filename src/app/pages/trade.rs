//! The trade: properties and their boundaries, quotes, jobs.

mod crews;
mod editor;
mod jobs;
mod properties;
mod quotes;
mod routes;
mod schedule;

pub use crews::*;
pub use jobs::*;
pub use properties::*;
pub use quotes::*;
pub use routes::*;
pub use schedule::*;
