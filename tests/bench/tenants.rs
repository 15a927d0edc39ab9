//! Tenant-count benchmark (not a test): provisioning, and a tenant-scoped
//! page and server function, with 10, 1,000 and 10,000 tenants present.
//! Three databases and three release server processes (one per size) are
//! sampled round-robin, so the machine's noise falls on every size alike; each
//! server's resident memory is read from /proc. See BENCHMARKS.md.
//!
//!   cargo build --release --features ssr --bin fence
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench tenants

mod common;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{client, pct};
use reqwest::Client;
use sqlx::{Connection, PgConnection, PgPool};

const PASSWORD: &str = "a fine long password";
const SIZES: [i64; 3] = [10, 1_000, 10_000];
const SESSIONS: usize = 20;
const REQUESTS: usize = 1500;
const SIGNUPS: usize = 30;

/// One tenant count: its database, server process and logged-in clients.
struct Site {
    size: i64,
    port: u16,
    db: String,
    server: Child,
    owner: PgPool,
    sessions: Vec<(String, Client)>,
    page: Vec<f64>,
    func: Vec<f64>,
    signup: Vec<f64>,
    idle_kib: u64,
    peak_kib: u64,
}

impl Site {
    fn url(&self, sub: Option<&str>, path: &str) -> String {
        match sub {
            Some(s) => format!("http://{s}.localhost:{}{path}", self.port),
            None => format!("http://localhost:{}{path}", self.port),
        }
    }

