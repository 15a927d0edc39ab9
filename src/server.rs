//! Server-only code: configuration, the database and its tenant
//! transactions, request context, authentication, repositories and routes.

pub mod auth;
pub mod batteries;
pub mod billing;
pub mod budget;
pub mod cache;
pub mod cells;
pub mod config;
pub mod context;
pub mod db;
pub mod deletion;
pub mod device;
pub mod domains;
pub mod emails;
pub mod exports;
pub mod host;
pub mod import;
pub mod jobs;
pub mod keys;
pub mod legacy;
pub mod live;
pub mod mail;
pub mod notices;
pub mod ops;
pub mod password;
pub mod photo_routes;
pub mod photos;
pub mod platform;
pub mod quoting;
pub mod redirect;
pub mod replica;
pub mod repo;
pub mod restore;
pub mod router;
pub mod routes;
pub mod routing;
pub mod schedule;
pub mod security;
pub mod seed;
pub mod signup;
pub mod sms;
pub mod split;
pub mod state;
pub mod storage;
pub mod team;
pub mod telemetry;
pub mod templates;
pub mod throttle;
pub mod tokens;
pub mod workers;

pub use context::{ctx, RequestCtx};
pub use db::TenantTx;
pub use state::AppState;

/// Finishes a server function: on error, sets the HTTP status for API
/// clients (a plain form post keeps its redirect back to the form).
pub fn reply<T>(result: Result<T, crate::error::AppError>) -> Result<T, crate::error::AppError> {
    use leptos::prelude::use_context;
    if let Err(e) = &result {
        if let (Some(parts), Some(res)) = (
            use_context::<http::request::Parts>(),
            use_context::<leptos_axum::ResponseOptions>(),
        ) {
            let form_post = parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"));
            if !form_post {
                if let Ok(status) = http::StatusCode::from_u16(e.status()) {
                    res.set_status(status);
                }
            }
        }
    }
    result
}

pub use redirect::safe_next;
