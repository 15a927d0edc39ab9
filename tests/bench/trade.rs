//! Trade benchmark (not a test): take-off plus pricing of a 200-point
//! boundary natively (the server's code path), and against a release server
//! process: the quote page's server render and the `quotes/save` server
//! function (which validates, recomputes every number and writes a version),
//! interleaved. See BENCHMARKS.md; `scripts/bench` runs this with the WASM
//! figures.
//!
//!   cargo build --release --features ssr --bin fence
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench trade

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{client, pct};
use fence::model::pricing::{bench_input, price_drawing, MultiplierSource};
use rust_decimal::Decimal;
use sqlx::{Connection, PgConnection};

const RUNS: usize = 20_000;
const REQUESTS: usize = 600;

fn native() {
    let (c, d, terms) = bench_input(200);
    let m = (Decimal::new(1107, 3), MultiplierSource::Zone);
    let mut times = Vec::with_capacity(RUNS);
    let mut total = Decimal::ZERO;
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let (_, p) = price_drawing(&c, m, &d, None, 2, &terms, Some((30.27, -97.74)));
        times.push(t0.elapsed().as_secs_f64() * 1e6);
        total += p.total;
    }
    assert!(total > Decimal::ZERO);
    println!(
        "take-off + pricing, 200-point boundary, native release ({RUNS} runs): p50 {:.1} µs, p95 {:.1} µs, p99 {:.1} µs",
        pct(&times, 0.5),
        pct(&times, 0.95),
        pct(&times, 0.99)
    );
}

#[tokio::main]
async fn main() {
    native();
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = "fence_bench_trade";
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
    let port = 3190;
    // `fence migrate` (as the owner); the server then runs as the app role.
    fence::server::db::migrate(&owner_url).await.unwrap();
    let bin = std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into());
    let objects = std::env::temp_dir().join("fence-bench-objects");
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
    let url = |sub: Option<&str>, path: &str| match sub {
        Some(s) => format!("http://{s}.localhost:{port}{path}"),
        None => format!("http://localhost:{port}{path}"),
    };
    for _ in 0..300 {
        if c.get(url(None, "/")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sub = "benchtrade";
    let post = |path: &str, form: Vec<(&str, String)>| {
        c.post(url(Some(sub), path))
            .header("origin", url(Some(sub), ""))
            .form(&form)
            .send()
    };
    let r = c
        .post(url(None, "/api/signup"))
        .header("origin", url(None, ""))
        .form(&[
            ("form[company]", "Bench Trade Co"),
            ("form[subdomain]", sub),
            ("form[owner_name]", "Olive Owner"),
            ("form[email]", "owner@benchtrade.example"),
            ("form[password]", "a fine long password"),
            ("form[plan]", "growth"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "signup");
    let handoff: String = r.json().await.unwrap();
    c.get(handoff).send().await.unwrap();
    let customer: String = post(
        "/api/customers/create",
        vec![
            ("form[name]", "Bench Customer".into()),
            ("form[street]", "1 Main St".into()),
            ("form[city]", "Austin".into()),
            ("form[state]", "TX".into()),
            ("form[zip]", "78701".into()),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let property: String = post(
        "/api/properties/create",
        vec![
            ("customer_id", customer),
            ("form[street]", "1 Main St".into()),
            ("form[city]", "Austin".into()),
            ("form[state]", "TX".into()),
            ("form[zip]", "78701".into()),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    post(
        "/api/properties/add_pet",
        vec![
            ("property_id", property.clone()),
            ("pet[name]", "Rex".into()),
        ],
    )
    .await
    .unwrap();
    let quote: String = post("/api/quotes/create", vec![("property_id", property)])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, drawing, _) = bench_input(200);
    let drawing = serde_json::to_string(&drawing).unwrap();
    let save = |i: usize| {
        post(
            "/api/quotes/save",
            vec![
                ("id", quote.clone()),
                ("drawing", drawing.clone()),
                ("terms[discount_pct]", format!("{}", i % 10)),
                ("terms[tax_pct]", "8.25".into()),
            ],
        )
    };
    // Warm up.
    for i in 0..30 {
        assert_eq!(save(i).await.unwrap().status(), 200);
        let r = c
            .get(url(Some(sub), &format!("/quotes/{quote}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    let (mut page, mut func) = (Vec::new(), Vec::new());
    for i in 0..REQUESTS {
        let t0 = Instant::now();
        let r = save(i).await.unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        func.push(t0.elapsed().as_secs_f64() * 1e3);
        let t0 = Instant::now();
        let r = c
            .get(url(Some(sub), &format!("/quotes/{quote}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        page.push(t0.elapsed().as_secs_f64() * 1e3);
        assert!(body.contains("Bench Customer") || body.contains("Quote Q-1"));
    }
    println!(
        "quote page (SSR, 200-point boundary) {REQUESTS} requests: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        pct(&page, 0.5),
        pct(&page, 0.95),
        pct(&page, 0.99)
    );
    println!(
        "quotes/save server function (validate, recompute, new version) {REQUESTS} requests: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        pct(&func, 0.5),
        pct(&func, 0.95),
        pct(&func, 0.99)
    );
    let _ = server.kill();
    let _ = server.wait();
    let mut a = PgConnection::connect(&admin).await.unwrap();
    let _ = sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await;
    let _ = std::fs::remove_dir_all(objects);
}
