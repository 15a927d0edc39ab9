//! Shared types and validation rules: compiled into both the server and the
//! WASM client, so a form is checked by the same code in both places.

mod auth;
mod customer;
mod org;
mod plan;
mod role;
mod states;
mod validate;

pub use auth::*;
pub use customer::*;
pub use org::*;
pub use plan::*;
pub use role::*;
pub use states::*;
pub use validate::*;
