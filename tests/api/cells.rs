//! Two cells on loopback (`server::cells`): each an app instance on its own
//! PostgreSQL cluster (the test server, and a scratch cluster), sharing a
//! directory database. Each tenant lives in the cell that signed it up and
//! only there; a subdomain taken in one cell cannot be taken in the other;
//! either cell's address serves every tenant (reads, writes, a login),
//! passing another cell's requests on; an unknown host is a 404 in both.

use fence::api::auth::Login;
use fence::api::customers::CreateCustomer;
use fence::api::signup::{CheckSubdomain, Signup};
use fence::error::AppError;
use fence::model::SubdomainStatus;
use fence::server::config::{CellSettings, Config};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::helpers::{
    admin_url, customer_input, first_customers, signup_input, with_db, TestApp, PASSWORD,
};
use crate::scratch::Pair;

fn in_cell(name: &'static str, directory: String) -> impl FnOnce(&mut Config) {
    move |c: &mut Config| {
        c.cell = Some(CellSettings {
            name: name.into(),
            url: c.platform.public_url.replace("localhost", "127.0.0.1"),
            directory_url: directory.into(),
        });
        // The cells pass requests to each other as a reverse proxy would.
        c.platform.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    }
}

async fn count(pool: &sqlx::PgPool, sql: &str, sub: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(sub)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_cells_serve_their_own_tenants_and_pass_each_other_the_rest() {
    let second_cluster = Pair::start(false);
    let dir_db = format!(
        "fence_t_{}_dir{}",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    let mut admin = PgConnection::connect(&admin_url()).await.unwrap();
    sqlx::query(&format!("create database \"{dir_db}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    let directory_url = with_db(&admin_url(), &dir_db);
    fence::server::cells::migrate(&directory_url).await.unwrap();

    let a = TestApp::spawn_with(in_cell("a", directory_url.clone())).await;
    let b = TestApp::spawn_on(
        second_cluster.admin_url(),
        in_cell("b", directory_url.clone()),
    )
    .await;
    let alpha = a.signup("alpha", "growth").await;
    let beta = b.signup("beta", "growth").await;

    // The directory names each tenant's cell and id, and each cell's
    // address.
    let dir = PgPoolOptions::new()
        .max_connections(1)
        .connect(&directory_url)
        .await
        .unwrap();
    let placed: Vec<(String, String, Option<Uuid>)> =
        sqlx::query_as("select subdomain, cell, org_id from tenants order by subdomain")
            .fetch_all(&dir)
            .await
            .unwrap();
    assert_eq!(
        placed,
        vec![
            ("alpha".into(), "a".into(), Some(alpha.org_id)),
            ("beta".into(), "b".into(), Some(beta.org_id)),
        ]
    );
    let cells: i64 = sqlx::query_scalar("select count(*) from cells")
        .fetch_one(&dir)
        .await
        .unwrap();
    assert_eq!(cells, 2);

    // Each tenant's rows are in its own cell's cluster and not the other's.
    let orgs = "select count(*) from organizations where subdomain = $1";
    assert_eq!(count(&a.owner, orgs, "alpha").await, 1);
    assert_eq!(count(&a.owner, orgs, "beta").await, 0);
    assert_eq!(count(&b.owner, orgs, "beta").await, 1);
    assert_eq!(count(&b.owner, orgs, "alpha").await, 0);

    // A subdomain taken in one cell is taken in both.
    let taken = b
        .call_fn(
            &b.client(),
            None,
            Signup {
                form: signup_input("Copycat Fences", "alpha", "copy@copycat.example", "growth"),
            },
        )
        .await;
    match taken {
        Err(AppError::Validation(f)) => {
            assert!(format!("{f:?}").contains("alpha is taken"), "{f:?}")
        }
        other => panic!("a subdomain of the other cell was not refused: {other:?}"),
    }
    let status = b
        .call_fn(
            &b.client(),
            None,
            CheckSubdomain {
                subdomain: "alpha".into(),
            },
        )
        .await
        .unwrap();
    assert!(matches!(status, SubdomainStatus::Taken(_)), "{status:?}");
    assert_eq!(count(&b.owner, orgs, "alpha").await, 0, "nothing half-made");
    let claims: i64 = sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(&dir)
        .await
        .unwrap();
    assert_eq!(claims, 2);

    // Beta's owner, through cell a's address: pages, reads and writes
    // reach beta's cell, and the rows land there.
    let page = a.get(&beta.client, Some("beta"), "/customers").await;
    assert_eq!(page.status(), 200);
    let id = a
        .call_fn(
            &beta.client,
            Some("beta"),
            CreateCustomer {
                form: customer_input("Through Cell A", "through@beta.example"),
                wizard: None,
            },
        )
        .await
        .unwrap();
    let in_b: i64 = sqlx::query_scalar("select count(*) from customers where id = $1")
        .bind(id)
        .fetch_one(&b.owner)
        .await
        .unwrap();
    let in_a: i64 = sqlx::query_scalar("select count(*) from customers where id = $1")
        .bind(id)
        .fetch_one(&a.owner)
        .await
        .unwrap();
    assert_eq!((in_b, in_a), (1, 0));
    let list = a
        .call_fn(&beta.client, Some("beta"), first_customers())
        .await
        .unwrap();
    assert_eq!(
        list.rows
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Through Cell A"]
    );
    // ...and alpha's owner still sees none of beta's, on either address.
    for app in [&a, &b] {
        let list = app
            .call_fn(&alpha.client, Some("alpha"), first_customers())
            .await
            .unwrap();
        assert!(list.rows.is_empty(), "{:?}", list.rows);
    }
    // Beta's session does not open alpha, through either cell.
    assert_eq!(
        b.get(&beta.client, Some("alpha"), "/customers")
            .await
            .status(),
        303
    );

    // A login through the other cell: the session is made in the
    // tenant's own cell and works on either address.
    let c = a.client();
    b.call_fn(
        &c,
        Some("alpha"),
        Login {
            email: alpha.email.clone(),
            password: PASSWORD.into(),
            next: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(a.get(&c, Some("alpha"), "/customers").await.status(), 200);
    assert_eq!(b.get(&c, Some("alpha"), "/customers").await.status(), 200);

    // A host no cell holds: a plain 404 from both.
    for app in [&a, &b] {
        assert_eq!(
            app.get(&app.client(), Some("nobody"), "/login")
                .await
                .status(),
            404
        );
    }

    dir.close().await;
    drop(a);
    drop(b);
    sqlx::query(&format!(
        "drop database if exists \"{dir_db}\" with (force)"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
}

/// What a cell passes on carries its own forwarding headers only: a
/// client's X-Forwarded-* (believed or not by `TRUSTED_PROXIES` before
/// the hop) never travel beside them, where the next cell would read the
/// first one.
#[tokio::test]
async fn a_hop_carries_the_cells_own_forwarding_headers_only() {
    use axum::http::HeaderMap;
    // The next cell, reduced to what it received.
    let echo = axum::Router::new().fallback(|h: HeaderMap| async move {
        let all = |n: &str| {
            h.get_all(n)
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        };
        format!(
            "host={};for={};proto={}",
            all("x-forwarded-host"),
            all("x-forwarded-for"),
            all("x-forwarded-proto")
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, echo).await.unwrap() });
    // (The directory is not asked here.)
    let cells =
        fence::server::cells::Cells::connect("a", "postgres://nobody@127.0.0.1:1/none").unwrap();
    let req = axum::http::Request::builder()
        .uri("/customers")
        .header("x-forwarded-host", "alpha.example.test")
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-forwarded-proto", "https")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = cells
        .pass(
            "b",
            &format!("http://127.0.0.1:{port}"),
            "beta.localhost:3000",
            Some("10.1.2.3".parse().unwrap()),
            "http",
            req,
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&body),
        "host=beta.localhost:3000;for=10.1.2.3;proto=http"
    );
}
