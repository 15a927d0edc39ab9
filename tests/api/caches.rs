//! The in-memory caches of hosts, users and sessions (`server::cache`),
//! with two instances on one database as behind a load balancer: every
//! change takes effect on the instance that made it at once, and on the
//! other within a second; nothing is served from memory that the database
//! no longer says.

use fence::api::auth::Logout;
use fence::api::team::{ChangeRole, RemoveMember};
use uuid::Uuid;

use crate::helpers::{first_customers, within_a_second, TestApp};

async fn user_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_role_change_and_a_removal_reach_both_instances() {
    let app = TestApp::spawn().await;
    let b = app.another_instance().await;
    let t = app.signup("alpha", "growth").await;
    let crew = app.join(&t, "c@alpha.example", "crew").await;
    let viewer = app.join(&t, "v@alpha.example", "viewer").await;
    // Both instances have served (and cached) the host, the sessions and
    // the users.
    for _ in 0..3 {
        assert_eq!(
            app.get(&crew, Some("alpha"), "/customers").await.status(),
            200
        );
        assert_eq!(b.get(&crew, "alpha", "/customers").await.status(), 200);
        assert_eq!(b.get(&viewer, "alpha", "/customers").await.status(), 200);
    }

    // A role change made on the first instance ends the member's sessions:
    // at once there, within a second on the other.
    let c = user_id(&app, "c@alpha.example").await;
    app.as_owner(
        &t,
        ChangeRole {
            user_id: c,
            role: "dispatcher".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        app.get(&crew, Some("alpha"), "/customers").await.status(),
        303,
        "signed out at once on the instance that made the change"
    );
    within_a_second("the role change on the other instance", || async {
        b.get(&crew, "alpha", "/customers").await.status() == 303
    })
    .await;

    // A removal made through the second instance: at once there, within a
    // second on the first.
    let v = user_id(&app, "v@alpha.example").await;
    let r = b
        .send_fn(&t.client, "alpha", RemoveMember { user_id: v })
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(b.get(&viewer, "alpha", "/customers").await.status(), 303);
    within_a_second("the removal on the other instance", || async {
        app.get(&viewer, Some("alpha"), "/customers").await.status() == 303
    })
    .await;
    // The owner, untouched, is still served by both.
    assert!(app.as_owner(&t, first_customers()).await.is_ok());
    assert_eq!(b.get(&t.client, "alpha", "/customers").await.status(), 200);
}

#[tokio::test]
async fn a_suspension_and_a_new_tenant_reach_both_instances() {
    let app = TestApp::spawn().await;
    let b = app.another_instance().await;
    let t = app.signup("alpha", "growth").await;
    let other = app.signup("bravo", "growth").await;
    // A host nobody has yet: both instances remember it names no tenant.
    let c = app.client();
    assert_eq!(app.get(&c, Some("charlie"), "/login").await.status(), 404);
    assert_eq!(b.get(&c, "charlie", "/login").await.status(), 404);
    for _ in 0..3 {
        assert_eq!(b.get(&t.client, "alpha", "/customers").await.status(), 200);
    }

    // Suspended by the platform (its function, run by hand as an operator
    // would): refused by both instances within a second.
    sqlx::query("select platform.set_tenant_suspended($1, true, null, 'unpaid invoices')")
        .bind(t.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    within_a_second("the suspension on the first instance", || async {
        app.get(&t.client, Some("alpha"), "/customers")
            .await
            .status()
            == 403
    })
    .await;
    within_a_second("the suspension on the other instance", || async {
        b.get(&t.client, "alpha", "/customers").await.status() == 403
    })
    .await;
    // Another tenant is not affected.
    assert_eq!(
        b.get(&other.client, "bravo", "/customers").await.status(),
        200
    );

    // A tenant signed up on the first instance: its host works at once
    // there and within a second on the other, which had it as unknown.
    app.signup("charlie", "starter").await;
    assert_eq!(app.get(&c, Some("charlie"), "/login").await.status(), 200);
    within_a_second("the new tenant on the other instance", || async {
        b.get(&c, "charlie", "/login").await.status() == 200
    })
    .await;
}

#[tokio::test]
async fn a_session_signed_out_on_one_instance_is_refused_by_the_other() {
    let app = TestApp::spawn().await;
    let b = app.another_instance().await;
    let t = app.signup("alpha", "growth").await;
    // The session cookie, replayed by hand (as a copied cookie would be).
    let cookie = {
        let r = app.get(&t.client, Some("alpha"), "/customers").await;
        assert_eq!(r.status(), 200);
        sqlx::query_scalar::<_, String>(
            "select id from tower_sessions.session order by expiry_date desc limit 1",
        )
        .fetch_one(&app.owner)
        .await
        .unwrap()
    };
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let replay = |port: u16| {
        raw.get(format!("http://127.0.0.1:{port}/customers"))
            .header("host", format!("alpha.localhost:{port}"))
            .header(
                "cookie",
                format!("{}={cookie}", fence::server::router::SESSION_COOKIE),
            )
            .send()
    };
    for _ in 0..3 {
        assert_eq!(replay(b.port).await.unwrap().status(), 200, "cached on B");
        assert_eq!(replay(app.port).await.unwrap().status(), 200);
    }
    // Signed out through the first instance.
    app.as_owner(&t, Logout {}).await.unwrap();
    assert_eq!(replay(app.port).await.unwrap().status(), 303);
    within_a_second("the sign-out on the other instance", || async {
        replay(b.port).await.unwrap().status() == 303
    })
    .await;
}
