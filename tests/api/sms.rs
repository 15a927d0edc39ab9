//! Texts (the SMS add-on) through Twilio's REST API, against a local fake
//! held to Twilio's documented request format (path with the account SID,
//! basic auth, a form with `To` in E.164, `From` and `Body`, and its
//! documented answers: a 201 message resource, 400 errors with Twilio's
//! codes); Twilio's signed webhooks (STOP/START replies, delivery
//! reports), forged ones refused; quiet hours in the homeowner's zone; the
//! crew's "on the way"; a collar battery due; usage by month; and the
//! isolation of each between tenants.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use fence::api::schedule::{BatteryVisits, GetMyDay};
use fence::api::sms::{GetSmsOverview, OnMyWay, TextBattery};
use fence::error::AppError;
use fence::server::config::TwilioSettings;
use fence::server::sms::{deliver_due_at, provider_from_config, twilio_signature, Provider};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};
use crate::schedule::{approved_job_for, battery_customer, book, crew, user_id};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-test-auth-token";
const FROM: &str = "+15005550006";

/// One request the fake received.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: String,
    content_type: String,
    form: Vec<(String, String)>,
}

impl Seen {
    fn get(&self, k: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct FakeState {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Answer this many requests with Twilio's 503 first.
    fail_next: Arc<Mutex<usize>>,
    /// Numbers that replied STOP (Twilio answers 21610).
    unsubscribed: Arc<Mutex<HashSet<String>>>,
}

/// Twilio's Messages endpoint on loopback.
struct TwilioFake {
    url: String,
    state: FakeState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TwilioFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn twilio_error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

async fn messages(
    State(f): State<FakeState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let seen = Seen {
        path: format!("/2010-04-01/Accounts/{account}/Messages.json"),
        authorization: header("authorization"),
        content_type: header("content-type"),
        form,
    };
    f.seen.lock().unwrap().push(seen.clone());
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"))
    );
    if account != ACCOUNT || seen.authorization != basic {
        return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if !seen
        .content_type
        .starts_with("application/x-www-form-urlencoded")
    {
        return twilio_error(StatusCode::BAD_REQUEST, 20001, "Invalid content type");
    }
    {
        let mut n = f.fail_next.lock().unwrap();
        if *n > 0 {
            *n -= 1;
            return twilio_error(
                StatusCode::SERVICE_UNAVAILABLE,
                20503,
                "Service unavailable",
            );
        }
    }
    let Some(to) = seen.get("To") else {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        );
    };
    if seen.get("From").is_none() && seen.get("MessagingServiceSid").is_none() {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21603,
            "A 'From' phone number is required.",
        );
    }
    let Some(text) = seen.get("Body") else {
        return twilio_error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    };
    let e164 = to.len() >= 9
        && to.len() <= 16
        && to.starts_with('+')
        && to[1..].chars().all(|c| c.is_ascii_digit());
    if !e164 {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    if text.chars().count() > 1600 {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        );
    }
    if f.unsubscribed.lock().unwrap().contains(to) {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            21610,
            "Attempt to send to unsubscribed recipient",
        );
    }
    let sid = format!("SM{}", Uuid::new_v4().simple());
    let segments = fence::model::sms::segments(text);
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "account_sid": ACCOUNT,
            "api_version": "2010-04-01",
            "body": text,
            "date_created": Utc::now().to_rfc2822(),
            "date_sent": null,
            "date_updated": Utc::now().to_rfc2822(),
            "direction": "outbound-api",
            "error_code": null,
            "error_message": null,
            "from": seen.get("From"),
            "messaging_service_sid": seen.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": segments.to_string(),
            "price": null,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": { "media": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}/Media.json") },
            "to": to,
            "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json"),
        })),
    )
        .into_response()
}

