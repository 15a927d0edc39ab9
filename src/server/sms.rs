//! Text messages (the SMS add-on). A text is queued in the transaction of
//! what caused it (a reminder, a quote sent, the crew setting off, a
//! collar battery coming due) when the tenant has the add-on, the customer
//! a number that can take texts (normalised to E.164) and has not replied
//! STOP. A worker claims due texts (skip locked, with a lease, so several
//! instances never send one twice), holds those that would arrive at night
//! in the homeowner's time zone until 8 AM, and hands the rest to the
//! provider.
//!
//! The provider is an interface ([`Provider`]) with one real
//! implementation speaking Twilio's REST API (`POST
//! /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, basic auth),
//! and a folder of `.txt` files for development. Twilio's webhooks (a
//! reply, a delivery report) are accepted only with a valid
//! `X-Twilio-Signature`: STOP and START replies switch the homeowner's
//! texts off and on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use chrono::Utc;
use futures::future::BoxFuture;
use futures::StreamExt;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use uuid::Uuid;

use super::config::{Config, TwilioSettings};
use super::context::UserRef;
use super::repo::sms::{Claimed, Contact, NewText};
use super::{repo, AppState, RequestCtx, TenantTx};
use crate::error::AppError;
use crate::model::billing::Feature;
use crate::model::sms::{self, OnTheWay, SmsKind, SmsMonth, SmsOverview, SmsRow};
use crate::model::time;

/// Texts claimed per round, in flight at once, and how long a claim lasts.
const BATCH: i32 = 50;
const IN_FLIGHT: usize = 8;
const LEASE_SECONDS: i32 = 120;

/// A second "on the way" text for one job waits this long.
const ON_THE_WAY_AGAIN_MINUTES: i64 = 10;
/// A second battery text for one property waits this long.
const BATTERY_AGAIN_DAYS: i64 = 7;

/// Where the provider's webhooks arrive (under `PUBLIC_URL`).
pub const INBOUND_PATH: &str = "/twilio/inbound";
pub const STATUS_PATH: &str = "/twilio/status";

/// Twilio's error code for a recipient who replied STOP.
const UNSUBSCRIBED: i64 = 21610;

// ---- the provider ----------------------------------------------------------

/// A text the provider accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub sid: String,
    pub segments: Option<i32>,
}

/// A text the provider did not take: try again later, or never.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Temporary(String),
    Permanent { reason: String, opted_out: bool },
}

/// Something that sends texts.
pub trait Provider: Send + Sync {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> BoxFuture<'a, Result<Accepted, Failure>>;
}

/// Twilio's Programmable Messaging REST API.
pub struct Twilio {
    client: reqwest::Client,
    settings: TwilioSettings,
    /// Where Twilio reports delivery (`PUBLIC_URL` + [`STATUS_PATH`]).
    status_callback: String,
}

impl Twilio {
    pub fn new(settings: TwilioSettings, public_url: &str) -> Result<Twilio, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Twilio {
            client,
            settings,
            status_callback: format!("{public_url}{STATUS_PATH}"),
        })
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.settings.api_url, self.settings.account_sid
        )
    }
}

/// Twilio's JSON answers: a message resource, or an error.
#[derive(serde::Deserialize)]
struct TwilioMessage {
    sid: String,
    num_segments: Option<String>,
}

#[derive(serde::Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

