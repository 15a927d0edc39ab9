//! Request budgets per plan (issue 14): a tenant past its minute's budget
//! gets 429 with `Retry-After` and the standard headers, as a page or as
//! the app's error; other tenants are served on their own budgets; the
//! count is shared by instances through the database and survives a
//! restart; the application role cannot read the counts.

use std::time::Duration;

use fence::model::PlanCode;
use fence::server::budget::{Budgets, Verdict};

use crate::helpers::TestApp;

/// Waits for a fresh minute when this one has under 20 s left, so a test's
/// requests fall in one window.
async fn whole_minute_ahead() {
    let s = chrono::Utc::now().timestamp().rem_euclid(60);
    if s > 40 {
        tokio::time::sleep(Duration::from_secs((61 - s) as u64)).await;
    }
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

fn number(r: &reqwest::Response, name: &str) -> i64 {
    header(r, name)
        .unwrap_or_else(|| panic!("{name} missing: {:?}", r.headers()))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_tenant_past_its_budget_gets_429_and_the_others_are_served() {
    let app = TestApp::spawn_with(|c| c.platform.requests_per_minute = [12, 25, 1000]).await;
    let a = app.signup("budgeta", "starter").await;
    let b = app.signup("budgetb", "growth").await;
    whole_minute_ahead().await;

    let r = app.get(&a.client, Some(&a.sub), "/customers").await;
    assert_eq!(r.status(), 200);
    assert_eq!(number(&r, "ratelimit-limit"), 12, "Starter's budget");
    assert_eq!(header(&r, "ratelimit-policy").unwrap(), "12;w=60");
    assert!((1..=60).contains(&number(&r, "ratelimit-reset")));
    let mut left = number(&r, "ratelimit-remaining");
    assert!(left < 12);
    while left > 0 {
        let r = app.get(&a.client, Some(&a.sub), "/customers").await;
        assert_eq!(r.status(), 200);
        assert_eq!(number(&r, "ratelimit-remaining"), left - 1, "counted down");
        left -= 1;
    }

    // Spent: a page is refused with a page saying why and when to retry...
    let r = app.get(&a.client, Some(&a.sub), "/customers").await;
    assert_eq!(r.status(), 429);
    let wait = number(&r, "retry-after");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(number(&r, "ratelimit-remaining"), 0);
    assert_eq!(number(&r, "ratelimit-limit"), 12);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("more than 12 requests in the last minute"),
        "{body}"
    );
    // ...and a server function with the app's error, which the page shows.
    let r = app.call(&a, "/api/customers/list", &[]).await;
    assert_eq!(r.status(), 429);
    assert!(header(&r, "retry-after").is_some());
    let e: fence::error::AppError = r.json().await.unwrap();
    assert!(
        matches!(&e, fence::error::AppError::Throttled(m) if m.contains("Try again in")),
        "{e:?}"
    );

    // The other tenant is served, on its own plan's budget.
    let r = app.get(&b.client, Some(&b.sub), "/customers").await;
    assert_eq!(r.status(), 200);
    assert_eq!(number(&r, "ratelimit-limit"), 25);
    // The platform's own site and the app's files are not counted.
    let c = app.client();
    let r = app.get(&c, None, "/").await;
    assert_eq!(r.status(), 200);
    assert!(header(&r, "ratelimit-limit").is_none());
    let r = app.get(&a.client, Some(&a.sub), "/sw.js").await;
    assert_eq!(r.status(), 200, "the limited tenant's files still load");
}

#[tokio::test]
async fn the_count_is_shared_by_instances_and_survives_a_restart() {
    let app = TestApp::spawn_with(|c| c.platform.requests_per_minute = [30, 30, 30]).await;
    let a = app.signup("sharea", "starter").await;
    whole_minute_ahead().await;
    let now = chrono::Utc::now().timestamp();

    // Another instance on the same database serves 24 of the tenant's
    // requests this minute and shares its count.
    let other = Budgets::new([30, 30, 30]);
    for _ in 0..24 {
        assert!(matches!(
            other.check(a.org_id, PlanCode::Starter, now),
            Verdict::Allowed { .. }
        ));
    }
    other.flush(&app.state.pool).await.unwrap();

    // This instance learns of them at its next flush (a quarter second
    // after it counts the tenant): far fewer than its own 30 are left.
    let r = app.get(&a.client, Some(&a.sub), "/customers").await;
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut served = 1;
    loop {
        let r = app.get(&a.client, Some(&a.sub), "/customers").await;
        if r.status() == 429 {
            break;
        }
        assert_eq!(r.status(), 200);
        served += 1;
        assert!(served <= 6, "this instance ignored the other's count");
    }
    assert!(served >= 2, "served {served}");

    // A restarted instance knows nothing in memory; after its first flush
    // it has the shared total, and refuses.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let fresh = Budgets::new([30, 30, 30]);
    assert!(matches!(
        fresh.check(a.org_id, PlanCode::Starter, now),
        Verdict::Allowed { .. }
    ));
    fresh.flush(&app.state.pool).await.unwrap();
    assert!(matches!(
        fresh.check(a.org_id, PlanCode::Starter, now),
        Verdict::Limited { limit: 30, .. }
    ));
}

#[tokio::test]
async fn the_application_role_cannot_read_or_write_the_counts_directly() {
    let app = TestApp::spawn().await;
    let a = app.signup("counta", "growth").await;
    let b = app.signup("countb", "growth").await;
    let pool = &app.state.pool;
    for sql in [
        "select count(*) from platform.request_counts",
        "delete from platform.request_counts",
    ] {
        let e = sqlx::query(sql).execute(pool).await.unwrap_err();
        assert!(e.to_string().contains("permission denied"), "{sql}: {e}");
    }
    // In tenant A's transaction too (row-level security is there besides).
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.current_tenant', $1, true)")
        .bind(a.org_id.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let e = sqlx::query("select n from platform.request_counts where org_id = $1")
        .bind(b.org_id)
        .fetch_all(&mut *tx)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("permission denied"), "{e}");
    tx.rollback().await.unwrap();
    // The one way in adds counts and answers with numbers only; an id that
    // is no tenant adds nothing.
    let rows: Vec<(uuid::Uuid, i64)> =
        sqlx::query_as("select * from platform.add_request_counts(now(), $1, $2)")
            .bind(vec![a.org_id, uuid::Uuid::new_v4()])
            .bind(vec![2i64, 5])
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, a.org_id);
}
