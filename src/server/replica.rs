//! Reads from a streaming replica (`REPLICA_DATABASE_URL`): the lists and
//! the boards, where a few seconds' lag is acceptable, are read there when
//! the replica is known to hold everything the reader must see; everything
//! else, and every write, goes to the primary.
//!
//! How "known to hold" is decided, without a round trip per request:
//! - A probe compares the primary's WAL position with the replica's replayed
//!   position every [`PROBE_EVERY`]. Each sample of the primary's position
//!   is stamped with the wall-clock time taken *before* asking, so when the
//!   replica has replayed past it, everything committed before that time is
//!   on the replica: that time is the replica's `caught_up` point.
//! - A reader who saved something carries [`WROTE_COOKIE`] (the time of
//!   their last saving request, set after it committed, by whichever
//!   instance served it): they read from the replica only once it caught up
//!   past that time (plus [`CLOCK_SKEW_MS`] between instances' clocks).
//! - A tenant whose change this instance heard (the live-update and cache
//!   announcements, delivered at commit) is read from the primary until the
//!   replica caught up past the moment it was heard: a live page's refetch
//!   after an announcement sees the change.
//! - Nobody reads from the replica when it is further behind than
//!   `REPLICA_MAX_LAG_SECONDS`, when the probe fails, or while this
//!   instance's listener is down and until the replica has caught up past
//!   its reconnection (an announcement could have been missed meanwhile).
//!
//! Row-level security holds on the replica as on the primary: it is a
//! physical copy (same policies, same roles), the connection is the same
//! application role, and the transaction is bound to the tenant the same way.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

/// How often the replica's position is compared with the primary's.
pub const PROBE_EVERY: Duration = Duration::from_millis(100);
/// How far apart two instances' clocks may be (a saving request's time is
/// written by the instance that served it).
pub const CLOCK_SKEW_MS: i64 = 250;
/// The cookie with the time (ms since the epoch) of this browser's last
/// saving request. Not a secret: forging it only moves the forger's own
/// reads between two copies of the same rows.
pub const WROTE_COOKIE: &str = "fence_wrote";

/// The replica, if one is configured, and what this instance knows of it.
#[derive(Clone)]
pub struct Replica(Arc<Inner>);

struct Inner {
    pool: Option<PgPool>,
    max_lag_ms: i64,
    state: Mutex<Known>,
    /// Reads sent to the replica and to the primary (lists only).
    reads: [AtomicU64; 2],
}

#[derive(Debug, Default)]
struct Known {
    /// The primary's WAL position (bytes) at a wall-clock time (ms), oldest
    /// first.
    samples: VecDeque<(i64, i64)>,
    /// The newest sample time whose position the replica has replayed.
    caught_up: Option<i64>,
    /// When this instance heard of each tenant's last change (ms).
    changed: HashMap<Uuid, i64>,
    /// The announcement listener is connected.
    listening: bool,
    /// When it last (re)connected (ms): what was announced while it was
    /// away is unknown, so only a replica caught up past this serves.
    resumed: i64,
}

impl Known {
    /// Whether a list for `org`, read by someone whose last saving request
    /// ended at `wrote` (ms), may come from the replica at `now` (ms).
    fn serves(&self, now: i64, max_lag_ms: i64, org: Uuid, wrote: Option<i64>) -> bool {
        let Some(caught_up) = self.caught_up else {
            return false;
        };
        self.listening
            && caught_up > self.resumed
            && now - caught_up <= max_lag_ms
            && wrote.is_none_or(|w| caught_up > w + CLOCK_SKEW_MS)
            && self
                .changed
                .get(&org)
                .is_none_or(|&heard| caught_up > heard)
    }

