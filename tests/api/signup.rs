//! Self-service signup: provisioning in one transaction, the trial, the
//! live subdomain check, and bad input that writes nothing.

use fence::error::AppError;
use fence::model::SubdomainStatus;

use crate::helpers::{app_error, signup_form, TestApp, PASSWORD};

#[tokio::test]
async fn signup_provisions_a_trialing_tenant_and_logs_the_owner_in() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let (plan, seats, jobs, status, days): (String, Option<i32>, Option<i32>, String, f64) = sqlx::query_as(
        "select plan, seats, monthly_jobs_limit, status, (extract(epoch from trial_ends_at - created_at) / 86400)::float8
           from organizations where id = $1",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(
        (plan.as_str(), seats, jobs, status.as_str()),
        ("growth", Some(5), Some(500), "trialing")
    );
    assert!((days - 14.0).abs() < 0.01, "14-day trial, got {days}");
    let role: String = sqlx::query_scalar("select role from users where id = $1")
        .bind(a.owner_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(role, "owner");
    // Logged in on the tenant's host, and the shell shows the brand.
    let shell: serde_json::Value = app.call(&a, "/api/shell", &[]).await.json().await.unwrap();
    assert_eq!(shell["site"]["Tenant"]["company_name"], "ALPHA Fence Co");
    assert_eq!(shell["viewer"]["role"], "owner");
    assert_eq!(shell["site"]["Tenant"]["trial_days_left"], 14);
    app.cleanup().await;
}

#[tokio::test]
async fn a_taken_subdomain_is_reported_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    app.signup("alpha", "starter").await;
    let c = app.client();
    let r = app
        .post(
            &c,
            None,
            "/api/signup",
            &signup_form("Other", "Alpha", "o@o.example", "starter"),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(app_error(r)
        .await
        .fields()
        .unwrap()
        .get("subdomain")
        .unwrap()
        .contains("taken"));
    let n: i64 = sqlx::query_scalar("select count(*) from organizations")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let u: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(u, 1);
    app.cleanup().await;
}

#[tokio::test]
async fn bad_signup_input_gets_a_message_per_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let r = app
        .post(
            &c,
            None,
            "/api/signup",
            &[
                ("form[company]", " "),
                ("form[subdomain]", "-x"),
                ("form[owner_name]", ""),
                ("form[email]", "nope"),
                ("form[password]", "short"),
                ("form[plan]", "free"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let e = app_error(r).await;
    let f = e.fields().unwrap();
    for field in [
        "company",
        "subdomain",
        "owner_name",
        "email",
        "password",
        "plan",
    ] {
        assert!(f.get(field).is_some(), "{field}: {f:?}");
    }
    let n: i64 = sqlx::query_scalar("select count(*) from organizations")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(n, 0);
    app.cleanup().await;
}

#[tokio::test]
async fn the_live_subdomain_check_says_available_taken_or_why_not() {
    let app = TestApp::spawn().await;
    app.signup("alpha", "starter").await;
    let c = app.client();
    for (sub, want) in [
        ("alpha", "Taken"),
        ("bravo", "Available"),
        ("www", "Invalid"),
        ("a", "Invalid"),
    ] {
        let r = app
            .post(&c, None, "/api/signup/check", &[("subdomain", sub)])
            .await;
        let s: SubdomainStatus = r.json().await.unwrap();
        let got = match s {
            SubdomainStatus::Available(_) => "Available",
            SubdomainStatus::Taken(_) => "Taken",
            SubdomainStatus::Invalid(_) => "Invalid",
        };
        assert_eq!(got, want, "{sub}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn signup_is_only_offered_on_the_platform_domain() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let r = app
        .call(
            &a,
            "/api/signup",
            &signup_form("X", "xray", "x@x.example", "starter"),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(app_error(r).await, AppError::NotFound);
    app.cleanup().await;
}

#[tokio::test]
async fn the_platform_admin_lists_searches_suspends_and_reactivates_tenants() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    app.signup("bravo", "growth").await;
    app.customer(&a, "Alice", "").await;
    let hash = fence::server::password::hash_blocking(PASSWORD).unwrap();
    sqlx::query("insert into platform.admins (id, email, name, password_hash) values (gen_random_uuid(), 'root@platform.example', 'Root', $1)")
        .bind(hash)
        .execute(&app.owner)
        .await
        .unwrap();
    let c = app.client();
    let r = app
        .post(&c, None, "/api/admin/tenants", &[("q", ""), ("page", "1")])
        .await;
    assert_eq!(r.status(), 401, "not yet logged in");
    let r = app
        .post(
            &c,
            None,
            "/api/auth/admin_login",
            &[("email", "root@platform.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let list: serde_json::Value = app
        .post(&c, None, "/api/admin/tenants", &[("q", ""), ("page", "1")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    let list: serde_json::Value = app
        .post(
            &c,
            None,
            "/api/admin/tenants",
            &[("q", "alph"), ("page", "1")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["rows"][0]["customers"], 1);
    assert_eq!(list["rows"][0]["users"], 1);
    let r = app
        .post(
            &c,
            None,
            "/api/admin/suspend",
            &[("id", &a.org_id.to_string()), ("suspended", "true")],
        )
        .await;
    assert_eq!(r.json::<String>().await.unwrap(), "suspended");
    assert_eq!(app.get(&a.client, Some("alpha"), "/").await.status(), 403);
    let r = app
        .post(
            &c,
            None,
            "/api/admin/suspend",
            &[("id", &a.org_id.to_string()), ("suspended", "false")],
        )
        .await;
    assert_eq!(r.json::<String>().await.unwrap(), "trialing");
    assert_eq!(app.get(&a.client, Some("alpha"), "/").await.status(), 200);
    // The admin session is worthless on a tenant host.
    let r = app
        .post(
            &c,
            Some("alpha"),
            "/api/customers/list",
            &[("q", ""), ("page", "1"), ("archived", "false")],
        )
        .await;
    assert_eq!(r.status(), 401);
    app.cleanup().await;
}

#[tokio::test]
async fn signups_and_reset_emails_are_throttled_per_client() {
    let app = TestApp::spawn_with(|c| c.throttle.max_failures_per_client = 2).await;
    app.signup("alpha", "starter").await;
    app.signup("bravo", "starter").await;
    let c = app.client();
    let r = app
        .post(
            &c,
            None,
            "/api/signup",
            &signup_form("Third", "charlie", "c@c.example", "starter"),
        )
        .await;
    assert_eq!(r.status(), 429);
    let n: i64 = sqlx::query_scalar("select count(*) from organizations")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(n, 2);
    for expect in [200, 200, 429] {
        let r = app
            .post(
                &c,
                Some("alpha"),
                "/api/auth/forgot",
                &[("email", "owner@alpha.example")],
            )
            .await;
        assert_eq!(r.status(), expect);
    }
    app.cleanup().await;
}
