//! Shared types and validation rules: compiled into both the server and the
//! WASM client, so a form is checked by the same code in both places.

mod auth;
pub mod billing;
pub mod catalogue;
mod customer;
pub mod domain;
pub mod export;
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

/// "12,345": a whole number with thousands separators.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
        assert_eq!(super::thousands(-12345), "-12,345");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(super::count(1, "spool", "spools"), "1 spool");
        assert_eq!(super::count(3u32, "spool", "spools"), "3 spools");
        assert_eq!(super::count(0, "collar", "collars"), "0 collars");
    }
}