impl Provider for Twilio {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> BoxFuture<'a, Result<Accepted, Failure>> {
        Box::pin(async move {
            let from = if self.settings.from.starts_with("MG") {
                "MessagingServiceSid"
            } else {
                "From"
            };
            let form = [
                ("To", to),
                (from, self.settings.from.as_str()),
                ("Body", body),
                ("StatusCallback", self.status_callback.as_str()),
            ];
            let res = self
                .client
                .post(self.messages_url())
                .basic_auth(
                    &self.settings.account_sid,
                    Some(self.settings.auth_token.expose_secret()),
                )
                .form(&form)
                .send()
                .await
                .map_err(|e| Failure::Temporary(format!("Twilio could not be reached: {e}")))?;
            let status = res.status();
            let bytes = res
                .bytes()
                .await
                .map_err(|e| Failure::Temporary(format!("Twilio's answer was cut off: {e}")))?;
            if status.is_success() {
                let m: TwilioMessage = serde_json::from_slice(&bytes).map_err(|e| {
                    Failure::Temporary(format!("Twilio's answer was not a message: {e}"))
                })?;
                return Ok(Accepted {
                    sid: m.sid,
                    segments: m.num_segments.and_then(|n| n.parse().ok()),
                });
            }
            let err: Option<TwilioError> = serde_json::from_slice(&bytes).ok();
            let code = err.as_ref().and_then(|e| e.code);
            let text = err
                .and_then(|e| e.message)
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).chars().take(200).collect());
            let reason = match code {
                Some(c) => format!("Twilio {c}: {text}"),
                None => format!("Twilio HTTP {}: {text}", status.as_u16()),
            };
            // Throttled, Twilio's own trouble and a refused login (fixed by
            // the operator) are tried again; a refused message is not.
            if status.is_server_error()
                || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                || status == reqwest::StatusCode::UNAUTHORIZED
                || status == reqwest::StatusCode::FORBIDDEN
            {
                Err(Failure::Temporary(reason))
            } else {
                Err(Failure::Permanent {
                    reason,
                    opted_out: code == Some(UNSUBSCRIBED),
                })
            }
        })
    }
}

/// Development: each text becomes a `.txt` file in a folder.
pub struct Folder(pub PathBuf);

impl Provider for Folder {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> BoxFuture<'a, Result<Accepted, Failure>> {
        Box::pin(async move {
            let temp = |e: std::io::Error| {
                Failure::Temporary(format!("SMS folder {}: {e}", self.0.display()))
            };
            tokio::fs::create_dir_all(&self.0).await.map_err(temp)?;
            let sid = format!("SM{}", Uuid::new_v4().simple());
            let name = format!("{}-{sid}.txt", Utc::now().format("%Y%m%dT%H%M%S%.3f"));
            let part = self.0.join(format!(".{name}.part"));
            tokio::fs::write(&part, format!("To: {to}\n\n{body}\n"))
                .await
                .map_err(temp)?;
            tokio::fs::rename(&part, self.0.join(name))
                .await
                .map_err(temp)?;
            Ok(Accepted {
                sid,
                segments: Some(sms::segments(body) as i32),
            })
        })
    }
}

/// The configured provider: Twilio when its account is set, else the
/// folder, else none (texts stay queued).
pub fn provider_from_config(config: &Config) -> Result<Option<Arc<dyn Provider>>, String> {
    if let Some(t) = &config.sms.twilio {
        if sms::e164(&t.from).is_err() && !t.from.starts_with("MG") {
            return Err(format!(
                "TWILIO_FROM {:?} must be a number in E.164 (+15551234567) or a Messaging Service SID (MG...)",
                t.from
            ));
        }
        return Ok(Some(Arc::new(Twilio::new(
            t.clone(),
            &config.platform.public_url,
        )?)));
    }
    Ok(config
        .sms
        .dir
        .clone()
        .map(|d| Arc::new(Folder(d)) as Arc<dyn Provider>))
}

// ---- the worker ---------------------------------------------------------

/// One round: claims due texts and sends them. Returns how many were
/// claimed (a full batch means more may be waiting).
#[tracing::instrument(skip_all)]
pub async fn deliver_due(pool: &PgPool, provider: &dyn Provider) -> Result<usize, AppError> {
    deliver_due_at(pool, provider, Utc::now()).await
}

/// [`deliver_due`] as if it were `now` (the tests' clock: quiet hours).
pub async fn deliver_due_at(
    pool: &PgPool,
    provider: &dyn Provider,
    now: chrono::DateTime<Utc>,
) -> Result<usize, AppError> {
    let claimed = repo::sms::claim(pool, BATCH, LEASE_SECONDS, now).await?;
    let count = claimed.len();
    futures::stream::iter(claimed)
        .for_each_concurrent(IN_FLIGHT, |m| async move {
            if let Err(e) = deliver_one(pool, provider, &m, now).await {
                tracing::warn!(id = %m.id, error = %e, "recording a text failed");
            }
        })
        .await;
    Ok(count)
}