    /// A new pair of positions: the primary's at `at` and the replica's
    /// replayed one (`None`: the replica is not a standby, or is gone).
    fn observe(&mut self, at: i64, primary: i64, replayed: Option<i64>, max_lag_ms: i64) {
        self.samples.push_back((at, primary));
        let Some(replayed) = replayed else {
            self.caught_up = None;
            self.samples.clear();
            return;
        };
        // The newest sample at or behind the replayed position, and nothing
        // older (it can no longer tell anything newer).
        while let Some(&(t, lsn)) = self.samples.front() {
            if lsn > replayed {
                break;
            }
            self.caught_up = Some(self.caught_up.map_or(t, |c| c.max(t)));
            self.samples.pop_front();
        }
        // Samples older than the lag allowed would only ever name a point
        // too old to serve from.
        while self
            .samples
            .front()
            .is_some_and(|&(t, _)| at - t > max_lag_ms * 2)
        {
            self.samples.pop_front();
        }
        if let Some(c) = self.caught_up {
            self.changed.retain(|_, heard| *heard >= c);
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Replica {
    /// No replica: every read goes to the primary.
    pub fn none() -> Replica {
        Replica(Arc::new(Inner {
            pool: None,
            max_lag_ms: 0,
            state: Mutex::new(Known::default()),
            reads: Default::default(),
        }))
    }

    /// Connects (lazily: a replica that is down at start only means reads
    /// go to the primary) and starts the probe.
    pub fn start(url: Option<&str>, size: u32, max_lag: Duration, primary: PgPool) -> Replica {
        let Some(url) = url else {
            return Replica::none();
        };
        let pool = match url.parse::<PgConnectOptions>() {
            Ok(opts) => PgPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(Duration::from_secs(2))
                .connect_lazy_with(opts),
            Err(e) => {
                tracing::error!(error = %e, "REPLICA_DATABASE_URL is not a connection URL; reading from the primary only");
                return Replica::none();
            }
        };
        let replica = Replica(Arc::new(Inner {
            pool: Some(pool.clone()),
            max_lag_ms: max_lag.as_millis() as i64,
            state: Mutex::new(Known::default()),
            reads: Default::default(),
        }));
        let weak = Arc::downgrade(&replica.0);
        tokio::spawn(async move {
            let mut warned = false;
            let mut every = tokio::time::interval(PROBE_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let replayed = probe(&primary, &pool).await;
                if let Some(Err(e)) = &replayed {
                    if !warned {
                        tracing::warn!(error = %e, "replica: cannot compare positions; lists read from the primary");
                        warned = true;
                    }
                } else {
                    warned = false;
                }
                let mut k = inner.state.lock().expect("replica state");
                match replayed {
                    Some(Ok((at, primary, replayed))) => {
                        k.observe(at, primary, replayed, inner.max_lag_ms)
                    }
                    _ => {
                        k.caught_up = None;
                        k.samples.clear();
                    }
                }
                let lag = k.caught_up.map(|c| (now_ms() - c).max(0) as f64 / 1000.0);
                metrics::gauge!("db_replica_lag_seconds").set(lag.unwrap_or(-1.0));
            }
        });
        replica
    }

    pub fn configured(&self) -> bool {
        self.0.pool.is_some()
    }

    /// The replica's pool when it may serve this tenant's list to this
    /// reader now (see the module's notes).
    pub fn for_reading(&self, org: Uuid, wrote: Option<i64>) -> Option<PgPool> {
        let pool = self.0.pool.as_ref()?;
        let k = self.0.state.lock().expect("replica state");
        k.serves(now_ms(), self.0.max_lag_ms, org, wrote)
            .then(|| pool.clone())
    }

    /// A list was read from the replica (`true`) or the primary.
    pub fn counted(&self, on_replica: bool) {
        self.0.reads[usize::from(!on_replica)].fetch_add(1, Ordering::Relaxed);
        metrics::counter!(
            "db_list_reads_total",
            "on" => if on_replica { "replica" } else { "primary" }
        )
        .increment(1);
    }

    /// Lists read so far: (from the replica, from the primary).
    pub fn reads(&self) -> (u64, u64) {
        (
            self.0.reads[0].load(Ordering::Relaxed),
            self.0.reads[1].load(Ordering::Relaxed),
        )
    }

    /// The replica refused a connection: nobody reads there until the probe
    /// finds it again.
    pub fn failed(&self) {
        let mut k = self.0.state.lock().expect("replica state");
        k.caught_up = None;
        k.samples.clear();
    }

    /// This instance heard that `org` changed (an announcement, at commit).
    pub fn heard(&self, org: Uuid) {
        if self.configured() {
            let mut k = self.0.state.lock().expect("replica state");
            k.changed.insert(org, now_ms());
        }
    }

    /// The announcement listener is (or is no longer) connected.
    pub fn listening(&self, on: bool) {
        let mut k = self.0.state.lock().expect("replica state");
        k.listening = on;
        if on {
            k.resumed = now_ms();
        }
    }
}

/// The primary's position (with the time before asking) and the replica's
/// replayed one; `None` when either could not be asked.
async fn probe(
    primary: &PgPool,
    replica: &PgPool,
) -> Option<Result<(i64, i64, Option<i64>), sqlx::Error>> {
    let at = now_ms();
    let asked = async {
        let p = sqlx::query_scalar!(
            r#"select (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint as "lsn!""#
        )
        .fetch_one(primary)
        .await?;
        let r = sqlx::query_scalar!(
            r#"select (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint as "lsn""#
        )
        .fetch_one(replica)
        .await?;
        Ok::<_, sqlx::Error>((at, p, r))
    };
    tokio::time::timeout(Duration::from_secs(2), asked)
        .await
        .ok()
}

/// Whether a request saves something (and so marks its reader as a writer):
/// any request that is not a read by its method, or by its server
/// function's name. A new server function is a writer until named here.
pub fn saves(method: &http::Method, path: &str) -> bool {
    const READS: &[&str] = &[
        "list",
        "get",
        "board",
        "my_day",
        "route",
        "suggest",
        "batteries",
        "overview",
        "zones",
        "estimate",
        "usage",
        "for_customer",
        "drawing",
        "shell",
        "dashboard",
        "reset_valid",
        "billing_history",
        "tenants",
    ];
    if matches!(
        *method,
        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
    ) {
        return false;
    }
    match path.strip_prefix("/api/") {
        Some(name) => !READS.contains(&name.rsplit('/').next().unwrap_or(name)),
        None => true,
    }
}

/// The time of the reader's last saving request, from its cookie.
pub fn wrote_at(headers: &http::HeaderMap) -> Option<i64> {
    super::device::cookie(headers, WROTE_COOKIE)?.parse().ok()
}

/// Marks the response's reader as having saved something now.
pub fn mark_wrote(res: &mut axum::response::Response, secure: bool) {
    let cookie = format!(
        "{WROTE_COOKIE}={}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax{}",
        now_ms(),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = http::HeaderValue::from_str(&cookie) {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn caught_up_at(t: i64) -> Known {
        let mut k = Known {
            listening: true,
            ..Default::default()
        };
        k.observe(t, 100, Some(100), 5_000);
        k
    }

    #[test]
    fn the_replica_serves_only_what_it_is_known_to_hold() {
        let k = caught_up_at(10_000);
        assert_eq!(k.caught_up, Some(10_000));
        assert!(k.serves(10_100, 5_000, org(1), None));
        // Too far behind for anyone.
        assert!(!k.serves(15_001, 5_000, org(1), None));
        // A writer whose save ended before the caught-up point (with room
        // for the clocks) reads there; one who saved since does not.
        assert!(k.serves(10_100, 5_000, org(1), Some(9_000)));
        assert!(!k.serves(10_100, 5_000, org(1), Some(9_900)));
        assert!(!k.serves(10_100, 5_000, org(1), Some(10_050)));
        // Nothing before the first comparison, nothing while deaf.
        let fresh = Known {
            listening: true,
            ..Default::default()
        };
        assert!(!fresh.serves(10_100, 5_000, org(1), None));
        let mut deaf = caught_up_at(10_000);
        deaf.listening = false;
        assert!(!deaf.serves(10_100, 5_000, org(1), None));
        // Listening again: what was announced meanwhile is unknown, so only
        // a replica caught up past the reconnection serves.
        let mut back = caught_up_at(10_000);
        back.resumed = 10_050;
        assert!(!back.serves(10_100, 5_000, org(1), None));
        back.observe(10_100, 100, Some(100), 5_000);
        assert!(back.serves(10_150, 5_000, org(1), None));
    }

    #[test]
    fn a_change_heard_keeps_its_tenant_on_the_primary_until_replayed() {
        let mut k = caught_up_at(10_000);
        k.changed.insert(org(1), 10_050);
        assert!(!k.serves(10_100, 5_000, org(1), None));
        assert!(k.serves(10_100, 5_000, org(2), None), "other tenants");
        // The primary moves on (the change); the replica has not replayed it.
        k.observe(10_100, 200, Some(100), 5_000);
        assert_eq!(k.caught_up, Some(10_000));
        assert!(!k.serves(10_150, 5_000, org(1), None));
        // Replayed: a sample taken after the change was heard is held.
        k.observe(10_200, 200, Some(200), 5_000);
        assert_eq!(k.caught_up, Some(10_200));
        assert!(k.serves(10_250, 5_000, org(1), None));
        assert!(k.changed.is_empty(), "forgotten once replayed");
    }

    #[test]
    fn a_replica_that_is_not_a_standby_serves_nothing() {
        let mut k = caught_up_at(10_000);
        k.observe(10_100, 200, None, 5_000);
        assert_eq!(k.caught_up, None);
        assert!(!k.serves(10_150, 5_000, org(1), None));
    }

    #[test]
    fn saving_requests_are_every_post_but_the_named_reads() {
        let post = http::Method::POST;
        assert!(!saves(&http::Method::GET, "/customers"));
        assert!(!saves(&post, "/api/customers/list"));
        assert!(!saves(&post, "/api/dashboard"));
        assert!(saves(&post, "/api/customers/create"));
        assert!(saves(&post, "/api/schedule/place"));
        assert!(saves(&post, "/settings/logo"));
        assert!(saves(&post, "/api/something/new"));
    }
}
