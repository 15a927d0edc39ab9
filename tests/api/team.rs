//! Invitations within the plan's seats, accepting them, roles, removal.

use fence::api::auth::AcceptInvitation;
use fence::api::shell::GetShell;
use fence::api::team::{ChangeRole, InviteMember, RemoveMember};
use fence::error::AppError;
use fence::model::Role;

use crate::helpers::{link_in, TestApp, PASSWORD};

fn invite(email: &str, role: &str) -> InviteMember {
    InviteMember {
        email: email.into(),
        role: role.into(),
        wizard: None,
    }
}

#[tokio::test]
async fn an_invited_teammate_accepts_and_is_logged_in_with_their_role() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let sent = app
        .as_owner(&a, invite("Dana@Alpha.example", "dispatcher"))
        .await
        .unwrap();
    assert_eq!(sent, "Invitation sent to dana@alpha.example as Dispatcher.");
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
    let accept = || AcceptInvitation {
        token: token.into(),
        name: "Dana".into(),
        password: PASSWORD.into(),
        confirm: PASSWORD.into(),
    };
    let c = app.client();
    app.call_fn(&c, Some("alpha"), accept()).await.unwrap();
    let shell = app.call_fn(&c, Some("alpha"), GetShell {}).await.unwrap();
    assert_eq!(shell.viewer.unwrap().role, Some(Role::Dispatcher));
    let r = app.call_fn(&c, Some("alpha"), accept()).await;
    assert!(
        matches!(r, Err(AppError::Validation(_))),
        "an invitation works once: {r:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_plans_seat_limit_is_enforced_with_a_message_naming_the_upgrade() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    match app.as_owner(&a, invite("x@alpha.example", "crew")).await {
        Err(AppError::Limit(m)) => assert!(
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
        app.as_owner(&b, invite(&format!("p{i}@bravo.example"), "crew"))
            .await
            .unwrap_or_else(|e| panic!("{i}: {e:?}"));
    }
    let r = app.as_owner(&b, invite("p5@bravo.example", "crew")).await;
    assert!(matches!(r, Err(AppError::Limit(_))), "{r:?}");
    app.cleanup().await;
}

#[tokio::test]
async fn invitations_are_validated_and_the_owner_role_cannot_be_given() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    let e = app.as_owner(&a, invite("bad", "owner")).await.unwrap_err();
    assert!(e.fields().unwrap().get("email").is_some(), "{e:?}");
    assert!(e
        .fields()
        .unwrap()
        .get("role")
        .unwrap()
        .contains("one owner"));
    let e = app
        .as_owner(&a, invite(&a.email, "admin"))
        .await
        .unwrap_err();
    assert!(e
        .fields()
        .unwrap()
        .get("email")
        .unwrap()
        .contains("already on the team"));
    let r = app
        .as_owner(
            &a,
            ChangeRole {
                user_id: a.owner_id,
                role: "viewer".into(),
            },
        )
        .await;
    assert_eq!(
        r,
        Err(AppError::NotFound),
        "the owner's role does not change"
    );
    let r = app
        .as_owner(
            &a,
            RemoveMember {
                user_id: a.owner_id,
            },
        )
        .await;
    assert!(
        matches!(r, Err(AppError::Forbidden(_))),
        "nobody removes themselves: {r:?}"
    );
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
    app.as_owner(&a, RemoveMember { user_id: id })
        .await
        .unwrap();
    assert_eq!(app.get(&c, Some("alpha"), "/customers").await.status(), 303);
    app.cleanup().await;
}
