//! Delivering the outbox. A worker claims due messages through the
//! platform path (`platform.claim_outbox`: skip locked, with a lease, so
//! several instances never send one twice), builds each into a MIME
//! message in the tenant's voice (its company as sender name, its support
//! address as Reply-To, a branded HTML part beside the plain text), hands
//! it to the transport and records the result. A delivered message keeps
//! only a redacted body (`emails::redact`), so the stored copy cannot be
//! replayed.
//!
//! Transports: SMTP through `lettre` (a pooled connection; STARTTLS,
//! implicit TLS or plain on loopback), or a mail drop folder of `.eml`
//! files for development (what `scripts/dev` reads the demo's links from).
//! A 5xx answer is permanent (recorded, shown where it matters); anything
//! else is retried with backoff.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::StreamExt;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use sqlx::PgPool;

use super::config::{Config, SmtpTls};
use super::emails::{html, redact, Letterhead};
use super::platform::{self, Claimed};
use crate::error::AppError;

/// Messages claimed per round, how many are in flight at once, and how
/// long a claim lasts (a worker that dies mid-send frees its claim then).
const BATCH: i32 = 50;
const IN_FLIGHT: usize = 8;
const LEASE_SECONDS: i32 = 120;

/// Seconds to wait before the `attempt`th retry (1 minute, doubling, at
/// most 6 hours); `None` after the last one.
pub fn backoff(attempt: i32) -> Option<i32> {
    (attempt < 10).then(|| (60 * 2_i32.pow(attempt.clamp(1, 9) as u32 - 1)).min(6 * 3600))
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    Dir(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// A delivery that did not happen: temporary (retry later) or permanent.
#[derive(Debug)]
pub enum Failure {
    Temporary(String),
    Permanent(String),
}

/// The transport and what every message shares.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Address,
    platform_name: String,
    config: std::sync::Arc<Config>,
}

impl Mailer {
    /// The configured mailer: SMTP when `SMTP_HOST` is set, else the mail
    /// folder, else none (mail stays queued).
    pub fn from_config(config: &Config) -> Result<Option<Mailer>, String> {
        let transport = if let Some(smtp) = &config.mail.smtp {
            let builder = match smtp.tls {
                SmtpTls::None => {
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                }
                SmtpTls::StartTls => {
                    AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                        .map_err(|e| format!("SMTP_HOST {}: {e}", smtp.host))?
                }
                SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                    .map_err(|e| format!("SMTP_HOST {}: {e}", smtp.host))?,
            };
            let mut builder = builder
                .port(smtp.port.unwrap_or(smtp.tls.default_port()))
                .timeout(Some(Duration::from_secs(30)));
            if let Some(user) = &smtp.username {
                let password = smtp
                    .password
                    .as_ref()
                    .map(|p| p.expose_secret().to_string())
                    .unwrap_or_default();
                builder = builder.credentials(Credentials::new(user.clone(), password));
            }
            Transport::Smtp(builder.build())
        } else if let Some(dir) = &config.mail.dir {
            Transport::Dir(dir.clone())
        } else {
            return Ok(None);
        };
        let from = config
            .mail
            .from
            .clone()
            .unwrap_or_else(|| format!("no-reply@{}", config.platform.domain));
        let from: Address = from
            .parse()
            .map_err(|e| format!("MAIL_FROM {from:?} is not an email address: {e}"))?;
        Ok(Some(Mailer {
            transport,
            from,
            platform_name: config.platform.name.clone(),
            config: std::sync::Arc::new(config.clone()),
        }))
    }

    /// The MIME message for a claimed row.
    pub fn build(&self, m: &Claimed) -> Result<Message, Failure> {
        let one_line = |v: &str| v.replace(['\r', '\n'], " ").trim().to_string();
        let sender_name = if m.platform_voice {
            self.platform_name.clone()
        } else {
            one_line(&m.company_name)
        };
        let to: Mailbox = m.to_email.parse().map_err(|e| {
            Failure::Permanent(format!("{} is not a valid address ({e})", m.to_email))
        })?;
        let mut builder = Message::builder()
            .from(Mailbox::new(Some(sender_name), self.from.clone()))
            .to(to)
            .subject(one_line(&m.subject))
            .message_id(Some(format!("<{}@{}>", m.id, self.config.platform.domain)));
        if !m.platform_voice {
            if let Some(reply) = m.support_email.as_deref().and_then(|a| a.parse().ok()) {
                builder = builder.reply_to(Mailbox::new(Some(one_line(&m.company_name)), reply));
            }
        }
        let base = self
            .config
            .tenant_base(&m.subdomain, m.custom_domain.as_deref());
        let head = Letterhead {
            company: if m.platform_voice {
                self.platform_name.clone()
            } else {
                m.company_name.clone()
            },
            color: m.brand_color.clone(),
            logo_url: (!m.platform_voice && m.logo_version > 0)
                .then(|| format!("{base}/brand/logo?v={}", m.logo_version)),
            footer: footer(m, &self.platform_name),
        };
        let html = html(&head, &m.subject, &m.body);
        builder
            .multipart(MultiPart::alternative_plain_html(m.body.clone(), html))
            .map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))
    }

    async fn send(&self, m: &Claimed) -> Result<(), Failure> {
        let message = self.build(m)?;
        match &self.transport {
            Transport::Dir(dir) => write_eml(dir, m, &message.formatted()).await,
            Transport::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(Failure::Permanent(smtp_reason(&e))),
                Err(e) => Err(Failure::Temporary(smtp_reason(&e))),
            },
        }
    }
}

