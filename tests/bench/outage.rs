//! The two outages of issue 8, replayed against a release server, with five
//! other tenants' owners using the app the whole time:
//!
//! 1. **Photo bombs**: one tenant (any trial signup) keeps 20 uploads of an
//!    11,000 x 11,000 px solid-colour PNG (~1 MB on the wire, 360 MiB
//!    decoded) in flight.
//! 2. **Hashing flood**: one client keeps 200 password-reset and invitation
//!    requests with junk tokens in flight.
//! 3. **Heavy but honest**: 20 uploads of a real-sized 48 MP JPEG at a time
//!    (what a busy crew could send), to show the decode bound holds memory.
//!
//! For each phase (and a quiet baseline) it reports the other tenants'
//! page and login latencies (p50/p95/p99), their errors, and the server's
//! peak memory (VmHWM, reset before each phase).
//!
//!   cargo build --release --features ssr --bin fence
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench outage
//!
//! `FENCE_BIN` picks the server binary (e.g. an older build, to compare);
//! `PHASE_SECONDS` the length of each phase (default 20).

mod common;

use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{client, pct};
use reqwest::Client;
use sqlx::{Connection, PgConnection};
use tokio::sync::Mutex;

const PORT: u16 = 3193;
const VICTIMS: usize = 5;
const PASSWORD: &str = "a fine long password";

fn url(sub: Option<&str>, path: &str) -> String {
    match sub {
        Some(s) => format!("http://{s}.localhost:{PORT}{path}"),
        None => format!("http://localhost:{PORT}{path}"),
    }
}

/// A set-up step's answer: 200 and the JSON, or the run stops with the
/// server's message.
trait OkJson {
    async fn ok_json<T: serde::de::DeserializeOwned>(self) -> T;
}

