//! Request budgets per plan (issue 14, the brief's "rate limiting per
//! plan"): each tenant's signed-in people may make so many requests a
//! minute on its hosts, by plan (`TENANT_REQUESTS_PER_MINUTE`), counted over
//! fixed one-minute windows. Every answer to them carries the standard
//! headers (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`,
//! `RateLimit-Policy`); past the budget the answer is `429 Too Many
//! Requests` with `Retry-After`, until the minute ends. Requests nobody is
//! signed in for (a login page, a homeowner's quote link) are not counted,
//! so no one outside the tenant can spend its budget; those have their own
//! throttles (`throttle`). The app's files are not counted either.
//!
//! The count is shared by every app instance and survives a restart without
//! a database write per request: each instance counts in memory and, four
//! times a second, adds what it counted to `platform.request_counts` in one
//! statement (`platform.add_request_counts`), reading back each tenant's
//! total over all instances. A tenant's requests on this instance are then
//! checked against that total plus what this instance counted since, so
//! instances agree within a quarter of a second. One tenant at its limit
//! costs the others little: its refusals are decided in memory once the
//! session is read, before any page or server function runs.
//!
//! (`governor`/`tower_governor` were considered: their counts live in one
//! process, so three instances would each allow the whole budget, and a
//! restart would forget it. Redis would share them too, but it would be a
//! second store every installation must run; PostgreSQL is already there.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::PlanCode;

/// The length of a budget's window.
pub const WINDOW_SECS: i64 = 60;

/// How often an instance adds its counts to the shared ones.
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// Requests a minute per plan, by default: a person working quickly makes
/// a request every few seconds (a page and its data); these leave room for
/// every seat of the plan at once, and for the crew phones' sync bursts.
pub const DEFAULT_PER_MINUTE: [u32; 3] = [600, 3_000, 12_000];

/// The decision on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed {
        limit: u32,
        remaining: u32,
        reset_secs: i64,
    },
    Limited {
        limit: u32,
        reset_secs: i64,
    },
}

/// Counts per tenant: (tenant, requests).
type Counts = Vec<(Uuid, i64)>;

#[derive(Default)]
struct Count {
    /// The tenant's total over all instances, as of this instance's last
    /// flush (its own flushed requests included).
    shared: i64,
    /// Counted here since the last flush.
    unsent: i64,
}

#[derive(Default)]
struct Window {
    start: i64,
    orgs: HashMap<Uuid, Count>,
}

/// This instance's side of the budgets (cheap to clone).
#[derive(Clone)]
pub struct Budgets {
    per_minute: [u32; 3],
    window: Arc<Mutex<Window>>,
}

impl Budgets {
    pub fn new(per_minute: [u32; 3]) -> Budgets {
        Budgets {
            per_minute,
            window: Arc::default(),
        }
    }

    /// The plan's budget a minute.
    pub fn limit(&self, plan: PlanCode) -> u32 {
        self.per_minute[match plan {
            PlanCode::Starter => 0,
            PlanCode::Growth => 1,
            PlanCode::Enterprise => 2,
        }]
    }

    /// Counts one request of `org` at `now` (seconds since the epoch), or
    /// refuses it when the minute's budget is spent (a refusal is not
    /// counted).
    pub fn check(&self, org: Uuid, plan: PlanCode, now: i64) -> Verdict {
        let limit = self.limit(plan);
        let start = now.div_euclid(WINDOW_SECS) * WINDOW_SECS;
        let reset_secs = start + WINDOW_SECS - now;
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.start != start {
            w.start = start;
            w.orgs.clear();
        }
        let c = w.orgs.entry(org).or_default();
        let used = c.shared + c.unsent;
        if used >= i64::from(limit) {
            return Verdict::Limited { limit, reset_secs };
        }
        c.unsent += 1;
        Verdict::Allowed {
            limit,
            remaining: (i64::from(limit) - used - 1).max(0) as u32,
            reset_secs,
        }
    }

    /// What this instance counted since the last flush, taken out of the
    /// counts (put back by [`Budgets::settle`] if the write fails).
    fn take(&self) -> (i64, Counts) {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let start = w.start;
        let taken = w
            .orgs
            .iter_mut()
            .filter(|(_, c)| c.unsent > 0)
            .map(|(org, c)| {
                let n = std::mem::take(&mut c.unsent);
                c.shared += n;
                (*org, n)
            })
            .collect();
        (start, taken)
    }

    /// Records the totals read back for the window `start`; on a failed
    /// write, puts what was taken back to be sent again.
    fn settle(&self, start: i64, result: Result<Counts, &[(Uuid, i64)]>) {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.start != start {
            return; // a new minute began meanwhile: those counts are over
        }
        match result {
            Ok(totals) => {
                for (org, total) in totals {
                    if let Some(c) = w.orgs.get_mut(&org) {
                        c.shared = c.shared.max(total);
                    }
                }
            }
            Err(taken) => {
                for (org, n) in taken {
                    if let Some(c) = w.orgs.get_mut(org) {
                        c.shared -= n;
                        c.unsent += n;
                    }
                }
            }
        }
    }