impl TwilioFake {
    async fn start() -> TwilioFake {
        let state = FakeState::default();
        let app = axum::Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                axum::routing::post(messages),
            )
            .fallback(|| async {
                twilio_error(
                    StatusCode::NOT_FOUND,
                    20404,
                    "The requested resource was not found",
                )
            })
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TwilioFake { url, state, task }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

fn twilio_at(url: String) -> impl FnOnce(&mut fence::server::config::Config) {
    move |c| {
        c.sms.twilio = Some(TwilioSettings {
            account_sid: ACCOUNT.into(),
            auth_token: TOKEN.to_string().into(),
            from: FROM.into(),
            api_url: url,
        });
    }
}

async fn with_sms(app: &TestApp, t: &Tenant) {
    sqlx::query(
        "update organizations set features = features || '{\"sms\": true}'::jsonb where id = $1",
    )
    .bind(t.org_id)
    .execute(&app.owner)
    .await
    .unwrap();
}

/// A customer with a phone, living in `state`.
async fn texted_customer(app: &TestApp, t: &Tenant, name: &str, phone: &str, state: &str) -> Uuid {
    let email = format!(
        "{}@{}.example",
        name.to_lowercase().replace(' ', "."),
        t.sub
    );
    let id = app.customer(t, name, &email).await;
    sqlx::query("update customers set phone = $2, state = $3 where id = $1")
        .bind(id)
        .bind(phone)
        .bind(state)
        .execute(&app.owner)
        .await
        .unwrap();
    id
}

/// The texts stored for a tenant: (kind, to, status, body, next attempt).
async fn texts(app: &TestApp, t: &Tenant) -> Vec<(String, String, String, String, DateTime<Utc>)> {
    sqlx::query_as(
        "select kind, to_phone, status, body, next_attempt_at from sms_messages
          where org_id = $1 order by created_at, id",
    )
    .bind(t.org_id)
    .fetch_all(&app.owner)
    .await
    .unwrap()
}

fn provider(app: &TestApp) -> Arc<dyn Provider> {
    provider_from_config(&app.state.config).unwrap().unwrap()
}

/// Sends what is due at `now` (or when the first waiting text may go,
/// whichever is later: the homeowner's night holds texts).
async fn deliver(app: &TestApp, now: DateTime<Utc>) -> usize {
    deliver_due_at(&app.state.pool, provider(app).as_ref(), now)
        .await
        .unwrap()
}

async fn next_due(app: &TestApp) -> DateTime<Utc> {
    let at: Option<DateTime<Utc>> =
        sqlx::query_scalar("select min(next_attempt_at) from sms_messages where status = 'queued'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    at.unwrap_or_else(Utc::now).max(Utc::now()) + chrono::Duration::seconds(1)
}

#[tokio::test]
async fn a_sent_quote_is_texted_through_twilio_in_its_documented_format() {
    let fake = TwilioFake::start().await;
    let app = TestApp::spawn_with(twilio_at(fake.url.clone())).await;
    let a = app.signup("alpha", "growth").await;
    with_sms(&app, &a).await;
    let dana = texted_customer(&app, &a, "Dana Smith", "(512) 555-0142", "TX").await;
    approved_job_for(&app, &a, dana, "Dana Smith", None).await;
    let stored = texts(&app, &a).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].0, "quote_link");
    assert_eq!(stored[0].1, "+15125550142", "normalised to E.164");

    assert_eq!(deliver(&app, next_due(&app).await).await, 1);
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(
        r.path,
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    );
    assert!(r
        .content_type
        .starts_with("application/x-www-form-urlencoded"));
    assert_eq!(r.get("To"), Some("+15125550142"));
    assert_eq!(r.get("From"), Some(FROM));
    assert_eq!(
        r.get("StatusCallback").map(str::to_string),
        Some(format!(
            "{}/twilio/status",
            app.state.config.platform.public_url
        ))
    );
    let body = r.get("Body").unwrap();
    assert!(
        body.starts_with("ALPHA Fence Co: Hi Dana, your quote Q-"),
        "{body}"
    );
    assert!(
        body.contains(&format!("http://alpha.localhost:{}/q/", app.port)),
        "the approval link on the tenant's host: {body}"
    );
    assert!(body.ends_with("Reply STOP to opt out."));
    // Recorded as sent, with Twilio's SID and segments.
    let (status, sid, segments): (String, String, i32) =
        sqlx::query_as("select status, provider_sid, segments from sms_messages where org_id = $1")
            .bind(a.org_id)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(status, "sent");
    assert!(sid.starts_with("SM"));
    assert_eq!(segments as u32, fence::model::sms::segments(body));
    // Nothing is sent twice.
    assert_eq!(deliver(&app, next_due(&app).await).await, 0);
    assert_eq!(fake.seen().len(), 1);

