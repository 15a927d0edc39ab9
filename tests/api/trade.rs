//! The trade end to end over HTTP: property and pets, boundary, quote with
//! server-side pricing, approval link, job lifecycle, photos, the monthly
//! job limit and the Enterprise approval workflow.

use fence::api::jobs::{GetJob, TransitionJob};
use fence::api::pricebook::{GetPriceBook, SavePriceBook, SaveZoneOverrides};
use fence::api::properties::{AddPet, CreateProperty, EstimatePrice, SaveDrawing};
use fence::api::quotes::{
    CreateJob, CreateQuote, GetQuote, ListQuotes, ManagerApprove, OpenQuoteLink, RespondToQuote,
    SaveQuote, SendQuote,
};
use fence::api::settings::GetSettings;
use fence::error::AppError;
use fence::model::pricing::QuoteTerms;
use fence::model::{PetForm, PropertyForm, QuoteStatus};
use reqwest::multipart::{Form, Part};
use reqwest::Client;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};

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
    app.as_owner(
        t,
        CreateProperty {
            customer_id: customer,
            form: PropertyForm {
                street: "12 Oak St".into(),
                city: "Austin".into(),
                state: state.into(),
                zip: "78701".into(),
                lot_sqft: "21780".into(),
                ..Default::default()
            },
        },
    )
    .await
    .unwrap_or_else(|e| panic!("property: {e:?}"))
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

/// The token at the end of an approval link.
fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_string()
}

/// Sends a quote and returns its approval token.
pub async fn send_link(app: &TestApp, t: &Tenant, quote: &str) -> String {
    let id = quote.parse().expect("a quote id");
    let sent = app
        .as_owner(t, SendQuote { id })
        .await
        .unwrap_or_else(|e| panic!("send: {e:?}"));
    token_of(&sent.link.expect("an approval link"))
}

/// The customer's answer through an approval link.
pub fn respond(token: &str, approve: bool, name: &str, reason: &str) -> RespondToQuote {
    RespondToQuote {
        token: token.into(),
        approve,
        name: name.into(),
        reason: reason.into(),
    }
}

/// The customer approves through the link, from a client with no session.
pub async fn approve(app: &TestApp, t: &Tenant, token: &str, name: &str) {
    app.call_fn(&app.client(), Some(&t.sub), respond(token, true, name, ""))
        .await
        .unwrap_or_else(|e| panic!("approve: {e:?}"));
}

/// Puts the member `email` on a new crew and the job on that crew (crews
/// see, work and photograph their crews' jobs only).
pub async fn put_on_a_crew_with(app: &TestApp, t: &Tenant, email: &str, jobs: &[Uuid]) {
    let user: Uuid = sqlx::query_scalar("select id from users where org_id = $1 and email = $2")
        .bind(t.org_id)
        .bind(email)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let mut form = fence::model::schedule::CrewForm {
        name: format!("Crew of {email}"),
        color: "#2563eb".into(),
        mpg: "16".into(),
        members: vec![user],
        ..Default::default()
    };
    form.starts = vec!["00:00".into(); 7];
    form.ends = vec!["23:45".into(); 7];
    let crew = app
        .as_owner(t, fence::api::schedule::SaveCrew { id: None, form })
        .await
        .expect("crew");
    // Straight in the database: the job may be past the board (completed).
    sqlx::query(
        "update jobs set crew_id = $2, starts_at = coalesce(starts_at, now()) where id = any($1)",
    )
    .bind(jobs)
    .bind(crew)
    .execute(&app.owner)
    .await
    .unwrap();
}

/// Moves a job as the tenant's owner; an empty `date` sends none.
pub async fn transition(
    app: &TestApp,
    t: &Tenant,
    job: Uuid,
    to: &str,
    date: &str,
) -> Result<(), AppError> {
    app.as_owner(
        t,
        TransitionJob {
            id: job,
            to: to.into(),
            date: (!date.is_empty()).then(|| date.into()),
            note: None,
            amount: None,
            op: None,
        },
    )
    .await
}

