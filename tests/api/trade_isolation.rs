//! Cross-tenant attacks on every trade server function, route, photo URL and
//! approval link: tenant A with tenant B's ids (and B's links), each beside
//! the same call on A's own data, which must work.

use std::fmt::Debug;

use fence::api::jobs::{GetJob, JobsThisMonth, ListJobs, TransitionJob};
use fence::api::pricebook::{GetPriceBook, SavePriceBook, SaveZoneOverrides};
use fence::api::properties::{
    AddPet, CreateProperty, CustomerProperties, EstimatePrice, GetProperty, RemovePet, SaveDrawing,
    UpdateProperty,
};
use fence::api::quotes::{
    CreateJob, CreateQuote, GetQuote, ListQuotes, ManagerApprove, OpenQuoteLink, SaveQuote,
    SendQuote,
};
use fence::error::AppError;
use fence::model::pricing::QuoteTerms;
use fence::model::{PetForm, PropertyForm};
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};
use crate::trade::{full_flow, png, respond, send_link, upload, Flow, SQUARE};

struct World {
    app: TestApp,
    a: Tenant,
    b: Tenant,
    fa: Flow,
    fb: Flow,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    let b = app.signup("bravo", "enterprise").await;
    let fa = full_flow(&app, &a).await;
    let fb = full_flow(&app, &b).await;
    World { app, a, b, fa, fb }
}

/// A as its owner calls a server function with B's ids, which must be not
/// found, then the same function with A's own ids, which must work.
async fn b_is_out_of_reach<F>(w: &World, args: impl Fn(&Flow) -> F)
where
    F: ServerFn + Serialize,
    F::Output: DeserializeOwned + Debug,
{
    let path = F::PATH;
    let r = w.app.as_owner(&w.a, args(&w.fb)).await;
    assert!(
        matches!(r, Err(AppError::NotFound)),
        "{path} with B's ids: {r:?}"
    );
    w.app
        .as_owner(&w.a, args(&w.fa))
        .await
        .unwrap_or_else(|e| panic!("control {path}: {e:?}"));
}

