//! Issue 8, inside a tenant: the approval threshold sees every price cut,
//! costs go only to roles that may see them, stored values decode loudly,
//! stored input has bounds, and photo uploads are bounded (decoder limits,
//! storage quota, photos per job).

use fence::api::properties::{EstimatePrice, GetProperty};
use fence::api::quotes::{GetQuote, SaveQuote, SendQuote};
use fence::error::AppError;
use fence::model::pricing::{ManualItem, QuoteTerms};
use uuid::Uuid;

use crate::helpers::{logs, Tenant, TestApp};
use crate::trade::{png, property, upload, SQUARE};

/// A customer, a property with the square boundary, and a draft quote.
async fn draft_quote(app: &TestApp, t: &Tenant) -> (Uuid, Uuid) {
    let customer = app.customer(t, "Dana Reyes", "dana@example.com").await;
    let property = property(app, t, customer, "TX").await;
    let r = app
        .call(
            t,
            "/api/properties/drawing",
            &[("id", &property.to_string()), ("drawing", SQUARE)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .call(
            t,
            "/api/quotes/create",
            &[("property_id", &property.to_string())],
        )
        .await;
    assert_eq!(r.status(), 200);
    (property, r.json().await.unwrap())
}

#[tokio::test]
async fn a_negative_line_cannot_slip_a_discount_past_the_manager() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    let (_, quote) = draft_quote(&app, &a).await;
    // No percentage, no override: an extra line of -600 on ~850 of list.
    let terms = QuoteTerms {
        items: vec![ManualItem {
            description: "Goodwill".into(),
            qty: "1".into(),
            unit_price: "-600".into(),
        }],
        ..Default::default()
    };
    app.as_owner(
        &a,
        SaveQuote {
            id: quote,
            drawing: SQUARE.into(),
            terms,
        },
    )
    .await
    .unwrap();
    let sent = app.as_owner(&a, SendQuote { id: quote }).await.unwrap();
    assert!(sent.pending_approval, "it waits for a manager: {sent:?}");
    assert_eq!(sent.link, None);
}

/// Distinctive costs, so a leak is visible in any response body.
async fn distinctive_costs(app: &TestApp) {
    sqlx::query(
        r#"update catalogues set data = '{"spool_cost": "47.13", "crew_cost_per_hour": "31.37",
           "collar_cost": "83.19", "depot_lat": "30.2672", "depot_lon": "-97.7431"}'"#,
    )
    .execute(&app.owner)
    .await
    .unwrap();
}

#[tokio::test]
async fn costs_and_margins_go_only_to_roles_that_may_see_them() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "enterprise").await;
    distinctive_costs(&app).await;
    let (property, quote) = draft_quote(&app, &a).await;
    app.as_owner(
        &a,
        SaveQuote {
            id: quote,
            drawing: SQUARE.into(),
            terms: QuoteTerms::default(),
        },
    )
    .await
    .unwrap();
    let mut members = vec![("owner", a.client.clone())];
    for role in ["admin", "dispatcher", "crew", "viewer"] {
        members.push((
            role,
            app.join(&a, &format!("{role}@alpha.example"), role).await,
        ));
    }
    for (role, c) in &members {
        let sees = matches!(*role, "owner" | "admin" | "dispatcher");
        let q = app
            .call_fn(c, Some("alpha"), GetQuote { id: quote })
            .await
            .unwrap();
        let p = app
            .call_fn(c, Some("alpha"), GetProperty { id: property })
            .await
            .unwrap();
        let e = app
            .call_fn(
                c,
                Some("alpha"),
                EstimatePrice {
                    state: "TX".into(),
                    lot_sqft: 20_000,
                    pets: 1,
                },
            )
            .await
            .unwrap();
        // The price book travels with the quote and the property.
        let bodies = [
            serde_json::to_string(&q).unwrap(),
            serde_json::to_string(&p).unwrap(),
        ];
        for (function, body) in ["get_quote", "get_property"].iter().zip(&bodies) {
            for secret in ["47.13", "31.37", "83.19", "30.2672"] {
                assert_eq!(
                    body.contains(secret),
                    sees,
                    "{role} / {function}: cost {secret} visible should be {sees}"
                );
            }
        }
        assert_eq!(q.costs_visible, sees, "{role}");
        assert_eq!(p.costs_visible, sees, "{role}");
        assert_eq!(q.priced.margin.is_zero(), !sees, "{role}");
        assert_eq!(e.margin.is_zero(), !sees, "{role}");
        assert_eq!(e.materials_cost.is_zero(), !sees, "{role}");
        assert_eq!(e.lines.iter().all(|l| l.cost.is_zero()), !sees, "{role}");
        assert!(
            q.priced.total > rust_decimal::Decimal::ZERO,
            "{role} sees prices"
        );
    }
}