fn save(id: Uuid, terms: QuoteTerms) -> SaveQuote {
    SaveQuote {
        id,
        drawing: SQUARE.into(),
        terms,
    }
}

fn discount(pct: &str) -> QuoteTerms {
    QuoteTerms {
        discount_pct: pct.into(),
        ..Default::default()
    }
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
    let pet = app
        .as_owner(
            t,
            AddPet {
                property_id: property,
                pet: PetForm {
                    name: "Rex".into(),
                    weight_lb: "60".into(),
                    ..Default::default()
                },
            },
        )
        .await
        .expect("add pet");
    app.as_owner(
        t,
        SaveDrawing {
            id: property,
            drawing: SQUARE.into(),
            lat: None,
            lon: None,
        },
    )
    .await
    .expect("drawing");
    let quote = app
        .as_owner(
            t,
            CreateQuote {
                property_id: property,
            },
        )
        .await
        .expect("quote");
    let version = app
        .as_owner(
            t,
            save(
                quote,
                QuoteTerms {
                    discount_pct: "5".into(),
                    tax_pct: "7.25".into(),
                    notes: "Includes two training visits.".into(),
                    ..Default::default()
                },
            ),
        )
        .await
        .expect("save");
    assert_eq!(version, 2);
    let sent = app
        .as_owner(t, SendQuote { id: quote })
        .await
        .expect("send");
    let link = sent.link.expect("an approval link");
    assert!(
        link.starts_with(&format!("http://{}.localhost:", t.sub)),
        "{link}"
    );
    let token = token_of(&link);
    // The customer, with no session at all.
    let customer_client = app.client();
    app.call_fn(
        &customer_client,
        Some(&t.sub),
        respond(&token, true, "Hana Homeowner", ""),
    )
    .await
    .expect("approve");
    let job = app
        .as_owner(t, CreateJob { quote_id: quote })
        .await
        .expect("job");
    transition(app, t, job, "scheduled", "2026-12-01")
        .await
        .expect("schedule");
    transition(app, t, job, "in_progress", "")
        .await
        .expect("start");
    for kind in ["before", "after"] {
        let r = upload(app, &t.client, &t.sub, job, kind, png(640, 480)).await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            r.headers()["location"],
            format!("/jobs/{job}#photos"),
            "{kind}"
        );
    }
    transition(app, t, job, "completed", "")
        .await
        .expect("complete");
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
    let q = app
        .as_owner(&t, GetQuote { id: f.quote })
        .await
        .expect("get");
    assert_eq!(q.priced.subtotal, "944.65".parse::<Decimal>().unwrap());
    assert_eq!(q.priced.discount, "47.23".parse::<Decimal>().unwrap()); // 47.2325
    assert_eq!(q.priced.net, "897.42".parse::<Decimal>().unwrap());
    assert_eq!(q.priced.tax, "65.06".parse::<Decimal>().unwrap()); // 65.06295
    assert_eq!(q.priced.total, "962.48".parse::<Decimal>().unwrap());
    assert_eq!(total_of(&app, f.quote).await, q.priced.total);
    assert_eq!(q.status, QuoteStatus::Approved);
    assert_eq!(q.decided_name.as_deref(), Some("Hana Homeowner"));
    assert_eq!(q.versions.len(), 2);

    // The job's history: created, scheduled, started, completed, each with who.
    let j = app.as_owner(&t, GetJob { id: f.job }).await.expect("job");
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
    let p = app
        .call_fn(
            &app.client(),
            Some(&t.sub),
            OpenQuoteLink {
                token: f.token.clone(),
            },
        )
        .await
        .expect("link");
    assert_eq!(
        (p.status, p.decided_name.as_deref()),
        (QuoteStatus::Approved, Some("Hana Homeowner"))
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
            matches!(r, Err(AppError::Conflict(_) | AppError::Validation(_))),
            "{to}: {r:?}"
        );
    }
    // A second job (a second quote) cannot complete without its photos.
    let q2 = app
        .as_owner(
            &t,
            CreateQuote {
                property_id: f.property,
            },
        )
        .await
        .expect("quote");
    let token = send_link(&app, &t, &q2.to_string()).await;
    approve(&app, &t, &token, "Hana H").await;
    let job = app
        .as_owner(&t, CreateJob { quote_id: q2 })
        .await
        .expect("job");
    // Scheduling needs a day.
    let r = transition(&app, &t, job, "scheduled", "").await;
    assert!(
        matches!(&r, Err(AppError::Validation(f)) if f.get("date").is_some()),
        "{r:?}"
    );
    // No skipping straight to completed.
    let r = transition(&app, &t, job, "completed", "").await;
    assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");
    transition(&app, &t, job, "scheduled", "2026-12-03")
        .await
        .expect("schedule");
    transition(&app, &t, job, "in_progress", "")
        .await
        .expect("start");
    let r = transition(&app, &t, job, "completed", "").await;
    let Err(AppError::Conflict(m)) = r else {
        panic!("{r:?}")
    };
    assert!(m.contains("before") && m.contains("after"), "{m}");
    upload(&app, &t.client, &t.sub, job, "before", png(50, 50)).await;
    let r = transition(&app, &t, job, "completed", "").await;
    let Err(AppError::Conflict(m)) = r else {
        panic!("{r:?}")
    };
    assert!(
        m.contains("after photo") && !m.contains("before photo"),
        "{m}"
    );
    upload(&app, &t.client, &t.sub, job, "after", png(50, 50)).await;
    transition(&app, &t, job, "completed", "")
        .await
        .expect("complete");
    // Creating the job again returns the same job, not a second one.
    let again = app
        .as_owner(&t, CreateJob { quote_id: q2 })
        .await
        .expect("again");
    assert_eq!(again, job);
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
    // A crew member adds a photo to a job of their crew; a viewer cannot.
    let crew = app.join(&t, "crew@alpha.example", "crew").await;
    put_on_a_crew_with(&app, &t, "crew@alpha.example", &[f.job]).await;
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
    let quote = app
        .as_owner(
            &t,
            CreateQuote {
                property_id: f.property,
            },
        )
        .await
        .expect("q");
    let token = send_link(&app, &t, &quote.to_string()).await;
    approve(&app, &t, &token, "Hana H").await;
    let r = app.as_owner(&t, CreateJob { quote_id: quote }).await;
    let Err(AppError::Limit(m)) = r else {
        panic!("{r:?}")
    };
    assert!(m.contains("Upgrade to Growth (500 jobs a month)"), "{m}");
    // Settings shows the usage.
    let s = app.as_owner(&t, GetSettings {}).await.expect("settings");
    assert_eq!(s.jobs_used, used);
    // Lift the limit (an upgrade): the same quote becomes a job.
    sqlx::query("update organizations set monthly_jobs_limit = 500 where id = $1")
        .bind(t.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.as_owner(&t, CreateJob { quote_id: quote })
        .await
        .expect("after upgrade");
    app.cleanup().await;
}

