//! Cross-tenant attacks on every trade server function, route, photo URL and
//! approval link: tenant A with tenant B's ids (and B's links), each beside
//! the same call on A's own data, which must work.

use uuid::Uuid;

use crate::helpers::TestApp;
use crate::trade::{full_flow, png, send_link, upload, Flow, SQUARE};

struct World {
    app: TestApp,
    a: crate::helpers::Tenant,
    b: crate::helpers::Tenant,
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

/// The args of each server function, given one tenant's ids.
fn calls(f: &Flow) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let s = |u: Uuid| u.to_string();
    vec![
        (
            "/api/properties/for_customer",
            vec![("customer_id", s(f.customer))],
        ),
        ("/api/properties/get", vec![("id", s(f.property))]),
        (
            "/api/properties/update",
            vec![
                ("id", s(f.property)),
                ("form[street]", "9 Elm".into()),
                ("form[city]", "Austin".into()),
                ("form[state]", "TX".into()),
                ("form[zip]", "78701".into()),
            ],
        ),
        (
            "/api/properties/drawing",
            vec![("id", s(f.property)), ("drawing", SQUARE.into())],
        ),
        (
            "/api/properties/add_pet",
            vec![("property_id", s(f.property)), ("pet[name]", "Spy".into())],
        ),
        ("/api/quotes/get", vec![("id", s(f.quote))]),
        ("/api/quotes/create", vec![("property_id", s(f.property))]),
        ("/api/jobs/get", vec![("id", s(f.job))]),
        ("/api/quotes/create_job", vec![("quote_id", s(f.quote))]),
        (
            "/api/properties/create",
            vec![
                ("customer_id", s(f.customer)),
                ("form[street]", "3 Spy Rd".into()),
                ("form[city]", "Austin".into()),
                ("form[state]", "TX".into()),
                ("form[zip]", "78701".into()),
            ],
        ),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn tenant_a_cannot_reach_tenant_bs_properties_quotes_and_jobs() {
    let w = world().await;
    let (app, a) = (&w.app, &w.a);
    for ((path, theirs), (_, ours)) in calls(&w.fb).into_iter().zip(calls(&w.fa)) {
        let r = app.call(a, path, &refs(&theirs)).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        if path == "/api/properties/for_customer" {
            assert_eq!(
                (status, body.as_str()),
                (200, "[]"),
                "{path} lists nothing of B's"
            );
        } else {
            assert_eq!(status, 404, "{path} with B's ids: {body}");
        }
        let r = app.call(a, path, &refs(&ours)).await;
        assert_eq!(
            r.status(),
            200,
            "control {path}: {}",
            r.text().await.unwrap()
        );
    }
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
    let s = |u: Uuid| u.to_string();
    let attacks: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "/api/quotes/save",
            vec![("id", s(w.fb.quote)), ("drawing", SQUARE.into())],
        ),
        ("/api/quotes/send", vec![("id", s(w.fb.quote))]),
        ("/api/quotes/manager_approve", vec![("id", s(w.fb.quote))]),
        (
            "/api/jobs/transition",
            vec![("id", s(w.fb.job)), ("to", "invoiced".into())],
        ),
        ("/api/properties/remove_pet", vec![("id", s(w.fb.pet))]),
    ];
    for (path, args) in &attacks {
        let r = app.call(a, path, &refs(args)).await;
        assert_eq!(r.status(), 404, "{path}: {}", r.text().await.unwrap());
    }
    // Controls on A's own: the job moves on, the pet goes.
    let r = app
        .call(
            a,
            "/api/jobs/transition",
            &[("id", &s(w.fa.job)), ("to", "invoiced")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .call(a, "/api/properties/remove_pet", &[("id", &s(w.fa.pet))])
        .await;
    assert_eq!(r.status(), 200);
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
    for path in ["/api/quotes/list", "/api/jobs/list"] {
        let r = app.call(a, path, &[]).await;
        let body = r.text().await.unwrap();
        assert!(
            !body.contains(&w.fb.quote.to_string()) && !body.contains(&w.fb.job.to_string()),
            "{path}"
        );
        assert!(
            body.contains(&w.fa.quote.to_string()) || body.contains(&w.fa.job.to_string()),
            "control {path}"
        );
    }
    let r = app.call(a, "/api/jobs/usage", &[]).await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["used"], 1);
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
    let open = |sub: &str, token: &str| {
        let c = stranger.clone();
        let url = app.url(Some(sub), "/api/quotes/public");
        let origin = app.origin(Some(sub));
        let token = token.to_string();
        async move {
            c.post(url)
                .header("origin", origin)
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
        }
    };
    // Two open quotes in A: each token shows its own quote number only.
    let pid = w.fa.property.to_string();
    let q1 = new_quote(app, a, &pid).await;
    let q2 = new_quote(app, a, &pid).await;
    let t1 = send_link(app, a, &q1).await;
    let t2 = send_link(app, a, &q2).await;
    let n1: i32 = sqlx::query_scalar("select number from quotes where id = $1::uuid")
        .bind(&q1)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let n2: i32 = sqlx::query_scalar("select number from quotes where id = $1::uuid")
        .bind(&q2)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let p1: serde_json::Value = open("alpha", &t1).await.json().await.unwrap();
    let p2: serde_json::Value = open("alpha", &t2).await.json().await.unwrap();
    assert_eq!(
        (p1["number"].as_i64(), p2["number"].as_i64()),
        (Some(n1 as i64), Some(n2 as i64))
    );
    // The customer's copy carries no costs or margin.
    let raw = open("alpha", &t1).await.text().await.unwrap();
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
    let r = app
        .post(
            &stranger,
            Some("alpha"),
            "/api/quotes/respond",
            &[
                ("token", t1.as_str()),
                ("approve", "false"),
                ("name", ""),
                ("reason", "Too dear"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let statuses: Vec<String> = sqlx::query_scalar(
        "select status from quotes where id in ($1::uuid, $2::uuid) order by number",
    )
    .bind(&q1)
    .bind(&q2)
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(statuses, ["declined", "sent"]);
    // A's token on B's host, B's token on A's host: not found.
    assert_eq!(open("bravo", &t2).await.status(), 404);
    let tb = send_link(app, b, &{
        let r = app
            .call(
                b,
                "/api/quotes/create",
                &[("property_id", &w.fb.property.to_string())],
            )
            .await;
        r.json::<Uuid>().await.unwrap().to_string()
    })
    .await;
    assert_eq!(open("alpha", &tb).await.status(), 404);
    assert_eq!(open("bravo", &tb).await.status(), 200, "control");
    let r = app
        .post(
            &stranger,
            Some("alpha"),
            "/api/quotes/respond",
            &[
                ("token", tb.as_str()),
                ("approve", "true"),
                ("name", "Mallory M"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
    // Garbage, an expired link, and a link replaced by a new version.
    for bad in ["", "abc", &"0".repeat(64), &format!("{t2}x")] {
        assert_eq!(open("alpha", bad).await.status(), 404, "{bad}");
    }
    sqlx::query(
        "update quote_links set expires_at = now() - interval '1 minute' where quote_id = $1::uuid",
    )
    .bind(&q2)
    .execute(&app.owner)
    .await
    .unwrap();
    assert_eq!(open("alpha", &t2).await.status(), 404, "expired");
    let t2b = send_link(app, a, &q2).await;
    assert_eq!(open("alpha", &t2b).await.status(), 200);
    let r = app
        .call(a, "/api/quotes/save", &[("id", &q2), ("drawing", SQUARE)])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        open("alpha", &t2b).await.status(),
        404,
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
    let r = app.call(a, "/api/pricebook/get", &[]).await;
    let book: serde_json::Value = r.json().await.unwrap();
    let mut form: Vec<(String, String)> = book["form"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                format!("form[{k}]"),
                if k == "labour_rate" {
                    "150".into()
                } else {
                    v.as_str().unwrap().to_string()
                },
            )
        })
        .collect();
    form.sort();
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        app.call(a, "/api/pricebook/save", &refs).await.status(),
        200
    );
    assert_eq!(
        app.call(a, "/api/pricebook/zones", &[("zones[CA]", "2.5")])
            .await
            .status(),
        200
    );
    let r = app.call(b, "/api/pricebook/get", &[]).await;
    let bbook: serde_json::Value = r.json().await.unwrap();
    assert_ne!(bbook["form"]["labour_rate"], "150", "B keeps its own rate");
    let ca = bbook["zones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z[0] == "CA")
        .unwrap()
        .clone();
    assert!(ca[3].is_null(), "B has no CA override: {ca}");
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

async fn new_quote(app: &TestApp, t: &crate::helpers::Tenant, property: &str) -> String {
    let r = app
        .call(t, "/api/quotes/create", &[("property_id", property)])
        .await;
    r.json::<Uuid>().await.unwrap().to_string()
}

async fn estimate_multiplier(app: &TestApp, t: &crate::helpers::Tenant) -> rust_decimal::Decimal {
    let r = app
        .call(
            t,
            "/api/pricing/estimate",
            &[("state", "CA"), ("lot_sqft", "20000"), ("pets", "1")],
        )
        .await;
    r.json::<serde_json::Value>().await.unwrap()["multiplier"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}
