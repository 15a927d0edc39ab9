//! Tenant-count benchmark (not a test): provisioning, and a tenant-scoped
//! page and server function, with 10, 1,000 and 10,000 tenants present.
//! Runs the release server binary as its own process so its resident memory
//! can be read. See BENCHMARKS.md for the command and the latest figures.
//!
//!   cargo build --release --features ssr --bin fence
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench tenants

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Client;
use sqlx::{Connection, PgConnection, PgPool};

const PASSWORD: &str = "a fine long password";
const PORT: u16 = 3290;
const SESSIONS: usize = 20;
const REQUESTS: usize = 1500;

struct Loopback;
impl reqwest::dns::Resolve for Loopback {
    fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async {
            let a: reqwest::dns::Addrs =
                Box::new(vec![SocketAddr::from(([127, 0, 0, 1], 0))].into_iter());
            Ok(a)
        })
    }
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .dns_resolver(Arc::new(Loopback))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn url(sub: Option<&str>, path: &str) -> String {
    match sub {
        Some(s) => format!("http://{s}.localhost:{PORT}{path}"),
        None => format!("http://localhost:{PORT}{path}"),
    }
}

fn origin(sub: Option<&str>) -> String {
    url(sub, "")
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (pct(&ms, 0.5), pct(&ms, 0.95), pct(&ms, 0.99))
}

/// Adds tenants up to `target` in bulk, through the same provisioning
/// function signup uses, each with 20 customers.
async fn grow(owner: &PgPool, target: i64, hash: &str) {
    let have: i64 = sqlx::query_scalar("select count(*) from organizations")
        .fetch_one(owner)
        .await
        .unwrap();
    if have >= target {
        return;
    }
    sqlx::query(
        "select platform.provision_tenant(gen_random_uuid(), 'Bench Co ' || i, 'bench' || i, 'growth',
                gen_random_uuid(), 'Owner ' || i, 'owner@bench' || i || '.example', $1, md5(random()::text), 14)
           from generate_series($2::int, $3::int) i",
    )
    .bind(hash)
    .bind(have as i32)
    .bind(target as i32 - 1)
    .execute(owner)
    .await
    .unwrap();
    sqlx::query(
        "insert into customers (org_id, id, name, email, street, city, state, zip)
         select o.id, gen_random_uuid(), 'Customer ' || g || ' of ' || o.subdomain, 'c' || g || '@' || o.subdomain || '.example',
                g || ' Main St', 'Austin', 'TX', '78701'
           from organizations o cross join generate_series(1, 20) g
          where not exists (select 1 from customers c where c.org_id = o.id)",
    )
    .execute(owner)
    .await
    .unwrap();
    // Settle the database before measuring: no autovacuum or checkpoint of
    // the bulk load should land inside the timed requests.
    sqlx::query("vacuum analyze").execute(owner).await.unwrap();
    sqlx::query("checkpoint").execute(owner).await.unwrap();
}

async fn wait_up() {
    let c = client();
    for _ in 0..200 {
        if c.get(url(None, "/")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not start");
}

async fn measure(level: i64, owner: &PgPool, server: &Child) -> String {
    let n: i64 = sqlx::query_scalar("select count(*) from organizations")
        .fetch_one(owner)
        .await
        .unwrap();
    // Log in as owners of tenants spread over the whole range.
    let mut sessions = Vec::new();
    for k in 0..SESSIONS {
        let i = (k as i64 * (level.max(1) - 1)) / (SESSIONS as i64 - 1).max(1);
        let sub = format!("bench{i}");
        let c = client();
        let r = c
            .post(url(Some(&sub), "/api/auth/login"))
            .header("origin", origin(Some(&sub)))
            .form(&[
                ("email", format!("owner@bench{i}.example")),
                ("password", PASSWORD.into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {sub}");
        sessions.push((sub, c));
    }
    let idle = rss_kib(server.id());
    // Warm up.
    for (sub, c) in &sessions {
        c.get(url(Some(sub), "/customers"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let mut page = Vec::new();
    let mut func = Vec::new();
    let mut peak = idle;
    for r in 0..REQUESTS {
        let (sub, c) = &sessions[r % sessions.len()];
        let t = Instant::now();
        let resp = c.get(url(Some(sub), "/customers")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let body = resp.text().await.unwrap();
        page.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(
            body.contains(&format!("of {sub}<")),
            "page shows the tenant's own customers"
        );
        let t = Instant::now();
        let resp = c
            .post(url(Some(sub), "/api/customers/list"))
            .header("origin", origin(Some(sub)))
            .form(&[("q", ""), ("page", "1"), ("archived", "false")])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
        func.push(t.elapsed().as_secs_f64() * 1000.0);
        if r % 50 == 0 {
            peak = peak.max(rss_kib(server.id()));
        }
    }
    // Signup to ready: the whole HTTP signup (validation, argon2id, the
    // provisioning transaction) plus the hand-off that logs the owner in.
    let mut signup = Vec::new();
    for k in 0..30 {
        let c = client();
        let sub = format!("fresh{level}x{k}");
        let t = Instant::now();
        let r = c
            .post(url(None, "/api/signup"))
            .header("origin", origin(None))
            .form(&[
                ("form[company]", "Fresh Co"),
                ("form[subdomain]", sub.as_str()),
                ("form[owner_name]", "Fresh Owner"),
                ("form[email]", "owner@fresh.example"),
                ("form[password]", PASSWORD),
                ("form[plan]", "growth"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let handoff: String = r.json().await.unwrap();
        let r = c.get(&handoff).send().await.unwrap();
        assert_eq!(r.status(), 303);
        signup.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (pp50, pp95, pp99) = summary(page);
    let (fp50, fp95, fp99) = summary(func);
    let (sp50, sp95, _) = summary(signup);
    format!(
        "| {n} | {sp50:.1} / {sp95:.1} | {pp50:.2} / {pp95:.2} / {pp99:.2} | {fp50:.2} / {fp95:.2} / {fp99:.2} | {:.1} / {:.1} |",
        idle as f64 / 1024.0,
        peak as f64 / 1024.0
    )
}

#[tokio::main]
async fn main() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = "fence_bench";
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
    let bin = std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into());
    let mut server = Command::new(&bin)
        .env("DATABASE_URL", &owner_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{PORT}"))
        .env("PUBLIC_URL", format!("http://localhost:{PORT}"))
        .env("LOGIN_MAX_FAILURES_PER_CLIENT", "100000")
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap_or_else(|e| {
            panic!("start {bin} (build it with cargo build --release --features ssr): {e}")
        });
    wait_up().await;
    let owner = PgPool::connect(&owner_url).await.unwrap();
    let hash = fence::server::password::hash_blocking(PASSWORD).unwrap();
    println!("| tenants present | signup to ready p50 / p95 (ms) | /customers page p50 / p95 / p99 (ms) | customers.list fn p50 / p95 / p99 (ms) | server RSS idle / under load (MiB) |");
    println!("|---|---|---|---|---|");
    for level in [10, 1_000, 10_000] {
        grow(&owner, level, &hash).await;
        println!("{}", measure(level, &owner, &server).await);
    }
    let _ = server.kill();
    let _ = server.wait();
    owner.close().await;
    sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await
        .unwrap();
}