#[tracing::instrument(skip_all, fields(id = %m.id, org_id = %m.org_id, kind = %m.kind))]
async fn deliver_one(
    pool: &PgPool,
    provider: &dyn Provider,
    m: &Claimed,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    if m.opted_out {
        return repo::sms::failed(
            pool,
            m.org_id,
            m.id,
            "The recipient replied STOP.",
            None,
            false,
        )
        .await;
    }
    if let Some(at) = sms::quiet_until(now, &m.zone) {
        metrics::counter!("sms_held_total").increment(1);
        return repo::sms::hold(pool, m.org_id, m.id, at).await;
    }
    match provider.send(&m.to_phone, &m.body).await {
        Ok(a) => {
            repo::sms::sent(pool, m.org_id, m.id, &a.sid, a.segments).await?;
            metrics::counter!("sms_sent_total").increment(1);
        }
        Err(Failure::Temporary(e)) => {
            tracing::warn!(attempts = m.attempts, error = %e, "text not sent; will retry");
            let retry =
                super::mail::backoff(m.attempts).map(|s| now + chrono::Duration::seconds(s.into()));
            repo::sms::failed(pool, m.org_id, m.id, &e, retry, false).await?;
            metrics::counter!("sms_failed_total", "kind" => "temporary").increment(1);
        }
        Err(Failure::Permanent { reason, opted_out }) => {
            tracing::warn!(error = %reason, "text refused");
            repo::sms::failed(pool, m.org_id, m.id, &reason, None, opted_out).await?;
            metrics::counter!("sms_failed_total", "kind" => "permanent").increment(1);
        }
    }
    Ok(())
}

/// Sends until nothing is due, then waits for a new text (NOTIFY `sms`), a
/// poll interval or the stop signal.
pub async fn run(
    pool: PgPool,
    listen_url: String,
    provider: Arc<dyn Provider>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    super::workers::drain_on_notify(
        listen_url,
        "sms",
        move || {
            let (pool, provider) = (pool.clone(), provider.clone());
            async move { Ok(deliver_due(&pool, provider.as_ref()).await? as i32 == BATCH) }
        },
        stop,
    )
    .await
}

// ---- queueing -----------------------------------------------------------

/// What became of a text to a customer.
#[derive(Debug, Clone, PartialEq)]
pub enum Queued {
    /// Queued, to this number (E.164).
    To(String),
    /// The tenant does not have the SMS add-on.
    Off,
    NoNumber,
    BadNumber(String),
    OptedOut,
}

impl Queued {
    pub fn queued(&self) -> bool {
        matches!(self, Queued::To(_))
    }

    /// The reason a text the user asked for did not go.
    fn refusal(self) -> Result<String, AppError> {
        match self {
            Queued::To(n) => Ok(n),
            Queued::Off => Err(AppError::Limit(Feature::Sms.locked_message())),
            Queued::NoNumber => Err(AppError::Conflict(
                "This customer has no phone number: add one on their page.".into(),
            )),
            Queued::BadNumber(m) => Err(AppError::Conflict(format!(
                "{m} Correct it on the customer's page."
            ))),
            Queued::OptedOut => Err(AppError::Conflict(
                "This homeowner replied STOP to our texts: call them instead.".into(),
            )),
        }
    }
}

/// The homeowner's time zone (their state's), for quiet hours.
fn zone_of(c: &Contact) -> &'static str {
    time::zone_for_state(&c.state)
}

/// Queues a text to `customer` when the tenant has the add-on, the
/// customer a number that takes texts and no STOP on record; `body` words
/// it for them. Held until morning if it is night where they live.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind = kind.code(), %customer))]
pub async fn to_customer(
    tx: &mut TenantTx,
    kind: SmsKind,
    customer: Uuid,
    about: Option<Uuid>,
    by: Option<Uuid>,
    now: chrono::DateTime<Utc>,
    body: impl FnOnce(&Contact) -> String,
) -> Result<Queued, AppError> {
    if !repo::schedule::feature(tx, Feature::Sms.code()).await? {
        return Ok(Queued::Off);
    }
    let Some(c) = repo::sms::contact(tx, customer).await? else {
        return Err(AppError::NotFound);
    };
    let Some(phone) = c.phone.as_deref().filter(|p| !p.trim().is_empty()) else {
        return Ok(Queued::NoNumber);
    };
    let to = match sms::e164(phone) {
        Ok(n) => n,
        Err(m) => return Ok(Queued::BadNumber(m)),
    };
    if repo::sms::opted_out(tx, &to).await? {
        return Ok(Queued::OptedOut);
    }
    let text: String = body(&c).chars().take(sms::MAX_BODY).collect();
    let zone = zone_of(&c);
    repo::sms::insert(
        tx,
        &NewText {
            kind,
            to: &to,
            body: &text,
            about,
            zone,
            segments: sms::segments(&text) as i32,
            at: sms::quiet_until(now, zone).unwrap_or(now),
            by,
        },
    )
    .await?;
    Ok(Queued::To(to))
}

