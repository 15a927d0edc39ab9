//! Server functions by area. Each is thin: request context, one tenant
//! transaction, repository calls, commit. Each has a stable endpoint under
//! `/api/`.

pub mod admin;
pub mod auth;
pub mod billing;
pub mod customers;
pub mod data;
pub mod domains;
pub mod jobs;
pub mod pricebook;
pub mod properties;
pub mod quotes;
pub mod reminders;
pub mod schedule;
pub mod settings;
pub mod shell;
pub mod signup;
pub mod sms;
pub mod team;
pub mod templates;