#[tokio::test]
async fn an_unknown_stored_status_is_an_error_not_a_draft() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let (_, quote) = draft_quote(&app, &a).await;
    sqlx::query("alter table quotes drop constraint quotes_status_check")
        .execute(&app.owner)
        .await
        .unwrap();
    sqlx::query("update quotes set status = 'archived_by_robot'")
        .execute(&app.owner)
        .await
        .unwrap();
    let e = app.as_owner(&a, GetQuote { id: quote }).await.unwrap_err();
    let AppError::Internal(reference) = e else {
        panic!("not an internal error: {e:?}")
    };
    assert_eq!(reference.len(), 16, "the browser gets the request id");
    let log = logs();
    assert!(
        log.lines().any(|l| l.contains(&reference)
            && l.contains(r#"unknown value \"archived_by_robot\" in quotes.status"#)),
        "the log names the value, the column and the request"
    );
}

/// Every value a check constraint (or foreign key) allows, by column.
async fn allowed(app: &TestApp, table: &str, column: &str) -> Vec<String> {
    let defs: Vec<String> = sqlx::query_scalar(
        "select pg_get_constraintdef(c.oid) from pg_constraint c
          where c.conrelid = $1::regclass and c.contype = 'c'",
    )
    .bind(table)
    .fetch_all(&app.owner)
    .await
    .unwrap();
    let def = defs
        .into_iter()
        .find(|d| d.contains(&format!("({column} ")) || d.contains(&format!("({column})")))
        .unwrap_or_else(|| panic!("no check constraint on {table}.{column}"));
    let mut values: Vec<String> = def
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    values.sort();
    values
}

fn sorted(v: impl IntoIterator<Item = &'static str>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().map(str::to_string).collect();
    v.sort();
    v
}

#[tokio::test]
async fn each_enum_lists_exactly_what_its_check_constraint_allows() {
    use fence::model::{JobStatus, OrgStatus, QuoteStatus, Role, PLANS};
    let app = TestApp::spawn().await;
    assert_eq!(
        allowed(&app, "quotes", "status").await,
        sorted(QuoteStatus::ALL.map(QuoteStatus::code))
    );
    assert_eq!(
        allowed(&app, "jobs", "status").await,
        sorted(JobStatus::ALL.map(JobStatus::code))
    );
    assert_eq!(
        allowed(&app, "organizations", "status").await,
        sorted(OrgStatus::ALL.map(OrgStatus::code))
    );
    assert_eq!(
        allowed(&app, "users", "role").await,
        sorted(Role::ALL.map(Role::as_str))
    );
    assert_eq!(
        allowed(&app, "invitations", "role").await,
        sorted(Role::INVITABLE.map(Role::as_str))
    );
    assert_eq!(
        allowed(&app, "photos", "kind").await,
        sorted(fence::model::job::REQUIRED_PHOTOS.map(|(k, _)| k))
    );
    let plans: Vec<String> = sqlx::query_scalar("select code from shared.plans order by code")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    assert_eq!(plans, sorted(PLANS.iter().map(|p| p.code.as_str())));
}

#[tokio::test]
async fn stored_input_has_bounds_that_the_message_names() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let (property, quote) = draft_quote(&app, &a).await;
    let pid = property.to_string();
    for i in 0..20 {
        let r = app
            .call(
                &a,
                "/api/properties/add_pet",
                &[("property_id", &pid), ("pet[name]", &format!("Dog {i}"))],
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let r = app
        .call(
            &a,
            "/api/properties/add_pet",
            &[("property_id", &pid), ("pet[name]", "One more")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("at most 20 pets"));
    sqlx::query("update quotes set version = 500")
        .execute(&app.owner)
        .await
        .unwrap();
    let e = app
        .as_owner(
            &a,
            SaveQuote {
                id: quote,
                drawing: SQUARE.into(),
                terms: QuoteTerms::default(),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AppError::Conflict(m) if m.contains("500 versions")),
        "{e:?}"
    );
    // A form body past the limit is refused before any work.
    let big = "x".repeat(300 * 1024);
    let r = app
        .call(&a, "/api/customers/create", &[("form[name]", &big)])
        .await;
    assert_eq!(r.status(), 413);
}

/// An approved quote's job, as the owner.
async fn a_job(app: &TestApp, t: &Tenant) -> Uuid {
    let (_, quote) = draft_quote(app, t).await;
    app.as_owner(
        t,
        SaveQuote {
            id: quote,
            drawing: SQUARE.into(),
            terms: QuoteTerms::default(),
        },
    )
    .await
    .unwrap();
    let token = crate::trade::send_link(app, t, &quote.to_string()).await;
    crate::trade::approve(app, t, &token, "Dana Reyes").await;
    let r = app
        .call(
            t,
            "/api/quotes/create_job",
            &[("quote_id", &quote.to_string())],
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn photo_error(r: &reqwest::Response) -> String {
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let q = location
        .split("photo_error=")
        .nth(1)
        .unwrap_or("")
        .to_string();
    percent_encoding::percent_decode_str(&q)
        .decode_utf8_lossy()
        .into_owned()
}

/// A PNG that does not compress (so its size on disk is real).
fn noise_png(w: u32, h: u32) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let b = seed.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[tokio::test]
async fn photo_uploads_are_bounded_by_pixels_quota_and_count() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let job = a_job(&app, &a).await;
    // A decompression bomb is refused from its header, with the reason.
    let r = upload(&app, &a.client, "alpha", job, "before", png(11_000, 11_000)).await;
    assert_eq!(r.status(), 303);
    let msg = photo_error(&r);
    assert!(
        msg.contains("11000 x 11000 pixels") && msg.contains("at most 64 megapixels"),
        "{msg}"
    );
    // A full quota refuses the upload, names the plan, and stores nothing.
    sqlx::query("update organizations set storage_quota_mb = 1")
        .execute(&app.owner)
        .await
        .unwrap();
    let before: i64 = sqlx::query_scalar("select bytes from storage_usage")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let big = noise_png(700, 700);
    assert!(big.len() > 1024 * 1024, "{}", big.len());
    let r = upload(&app, &a.client, "alpha", job, "before", big.clone()).await;
    let msg = photo_error(&r);
    assert!(
        msg.contains("Growth plan includes 1.0 MB of photo storage and it is full"),
        "{msg}"
    );
    let after: i64 = sqlx::query_scalar("select bytes from storage_usage")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(before, after);
    // With room, the bytes are counted (original and thumbnail) and shown.
    sqlx::query("update organizations set storage_quota_mb = 100")
        .execute(&app.owner)
        .await
        .unwrap();
    let r = upload(&app, &a.client, "alpha", job, "before", big.clone()).await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("#photos"));
    let (used, size, thumb): (i64, i32, i32) = sqlx::query_as(
        "select s.bytes, p.size_bytes, p.thumb_bytes from storage_usage s, photos p order by p.created_at desc limit 1",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(size as usize, big.len());
    assert!(thumb > 0);
    assert_eq!(used, before + i64::from(size) + i64::from(thumb));
    let r = app.call(&a, "/api/settings/get", &[]).await;
    let s: serde_json::Value = r.json().await.unwrap();
    assert_eq!(s["storage_used_bytes"].as_i64(), Some(used));
    // A tenant sending uploads faster than anyone photographs is told to wait.
    sqlx::query(
        "insert into platform.rate_limits (key, tat) values ($1, now() + interval '10 minutes')
         on conflict (key) do update set tat = excluded.tat",
    )
    .bind(format!("uploads:{}", a.org_id))
    .execute(&app.owner)
    .await
    .unwrap();
    let r = upload(&app, &a.client, "alpha", job, "after", png(40, 30)).await;
    assert!(
        photo_error(&r).contains("many uploads in the last minute"),
        "{}",
        photo_error(&r)
    );
    sqlx::query("delete from platform.rate_limits")
        .execute(&app.owner)
        .await
        .unwrap();
    // (This instance also remembers the refusal until it ends.)
    app.state.denials.forget(&format!("uploads:{}", a.org_id));
    // A job has at most 60 photos.
    sqlx::query(
        "insert into photos (org_id, id, job_id, kind, content_type, size_bytes, width, height)
         select org_id, gen_random_uuid(), id, 'after', 'image/png', 1, 1, 1 from jobs, generate_series(1, 60)",
    )
    .execute(&app.owner)
    .await
    .unwrap();
    let r = upload(&app, &a.client, "alpha", job, "after", png(40, 30)).await;
    assert!(
        photo_error(&r).contains("at most 60 photos"),
        "{}",
        photo_error(&r)
    );
}
