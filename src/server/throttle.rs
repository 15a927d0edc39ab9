//! Failed-login throttling per account and per client, counted in
//! PostgreSQL over a sliding window so every server instance agrees.
//! (An in-process limiter such as governor/tower_governor was rejected: its
//! counts live in one process and reset on restart.)

use std::net::IpAddr;

use sqlx::PgPool;

use super::config::ThrottleSettings;
use super::db::internal;
use crate::error::AppError;

/// The keys a login attempt is counted under.
pub fn keys(scope: &str, email: &str, ip: Option<IpAddr>) -> (String, Option<String>) {
    (
        format!("acct:{scope}:{email}"),
        ip.map(|ip| format!("ip:{ip}")),
    )
}

/// Refuses when either key has too many recent failures.
pub async fn check(
    pool: &PgPool,
    cfg: &ThrottleSettings,
    account: &str,
    client: Option<&str>,
) -> Result<(), AppError> {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "select key, count(*) from platform.login_failures
          where key = any($1) and failed_at > now() - make_interval(secs => $2)
          group by key",
    )
    .bind(
        vec![Some(account), client]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    )
    .bind(cfg.window_seconds as f64)
    .fetch_all(pool)
    .await
    .map_err(internal)?;
    let minutes = (cfg.window_seconds + 59) / 60;
    for (key, n) in counts {
        let limit = if key == account {
            cfg.max_failures_per_account
        } else {
            cfg.max_failures_per_client
        };
        if n >= limit {
            return Err(AppError::Throttled(format!(
                "Too many failed logins. Wait {minutes} minutes, or reset your password."
            )));
        }
    }
    Ok(())
}

pub async fn record_failure(
    pool: &PgPool,
    cfg: &ThrottleSettings,
    account: &str,
    client: Option<&str>,
) -> Result<(), AppError> {
    let keys: Vec<&str> = vec![Some(account), client].into_iter().flatten().collect();
    sqlx::query(
        "with gone as (delete from platform.login_failures
                        where key = any($1) and failed_at < now() - make_interval(secs => $2))
         insert into platform.login_failures (key) select unnest($1::text[])",
    )
    .bind(&keys)
    .bind(cfg.window_seconds as f64)
    .execute(pool)
    .await
    .map_err(internal)?;
    Ok(())
}

/// A successful login clears the account's count (not the client's).
pub async fn clear(pool: &PgPool, account: &str) -> Result<(), AppError> {
    sqlx::query("delete from platform.login_failures where key = $1")
        .bind(account)
        .execute(pool)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Counts one use of an action that can be abused without failing (signup,
/// reset emails) by one client, refusing past `max` in the window.
pub async fn count_use(
    pool: &PgPool,
    cfg: &ThrottleSettings,
    key: &str,
    max: i64,
) -> Result<(), AppError> {
    let limits = ThrottleSettings {
        max_failures_per_account: max,
        ..cfg.clone()
    };
    check(pool, &limits, key, None).await?;
    record_failure(pool, cfg, key, None).await
}
