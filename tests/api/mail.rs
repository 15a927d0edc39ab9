//! Email that leaves the server, against a real SMTP server written by
//! others (aiosmtpd, from PyPI, driven by `tests/peers/smtp_peer.py`):
//! the tenant's voice (sender name, Reply-To), both parts, the tenant's
//! links; SMTP down, then up: retried and delivered once; two workers, one
//! delivery each; a refused address shown on the invitation; and the
//! homeowner notices (booking, reminder, opting out, the office hearing of
//! an answer), with their isolation.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fence::api::customers::{GetCustomer, SetCustomerReminders};
use fence::api::reminders::{ReminderLink, SetReminders};
use fence::api::team::{GetTeam, InviteMember};
use fence::error::AppError;
use fence::model::DeliveryState;
use fence::server::config::{SmtpSettings, SmtpTls};
use mail_parser::{MessageParser, MimeHeaders};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};
use crate::schedule::{approved_job, book, crew};

/// aiosmtpd on a loopback port, writing what it accepts to a folder.
pub struct SmtpPeer {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join(".data/venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A free loopback port (bound, then released).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpPeer {
    pub async fn start() -> SmtpPeer {
        SmtpPeer::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> SmtpPeer {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smtp_peer.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &port.to_string()])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python with aiosmtpd (scripts/test installs it into .data/venv)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpPeer { port, dir, child };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the SMTP peer did not start on port {port}");
    }

    /// Every message accepted so far, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    /// Waits until `n` messages arrived (or 20 s) and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        for _ in 0..200 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages()
    }
}

fn smtp_to(port: u16) -> impl FnOnce(&mut fence::server::config::Config) {
    move |c| {
        c.mail.smtp = Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port: Some(port),
            tls: SmtpTls::None,
            username: None,
            password: None,
        });
        c.mail.from = Some("mail@platform.example".into());
    }
}

/// Waits until the outbox has no message waiting (or 20 s).
async fn drained(app: &TestApp) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "select count(*) from outbox where status = 'queued' and next_attempt_at <= now()",
        )
        .fetch_one(&app.owner)
        .await
        .unwrap();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outbox did not drain");
}

