//! Issue 8, authentication: attempts counted before the hash, device
//! cookies that keep the owner in, IPv6 /64 clients, tokens checked before
//! any hashing, sessions ended by a reset or a role change, older reset
//! links dead, seats checked on resend and accept, redirects that stay on
//! the site, and no token in any log or in delivered mail.

use std::time::Duration;

use fence::api::auth::{AcceptInvitation, Login, RequestPasswordReset, ResetPassword};
use fence::api::team::{ChangeRole, RemoveMember, ResendInvitation};
use fence::error::AppError;
use fence::server::password::Requester;

use crate::helpers::{link_in, logs, TestApp, PASSWORD};

fn login(email: &str, password: &str) -> Login {
    Login {
        email: email.into(),
        password: password.into(),
        next: None,
    }
}

#[tokio::test]
async fn a_burst_of_concurrent_guesses_is_counted_one_at_a_time() {
    let app = TestApp::spawn_with(|c| c.throttle.max_failures_per_client = 1000).await;
    let a = app.signup("alpha", "starter").await;
    let guesses = (0..40).map(|_| {
        let c = app.client();
        let email = a.email.clone();
        let app = &app;
        async move {
            app.call_fn(&c, Some("alpha"), login(&email, "wrong password"))
                .await
        }
    });
    let answers = futures::future::join_all(guesses).await;
    let wrong = answers
        .iter()
        .filter(|r| matches!(r, Err(AppError::Validation(_))))
        .count();
    let refused = answers
        .iter()
        .filter(|r| matches!(r, Err(AppError::Throttled(_))))
        .count();
    // Five guesses reach the password check; the other 35 are refused
    // before it (the old check-then-record let all 40 through).
    assert_eq!((wrong, refused), (5, 35), "{answers:?}");
}

#[tokio::test]
async fn an_attackers_guesses_never_lock_the_owner_out_of_a_known_device() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    // The owner's browser logs in once: it becomes a known device.
    let owner = app.client();
    app.call_fn(&owner, Some("alpha"), login(&a.email, PASSWORD))
        .await
        .unwrap();
    app.post(&owner, Some("alpha"), "/api/auth/logout", &[])
        .await;
    // Someone else guesses until the account is closed to unknown clients.
    let attacker = app.client();
    let mut locked = None;
    for _ in 0..8 {
        let r = app
            .post(
                &attacker,
                Some("alpha"),
                "/api/auth/login",
                &[("email", &a.email), ("password", "guess")],
            )
            .await;
        if r.status() == 429 {
            locked = Some(r);
            break;
        }
    }
    let r = locked.expect("the guesses are throttled");
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=180).contains(&wait),
        "one more try every 3 minutes: {wait}"
    );
    let e: AppError = r.json().await.unwrap();
    assert!(
        e.to_string()
            .contains("Too many login attempts. Try again in"),
        "{e}"
    );
    // Even the right password from an unknown browser waits...
    let stranger = app.client();
    assert!(matches!(
        app.call_fn(&stranger, Some("alpha"), login(&a.email, PASSWORD))
            .await,
        Err(AppError::Throttled(_))
    ));
    // ...but the owner's own browser is let in at once.
    app.call_fn(&owner, Some("alpha"), login(&a.email, PASSWORD))
        .await
        .expect("the known device is not locked out");
    assert_eq!(
        app.get(&owner, Some("alpha"), "/customers").await.status(),
        200
    );
}