fn address(street: &str) -> PropertyForm {
    PropertyForm {
        street: street.into(),
        city: "Austin".into(),
        state: "TX".into(),
        zip: "78701".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn tenant_a_cannot_reach_tenant_bs_properties_quotes_and_jobs() {
    let w = world().await;
    let (app, a) = (&w.app, &w.a);
    // Listing by B's customer finds nothing (rather than not found).
    let theirs = app
        .as_owner(
            a,
            CustomerProperties {
                customer_id: w.fb.customer,
            },
        )
        .await;
    assert_eq!(theirs, Ok(vec![]), "lists nothing of B's");
    let ours = app
        .as_owner(
            a,
            CustomerProperties {
                customer_id: w.fa.customer,
            },
        )
        .await
        .expect("control");
    assert!(ours.iter().any(|p| p.id == w.fa.property), "control");
    b_is_out_of_reach(&w, |f| GetProperty { id: f.property }).await;
    b_is_out_of_reach(&w, |f| UpdateProperty {
        id: f.property,
        form: address("9 Elm"),
    })
    .await;
    b_is_out_of_reach(&w, |f| SaveDrawing {
        id: f.property,
        drawing: SQUARE.into(),
        lat: None,
        lon: None,
    })
    .await;
    b_is_out_of_reach(&w, |f| AddPet {
        property_id: f.property,
        pet: PetForm {
            name: "Spy".into(),
            ..Default::default()
        },
    })
    .await;
    b_is_out_of_reach(&w, |f| GetQuote { id: f.quote }).await;
    b_is_out_of_reach(&w, |f| CreateQuote {
        property_id: f.property,
    })
    .await;
    b_is_out_of_reach(&w, |f| GetJob { id: f.job }).await;
    b_is_out_of_reach(&w, |f| CreateJob { quote_id: f.quote }).await;
    b_is_out_of_reach(&w, |f| CreateProperty {
        customer_id: f.customer,
        form: address("3 Spy Rd"),
    })
    .await;
    // Nothing of B's changed.
    let (street, pets, quotes): (String, i64, i64) = sqlx::query_as(
        "select p.street, (select count(*) from pets where property_id = p.id),
                (select count(*) from quotes where property_id = p.id) from properties p where p.id = $1",
    )
    .bind(w.fb.property)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((street.as_str(), pets, quotes), ("12 Oak St", 1, 1));
    w.app.cleanup().await;
}

#[tokio::test]
async fn tenant_a_cannot_change_tenant_bs_quotes_jobs_or_pets() {
    let w = world().await;
    let (app, a) = (&w.app, &w.a);
    let not_found = |what: &str, r: Result<_, AppError>| {
        assert!(matches!(r, Err(AppError::NotFound)), "{what}: {r:?}");
    };
    let b_quote = w.fb.quote;
    not_found(
        "save",
        app.as_owner(
            a,
            SaveQuote {
                id: b_quote,
                drawing: SQUARE.into(),
                terms: QuoteTerms::default(),
            },
        )
        .await
        .map(|_| ()),
    );
    not_found(
        "send",
        app.as_owner(a, SendQuote { id: b_quote }).await.map(|_| ()),
    );
    not_found(
        "manager approve",
        app.as_owner(a, ManagerApprove { id: b_quote }).await,
    );
    let invoice = |id: Uuid| TransitionJob {
        id,
        to: "invoiced".into(),
        date: None,
        note: None,
        amount: Some("100.00".into()),
        op: None,
    };
    not_found("transition", app.as_owner(a, invoice(w.fb.job)).await);
    not_found(
        "remove pet",
        app.as_owner(a, RemovePet { id: w.fb.pet }).await,
    );
    // Controls on A's own: the job moves on, the pet goes.
    app.as_owner(a, invoice(w.fa.job)).await.unwrap();
    app.as_owner(a, RemovePet { id: w.fa.pet }).await.unwrap();
    let (status, version): (String, i32) = sqlx::query_as(
        "select j.status, q.version from jobs j join quotes q on q.id = j.quote_id where j.id = $1",
    )
    .bind(w.fb.job)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((status.as_str(), version), ("completed", 2));
    let pets: i64 = sqlx::query_scalar("select count(*) from pets where id = $1")
        .bind(w.fb.pet)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(pets, 1);
    // Lists and usage hold only A's rows.
    let quotes = app.as_owner(a, ListQuotes { status: None }).await.unwrap();
    assert!(quotes.iter().all(|q| q.id != w.fb.quote), "{quotes:?}");
    assert!(quotes.iter().any(|q| q.id == w.fa.quote), "control quotes");
    let jobs = app.as_owner(a, ListJobs { status: None }).await.unwrap();
    assert!(jobs.iter().all(|j| j.id != w.fb.job), "{jobs:?}");
    assert!(jobs.iter().any(|j| j.id == w.fa.job), "control jobs");
    let usage = app.as_owner(a, JobsThisMonth {}).await.unwrap();
    assert_eq!(usage.used, 1);
    w.app.cleanup().await;
}

#[tokio::test]
async fn photos_are_served_only_to_their_own_tenant() {
    let w = world().await;
    let (app, a, b) = (&w.app, &w.a, &w.b);
    for suffix in ["", "/thumb"] {
        // A's session, A's host, B's photo id.
        let r = app
            .get(
                &a.client,
                Some(&a.sub),
                &format!("/photos/{}{suffix}", w.fb.photo),
            )
            .await;
        assert_eq!(r.status(), 404, "B's photo{suffix} on A's host");
        // A's session cookie does not work on B's host.
        let r = app
            .get(
                &a.client,
                Some(&b.sub),
                &format!("/photos/{}{suffix}", w.fb.photo),
            )
            .await;
        assert_ne!(r.status(), 200, "A's session on B's host");
        // Controls.
        let r = app
            .get(
                &a.client,
                Some(&a.sub),
                &format!("/photos/{}{suffix}", w.fa.photo),
            )
            .await;
        assert_eq!(r.status(), 200);
        let r = app
            .get(
                &b.client,
                Some(&b.sub),
                &format!("/photos/{}{suffix}", w.fb.photo),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    // Uploading to B's job from A stores nothing anywhere.
    let r = upload(app, &a.client, &a.sub, w.fb.job, "after", png(30, 30)).await;
    assert_eq!(r.status(), 404);
    let n: i64 = sqlx::query_scalar("select count(*) from photos where job_id = $1")
        .bind(w.fb.job)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let a_dir = format!("target/test-objects/{}/{}/photos", app.db, a.org_id);
    assert_eq!(
        std::fs::read_dir(&a_dir).unwrap().count(),
        2,
        "no stray object in A's folder"
    );
    w.app.cleanup().await;
}

#[tokio::test]
async fn pages_with_another_tenants_ids_are_not_found() {
    let w = world().await;
    let (app, a) = (&w.app, &w.a);
    let pages = |f: &Flow| {
        vec![
            format!("/properties/{}", f.property),
            format!("/properties/{}/edit", f.property),
            format!("/quotes/{}", f.quote),
            format!("/quotes/{}/print", f.quote),
            format!("/jobs/{}", f.job),
        ]
    };
    for (theirs, ours) in pages(&w.fb).into_iter().zip(pages(&w.fa)) {
        let r = app.get(&a.client, Some(&a.sub), &theirs).await;
        assert_eq!(r.status(), 404, "{theirs}");
        let html = r.text().await.unwrap();
        assert!(
            !html.contains("BRAVO") && !html.contains("bravo Homeowner"),
            "{theirs} leaks"
        );
        let r = app.get(&a.client, Some(&a.sub), &ours).await;
        assert_eq!(r.status(), 200, "control {ours}");
        assert!(
            r.text().await.unwrap().contains("alpha Homeowner"),
            "control {ours} shows A's data"
        );
    }
    w.app.cleanup().await;
}

#[tokio::test]
async fn an_approval_link_opens_its_one_quote_on_its_own_host_only() {
    let w = world().await;
    let (app, a, b) = (&w.app, &w.a, &w.b);
    let stranger = app.client();
    let open = |sub: &'static str, token: &str| {
        app.call_fn(
            &stranger,
            Some(sub),
            OpenQuoteLink {
                token: token.into(),
            },
        )
    };
    // Two open quotes in A: each token shows its own quote number only.
    let q1 = new_quote(app, a, w.fa.property).await;
    let q2 = new_quote(app, a, w.fa.property).await;
    let t1 = send_link(app, a, &q1.to_string()).await;
    let t2 = send_link(app, a, &q2.to_string()).await;
    let n1: i32 = sqlx::query_scalar("select number from quotes where id = $1")
        .bind(q1)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let n2: i32 = sqlx::query_scalar("select number from quotes where id = $1")
        .bind(q2)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let p1 = open("alpha", &t1).await.unwrap();
    let p2 = open("alpha", &t2).await.unwrap();
    assert_eq!((p1.number, p2.number), (n1, n2));
    // The customer's copy carries no costs or margin: read off the wire,
    // since the typed answer would drop any field it does not know.
    let raw = app
        .send_fn(
            &stranger,
            Some("alpha"),
            OpenQuoteLink { token: t1.clone() },
        )
        .await;
    assert_eq!(raw.status(), 200);
    let raw = raw.text().await.unwrap();
    for secret in [
        "margin",
        "materials_cost",
        "labour_cost",
        "travel",
        "spool_cost",
    ] {
        assert!(!raw.contains(secret), "{secret} in {raw}");
    }
    // Answering through link 1 changes quote 1 only.
    app.call_fn(
        &stranger,
        Some("alpha"),
        respond(&t1, false, "", "Too dear"),
    )
    .await
    .unwrap();
    let statuses: Vec<String> =
        sqlx::query_scalar("select status from quotes where id in ($1, $2) order by number")
            .bind(q1)
            .bind(q2)
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(statuses, ["declined", "sent"]);
    // A's token on B's host, B's token on A's host: not found.
    assert_eq!(open("bravo", &t2).await, Err(AppError::NotFound));
    let bq = new_quote(app, b, w.fb.property).await;
    let tb = send_link(app, b, &bq.to_string()).await;
    assert_eq!(open("alpha", &tb).await, Err(AppError::NotFound));
    open("bravo", &tb).await.expect("control");
    let r = app
        .call_fn(
            &stranger,
            Some("alpha"),
            respond(&tb, true, "Mallory M", ""),
        )
        .await;
    assert_eq!(r, Err(AppError::NotFound));
    // Garbage, an expired link, and a link replaced by a new version.
    for bad in ["", "abc", &"0".repeat(64), &format!("{t2}x")] {
        assert_eq!(open("alpha", bad).await, Err(AppError::NotFound), "{bad}");
    }
    sqlx::query(
        "update quote_links set expires_at = now() - interval '1 minute' where quote_id = $1",
    )
    .bind(q2)
    .execute(&app.owner)
    .await
    .unwrap();
    assert_eq!(open("alpha", &t2).await, Err(AppError::NotFound), "expired");
    let t2b = send_link(app, a, &q2.to_string()).await;
    open("alpha", &t2b).await.expect("a fresh link opens");
    app.as_owner(
        a,
        SaveQuote {
            id: q2,
            drawing: SQUARE.into(),
            terms: QuoteTerms::default(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        open("alpha", &t2b).await,
        Err(AppError::NotFound),
        "an edit retires the old link"
    );
    // The page itself behaves the same.
    let r = app.get(&stranger, Some("alpha"), &format!("/q/{tb}")).await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("no longer works") && !html.contains("BRAVO"),
        "B's link on A's host"
    );
    w.app.cleanup().await;
}

#[tokio::test]
async fn price_books_and_zone_overrides_stay_with_their_tenant() {
    let w = world().await;
    let (app, a, b) = (&w.app, &w.a, &w.b);
    let mut book = app.as_owner(a, GetPriceBook {}).await.unwrap();
    *book
        .form
        .get_mut("labour_rate")
        .expect("a labour rate in the book") = "150".into();
    app.as_owner(a, SavePriceBook { form: book.form })
        .await
        .unwrap();
    app.as_owner(
        a,
        SaveZoneOverrides {
            zones: [("CA".to_string(), "2.5".to_string())].into(),
        },
    )
    .await
    .unwrap();
    let bbook = app.as_owner(b, GetPriceBook {}).await.unwrap();
    assert_ne!(
        bbook.form.get("labour_rate").map(String::as_str),
        Some("150"),
        "B keeps its own rate"
    );
    let ca = bbook.zones.iter().find(|z| z.0 == "CA").expect("a CA zone");
    assert_eq!(ca.3, None, "B has no CA override: {ca:?}");
    assert_eq!(
        estimate_multiplier(app, a).await,
        "2.5".parse::<rust_decimal::Decimal>().unwrap()
    );
    assert_eq!(
        estimate_multiplier(app, b).await,
        "1.107".parse::<rust_decimal::Decimal>().unwrap()
    );
    w.app.cleanup().await;
}

async fn new_quote(app: &TestApp, t: &Tenant, property_id: Uuid) -> Uuid {
    app.as_owner(t, CreateQuote { property_id })
        .await
        .expect("a new quote")
}

async fn estimate_multiplier(app: &TestApp, t: &Tenant) -> rust_decimal::Decimal {
    app.as_owner(
        t,
        EstimatePrice {
            state: "CA".into(),
            lot_sqft: 20000,
            pets: 1,
        },
    )
    .await
    .expect("estimate")
    .multiplier
}
