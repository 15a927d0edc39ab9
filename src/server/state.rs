//! Shared server state: the application-role pool, configuration, the
//! password-hashing threads, the photo-decode permits and the server's
//! secrets. Cheap to clone; handed to requests by middleware.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::Semaphore;

use super::config::Config;
use super::keys::Keys;
use super::password::Hasher;
use super::storage::Storage;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    /// Connected as `fence_app`: subject to row-level security.
    pub pool: PgPool,
    pub config: Config,
    /// A few dedicated threads for argon2 (each hash uses ~19 MiB and a core),
    /// fed by a queue that is fair between tenants and clients.
    pub hasher: Hasher,
    /// Photo decodes allowed at once (one per core by default): each can
    /// take hundreds of MiB, so they are bounded by the machine, not by the
    /// number of uploads in flight.
    pub decodes: Arc<Semaphore>,
    /// Photos and other files.
    pub storage: Storage,
    pub keys: Keys,
    /// Rate-limit refusals this instance remembers (see `throttle`).
    pub denials: super::throttle::Denials,
    /// The tenant events this instance hears, for live pages (see `live`).
    pub live: super::live::Live,
    /// Hosts, users and sessions held in memory (see `cache`).
    pub caches: super::cache::Caches,
    /// The streaming replica lists may be read from (see `replica`).
    pub replica: super::replica::Replica,
    /// This cell and the directory of the others, if there are several
    /// (see `cells`).
    pub cells: Option<super::cells::Cells>,
    /// Requests each tenant made this minute (see `budget`).
    pub budgets: super::budget::Budgets,
    /// Stripe, or its built-in stand-in (see `billing`).
    pub billing: super::billing::Billing,
}

impl AppState {
    /// The tenant's base URL for links: its verified custom domain, else
    /// its subdomain.
    pub fn tenant_base(&self, brand: &crate::model::TenantBrand) -> String {
        self.config
            .tenant_base(&brand.subdomain, brand.custom_domain.as_deref())
    }

    /// The platform's name where a tenant's team or homeowners read it:
    /// `None` for a white-labelled tenant.
    pub fn platform_name(&self, brand: &crate::model::TenantBrand) -> Option<&str> {
        (!brand.white_label).then_some(self.config.platform.name.as_str())
    }

    pub fn new(
        pool: PgPool,
        config: Config,
        storage: Storage,
        keys: Keys,
        billing: super::billing::Billing,
        cells: Option<super::cells::Cells>,
    ) -> AppState {
        let hasher = Hasher::new(config.platform.password_hash_concurrency.max(1));
        let decodes = Arc::new(Semaphore::new(config.uploads.decodes()));
        let caches = super::cache::Caches::new(std::time::Duration::from_secs(
            config.platform.cache_seconds,
        ));
        let replica = super::replica::Replica::start(
            config.replica_url(),
            config.platform.db_pool_size,
            config.replica_max_lag,
            pool.clone(),
        );
        let live = super::live::Live::start(
            config.app_url().to_string(),
            caches.clone(),
            replica.clone(),
        );
        let budgets = super::budget::Budgets::new(config.platform.requests_per_minute);
        AppState(Arc::new(Inner {
            pool,
            config,
            hasher,
            decodes,
            storage,
            keys,
            denials: Default::default(),
            budgets,
            caches,
            replica,
            cells,
            live,
            billing,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
