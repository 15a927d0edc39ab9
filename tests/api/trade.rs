//! The trade end to end over HTTP: property and pets, boundary, quote with
//! server-side pricing, approval link, job lifecycle, photos, the monthly
//! job limit and the Enterprise approval workflow.

use fence::error::AppError;
use reqwest::multipart::{Form, Part};
use reqwest::Client;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::helpers::{app_error, Tenant, TestApp};

/// A 100 ft square with a 25 ft lead.
pub const SQUARE: &str = r#"{"boundary":[{"x":0,"y":0},{"x":100,"y":0},{"x":100,"y":100},{"x":0,"y":100}],
  "transmitter":{"x":50,"y":125},"lead":[{"x":50,"y":100}],"crossings":[],"layout":"perimeter","width_ft":200}"#;

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([30, 140, 90]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Everything one pass through the trade creates.
pub struct Flow {
    pub customer: Uuid,
    pub property: Uuid,
    pub pet: Uuid,
    pub quote: Uuid,
    pub token: String,
    pub job: Uuid,
    pub photo: Uuid,
}

pub async fn property(app: &TestApp, t: &Tenant, customer: Uuid, state: &str) -> Uuid {
    let cid = customer.to_string();
    let r = app
        .call(
            t,
            "/api/properties/create",
            &[
                ("customer_id", &cid),
                ("form[street]", "12 Oak St"),
                ("form[city]", "Austin"),
                ("form[state]", state),
                ("form[zip]", "78701"),
                ("form[lot_sqft]", "21780"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

pub async fn upload(
    app: &TestApp,
    c: &Client,
    sub: &str,
    job: Uuid,
    kind: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = Form::new().text("kind", kind.to_string()).part(
        "photo",
        Part::bytes(bytes)
            .file_name("p.png")
            .mime_str("image/png")
            .unwrap(),
    );
    c.post(app.url(Some(sub), &format!("/jobs/{job}/photos")))
        .header("origin", app.origin(Some(sub)))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn ok(r: reqwest::Response, what: &str) -> reqwest::Response {
    let status = r.status();
    if status != 200 {
        panic!("{what}: {status} {}", r.text().await.unwrap());
    }
    r
}

/// Sends a quote and returns its approval token.
pub async fn send_link(app: &TestApp, t: &Tenant, quote: &str) -> String {
    let r = app.call(t, "/api/quotes/send", &[("id", quote)]).await;
    assert_eq!(r.status(), 200, "send: {}", r.text().await.unwrap());
    let v: serde_json::Value = r.json().await.unwrap();
    v["link"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

/// The customer approves through the link, from a client with no session.
pub async fn approve(app: &TestApp, t: &Tenant, token: &str, name: &str) {
    let r = app
        .post(
            &app.client(),
            Some(&t.sub),
            "/api/quotes/respond",
            &[
                ("token", token),
                ("approve", "true"),
                ("name", name),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 200, "approve: {}", r.text().await.unwrap());
}

pub async fn transition(
    app: &TestApp,
    t: &Tenant,
    job: Uuid,
    to: &str,
    date: &str,
) -> reqwest::Response {
    let id = job.to_string();
    app.call(
        t,
        "/api/jobs/transition",
        &[("id", &id), ("to", to), ("date", date)],
    )
    .await
}

/// Customer → property → pet → boundary → quote → link → approval → job →
/// photos → completed, all as the tenant's owner (the customer's answer
/// from a fresh client with no session).
pub async fn full_flow(app: &TestApp, t: &Tenant) -> Flow {
    let customer = app
        .customer(
            t,
            &format!("{} Homeowner", t.sub),
            &format!("home@{}.example", t.sub),
        )
        .await;
    let property = property(app, t, customer, "CA").await;
    let pid = property.to_string();
    let r = ok(
        app.call(
            t,
            "/api/properties/add_pet",
            &[
                ("property_id", &pid),
                ("pet[name]", "Rex"),
                ("pet[weight_lb]", "60"),
            ],
        )
        .await,
        "add pet",
    )
    .await;
    let pet: Uuid = r.json().await.unwrap();
    ok(
        app.call(
            t,
            "/api/properties/drawing",
            &[("id", &pid), ("drawing", SQUARE)],
        )
        .await,
        "drawing",
    )
    .await;
    let r = ok(
        app.call(t, "/api/quotes/create", &[("property_id", &pid)])
            .await,
        "quote",
    )
    .await;
    let quote: Uuid = r.json().await.unwrap();
    let qid = quote.to_string();
    let r = ok(
        app.call(
            t,
            "/api/quotes/save",
            &[
                ("id", &qid),
                ("drawing", SQUARE),
                ("terms[discount_pct]", "5"),
                ("terms[tax_pct]", "7.25"),
                ("terms[notes]", "Includes two training visits."),
            ],
        )
        .await,
        "save",
    )
    .await;
    assert_eq!(r.json::<i32>().await.unwrap(), 2);
    let r = ok(
        app.call(t, "/api/quotes/send", &[("id", &qid)]).await,
        "send",
    )
    .await;
    let sent: serde_json::Value = r.json().await.unwrap();
    let link = sent["link"].as_str().unwrap().to_string();
    assert!(
        link.starts_with(&format!("http://{}.localhost:", t.sub)),
        "{link}"
    );
    let token = link.rsplit('/').next().unwrap().to_string();
    // The customer, with no session at all.
    let customer_client = app.client();
    ok(
        app.post(
            &customer_client,
            Some(&t.sub),
            "/api/quotes/respond",
            &[
                ("token", &token),
                ("approve", "true"),
                ("name", "Hana Homeowner"),
                ("reason", ""),
            ],
        )
        .await,
        "approve",
    )
    .await;
    let r = ok(
        app.call(t, "/api/quotes/create_job", &[("quote_id", &qid)])
            .await,
        "job",
    )
    .await;
    let job: Uuid = r.json().await.unwrap();
    ok(
        transition(app, t, job, "scheduled", "2026-12-01").await,
        "schedule",
    )
    .await;
    ok(transition(app, t, job, "in_progress", "").await, "start").await;
    for kind in ["before", "after"] {
        let r = upload(app, &t.client, &t.sub, job, kind, png(640, 480)).await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers()["location"],
            format!("/jobs/{job}#photos"),
            "{kind}"
        );
    }
    ok(transition(app, t, job, "completed", "").await, "complete").await;
    let photo: Uuid =
        sqlx::query_scalar("select id from photos where org_id = $1 and job_id = $2 limit 1")
            .bind(t.org_id)
            .bind(job)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    sqlx::query(
        "insert into zone_overrides (org_id, state_code, multiplier) values ($1, 'TX', 1.2)",
    )
    .bind(t.org_id)
    .execute(&app.owner)
    .await
    .unwrap();
    Flow {
        customer,
        property,
        pet,
        quote,
        token,
        job,
        photo,
    }
}

async fn total_of(app: &TestApp, quote: Uuid) -> Decimal {
    sqlx::query_scalar("select total from quotes where id = $1")
        .bind(quote)
        .fetch_one(&app.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_lead_becomes_a_completed_photo_verified_job() {
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let f = full_flow(&app, &t).await;

    // The server priced it: California (× 1.107), 5% off, 7.25% tax. The
    // numbers match the shared library's worked example (944.65 subtotal).
    let r = ok(
        app.call(&t, "/api/quotes/get", &[("id", &f.quote.to_string())])
            .await,
        "get",
    )
    .await;
    let q: fence::model::QuoteDetail = r.json().await.unwrap();
    assert_eq!(q.priced.subtotal, "944.65".parse::<Decimal>().unwrap());
    assert_eq!(q.priced.discount, "47.23".parse::<Decimal>().unwrap()); // 47.2325
    assert_eq!(q.priced.net, "897.42".parse::<Decimal>().unwrap());
    assert_eq!(q.priced.tax, "65.06".parse::<Decimal>().unwrap()); // 65.06295
    assert_eq!(q.priced.total, "962.48".parse::<Decimal>().unwrap());
    assert_eq!(total_of(&app, f.quote).await, q.priced.total);
    assert_eq!(q.status, fence::model::QuoteStatus::Approved);
    assert_eq!(q.decided_name.as_deref(), Some("Hana Homeowner"));
    assert_eq!(q.versions.len(), 2);

    // The job's history: created, scheduled, started, completed, each with who.
    let r = ok(
        app.call(&t, "/api/jobs/get", &[("id", &f.job.to_string())])
            .await,
        "job",
    )
    .await;
    let j: fence::model::JobDetail = r.json().await.unwrap();
    assert_eq!(j.status, fence::model::JobStatus::Completed);
    let steps: Vec<String> = j
        .events
        .iter()
        .map(|e| format!("{:?}->{:?}", e.from, e.to))
        .collect();
    assert_eq!(
        steps,
        [
            "None->Approved",
            "Some(Approved)->Scheduled",
            "Some(Scheduled)->InProgress",
            "Some(InProgress)->Completed"
        ]
    );
    assert!(j
        .events
        .iter()
        .all(|e| e.by.as_deref() == Some("Olive Owner")));
    assert_eq!(j.photos.len(), 2);
    assert_eq!((j.photos[0].width, j.photos[0].height), (640, 480));

    // The customer's link now shows the decision.
    let r = ok(
        app.post(
            &app.client(),
            Some(&t.sub),
            "/api/quotes/public",
            &[("token", f.token.as_str())],
        )
        .await,
        "link",
    )
    .await;
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (p["status"].as_str(), p["decided_name"].as_str()),
        (Some("approved"), Some("Hana Homeowner"))
    );

    // Photos and thumbnails come back to the tenant's own members.
    let r = app
        .get(&t.client, Some(&t.sub), &format!("/photos/{}", f.photo))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let r = app
        .get(
            &t.client,
            Some(&t.sub),
            &format!("/photos/{}/thumb", f.photo),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    // Stored under {org_id}/photos/{file_id}.
    let dir = format!(
        "target/test-objects/{}/{}/photos/{}",
        app.db, t.org_id, f.photo
    );
    assert!(std::path::Path::new(&dir).exists(), "{dir}");
    // Nobody without a session gets them.
    let r = app
        .get(&app.client(), Some(&t.sub), &format!("/photos/{}", f.photo))
        .await;
    assert_ne!(r.status(), 200);
    app.cleanup().await;
}

#[tokio::test]
async fn the_lifecycle_refuses_invalid_moves_and_completion_without_photos() {
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let f = full_flow(&app, &t).await;
    // A completed job cannot be cancelled or restarted.
    for to in ["cancelled", "in_progress", "scheduled", "nonsense"] {
        let r = transition(&app, &t, f.job, to, "2026-12-02").await;
        assert!(
            matches!(r.status().as_u16(), 409 | 422),
            "{to}: {}",
            r.status()
        );
    }
    // A second job (a second quote) cannot complete without its photos.
    let pid = f.property.to_string();
    let r = ok(
        app.call(&t, "/api/quotes/create", &[("property_id", &pid)])
            .await,
        "quote",
    )
    .await;
    let q2: Uuid = r.json().await.unwrap();
    let qid = q2.to_string();
    let token = send_link(&app, &t, &qid).await;
    approve(&app, &t, &token, "Hana H").await;
    let r = ok(
        app.call(&t, "/api/quotes/create_job", &[("quote_id", &qid)])
            .await,
        "job",
    )
    .await;
    let job: Uuid = r.json().await.unwrap();
    // Scheduling needs a day.
    let r = transition(&app, &t, job, "scheduled", "").await;
    assert_eq!(r.status(), 422);
    // No skipping straight to completed.
    assert_eq!(
        transition(&app, &t, job, "completed", "").await.status(),
        409
    );
    ok(
        transition(&app, &t, job, "scheduled", "2026-12-03").await,
        "schedule",
    )
    .await;
    ok(transition(&app, &t, job, "in_progress", "").await, "start").await;
    let r = transition(&app, &t, job, "completed", "").await;
    assert_eq!(r.status(), 409);
    let AppError::Conflict(m) = app_error(r).await else {
        panic!()
    };
    assert!(m.contains("before") && m.contains("after"), "{m}");
    upload(&app, &t.client, &t.sub, job, "before", png(50, 50)).await;
    let r = transition(&app, &t, job, "completed", "").await;
    let AppError::Conflict(m) = app_error(r).await else {
        panic!()
    };
    assert!(
        m.contains("after photo") && !m.contains("before photo"),
        "{m}"
    );
    upload(&app, &t.client, &t.sub, job, "after", png(50, 50)).await;
    ok(transition(&app, &t, job, "completed", "").await, "complete").await;
    // Creating the job again returns the same job, not a second one.
    let r = ok(
        app.call(&t, "/api/quotes/create_job", &[("quote_id", &qid)])
            .await,
        "again",
    )
    .await;
    assert_eq!(r.json::<Uuid>().await.unwrap(), job);
    app.cleanup().await;
}

#[tokio::test]
async fn uploads_are_type_and_size_checked_and_crews_can_add_them() {
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let f = full_flow(&app, &t).await;
    let r = upload(
        &app,
        &t.client,
        &t.sub,
        f.job,
        "before",
        b"%PDF-1.7 a document".to_vec(),
    )
    .await;
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        loc.contains("photo_error=") && loc.contains("not%20a%20JPEG"),
        "{loc}"
    );
    let r = upload(&app, &t.client, &t.sub, f.job, "sideways", png(10, 10)).await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("photo_error="));
    let too_big = vec![0xffu8; fence::server::photos::MAX_PHOTO_BYTES + 10];
    let r = upload(&app, &t.client, &t.sub, f.job, "after", too_big).await;
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        loc.contains("photo_error=") && loc.contains("20%20MB"),
        "{loc}"
    );
    let n: i64 = sqlx::query_scalar("select count(*) from photos where job_id = $1")
        .bind(f.job)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(n, 2, "nothing stored for refused uploads");
    // A crew member adds a photo; a viewer cannot.
    let crew = app.join(&t, "crew@alpha.example", "crew").await;
    let r = upload(&app, &crew, &t.sub, f.job, "after", png(20, 20)).await;
    assert_eq!(r.headers()["location"], format!("/jobs/{}#photos", f.job));
    let viewer = app.join(&t, "viewer@alpha.example", "viewer").await;
    let r = upload(&app, &viewer, &t.sub, f.job, "after", png(20, 20)).await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("photo_error="));
    app.cleanup().await;
}

#[tokio::test]
async fn the_monthly_job_limit_names_the_plan_that_lifts_it() {
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "starter").await;
    let f = full_flow(&app, &t).await;
    // Starter allows 50 a month; rather than create 50 quotes, lower this
    // tenant's limit to what it has used (the check is the same).
    let used: i64 = sqlx::query_scalar("select count(*) from jobs where org_id = $1")
        .bind(t.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    sqlx::query("update organizations set monthly_jobs_limit = $2 where id = $1")
        .bind(t.org_id)
        .bind(used as i32)
        .execute(&app.owner)
        .await
        .unwrap();
    let qid = {
        let r = ok(
            app.call(
                &t,
                "/api/quotes/create",
                &[("property_id", &f.property.to_string())],
            )
            .await,
            "q",
        )
        .await;
        r.json::<Uuid>().await.unwrap().to_string()
    };
    let token = send_link(&app, &t, &qid).await;
    approve(&app, &t, &token, "Hana H").await;
    let r = app
        .call(&t, "/api/quotes/create_job", &[("quote_id", &qid)])
        .await;
    assert_eq!(r.status(), 402);
    let AppError::Limit(m) = app_error(r).await else {
        panic!()
    };
    assert!(m.contains("Upgrade to Growth (500 jobs a month)"), "{m}");
    // Settings shows the usage.
    let r = ok(app.call(&t, "/api/settings/get", &[]).await, "settings").await;
    let s: serde_json::Value = r.json().await.unwrap();
    assert_eq!(s["jobs_used"].as_i64(), Some(used));
    // Lift the limit (an upgrade): the same quote becomes a job.
    sqlx::query("update organizations set monthly_jobs_limit = 500 where id = $1")
        .bind(t.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    ok(
        app.call(&t, "/api/quotes/create_job", &[("quote_id", &qid)])
            .await,
        "after upgrade",
    )
    .await;
    app.cleanup().await;
}

async fn quote_with_discount(app: &TestApp, t: &Tenant, discount: &str) -> String {
    let customer = app
        .customer(t, "Dee Discount", &format!("dee{discount}@x.example"))
        .await;
    let pid = property(app, t, customer, "TX").await.to_string();
    let r = ok(
        app.call(t, "/api/quotes/create", &[("property_id", &pid)])
            .await,
        "q",
    )
    .await;
    let qid = r.json::<Uuid>().await.unwrap().to_string();
    ok(
        app.call(
            t,
            "/api/quotes/save",
            &[
                ("id", &qid),
                ("drawing", SQUARE),
                ("terms[discount_pct]", discount),
            ],
        )
        .await,
        "save",
    )
    .await;
    qid
}

#[tokio::test]
async fn large_discounts_need_a_manager_on_enterprise_only() {
    let app = TestApp::spawn().await;
    let ent = app.signup("alpha", "enterprise").await;
    let qid = quote_with_discount(&app, &ent, "20").await;
    let r = ok(
        app.call(&ent, "/api/quotes/send", &[("id", &qid)]).await,
        "send",
    )
    .await;
    let sent: serde_json::Value = r.json().await.unwrap();
    assert_eq!(sent["pending_approval"], true);
    assert!(sent["link"].is_null(), "no link before approval");
    // The queue lists it; a dispatcher cannot approve; the owner can.
    let r = ok(
        app.call(&ent, "/api/quotes/list", &[("status", "pending_approval")])
            .await,
        "queue",
    )
    .await;
    let queue: Vec<serde_json::Value> = r.json().await.unwrap();
    assert_eq!(queue.len(), 1);
    let dispatcher = app.join(&ent, "disp@alpha.example", "dispatcher").await;
    let r = app
        .post(
            &dispatcher,
            Some("alpha"),
            "/api/quotes/manager_approve",
            &[("id", &qid)],
        )
        .await;
    assert_eq!(r.status(), 403);
    ok(
        app.call(&ent, "/api/quotes/manager_approve", &[("id", &qid)])
            .await,
        "approve",
    )
    .await;
    let r = ok(
        app.call(&ent, "/api/quotes/send", &[("id", &qid)]).await,
        "send 2",
    )
    .await;
    let sent: serde_json::Value = r.json().await.unwrap();
    assert!(sent["link"].as_str().is_some());
    // Editing after approval needs approval again.
    ok(
        app.call(
            &ent,
            "/api/quotes/save",
            &[
                ("id", &qid),
                ("drawing", SQUARE),
                ("terms[discount_pct]", "25"),
            ],
        )
        .await,
        "resave",
    )
    .await;
    let r = ok(
        app.call(&ent, "/api/quotes/send", &[("id", &qid)]).await,
        "send 3",
    )
    .await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["pending_approval"],
        true
    );
    // A small discount goes straight out.
    let small = quote_with_discount(&app, &ent, "10").await;
    let r = ok(
        app.call(&ent, "/api/quotes/send", &[("id", &small)]).await,
        "small",
    )
    .await;
    assert!(r.json::<serde_json::Value>().await.unwrap()["link"].is_string());
    // Growth has no workflow: 20% goes straight out, and approving is refused.
    let growth = app.signup("bravo", "growth").await;
    let gq = quote_with_discount(&app, &growth, "20").await;
    let r = ok(
        app.call(&growth, "/api/quotes/send", &[("id", &gq)]).await,
        "growth send",
    )
    .await;
    assert!(r.json::<serde_json::Value>().await.unwrap()["link"].is_string());
    assert_eq!(
        app.call(&growth, "/api/quotes/manager_approve", &[("id", &gq)])
            .await
            .status(),
        403
    );
    app.cleanup().await;
}

#[tokio::test]
async fn bad_quote_input_says_what_to_fix_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let qid = quote_with_discount(&app, &t, "0").await;
    let before: i32 = sqlx::query_scalar("select version from quotes where id = $1::uuid")
        .bind(&qid)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let r = app
        .call(
            &t,
            "/api/quotes/save",
            &[
                ("id", &qid),
                ("drawing", SQUARE),
                ("terms[discount_pct]", "150"),
                ("terms[tax_pct]", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let AppError::Validation(f) = app_error(r).await else {
        panic!()
    };
    assert!(f.get("discount_pct").unwrap().contains("between 0 and 100"));
    assert!(f.get("tax_pct").unwrap().contains("number"));
    let bad_drawing = r#"{"boundary":[{"x":1e9,"y":0}]}"#;
    let r = app
        .call(
            &t,
            "/api/quotes/save",
            &[("id", &qid), ("drawing", bad_drawing)],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .call(
            &t,
            "/api/quotes/save",
            &[("id", &qid), ("drawing", "not json")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let after: i32 = sqlx::query_scalar("select version from quotes where id = $1::uuid")
        .bind(&qid)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(before, after, "no version written");
    // A bad property says which fields.
    let c = app
        .customer(&t, "Pat Property", "pat@x.example")
        .await
        .to_string();
    let r = app
        .call(
            &t,
            "/api/properties/create",
            &[
                ("customer_id", &c),
                ("form[street]", ""),
                ("form[state]", "ZZ"),
                ("form[zip]", "1"),
                ("form[lat]", "45"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let AppError::Validation(f) = app_error(r).await else {
        panic!()
    };
    for k in ["street", "city", "state", "zip", "lat"] {
        assert!(f.get(k).is_some(), "{k}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn the_pricing_service_follows_zone_markup_and_size() {
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let ca = estimate(&app, &t, "CA", "21780").await;
    let ar = estimate(&app, &t, "AR", "21780").await;
    assert_eq!(ca.multiplier, "1.107".parse::<Decimal>().unwrap());
    assert_eq!(ar.multiplier, "0.869".parse::<Decimal>().unwrap());
    assert!(ca.total > ar.total);
    assert!(
        estimate(&app, &t, "CA", "87120").await.total > ca.total,
        "a bigger lot costs more"
    );
    // The tenant's overall markup replaces the zone; a zone override beats both.
    sqlx::query("update organizations set custom_markup = 1.25 where id = $1")
        .bind(t.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    assert_eq!(
        estimate(&app, &t, "AR", "21780").await.multiplier,
        "1.25".parse::<Decimal>().unwrap()
    );
    let mut zones = vec![("zones[AR]", "1.4")];
    zones.push(("zones[CA]", ""));
    ok(app.call(&t, "/api/pricebook/zones", &zones).await, "zones").await;
    assert_eq!(
        estimate(&app, &t, "AR", "21780").await.multiplier,
        "1.4".parse::<Decimal>().unwrap()
    );
    let r = app
        .call(&t, "/api/pricebook/zones", &[("zones[AR]", "9")])
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .call(
            &t,
            "/api/pricing/estimate",
            &[("state", "PR"), ("lot_sqft", "1000"), ("pets", "1")],
        )
        .await;
    assert_eq!(r.status(), 422, "not a state we serve");
    // The price book changes unit prices.
    let r = ok(app.call(&t, "/api/pricebook/get", &[]).await, "book").await;
    let book: serde_json::Value = r.json().await.unwrap();
    let mut form: Vec<(String, String)> = book["form"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (format!("form[{k}]"), v.as_str().unwrap().to_string()))
        .collect();
    for (k, v) in form.iter_mut() {
        if k == "form[collar_price]" {
            *v = "500".into();
        }
    }
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    ok(
        app.call(&t, "/api/pricebook/save", &refs).await,
        "save book",
    )
    .await;
    let collar = estimate(&app, &t, "AR", "21780")
        .await
        .lines
        .into_iter()
        .find(|l| l.description == "Receiver collar")
        .unwrap();
    assert_eq!(collar.unit_price, "700.00".parse::<Decimal>().unwrap()); // 500 × 1.4
    app.cleanup().await;
}

async fn estimate(
    app: &TestApp,
    t: &Tenant,
    state: &str,
    lot: &str,
) -> fence::model::pricing::Priced {
    let r = ok(
        app.call(
            t,
            "/api/pricing/estimate",
            &[("state", state), ("lot_sqft", lot), ("pets", "1")],
        )
        .await,
        "estimate",
    )
    .await;
    r.json().await.unwrap()
}

/// Photos in an S3-compatible store (moto, started by `scripts/test`): the
/// same flow, objects under `{org_id}/photos/{file_id}` in the bucket.
#[tokio::test]
async fn photos_go_to_an_s3_compatible_store_when_configured() {
    let (Ok(endpoint), Ok(bucket)) = (
        std::env::var("TEST_S3_ENDPOINT"),
        std::env::var("TEST_S3_BUCKET"),
    ) else {
        eprintln!("TEST_S3_ENDPOINT is not set: scripts/test starts moto for this test");
        return;
    };
    let app = TestApp::spawn_with(|c| {
        c.storage = fence::server::storage::StorageSettings {
            s3_bucket: Some(bucket.clone()),
            s3_endpoint: Some(endpoint.clone()),
            s3_region: Some("us-east-1".into()),
            s3_access_key_id: Some("test".into()),
            s3_secret_access_key: Some("test".into()),
            ..Default::default()
        }
    })
    .await;
    assert_eq!(app.state.storage.kind, "s3");
    let t = app.signup("alpha", "growth").await;
    let f = full_flow(&app, &t).await;
    let r = app
        .get(&t.client, Some(&t.sub), &format!("/photos/{}", f.photo))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    let listing = reqwest::get(format!(
        "{endpoint}/{bucket}?list-type=2&prefix={}/",
        t.org_id
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        listing.contains(&format!("{}/photos/{}", t.org_id, f.photo)),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("{}/photo-thumbs/{}", t.org_id, f.photo)),
        "{listing}"
    );
    app.cleanup().await;
}
