//! Lists read from a real PostgreSQL streaming replica (`server::replica`):
//! a scratch primary and its hot standby on loopback, made for the test
//! with the server's own binaries. Lists come from the replica when it holds
//! what the reader must see; a reader who just saved, and a tenant whose
//! change was announced, read from the primary; a replica too far behind,
//! or gone, serves nobody; row-level security holds on the replica.

use std::time::Duration;

use crate::helpers::{first_customers, TestApp};
use crate::scratch::Pair;
use fence::api::settings::UpdateCompany;
use fence::model::CompanyForm;
use reqwest::Client;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};

/// The names a list shows, and whether the replica served it.
async fn listed(app: &TestApp, c: &Client, sub: &str) -> (Vec<String>, bool) {
    let before = app.state.replica.reads();
    let page = app
        .call_fn(c, Some(sub), first_customers())
        .await
        .unwrap_or_else(|e| panic!("list on {sub}: {e:?}"));
    let after = app.state.replica.reads();
    let names = page.rows.into_iter().map(|r| r.name).collect();
    (names, after.0 > before.0)
}

/// Polls (every 50 ms, up to `secs`) until a list served by the replica
/// satisfies `ok`; returns its names.
async fn from_replica_within(
    app: &TestApp,
    c: &Client,
    sub: &str,
    secs: u64,
    ok: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let start = std::time::Instant::now();
    loop {
        let (names, on_replica) = listed(app, c, sub).await;
        if on_replica && ok(&names) {
            return names;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "no list from the replica within {secs} s (last: {names:?}, replica: {on_replica})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn lists_come_from_the_replica_only_when_it_holds_what_the_reader_must_see() {
    let pair = Pair::start(true);
    let replica_url = std::cell::RefCell::new(String::new());
    let app = TestApp::spawn_on(pair.admin_url(), |c| {
        let url = pair.on_replica(c.app_url());
        *replica_url.borrow_mut() = url.clone();
        c.replica_database_url = Some(url.into());
        c.replica_max_lag = Duration::from_secs(2);
    })
    .await;
    let replica_url = replica_url.into_inner();
    let alpha = app.signup("alpha", "growth").await;
    let beta = app.signup("beta", "growth").await;
    app.customer(&alpha, "Ada Early", "ada@alpha.example").await;
    app.customer(&beta, "Bo Beta", "bo@beta.example").await;
    let member = app.join(&alpha, "d@alpha.example", "dispatcher").await;

    // Once the replica has caught up, a member's list is read there, and
    // it holds the tenant's rows and no other tenant's.
    let names = from_replica_within(&app, &member, "alpha", 5, |n| !n.is_empty()).await;
    assert_eq!(names, vec!["Ada Early".to_string()]);
    let names = from_replica_within(&app, &beta.client, "beta", 5, |n| !n.is_empty()).await;
    assert_eq!(
        names,
        vec!["Bo Beta".to_string()],
        "row-level security on the replica"
    );

    // Replay stops on the replica: it falls behind.
    let replica_admin = pair.on_replica(&pair.admin_url());
    let mut standby = PgConnection::connect(&replica_admin).await.unwrap();
    sqlx::query("select pg_wal_replay_pause()")
        .execute(&mut standby)
        .await
        .unwrap();

    // The owner saves a customer: their own list comes from the primary
    // and shows it at once...
    app.customer(&alpha, "Cy Fresh", "cy@alpha.example").await;
    let (names, on_replica) = listed(&app, &alpha.client, "alpha").await;
    assert!(
        !on_replica,
        "a reader who just saved reads from the primary"
    );
    assert!(names.contains(&"Cy Fresh".to_string()), "{names:?}");
    // ...while a member who saved nothing still reads the replica (a list
    // a moment old: it does not show the new customer yet).
    let (names, on_replica) = listed(&app, &member, "alpha").await;
    assert!(
        on_replica,
        "within the lag allowed, the replica serves others"
    );
    assert_eq!(names, vec!["Ada Early".to_string()]);

    // A change announced for the tenant (the company renamed: the
    // organization row's announcement) sends the tenant's readers to the
    // primary; another tenant's readers stay on the replica.
    app.as_owner(
        &alpha,
        UpdateCompany {
            form: CompanyForm {
                company_name: "Alpha Fences Renamed".into(),
                support_email: String::new(),
                phone: String::new(),
                time_zone: String::new(),
            },
            wizard: None,
        },
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (names, on_replica) = listed(&app, &member, "alpha").await;
    assert!(
        !on_replica,
        "an announced change keeps its tenant on the primary"
    );
    assert!(names.contains(&"Cy Fresh".to_string()), "{names:?}");
    let (_, on_replica) = listed(&app, &beta.client, "beta").await;
    assert!(on_replica, "another tenant is not affected");

    // Past the lag allowed (2 s here), nobody reads from the replica.
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let (_, on_replica) = listed(&app, &beta.client, "beta").await;
    assert!(!on_replica, "a replica too far behind serves nobody");

    // Replay resumes: the replica catches up and serves again, with the
    // new rows.
    sqlx::query("select pg_wal_replay_resume()")
        .execute(&mut standby)
        .await
        .unwrap();
    from_replica_within(&app, &member, "alpha", 5, |n| {
        n.contains(&"Cy Fresh".to_string())
    })
    .await;

    // Row-level security on the replica, asked directly as the
    // application role: nothing without a tenant, only the tenant's own
    // rows with one, and no writes at all.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&replica_url)
        .await
        .unwrap();
    let unbound: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(unbound, 0, "no tenant bound: no rows");
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.current_tenant', $1, true)")
        .bind(beta.org_id.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let names: Vec<String> = sqlx::query_scalar("select name from customers order by name")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(names, vec!["Bo Beta".to_string()]);
    let write = sqlx::query("delete from customers").execute(&mut *tx).await;
    assert!(write.is_err(), "the replica takes no writes");
    drop(tx);
    pool.close().await;
    drop(standby);

    // The replica goes away: lists are served from the primary, with no
    // error to anyone.
    pair.stop("replica");
    for _ in 0..5 {
        let (names, on_replica) = listed(&app, &member, "alpha").await;
        assert!(!on_replica);
        assert_eq!(names.len(), 2, "{names:?}");
        let (names, _) = listed(&app, &beta.client, "beta").await;
        assert_eq!(names, vec!["Bo Beta".to_string()]);
    }
}
