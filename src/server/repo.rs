//! Repositories: every function takes a `TenantTx`, never a pool, and every
//! query names `org_id` explicitly as well (the index, and a second line of
//! defence behind row-level security).

pub mod audit;
pub mod auth_tokens;
pub mod customers;
pub mod invitations;
pub mod jobs;
pub mod orgs;
pub mod outbox;
pub mod pricing;
pub mod properties;
pub mod quotes;
pub mod users;
