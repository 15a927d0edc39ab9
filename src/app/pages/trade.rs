//! The trade: properties and their boundaries, quotes, jobs.

mod batteries;
mod crews;
mod editor;
mod jobs;
mod properties;
mod quotes;
mod reminders;
mod routes;
mod schedule;

pub use batteries::*;
pub use crews::*;
pub use jobs::*;
pub use properties::*;
pub use quotes::*;
pub use reminders::*;
pub use routes::*;
pub use schedule::*;
