//! The Stripe stand-in held to Stripe's official fixtures for the API
//! version async-stripe 0.41 speaks (`fixtures3-v814.json`): each official
//! fixture of a resource the app uses decodes in the client, and every
//! object the stand-in returns (API answers and webhook payloads, over a
//! whole subscription life) carries every field the official fixture of
//! that resource carries, with the same JSON type wherever both have a
//! value (a null is a field's allowed absence; that the client accepts it
//! is shown by the app decoding the same answers in the other tests).

use std::time::Duration;

use fence::api::billing::{BillingCheckout, BillingPortal, BillingSetAddon, GetBilling};
use fence::server::billing::fake::{fixture, DECLINING_CARD, GOOD_CARD};
use serde_json::Value;

use crate::helpers::TestApp;

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Differences between `ours` and the official `reference`, by path.
fn conform(path: &str, ours: &Value, reference: &Value, out: &mut Vec<String>) {
    if ours.is_null() || reference.is_null() {
        return;
    }
    if kind(ours) != kind(reference) {
        out.push(format!(
            "{path}: {} where Stripe sends {}",
            kind(ours),
            kind(reference)
        ));
        return;
    }
    match (ours, reference) {
        (Value::Object(o), Value::Object(r)) => {
            // Metadata is the caller's own free-form map; an event's object
            // is held to the fixture of its own kind.
            if path.ends_with(".metadata") || path.ends_with(".data.object") {
                return;
            }
            for (k, rv) in r {
                match o.get(k) {
                    None => out.push(format!("{path}.{k}: missing")),
                    Some(ov) => conform(&format!("{path}.{k}"), ov, rv, out),
                }
            }
        }
        (Value::Array(o), Value::Array(r)) => {
            if let Some(first) = r.first() {
                for (i, ov) in o.iter().enumerate() {
                    conform(&format!("{path}[{i}]"), ov, first, out);
                }
            }
        }
        _ => {}
    }
}

/// The fixture of an object by its `object` field.
fn reference_of(v: &Value) -> Option<Value> {
    let name = v["object"].as_str()?;
    let name = match name {
        "line_item" => return Some(fixture("invoice")["lines"]["data"][0].clone()),
        other => other,
    };
    Some(fixture(name))
}

#[test]
fn every_official_fixture_the_app_uses_decodes_in_the_client() {
    fn decodes<T: serde::de::DeserializeOwned>(resource: &str) {
        let v = fixture(resource);
        if let Err(e) = serde_json::from_value::<T>(v) {
            panic!("the official {resource} fixture does not decode: {e}");
        }
    }
    decodes::<stripe::Customer>("customer");
    decodes::<stripe::Product>("product");
    decodes::<stripe::Price>("price");
    decodes::<stripe::Subscription>("subscription");
    decodes::<stripe::SubscriptionItem>("subscription_item");
    decodes::<stripe::Invoice>("invoice");
    decodes::<stripe::CheckoutSession>("checkout.session");
    decodes::<stripe::BillingPortalSession>("billing_portal.session");
    decodes::<stripe::PaymentMethod>("payment_method");
    decodes::<stripe::SetupIntent>("setup_intent");
    decodes::<stripe::Event>("event");
}