impl OkJson for reqwest::Response {
    async fn ok_json<T: serde::de::DeserializeOwned>(self) -> T {
        let (status, url) = (self.status(), self.url().path().to_string());
        let text = self.text().await.unwrap_or_default();
        assert_eq!(status, 200, "{url}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
    }
}

async fn post(c: &Client, sub: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.post(url(Some(sub), path))
        .header("origin", url(Some(sub), ""))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Signs a tenant up and returns a client logged in as its owner.
async fn signup(sub: &str) -> Client {
    let c = client();
    let email = format!("owner@{sub}.example");
    let r = c
        .post(url(None, "/api/signup"))
        .header("origin", url(None, ""))
        .form(&[
            ("form[company]", format!("{sub} Fence Co")),
            ("form[subdomain]", sub.to_string()),
            ("form[owner_name]", "Olive Owner".into()),
            ("form[email]", email),
            ("form[password]", PASSWORD.into()),
            ("form[plan]", "growth".into()),
        ])
        .send()
        .await
        .unwrap();
    let handoff: String = r.ok_json().await;
    c.get(handoff).send().await.unwrap();
    c
}

/// An approved quote's job on `sub`, for uploads.
async fn a_job(c: &Client, sub: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let email = format!("dana{}@example.com", N.fetch_add(1, Ordering::Relaxed));
    let form = [
        ("form[name]", "Dana Reyes"),
        ("form[email]", &email),
        ("form[phone]", ""),
        ("form[street]", "1 Main St"),
        ("form[city]", "Austin"),
        ("form[state]", "TX"),
        ("form[zip]", "78701"),
        ("form[notes]", ""),
    ];
    let customer: String = post(c, sub, "/api/customers/create", &form)
        .await
        .ok_json()
        .await;
    let property: String = post(
        c,
        sub,
        "/api/properties/create",
        &[
            ("customer_id", &customer),
            ("form[street]", "1 Main St"),
            ("form[city]", "Austin"),
            ("form[state]", "TX"),
            ("form[zip]", "78701"),
            ("form[lot_sqft]", "20000"),
        ],
    )
    .await
    .ok_json()
    .await;
    let quote: String = post(c, sub, "/api/quotes/create", &[("property_id", &property)])
        .await
        .ok_json()
        .await;
    let sent: serde_json::Value = post(c, sub, "/api/quotes/send", &[("id", &quote)])
        .await
        .ok_json()
        .await;
    let token = sent["link"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    post(
        &client(),
        sub,
        "/api/quotes/respond",
        &[
            ("token", &token),
            ("approve", "true"),
            ("name", "Dana Reyes"),
            ("reason", ""),
        ],
    )
    .await;
    post(c, sub, "/api/quotes/create_job", &[("quote_id", &quote)])
        .await
        .ok_json()
        .await
}

fn solid_png(side: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(side, side, image::Rgb([40, 120, 60]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A 48 MP JPEG with texture (a real photo's size on the wire).
fn phone_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(8064, 6048, |x, y| {
        let v = ((x / 24) ^ (y / 24)) as u8;
        image::Rgb([v, v.wrapping_mul(3), 255 - v / 2])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image::DynamicImage::ImageRgb8(img))
        .unwrap();
    out
}

async fn upload(c: &Client, sub: &str, job: &str, bytes: Vec<u8>, name: &str, mime: &str) {
    let form = reqwest::multipart::Form::new().text("kind", "before").part(
        "photo",
        reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str(mime)
            .unwrap(),
    );
    let _ = c
        .post(url(Some(sub), &format!("/jobs/{job}/photos")))
        .header("origin", url(Some(sub), ""))
        .multipart(form)
        .send()
        .await;
}

/// What the other tenants saw during a phase.
#[derive(Default)]
struct Seen {
    pages: Vec<f64>,
    logins: Vec<f64>,
    errors: u64,
    busy: u64,
}

/// Five tenants' owners: each loads the customers page, and logs in again
/// every fourth round, until `stop`.
async fn victims(subs: Vec<String>, stop: Arc<AtomicBool>) -> Seen {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut tasks = Vec::new();
    for sub in &subs {
        for lane in 0..2 {
            let (sub, stop, seen) = (sub.clone(), stop.clone(), seen.clone());
            tasks.push(tokio::spawn(async move {
                let c = client();
                let email = format!("owner@{sub}.example");
                post(
                    &c,
                    &sub,
                    "/api/auth/login",
                    &[("email", &email), ("password", PASSWORD)],
                )
                .await;
                let mut round = lane;
                while !stop.load(Ordering::Relaxed) {
                    if round % 4 == 0 {
                        let t = Instant::now();
                        let r = post(
                            &c,
                            &sub,
                            "/api/auth/login",
                            &[("email", &email), ("password", PASSWORD)],
                        )
                        .await;
                        let ms = t.elapsed().as_secs_f64() * 1000.0;
                        let mut s = seen.lock().await;
                        match r.status().as_u16() {
                            200 => s.logins.push(ms),
                            429 => s.busy += 1,
                            _ => s.errors += 1,
                        }
                    }
                    let t = Instant::now();
                    let r = c.get(url(Some(&sub), "/customers")).send().await;
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    let mut s = seen.lock().await;
                    match r.map(|r| r.status().as_u16()) {
                        Ok(200) => s.pages.push(ms),
                        _ => s.errors += 1,
                    }
                    drop(s);
                    round += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }));
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    Arc::try_unwrap(seen).ok().unwrap().into_inner()
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).map(|v| v.parse().unwrap_or(0)))
        })
        .unwrap_or(0)
}

/// Runs the victims for `secs` beside `attack` and prints one row.
async fn phase<F, Fut>(name: &str, server: &Child, subs: &[String], secs: u64, attack: F)
where
    F: FnOnce(Arc<AtomicBool>) -> Fut,
    Fut: std::future::Future<Output = u64>,
{
    let pid = server.id();
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid, "VmRSS:"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let v = tokio::spawn(victims(subs.to_vec(), stop.clone()));
    let a = attack(stop.clone());
    let timer = {
        let stop = stop.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            stop.store(true, Ordering::Relaxed);
        }
    };
    let (attacks, ()) = tokio::join!(a, timer);
    let seen = v.await.unwrap();
    let _ = sampler.await;
    let alive = rss_kib(pid, "VmRSS:") > 0;
    let hwm = rss_kib(pid, "VmHWM:").max(peak.load(Ordering::Relaxed));
    let q = |v: &[f64], p: f64| if v.is_empty() { f64::NAN } else { pct(v, p) };
    println!(
        "| {name} | {} | {:.1} / {:.1} / {:.1} | {} | {:.0} / {:.0} / {:.0} | {} | {} | {:.0} MiB{} |",
        seen.pages.len(),
        q(&seen.pages, 0.5),
        q(&seen.pages, 0.95),
        q(&seen.pages, 0.99),
        seen.logins.len(),
        q(&seen.logins, 0.5),
        q(&seen.logins, 0.95),
        q(&seen.logins, 0.99),
        seen.errors,
        seen.busy,
        hwm as f64 / 1024.0,
        if alive { String::new() } else { " (server died)".into() }
    );
    eprintln!("  {name}: {attacks} attacking requests answered");
}

/// The server process, killed when the benchmark ends (or panics).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_server(bin: &str, owner_url: &str) -> Child {
    let status = Command::new(bin)
        .arg("migrate")
        .env("DATABASE_URL", owner_url)
        .env("RUST_LOG", "warn")
        .status()
        .expect("run fence migrate");
    assert!(status.success());
    let server = Command::new(bin)
        .env("DATABASE_URL", owner_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{PORT}"))
        .env("PUBLIC_URL", format!("http://localhost:{PORT}"))
        .env(
            "STORAGE_DIR",
            std::env::temp_dir().join("fence-bench-outage"),
        )
        .env("RUST_LOG", "error")
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let c = client();
    for _ in 0..300 {
        if c.get(url(None, "/")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server
}

#[tokio::main]
async fn main() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let bin = std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into());
    let secs: u64 = std::env::var("PHASE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let db = "fence_bench_outage";
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
    let guard = Server(start_server(&bin, &owner_url).await);
    let server = &guard.0;

    let mut subs = Vec::new();
    for i in 0..VICTIMS {
        let sub = format!("victim{i}");
        let c = signup(&sub).await;
        a_job(&c, &sub).await;
        subs.push(sub);
    }
    let attacker = signup("mallory").await;
    // One job per upload lane (a job holds at most 60 photos).
    let mut jobs = Vec::new();
    for _ in 0..20 {
        jobs.push(a_job(&attacker, "mallory").await);
    }
    let jobs = Arc::new(jobs);
    let bomb = Arc::new(solid_png(11_000));
    let jpeg = Arc::new(phone_jpeg());
    eprintln!(
        "bomb PNG {} KB, phone JPEG {} KB",
        bomb.len() / 1024,
        jpeg.len() / 1024
    );
    assert!(
        jpeg.len() < 20 * 1024 * 1024,
        "the honest photo fits the 20 MB limit"
    );

    println!("| phase | pages | page ms p50 / p95 / p99 | logins | login ms p50 / p95 / p99 | errors | refused (429) | server peak RSS |");
    println!("|---|---|---|---|---|---|---|---|");
    phase("quiet", server, &subs, secs, |_| async { 0 }).await;
    let uploads = |bytes: Arc<Vec<u8>>, name: &'static str, mime: &'static str| {
        let (attacker, jobs) = (attacker.clone(), jobs.clone());
        move |stop: Arc<AtomicBool>| async move {
            let n = Arc::new(AtomicU64::new(0));
            let lanes = (0..20).map(|lane| {
                let job = jobs[lane].clone();
                let (attacker, bytes, stop, n) =
                    (attacker.clone(), bytes.clone(), stop.clone(), n.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        upload(&attacker, "mallory", &job, bytes.to_vec(), name, mime).await;
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                })
            });
            for l in lanes.collect::<Vec<_>>() {
                let _ = l.await;
            }
            n.load(Ordering::Relaxed)
        }
    };
    phase(
        "20 photo bombs in flight",
        server,
        &subs,
        secs,
        uploads(bomb, "bomb.png", "image/png"),
    )
    .await;
    phase(
        "200 junk-token resets in flight",
        server,
        &subs,
        secs,
        |stop| async move {
            let n = Arc::new(AtomicU64::new(0));
            let junk = "ab".repeat(32);
            let lanes = (0..200).map(|i| {
                let (stop, n, junk) = (stop.clone(), n.clone(), junk.clone());
                tokio::spawn(async move {
                    let c = client();
                    while !stop.load(Ordering::Relaxed) {
                        let path = if i % 2 == 0 {
                            "/api/auth/reset"
                        } else {
                            "/api/auth/accept"
                        };
                        let _ = c
                            .post(url(Some("mallory"), path))
                            .header("origin", url(Some("mallory"), ""))
                            .form(&[
                                ("token", junk.as_str()),
                                ("name", "Mallory"),
                                ("password", PASSWORD),
                                ("confirm", PASSWORD),
                            ])
                            .send()
                            .await;
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                })
            });
            for l in lanes.collect::<Vec<_>>() {
                let _ = l.await;
            }
            n.load(Ordering::Relaxed)
        },
    )
    .await;
    phase(
        "20 honest 48 MP uploads in flight",
        server,
        &subs,
        secs,
        uploads(jpeg, "phone.jpg", "image/jpeg"),
    )
    .await;

    drop(guard);
    sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await
        .unwrap();
}