// ---- what people do -----------------------------------------------------

/// The crew tells the homeowner it is on the way, arriving in `minutes`.
/// Only a member of the crew booked on the job (or the office) may; the
/// text goes at once or not at all (never held for the morning).
#[tracing::instrument(skip_all, fields(%job, minutes))]
pub async fn on_the_way(
    cx: &RequestCtx,
    me: &UserRef,
    job: Uuid,
    minutes: u32,
) -> Result<OnTheWay, AppError> {
    if !(1..=240).contains(&minutes) {
        return Err(AppError::field(
            "minutes",
            "Choose an arrival time between 1 minute and 4 hours.",
        ));
    }
    let mut tx = cx.tx().await?;
    super::billing::require(&mut tx, Feature::Sms).await?;
    let j = repo::sms::job(&mut tx, job, me.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if me.role == crate::model::Role::Crew && !j.on_crew {
        return Err(AppError::Forbidden(
            "Only the crew booked on this job can text its homeowner.".into(),
        ));
    }
    if !matches!(j.status.as_str(), "scheduled" | "in_progress") {
        return Err(AppError::Conflict(
            "Only a booked job's homeowner can be told the crew is on the way.".into(),
        ));
    }
    let now = Utc::now();
    let zone = repo::orgs::time_zone(&mut tx).await?;
    if let Some(at) = repo::sms::last_about(&mut tx, SmsKind::OnTheWay, job).await? {
        if now - at < chrono::Duration::minutes(ON_THE_WAY_AGAIN_MINUTES) {
            return Err(AppError::Conflict(format!(
                "The homeowner was texted at {}; wait a few minutes before sending again.",
                time::to_local(at, &zone).format("%-I:%M %p")
            )));
        }
    }
    let contact = repo::sms::contact(&mut tx, j.customer_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let their_zone = zone_of(&contact);
    if sms::quiet_until(now, their_zone).is_some() {
        return Err(AppError::Conflict(
            "It is night where the homeowner lives (texts go between 8 AM and 9 PM their time): call instead."
                .into(),
        ));
    }
    let arrive = time::to_local(now + chrono::Duration::minutes(minutes.into()), their_zone)
        .format("%-I:%M %p")
        .to_string();
    let brand = repo::orgs::brand(&mut tx).await?;
    let to = to_customer(
        &mut tx,
        SmsKind::OnTheWay,
        j.customer_id,
        Some(job),
        Some(me.id),
        now,
        |c| sms::on_the_way_text(&brand.company_name, &c.name, minutes, &arrive),
    )
    .await?
    .refusal()?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "job.on_the_way",
        Some(job),
        serde_json::json!({ "minutes": minutes }),
    )
    .await?;
    tx.commit().await?;
    Ok(OnTheWay {
        to: sms::display(&to),
        arrive,
    })
}

/// The office texts a homeowner whose collar batteries are coming due.
#[tracing::instrument(skip_all, fields(%property))]
pub async fn battery_due(
    cx: &RequestCtx,
    me: &UserRef,
    property: Uuid,
) -> Result<String, AppError> {
    use crate::model::schedule::{BATTERY_AHEAD_DAYS, BATTERY_DAYS};
    let mut tx = cx.tx().await?;
    super::billing::require(&mut tx, Feature::Sms).await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let now = Utc::now();
    let today = time::local_day(now, &zone);
    let pets = repo::schedule::battery_pets(
        &mut tx,
        today + chrono::Duration::days(BATTERY_AHEAD_DAYS),
        BATTERY_DAYS,
        Some(property),
    )
    .await?;
    let Some(first) = pets.first() else {
        if !repo::schedule::property_exists(&mut tx, property).await? {
            return Err(AppError::NotFound);
        }
        return Err(AppError::Conflict(
            "No collar battery at this property is due in the next four weeks.".into(),
        ));
    };
    if let Some(at) = repo::sms::last_about(&mut tx, SmsKind::BatteryDue, property).await? {
        if now - at < chrono::Duration::days(BATTERY_AGAIN_DAYS) {
            return Err(AppError::Conflict(format!(
                "This homeowner was texted about their batteries on {}.",
                time::to_local(at, &zone).format("%b %-d")
            )));
        }
    }
    let names: Vec<String> = pets.iter().map(|p| p.pet_name.clone()).collect();
    let names = match names.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    };
    let due = pets.iter().map(|p| p.due).min().unwrap_or(first.due);
    let due = if due <= today {
        "now".to_string()
    } else {
        format!("on {}", due.format("%b %-d"))
    };
    let customer = first.customer_id;
    let brand = repo::orgs::brand(&mut tx).await?;
    let phone = repo::orgs::company_phone(&mut tx).await?;
    let to = to_customer(
        &mut tx,
        SmsKind::BatteryDue,
        customer,
        Some(property),
        Some(me.id),
        now,
        |c| sms::battery_text(&brand.company_name, &c.name, &names, &due, phone.as_deref()),
    )
    .await?
    .refusal()?;
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "property.battery_texted",
        Some(property),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(sms::display(&to))
}

