//! Issue 8, operations: migrations as a separate step, partitions as
//! designed, security headers, request ids and traceable internal errors,
//! and the health, readiness and metrics endpoints.

use fence::api::customers::ListCustomers;
use fence::error::AppError;

use crate::helpers::{logs, TestApp};

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let app = TestApp::spawn().await;
    app.signup("alpha", "starter").await;
    let r = app.get(&app.client(), Some("alpha"), "/login").await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    let html = r.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|n| n.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries it"
    );
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("'unsafe-inline' 'unsafe-eval'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(!h.contains_key("strict-transport-security"), "plain http");
    // A page whose URL carries a token sends no referrer at all.
    let r = app
        .get(
            &app.client(),
            Some("alpha"),
            &format!("/q/{}", "a".repeat(64)),
        )
        .await;
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let r = app
        .get(&app.client(), Some("alpha"), "/reset-password?token=x")
        .await;
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    // Any response gets a policy: the plain 404 page (HTML, no scripts) and
    // an API answer (locked down entirely).
    let r = app.get(&app.client(), Some("nobody"), "/").await;
    assert_eq!(r.status(), 404);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let r = app
        .post(&app.client(), Some("alpha"), "/api/customers/list", &[])
        .await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
}

#[tokio::test]
async fn https_platforms_send_hsts() {
    let app =
        TestApp::spawn_with(|c| c.platform.public_url = "https://fenceline.example".into()).await;
    let r = app.get(&app.client(), None, "/").await;
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test]
async fn an_internal_error_is_logged_with_its_cause_and_quotable_by_its_request_id() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    // Break the database under the server: the app role loses a grant.
    sqlx::query("revoke select on customers from fence_app")
        .execute(&app.owner)
        .await
        .unwrap();
    let r = a
        .client
        .post(app.url(Some("alpha"), "/api/customers/list"))
        .header("origin", app.origin(Some("alpha")))
        .form(&[("q", ""), ("page", "1"), ("archived", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let e: AppError = r.json().await.unwrap();
    assert_eq!(e, AppError::Internal(id.clone()));
    assert!(e
        .to_string()
        .contains(&format!("give support this reference: {id}")));
    let log = logs();
    let line = log
        .lines()
        .find(|l| l.contains("internal error") && l.contains(&id))
        .unwrap_or_else(|| panic!("no internal error logged for {id}"));
    assert!(
        line.contains("permission denied for table customers"),
        "{line}"
    );
    assert!(
        line.contains("src/server/repo/customers.rs:"),
        "where: {line}"
    );
    assert!(line.contains("route=/api/customers/list"), "{line}");
    assert!(line.contains(&a.org_id.to_string()), "tenant: {line}");
    // Typed call: the same error for the same reason.
    assert!(matches!(
        app.as_owner(
            &a,
            ListCustomers {
                q: String::new(),
                page: 1,
                archived: false
            }
        )
        .await,
        Err(AppError::Internal(_))
    ));
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let app = TestApp::spawn().await;
    let r = app.get(&app.client(), None, "/").await;
    let id = r.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 16);
    // One the client sends is replaced: ours are the ones in our logs.
    let r = app
        .client()
        .get(app.url(None, "/"))
        .header("x-request-id", "forged-by-the-client")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "forged-by-the-client");
}

