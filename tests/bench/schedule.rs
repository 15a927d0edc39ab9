//! Schedule benchmark (not a test), against a release server process: the
//! board's week view for 10 crews and 300 jobs (the server render of
//! `/schedule` and the `schedule/board` server function), the battery
//! visits list for 100 properties with collars due (each offered a slot
//! beside those crews' work), and live-update latency: from sending a move
//! (`schedule/place`) to a second client's event stream (`GET /events`)
//! receiving it. See BENCHMARKS.md.
//!
//!   cargo build --release --features ssr --bin fence
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench schedule

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{client, pct};
use sqlx::{Connection, PgConnection};

const CREWS: usize = 10;
const JOBS: usize = 300;
const PAGES: usize = 200;
const MOVES: usize = 200;
/// Properties with a collar battery due.
const DUE: usize = 100;

#[tokio::main]
async fn main() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = "fence_bench_schedule";
    let mut a = PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await
        .unwrap();
    sqlx::query(&format!("create database {db}"))
        .execute(&mut a)
        .await
        .unwrap();
    let owner_url = format!("{}/{db}", admin.rsplit_once('/').unwrap().0);
    let port = 3191;
    fence::server::db::migrate(&owner_url).await.unwrap();
    let bin = std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into());
    let objects = std::env::temp_dir().join("fence-bench-schedule-objects");
    let mut server = Command::new(&bin)
        .env("DATABASE_URL", &owner_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://localhost:{port}"))
        .env("STORAGE_DIR", &objects)
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap_or_else(|e| {
            panic!("start {bin} (cargo build --release --features ssr --bin fence): {e}")
        });
    let c = client();
    let url = move |sub: Option<&str>, path: &str| match sub {
        Some(s) => format!("http://{s}.localhost:{port}{path}"),
        None => format!("http://localhost:{port}{path}"),
    };
    for _ in 0..300 {
        if c.get(url(None, "/")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The week from next Monday (battery visits are offered in the next
    // two weeks, beside the crews' booked work).
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::Chicago)
        .date_naive();
    let monday = today
        + chrono::Duration::days(
            7 - chrono::Datelike::weekday(&today).num_days_from_monday() as i64,
        );
    let week = monday.to_string();
    let week = week.as_str();
    let sub = "benchboard";
    let r = c
        .post(url(None, "/api/signup"))
        .header("origin", url(None, ""))
        .form(&[
            ("form[company]", "Bench Board Co"),
            ("form[subdomain]", sub),
            ("form[owner_name]", "Olive Owner"),
            ("form[email]", "owner@benchboard.example"),
            ("form[password]", "a fine long password"),
            ("form[plan]", "enterprise"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "signup");
    let handoff: String = r.json().await.unwrap();
    c.get(handoff).send().await.unwrap();
    let post = |c: &reqwest::Client, path: &str, form: Vec<(&str, String)>| {
        c.post(url(Some(sub), path))
            .header("origin", url(Some(sub), ""))
            .form(&form)
            .send()
    };
    async fn json<T: serde::de::DeserializeOwned>(r: reqwest::Response) -> T {
        let s = r.status();
        let t = r.text().await.unwrap();
        assert_eq!(s, 200, "{t}");
        serde_json::from_str(&t).unwrap()
    }
    // Ten crews working 7 to 6 every day.
    let mut crews = Vec::new();
    for i in 0..CREWS {
        let mut f = vec![
            ("form[name]", format!("Crew {i}")),
            ("form[color]", "#2563eb".to_string()),
            ("form[mpg]", "16".to_string()),
        ];
        let keys: Vec<(String, String)> = (0..7)
            .flat_map(|d| {
                [
                    (format!("form[starts][{d}]"), "07:00".to_string()),
                    (format!("form[ends][{d}]"), "18:00".to_string()),
                ]
            })
            .collect();
        let keys: &'static [(String, String)] = Box::leak(keys.into_boxed_slice());
        f.extend(keys.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let id: String = json(post(&c, "/api/crews/save", f).await.unwrap()).await;
        crews.push(id);
    }
    // 300 approved jobs (a customer and property per ten jobs).
    let mut properties = Vec::new();
    let square = r#"{"boundary":[{"x":0,"y":0},{"x":100,"y":0},{"x":100,"y":100},{"x":0,"y":100}],"transmitter":{"x":50,"y":50},"lead":[],"crossings":[],"layout":"perimeter","width_ft":140}"#;
    let homeowner = client();
    let mut jobs = Vec::new();
    let mut property = String::new();
    for i in 0..JOBS {
        if i % 10 == 0 {
            let customer: String = json(
                post(
                    &c,
                    "/api/customers/create",
                    vec![
                        ("form[name]", format!("Customer {i}")),
                        ("form[street]", format!("{i} Main St")),
                        ("form[city]", "Austin".into()),
                        ("form[state]", "TX".into()),
                        ("form[zip]", "78701".into()),
                    ],
                )
                .await
                .unwrap(),
            )
            .await;
            property = json(
                post(
                    &c,
                    "/api/properties/create",
                    vec![
                        ("customer_id", customer),
                        ("form[street]", format!("{i} Main St")),
                        ("form[city]", "Austin".into()),
                        ("form[state]", "TX".into()),
                        ("form[zip]", "78701".into()),
                    ],
                )
                .await
                .unwrap(),
            )
            .await;
            properties.push(property.clone());
            json::<serde_json::Value>(
                post(
                    &c,
                    "/api/properties/drawing",
                    vec![("id", property.clone()), ("drawing", square.into())],
                )
                .await
                .unwrap(),
            )
            .await;
        }
        let quote: String = json(
            post(
                &c,
                "/api/quotes/create",
                vec![("property_id", property.clone())],
            )
            .await
            .unwrap(),
        )
        .await;
        let sent: serde_json::Value = json(
            post(&c, "/api/quotes/send", vec![("id", quote.clone())])
                .await
                .unwrap(),
        )
        .await;
        let token = sent["link"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        let r = homeowner
            .post(url(Some(sub), "/api/quotes/respond"))
            .header("origin", url(Some(sub), ""))
            .form(&[
                ("token", token.as_str()),
                ("approve", "true"),
                ("name", "Hana Homeowner"),
                ("reason", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let job: String = json(
            post(&c, "/api/quotes/create_job", vec![("quote_id", quote)])
                .await
                .unwrap(),
        )
        .await;
        jobs.push(job);
    }
    // Booked over the week: each crew's day gets its jobs an hour each from
    // 7:00, 15 minutes apart.
    for (i, job) in jobs.iter().enumerate() {
        let cell = i % (CREWS * 7);
        let (crew, day) = (
            &crews[cell % CREWS],
            monday + chrono::Duration::days((cell / CREWS) as i64),
        );
        let slot = (i / (CREWS * 7)) as u32;
        let start = 7 * 60 + slot * 75;
        json::<serde_json::Value>(
            post(
                &c,
                "/api/schedule/place",
                vec![
                    ("id", job.clone()),
                    ("crew_id", crew.clone()),
                    ("day", day.to_string()),
                    ("start", format!("{:02}:{:02}", start / 60, start % 60)),
                    ("minutes", "60".into()),
                ],
            )
            .await
            .unwrap(),
        )
        .await;
    }
    let page = url(Some(sub), &format!("/schedule?from={week}"));
    for _ in 0..20 {
        let r = c.get(&page).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    let (mut pages, mut fns) = (Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..PAGES {
        let t0 = Instant::now();
        let r = c.get(&page).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        pages.push(t0.elapsed().as_secs_f64() * 1e3);
        size = body.len();
        assert!(body.contains("Crew 9"));
        let t0 = Instant::now();
        let r = post(
            &c,
            "/api/schedule/board",
            vec![("from", week.into()), ("days", "7".into())],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        fns.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "week view, {CREWS} crews x {JOBS} jobs, server render of /schedule ({PAGES} requests, {} KB): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        size / 1024,
        pct(&pages, 0.5),
        pct(&pages, 0.95),
        pct(&pages, 0.99)
    );
    println!(
        "schedule/board server function, same week: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        pct(&fns, 0.5),
        pct(&fns, 0.95),
        pct(&fns, 0.99)
    );

    // Battery visits: a dog due at each of the 30 properties and at 70
    // more, each list offering every one a slot beside the crews' work.
    let changed = (today - chrono::Duration::days(80)).to_string();
    for i in 0..DUE {
        let property = match properties.get(i) {
            Some(p) => p.clone(),
            None => {
                let customer: String = json(
                    post(
                        &c,
                        "/api/customers/create",
                        vec![
                            ("form[name]", format!("Battery customer {i}")),
                            ("form[street]", format!("{i} Battery Ln")),
                            ("form[city]", "Austin".into()),
                            ("form[state]", "TX".into()),
                            ("form[zip]", "78701".into()),
                        ],
                    )
                    .await
                    .unwrap(),
                )
                .await;
                json(
                    post(
                        &c,
                        "/api/properties/create",
                        vec![
                            ("customer_id", customer),
                            ("form[street]", format!("{i} Battery Ln")),
                            ("form[city]", "Austin".into()),
                            ("form[state]", "TX".into()),
                            ("form[zip]", "78701".into()),
                        ],
                    )
                    .await
                    .unwrap(),
                )
                .await
            }
        };
        json::<String>(
            post(
                &c,
                "/api/properties/add_pet",
                vec![
                    ("property_id", property),
                    ("pet[name]", format!("Dog {i}")),
                    ("pet[battery_installed]", changed.clone()),
                ],
            )
            .await
            .unwrap(),
        )
        .await;
    }
    let mut offers = Vec::new();
    let mut offered = 0;
    for _ in 0..50 {
        let t0 = Instant::now();
        let r = post(&c, "/api/schedule/batteries", vec![]).await.unwrap();
        let v: serde_json::Value = json(r).await;
        offers.push(t0.elapsed().as_secs_f64() * 1e3);
        let stops = v["stops"].as_array().unwrap();
        assert_eq!(stops.len(), DUE);
        offered = stops.iter().filter(|s| !s["offer"].is_null()).count();
    }
    println!(
        "schedule/batteries, {DUE} properties due, {CREWS} crews x {JOBS} jobs ({offered} offered a slot): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        pct(&offers, 0.5),
        pct(&offers, 0.95),
        pct(&offers, 0.99)
    );

    // Live updates: a second signed-in client listens; the first moves one
    // job back and forth between two free slots.
    let listener = client();
    let r = listener
        .post(url(Some(sub), "/api/auth/login"))
        .header("origin", url(Some(sub), ""))
        .form(&[
            ("email", "owner@benchboard.example"),
            ("password", "a fine long password"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "login {}",
        r.status()
    );
    let mut stream = listener
        .get(url(Some(sub), "/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = stream.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                if block.contains("event: change") || block.contains("event:change") {
                    let _ = tx.send(Instant::now());
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let job = jobs[0].clone();
    let mut lat = Vec::new();
    for i in 0..MOVES {
        let start = if i % 2 == 0 { "17:00" } else { "16:00" };
        let t0 = Instant::now();
        let r = post(
            &c,
            "/api/schedule/place",
            vec![
                ("id", job.clone()),
                ("crew_id", crews[0].clone()),
                ("day", (monday + chrono::Duration::days(6)).to_string()),
                ("start", start.into()),
                ("minutes", "60".into()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        let heard = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("the event arrives")
            .unwrap();
        lat.push(heard.saturating_duration_since(t0).as_secs_f64() * 1e3);
        r.bytes().await.unwrap();
    }
    println!(
        "live update, move saved to a second client's event stream ({MOVES} moves): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        pct(&lat, 0.5),
        pct(&lat, 0.95),
        pct(&lat, 0.99)
    );
    let _ = server.kill();
    let _ = server.wait();
    let mut a = PgConnection::connect(&admin).await.unwrap();
    let _ = sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await;
}
