//! Shared server state: the application-role pool, configuration and the
//! password-hashing threads. Cheap to clone; handed to requests by middleware.

use std::sync::Arc;

use sqlx::PgPool;

use super::config::Config;
use super::password::Hasher;
use super::storage::Storage;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    /// Connected as `fence_app`: subject to row-level security.
    pub pool: PgPool,
    pub config: Config,
    /// A few dedicated threads for argon2 (each hash uses ~19 MiB and a core).
    pub hasher: Hasher,
    /// Photos and other files.
    pub storage: Storage,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config, storage: Storage) -> AppState {
        let hasher = Hasher::new(config.platform.password_hash_concurrency.max(1));
        AppState(Arc::new(Inner {
            pool,
            config,
            hasher,
            storage,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
