//! Shared server state: the application-role pool, configuration and the
//! password-hashing gate. Cheap to clone; handed to requests by middleware.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::Semaphore;

use super::config::Config;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    /// Connected as `fence_app`: subject to row-level security.
    pub pool: PgPool,
    pub config: Config,
    /// Bounds concurrent argon2 hashing (each uses ~19 MiB and a core).
    pub hashing: Semaphore,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> AppState {
        let permits = config.platform.password_hash_concurrency.max(1);
        AppState(Arc::new(Inner {
            pool,
            config,
            hashing: Semaphore::new(permits),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
