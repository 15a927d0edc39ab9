//! Shared types and validation rules: compiled into both the server and the
//! WASM client, so a form is checked by the same code in both places.

mod auth;
pub mod catalogue;
mod customer;
pub mod job;
mod org;
mod plan;
pub mod pricing;
pub mod property;
pub mod quote;
mod role;
mod states;
pub mod takeoff;
mod validate;

pub use auth::*;
pub use catalogue::Catalogue;
pub use customer::*;
pub use job::JobStatus;
pub use org::*;
pub use plan::*;
pub use property::*;
pub use quote::*;
pub use role::*;
pub use states::*;
pub use takeoff::{Drawing, Layout, Pt, TakeOff};
pub use validate::*;