async fn quote_with_discount(app: &TestApp, t: &Tenant, pct: &str) -> Uuid {
    let customer = app
        .customer(t, "Dee Discount", &format!("dee{pct}@x.example"))
        .await;
    let property_id = property(app, t, customer, "TX").await;
    let quote = app
        .as_owner(t, CreateQuote { property_id })
        .await
        .expect("q");
    app.as_owner(t, save(quote, discount(pct)))
        .await
        .expect("save");
    quote
}

#[tokio::test]
async fn large_discounts_need_a_manager_on_enterprise_only() {
    let app = TestApp::spawn().await;
    let ent = app.signup("alpha", "enterprise").await;
    let id = quote_with_discount(&app, &ent, "20").await;
    let sent = app.as_owner(&ent, SendQuote { id }).await.expect("send");
    assert!(sent.pending_approval);
    assert_eq!(sent.link, None, "no link before approval");
    // The queue lists it; a dispatcher cannot approve; the owner can.
    let queue = app
        .as_owner(
            &ent,
            ListQuotes {
                status: Some("pending_approval".into()),
            },
        )
        .await
        .expect("queue");
    assert_eq!(queue.len(), 1);
    let dispatcher = app.join(&ent, "disp@alpha.example", "dispatcher").await;
    let r = app
        .call_fn(&dispatcher, Some("alpha"), ManagerApprove { id })
        .await;
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    app.as_owner(&ent, ManagerApprove { id })
        .await
        .expect("approve");
    let sent = app.as_owner(&ent, SendQuote { id }).await.expect("send 2");
    assert!(sent.link.is_some());
    // Editing after approval needs approval again.
    app.as_owner(&ent, save(id, discount("25")))
        .await
        .expect("resave");
    let sent = app.as_owner(&ent, SendQuote { id }).await.expect("send 3");
    assert!(sent.pending_approval);
    // A small discount goes straight out.
    let small = quote_with_discount(&app, &ent, "10").await;
    let sent = app
        .as_owner(&ent, SendQuote { id: small })
        .await
        .expect("small");
    assert!(sent.link.is_some());
    // Growth has no workflow: 20% goes straight out, and approving is refused.
    let growth = app.signup("bravo", "growth").await;
    let gq = quote_with_discount(&app, &growth, "20").await;
    let sent = app
        .as_owner(&growth, SendQuote { id: gq })
        .await
        .expect("growth send");
    assert!(sent.link.is_some());
    let r = app.as_owner(&growth, ManagerApprove { id: gq }).await;
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    app.cleanup().await;
}