    /// Adds this instance's new counts to the shared ones and reads back the
    /// totals. One statement, whatever the number of tenants.
    #[tracing::instrument(skip_all)]
    pub async fn flush(&self, pool: &PgPool) -> Result<(), AppError> {
        let (start, taken) = self.take();
        if taken.is_empty() {
            return Ok(());
        }
        let window: DateTime<Utc> = Utc
            .timestamp_opt(start, 0)
            .single()
            .unwrap_or_else(Utc::now);
        let orgs: Vec<Uuid> = taken.iter().map(|(o, _)| *o).collect();
        let ns: Vec<i64> = taken.iter().map(|(_, n)| *n).collect();
        let rows = sqlx::query!(
            r#"select org_id as "org_id!", n as "n!"
                 from platform.add_request_counts($1, $2, $3)"#,
            window as _,
            &orgs,
            &ns
        )
        .fetch_all(pool)
        .await;
        match rows {
            Ok(rows) => {
                self.settle(
                    start,
                    Ok(rows.into_iter().map(|r| (r.org_id, r.n)).collect()),
                );
                Ok(())
            }
            Err(e) => {
                self.settle(start, Err(&taken));
                Err(e.into())
            }
        }
    }

    /// Flushes every [`FLUSH_EVERY`] in the background, for as long as the
    /// process runs; a failed write is logged and retried with the next.
    pub fn spawn_flusher(&self, pool: PgPool) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.flush(&pool).await {
                    tracing::warn!(error = %e, "request counts not shared this time");
                }
            }
        });
    }
}

/// Deletes the counts of windows that ended over ten minutes ago.
#[tracing::instrument(skip_all)]
pub async fn prune(pool: &PgPool) -> Result<u64, AppError> {
    Ok(
        sqlx::query_scalar!(r#"select platform.prune_request_counts() as "n!""#)
            .fetch_one(pool)
            .await? as u64,
    )
}

/// Whether a path is counted (the app's files are not).
pub fn counted(path: &str) -> bool {
    !(path.starts_with("/pkg/") || path.starts_with("/static/") || path == "/sw.js")
}

/// The standard headers on an answer (draft-ietf-httpapi-ratelimit-headers).
pub fn headers(h: &mut HeaderMap, limit: u32, remaining: u32, reset_secs: i64) {
    let num = |n: i64| HeaderValue::from_str(&n.to_string()).expect("digits");
    h.insert("ratelimit-limit", num(i64::from(limit)));
    h.insert("ratelimit-remaining", num(i64::from(remaining)));
    h.insert("ratelimit-reset", num(reset_secs));
    h.insert(
        "ratelimit-policy",
        HeaderValue::from_str(&format!("{limit};w={WINDOW_SECS}")).expect("ascii"),
    );
}

/// The words of a refusal.
pub fn refusal(limit: u32, wait: i64) -> String {
    format!(
        "This workspace has made more than {limit} requests in the last minute, \
         the most its plan allows. Try again in {wait} second{}.",
        if wait == 1 { "" } else { "s" }
    )
}

/// Adds the refusal's headers (429's `Retry-After`, the budget's own) to an
/// answer made by the caller (the app's error as JSON, or a plain page).
pub fn refused(mut res: Response, limit: u32, reset_secs: i64) -> Response {
    let wait = reset_secs.max(1);
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let h = res.headers_mut();
    headers(h, limit, 0, wait);
    h.insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&wait.to_string()).expect("digits"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_counts_a_minute_and_starts_again_with_the_next() {
        let b = Budgets::new([3, 10, 100]);
        let (a, other) = (Uuid::new_v4(), Uuid::new_v4());
        let t = 1_800_000_000; // a whole minute
        for left in [2, 1, 0] {
            assert_eq!(
                b.check(a, PlanCode::Starter, t + 10),
                Verdict::Allowed {
                    limit: 3,
                    remaining: left,
                    reset_secs: 50
                }
            );
        }
        assert_eq!(
            b.check(a, PlanCode::Starter, t + 59),
            Verdict::Limited {
                limit: 3,
                reset_secs: 1
            }
        );
        // Another tenant, another plan: its own budget.
        assert!(matches!(
            b.check(other, PlanCode::Growth, t + 59),
            Verdict::Allowed { remaining: 9, .. }
        ));
        // The next minute starts again.
        assert!(matches!(
            b.check(a, PlanCode::Starter, t + 60),
            Verdict::Allowed { remaining: 2, .. }
        ));
    }

    #[test]
    fn counts_from_other_instances_and_failed_writes() {
        let b = Budgets::new([10, 10, 10]);
        let a = Uuid::new_v4();
        let t = 1_800_000_000;
        for _ in 0..3 {
            b.check(a, PlanCode::Starter, t);
        }
        let (start, taken) = b.take();
        assert_eq!(taken, vec![(a, 3)]);
        // The shared total says other instances made 6 more.
        b.settle(start, Ok(vec![(a, 9)]));
        assert!(matches!(
            b.check(a, PlanCode::Starter, t),
            Verdict::Allowed { remaining: 0, .. }
        ));
        assert!(matches!(
            b.check(a, PlanCode::Starter, t),
            Verdict::Limited { .. }
        ));
        // A failed write keeps the counts to send again.
        let (start, taken) = b.take();
        assert_eq!(taken, vec![(a, 1)]);
        b.settle(start, Err(&taken));
        let (_, again) = b.take();
        assert_eq!(again, vec![(a, 1)]);
    }
}
