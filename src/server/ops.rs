//! Operations endpoints on the platform host (404 on any tenant's):
//! `/health` (the process answers), `/ready` (and reaches the database) and
//! `/metrics` (Prometheus text; with `METRICS_TOKEN` set it needs
//! `Authorization: Bearer <token>`, without one only loopback may scrape).
//! They sit outside the session and context layers, so a load balancer's
//! probe costs no database round trip (but `/ready`'s own).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret;

use super::host::{classify, HostMatch};
use super::{db, telemetry, AppState};

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
}

fn on_platform(state: &AppState, req: &Request) -> bool {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    classify(host, &state.config.platform.domain) == HostMatch::Platform
}

async fn health(State(state): State<AppState>, req: Request) -> Response {
    if !on_platform(&state, &req) {
        return super::context::not_found();
    }
    (StatusCode::OK, "ok\n").into_response()
}

async fn ready(State(state): State<AppState>, req: Request) -> Response {
    if !on_platform(&state, &req) {
        return super::context::not_found();
    }
    if db::ping(&state.pool).await {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
    }
}

async fn metrics(State(state): State<AppState>, req: Request) -> Response {
    if !on_platform(&state, &req) {
        return super::context::not_found();
    }
    let allowed = match &state.config.metrics_token {
        Some(token) => req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| constant_time_eq(t.as_bytes(), token.expose_secret().as_bytes())),
        None => req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|c| c.0.ip().is_loopback()),
    };
    if !allowed {
        return (StatusCode::UNAUTHORIZED, "metrics need the bearer token\n").into_response();
    }
    let size = state.pool.size() as f64;
    let idle = state.pool.num_idle() as f64;
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(size - idle);
    metrics::gauge!("db_pool_max_connections").set(f64::from(state.config.platform.db_pool_size));
    metrics::gauge!("photo_decode_permits_free").set(state.decodes.available_permits() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::metrics().render(),
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