#[tokio::test]
async fn health_readiness_and_metrics_live_on_the_platform_host() {
    let app = TestApp::spawn().await;
    app.signup("alpha", "starter").await;
    let c = app.client();
    assert_eq!(app.get(&c, None, "/health").await.status(), 200);
    assert_eq!(app.get(&c, None, "/ready").await.status(), 200);
    assert_eq!(app.get(&c, Some("alpha"), "/health").await.status(), 404);
    assert_eq!(app.get(&c, Some("alpha"), "/metrics").await.status(), 404);
    let m = app.get(&c, None, "/metrics").await;
    assert_eq!(m.status(), 200, "loopback may scrape");
    let text = m.text().await.unwrap();
    for name in [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "db_pool_connections",
        "db_pool_waiting",
        "password_hash_waiting",
    ] {
        assert!(text.contains(name), "{name} in\n{text}");
    }
    assert!(
        text.contains("route=\"/signup\"") || text.contains("route=\"/api/signup\""),
        "routes are labels"
    );
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let app = TestApp::spawn_with(|c| c.metrics_token = Some("s3cret".to_string().into())).await;
    let c = app.client();
    assert_eq!(app.get(&c, None, "/metrics").await.status(), 401);
    let r = c
        .get(app.url(None, "/metrics"))
        .header("authorization", "Bearer s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_server_refuses_a_database_that_is_not_migrated() {
    let app = TestApp::spawn().await;
    sqlx::query(
        "delete from _sqlx_migrations where version = (select max(version) from _sqlx_migrations)",
    )
    .execute(&app.owner)
    .await
    .unwrap();
    let e = fence::server::db::check_schema(&app.state.pool)
        .await
        .unwrap_err();
    assert!(e.contains("run `fence migrate`"), "{e}");
}

#[tokio::test]
async fn activity_tables_are_hash_partitioned_with_every_partition_isolated() {
    let app = TestApp::spawn().await;
    for table in [
        "jobs",
        "job_events",
        "photos",
        "quote_versions",
        "audit_events",
    ] {
        let (kind, parts): (String, i64) = sqlx::query_as(
            "select c.relkind::text, (select count(*) from pg_inherits i where i.inhparent = c.oid)
               from pg_class c where c.oid = $1::regclass",
        )
        .bind(table)
        .fetch_one(&app.owner)
        .await
        .unwrap();
        assert_eq!((kind.as_str(), parts), ("p", 8), "{table}");
        let strategy: String = sqlx::query_scalar(
            "select partstrat::text from pg_partitioned_table where partrelid = $1::regclass",
        )
        .bind(table)
        .fetch_one(&app.owner)
        .await
        .unwrap();
        assert_eq!(strategy, "h", "{table} by hash");
    }
    assert_eq!(
        crate::catalog::violations(&app.owner).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn partitioning_carries_the_existing_rows_over() {
    use sqlx::Connection;
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = format!(
        "fence_t_{}_{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("create database \"{db}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = format!("{}/{db}", admin_url.rsplit_once('/').unwrap().0);
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    // The schema as it was before the partitioning migration.
    let before = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir("migrations").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.as_str() < "0016" {
            std::fs::copy(e.path(), before.path().join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(before.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let org = uuid::Uuid::new_v4();
    let owner = uuid::Uuid::new_v4();
    for sql in [
        "select platform.provision_tenant($1, 'Old Co', 'oldco', 'growth', $2, 'Olive', 'o@old.example', 'x', 'h', 14)",
        "insert into customers (org_id, id, name, street, city, state, zip) values ($1, $1, 'C', 's', 'c', 'TX', '78701')",
        "insert into properties (org_id, id, customer_id, street, city, state, zip) values ($1, $1, $1, 's', 'c', 'TX', '78701')",
        "insert into quotes (org_id, id, number, property_id, customer_id, status, total) values ($1, $1, 1, $1, $1, 'approved', 10)",
        "insert into quote_versions (org_id, quote_id, version, drawing, terms, takeoff, priced, total) values ($1, $1, 1, '{}', '{}', '{}', '{}', 10)",
        "insert into jobs (org_id, id, number, quote_id, property_id, customer_id, status, total, created_by) values ($1, $1, 1, $1, $1, $1, 'approved', 10, $2)",
        "insert into job_events (org_id, id, job_id, to_status, by_user) values ($1, $1, $1, 'approved', $2)",
        "insert into photos (org_id, id, job_id, kind, content_type, size_bytes, thumb_bytes, width, height) values ($1, $1, $1, 'before', 'image/png', 5, 3, 1, 1)",
    ] {
        sqlx::query(sql).bind(org).bind(owner).execute(&pool).await.unwrap();
    }
    pool.close().await;
    fence::server::db::migrate(&url).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    for table in ["jobs", "job_events", "photos", "quote_versions"] {
        let (n, kind): (i64, String) = sqlx::query_as(&format!(
            "select (select count(*) from {table} where org_id = $1), (select relkind::text from pg_class where oid = '{table}'::regclass)"
        ))
        .bind(org)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((n, kind.as_str()), (1, "p"), "{table}");
    }
    let (thumb, by): (i32, Option<uuid::Uuid>) =
        sqlx::query_as("select p.thumb_bytes, j.created_by from photos p join jobs j using (org_id) where p.org_id = $1")
            .bind(org)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((thumb, by), (3, Some(owner)));
    pool.close().await;
    sqlx::query(&format!("drop database \"{db}\" with (force)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
