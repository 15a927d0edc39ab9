//! Rate limits for the endpoints a guesser or a flood would use: logins,
//! signups, reset emails and token forms. The policy is written out in the
//! README ("Login throttling"); this module is its mechanism.
//!
//! Each key is a leaky bucket (the generic cell rate algorithm): `burst`
//! attempts at once, then one more every `window / burst`. One upsert on
//! `platform.rate_limits` both counts an attempt and decides it, before any
//! slow work happens, so a thousand concurrent guesses are counted one at a
//! time; the counts live in PostgreSQL, so every instance shares them and
//! they survive a restart. (`governor`/`tower_governor` were considered and
//! rejected for this: their counts live in one process.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::AppState;

use crate::error::AppError;

/// `burst` attempts at once, refilling one every `window_seconds / burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub burst: i64,
    pub window_seconds: i64,
}

impl Limit {
    fn interval(self) -> f64 {
        self.window_seconds as f64 / self.burst.max(1) as f64
    }
}

/// Counts one attempt under `key`; `Err(Throttled)` (with a Retry-After
/// header on the response) when the bucket is full. The attempt is counted
/// only when allowed, so a user who waits is let in on time.
#[tracing::instrument(skip(state, key), err(level = "debug"))]
pub async fn hit(state: &AppState, key: &str, limit: Limit, what: &str) -> Result<(), AppError> {
    let pool = &state.pool;
    if let Some(wait) = state.denials.get(key) {
        metrics::counter!("rate_limited_total", "what" => what.to_string()).increment(1);
        return Err(throttled(wait, what));
    }
    let t = limit.interval();
    let window = limit.window_seconds as f64;
    let allowed = sqlx::query_scalar!(
        r#"insert into platform.rate_limits as r (key, tat)
           values ($1, now() + make_interval(secs => $2))
           on conflict (key) do update
              set tat = greatest(r.tat, now()) + make_interval(secs => $2)
            where greatest(r.tat, now()) + make_interval(secs => $2) <= now() + make_interval(secs => $3)
           returning 1 as "one!""#,
        key,
        t,
        window
    )
    .fetch_optional(pool)
    .await?;
    if allowed.is_some() {
        return Ok(());
    }
    let wait = sqlx::query_scalar!(
        r#"select ceil(extract(epoch from tat + make_interval(secs => $2) - make_interval(secs => $3) - now()))::bigint as "secs!"
             from platform.rate_limits where key = $1"#,
        key,
        t,
        window
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or(1)
    .max(1);
    state.denials.remember(key, wait);
    metrics::counter!("rate_limited_total", "what" => what.to_string()).increment(1);
    Err(throttled(wait, what))
}

/// Forgets a key (a successful login clears its account's bucket).
pub async fn reset(state: &AppState, key: &str) -> Result<(), AppError> {
    state.denials.forget(key);
    sqlx::query!("delete from platform.rate_limits where key = $1", key)
        .execute(&state.pool)
        .await?;
    Ok(())
}

/// Gives back one attempt (a successful login from a shared network).
pub async fn refund(state: &AppState, key: &str, limit: Limit) -> Result<(), AppError> {
    let pool = &state.pool;
    sqlx::query!(
        "update platform.rate_limits set tat = tat - make_interval(secs => $2) where key = $1",
        key,
        limit.interval()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Keys this instance saw refused, and until when. A flood against a full
/// bucket is then refused without a database round trip; the database stays
/// the only source of truth for letting anyone in (a remembered refusal only
/// repeats one the database gave, and only until it ends).
#[derive(Default)]
pub struct Denials(std::sync::Mutex<HashMap<String, Instant>>);

/// Most keys remembered at once.
const MAX_REMEMBERED: usize = 10_000;

impl Denials {
    /// Seconds left on a remembered refusal of `key`.
    pub fn get(&self, key: &str) -> Option<i64> {
        let now = Instant::now();
        let until = *self.0.lock().ok()?.get(key)?;
        (until > now).then(|| ((until - now).as_secs_f64().ceil() as i64).max(1))
    }

    pub fn remember(&self, key: &str, wait_seconds: i64) {
        let now = Instant::now();
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= MAX_REMEMBERED {
                map.retain(|_, until| *until > now);
                if map.len() >= MAX_REMEMBERED {
                    map.clear();
                }
            }
            map.insert(
                key.to_string(),
                now + Duration::from_secs(wait_seconds.max(1) as u64),
            );
        }
    }

    pub fn forget(&self, key: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(key);
        }
    }
}

/// Drops buckets that have drained (run now and then by the workers).
pub async fn sweep(pool: &PgPool) -> Result<u64, AppError> {
    let r = sqlx::query!("delete from platform.rate_limits where tat < now()")
        .execute(pool)
        .await?;
    Ok(r.rows_affected())
}

/// The error for a full bucket: a message that says when to come back, and
/// (inside a server function) a `Retry-After` header.
pub fn throttled(wait_seconds: i64, what: &str) -> AppError {
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(v) = http::HeaderValue::from_str(&wait_seconds.to_string()) {
            res.insert_header(http::header::RETRY_AFTER, v);
        }
    }
    let when = if wait_seconds < 60 {
        format!(
            "{wait_seconds} second{}",
            if wait_seconds == 1 { "" } else { "s" }
        )
    } else {
        let m = (wait_seconds + 59) / 60;
        format!("{m} minute{}", if m == 1 { "" } else { "s" })
    };
    AppError::Throttled(match what {
        "login" => format!("Too many login attempts. Try again in {when}, or reset your password."),
        "uploads" => {
            format!("Your company has sent many uploads in the last minute. Try again in {when}.")
        }
        _ => format!("Too many attempts from your network. Try again in {when}."),
    })
}

/// The network a client address counts under: the address itself for IPv4,
/// the /64 for IPv6 (one subscriber's allocation: rotating addresses inside
/// it escapes nothing). An IPv4-mapped IPv6 address counts as IPv4.
pub fn client_network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_network(a), client_network(b));
        assert_ne!(client_network(a), client_network(other));
        assert_eq!(client_network(a), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(client_network(mapped), "203.0.113.9");
    }

    #[test]
    fn a_refusal_is_remembered_until_it_ends_or_is_forgotten() {
        let d = Denials::default();
        d.remember("k", 30);
        let left = d.get("k").unwrap();
        assert!((29..=30).contains(&left), "{left}");
        assert_eq!(d.get("never-refused"), None);
        d.forget("k");
        assert_eq!(d.get("k"), None);
    }

    #[test]
    fn the_wait_is_said_in_words() {
        let m = throttled(400, "login").to_string();
        assert!(m.contains("Try again in 7 minutes"), "{m}");
        let m = throttled(1, "signup").to_string();
        assert!(m.contains("1 second."), "{m}");
    }
}
