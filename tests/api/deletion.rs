//! Deleting a workspace: only its owner asks, typing the subdomain, and only
//! once any subscription has ended; the owners are told; it can be called
//! off during the grace period; when due, its objects and rows go and the
//! deletion is logged, and no other workspace loses anything.

use fence::api::settings::{DeleteWorkspace, GetDeletion, KeepWorkspace};
use fence::error::AppError;
use fence::server::storage::key;
use uuid::Uuid;

use crate::helpers::TestApp;

#[tokio::test]
async fn an_owner_deletes_the_workspace_after_the_grace_period_and_nothing_else_goes() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    let ca = app.customer(&a, "Dana Smith", "dana@alpha.example").await;
    let cb = app.customer(&b, "Eve Stone", "eve@bravo.example").await;
    let (ka, kb) = (
        key(a.org_id, "photos", Uuid::new_v4()),
        key(b.org_id, "photos", Uuid::new_v4()),
    );
    app.state.storage.put(&ka, b"alpha".to_vec()).await.unwrap();
    app.state.storage.put(&kb, b"bravo".to_vec()).await.unwrap();

    // Not an owner: refused. A wrong confirmation: the field says what to type.
    let admin = app.join(&a, "ada@alpha.example", "admin").await;
    assert!(matches!(
        app.call_fn(&admin, Some("alpha"), GetDeletion {}).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        app.call_fn(
            &admin,
            Some("alpha"),
            DeleteWorkspace {
                confirm: "alpha".into()
            }
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    let e = app
        .as_owner(
            &a,
            DeleteWorkspace {
                confirm: "bravo".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.fields().and_then(|f| f.get("confirm")),
        Some("Type alpha to confirm.")
    );
    // A running subscription must end first.
    sqlx::query("update organizations set stripe_subscription_id = 'sub_x', status = 'active' where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.settle().await;
    assert!(app
        .as_owner(&a, GetDeletion {})
        .await
        .unwrap()
        .blocked
        .is_some());
    assert!(matches!(
        app.as_owner(&a, DeleteWorkspace { confirm: "alpha".into() }).await,
        Err(AppError::Conflict(m)) if m.contains("subscription")
    ));
    sqlx::query("update organizations set status = 'cancelled' where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.settle().await;

    // Asked: due in 30 days, the owners and admins told, still working.
    let d = app
        .as_owner(
            &a,
            DeleteWorkspace {
                confirm: " Alpha ".into(),
            },
        )
        .await
        .unwrap();
    assert!(d.due.is_some());
    let due_days: f64 = sqlx::query_scalar(
        "select extract(epoch from deletion_due_at - now())::float8 / 86400 from organizations where id = $1",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert!((29.9..30.1).contains(&due_days), "{due_days}");
    let told: Vec<String> = sqlx::query_scalar(
        "select to_email from outbox where org_id = $1 and kind = 'deletion_scheduled' order by to_email",
    )
    .bind(a.org_id)
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(told, vec!["ada@alpha.example".to_string(), a.email.clone()]);
    assert_eq!(
        fence::server::deletion::purge_due(&app.state)
            .await
            .unwrap(),
        0,
        "not yet"
    );
    // Bravo's owner sees only Bravo's state.
    assert!(app
        .as_owner(&b, GetDeletion {})
        .await
        .unwrap()
        .due
        .is_none());

    // Called off, then asked again, then due.
    app.as_owner(&a, KeepWorkspace {}).await.unwrap();
    assert!(app
        .as_owner(&a, GetDeletion {})
        .await
        .unwrap()
        .due
        .is_none());
    app.as_owner(
        &a,
        DeleteWorkspace {
            confirm: "alpha".into(),
        },
    )
    .await
    .unwrap();
    sqlx::query(
        "update organizations set deletion_due_at = now() - interval '1 minute' where id = $1",
    )
    .bind(a.org_id)
    .execute(&app.owner)
    .await
    .unwrap();
    assert!(matches!(
        app.as_owner(&a, KeepWorkspace {}).await,
        Err(AppError::Conflict(m)) if m.contains("already started")
    ));
    assert_eq!(
        fence::server::deletion::purge_due(&app.state)
            .await
            .unwrap(),
        1
    );

    // Alpha is gone: rows, objects, host; logged. Bravo is whole.
    let left: i64 = sqlx::query_scalar(
        "select (select count(*) from organizations where id = $1)
              + (select count(*) from customers where org_id = $1)
              + (select count(*) from users where org_id = $1)",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(left, 0);
    assert!(app.state.storage.get(&ka).await.unwrap().is_none());
    assert_eq!(
        app.state.storage.get(&kb).await.unwrap().as_deref(),
        Some(&b"bravo"[..])
    );
    let (sub, by, objects): (String, String, i32) = sqlx::query_as(
        "select subdomain, requested_by, objects_deleted from platform.tenant_deletions where deleted_org_id = $1",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(
        (sub.as_str(), by.as_str(), objects),
        ("alpha", a.email.as_str(), 1)
    );
    assert_eq!(
        app.get(&app.client(), Some("alpha"), "/login")
            .await
            .status(),
        404
    );
    let eve: i64 = sqlx::query_scalar("select count(*) from customers where id = $1")
        .bind(cb)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(eve, 1);
    let _ = ca;
    assert!(app.as_owner(&b, GetDeletion {}).await.is_ok());
}

#[tokio::test]
async fn a_platform_admin_schedules_and_calls_off_a_deletion_and_a_tenant_cannot() {
    use fence::api::admin::{AdminCancelDeletion, AdminListTenants, AdminScheduleDeletion};
    use fence::api::auth::AdminLogin;
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    let hash = fence::server::password::hash_blocking(crate::helpers::PASSWORD).unwrap();
    sqlx::query("insert into platform.admins (id, email, name, password_hash) values (gen_random_uuid(), 'root@platform.example', 'Root', $1)")
        .bind(hash)
        .execute(&app.owner)
        .await
        .unwrap();
    let c = app.client();
    let schedule = |id: Uuid, confirm: &str| AdminScheduleDeletion {
        id,
        confirm: confirm.into(),
    };
    // Not logged in as an admin; a tenant's owner on the platform host or
    // their own: refused.
    let r = app.call_fn(&c, None, schedule(a.org_id, "alpha")).await;
    assert_eq!(r, Err(AppError::Unauthorized));
    let r = app
        .call_fn(&b.client, Some("bravo"), schedule(a.org_id, "alpha"))
        .await;
    assert!(r.is_err(), "{r:?}");
    app.call_fn(
        &c,
        None,
        AdminLogin {
            email: "root@platform.example".into(),
            password: crate::helpers::PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    // The subdomain typed; another tenant's subdomain is not it.
    let e = app
        .call_fn(&c, None, schedule(a.org_id, "bravo"))
        .await
        .unwrap_err();
    assert_eq!(
        e.fields().and_then(|f| f.get("confirm")),
        Some("Type alpha to confirm.")
    );
    // No such tenant.
    let r = app.call_fn(&c, None, schedule(Uuid::new_v4(), "x")).await;
    assert_eq!(r, Err(AppError::NotFound));
    // A running subscription must end first.
    sqlx::query("update organizations set stripe_subscription_id = 'sub_x', status = 'active' where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.settle().await;
    let r = app.call_fn(&c, None, schedule(a.org_id, "alpha")).await;
    assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");
    sqlx::query("update organizations set status = 'cancelled' where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.settle().await;
    app.call_fn(&c, None, schedule(a.org_id, "ALPHA"))
        .await
        .expect("scheduled");
    // Shown on the row; the owners are told; recorded with who; B untouched.
    let list = app
        .call_fn(
            &c,
            None,
            AdminListTenants {
                q: String::new(),
                page: 1,
            },
        )
        .await
        .unwrap();
    let row = |sub: &str| {
        list.rows
            .iter()
            .find(|r| r.subdomain == sub)
            .unwrap()
            .clone()
    };
    assert!(row("alpha").deletion_due.is_some());
    assert!(row("bravo").deletion_due.is_none());
    let told: Vec<String> = sqlx::query_scalar(
        "select to_email from outbox where org_id = $1 and kind = 'deletion_scheduled'",
    )
    .bind(a.org_id)
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(told, vec![a.email.clone()]);
    let (by, detail): (String, serde_json::Value) = sqlx::query_as(
        "select o.deletion_requested_by, e.detail from organizations o
           join audit_events e on e.org_id = o.id and e.action = 'org.deletion_scheduled'
          where o.id = $1",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(by, "platform administrator root@platform.example");
    assert_eq!(detail["by"], "platform_admin");
    // Twice: refused. Called off: gone from the row, logged.
    let r = app.call_fn(&c, None, schedule(a.org_id, "alpha")).await;
    assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");
    let r = app
        .call_fn(
            &b.client,
            Some("bravo"),
            AdminCancelDeletion { id: a.org_id },
        )
        .await;
    assert!(r.is_err(), "a tenant cannot call it off: {r:?}");
    app.call_fn(&c, None, AdminCancelDeletion { id: a.org_id })
        .await
        .expect("called off");
    let due: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select deletion_due_at from organizations where id = $1")
            .bind(a.org_id)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert!(due.is_none());
    let r = app
        .call_fn(&c, None, AdminCancelDeletion { id: a.org_id })
        .await;
    assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");
    let logged: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where org_id = $1 and action = 'org.deletion_cancelled'",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(logged, 1);
}