/// The footer line: the business, and the platform unless the tenant is
/// white-labelled.
fn footer(m: &Claimed, platform: &str) -> String {
    if m.platform_voice {
        format!("{platform} · billing for {}", m.company_name)
    } else if m.white_label {
        m.company_name.clone()
    } else {
        format!("{} · sent with {platform}", m.company_name)
    }
}

/// An SMTP error as a person reads it ("550 5.1.1 no such user", or what
/// went wrong on the way).
fn smtp_reason(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text.chars().take(300).collect()
}

/// One round: claims due messages and delivers them. Returns how many were
/// claimed (a full batch means more may be waiting).
#[tracing::instrument(skip_all)]
pub async fn deliver_due(pool: &PgPool, mailer: &Mailer) -> Result<usize, AppError> {
    let claimed = platform::claim_outbox(pool, BATCH, LEASE_SECONDS).await?;
    let count = claimed.len();
    futures::stream::iter(claimed)
        .for_each_concurrent(IN_FLIGHT, |m| async move {
            if let Err(e) = deliver_one(pool, mailer, &m).await {
                tracing::warn!(id = %m.id, error = %e, "recording a delivery failed");
            }
        })
        .await;
    Ok(count)
}

#[tracing::instrument(skip_all, fields(id = %m.id, org_id = %m.org_id, kind = %m.kind))]
async fn deliver_one(pool: &PgPool, mailer: &Mailer, m: &Claimed) -> Result<(), AppError> {
    match mailer.send(m).await {
        Ok(()) => {
            platform::outbox_delivered(pool, m.org_id, m.id, &redact(&m.body)).await?;
            metrics::counter!("mail_delivered_total").increment(1);
        }
        Err(Failure::Temporary(e)) => {
            let retry = backoff(m.attempts);
            tracing::warn!(attempts = m.attempts, error = %e, "mail delivery failed; will retry");
            platform::outbox_failed(pool, m.org_id, m.id, &e, retry).await?;
            metrics::counter!("mail_failed_total", "kind" => "temporary").increment(1);
        }
        Err(Failure::Permanent(e)) => {
            tracing::warn!(error = %e, "mail rejected");
            platform::outbox_failed(pool, m.org_id, m.id, &e, None).await?;
            metrics::counter!("mail_failed_total", "kind" => "permanent").increment(1);
        }
    }
    Ok(())
}

/// Delivers until nothing is due, then waits for a new message (the
/// outbox's insert trigger notifies `outbox`), a poll interval (retries
/// falling due, a lost notification), or the stop signal.
pub async fn run(
    pool: PgPool,
    listen_url: String,
    mailer: Mailer,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    super::workers::drain_on_notify(
        listen_url,
        "outbox",
        move || {
            let (pool, mailer) = (pool.clone(), mailer.clone());
            async move { Ok(deliver_due(&pool, &mailer).await? as i32 == BATCH) }
        },
        stop,
    )
    .await
}

/// Writes one message as an RFC 5322 file, atomically (temp file, rename).
async fn write_eml(dir: &Path, m: &Claimed, bytes: &[u8]) -> Result<(), Failure> {
    let temp =
        |e: std::io::Error| Failure::Temporary(format!("mail folder {}: {e}", dir.display()));
    tokio::fs::create_dir_all(dir).await.map_err(temp)?;
    let name = format!(
        "{}-{}.eml",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
        m.id
    );
    let part = dir.join(format!(".{name}.part"));
    tokio::fs::write(&part, bytes).await.map_err(temp)?;
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
