//! Pages by area.

mod auth;
mod customers;
mod dashboard;
mod onboarding;
mod platform;
mod settings;
mod trade;

pub use auth::*;
pub use customers::*;
pub use dashboard::*;
pub use onboarding::*;
pub use platform::*;
pub use settings::*;
pub use trade::*;
