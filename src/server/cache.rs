//! What nearly every request reads, kept in memory: which tenant a host
//! names (with its standing and plan), the signed-in user, and the session
//! record. Before, each request asked the database for all three (six round
//! trips of its ten) before doing its own work.
//!
//! Memory is an optimisation, never a second source of truth:
//!
//! - Every entry is stamped with the generation of what it was read from,
//!   taken *before* the read: the tenant's generation for a host or a user,
//!   the session's for a session, a shared one for hosts that named no
//!   tenant, and this instance's epoch. An entry whose stamp is no longer
//!   current is never served, so a change that lands while a request is
//!   reading cannot leave the old value behind.
//! - A change to a tenant's organization row or one of its users announces
//!   the tenant on the `fence_cache` channel (triggers, migration 0034),
//!   delivered at commit; every instance's listener ([`super::live`]) then
//!   bumps that tenant's generation (and the no-tenant one). A session
//!   saved or deleted is announced the same way ([`CachedSessions`]).
//! - The instance that made a change bumps the generation itself at commit
//!   too ([`super::TenantTx::identity_changed`]), so its own next request
//!   sees the change without waiting for the announcement.
//! - While the listener is not connected, nothing is served from memory
//!   (it could miss announcements); every (re)connection moves the epoch,
//!   which drops everything held before.
//! - Entries also expire after [`TTL`].

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use moka::sync::Cache;
use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::PostgresStore;
use uuid::Uuid;

use super::context::UserRef;
use crate::model::billing::Standing;
use crate::model::PlanCode;

/// The channel changes are announced on (migration 0034).
pub const CHANNEL: &str = "fence_cache";
/// How long an entry may be served at most.
pub const TTL: Duration = Duration::from_secs(60);
const CAPACITY: u64 = 200_000;
const SHARDS: usize = 4096;

tokio::task_local! {
    /// The caches of the instance serving the request (set by the context
    /// middleware), for [`tenant_changed`].
    static SERVING: Caches;
}

/// Runs a request with its instance's caches at hand.
pub async fn serving<F: std::future::Future>(caches: Caches, f: F) -> F::Output {
    SERVING.scope(caches, f).await
}

/// The instance serving this request drops every entry read from this
/// tenant before now, without waiting for the database's announcement
/// (which reaches every instance, this one included, just after). Outside
/// a request (a worker) only the announcement does it.
pub fn tenant_changed(org: Uuid) {
    let _ = SERVING.try_with(|c| c.tenant_changed(org));
}

fn looked_up(cache: &'static str, hit: bool) {
    metrics::counter!("cache_lookups_total", "cache" => cache, "hit" => if hit { "yes" } else { "no" })
        .increment(1);
}

/// A tenant named by a host: its id, billing standing and plan.
pub type HostTenant = (Uuid, Standing, PlanCode);

#[derive(Clone)]
struct Stamp {
    epoch: u64,
    generation: u64,
}

/// This instance's caches.
#[derive(Clone)]
pub struct Caches(Arc<Inner>);

struct Inner {
    /// False when CACHE_SECONDS is 0: nothing is kept.
    enabled: bool,
    /// Generations, sharded by a hash of the key (tenant or session id).
    generations: Box<[AtomicU64]>,
    /// The generation of hosts that named no tenant.
    no_tenant: AtomicU64,
    hosts: Cache<String, (Stamp, Option<HostTenant>)>,
    users: Cache<(Uuid, Uuid), (Stamp, Option<UserRef>)>,
    sessions: Cache<Id, (Stamp, Option<Record>)>,
    epoch: AtomicU64,
    /// Whether the listener is connected (else nothing is served).
    listening: AtomicBool,
    /// The last `sync:` marker heard: every announcement made before it
    /// was heard too (PostgreSQL delivers them in commit order).
    synced: std::sync::Mutex<String>,
}

/// A stamp taken before reading, to store the value read with.
pub struct Ticket(Option<Stamp>);

impl Default for Caches {
    fn default() -> Self {
        Caches::new(TTL)
    }
}

impl Caches {
    /// Caches whose entries live `ttl` at most; none at all for zero.
    pub fn new(ttl: Duration) -> Self {
        Caches(Arc::new(Inner {
            enabled: !ttl.is_zero(),
            generations: (0..SHARDS).map(|_| AtomicU64::new(0)).collect(),
            no_tenant: AtomicU64::new(0),
            hosts: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl.max(Duration::from_secs(1)))
                .build(),
            users: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl.max(Duration::from_secs(1)))
                .build(),
            sessions: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl.max(Duration::from_secs(1)))
                .build(),
            epoch: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            synced: Default::default(),
        }))
    }
}