    fn rss(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.server.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            })
            .unwrap_or(0)
    }

    async fn timed_page(&mut self, i: usize) {
        let (sub, c) = &self.sessions[i % self.sessions.len()];
        let t = Instant::now();
        let r = c
            .get(self.url(Some(sub), "/customers"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        self.page.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(
            body.contains(&format!("of {sub}<")),
            "the page shows the tenant's own customers"
        );
    }

    async fn timed_fn(&mut self, i: usize) {
        let (sub, c) = &self.sessions[i % self.sessions.len()];
        let t = Instant::now();
        let r = c
            .post(self.url(Some(sub), "/api/customers/list"))
            .header("origin", self.url(Some(sub), ""))
            .form(&[("q", ""), ("page", "1"), ("archived", "false")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        self.func.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    /// Signup to ready: the whole HTTP signup (validation, argon2id, the
    /// provisioning transaction) plus the hand-off that logs the owner in.
    async fn timed_signup(&mut self, k: usize) {
        let c = client();
        let sub = format!("fresh{}x{k}", self.size);
        let t = Instant::now();
        let r = c
            .post(self.url(None, "/api/signup"))
            .header("origin", self.url(None, ""))
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
        assert_eq!(c.get(&handoff).send().await.unwrap().status(), 303);
        self.signup.push(t.elapsed().as_secs_f64() * 1000.0);
    }
}

/// Provisions tenants through the same function signup uses, each with 20
/// customers, then settles the database so no autovacuum lands in the timing.
async fn grow(owner: &PgPool, size: i64, hash: &str) {
    sqlx::query(
        "select platform.provision_tenant(gen_random_uuid(), 'Bench Co ' || i, 'bench' || i, 'growth',
                gen_random_uuid(), 'Owner ' || i, 'owner@bench' || i || '.example', $1, md5(random()::text), 14)
           from generate_series(0, $2::int - 1) i",
    )
    .bind(hash)
    .bind(size as i32)
    .execute(owner)
    .await
    .unwrap();
    sqlx::query(
        "insert into customers (org_id, id, name, email, street, city, state, zip)
         select o.id, gen_random_uuid(), 'Customer ' || g || ' of ' || o.subdomain,
                'c' || g || '@' || o.subdomain || '.example', g || ' Main St', 'Austin', 'TX', '78701'
           from organizations o cross join generate_series(1, 20) g",
    )
    .execute(owner)
    .await
    .unwrap();
    sqlx::query("vacuum analyze").execute(owner).await.unwrap();
    sqlx::query("checkpoint").execute(owner).await.unwrap();
}

async fn start(admin: &str, size: i64, port: u16, hash: &str) -> Site {
    let db = format!("fence_bench_{size}");
    let mut a = PgConnection::connect(admin).await.unwrap();
    sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await
        .unwrap();
    sqlx::query(&format!("create database {db}"))
        .execute(&mut a)
        .await
        .unwrap();
    let owner_url = format!("{}/{db}", admin.rsplit_once('/').unwrap().0);
    // `fence migrate` (as the owner); the server then runs as the app role.
    fence::server::db::migrate(&owner_url).await.unwrap();
    let bin = std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into());
    let server = Command::new(&bin)
        .env("DATABASE_URL", &owner_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://localhost:{port}"))
        .env("LOGIN_MAX_FAILURES_PER_CLIENT", "100000")
        .env("DB_POOL_SIZE", "8")
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap_or_else(|e| {
            panic!("start {bin} (cargo build --release --features ssr --bin fence): {e}")
        });
    let mut site = Site {
        size,
        port,
        db,
        server,
        owner: PgPool::connect(&owner_url).await.unwrap(),
        sessions: Vec::new(),
        page: Vec::new(),
        func: Vec::new(),
        signup: Vec::new(),
        idle_kib: 0,
        peak_kib: 0,
    };
    let c = client();
    for _ in 0..300 {
        if c.get(site.url(None, "/")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    grow(&site.owner, size, hash).await;
    for k in 0..SESSIONS {
        let i = (k as i64 * (size - 1)) / (SESSIONS as i64 - 1);
        let sub = format!("bench{i}");
        let c = client();
        let r = c
            .post(site.url(Some(&sub), "/api/auth/login"))
            .header("origin", site.url(Some(&sub), ""))
            .form(&[
                ("email", format!("owner@bench{i}.example")),
                ("password", PASSWORD.into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {sub}");
        c.get(site.url(Some(&sub), "/customers"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        site.sessions.push((sub, c));
    }
    site
}

#[tokio::main]
async fn main() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let hash = fence::server::password::hash_blocking(PASSWORD).unwrap();
    let mut sites = Vec::new();
    for (i, size) in SIZES.iter().enumerate() {
        sites.push(start(&admin, *size, 3290 + i as u16, &hash).await);
    }
    for s in &mut sites {
        s.idle_kib = s.rss();
    }
    // Round-robin over the sizes, rotating which goes first.
    for r in 0..REQUESTS {
        for j in 0..sites.len() {
            let s = &mut sites[(r + j) % SIZES.len()];
            s.timed_page(r).await;
            s.timed_fn(r).await;
            if r % 100 == 0 {
                s.peak_kib = s.peak_kib.max(s.rss());
            }
        }
    }
    for k in 0..SIGNUPS {
        for j in 0..sites.len() {
            sites[(k + j) % SIZES.len()].timed_signup(k).await;
        }
    }
    println!("| tenants present | signup to ready p50 / p95 (ms) | /customers page p50 / p95 / p99 (ms) | customers.list fn p50 / p95 / p99 (ms) | server RSS idle / under load (MiB) |");
    println!("|---|---|---|---|---|");
    for s in &sites {
        println!(
            "| {} | {:.1} / {:.1} | {:.2} / {:.2} / {:.2} | {:.2} / {:.2} / {:.2} | {:.1} / {:.1} |",
            s.size,
            pct(&s.signup, 0.5),
            pct(&s.signup, 0.95),
            pct(&s.page, 0.5),
            pct(&s.page, 0.95),
            pct(&s.page, 0.99),
            pct(&s.func, 0.5),
            pct(&s.func, 0.95),
            pct(&s.func, 0.99),
            s.idle_kib as f64 / 1024.0,
            s.peak_kib.max(s.idle_kib) as f64 / 1024.0,
        );
    }
    let (small, large) = (&sites[0], &sites[2]);
    println!();
    println!(
        "ratio 10,000 / 10 tenants: page p50 {:.2}, p95 {:.2}, p99 {:.2}; function p50 {:.2}, p95 {:.2}, p99 {:.2}",
        pct(&large.page, 0.5) / pct(&small.page, 0.5),
        pct(&large.page, 0.95) / pct(&small.page, 0.95),
        pct(&large.page, 0.99) / pct(&small.page, 0.99),
        pct(&large.func, 0.5) / pct(&small.func, 0.5),
        pct(&large.func, 0.95) / pct(&small.func, 0.95),
        pct(&large.func, 0.99) / pct(&small.func, 0.99),
    );
    let mut a = PgConnection::connect(&admin).await.unwrap();
    for mut s in sites {
        let _ = s.server.kill();
        let _ = s.server.wait();
        s.owner.close().await;
        let _ = sqlx::query(&format!("drop database if exists {} with (force)", s.db))
            .execute(&mut a)
            .await;
    }
}
