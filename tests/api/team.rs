//! Invitations within the plan's seats, accepting them, roles, removal.

use fence::error::AppError;

use crate::helpers::{app_error, link_in, TestApp, PASSWORD};

#[tokio::test]
async fn an_invited_teammate_accepts_and_is_logged_in_with_their_role() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let r = app
        .call(
            &a,
            "/api/team/invite",
            &[("email", "Dana@Alpha.example"), ("role", "dispatcher")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<String>().await.unwrap(),
        "Invitation sent to dana@alpha.example as Dispatcher."
    );
    let body = app.last_email("dana@alpha.example").await.unwrap();
    let link = link_in(&body, "http://");
    assert!(
        link.starts_with(&app.url(Some("alpha"), "/invite/")),
        "{link}"
    );
    let page = app
        .get(
            &app.client(),
            Some("alpha"),
            link.trim_start_matches(&app.url(Some("alpha"), "")),
        )
        .await;
    assert!(page.text().await.unwrap().contains("Join ALPHA Fence Co"));
    let token = link.rsplit('/').next().unwrap();
    let c = app.client();
    let r = app
        .post(
            &c,
            Some("alpha"),
            "/api/auth/accept",
            &[
                ("token", token),
                ("name", "Dana"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let shell: serde_json::Value = app
        .post(&c, Some("alpha"), "/api/shell", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shell["viewer"]["role"], "dispatcher");
    let r = app
        .post(
            &c,
            Some("alpha"),
            "/api/auth/accept",
            &[
                ("token", token),
                ("name", "Dana"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), 422, "an invitation works once");
    app.cleanup().await;
}

#[tokio::test]
async fn the_plans_seat_limit_is_enforced_with_a_message_naming_the_upgrade() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let r = app
        .call(
            &a,
            "/api/team/invite",
            &[("email", "x@alpha.example"), ("role", "crew")],
        )
        .await;
    assert_eq!(r.status(), 402);
    match app_error(r).await {
        AppError::Limit(m) => assert!(
            m.contains("Starter plan includes 1 user") && m.contains("Growth"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    let n: i64 = sqlx::query_scalar("select count(*) from invitations")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // Growth: 5 seats, pending invitations count.
    let b = app.signup("bravo", "growth").await;
    for i in 0..4 {
        let r = app
            .call(
                &b,
                "/api/team/invite",
                &[("email", &format!("p{i}@bravo.example")), ("role", "crew")],
            )
            .await;
        assert_eq!(r.status(), 200, "{i}");
    }
    let r = app
        .call(
            &b,
            "/api/team/invite",
            &[("email", "p5@bravo.example"), ("role", "crew")],
        )
        .await;
    assert_eq!(r.status(), 402);
    app.cleanup().await;
}

#[tokio::test]
async fn invitations_are_validated_and_the_owner_role_cannot_be_given() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    let r = app
        .call(
            &a,
            "/api/team/invite",
            &[("email", "bad"), ("role", "owner")],
        )
        .await;
    let e = app_error(r).await;
    assert!(e.fields().unwrap().get("email").is_some());
    assert!(e
        .fields()
        .unwrap()
        .get("role")
        .unwrap()
        .contains("one owner"));
    let r = app
        .call(
            &a,
            "/api/team/invite",
            &[("email", &a.email), ("role", "admin")],
        )
        .await;
    assert!(app_error(r)
        .await
        .fields()
        .unwrap()
        .get("email")
        .unwrap()
        .contains("already on the team"));
    let r = app
        .call(
            &a,
            "/api/team/role",
            &[("user_id", &a.owner_id.to_string()), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status(), 404, "the owner's role does not change");
    let r = app
        .call(
            &a,
            "/api/team/remove",
            &[("user_id", &a.owner_id.to_string())],
        )
        .await;
    assert_eq!(r.status(), 403, "nobody removes themselves");
    app.cleanup().await;
}

#[tokio::test]
async fn a_removed_member_is_signed_out_at_once() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let c = app.join(&a, "c@alpha.example", "crew").await;
    assert_eq!(app.get(&c, Some("alpha"), "/customers").await.status(), 200);
    let id: uuid::Uuid = sqlx::query_scalar("select id from users where email = 'c@alpha.example'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let r = app
        .call(&a, "/api/team/remove", &[("user_id", &id.to_string())])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.get(&c, Some("alpha"), "/customers").await.status(), 303);
    app.cleanup().await;
}
