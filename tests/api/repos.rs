//! Repository functions called directly on a real PostgreSQL, connected as
//! the application role through `TenantTx` (never as the owner).

use fence::model::CustomerForm;
use fence::server::{repo, TenantTx};

use crate::helpers::TestApp;

fn form(name: &str, email: &str) -> fence::model::ValidCustomer {
    CustomerForm {
        name: name.into(),
        email: email.into(),
        phone: String::new(),
        street: "1 Main St".into(),
        city: "Austin".into(),
        state: "TX".into(),
        zip: "78701".into(),
        notes: String::new(),
    }
    .validate()
    .unwrap()
}

#[tokio::test]
async fn customer_repositories_see_only_their_tenants_rows() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let b = app.signup("bravo", "starter").await;
    let pool = app.app_pool().await;

    let mut tx = TenantTx::begin(&pool, a.org_id).await.unwrap();
    let mine = repo::customers::insert(&mut tx, a.owner_id, &form("Alice", "alice@x.example"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = TenantTx::begin(&pool, b.org_id).await.unwrap();
    let theirs = repo::customers::insert(&mut tx, b.owner_id, &form("Bob", "alice@x.example"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = TenantTx::begin(&pool, a.org_id).await.unwrap();
    assert_eq!(
        repo::customers::get(&mut tx, mine)
            .await
            .unwrap()
            .unwrap()
            .name,
        "Alice"
    );
    assert!(repo::customers::get(&mut tx, theirs)
        .await
        .unwrap()
        .is_none());
    assert!(
        !repo::customers::update(&mut tx, theirs, &form("Hijack", ""))
            .await
            .unwrap()
    );
    assert!(!repo::customers::set_archived(&mut tx, theirs, true)
        .await
        .unwrap());
    let page = repo::customers::list(&mut tx, "", false, 1, 20)
        .await
        .unwrap();
    assert_eq!((page.total, page.rows[0].id), (1, mine));
    assert_eq!(repo::customers::count(&mut tx).await.unwrap(), 1);
    // Duplicate detection is per tenant: B's identical address did not count.
    let dup =
        repo::customers::insert(&mut tx, a.owner_id, &form("Alice 2", "alice@x.example")).await;
    assert!(dup
        .unwrap_err()
        .fields()
        .unwrap()
        .get("email")
        .unwrap()
        .contains("Alice"));
    tx.commit().await.unwrap();
    app.cleanup().await;
}

#[tokio::test]
async fn user_and_invitation_repositories_see_only_their_tenants_rows() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    let pool = app.app_pool().await;
    let mut tx = TenantTx::begin(&pool, a.org_id).await.unwrap();
    assert!(repo::users::by_id(&mut tx, b.owner_id)
        .await
        .unwrap()
        .is_none());
    assert!(repo::users::by_id(&mut tx, a.owner_id)
        .await
        .unwrap()
        .is_some());
    assert!(repo::users::credentials(&mut tx, &b.email)
        .await
        .unwrap()
        .is_none());
    assert!(!repo::users::remove(&mut tx, b.owner_id).await.unwrap());
    assert_eq!(repo::users::list(&mut tx).await.unwrap().len(), 1);
    let inv = repo::invitations::create(
        &mut tx,
        "x@alpha.example",
        fence::model::Role::Crew,
        "h1",
        a.owner_id,
        7,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = TenantTx::begin(&pool, b.org_id).await.unwrap();
    assert!(repo::invitations::get_open(&mut tx, inv)
        .await
        .unwrap()
        .is_none());
    assert!(repo::invitations::by_token(&mut tx, "h1")
        .await
        .unwrap()
        .is_none());
    assert!(!repo::invitations::revoke(&mut tx, inv).await.unwrap());
    assert_eq!(repo::orgs::brand(&mut tx).await.unwrap().subdomain, "bravo");
    tx.commit().await.unwrap();
    app.cleanup().await;
}
