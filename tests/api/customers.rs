//! Customers end to end through the API: validation shared with the
//! browser, duplicates, search and paging, archive and restore.

use crate::helpers::{app_error, customer_form, TestApp};

#[tokio::test]
async fn a_customer_is_created_normalised_and_shown() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    let mut form = customer_form("  Dana Reyes ", "Dana@Example.COM");
    form[5].1 = "tx";
    let id = app
        .call(&a, "/api/customers/create", &form)
        .await
        .json::<uuid::Uuid>()
        .await
        .unwrap();
    let c: serde_json::Value = app
        .call(&a, "/api/customers/get", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["name"], "Dana Reyes");
    assert_eq!(c["email"], "dana@example.com");
    assert_eq!(c["phone"], "(512) 555-0100");
    assert_eq!(c["state"], "TX");
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
    let form = [
        ("form[name]", ""),
        ("form[email]", "dana@"),
        ("form[phone]", "12"),
        ("form[street]", ""),
        ("form[city]", ""),
        ("form[state]", "ZZ"),
        ("form[zip]", "1234"),
        ("form[notes]", ""),
    ];
    let r = app.call(&a, "/api/customers/create", &form).await;
    assert_eq!(r.status(), 422);
    let e = app_error(r).await;
    for f in ["name", "email", "phone", "street", "city", "state", "zip"] {
        assert!(e.fields().unwrap().get(f).is_some(), "{f}");
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
    let r = app
        .call(
            &a,
            "/api/customers/create",
            &customer_form("Dana Two", "DANA@example.com"),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(app_error(r)
        .await
        .fields()
        .unwrap()
        .get("email")
        .unwrap()
        .contains("Dana already has this email"));
    let other = app.customer(&a, "Eli", "eli@example.com").await;
    let mut form = customer_form("Eli", "dana@example.com");
    let id = other.to_string();
    form.push(("id", &id));
    let r = app.call(&a, "/api/customers/update", &form).await;
    assert_eq!(r.status(), 422);
    app.call(
        &a,
        "/api/customers/archive",
        &[("id", &first.to_string()), ("archived", "true")],
    )
    .await;
    let r = app
        .call(
            &a,
            "/api/customers/create",
            &customer_form("Dana Two", "dana@example.com"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .call(
            &a,
            "/api/customers/archive",
            &[("id", &first.to_string()), ("archived", "false")],
        )
        .await;
    assert_eq!(r.status(), 409, "restoring would duplicate the email");
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
    let p1: serde_json::Value = app
        .call(
            &a,
            "/api/customers/list",
            &[("q", ""), ("page", "1"), ("archived", "false")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p1["total"], 26);
    assert_eq!(p1["rows"].as_array().unwrap().len(), 20);
    let p2: serde_json::Value = app
        .call(
            &a,
            "/api/customers/list",
            &[("q", ""), ("page", "2"), ("archived", "false")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p2["rows"].as_array().unwrap().len(), 6);
    let s: serde_json::Value = app
        .call(
            &a,
            "/api/customers/list",
            &[("q", "o'neil"), ("page", "1"), ("archived", "false")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["total"], 1);
    let s: serde_json::Value = app
        .call(
            &a,
            "/api/customers/list",
            &[("q", "%"), ("page", "1"), ("archived", "false")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["total"], 0, "wildcards are literal");
    let html = app
        .get(&a.client, Some("alpha"), "/customers?page=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Page 2 of 2"));
    app.cleanup().await;
}
