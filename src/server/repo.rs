//! Repositories: every function takes a `TenantTx`, never a pool, and every
//! query names `org_id` explicitly as well (the index, and a second line of
//! defence behind row-level security). SQL is checked at build time
//! (`query!`, with `.sqlx/` committed for offline builds).

pub mod audit;
pub mod auth_tokens;
pub mod billing;
pub mod customers;
pub mod exports;
pub mod imports;
pub mod invitations;
pub mod jobs;
pub mod notices;
pub mod orgs;
pub mod outbox;
pub mod pricing;
pub mod properties;
pub mod quotes;
pub mod schedule;
pub mod sms;
pub mod storage;
pub mod templates;
pub mod users;

use crate::error::AppError;

/// A value read back from the database that the code does not know (a
/// status, role or plan outside its enum): a loud internal error naming the
/// column, never a silent default.
#[track_caller]
pub fn corrupt(column: &str, value: &str) -> AppError {
    crate::server::db::internal_msg(&format!("unknown value {value:?} in {column}"))
}