impl Caches {
    fn shard(&self, key: &impl Hash) -> &AtomicU64 {
        let mut h = std::hash::DefaultHasher::new();
        key.hash(&mut h);
        &self.0.generations[(h.finish() as usize) % SHARDS]
    }

    /// The current generation of a tenant's (or a session's) entries.
    fn generation(&self, key: &impl Hash) -> u64 {
        self.shard(key).load(Ordering::Acquire)
    }

    fn no_tenant(&self) -> u64 {
        self.0.no_tenant.load(Ordering::Acquire)
    }

    /// Drops every entry read from this tenant before now.
    pub fn tenant_changed(&self, org: Uuid) {
        self.shard(&org).fetch_add(1, Ordering::AcqRel);
        self.0.no_tenant.fetch_add(1, Ordering::AcqRel);
    }

    fn session_changed(&self, id: &Id) {
        self.shard(&id.0).fetch_add(1, Ordering::AcqRel);
    }

    fn stamp(&self, generation: u64) -> Option<Stamp> {
        (self.0.enabled && self.0.listening.load(Ordering::Acquire)).then(|| Stamp {
            epoch: self.0.epoch.load(Ordering::Acquire),
            generation,
        })
    }

    fn current(&self, s: &Stamp, generation: u64) -> bool {
        self.0.listening.load(Ordering::Acquire)
            && s.epoch == self.0.epoch.load(Ordering::Acquire)
            && s.generation == generation
    }

    /// The listener is connected (again): start afresh.
    pub fn listening(&self) {
        self.0.epoch.fetch_add(1, Ordering::AcqRel);
        self.0.listening.store(true, Ordering::Release);
    }

