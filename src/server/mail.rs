//! Delivering the outbox. A worker claims due messages through the
//! platform path (`platform.claim_outbox`: skip locked, with a lease, so
//! several instances never send one twice), hands each to the transport,
//! and records the result; a delivered message keeps only a redacted body
//! (`emails::redact`), so the stored copy cannot be replayed.
//!
//! The transport today is a mail drop: one `.eml` file per message in
//! `MAIL_DIR` (what `scripts/dev` reads the demo's links from). SMTP
//! delivery plugs in behind the same `deliver` call.

use std::path::{Path, PathBuf};

use sqlx::PgPool;

use super::emails::redact;
use super::platform::{self, Claimed};
use crate::error::AppError;

/// Messages claimed per round, and how long a claim lasts.
const BATCH: i32 = 20;
const LEASE_SECONDS: i32 = 120;

/// Seconds to wait before the `attempt`th retry (1 minute, doubling, at
/// most 6 hours); `None` after the last one.
pub fn backoff(attempt: i32) -> Option<i32> {
    (attempt < 10).then(|| (60 * 2_i32.pow(attempt.clamp(1, 9) as u32 - 1)).min(6 * 3600))
}

/// Where messages go.
#[derive(Debug, Clone)]
pub enum Transport {
    Dir(PathBuf),
}

/// A delivery that did not happen: temporary (retry later) or permanent.
#[derive(Debug)]
pub enum Failure {
    Temporary(String),
    Permanent(String),
}

/// One round: claims due messages and delivers them. Returns how many were
/// delivered.
#[tracing::instrument(skip_all)]
pub async fn deliver_due(
    pool: &PgPool,
    transport: &Transport,
    from: &str,
) -> Result<usize, AppError> {
    let claimed = platform::claim_outbox(pool, BATCH, LEASE_SECONDS).await?;
    let mut sent = 0;
    for m in claimed {
        let result = match transport {
            Transport::Dir(dir) => write_eml(dir, from, &m).await,
        };
        match result {
            Ok(()) => {
                platform::outbox_delivered(pool, m.org_id, m.id, &redact(&m.body)).await?;
                metrics::counter!("mail_delivered_total").increment(1);
                sent += 1;
            }
            Err(Failure::Temporary(e)) => {
                let retry = backoff(m.attempts);
                tracing::warn!(id = %m.id, attempts = m.attempts, error = %e, "mail delivery failed");
                platform::outbox_failed(pool, m.org_id, m.id, &e, retry).await?;
                metrics::counter!("mail_failed_total", "kind" => "temporary").increment(1);
            }
            Err(Failure::Permanent(e)) => {
                tracing::warn!(id = %m.id, error = %e, "mail rejected");
                platform::outbox_failed(pool, m.org_id, m.id, &e, None).await?;
                metrics::counter!("mail_failed_total", "kind" => "permanent").increment(1);
            }
        }
    }
    Ok(sent)
}

/// Writes one message as an RFC 5322 file, atomically (temp file, rename).
async fn write_eml(dir: &Path, from: &str, m: &Claimed) -> Result<(), Failure> {
    let header = |v: &str| v.replace(['\r', '\n'], " ");
    let text = format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@fenceline>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        header(from),
        header(&m.to_email),
        header(&m.subject),
        chrono::Utc::now().to_rfc2822(),
        m.id,
        m.body.replace('\n', "\r\n"),
    );
    let temp =
        |e: std::io::Error| Failure::Temporary(format!("mail folder {}: {e}", dir.display()));
    tokio::fs::create_dir_all(dir).await.map_err(temp)?;
    let name = format!(
        "{}-{}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
        m.id
    );
    let part = dir.join(format!(".{name}.part"));
    tokio::fs::write(&part, text).await.map_err(temp)?;
    tokio::fs::rename(&part, dir.join(name)).await.map_err(temp)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_and_stop() {
        assert_eq!(backoff(1), Some(60));
        assert_eq!(backoff(2), Some(120));
        assert_eq!(backoff(9), Some(15_360));
        assert!((1..10).all(|a| backoff(a).is_some_and(|s| s <= 6 * 3600)));
        assert_eq!(backoff(10), None);
    }
}
