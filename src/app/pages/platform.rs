//! The platform's own pages: landing with pricing, signup, finding your
//! company's login, and platform administration.

mod admin;
mod billing;
mod find;
mod landing;
mod signup;

pub use admin::*;
pub use billing::*;
pub use find::*;
pub use landing::*;
pub use signup::*;
