//! Login, sessions and their cookies, throttling, password reset, roles.

use fence::api::auth::{Login, Logout, RequestPasswordReset, ResetPassword};
use fence::api::customers::{CreateCustomer, ListCustomers};
use fence::api::settings::UpdateBrandColor;
use fence::api::team::InviteMember;
use fence::error::AppError;

use crate::helpers::{customer_input, link_in, signup_form, TestApp, PASSWORD};

fn login(email: &str, password: &str) -> Login {
    Login {
        email: email.into(),
        password: password.into(),
        next: None,
    }
}

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fenceline_session="))
        .map(str::to_string)
}

#[tokio::test]
async fn login_rotates_the_session_and_sets_a_host_only_cookie() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let c = app.client();
    // An anonymous session first (a failed login writes nothing to it, so
    // plant one the way an attacker would: any cookie value).
    let r = c
        .post(app.url(Some("alpha"), "/api/auth/login"))
        .header("origin", app.origin(Some("alpha")))
        .header("cookie", "fenceline_session=attacker-chosen-id")
        .form(&[("email", a.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(&r).expect("a session cookie");
    assert!(
        !cookie.contains("attacker-chosen-id"),
        "the id is not the one we came with"
    );
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.to_lowercase().contains("domain="),
        "host-only: {cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http in tests");
    app.cleanup().await;
}

#[tokio::test]
async fn cookies_are_secure_when_the_platform_is_served_over_tls() {
    let app =
        TestApp::spawn_with(|c| c.platform.public_url = "https://fenceline.example".into()).await;
    let c = app.client();
    // Sign up and follow the hand-off, which creates the session.
    let r = app
        .post(
            &c,
            None,
            "/api/signup",
            &signup_form("Alpha", "alpha", "a@a.example", "starter"),
        )
        .await;
    // The origin check uses https now; our http Origin is refused, so sign up over "https".
    assert_eq!(r.status(), 403);
    let r = c
        .post(app.url(None, "/api/signup"))
        .header("origin", format!("https://{}", app.host(None)))
        .form(&signup_form("Alpha", "alpha", "a@a.example", "starter"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let handoff: String = r.json().await.unwrap();
    assert!(
        handoff.starts_with("https://alpha.localhost/auth/handoff?token="),
        "{handoff}"
    );
    let local = handoff.replace("https://alpha.localhost", &app.url(Some("alpha"), ""));
    let r = c.get(local).send().await.unwrap();
    let cookie = session_cookie(&r).expect("cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
    app.cleanup().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_a_field_message() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let c = app.client();
    let e = app
        .call_fn(&c, Some("alpha"), login(&a.email, "wrong password"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Validation(_)), "{e:?}");
    assert!(e
        .fields()
        .unwrap()
        .get("password")
        .unwrap()
        .contains("don't match"));
    let e = app
        .call_fn(&c, Some("alpha"), login("not an email", "x"))
        .await
        .unwrap_err();
    assert!(e.fields().unwrap().get("email").is_some(), "{e:?}");
    app.cleanup().await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account() {
    let app = TestApp::spawn_with(|c| c.throttle.max_failures_per_account = 3).await;
    let a = app.signup("alpha", "starter").await;
    let c = app.client();
    for _ in 0..3 {
        let r = app
            .call_fn(&c, Some("alpha"), login(&a.email, "wrong password"))
            .await;
        assert!(matches!(r, Err(AppError::Validation(_))), "{r:?}");
    }
    // Now even the right password is refused for a while.
    let r = app
        .call_fn(&c, Some("alpha"), login(&a.email, PASSWORD))
        .await;
    assert!(
        matches!(&r, Err(AppError::Throttled(m)) if m.contains("Too many login attempts")),
        "{r:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client() {
    let app = TestApp::spawn_with(|c| c.throttle.max_failures_per_client = 4).await;
    let a = app.signup("alpha", "starter").await;
    let c = app.client();
    for i in 0..4 {
        let email = format!("guess{i}@alpha.example");
        let r = app
            .call_fn(&c, Some("alpha"), login(&email, "wrong password"))
            .await;
        assert!(matches!(r, Err(AppError::Validation(_))), "{r:?}");
    }
    let r = app
        .call_fn(&c, Some("alpha"), login(&a.email, PASSWORD))
        .await;
    assert!(
        matches!(r, Err(AppError::Throttled(_))),
        "this client has guessed too much: {r:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    assert_eq!(
        app.get(&a.client, Some("alpha"), "/customers")
            .await
            .status(),
        200
    );
    app.as_owner(&a, Logout {}).await.unwrap();
    assert_eq!(
        app.get(&a.client, Some("alpha"), "/customers")
            .await
            .status(),
        303
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_password_reset_works_once_and_changes_the_password() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let c = app.client();
    app.call_fn(
        &c,
        Some("alpha"),
        RequestPasswordReset {
            email: a.email.clone(),
        },
    )
    .await
    .unwrap();
    let body = app.last_email(&a.email).await.unwrap();
    let link = link_in(&body, "http://");
    assert!(
        link.starts_with(&app.url(Some("alpha"), "/reset-password?token=")),
        "link from configuration: {link}"
    );
    let token = link.split("token=").nth(1).unwrap();
    let new = "a brand new password";
    let reset = |confirm: &str| ResetPassword {
        token: token.into(),
        password: new.into(),
        confirm: confirm.into(),
    };
    let e = app
        .call_fn(&c, Some("alpha"), reset("different"))
        .await
        .unwrap_err();
    assert_eq!(
        e.fields().unwrap().get("confirm").unwrap(),
        "The two passwords don't match."
    );
    app.call_fn(&c, Some("alpha"), reset(new)).await.unwrap();
    let r = app.call_fn(&c, Some("alpha"), reset(new)).await;
    assert!(
        matches!(r, Err(AppError::Validation(_))),
        "used once: {r:?}"
    );
    let r = app
        .call_fn(&c, Some("alpha"), login(&a.email, PASSWORD))
        .await;
    assert!(
        matches!(r, Err(AppError::Validation(_))),
        "old password gone: {r:?}"
    );
    app.call_fn(&c, Some("alpha"), login(&a.email, new))
        .await
        .unwrap();
    app.cleanup().await;
}

#[tokio::test]
async fn roles_gate_what_members_can_do_on_the_server() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    let mut clients = Vec::new();
    for role in ["crew", "viewer", "dispatcher"] {
        clients.push((
            role,
            app.join(&a, &format!("{role}@alpha.example"), role).await,
        ));
    }
    for (role, c) in &clients {
        let r = app
            .call_fn(
                c,
                Some("alpha"),
                CreateCustomer {
                    form: customer_input(&format!("By {role}"), ""),
                    wizard: None,
                },
            )
            .await;
        if *role == "dispatcher" {
            assert!(r.is_ok(), "{role} creating a customer: {r:?}");
        } else {
            assert!(
                matches!(r, Err(AppError::Forbidden(_))),
                "{role} creating a customer: {r:?}"
            );
        }
        app.call_fn(
            c,
            Some("alpha"),
            ListCustomers {
                q: String::new(),
                page: 1,
                archived: false,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{role} may read customers: {e:?}"));
        let r = app
            .call_fn(
                c,
                Some("alpha"),
                InviteMember {
                    email: "x@alpha.example".into(),
                    role: "admin".into(),
                    wizard: None,
                },
            )
            .await;
        assert!(
            matches!(r, Err(AppError::Forbidden(_))),
            "{role} inviting: {r:?}"
        );
        let r = app
            .call_fn(
                c,
                Some("alpha"),
                UpdateBrandColor {
                    brand_color: "#000000".into(),
                    wizard: None,
                },
            )
            .await;
        assert!(
            matches!(r, Err(AppError::Forbidden(_))),
            "{role} rebranding: {r:?}"
        );
    }
    app.cleanup().await;
}
