//! Builds the whole server: migrations, the application pool (refused if it
//! could bypass RLS), sessions, the context middleware, and all routes.

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_sessions::cookie::{time::Duration, SameSite};
use tower_sessions::{session_store::ExpiredDeletion, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use super::config::Config;
use super::{context, db, photo_routes, routes, AppState};
use crate::app::{shell, App};
use axum::extract::DefaultBodyLimit;
use tower_http::compression::CompressionLayer;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "fenceline_session";

/// Migrates, connects and assembles the router.
pub async fn build(config: Config, options: LeptosOptions) -> Result<(Router, AppState), String> {
    db::migrate(config.owner_url()).await?;
    let pool = db::connect_app(config.app_url(), config.platform.db_pool_size).await?;
    let storage = super::storage::Storage::open(&config.storage)?;
    let state = AppState::new(pool.clone(), config, storage);

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
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(Duration::days(
            state.config.platform.session_days,
        )));

    super::split::load(&options.site_root, &options.site_pkg_dir);
    let route_list = generate_route_list(App);
    let router = Router::new()
        .route("/brand/logo", get(routes::logo))
        .route("/settings/logo", post(routes::upload_logo))
        .route("/auth/handoff", get(routes::handoff))
        .route("/go", get(routes::go))
        .route(
            "/jobs/{id}/photos",
            post(photo_routes::upload_photo).layer(DefaultBodyLimit::max(
                super::photos::MAX_PHOTO_BYTES * photo_routes::MAX_PHOTOS_PER_UPLOAD + 64 * 1024,
            )),
        )
        .route("/photos/{id}", get(photo_routes::photo))
        .route("/photos/{id}/thumb", get(photo_routes::photo_thumb))
        .leptos_routes(&options, route_list, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(from_fn_with_state(state.clone(), context::resolve))
        .layer(sessions)
        // Pages, JS and WASM travel gzip- or brotli-compressed when the
        // browser asks (images and tiny bodies are left alone).
        .layer(CompressionLayer::new())
        .with_state(options);
    Ok((router, state))
}
