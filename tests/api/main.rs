//! Database, API and isolation tests: one binary. Each test starts the real
//! router on port 0 against its own fresh database, with the server
//! connected as the application role (never the owner).

mod helpers;

mod auth;
mod billing;
mod budget;
mod caches;
mod catalog;
mod cells;
mod concurrency;
mod customers;
mod deletion;
mod domains;
mod exports;
mod hardening_auth;
mod hardening_ops;
mod hardening_tenant;
mod hosts;
mod imports;
mod isolation_db;
mod isolation_http;
mod mail;
mod replica;
mod repos;
mod restores;
mod schedule;
mod scratch;
mod shutdown;
mod signup;
mod sms;
mod stripe_contract;
mod team;
mod trade;
mod trade_isolation;
mod white_label;