#[tokio::test]
async fn rotating_addresses_inside_one_ipv6_64_escapes_nothing() {
    let app = TestApp::spawn_with(|c| {
        c.platform.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.throttle.max_failures_per_client = 3;
        c.throttle.max_failures_per_account = 100;
    })
    .await;
    app.signup("alpha", "starter").await;
    let attempt = |from: &'static str, n: u32| {
        let c = app.client();
        let app = &app;
        async move {
            c.post(app.url(Some("alpha"), "/api/auth/login"))
                .header("origin", app.origin(Some("alpha")))
                .header("x-forwarded-for", from)
                .form(&[
                    ("email", format!("guess{n}@alpha.example")),
                    ("password", "x".into()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(attempt("2001:db8:5:6::1", 1).await, 422);
    assert_eq!(attempt("2001:db8:5:6::2", 2).await, 422);
    assert_eq!(attempt("2001:db8:5:6:aaaa::3", 3).await, 422);
    assert_eq!(attempt("2001:db8:5:6:ffff:1:2:3", 4).await, 429, "same /64");
    assert_eq!(attempt("2001:db8:5:7::1", 5).await, 422, "another /64");
}

/// Occupies the only hashing thread until the returned sender is dropped.
fn block_the_hasher(app: &TestApp) -> std::sync::mpsc::Sender<()> {
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let state = app.state.clone();
    tokio::spawn(async move {
        let who = Requester {
            tenant: "blocker".into(),
            client: "blocker".into(),
        };
        let _ = state.hasher.run(&who, move || wait.recv()).await;
    });
    release
}

#[tokio::test]
async fn junk_tokens_are_refused_without_waiting_for_the_hasher() {
    let app = TestApp::spawn_with(|c| c.platform.password_hash_concurrency = 1).await;
    app.signup("alpha", "growth").await;
    let release = block_the_hasher(&app);
    let c = app.client();
    let junk = "ab".repeat(32);
    // Before the fix both hashed the new password first, so with the hasher
    // busy they waited for it.
    let reset = app.call_fn(
        &c,
        Some("alpha"),
        ResetPassword {
            token: junk.clone(),
            password: PASSWORD.into(),
            confirm: PASSWORD.into(),
        },
    );
    let e = tokio::time::timeout(Duration::from_secs(30), reset)
        .await
        .expect("answered while the hasher is busy")
        .unwrap_err();
    assert!(e
        .fields()
        .unwrap()
        .get("password")
        .unwrap()
        .contains("expired"));
    let accept = app.call_fn(
        &c,
        Some("alpha"),
        AcceptInvitation {
            token: junk,
            name: "Mallory".into(),
            password: PASSWORD.into(),
            confirm: PASSWORD.into(),
        },
    );
    let e = tokio::time::timeout(Duration::from_secs(30), accept)
        .await
        .expect("answered while the hasher is busy")
        .unwrap_err();
    assert!(e.fields().unwrap().get("name").unwrap().contains("expired"));
    drop(release);
}

#[tokio::test]
async fn token_forms_are_throttled_per_client() {
    let app = TestApp::spawn().await;
    app.signup("alpha", "growth").await;
    let c = app.client();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let r = app
            .post(
                &c,
                Some("alpha"),
                "/api/auth/reset",
                &[
                    ("token", "nope"),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                ],
            )
            .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_reset_ends_every_session_and_every_older_link() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let ask = || async {
        app.call_fn(
            &app.client(),
            Some("alpha"),
            RequestPasswordReset {
                email: a.email.clone(),
            },
        )
        .await
        .unwrap();
        let link = link_in(&app.last_email(&a.email).await.unwrap(), "http://");
        link.split("token=").nth(1).unwrap().to_string()
    };
    let first = ask().await;
    let second = ask().await;
    let reset = |token: String| ResetPassword {
        token,
        password: "a brand new password".into(),
        confirm: "a brand new password".into(),
    };
    let e = app
        .call_fn(&app.client(), Some("alpha"), reset(first))
        .await
        .unwrap_err();
    let msg = e
        .fields()
        .and_then(|f| f.get("password"))
        .unwrap_or_default();
    assert!(msg.contains("expired or was already used"), "{e:?}");
    assert_eq!(
        app.get(&a.client, Some("alpha"), "/customers")
            .await
            .status(),
        200
    );
    app.call_fn(&app.client(), Some("alpha"), reset(second))
        .await
        .unwrap();
    assert_eq!(
        app.get(&a.client, Some("alpha"), "/customers")
            .await
            .status(),
        303,
        "the owner's other session ended with the reset"
    );
}

#[tokio::test]
async fn a_role_change_or_a_removal_ends_the_members_sessions() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let member = app.join(&a, "casey@alpha.example", "dispatcher").await;
    assert_eq!(
        app.get(&member, Some("alpha"), "/customers").await.status(),
        200
    );
    let id: uuid::Uuid =
        sqlx::query_scalar("select id from users where email = 'casey@alpha.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    app.as_owner(
        &a,
        ChangeRole {
            user_id: id,
            role: "viewer".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.get(&member, Some("alpha"), "/customers").await.status(),
        303
    );
    app.call_fn(
        &member,
        Some("alpha"),
        login("casey@alpha.example", PASSWORD),
    )
    .await
    .unwrap();
    assert_eq!(
        app.get(&member, Some("alpha"), "/customers").await.status(),
        200
    );
    app.as_owner(&a, RemoveMember { user_id: id })
        .await
        .unwrap();
    assert_eq!(
        app.get(&member, Some("alpha"), "/customers").await.status(),
        303
    );
}

#[tokio::test]
async fn seats_are_checked_again_when_an_invitation_is_resent_or_accepted() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let mut tokens = Vec::new();
    for i in 0..3 {
        let email = format!("m{i}@alpha.example");
        let r = app
            .call(
                &a,
                "/api/team/invite",
                &[("email", &email), ("role", "crew")],
            )
            .await;
        assert_eq!(r.status(), 200);
        let link = link_in(&app.last_email(&email).await.unwrap(), "http://");
        tokens.push(link.rsplit('/').next().unwrap().to_string());
    }
    // The plan shrinks (a downgrade): 3 seats for the owner and 3 invitations.
    sqlx::query("update organizations set seats = 3 where subdomain = 'alpha'")
        .execute(&app.owner)
        .await
        .unwrap();
    let id: uuid::Uuid =
        sqlx::query_scalar("select id from invitations where email = 'm0@alpha.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert!(matches!(
        app.as_owner(&a, ResendInvitation { id }).await,
        Err(AppError::Limit(m)) if m.contains("every seat is taken")
    ));
    sqlx::query("update organizations set seats = 1 where subdomain = 'alpha'")
        .execute(&app.owner)
        .await
        .unwrap();
    let e = app
        .call_fn(
            &app.client(),
            Some("alpha"),
            AcceptInvitation {
                token: tokens[1].clone(),
                name: "M One".into(),
                password: PASSWORD.into(),
                confirm: PASSWORD.into(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Limit(m) if m.contains("Growth plan includes 1 user")),
        "{e:?}"
    );
    let members: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(members, 1);
}

#[tokio::test]
async fn no_token_reaches_a_log_and_delivered_mail_keeps_none() {
    let mail = tempfile::tempdir().unwrap();
    let dir = mail.path().to_path_buf();
    let app = TestApp::spawn_with(move |c| c.mail.dir = Some(dir)).await;
    let workers = fence::server::workers::start(&app.state);
    let a = app.signup("alpha", "growth").await;
    let r = app
        .call(
            &a,
            "/api/team/invite",
            &[("email", "new@alpha.example"), ("role", "crew")],
        )
        .await;
    assert_eq!(r.status(), 200);
    app.call_fn(
        &app.client(),
        Some("alpha"),
        RequestPasswordReset {
            email: a.email.clone(),
        },
    )
    .await
    .unwrap();
    // The worker delivers both and keeps only redacted copies.
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = std::fs::read_dir(mail.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| {
                // The MIME message, read as a mail client does: its
                // addressing and its decoded plain-text part.
                let raw = std::fs::read(e.path()).unwrap();
                let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
                format!(
                    "Subject: {}\nTo: {}\n\n{}",
                    m.subject().unwrap_or_default(),
                    m.to()
                        .and_then(|t| t.first())
                        .and_then(|a| a.address())
                        .unwrap_or_default(),
                    m.body_text(0).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>();
        let queued: i64 = sqlx::query_scalar("select count(*) from outbox where status <> 'sent'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
        if delivered.len() == 2 && queued == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    workers.stop().await;
    assert_eq!(delivered.len(), 2, "two messages delivered");
    let reset = delivered
        .iter()
        .find(|m| m.contains("Subject: Reset your password"))
        .unwrap();
    assert!(reset.contains("To: owner@alpha.example"));
    let token = reset
        .split_whitespace()
        .find_map(|w| w.split("token=").nth(1))
        .unwrap()
        .to_string();
    let invite = delivered.iter().find(|m| m.contains("/invite/")).unwrap();
    let invite_token = invite
        .split_whitespace()
        .find(|w| w.contains("/invite/"))
        .and_then(|w| w.rsplit('/').next())
        .unwrap()
        .to_string();
    let kept: Vec<String> = sqlx::query_scalar("select body from outbox")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    for body in &kept {
        assert!(
            !body.contains(&token) && !body.contains(&invite_token),
            "{body}"
        );
        assert!(body.contains("[link removed after delivery]"), "{body}");
    }
    // The delivered link is the real one, and works.
    app.call_fn(
        &app.client(),
        Some("alpha"),
        ResetPassword {
            token: token.clone(),
            password: "a brand new password".into(),
            confirm: "a brand new password".into(),
        },
    )
    .await
    .unwrap();
    let log = logs();
    assert!(log.contains("email queued"), "the log is captured");
    assert!(!log.contains(&token), "the reset token was logged");
    assert!(
        !log.contains(&invite_token),
        "the invitation token was logged"
    );
}

#[tokio::test]
async fn the_next_page_after_login_stays_on_the_site_and_odd_bytes_never_panic() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    for (next, to) in [
        ("/\t/evil.example", "/"),
        ("/\n", "/"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/customers?q=a", "/customers?q=a"),
    ] {
        let c = app.client();
        // A plain form post (no JavaScript): a real redirect.
        let r = c
            .post(app.url(Some("alpha"), "/api/auth/login"))
            .header("origin", app.origin(Some("alpha")))
            .header("accept", "text/html")
            .form(&[
                ("email", a.email.as_str()),
                ("password", PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(r.status(), 302, "{next:?}");
        assert_eq!(r.headers()["location"], to, "{next:?}");
    }
    // The logo form's own `next` goes through the same check.
    let form = reqwest::multipart::Form::new().text("next", "/\\evil.example");
    let r = a
        .client
        .post(app.url(Some("alpha"), "/settings/logo"))
        .header("origin", app.origin(Some("alpha")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/settings?logo_error="), "{location}");
}