#[tokio::test]
async fn bad_quote_input_says_what_to_fix_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let quote = quote_with_discount(&app, &t, "0").await;
    let before: i32 = sqlx::query_scalar("select version from quotes where id = $1")
        .bind(quote)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let terms = QuoteTerms {
        discount_pct: "150".into(),
        tax_pct: "x".into(),
        ..Default::default()
    };
    let r = app.as_owner(&t, save(quote, terms)).await;
    let Err(AppError::Validation(f)) = r else {
        panic!("{r:?}")
    };
    assert!(f.get("discount_pct").unwrap().contains("between 0 and 100"));
    assert!(f.get("tax_pct").unwrap().contains("number"));
    for drawing in [r#"{"boundary":[{"x":1e9,"y":0}]}"#, "not json"] {
        let r = app
            .as_owner(
                &t,
                SaveQuote {
                    id: quote,
                    drawing: drawing.into(),
                    terms: QuoteTerms::default(),
                },
            )
            .await;
        assert!(
            matches!(&r, Err(AppError::Validation(f)) if f.get("drawing").is_some()),
            "{drawing}: {r:?}"
        );
    }
    let after: i32 = sqlx::query_scalar("select version from quotes where id = $1")
        .bind(quote)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(before, after, "no version written");
    // A bad property says which fields.
    let customer_id = app.customer(&t, "Pat Property", "pat@x.example").await;
    let r = app
        .as_owner(
            &t,
            CreateProperty {
                customer_id,
                form: PropertyForm {
                    street: String::new(),
                    state: "ZZ".into(),
                    zip: "1".into(),
                    lat: "45".into(),
                    ..Default::default()
                },
            },
        )
        .await;
    let Err(AppError::Validation(f)) = r else {
        panic!("{r:?}")
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
    let ca = estimate(&app, &t, "CA", 21780).await;
    let ar = estimate(&app, &t, "AR", 21780).await;
    assert_eq!(ca.multiplier, "1.107".parse::<Decimal>().unwrap());
    assert_eq!(ar.multiplier, "0.869".parse::<Decimal>().unwrap());
    assert!(ca.total > ar.total);
    assert!(
        estimate(&app, &t, "CA", 87120).await.total > ca.total,
        "a bigger lot costs more"
    );
    // The tenant's overall markup replaces the zone; a zone override beats both.
    sqlx::query("update organizations set custom_markup = 1.25 where id = $1")
        .bind(t.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    assert_eq!(
        estimate(&app, &t, "AR", 21780).await.multiplier,
        "1.25".parse::<Decimal>().unwrap()
    );
    let zones = |pairs: &[(&str, &str)]| SaveZoneOverrides {
        zones: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    app.as_owner(&t, zones(&[("AR", "1.4"), ("CA", "")]))
        .await
        .expect("zones");
    assert_eq!(
        estimate(&app, &t, "AR", 21780).await.multiplier,
        "1.4".parse::<Decimal>().unwrap()
    );
    let r = app.as_owner(&t, zones(&[("AR", "9")])).await;
    assert!(
        matches!(&r, Err(AppError::Validation(f)) if f.get("zone_AR").is_some()),
        "{r:?}"
    );
    let r = app
        .as_owner(
            &t,
            EstimatePrice {
                state: "PR".into(),
                lot_sqft: 1000,
                pets: 1,
            },
        )
        .await;
    assert!(
        matches!(&r, Err(AppError::Validation(f)) if f.get("state").is_some()),
        "not a state we serve: {r:?}"
    );
    // The price book changes unit prices.
    let mut book = app.as_owner(&t, GetPriceBook {}).await.expect("book");
    *book
        .form
        .get_mut("collar_price")
        .expect("a collar price in the book") = "500".into();
    app.as_owner(&t, SavePriceBook { form: book.form })
        .await
        .expect("save book");
    let collar = estimate(&app, &t, "AR", 21780)
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
    lot_sqft: u32,
) -> fence::model::pricing::Priced {
    app.as_owner(
        t,
        EstimatePrice {
            state: state.into(),
            lot_sqft,
            pets: 1,
        },
    )
    .await
    .expect("estimate")
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

/// Issue 9: each role is offered only the job moves it may make, and the
/// server refuses the rest, one action at a time.
#[tokio::test]
async fn crews_are_offered_and_allowed_only_to_start_and_complete_jobs() {
    use fence::model::JobStatus;
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let f = full_flow(&app, &t).await;
    // A second job, scheduled, for the crew to look at.
    let customer = app
        .customer(&t, "Second Home", "second@alpha.example")
        .await;
    let p = property(&app, &t, customer, "TX").await;
    app.as_owner(
        &t,
        SaveDrawing {
            id: p,
            drawing: SQUARE.into(),
            lat: None,
            lon: None,
        },
    )
    .await
    .expect("drawing");
    let q = app
        .as_owner(&t, CreateQuote { property_id: p })
        .await
        .expect("quote");
    let token = send_link(&app, &t, &q.to_string()).await;
    approve(&app, &t, &token, "Sam Second").await;
    let job = app
        .as_owner(&t, CreateJob { quote_id: q })
        .await
        .expect("job");
    transition(&app, &t, job, "scheduled", "2026-12-02")
        .await
        .expect("schedule");

    let crew = app.join(&t, "crew@alpha.example", "crew").await;
    put_on_a_crew_with(&app, &t, "crew@alpha.example", &[job, f.job]).await;
    // The dashboard knows who is looking (it offers crews their jobs, not
    // "Add customer").
    let d = app
        .call_fn(&crew, Some(&t.sub), fence::api::shell::GetDashboard {})
        .await
        .unwrap();
    assert_eq!(d.role, fence::model::Role::Crew);
    let seen = app
        .call_fn(&crew, Some(&t.sub), GetJob { id: job })
        .await
        .expect("crew sees the job");
    assert_eq!(
        seen.allowed,
        vec![JobStatus::InProgress],
        "no unschedule or cancel"
    );
    let owner = app.as_owner(&t, GetJob { id: job }).await.unwrap();
    assert_eq!(
        owner.allowed,
        vec![
            JobStatus::InProgress,
            JobStatus::Approved,
            JobStatus::Cancelled
        ]
    );
    for to in ["approved", "cancelled"] {
        let e = app
            .call_fn(
                &crew,
                Some(&t.sub),
                TransitionJob {
                    id: job,
                    to: to.into(),
                    date: None,
                    note: None,
                    amount: None,
                    op: None,
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden(_)), "{to}: {e:?}");
    }
    // The completed job: the office invoices it, the crew may not.
    let done = app
        .call_fn(&crew, Some(&t.sub), GetJob { id: f.job })
        .await
        .unwrap();
    assert!(done.allowed.is_empty(), "{:?}", done.allowed);
    let e = app
        .call_fn(
            &crew,
            Some(&t.sub),
            TransitionJob {
                id: f.job,
                to: "invoiced".into(),
                date: None,
                note: None,
                amount: Some("100.00".into()),
                op: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    let started = app
        .call_fn(
            &crew,
            Some(&t.sub),
            TransitionJob {
                id: job,
                to: "in_progress".into(),
                date: None,
                note: None,
                amount: None,
                op: None,
            },
        )
        .await;
    assert!(started.is_ok(), "{started:?}");
    app.cleanup().await;
}

/// Issue 9: times show in the tenant's zone, which follows its home state
/// until chosen; a zone outside the list is refused with the field named.
#[tokio::test]
async fn the_time_zone_follows_the_home_state_until_chosen() {
    use fence::api::settings::{UpdateCompany, UpdatePricing};
    use fence::model::CompanyForm;
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    app.as_owner(
        &t,
        UpdatePricing {
            home_state: "TX".into(),
            custom_markup: String::new(),
            wizard: None,
        },
    )
    .await
    .expect("pricing");
    let s = app.as_owner(&t, GetSettings {}).await.unwrap();
    assert_eq!(
        (s.time_zone.as_str(), s.time_zone_chosen),
        ("America/Chicago", false)
    );
    let company = |zone: &str| UpdateCompany {
        form: CompanyForm {
            company_name: "Alpha Fence".into(),
            support_email: String::new(),
            phone: String::new(),
            time_zone: zone.into(),
        },
        wizard: None,
    };
    let e = app.as_owner(&t, company("Europe/Paris")).await.unwrap_err();
    assert!(
        e.fields().and_then(|f| f.get("time_zone")).is_some(),
        "{e:?}"
    );
    let s = app.as_owner(&t, GetSettings {}).await.unwrap();
    assert_eq!(s.company_name, "ALPHA Fence Co", "nothing half-written");
    app.as_owner(&t, company("America/Phoenix")).await.unwrap();
    let s = app.as_owner(&t, GetSettings {}).await.unwrap();
    assert_eq!(
        (s.time_zone.as_str(), s.time_zone_chosen),
        ("America/Phoenix", true)
    );
    // The page shell every page formats with carries it too.
    let shell = app
        .as_owner(&t, fence::api::shell::GetShell {})
        .await
        .unwrap();
    match shell.site {
        fence::model::SiteKind::Tenant(b) => assert_eq!(b.time_zone, "America/Phoenix"),
        other => panic!("{other:?}"),
    }
    app.as_owner(&t, company("")).await.unwrap();
    let s = app.as_owner(&t, GetSettings {}).await.unwrap();
    assert_eq!(
        (s.time_zone.as_str(), s.time_zone_chosen),
        ("America/Chicago", false)
    );
    app.cleanup().await;
}

/// Issue 9: the depot is placed by its ZIP code (no coordinates needed),
/// an unknown ZIP is refused by name, and travel is then costed on quotes.
#[tokio::test]
async fn the_depot_is_placed_by_zip_and_travel_is_costed() {
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let mut book = app.as_owner(&t, GetPriceBook {}).await.expect("book");
    book.form.insert("depot_zip".into(), "00000".into());
    let e = app
        .as_owner(
            &t,
            SavePriceBook {
                form: book.form.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        e.fields().and_then(|f| f.get("depot_zip")).is_some(),
        "{e:?}"
    );
    book.form.insert("depot_zip".into(), "94103".into());
    app.as_owner(&t, SavePriceBook { form: book.form })
        .await
        .expect("save book");
    let book = app.as_owner(&t, GetPriceBook {}).await.expect("book");
    let lat: f64 = book.form["depot_lat"].parse().expect("placed");
    let lon: f64 = book.form["depot_lon"].parse().expect("placed");
    assert!(
        (37.5..38.0).contains(&lat) && (-122.6..-122.2).contains(&lon),
        "{lat},{lon}"
    );
    let f = full_flow(&app, &t).await;
    let q = app.as_owner(&t, GetQuote { id: f.quote }).await.unwrap();
    assert!(q.catalogue.has_depot());
    assert!(
        q.priced.travel_miles > Decimal::ZERO,
        "the depot (San Francisco) is far from the property (Austin)"
    );
    app.cleanup().await;
}

/// Issue 9: marking a job invoiced or paid asks for the amount; only the
/// owner corrects it, with a reason, and the history says from what to what.
#[tokio::test]
async fn invoiced_and_paid_amounts_are_asked_for_and_corrected_by_the_owner() {
    use fence::api::jobs::CorrectJobAmount;
    let app = TestApp::spawn().await;
    let t = app.signup("alpha", "growth").await;
    let f = full_flow(&app, &t).await;
    let invoice = |amount: Option<&str>| TransitionJob {
        id: f.job,
        to: "invoiced".into(),
        date: None,
        note: None,
        amount: amount.map(str::to_string),
        op: None,
    };
    for bad in [None, Some("lots"), Some("-5"), Some("10.005")] {
        let e = app.as_owner(&t, invoice(bad)).await.unwrap_err();
        assert!(
            e.fields().and_then(|f| f.get("amount")).is_some(),
            "{bad:?}: {e:?}"
        );
    }
    let j = app.as_owner(&t, GetJob { id: f.job }).await.unwrap();
    assert_eq!(
        j.status,
        fence::model::JobStatus::Completed,
        "nothing half-written"
    );
    app.as_owner(&t, invoice(Some("$962.48")))
        .await
        .expect("invoice");
    app.as_owner(
        &t,
        TransitionJob {
            id: f.job,
            to: "paid".into(),
            date: None,
            note: None,
            amount: Some("900".into()),
            op: None,
        },
    )
    .await
    .expect("paid");
    let j = app.as_owner(&t, GetJob { id: f.job }).await.unwrap();
    assert_eq!(j.invoiced_amount, Some("962.48".parse().unwrap()));
    assert_eq!(j.paid_amount, Some("900".parse().unwrap()));
    assert!(j.can_correct);
    let fix = CorrectJobAmount {
        id: f.job,
        kind: "paid".into(),
        amount: "962.48".into(),
        reason: "Cheque cleared in full".into(),
    };
    let admin = app.join(&t, "admin@alpha.example", "admin").await;
    let e = app
        .call_fn(&admin, Some(&t.sub), fix.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    app.as_owner(&t, fix).await.expect("owner corrects");
    let j = app.as_owner(&t, GetJob { id: f.job }).await.unwrap();
    assert_eq!(j.paid_amount, Some("962.48".parse().unwrap()));
    let last = j.events.last().unwrap();
    assert!(
        last.note.contains("$900.00")
            && last.note.contains("$962.48")
            && last.note.contains("Cheque"),
        "{}",
        last.note
    );
    app.cleanup().await;
}