#[tokio::test]
async fn every_object_the_stand_in_returns_carries_the_official_fields() {
    let app = TestApp::spawn().await;
    let t = app.signup("contract", "growth").await;
    sqlx::query("update organizations set trial_ends_at = now() + interval '1 day' where id = $1")
        .bind(t.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    // A whole life: checkout, an add-on, a declined renewal, a payment,
    // the portal, cancellation at period end and the end.
    let url = app.as_owner(&t, BillingCheckout {}).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    http.post(&url)
        .form(&[("card", GOOD_CARD)])
        .send()
        .await
        .unwrap();
    let session = url.rsplit('/').next().unwrap().to_string();
    app.as_owner(
        &t,
        GetBilling {
            checkout: Some(session.clone()),
        },
    )
    .await
    .unwrap();
    app.as_owner(
        &t,
        BillingSetAddon {
            addon: "sms".into(),
            quantity: 1,
        },
    )
    .await
    .unwrap();
    app.as_owner(
        &t,
        BillingSetAddon {
            addon: "additional_users".into(),
            quantity: 3,
        },
    )
    .await
    .unwrap();
    let fake = app.state.billing.fake.as_ref().unwrap();
    let (cus, sub): (String, String) = sqlx::query_as(
        "select stripe_customer_id, stripe_subscription_id from organizations where id = $1",
    )
    .bind(t.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    fake.set_card(&cus, DECLINING_CARD).unwrap();
    fake.advance(31 * 86400);
    fake.set_card(&cus, GOOD_CARD).unwrap();
    let portal = app.as_owner(&t, BillingPortal {}).await.unwrap();
    assert!(portal.contains("/pay/portal/"));
    app.as_owner(&t, fence::api::billing::BillingCancel { cancel: true })
        .await
        .unwrap();
    fake.advance(31 * 86400);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // What the API answers, unexpanded, and every webhook payload.
    let base = fake.base_url().to_string();
    let get = |path: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.get(format!("{base}{path}"))
                .bearer_auth("sk_test_fake")
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let mut objects: Vec<Value> = vec![
        get(format!("/v1/customers/{cus}")).await,
        get(format!("/v1/subscriptions/{sub}")).await,
        get(format!("/v1/checkout/sessions/{session}")).await,
    ];
    let pm = objects[0]["invoice_settings"]["default_payment_method"]
        .as_str()
        .unwrap()
        .to_string();
    objects.push(get(format!("/v1/payment_methods/{pm}")).await);
    for list in [
        "/v1/prices",
        "/v1/products",
        &format!("/v1/invoices?customer={cus}"),
    ] {
        let l = get(list.to_string()).await;
        assert_eq!(l["object"], "list");
        objects.extend(l["data"].as_array().unwrap().iter().cloned());
    }
    let events = get("/v1/events".into()).await;
    for e in events["data"].as_array().unwrap() {
        objects.push(e["data"]["object"].clone());
        objects.push(e.clone());
    }
    let kinds: std::collections::BTreeSet<String> = objects
        .iter()
        .filter_map(|o| o["object"].as_str().map(str::to_string))
        .collect();
    for k in [
        "customer",
        "subscription",
        "checkout.session",
        "payment_method",
        "price",
        "product",
        "invoice",
        "event",
    ] {
        assert!(kinds.contains(k), "the life covered {k}: {kinds:?}");
    }
    let mut problems = Vec::new();
    for o in &objects {
        let reference = reference_of(o).unwrap_or_else(|| panic!("no fixture for {o}"));
        conform(o["object"].as_str().unwrap(), o, &reference, &mut problems);
        // Nested objects of their own kinds (items, lines, prices).
        for item in o["items"]["data"].as_array().into_iter().flatten() {
            conform(
                "subscription_item",
                item,
                &fixture("subscription_item"),
                &mut problems,
            );
            conform("price", &item["price"], &fixture("price"), &mut problems);
        }
        for line in o["lines"]["data"].as_array().into_iter().flatten() {
            conform(
                "line_item.price",
                &line["price"],
                &fixture("price"),
                &mut problems,
            );
        }
    }
    // The portal session, as created.
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "the stand-in differs from Stripe:\n{}",
        problems.join("\n")
    );
    // And the client decodes what the stand-in sent.
    for o in &objects {
        let r = match o["object"].as_str().unwrap() {
            "subscription" => serde_json::from_value::<stripe::Subscription>(o.clone()).err(),
            "invoice" => serde_json::from_value::<stripe::Invoice>(o.clone()).err(),
            "customer" => serde_json::from_value::<stripe::Customer>(o.clone()).err(),
            "checkout.session" => {
                serde_json::from_value::<stripe::CheckoutSession>(o.clone()).err()
            }
            "payment_method" => serde_json::from_value::<stripe::PaymentMethod>(o.clone()).err(),
            "price" => serde_json::from_value::<stripe::Price>(o.clone()).err(),
            "product" => serde_json::from_value::<stripe::Product>(o.clone()).err(),
            "event" => serde_json::from_value::<stripe::Event>(o.clone()).err(),
            _ => None,
        };
        assert!(r.is_none(), "{} does not decode: {r:?}", o["object"]);
    }
}

#[tokio::test]
async fn the_portal_session_carries_the_official_fields() {
    let app = TestApp::spawn().await;
    let fake = app.state.billing.fake.as_ref().unwrap();
    let http = reqwest::Client::new();
    let cus: Value = http
        .post(format!("{}/v1/customers", fake.base_url()))
        .bearer_auth("sk_test_fake")
        .form(&[("email", "x@example.com"), ("name", "X")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let s: Value = http
        .post(format!("{}/v1/billing_portal/sessions", fake.base_url()))
        .bearer_auth("sk_test_fake")
        .form(&[
            ("customer", cus["id"].as_str().unwrap()),
            ("return_url", "http://x/"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut problems = Vec::new();
    conform(
        "billing_portal.session",
        &s,
        &fixture("billing_portal.session"),
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
    serde_json::from_value::<stripe::BillingPortalSession>(s).unwrap();
    // An error is Stripe's error shape, which the client reads.
    let r = http
        .get(format!("{}/v1/subscriptions/sub_nope", fake.base_url()))
        .bearer_auth("sk_test_fake")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["type"], "invalid_request_error");
}