async fn invite(app: &TestApp, t: &Tenant, email: &str) {
    app.as_owner(
        t,
        InviteMember {
            email: email.into(),
            role: "crew".into(),
            wizard: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("invite {email}: {e:?}"));
}

#[tokio::test]
async fn mail_arrives_in_the_tenants_voice_with_both_parts_and_its_links() {
    let peer = SmtpPeer::start().await;
    let app = TestApp::spawn_with(smtp_to(peer.port)).await;
    let workers = fence::server::workers::start(&app.state);
    let a = app.signup("alpha", "growth").await;
    sqlx::query(
        "update organizations set support_email = 'help@alpha-fence.example', brand_color = '#0a7d38'
          where id = $1",
    )
    .bind(a.org_id)
    .execute(&app.owner)
    .await
    .unwrap();
    invite(&app, &a, "new.crew@alpha.example").await;
    let got = peer.wait_for(1).await;
    workers.stop().await;
    assert_eq!(got.len(), 1, "one message");
    let m = MessageParser::default().parse(&got[0]).unwrap();
    let from = m.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("ALPHA Fence Co"));
    assert_eq!(from.address(), Some("mail@platform.example"));
    let reply = m.reply_to().unwrap().first().unwrap();
    assert_eq!(reply.address(), Some("help@alpha-fence.example"));
    assert_eq!(
        m.to().unwrap().first().unwrap().address(),
        Some("new.crew@alpha.example")
    );
    assert_eq!(m.subject(), Some("Join ALPHA Fence Co on Fenceline"));
    assert!(m
        .message_id()
        .is_some_and(|id| id.ends_with(&format!("@{}", app.state.config.platform.domain))));
    // Both parts, and the link on the tenant's own host in each.
    let text = m.body_text(0).unwrap();
    let html = m.body_html(0).unwrap();
    let host = format!("http://alpha.localhost:{}/invite/", app.port);
    assert!(text.contains(&host), "{text}");
    assert!(html.contains(&format!("href=\"{host}")), "{html}");
    assert!(html.contains("#0a7d38"), "the brand colour");
    assert!(m
        .html_part(0)
        .unwrap()
        .content_type()
        .is_some_and(|c| c.subtype() == Some("html")));
    // Delivered: the outbox says so (and keeps no link), the team page too.
    let (status, body): (String, String) =
        sqlx::query_as("select status, body from outbox where to_email = 'new.crew@alpha.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(status, "sent");
    assert!(!body.contains("/invite/"), "{body}");
    let team = app.as_owner(&a, GetTeam {}).await.unwrap();
    assert_eq!(
        team.invitations[0]
            .delivery
            .as_ref()
            .map(|d| d.state.clone()),
        Some(DeliveryState::Delivered)
    );
}

#[tokio::test]
async fn smtp_down_is_retried_and_the_message_arrives_once() {
    let port = free_port();
    let app = TestApp::spawn_with(smtp_to(port)).await;
    let workers = fence::server::workers::start(&app.state);
    let a = app.signup("alpha", "growth").await;
    invite(&app, &a, "later@alpha.example").await;
    // Nobody listens: the attempt fails, is kept, and says why.
    let mut row = (String::new(), 0, None::<String>);
    for _ in 0..100 {
        row = sqlx::query_as("select status, attempts, last_error from outbox")
            .fetch_one(&app.owner)
            .await
            .unwrap();
        if row.1 > 0 && row.2.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(row.0, "queued", "a temporary failure is retried");
    assert_eq!(row.1, 1);
    let team = app.as_owner(&a, GetTeam {}).await.unwrap();
    let d = team.invitations[0].delivery.clone().unwrap();
    assert!(
        matches!(&d.state, DeliveryState::Retrying(_)),
        "{:?}",
        d.state
    );
    // The server comes up; the retry falls due (the clock moved on).
    let peer = SmtpPeer::start_on(port).await;
    sqlx::query("update outbox set next_attempt_at = now()")
        .execute(&app.owner)
        .await
        .unwrap();
    let got = peer.wait_for(1).await;
    drained(&app).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    workers.stop().await;
    assert_eq!(got.len(), 1);
    assert_eq!(peer.messages().len(), 1, "delivered once");
    let (status, attempts): (String, i32) = sqlx::query_as("select status, attempts from outbox")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("sent", 2));
}

#[tokio::test]
async fn two_workers_deliver_every_message_exactly_once() {
    let peer = SmtpPeer::start().await;
    let app = TestApp::spawn_with(smtp_to(peer.port)).await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    // 60 messages across two tenants, queued at once.
    for (i, t) in (0..60).zip([&a, &b].into_iter().cycle()) {
        sqlx::query(
            "insert into outbox (org_id, id, to_email, subject, body, kind)
             values ($1, $2, $3, $4, 'Hello', 'other')",
        )
        .bind(t.org_id)
        .bind(Uuid::new_v4())
        .bind(format!("person{i}@{}.example", t.sub))
        .bind(format!("Message {i}"))
        .execute(&app.owner)
        .await
        .unwrap();
    }
    let one = fence::server::workers::start(&app.state);
    let two = fence::server::workers::start(&app.state);
    let got = peer.wait_for(60).await;
    drained(&app).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    one.stop().await;
    two.stop().await;
    assert_eq!(got.len(), 60);
    assert_eq!(peer.messages().len(), 60, "none twice");
    let mut ids: Vec<String> = peer
        .messages()
        .iter()
        .map(|raw| {
            MessageParser::default()
                .parse(raw)
                .unwrap()
                .message_id()
                .unwrap()
                .to_string()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60, "sixty different messages");
    // Each tenant's messages went out under its own name.
    for raw in peer.messages() {
        let m = MessageParser::default().parse(&raw).unwrap();
        let to = m
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap()
            .to_string();
        let name = m
            .from()
            .unwrap()
            .first()
            .unwrap()
            .name()
            .unwrap()
            .to_string();
        let sub = to.split('@').nth(1).unwrap().trim_end_matches(".example");
        assert_eq!(name, format!("{} Fence Co", sub.to_uppercase()));
    }
}

#[tokio::test]
async fn a_refused_address_is_shown_on_the_invitation() {
    let peer = SmtpPeer::start().await;
    let app = TestApp::spawn_with(smtp_to(peer.port)).await;
    let workers = fence::server::workers::start(&app.state);
    let a = app.signup("alpha", "growth").await;
    invite(&app, &a, "reject.me@alpha.example").await;
    let mut status = String::new();
    for _ in 0..100 {
        status = sqlx::query_scalar("select status from outbox")
            .fetch_one(&app.owner)
            .await
            .unwrap();
        if status != "queued" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    workers.stop().await;
    assert_eq!(status, "failed", "a 550 is permanent: not retried");
    assert!(peer.messages().is_empty());
    let team = app.as_owner(&a, GetTeam {}).await.unwrap();
    let d = team.invitations[0].delivery.clone().unwrap();
    assert!(d.failed());
    assert!(
        d.label()
            .starts_with("Email to reject.me@alpha.example: not delivered: ")
            && d.label().contains("550"),
        "{}",
        d.label()
    );
    // Another tenant's team page knows nothing of it.
    let b = app.signup("bravo", "growth").await;
    let team = app.as_owner(&b, GetTeam {}).await.unwrap();
    assert!(team.invitations.is_empty());
}

/// The outbox rows about `about`: (kind, status, to, body).
async fn notices(app: &TestApp, about: Uuid) -> Vec<(String, String, String, String)> {
    sqlx::query_as(
        "select kind, status, to_email, body from outbox where about_id = $1 order by created_at",
    )
    .bind(about)
    .fetch_all(&app.owner)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_booking_sends_one_notice_for_where_the_job_lands_then_a_reminder() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let job = approved_job(&app, &a, "Dana Reyes").await;
    let c = crew(&app, &a, "North", vec![]).await;
    // Booked, then moved before the notice went out: one notice, for the
    // second placement.
    app.as_owner(&a, book(job, c, "2027-03-09", "08:00", "240"))
        .await
        .unwrap();
    app.as_owner(&a, book(job, c, "2027-03-10", "09:00", "240"))
        .await
        .unwrap();
    let n = notices(&app, job).await;
    assert_eq!(n.len(), 2);
    assert_eq!(
        (n[0].0.as_str(), n[0].1.as_str()),
        ("job_scheduled", "superseded")
    );
    assert_eq!(
        (n[1].0.as_str(), n[1].1.as_str()),
        ("job_scheduled", "queued")
    );
    assert_eq!(n[1].2, "dana.reyes@alpha.example");
    assert!(
        n[1].3
            .contains("is booked: Wednesday, March 10, arriving around 9:00 AM"),
        "{}",
        n[1].3
    );
    // It waits a minute (a job dragged about sends one message).
    let due: bool = sqlx::query_scalar(
        "select next_attempt_at > now() + interval '30 seconds' from outbox where about_id = $1 and status = 'queued'",
    )
    .bind(job)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert!(due);
    // Once it went out, a later move is a "new date" notice.
    sqlx::query("update outbox set status = 'sent' where about_id = $1 and status = 'queued'")
        .bind(job)
        .execute(&app.owner)
        .await
        .unwrap();
    app.as_owner(&a, book(job, c, "2027-03-11", "09:00", "240"))
        .await
        .unwrap();
    let n = notices(&app, job).await;
    assert_eq!(n.last().unwrap().0, "job_rescheduled");
    assert!(n
        .last()
        .unwrap()
        .3
        .contains("has a new date: Thursday, March 11"));

    // The reminder: the day before, in the daytime of the tenant's zone
    // (Texas: Central time), once.
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    let remind = |now| fence::server::notices::remind_appointments_at(&app.state, now);
    assert_eq!(
        remind(at("2027-03-11T03:00:00Z")).await.unwrap(),
        0,
        "9 PM the evening before: quiet hours"
    );
    assert_eq!(
        remind(at("2027-03-09T16:00:00Z")).await.unwrap(),
        0,
        "two days before"
    );
    assert_eq!(remind(at("2027-03-10T16:00:00Z")).await.unwrap(), 1);
    assert_eq!(remind(at("2027-03-10T17:00:00Z")).await.unwrap(), 0, "once");
    let n = notices(&app, job).await;
    let reminder = n.iter().find(|r| r.0 == "reminder").unwrap();
    assert!(
        reminder.3.contains("comes tomorrow, Thursday, March 11"),
        "{}",
        reminder.3
    );
    let stop = crate::helpers::link_in(&reminder.3, "http://");
    assert!(stop.starts_with(&format!("http://alpha.localhost:{}/reminders/", app.port)));
    let token = stop.rsplit('/').next().unwrap().to_string();

    // The homeowner turns reminders off from the link (no login): the next
    // booking's reminder does not go; booking notices still do.
    let home = app.client();
    let choice = app
        .call_fn(
            &home,
            Some("alpha"),
            ReminderLink {
                token: token.clone(),
            },
        )
        .await
        .unwrap();
    assert!(choice.reminders && choice.first_name == "Dana");
    app.call_fn(
        &home,
        Some("alpha"),
        SetReminders {
            token: token.clone(),
            on: false,
        },
    )
    .await
    .unwrap();
    app.as_owner(&a, book(job, c, "2027-03-16", "09:00", "240"))
        .await
        .unwrap();
    assert_eq!(
        remind(at("2027-03-15T16:00:00Z")).await.unwrap(),
        0,
        "opted out"
    );
    let n = notices(&app, job).await;
    assert_eq!(n.iter().filter(|r| r.0 == "reminder").count(), 1);
    assert_eq!(n.last().unwrap().0, "job_rescheduled");
    // The office sees it and can turn them back on.
    let customer: Uuid = sqlx::query_scalar("select customer_id from jobs where id = $1")
        .bind(job)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let got = app
        .as_owner(&a, GetCustomer { id: customer })
        .await
        .unwrap();
    assert!(!got.reminders);
    app.as_owner(
        &a,
        SetCustomerReminders {
            id: customer,
            on: true,
        },
    )
    .await
    .unwrap();
    assert!(
        app.as_owner(&a, GetCustomer { id: customer })
            .await
            .unwrap()
            .reminders
    );

    // Another tenant's host knows no such link; another tenant's owner no
    // such customer.
    let b = app.signup("bravo", "growth").await;
    let e = app
        .call_fn(
            &app.client(),
            Some("bravo"),
            ReminderLink {
                token: token.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    let e = app
        .call_fn(
            &app.client(),
            Some("bravo"),
            SetReminders { token, on: false },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    let e = app
        .as_owner(
            &b,
            SetCustomerReminders {
                id: customer,
                on: false,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    assert!(
        app.as_owner(&a, GetCustomer { id: customer })
            .await
            .unwrap()
            .reminders
    );
    // A crew member cannot change a customer.
    let crew_client = app.join(&a, "crew.one@alpha.example", "crew").await;
    let e = app
        .call_fn(
            &crew_client,
            Some("alpha"),
            SetCustomerReminders {
                id: customer,
                on: false,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
}

#[tokio::test]
async fn the_office_hears_when_a_homeowner_answers() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let job = approved_job(&app, &a, "Dana Reyes").await;
    let quote: Uuid = sqlx::query_scalar("select quote_id from jobs where id = $1")
        .bind(job)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let n = notices(&app, quote).await;
    let kinds: Vec<&str> = n.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(kinds, ["quote_sent", "quote_approved"]);
    assert_eq!(n[1].2, a.email, "to the member who sent it");
    assert!(
        n[1].3.contains("Dana Reyes approved quote Q-"),
        "{}",
        n[1].3
    );
    assert!(n[1].3.contains(&format!(
        "http://alpha.localhost:{}/quotes/{quote}",
        app.port
    )));
}