/// Settings → Text messages: the add-on, this month's and earlier months'
/// usage, the latest texts and how many numbers replied STOP.
#[tracing::instrument(skip_all)]
pub async fn overview(cx: &RequestCtx) -> Result<SmsOverview, AppError> {
    let mut tx = cx.tx().await?;
    let enabled = repo::schedule::feature(&mut tx, Feature::Sms.code()).await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let this_month = time::local_day(Utc::now(), &zone);
    let this_month =
        this_month - chrono::Duration::days(i64::from(chrono::Datelike::day0(&this_month)));
    let mut months: Vec<SmsMonth> = repo::sms::months(&mut tx, &zone)
        .await?
        .into_iter()
        .map(|(m, messages, segments)| SmsMonth {
            label: m.format("%B %Y").to_string(),
            messages,
            segments,
        })
        .collect();
    let label = this_month.format("%B %Y").to_string();
    if months.first().is_none_or(|m| m.label != label) {
        months.insert(
            0,
            SmsMonth {
                label,
                messages: 0,
                segments: 0,
            },
        );
    }
    let style = super::context::reader_date_style();
    let recent = repo::sms::recent(&mut tx, 25)
        .await?
        .into_iter()
        .map(|r| {
            let status = match r.status.as_str() {
                "queued" if r.next_attempt_at > Utc::now() + chrono::Duration::seconds(5) => {
                    format!(
                        "waiting until {}",
                        style.date_time(r.next_attempt_at, &zone)
                    )
                }
                s => s.to_string(),
            };
            SmsRow {
                at: style.date_time(r.created_at, &zone),
                to: sms::display(&r.to_phone),
                kind: SmsKind::from_code(&r.kind)
                    .map(|k| k.label().to_string())
                    .unwrap_or(r.kind),
                status,
                error: r.error,
            }
        })
        .collect();
    let opted_out = repo::sms::opt_out_count(&mut tx).await?;
    tx.commit().await?;
    Ok(SmsOverview {
        enabled,
        provider: cx.state.config.sms.twilio.is_some() || cx.state.config.sms.dir.is_some(),
        months,
        recent,
        opted_out,
    })
}

// ---- Twilio's webhooks --------------------------------------------------

type HmacSha1 = Hmac<sha1::Sha1>;

/// Twilio's signature: HMAC-SHA1 with the auth token over the URL it
/// called followed by each POST parameter's name and value, sorted by
/// name; base64.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(signed(auth_token, url, params).finalize().into_bytes())
}

/// Checks `signature` in constant time.
pub fn signature_valid(
    auth_token: &SecretString,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    signed(auth_token.expose_secret(), url, params)
        .verify_slice(&given)
        .is_ok()
}

/// The MAC over what Twilio signs: the URL, then each parameter's name
/// and value, sorted by name.
fn signed(auth_token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = HmacSha1::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    mac
}