    // The office sees the month's usage and the text.
    let o = app.as_owner(&a, GetSmsOverview {}).await.unwrap();
    assert!(o.enabled && o.provider);
    assert_eq!(o.months.iter().map(|m| m.messages).sum::<i64>(), 1);
    assert_eq!(o.recent.len(), 1);
    assert_eq!(o.recent[0].to, "(512) 555-0142");
    assert_eq!(o.recent[0].kind, "Quote link");
    assert_eq!(o.recent[0].status, "sent");
}

#[tokio::test]
async fn twilio_trouble_is_retried_a_refusal_is_final_and_a_stop_is_learned() {
    let fake = TwilioFake::start().await;
    let app = TestApp::spawn_with(twilio_at(fake.url.clone())).await;
    let a = app.signup("alpha", "growth").await;
    with_sms(&app, &a).await;
    let dana = texted_customer(&app, &a, "Dana Smith", "512.555.0142", "TX").await;
    *fake.state.fail_next.lock().unwrap() = 1;
    approved_job_for(&app, &a, dana, "Dana Smith", None).await;
    let first = next_due(&app).await;
    assert_eq!(deliver(&app, first).await, 1);
    let (status, error, attempts): (String, Option<String>, i32) =
        sqlx::query_as("select status, error, attempts from sms_messages where org_id = $1")
            .bind(a.org_id)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(status, "queued", "a 503 is tried again");
    assert!(error.unwrap().contains("Twilio 20503"));
    assert_eq!(attempts, 1);
    assert_eq!(deliver(&app, first).await, 0, "not before its backoff");
    assert_eq!(deliver(&app, next_due(&app).await).await, 1);
    assert_eq!(texts(&app, &a).await[0].2, "sent");
    assert_eq!(fake.seen().len(), 2);

    // Twilio refuses a number that replied STOP to it: final, and learned.
    let eve = texted_customer(&app, &a, "Eve Stone", "(512) 555-0199", "TX").await;
    fake.state
        .unsubscribed
        .lock()
        .unwrap()
        .insert("+15125550199".into());
    approved_job_for(&app, &a, eve, "Eve Stone", None).await;
    assert_eq!(deliver(&app, next_due(&app).await).await, 1);
    let t = texts(&app, &a).await;
    assert_eq!(t[1].2, "failed");
    let opted: i64 = sqlx::query_scalar(
        "select count(*) from sms_opt_outs where org_id = $1 and phone = '+15125550199'",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(opted, 1);
    let o = app.as_owner(&a, GetSmsOverview {}).await.unwrap();
    assert_eq!(o.opted_out, 1);
    assert!(o.recent[0]
        .error
        .as_deref()
        .is_some_and(|e| e.contains("21610")));
}

/// A webhook as Twilio signs it, to `path` under `PUBLIC_URL`.
async fn webhook(app: &TestApp, path: &str, params: &[(&str, &str)], token: &str) -> u16 {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let url = format!("{}{path}", app.state.config.platform.public_url);
    let sig = twilio_signature(token, &url, &owned);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    app.client()
        .post(app.url(None, path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn opt_outs(app: &TestApp, t: &Tenant) -> i64 {
    sqlx::query_scalar("select count(*) from sms_opt_outs where org_id = $1")
        .bind(t.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn stop_and_start_replies_are_verified_and_switch_only_the_tenants_that_texted() {
    let fake = TwilioFake::start().await;
    let app = TestApp::spawn_with(twilio_at(fake.url.clone())).await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    for t in [&a, &b] {
        with_sms(&app, t).await;
    }
    // Alpha texted Dana; Bravo has her number too but never texted her.
    let dana = texted_customer(&app, &a, "Dana Smith", "(512) 555-0142", "TX").await;
    texted_customer(&app, &b, "Dana Smith", "(512) 555-0142", "TX").await;
    approved_job_for(&app, &a, dana, "Dana Smith", None).await;
    deliver(&app, next_due(&app).await).await;
    let sid: String = sqlx::query_scalar("select provider_sid from sms_messages where org_id = $1")
        .bind(a.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();

    let stop = [
        ("AccountSid", ACCOUNT),
        ("Body", "Stop"),
        ("From", "+15125550142"),
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("To", FROM),
    ];
    // Forged: another key, another account, no signature.
    assert_eq!(
        webhook(&app, "/twilio/inbound", &stop, "not-the-token").await,
        403
    );
    let mut other_account = stop;
    other_account[0] = ("AccountSid", "AC99999999999999999999999999999999");
    assert_eq!(
        webhook(&app, "/twilio/inbound", &other_account, TOKEN).await,
        403
    );
    let unsigned = app
        .client()
        .post(app.url(None, "/twilio/inbound"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("AccountSid=AC0123456789abcdef0123456789abcdef&Body=STOP&From=%2B15125550142")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);
    assert_eq!(opt_outs(&app, &a).await, 0, "nothing forged is recorded");

    // Signed: Alpha stops texting Dana; Bravo learns nothing.
    assert_eq!(webhook(&app, "/twilio/inbound", &stop, TOKEN).await, 200);
    assert_eq!(opt_outs(&app, &a).await, 1);
    assert_eq!(opt_outs(&app, &b).await, 0);
    // Alpha's next quote to her is not texted.
    approved_job_for(&app, &a, dana, "Dana Smith", None).await;
    let kinds: Vec<String> = texts(&app, &a).await.into_iter().map(|t| t.0).collect();
    assert_eq!(kinds, vec!["quote_link".to_string()], "no second text");

    // Any other reply reaches the office of the tenant that texted her
    // (the owner sent the quote), by email; Bravo hears nothing.
    let mut question = stop;
    question[1] = ("Body", "Can you come at 11 instead?");
    assert_eq!(
        webhook(&app, "/twilio/inbound", &question, TOKEN).await,
        200
    );
    let forwarded: Vec<(Uuid, String, String)> =
        sqlx::query_as("select org_id, to_email, subject from outbox where kind = 'text_reply'")
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(forwarded.len(), 1, "{forwarded:?}");
    assert_eq!(forwarded[0].0, a.org_id);
    assert_eq!(forwarded[0].1, a.email);
    assert_eq!(
        forwarded[0].2,
        "Text from Dana Smith: Can you come at 11 instead?"
    );

    // START lifts it.
    let mut start = stop;
    start[1] = ("Body", "START");
    assert_eq!(webhook(&app, "/twilio/inbound", &start, TOKEN).await, 200);
    assert_eq!(opt_outs(&app, &a).await, 0);

    // Delivery reports: signed ones recorded, forged ones refused.
    let report = [
        ("AccountSid", ACCOUNT),
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "delivered"),
    ];
    assert_eq!(
        webhook(&app, "/twilio/status", &report, "forged").await,
        403
    );
    assert_eq!(texts(&app, &a).await[0].2, "sent");
    assert_eq!(webhook(&app, "/twilio/status", &report, TOKEN).await, 204);
    assert_eq!(texts(&app, &a).await[0].2, "delivered");
}

#[tokio::test]
async fn reminders_are_texted_by_day_and_held_through_the_homeowners_night() {
    let fake = TwilioFake::start().await;
    let app = TestApp::spawn_with(twilio_at(fake.url.clone())).await;
    let a = app.signup("alpha", "growth").await;
    let dana = texted_customer(&app, &a, "Dana Smith", "(512) 555-0142", "TX").await;
    let job = approved_job_for(&app, &a, dana, "Dana Smith", None).await;
    // The add-on comes after the quote (so the only text is the reminder).
    with_sms(&app, &a).await;
    let c = crew(&app, &a, "Red", vec![]).await;
    app.as_owner(&a, book(job, c, "2027-03-11", "09:00", "240"))
        .await
        .unwrap();
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    // 10 AM in Austin the day before: an email and a text.
    let queued =
        fence::server::notices::remind_appointments_at(&app.state, at("2027-03-10T16:00:00Z"))
            .await
            .unwrap();
    assert_eq!(queued, 2);
    let t = texts(&app, &a).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].0, "reminder");
    assert!(
        t[0].3
            .contains("is Thursday, March 11, arriving around 9:00 AM"),
        "{}",
        t[0].3
    );
    // The worker is down until 9:30 PM in Austin: the text waits for 8 AM
    // there (the clocks change on March 14, 2027: still CST, UTC-6).
    let night = at("2027-03-11T03:30:00Z");
    assert_eq!(deliver(&app, night).await, 1);
    assert!(fake.seen().is_empty(), "nothing at night");
    let t = texts(&app, &a).await;
    assert_eq!(t[0].2, "queued");
    assert_eq!(t[0].4, at("2027-03-11T14:00:00Z"));
    assert_eq!(deliver(&app, at("2027-03-11T13:59:00Z")).await, 0);
    assert_eq!(deliver(&app, at("2027-03-11T14:00:30Z")).await, 1);
    assert_eq!(fake.seen().len(), 1);
    assert_eq!(texts(&app, &a).await[0].2, "sent");

    // A homeowner who turned reminders off gets no reminder text either.
    sqlx::query("update customers set reminders = false where id = $1")
        .bind(dana)
        .execute(&app.owner)
        .await
        .unwrap();
    app.as_owner(&a, book(job, c, "2027-03-16", "09:00", "240"))
        .await
        .unwrap();
    fence::server::notices::remind_appointments_at(&app.state, at("2027-03-15T16:00:00Z"))
        .await
        .unwrap();
    assert_eq!(texts(&app, &a).await.len(), 1);
}

/// A US state where it is now daytime (texts may go), if any.
fn daytime_state() -> Option<&'static str> {
    ["NY", "IL", "CO", "CA", "AK", "HI"].into_iter().find(|s| {
        fence::model::sms::quiet_until(Utc::now(), fence::model::time::zone_for_state(s)).is_none()
    })
}

#[tokio::test]
async fn the_crew_texts_on_the_way_for_its_own_jobs_only() {
    let fake = TwilioFake::start().await;
    let app = TestApp::spawn_with(twilio_at(fake.url.clone())).await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    let state = daytime_state().unwrap_or("NY");
    let dana = texted_customer(&app, &a, "Dana Smith", "(512) 555-0142", state).await;
    let job = approved_job_for(&app, &a, dana, "Dana Smith", None).await;
    let casey = app.join(&a, "casey@alpha.example", "crew").await;
    let other = app.join(&a, "otto@alpha.example", "crew").await;
    let casey_id = user_id(&app, "casey@alpha.example").await;
    let c = crew(&app, &a, "Red", vec![casey_id]).await;
    app.as_owner(&a, book(job, c, "2027-03-10", "09:00", "240"))
        .await
        .unwrap();
    let ask = |minutes: &str| OnMyWay {
        job_id: job,
        minutes: minutes.into(),
    };
    // Without the add-on: what unlocks it.
    assert!(matches!(
        app.call_fn(&casey, Some("alpha"), ask("25")).await,
        Err(AppError::Limit(_))
    ));
    with_sms(&app, &a).await;
    let day = app
        .call_fn(
            &casey,
            Some("alpha"),
            GetMyDay {
                day: Some("2027-03-10".into()),
            },
        )
        .await
        .unwrap();
    assert!(day.sms);
    assert_eq!(day.stops.len(), 1);
    assert!(day.stops[0].drive_minutes > 0);
    // Not on the job's crew; a nonsense arrival; another tenant's owner.
    assert!(matches!(
        app.call_fn(&other, Some("alpha"), ask("25")).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        app.call_fn(&casey, Some("alpha"), ask("0")).await,
        Err(AppError::Validation(_))
    ));
    with_sms(&app, &b).await;
    assert!(matches!(
        app.as_owner(&b, ask("25")).await,
        Err(AppError::NotFound)
    ));
    match daytime_state() {
        Some(_) => {
            let sent = app.call_fn(&casey, Some("alpha"), ask("25")).await.unwrap();
            assert_eq!(sent.to, "(512) 555-0142");
            let t = texts(&app, &a).await;
            let text = t.iter().find(|t| t.0 == "on_the_way").unwrap();
            assert!(
                text.3
                    .contains("on the way and should arrive in about 25 minutes"),
                "{}",
                text.3
            );
            assert!(text.3.contains(&sent.arrive));
            // Once, not twice in a row.
            assert!(matches!(
                app.call_fn(&casey, Some("alpha"), ask("25")).await,
                Err(AppError::Conflict(m)) if m.contains("wait a few minutes")
            ));
            let day = app
                .call_fn(
                    &casey,
                    Some("alpha"),
                    GetMyDay {
                        day: Some("2027-03-10".into()),
                    },
                )
                .await
                .unwrap();
            assert!(day.stops[0].texted.is_some());
            // Bravo sees none of it.
            let o = app.as_owner(&b, GetSmsOverview {}).await.unwrap();
            assert!(o.recent.is_empty());
        }
        None => {
            // Night in every US zone (about 5 hours a day): refused, not
            // held until morning.
            assert!(matches!(
                app.call_fn(&casey, Some("alpha"), ask("25")).await,
                Err(AppError::Conflict(m)) if m.contains("night")
            ));
        }
    }
    // A crew member cannot read the office's text log.
    assert!(matches!(
        app.call_fn(&casey, Some("alpha"), GetSmsOverview {}).await,
        Err(AppError::Forbidden(_))
    ));
}

#[tokio::test]
async fn the_office_texts_a_homeowner_whose_collar_battery_is_due() {
    let fake = TwilioFake::start().await;
    let app = TestApp::spawn_with(twilio_at(fake.url.clone())).await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    let today = Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let (property, _) = battery_customer(
        &app,
        &a,
        "Bea Battery",
        (30.27, -97.74),
        &[("Rex", 85)],
        today,
    )
    .await;
    let customer: Uuid = sqlx::query_scalar("select customer_id from properties where id = $1")
        .bind(property)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    sqlx::query("update customers set phone = '(512) 555-0177' where id = $1")
        .bind(customer)
        .execute(&app.owner)
        .await
        .unwrap();
    let ask = TextBattery {
        property_id: property,
    };
    assert!(matches!(
        app.as_owner(&a, ask.clone()).await,
        Err(AppError::Limit(_))
    ));
    with_sms(&app, &a).await;
    with_sms(&app, &b).await;
    // Another tenant cannot text about Alpha's property.
    assert!(matches!(
        app.as_owner(&b, ask.clone()).await,
        Err(AppError::NotFound)
    ));
    let v = app.as_owner(&a, BatteryVisits {}).await.unwrap();
    assert!(v.sms && v.stops[0].texted.is_none());
    let to = app.as_owner(&a, ask.clone()).await.unwrap();
    assert_eq!(to, "(512) 555-0177");
    let t = texts(&app, &a).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].0, "battery_due");
    assert!(
        t[0].3.contains("collar battery for Rex is due"),
        "{}",
        t[0].3
    );
    // Once a week at most.
    assert!(matches!(
        app.as_owner(&a, ask.clone()).await,
        Err(AppError::Conflict(m)) if m.contains("texted about their batteries")
    ));
    assert!(texts(&app, &b).await.is_empty());
    let v = app.as_owner(&a, BatteryVisits {}).await.unwrap();
    assert!(v.stops[0].texted.is_some());
}
