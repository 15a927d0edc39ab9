//! Host resolution and the cross-site check: odd hosts select nothing,
//! forged forwarding headers are ignored unless from a configured proxy,
//! unverified custom domains 404, suspended tenants see a clear page.

use fence::api::customers::ListCustomers;
use reqwest::Client;

use fence::error::AppError;

use crate::helpers::{customer_form, TestApp};

fn raw() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn status_for_host(app: &TestApp, host: &str) -> u16 {
    raw()
        .get(format!("http://127.0.0.1:{}/login", app.port))
        .header("host", host)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn odd_host_headers_select_no_tenant() {
    let app = TestApp::spawn().await;
    app.signup("alpha", "starter").await;
    let p = app.port;
    for host in [
        format!("alpha.localhost.:{p}"),
        format!("127.0.0.1:{p}"),
        format!("[::1]:{p}"),
        format!("x.alpha.localhost:{p}"),
        format!("nobody.localhost:{p}"),
        format!("alpha.localhost:{p}:{p}"),
        format!("alpha%2elocalhost:{p}"),
        format!("alphalocalhost:{p}"),
        "alpha.example.com".to_string(),
        String::new(),
    ] {
        assert_eq!(status_for_host(&app, &host).await, 404, "{host:?}");
    }
    // Controls: exact and case-insensitive matches work.
    assert_eq!(
        status_for_host(&app, &format!("alpha.localhost:{p}")).await,
        200
    );
    assert_eq!(
        status_for_host(&app, &format!("ALPHA.LocalHost:{p}")).await,
        200
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_forged_forwarded_host_is_ignored_from_untrusted_peers() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    app.signup("bravo", "starter").await;
    app.customer(&a, "Alice Alpha", "").await;
    // Logged in on alpha, claiming to be for bravo: still alpha's site.
    let r = a
        .client
        .get(app.url(Some("alpha"), "/customers"))
        .header("x-forwarded-host", app.host(Some("bravo")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Alice Alpha"));
    app.cleanup().await;
}

#[tokio::test]
async fn a_configured_proxy_may_name_the_host() {
    let app =
        TestApp::spawn_with(|c| c.platform.trusted_proxies = vec!["127.0.0.1".parse().unwrap()])
            .await;
    app.signup("alpha", "starter").await;
    let r = raw()
        .get(format!("http://127.0.0.1:{}/login", app.port))
        .header("host", "internal-lb")
        .header("x-forwarded-host", app.host(Some("alpha")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = raw()
        .get(format!("http://127.0.0.1:{}/login", app.port))
        .header("host", app.host(Some("alpha")))
        .header("x-forwarded-host", app.host(Some("nobody")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "the proxy's word decides, and it names no tenant"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn custom_domains_serve_the_tenant_only_once_verified() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    sqlx::query(
        "update organizations set custom_domain = 'portal.alphafence.example' where id = $1",
    )
    .bind(a.org_id)
    .execute(&app.owner)
    .await
    .unwrap();
    app.settle().await;
    let host = format!("portal.alphafence.example:{}", app.port);
    assert_eq!(status_for_host(&app, &host).await, 404, "unverified");
    sqlx::query("update organizations set custom_domain_verified = true where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.settle().await;
    assert_eq!(status_for_host(&app, &host).await, 200, "verified");
    app.cleanup().await;
}

#[tokio::test]
async fn mutations_without_a_matching_origin_are_refused() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    app.signup("bravo", "starter").await;
    let url = app.url(Some("alpha"), "/api/customers/create");
    let form = customer_form("Forged", "");
    let r = a.client.post(&url).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 403, "no Origin");
    for origin in [
        app.origin(Some("bravo")),
        "http://evil.example".into(),
        app.origin(None),
        format!("https://alpha.localhost:{}", app.port),
        "null".into(),
    ] {
        let r = a
            .client
            .post(&url)
            .header("origin", &origin)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{origin}");
    }
    let n: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing written");
    let r = a
        .client
        .post(&url)
        .header("origin", app.origin(Some("alpha")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "control");
    app.cleanup().await;
}

#[tokio::test]
async fn a_suspended_tenant_sees_a_clear_page_and_keeps_its_data() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let b = app.signup("bravo", "starter").await;
    app.customer(&a, "Alice Alpha", "").await;
    sqlx::query("select platform.set_tenant_suspended($1, true, null, 'test')")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.settle().await;
    let r = app.get(&a.client, Some("alpha"), "/customers").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("suspended"));
    // The host refuses before any server function runs; the app gets the
    // same words as an error it can show (not a page it cannot read).
    let e = app
        .call_fn(
            &a.client,
            Some("alpha"),
            ListCustomers {
                q: String::new(),
                page: 1,
                archived: false,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Forbidden(m) if m.contains("workspace is paused")),
        "{e:?}"
    );
    // Its homeowners see the installer's name and a neutral message, never
    // the notice meant for the business (issue 9).
    let homeowner = raw();
    for path in [format!("/q/{}", "a".repeat(43)), "/q/anything".to_string()] {
        let r = homeowner
            .get(format!("http://127.0.0.1:{}{path}", app.port))
            .header("host", format!("alpha.localhost:{}", app.port))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let body = r.text().await.unwrap();
        assert!(body.contains("ALPHA Fence Co"), "{body}");
        assert!(body.contains("contact"), "{body}");
        for private in ["suspended", "workspace", "paused", "trial", "platform"] {
            assert!(
                !body.to_lowercase().contains(private),
                "{private} in {body}"
            );
        }
    }
    let e = app
        .call_fn(
            &app.client(),
            Some("alpha"),
            fence::api::quotes::OpenQuoteLink {
                token: "a".repeat(43),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Forbidden(m) if m.contains("contact") && !m.contains("paused")),
        "{e:?}"
    );
    let r = app.get(&b.client, Some("bravo"), "/customers").await;
    assert_eq!(r.status(), 200, "others unaffected");
    sqlx::query("select platform.set_tenant_suspended($1, false, null, '')")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.settle().await;
    let r = app.get(&a.client, Some("alpha"), "/customers").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text().await.unwrap().contains("Alice Alpha"),
        "data intact"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn tenant_pages_redirect_to_login_and_platform_pages_stay_public() {
    let app = TestApp::spawn().await;
    app.signup("alpha", "starter").await;
    let c = app.client();
    let r = app.get(&c, Some("alpha"), "/customers?q=x").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=/customers%3Fq%3Dx");
    for path in ["/", "/signup", "/find"] {
        assert_eq!(app.get(&c, None, path).await.status(), 200, "{path}");
    }
    let r = app.get(&c, None, "/admin").await;
    assert_eq!(r.headers()["location"], "/admin/login?next=/admin");
    // Platform-only pages are not served on a tenant host, and vice versa.
    let r = app.get(&c, Some("alpha"), "/login").await;
    assert_eq!(r.status(), 200);
    let r = app.get(&c, None, "/login").await;
    assert_eq!(r.status(), 404);
    app.cleanup().await;
}

#[tokio::test]
async fn homeowner_pages_never_show_the_installers_trial() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let r = app.get(&a.client, Some("alpha"), "/customers").await;
    assert!(
        r.text().await.unwrap().contains("Free trial"),
        "control: the business sees its trial"
    );
    // The expired or unknown link page, as a homeowner opens it (issue 9).
    let r = app
        .get(
            &app.client(),
            Some("alpha"),
            &format!("/q/{}", "b".repeat(43)),
        )
        .await;
    let body = r.text().await.unwrap();
    assert!(body.contains("ALPHA Fence Co"), "the installer's brand");
    assert!(!body.contains("Free trial"), "{body}");
    assert!(!body.contains("Growth plan"), "{body}");
    app.cleanup().await;
}
