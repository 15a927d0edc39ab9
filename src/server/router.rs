//! Builds the whole server: the application pool (refused if it could
//! bypass RLS or the schema is not migrated), sessions, the context
//! middleware, security headers, telemetry and all routes. Migrations are
//! not run here: `fence migrate` does that, as the owner.
//!
//! Layers, outermost first: request id, metrics and panic catching
//! (`telemetry::observe`); the request's tracing span (tower-http); the
//! security headers; compression; sessions; the context middleware; routes.
//! `/health`, `/ready` and `/metrics` sit outside sessions and context.

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::{time::Duration, SameSite};
use tower_sessions::{session_store::ExpiredDeletion, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use tracing::Level;

use super::config::Config;
use super::{context, db, keys, ops, photo_routes, routes, security, telemetry, AppState};
use crate::app::{shell, App};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "fenceline_session";

/// Largest body a server function or form may send (photos have their own).
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// The app's routes, generated once per process.
///
/// Generating them runs the whole app with resource loading suppressed by a
/// process-wide flag (leptos_server's `SuppressResourceLoad`): a resource
/// that any other render in the process polls first while the flag is up
/// waits forever, and its page never answers (leptos-rs/leptos#4773). One
/// server per process never meets it; several in one process (the API
/// tests) did, now and then. Generating once, before any router exists,
/// leaves no render to meet the flag.
pub fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// This build's app files under `/pkg/v/<build>/` (see `server::split`):
/// the same for every host, so outside the host routing and sessions, and
/// cached by browsers for good. Files of another build are not found there.
fn assets(options: &LeptosOptions) -> Router {
    use axum::http::{header, HeaderValue};
    let Some(build) = super::split::build_id() else {
        return Router::new();
    };
    let dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    Router::new()
        .nest_service(
            &format!("/{}/v/{build}", options.site_pkg_dir),
            tower_http::services::ServeDir::new(dir),
        )
        .layer(axum::middleware::map_response(
            |mut res: axum::response::Response| async move {
                if res.status().is_success() {
                    res.headers_mut().insert(
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("public, max-age=31536000, immutable"),
                    );
                }
                res
            },
        ))
}

/// Connects and assembles the router.
pub async fn build(config: Config, options: LeptosOptions) -> Result<(Router, AppState), String> {
    telemetry::metrics();
    let pool = db::connect_app(config.app_url(), config.platform.db_pool_size).await?;
    let keys = keys::Keys::load(&pool).await?;
    let storage = super::storage::Storage::open(&config.storage)?;
    let billing = super::billing::Billing::start(&config).await?;
    let cells = match &config.cell {
        Some(c) => {
            let cells = super::cells::Cells::connect(&c.name, c.directory())?;
            if let Err(e) = cells.register(&c.url).await {
                tracing::warn!(error = ?e, "cells: could not register this cell in the directory");
            }
            Some(cells)
        }
        None => None,
    };
    let state = AppState::new(pool.clone(), config, storage, keys, billing, cells);
    state.budgets.spawn_flusher(state.pool.clone());

    let store = PostgresStore::new(pool)
        .with_schema_name("tower_sessions")?
        .with_table_name("session")?;
    tokio::spawn({
        let store = store.clone();
        async move {
            let _ = store
                .continuously_delete_expired(tokio::time::Duration::from_secs(3600))
                .await;
        }
    });
    let store = super::cache::CachedSessions::new(store, state.caches.clone(), state.pool.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(Duration::days(
            state.config.platform.session_days,
        )));

    super::split::load(&options.site_root, &options.site_pkg_dir);
    let route_list = route_list();
    // Uploads carry files (streamed, with their own limits)...
    let uploads = Router::new()
        .route(
            "/settings/logo",
            post(routes::upload_logo)
                .layer(DefaultBodyLimit::max(routes::MAX_LOGO_BYTES + 64 * 1024)),
        )
        .route(
            "/settings/favicon",
            post(routes::upload_favicon)
                .layer(DefaultBodyLimit::max(routes::MAX_FAVICON_BYTES + 16 * 1024)),
        )
        .route(
            "/settings/data/restore",
            post(super::restore::upload).layer(DefaultBodyLimit::max(
                super::restore::MAX_UPLOAD_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/settings/import",
            post(super::import::upload).layer(DefaultBodyLimit::max(
                super::import::MAX_UPLOAD_BYTES as usize + 64 * 1024,
            )),
        )
        .route(
            "/jobs/{id}/photos",
            post(photo_routes::upload_photo).layer(DefaultBodyLimit::max(
                super::photos::MAX_PHOTO_BYTES * photo_routes::MAX_PHOTOS_PER_UPLOAD + 64 * 1024,
            )),
        );
    // ...everything else (pages, server functions) takes small bodies: a
    // larger one is refused with 413 before anything reads it.
    let pages = Router::new()
        .route("/brand/logo", get(routes::logo))
        .route("/brand/favicon", get(routes::favicon))
        .route("/sw.js", get(routes::service_worker))
        .route("/auth/handoff", get(routes::handoff))
        .route("/go", get(routes::go))
        .route("/events", get(super::live::events))
        .route("/exports/{id}/download", get(super::exports::download))
        .route(
            "/settings/import/{id}/plan.csv",
            get(super::import::plan_csv),
        )
        .route("/photos/{id}", get(photo_routes::photo))
        .route("/photos/{id}/thumb", get(photo_routes::photo_thumb))
        .leptos_routes(&options, route_list, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BYTES));
    let assets = assets(&options);
    let app = uploads
        .merge(pages)
        .layer(from_fn_with_state(state.clone(), context::resolve))
        .layer(sessions)
        .with_state(options);
    let router = Router::new()
        .merge(ops::router(state.clone()))
        .merge(assets)
        // The reverse proxy's question before an on-demand certificate:
        // asked from the proxy's host, so outside the host routing.
        .route(
            "/tls/ask",
            axum::routing::get(super::domains::ask).with_state(state.clone()),
        )
        // Stripe's webhooks: authenticated by their signature, not by a
        // session or an Origin, so outside the context middleware.
        .route(
            "/stripe/webhook",
            axum::routing::post(super::billing::webhook)
                .layer(DefaultBodyLimit::max(512 * 1024))
                .with_state(state.clone()),
        )
        // Twilio's webhooks (a homeowner's reply, a delivery report):
        // authenticated by their signature.
        .route(
            super::sms::INBOUND_PATH,
            axum::routing::post(super::sms::inbound)
                .layer(DefaultBodyLimit::max(64 * 1024))
                .with_state(state.clone()),
        )
        .route(
            super::sms::STATUS_PATH,
            axum::routing::post(super::sms::status)
                .layer(DefaultBodyLimit::max(64 * 1024))
                .with_state(state.clone()),
        )
        .merge(app)
        // Pages, JS and WASM travel gzip- or brotli-compressed when the
        // browser asks (images and tiny bodies are left alone).
        .layer(CompressionLayer::new())
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::make_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(from_fn(telemetry::observe));
    Ok((router, state))
}