    /// The listener is lost: serve nothing until it is back.
    pub fn deaf(&self) {
        self.0.listening.store(false, Ordering::Release);
        self.0.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// An announcement heard on [`CHANNEL`].
    pub fn heard(&self, payload: &str) {
        metrics::counter!("cache_invalidations_total").increment(1);
        if let Some(org) = payload
            .strip_prefix("org:")
            .and_then(|s| s.parse::<Uuid>().ok())
        {
            self.tenant_changed(org);
        } else if let Some(id) = payload
            .strip_prefix("session:")
            .and_then(|s| s.parse::<i128>().ok())
        {
            self.session_changed(&Id(id));
        } else if let Some(marker) = payload.strip_prefix("sync:") {
            *self.0.synced.lock().unwrap_or_else(|e| e.into_inner()) = marker.to_string();
        } else {
            // Something unknown: drop everything rather than guess.
            self.0.epoch.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Whether the `sync:` marker `m` was the last heard (an operator's
    /// tool, or a test, announces one after changing rows by hand and waits
    /// for it: by then every instance has dropped what the change retired).
    pub fn synced(&self, m: &str) -> bool {
        *self.0.synced.lock().unwrap_or_else(|e| e.into_inner()) == m
    }

    /// The tenant a host names, if known and current.
    pub fn host(&self, key: &str) -> Option<Option<HostTenant>> {
        let (stamp, value) = self.0.hosts.get(key)?;
        let generation = match &value {
            Some((org, ..)) => self.generation(org),
            None => self.no_tenant(),
        };
        let hit = self.current(&stamp, generation);
        looked_up("hosts", hit);
        hit.then_some(value)
    }

    /// Before reading a host: the no-tenant generation (the tenant's is
    /// taken when the answer names one, see [`Caches::keep_host`]).
    pub fn host_ticket(&self) -> Ticket {
        Ticket(self.stamp(self.no_tenant()))
    }

    /// Keeps what the database said of a host, read after `before` was
    /// taken ([`Caches::host_ticket`]); only if no tenant changed meanwhile.
    pub fn keep_host(&self, key: String, before: Ticket, value: Option<HostTenant>) {
        let Some(stamp) = before.0 else { return };
        // The no-tenant generation moves with every tenant's change: if it
        // did not move during the read, neither did this tenant's.
        if self.no_tenant() != stamp.generation {
            return;
        }
        let stamp = match &value {
            Some((org, ..)) => Stamp {
                epoch: stamp.epoch,
                generation: self.generation(org),
            },
            None => stamp,
        };
        self.0.hosts.insert(key, (stamp, value));
    }

    /// A tenant's user, if known and current.
    pub fn user(&self, org: Uuid, id: Uuid) -> Option<Option<UserRef>> {
        let (stamp, value) = self.0.users.get(&(org, id))?;
        let hit = self.current(&stamp, self.generation(&org));
        looked_up("users", hit);
        hit.then_some(value)
    }

    pub fn user_ticket(&self, org: Uuid) -> Ticket {
        Ticket(self.stamp(self.generation(&org)))
    }

    pub fn keep_user(&self, org: Uuid, id: Uuid, before: Ticket, value: Option<UserRef>) {
        if let Some(stamp) = before.0 {
            self.0.users.insert((org, id), (stamp, value));
        }
    }

    fn keep_session(&self, id: Id, before: Ticket, value: Option<Record>) {
        if let Some(stamp) = before.0 {
            self.0.sessions.insert(id, (stamp, value));
        }
    }

    fn session(&self, id: &Id) -> Option<Option<Record>> {
        let (stamp, value) = self.0.sessions.get(id)?;
        let hit = self.current(&stamp, self.generation(&id.0))
            && value.as_ref().is_none_or(|r| {
                r.expiry_date > tower_sessions::cookie::time::OffsetDateTime::now_utc()
            });
        looked_up("sessions", hit);
        hit.then_some(value)
    }
}

/// The session store: PostgreSQL, read through this instance's memory.
/// A save or a delete drops the session here at once and announces it to
/// the other instances.
#[derive(Clone)]
pub struct CachedSessions {
    store: PostgresStore,
    caches: Caches,
    pool: PgPool,
}

impl std::fmt::Debug for CachedSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CachedSessions")
    }
}

impl CachedSessions {
    pub fn new(store: PostgresStore, caches: Caches, pool: PgPool) -> Self {
        CachedSessions {
            store,
            caches,
            pool,
        }
    }

    async fn changed(&self, id: &Id) -> session_store::Result<()> {
        self.caches.session_changed(id);
        sqlx::query!(
            "select pg_notify($1, $2)",
            CHANNEL,
            format!("session:{}", id.0)
        )
        .execute(&self.pool)
        .await
        .map_err(|e| session_store::Error::Backend(e.to_string()))?;
        Ok(())
    }
}

#[async_trait]
impl SessionStore for CachedSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.store.create(record).await?;
        // (A new random id; should this instance have looked it up before,
        // its "no such session" is dropped.)
        self.caches.session_changed(&record.id);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.save(record).await?;
        self.changed(&record.id).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(hit) = self.caches.session(id) {
            return Ok(hit);
        }
        let before = Ticket(self.caches.stamp(self.caches.generation(&id.0)));
        let record = self.store.load(id).await?;
        self.caches.keep_session(*id, before, record.clone());
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.delete(id).await?;
        self.changed(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> HostTenant {
        (
            Uuid::new_v4(),
            Standing {
                status: crate::model::OrgStatus::Active,
                trial_ends_at: chrono::Utc::now(),
                past_due_since: None,
                subscribed: false,
                comped: false,
            },
            PlanCode::Growth,
        )
    }

    #[test]
    fn nothing_is_served_until_the_listener_is_connected() {
        let c = Caches::default();
        let t = tenant();
        c.keep_host("s:acme".into(), c.host_ticket(), Some(t.clone()));
        assert!(c.host("s:acme").is_none());
        c.listening();
        c.keep_host("s:acme".into(), c.host_ticket(), Some(t.clone()));
        assert_eq!(c.host("s:acme").unwrap().unwrap().0, t.0);
        c.deaf();
        assert!(c.host("s:acme").is_none(), "lost listener: nothing served");
        c.listening();
        assert!(
            c.host("s:acme").is_none(),
            "a reconnection drops what was held"
        );
    }

    #[test]
    fn a_change_to_the_tenant_drops_its_hosts_users_and_unknown_hosts() {
        let c = Caches::default();
        c.listening();
        let t = tenant();
        let org = t.0;
        let user = Uuid::new_v4();
        c.keep_host("s:acme".into(), c.host_ticket(), Some(t));
        c.keep_host("s:nobody".into(), c.host_ticket(), None);
        c.keep_user(org, user, c.user_ticket(org), None);
        let other = tenant();
        c.keep_host("s:other".into(), c.host_ticket(), Some(other.clone()));
        assert!(c.host("s:acme").is_some() && c.user(org, user).is_some());
        c.heard(&format!("org:{org}"));
        assert!(c.host("s:acme").is_none());
        assert!(c.user(org, user).is_none());
        assert!(c.host("s:nobody").is_none(), "a new tenant may own it now");
        assert!(
            c.host("s:other").is_some(),
            "another tenant's host stays (unless it shares a shard)"
        );
    }

    #[test]
    fn a_value_read_while_a_change_landed_is_not_kept() {
        let c = Caches::default();
        c.listening();
        let t = tenant();
        let org = t.0;
        let user = Uuid::new_v4();
        let before_user = c.user_ticket(org);
        let before_host = c.host_ticket();
        c.tenant_changed(org); // lands during the read
        c.keep_user(org, user, before_user, None);
        c.keep_host("s:raced".into(), before_host, Some(t));
        assert!(c.user(org, user).is_none());
        assert!(c.host("s:raced").is_none());
    }
}