/// The form Twilio posted, if it carries a valid signature for `path`
/// under `PUBLIC_URL` and names our account.
fn verified(
    state: &AppState,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, StatusCode> {
    let Some(t) = &state.config.sms.twilio else {
        return Err(StatusCode::NOT_FOUND);
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let url = format!("{}{path}", state.config.platform.public_url);
    let sig = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let account = params
        .iter()
        .find(|(k, _)| k == "AccountSid")
        .map(|(_, v)| v.as_str());
    if !signature_valid(&t.auth_token, &url, &params, sig) || account != Some(&t.account_sid) {
        metrics::counter!("twilio_webhooks_total", "outcome" => "bad_signature").increment(1);
        tracing::warn!(path, "Twilio webhook refused: bad signature or account");
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(params)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// STOP-like and START-like replies (Twilio's standard opt-out keywords).
pub fn reply_keyword(body: &str) -> Option<bool> {
    let word = body.split_whitespace().next()?.to_ascii_uppercase();
    let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    match word {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "REVOKE" => {
            Some(true)
        }
        "START" | "YES" | "UNSTOP" | "OPTIN" => Some(false),
        _ => None,
    }
}

fn twiml() -> Response {
    (
        [("content-type", "text/xml")],
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>",
    )
        .into_response()
}

/// A homeowner's reply to the platform's number.
pub async fn inbound(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let params = match verified(&state, INBOUND_PATH, &headers, &body) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let Ok(from) = sms::e164(param(&params, "From")) else {
        return twiml();
    };
    let text = param(&params, "Body").trim();
    let Some(stop) = reply_keyword(text) else {
        if !text.is_empty() {
            if let Err(e) = forward_reply(&state, &from, text).await {
                tracing::error!(error = %e, "text reply not forwarded");
                return (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response();
            }
        }
        return twiml();
    };
    match repo::sms::reply(&state.pool, &from, stop).await {
        Ok(n) => {
            tracing::info!(stop, tenants = n, "text reply recorded");
            metrics::counter!("twilio_webhooks_total", "outcome" => if stop { "stop" } else { "start" })
                .increment(1);
        }
        Err(e) => {
            tracing::error!(error = %e, "text reply not recorded");
            // Twilio retries a failed webhook.
            return (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response();
        }
    }
    twiml()
}

/// A reply that is not STOP or START goes to the office of the tenant that
/// texted the number last (within 30 days), as an email: the member who
/// sent the text, else the owners and admins. Nobody's reply reaches a
/// tenant that did not text them.
async fn forward_reply(state: &AppState, from: &str, text: &str) -> Result<(), AppError> {
    let Some((org, by)) = repo::sms::reply_to(&state.pool, from).await? else {
        return Ok(());
    };
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    let phone = sms::display(from);
    let customer = repo::sms::customer_by_phone(&mut tx, &phone).await?;
    let brand = repo::orgs::brand(&mut tx).await?;
    let base = state.tenant_base(&brand);
    let (name, link) = match &customer {
        Some((id, name)) => (name.clone(), format!("{base}/customers/{id}")),
        None => ("A homeowner".to_string(), format!("{base}/customers")),
    };
    let text: String = text.chars().take(sms::MAX_BODY).collect();
    let mail = super::emails::text_reply(&name, &phone, &text, &link);
    for to in repo::sms::reply_readers(&mut tx, by).await? {
        repo::outbox::queue(&mut tx, &to, &mail, customer.as_ref().map(|c| c.0)).await?;
    }
    tx.commit().await
}

/// Twilio's delivery report for a text it accepted.
pub async fn status(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let params = match verified(&state, STATUS_PATH, &headers, &body) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let sid = param(&params, "MessageSid");
    let status = param(&params, "MessageStatus");
    let code = param(&params, "ErrorCode");
    let error = if code.is_empty() {
        format!("Twilio reported the text {status}.")
    } else {
        format!("Twilio {code}: the text was {status}.")
    };
    let opt_out = code.parse::<i64>().ok() == Some(UNSUBSCRIBED);
    match repo::sms::status(&state.pool, sid, status, &error, opt_out).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "delivery report not recorded");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example in Twilio's "Webhooks security" documentation.
    #[test]
    fn twilios_documented_signature() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            twilio_signature("12345", url, &params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        let token = SecretString::from("12345");
        assert!(signature_valid(
            &token,
            url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        let mut tampered = params.clone();
        tampered[2].1 = "9999".into();
        assert!(!signature_valid(
            &token,
            url,
            &tampered,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!signature_valid(
            &SecretString::from("other"),
            url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!signature_valid(&token, url, &params, "not base64!"));
    }

    #[test]
    fn stop_and_start_keywords() {
        assert_eq!(reply_keyword("STOP"), Some(true));
        assert_eq!(reply_keyword("  stop please"), Some(true));
        assert_eq!(reply_keyword("Unsubscribe."), Some(true));
        assert_eq!(reply_keyword("start"), Some(false));
        assert_eq!(reply_keyword("see you at 10"), None);
        assert_eq!(reply_keyword(""), None);
    }
}
