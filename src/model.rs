//! Shared types and validation rules: compiled into both the server and the
//! WASM client, so a form is checked by the same code in both places.

mod auth;
pub mod billing;
pub mod catalogue;
mod customer;
pub mod domain;
pub mod job;
pub mod mail;
mod org;
mod plan;
pub mod pricing;
pub mod property;
pub mod quote;
mod role;
pub mod routing;
pub mod schedule;
pub mod sms;
mod states;
pub mod takeoff;
pub mod templates;
pub mod time;
mod validate;

pub use auth::*;
pub use catalogue::Catalogue;
pub use customer::*;
pub use job::{AmountKind, JobStatus};
pub use mail::{Delivery, DeliveryState, ReminderChoice};
pub use org::*;
pub use plan::*;
pub use property::*;
pub use quote::*;
pub use role::*;
pub use states::*;
pub use takeoff::{Drawing, Layout, Pt, TakeOff};
pub use validate::*;

/// "1 spool", "3 spools": a count with its noun in the right number.
pub fn count(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn counts_agree_in_number() {
        assert_eq!(super::count(1, "spool", "spools"), "1 spool");
        assert_eq!(super::count(3u32, "spool", "spools"), "3 spools");
        assert_eq!(super::count(0, "collar", "collars"), "0 collars");
    }
}
