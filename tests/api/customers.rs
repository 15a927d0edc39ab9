//! Customers end to end through the API: validation shared with the
//! browser, duplicates, search and paging, archive and restore.

use fence::api::customers::{
    CreateCustomer, GetCustomer, ListCustomers, SetCustomerArchived, UpdateCustomer,
};
use fence::error::AppError;
use fence::model::{CustomerForm, CustomerPage};

use crate::helpers::{customer_input, Tenant, TestApp};

fn create(form: CustomerForm) -> CreateCustomer {
    CreateCustomer { form, wizard: None }
}

async fn list(app: &TestApp, t: &Tenant, q: &str, page: u32) -> CustomerPage {
    app.as_owner(
        t,
        ListCustomers {
            q: q.into(),
            page,
            archived: false,
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_customer_is_created_normalised_and_shown() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let form = CustomerForm {
        state: "tx".into(),
        ..customer_input("  Dana Reyes ", "Dana@Example.COM")
    };
    let id = app.as_owner(&a, create(form)).await.unwrap();
    let c = app.as_owner(&a, GetCustomer { id }).await.unwrap();
    assert_eq!(c.name, "Dana Reyes");
    assert_eq!(c.email.as_deref(), Some("dana@example.com"));
    assert_eq!(c.phone.as_deref(), Some("(512) 555-0100"));
    assert_eq!(c.state, "TX");
    let page = app
        .get(&a.client, Some("alpha"), &format!("/customers/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Dana Reyes") && page.contains("Texas"));
    app.cleanup().await;
}

#[tokio::test]
async fn bad_customer_input_gets_field_messages_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let form = CustomerForm {
        name: String::new(),
        email: "dana@".into(),
        phone: "12".into(),
        street: String::new(),
        city: String::new(),
        state: "ZZ".into(),
        zip: "1234".into(),
        notes: String::new(),
    };
    let e = app.as_owner(&a, create(form)).await.unwrap_err();
    let AppError::Validation(f) = &e else {
        panic!("not a validation error: {e:?}")
    };
    for k in ["name", "email", "phone", "street", "city", "state", "zip"] {
        assert!(f.get(k).is_some(), "{k}");
    }
    let n: i64 = sqlx::query_scalar("select count(*) from customers")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let audit: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action like 'customer.%'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!((n, audit), (0, 0));
    app.cleanup().await;
}

#[tokio::test]
async fn a_duplicate_email_is_caught_on_create_and_edit_but_archived_ones_free_it() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let first = app.customer(&a, "Dana", "dana@example.com").await;
    let e = app
        .as_owner(&a, create(customer_input("Dana Two", "DANA@example.com")))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Validation(_)), "{e:?}");
    assert!(e
        .fields()
        .unwrap()
        .get("email")
        .unwrap()
        .contains("Dana already has this email"));
    let other = app.customer(&a, "Eli", "eli@example.com").await;
    let r = app
        .as_owner(
            &a,
            UpdateCustomer {
                id: other,
                form: customer_input("Eli", "dana@example.com"),
            },
        )
        .await;
    assert!(matches!(r, Err(AppError::Validation(_))), "{r:?}");
    app.as_owner(
        &a,
        SetCustomerArchived {
            id: first,
            archived: true,
        },
    )
    .await
    .unwrap();
    app.as_owner(&a, create(customer_input("Dana Two", "dana@example.com")))
        .await
        .unwrap();
    let r = app
        .as_owner(
            &a,
            SetCustomerArchived {
                id: first,
                archived: false,
            },
        )
        .await;
    assert!(
        matches!(r, Err(AppError::Conflict(_))),
        "restoring would duplicate the email: {r:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_list_searches_and_pages() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    for i in 0..25 {
        app.customer(&a, &format!("Customer {i:02}"), "").await;
    }
    app.customer(&a, "Zed O'Neil", "zed@example.com").await;
    let p1 = list(&app, &a, "", 1).await;
    assert_eq!(p1.total, 26);
    assert_eq!(p1.rows.len(), 20);
    let p2 = list(&app, &a, "", 2).await;
    assert_eq!(p2.rows.len(), 6);
    let s = list(&app, &a, "o'neil", 1).await;
    assert_eq!(s.total, 1);
    let s = list(&app, &a, "%", 1).await;
    assert_eq!(s.total, 0, "wildcards are literal");
    let html = app
        .get(&a.client, Some("alpha"), "/customers?page=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Page 2 of 2"));
    app.cleanup().await;
}
