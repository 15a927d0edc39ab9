//! Load harness (issue 14; not a test): thousands of tenants, users signed
//! in on their own hosts, a mix of pages, server functions and writes driven
//! by `wrk` (Debian's; the mix is `tests/bench/load.lua`), reported as
//! throughput, p50/p95/p99 and errors. In the same run, for scale: the
//! cheapest route of the app (an unknown subdomain's 404) and a hello-world
//! Leptos 0.8 page built by the same toolchain (this binary, run again as
//! its own server process). See BENCHMARKS.md.
//!
//!   scripts/load            (builds the release server, then runs this)
//!
//! Settings (environment): LOAD_TENANTS (10001), LOAD_USERS (300),
//! LOAD_CONNECTIONS (1000), LOAD_SECONDS (30 per scenario), LOAD_SOAK_SECS
//! (0: no soak), LOAD_DAY_JOBS (0: no replay of the day; 10000 is the
//! brief's day), LOAD_INSTANCES (1; more: that many behind nginx, started
//! by `scripts/cluster`, and one is killed during a run), LOAD_KEEP=1 keeps the
//! database for the next run (it is reused when its tenant count matches),
//! FENCE_BIN (target/release/fence), BENCH_DATABASE_URL (an admin URL).

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::Client;
use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};

const PASSWORD: &str = "a fine long password";
const DB: &str = "fence_bench_load";
const PORT: u16 = 3500;
const HELLO_PORT: u16 = 3590;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A hello-world Leptos 0.8 page, server-rendered through `leptos_axum`'s
/// router integration like the app's pages: the framework's floor.
mod hello {
    use leptos::prelude::*;
    use leptos_axum::{generate_route_list, LeptosRoutes};
    use leptos_router::components::{Route, Router, Routes};
    use leptos_router::path;

    #[component]
    fn App() -> impl IntoView {
        view! {
            <Router>
                <main>
                    <Routes fallback=|| "Not found.">
                        <Route path=path!("/") view=|| view! { <h1>"Hello, world"</h1> } />
                    </Routes>
                </main>
            </Router>
        }
    }

    fn shell(options: LeptosOptions) -> impl IntoView {
        view! {
            <!DOCTYPE html>
            <html lang="en">
                <head>
                    <meta charset="utf-8" />
                    <HydrationScripts options />
                </head>
                <body>
                    <App />
                </body>
            </html>
        }
    }

    pub fn serve(addr: &str) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let options = LeptosOptions::builder()
                .output_name("hello")
                .site_addr(addr.parse::<std::net::SocketAddr>().unwrap())
                .build();
            let routes = generate_route_list(App);
            let app = axum::Router::new()
                .leptos_routes(&options, routes, {
                    let o = options.clone();
                    move || shell(o.clone())
                })
                .with_state(options);
            let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    }
}

/// One signed-in user and what their writes touch.
struct User {
    host: String,
    cookie: String,
    customer: String,
    property: String,
    quote: String,
    job: String,
    crew: String,
    day: String,
}

fn url(host: &str, path: &str) -> String {
    format!("http://{host}{path}")
}

/// Calls a server function that must answer; its JSON answer.
async fn call(c: &Client, host: &str, endpoint: &str, form: &[(&str, &str)]) -> Value {
    step(c, host, endpoint, form)
        .await
        .unwrap_or_else(|| panic!("{endpoint} on {host} was refused (its answer is above)"))
        .1
}

fn jar_client(jar: &Arc<Jar>) -> Client {
    Client::builder()
        .cookie_provider(jar.clone())
        .dns_resolver(Arc::new(common::Loopback))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn s(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

const DRAWING: &str = r#"{"boundary":[{"x":-60,"y":-40},{"x":60,"y":-40},{"x":60,"y":40},{"x":-60,"y":40}],"transmitter":{"x":0,"y":0},"lead":[{"x":0,"y":40}],"crossings":[],"layout":"perimeter","width_ft":200}"#;

/// Signs in the owner of tenant `sub` and gives them a customer, a property,
/// a draft quote to save and a booked job to move.
async fn prepare(sub: String, email: String) -> User {
    let host = format!("{sub}.localhost:{PORT}");
    let jar = Arc::new(Jar::default());
    let c = jar_client(&jar);
    let r = c
        .post(url(&host, "/api/auth/login"))
        .header("origin", url(&host, ""))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {sub}");
    let customer = s(&call(
        &c,
        &host,
        "customers/create",
        &[
            ("form[name]", "Hana Homeowner"),
            ("form[street]", "12 Oak St"),
            ("form[city]", "Austin"),
            ("form[state]", "TX"),
            ("form[zip]", "78701"),
        ],
    )
    .await);
    let property = s(&call(
        &c,
        &host,
        "properties/create",
        &[
            ("customer_id", customer.as_str()),
            ("form[street]", "12 Oak St"),
            ("form[city]", "Austin"),
            ("form[state]", "TX"),
            ("form[zip]", "78701"),
        ],
    )
    .await);
    call(
        &c,
        &host,
        "properties/drawing",
        &[("id", property.as_str()), ("drawing", DRAWING)],
    )
    .await;
    let quote = s(&call(
        &c,
        &host,
        "quotes/create",
        &[("property_id", property.as_str())],
    )
    .await);
    // A second quote, approved by the homeowner, becomes the job to move.
    let q2 = s(&call(
        &c,
        &host,
        "quotes/create",
        &[("property_id", property.as_str())],
    )
    .await);
    let sent = call(&c, &host, "quotes/send", &[("id", q2.as_str())]).await;
    let token = s(&sent["link"]).rsplit('/').next().unwrap().to_string();
    let anon = jar_client(&Arc::new(Jar::default()));
    call(
        &anon,
        &host,
        "quotes/respond",
        &[
            ("token", token.as_str()),
            ("approve", "true"),
            ("name", "Hana Homeowner"),
            ("reason", ""),
        ],
    )
    .await;
    let job = s(&call(&c, &host, "quotes/create_job", &[("quote_id", q2.as_str())]).await);
    let people = call(&c, &host, "crews/list", &[]).await;
    let owner = s(&people["people"][0]["user_id"]);
    let mut crew_form = vec![
        // (Named afresh: a kept database already has last run's crew.)
        (
            "form[name]".to_string(),
            format!("Crew {}", uuid::Uuid::new_v4().simple()),
        ),
        ("form[color]".to_string(), "#2563eb".to_string()),
        ("form[mpg]".to_string(), "16".to_string()),
        ("form[members][0]".to_string(), owner),
    ];
    for i in 0..7 {
        crew_form.push((format!("form[starts][{i}]"), "06:00".into()));
        crew_form.push((format!("form[ends][{i}]"), "20:00".into()));
    }
    let form: Vec<(&str, &str)> = crew_form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let crew = s(&call(&c, &host, "crews/save", &form).await);
    let day = s(&call(&c, &host, "schedule/my_day", &[]).await["day"]);
    call(
        &c,
        &host,
        "schedule/place",
        &[
            ("id", job.as_str()),
            ("crew_id", crew.as_str()),
            ("day", day.as_str()),
            ("start", "09:00"),
            ("minutes", "60"),
        ],
    )
    .await;
    let cookie = jar
        .cookies(&url(&host, "/").parse().unwrap())
        .and_then(|h| h.to_str().ok().map(str::to_string))
        .expect("a session cookie");
    User {
        host,
        cookie,
        customer,
        property,
        quote,
        job,
        crew,
        day,
    }
}

/// One step of the day's replay: its time, or `None` when it was refused.
async fn step(
    c: &Client,
    host: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Option<(f64, Value)> {
    let t = Instant::now();
    let r = c
        .post(url(host, &format!("/api/{endpoint}")))
        .header("origin", url(host, ""))
        .form(form)
        .send()
        .await
        .ok()?;
    let ok = r.status().is_success();
    let text = r.text().await.ok()?;
    let took = t.elapsed().as_secs_f64() * 1000.0;
    if !ok {
        eprintln!("day replay: {endpoint} on {host}: {text}");
        return None;
    }
    Some((took, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// What one user's share of the day did: step times (ms), jobs made, refusals.
#[derive(Default)]
struct Day {
    times: Vec<f64>,
    jobs: u64,
    refused: u64,
}

/// One user's share of the day: `n` jobs, each from a quote written on the
/// user's property, sent, approved by the homeowner through its link, made
/// a job, placed on the user's crew (one hour each, 06:00-18:00, from the
/// day after the user's own) and started.
async fn replay_user(u: &User, n: usize) -> Day {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, u.cookie.parse().unwrap());
    let c = Client::builder()
        .default_headers(headers)
        .dns_resolver(Arc::new(common::Loopback))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let anon = jar_client(&Arc::new(Jar::default()));
    let first = chrono::NaiveDate::parse_from_str(&u.day, "%Y-%m-%d").unwrap();
    let mut d = Day::default();
    for k in 0..n {
        let day = (first + chrono::Days::new(1 + (k / 12) as u64)).to_string();
        let start = format!("{:02}:00", 6 + k % 12);
        let done = async {
            let (t, q) = step(
                &c,
                &u.host,
                "quotes/create",
                &[("property_id", u.property.as_str())],
            )
            .await?;
            d.times.push(t);
            let q = s(&q);
            let (t, sent) = step(&c, &u.host, "quotes/send", &[("id", q.as_str())]).await?;
            d.times.push(t);
            let token = s(&sent["link"])
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            let (t, _) = step(
                &anon,
                &u.host,
                "quotes/respond",
                &[
                    ("token", token.as_str()),
                    ("approve", "true"),
                    ("name", "Hana Homeowner"),
                    ("reason", ""),
                ],
            )
            .await?;
            d.times.push(t);
            let (t, job) = step(
                &c,
                &u.host,
                "quotes/create_job",
                &[("quote_id", q.as_str())],
            )
            .await?;
            d.times.push(t);
            let job = s(&job);
            let (t, _) = step(
                &c,
                &u.host,
                "schedule/place",
                &[
                    ("id", job.as_str()),
                    ("crew_id", u.crew.as_str()),
                    ("day", day.as_str()),
                    ("start", start.as_str()),
                    ("minutes", "60"),
                ],
            )
            .await?;
            d.times.push(t);
            let (t, _) = step(
                &c,
                &u.host,
                "jobs/transition",
                &[("id", job.as_str()), ("to", "in_progress")],
            )
            .await?;
            d.times.push(t);
            Some(())
        }
        .await;
        match done {
            Some(()) => d.jobs += 1,
            None => d.refused += 1,
        }
    }
    d
}

/// Provisions `n` tenants (the same function signup uses), 20 customers each.
async fn grow(owner: &PgPool, n: i64, hash: &str) {
    sqlx::query(
        "select platform.provision_tenant(gen_random_uuid(), 'Load Co ' || i, 'load' || i,
                case when i = 0 then 'starter' else 'growth' end,
                gen_random_uuid(), 'Owner ' || i, 'owner@load' || i || '.example', $1, md5(random()::text), 14)
           from generate_series(0, $2::int - 1) i",
    )
    .bind(hash)
    .bind(n as i32)
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

/// CPU seconds a process has used (user + system), from /proc.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime), counted after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// CPU seconds of every PostgreSQL backend process on this machine.
fn postgres_cpu_secs() -> f64 {
    let mut total = 0.0;
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres" {
            total += cpu_secs(pid);
        }
    }
    total
}

struct Run {
    name: String,
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    errors: u64,
    requests: u64,
    server_cpu_ms: f64,
    db_cpu_ms: f64,
}

/// Runs wrk once; `env` sets the script's mode and pauses.
#[allow(clippy::too_many_arguments)]
fn wrk(
    name: &str,
    target: &str,
    conns: u64,
    secs: u64,
    env: &[(&str, String)],
    servers: &[u32],
    expect_errors: bool,
) -> Run {
    let cpu0: f64 = servers.iter().map(|p| cpu_secs(*p)).sum();
    let db0 = postgres_cpu_secs();
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--timeout",
            "10s",
            "-s",
            "tests/bench/load.lua",
            target,
        ])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("wrk (apt-get install wrk)");
    let cpu = servers.iter().map(|p| cpu_secs(*p)).sum::<f64>() - cpu0;
    let db = postgres_cpu_secs() - db0;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("LOADJSON "))
        .unwrap_or_else(|| {
            panic!(
                "wrk gave no result: {text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let j: Value = serde_json::from_str(line).unwrap();
    let n = |k: &str| j[k].as_f64().unwrap_or(0.0);
    let requests = n("requests") as u64;
    let errors = (n("connect") + n("read") + n("write") + n("timeout")) as u64
        + if expect_errors { 0 } else { n("status") as u64 };
    Run {
        name: name.to_string(),
        rps: n("requests") / (n("duration_us") / 1e6),
        p50: n("p50_us") / 1000.0,
        p95: n("p95_us") / 1000.0,
        p99: n("p99_us") / 1000.0,
        errors,
        requests,
        server_cpu_ms: cpu * 1000.0 / requests.max(1) as f64,
        db_cpu_ms: db * 1000.0 / requests.max(1) as f64,
    }
}

fn start_server(owner_url: &str, port: u16) -> Child {
    let bin = std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into());
    Command::new(&bin)
        .arg("serve")
        .env_remove("APP_DATABASE_URL")
        .env("DATABASE_URL", owner_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://localhost:{PORT}"))
        .env("LOGIN_MAX_FAILURES_PER_CLIENT", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin} (scripts/load builds it): {e}"))
}

async fn wait_up(port: u16, host: &str) {
    let c = common::client();
    for _ in 0..600 {
        if c.get(format!("http://{host}:{port}/")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing answers on port {port}");
}

fn main() {
    if let Ok(addr) = std::env::var("LOAD_HELLO_ADDR") {
        hello::serve(&addr);
        return;
    }
    tokio::runtime::Runtime::new().unwrap().block_on(run());
}

async fn run() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let tenants = setting("LOAD_TENANTS", 10_001) as i64;
    let users = setting("LOAD_USERS", 300) as usize;
    let conns = setting("LOAD_CONNECTIONS", 1000);
    let secs = setting("LOAD_SECONDS", 30);
    let soak = setting("LOAD_SOAK_SECS", 0);
    let keep = std::env::var("LOAD_KEEP").is_ok_and(|v| v == "1");
    let owner_url = format!("{}/{DB}", admin.rsplit_once('/').unwrap().0);

    // The database: reused when LOAD_KEEP left one with this many tenants.
    let mut a = PgConnection::connect(&admin).await.unwrap();
    let reuse = match PgPool::connect(&owner_url).await {
        Ok(p) => {
            let n: Option<i64> = sqlx::query_scalar("select count(*) from organizations")
                .fetch_one(&p)
                .await
                .ok();
            p.close().await;
            keep && n == Some(tenants)
        }
        Err(_) => false,
    };
    let t = Instant::now();
    if !reuse {
        sqlx::query(&format!("drop database if exists {DB} with (force)"))
            .execute(&mut a)
            .await
            .unwrap();
        sqlx::query(&format!("create database {DB}"))
            .execute(&mut a)
            .await
            .unwrap();
        fence::server::db::migrate(&owner_url).await.unwrap();
        let owner = PgPool::connect(&owner_url).await.unwrap();
        let hash = fence::server::password::hash_blocking(PASSWORD).unwrap();
        grow(&owner, tenants, &hash).await;
        owner.close().await;
    }
    eprintln!(
        "database: {tenants} tenants {} in {:.0} s",
        if reuse { "reused" } else { "made" },
        t.elapsed().as_secs_f64()
    );

    let instances = setting("LOAD_INSTANCES", 1);
    let (mut server, pids) = if instances > 1 {
        let _ = std::fs::remove_file("target/cluster/pids");
        let child = Command::new("scripts/cluster")
            .env("DATABASE_URL", &owner_url)
            .env_remove("APP_DATABASE_URL")
            .env("CLUSTER_PORT", PORT.to_string())
            .env("CLUSTER_INSTANCES", instances.to_string())
            .env("LOGIN_MAX_FAILURES_PER_CLIENT", "100000")
            .env(
                "FENCE_BIN",
                std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into()),
            )
            .stdout(Stdio::null())
            .spawn()
            .expect("scripts/cluster");
        wait_up(PORT, "localhost").await;
        let pids: Vec<u32> = std::fs::read_to_string("target/cluster/pids")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        assert_eq!(pids.len() as u64, instances, "the cluster's pids");
        (child, pids)
    } else {
        let s = start_server(&owner_url, PORT);
        let id = s.id();
        (s, vec![id])
    };
    let hello_bin = std::env::current_exe().unwrap();
    let mut hello = Command::new(hello_bin)
        .env("LOAD_HELLO_ADDR", format!("127.0.0.1:{HELLO_PORT}"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_up(PORT, "localhost").await;
    wait_up(HELLO_PORT, "127.0.0.1").await;

    // Users: the owners of tenants spread over the whole range (tenant 0 is
    // the Starter tenant the noisy neighbour uses; it is not among them).
    let t = Instant::now();
    let picks: Vec<i64> = (0..users as i64)
        .map(|k| 1 + k * (tenants - 2) / (users as i64 - 1).max(1))
        .collect();
    let prepared: Vec<User> = futures::stream::iter(picks)
        .map(|i| prepare(format!("load{i}"), format!("owner@load{i}.example")))
        .buffer_unordered(8)
        .collect()
        .await;
    eprintln!(
        "{} users signed in and given a quote and a job in {:.0} s",
        prepared.len(),
        t.elapsed().as_secs_f64()
    );
    let drawing: String = url::form_urlencoded::byte_serialize(DRAWING.as_bytes()).collect();
    let mut lua = String::from("return {\n");
    for u in &prepared {
        lua.push_str(&format!(
            "{{host={:?},cookie={:?},customer={:?},quote={:?},job={:?},crew={:?},day={:?},drawing={:?}}},\n",
            u.host, u.cookie, u.customer, u.quote, u.job, u.crew, u.day, drawing
        ));
    }
    lua.push_str("}\n");
    std::fs::create_dir_all("target/load").unwrap();
    let sessions = std::fs::canonicalize("target/load")
        .unwrap()
        .join("sessions.lua");
    std::fs::write(&sessions, lua).unwrap();
    let noisy = prepare("load0".into(), "owner@load0.example".into()).await;
    let mut noisy_lua = String::from("return {\n");
    noisy_lua.push_str(&format!(
        "{{host={:?},cookie={:?},customer={:?},quote={:?},job={:?},crew={:?},day={:?},drawing={:?}}},\n}}\n",
        noisy.host, noisy.cookie, noisy.customer, noisy.quote, noisy.job, noisy.crew, noisy.day, drawing
    ));
    let noisy_file = sessions.with_file_name("noisy.lua");
    std::fs::write(&noisy_file, noisy_lua).unwrap();

    let app = format!("http://127.0.0.1:{PORT}/");
    let floor = format!("http://127.0.0.1:{HELLO_PORT}/");
    let sess = sessions.to_string_lossy().to_string();
    let mix = |min: u64, max: u64| {
        vec![
            ("LOAD_MODE", "mix".to_string()),
            ("LOAD_SESSIONS", sess.clone()),
            ("LOAD_PORT", PORT.to_string()),
            ("LOAD_PAUSE_MIN", min.to_string()),
            ("LOAD_PAUSE_MAX", max.to_string()),
        ]
    };
    // Warm-up (caches, pool, the planner's statistics).
    wrk("warm-up", &app, 200, 5, &mix(0, 0), &pids, false);

    let mut runs = Vec::new();
    runs.push(wrk(
        "mix, 1,000 connections, no pause (saturation)",
        &app,
        conns,
        secs,
        &mix(0, 0),
        &pids,
        false,
    ));
    runs.push(wrk(
        "cheapest route: unknown subdomain's 404",
        &app,
        conns,
        secs,
        &[
            ("LOAD_MODE", "cheap".into()),
            ("LOAD_PORT", PORT.to_string()),
        ],
        &pids,
        true,
    ));
    let hello_pid = [hello.id()];
    runs.push(wrk(
        "hello-world Leptos 0.8 page (framework floor)",
        &floor,
        conns,
        secs,
        &[("LOAD_MODE", "plain".into())],
        &hello_pid,
        false,
    ));
    runs.push(wrk(
        "1,000 users, 4-6 s between requests",
        &app,
        conns,
        secs,
        &mix(4000, 6000),
        &pids,
        false,
    ));
    runs.push(wrk(
        "1,000 users, 1.5-2.5 s between requests",
        &app,
        conns,
        secs,
        &mix(1500, 2500),
        &pids,
        false,
    ));
    // A tenant far past its budget while the others work: the same 1,000
    // users while 50 connections ask for one Starter tenant's pages every
    // 50-150 ms (about 500 a second: 50 times its 600 a minute).
    // LOAD_NOISY_PAUSE=0 floods instead (no pause: then the 429s alone fill
    // the machine's two cores).
    let noisy_pause = setting("LOAD_NOISY_PAUSE", 100);
    let noisy_env = vec![
        ("LOAD_MODE", "mix".to_string()),
        ("LOAD_SESSIONS", noisy_file.to_string_lossy().to_string()),
        ("LOAD_PORT", PORT.to_string()),
        ("LOAD_PAUSE_MIN", (noisy_pause / 2).to_string()),
        ("LOAD_PAUSE_MAX", (noisy_pause * 3 / 2).to_string()),
    ];
    let hammer = std::thread::spawn({
        let app = app.clone();
        move || wrk("", &app, 50, secs + 4, &noisy_env, &[], true)
    });
    std::thread::sleep(Duration::from_secs(2));
    let mut with_noise = wrk(
        "1,000 users, 1.5-2.5 s, one Starter tenant hammered past its budget",
        &app,
        conns,
        secs,
        &mix(1500, 2500),
        &pids,
        false,
    );
    let h = hammer.join().unwrap();
    with_noise.name = format!(
        "{} (its {} requests: {:.0}/s, all but its budget 429)",
        with_noise.name, h.requests, h.rps
    );
    runs.push(with_noise);
    if pids.len() > 1 {
        // One instance killed (SIGKILL: no draining) a third of the way in.
        let victim = pids[pids.len() - 1];
        let killer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(secs / 3));
            let _ = Command::new("kill")
                .args(["-9", &victim.to_string()])
                .status();
        });
        let survivors: Vec<u32> = pids[..pids.len() - 1].to_vec();
        runs.push(wrk(
            &format!(
                "1,000 users, 1.5-2.5 s, one of {} instances killed after {} s",
                pids.len(),
                secs / 3
            ),
            &app,
            conns,
            secs,
            &mix(1500, 2500),
            &survivors,
            false,
        ));
        killer.join().unwrap();
    }

    println!("| scenario | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | errors | server CPU per request (ms) | PostgreSQL CPU per request (ms) |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {:.0} | {:.1} | {:.1} | {:.1} | {} of {} | {:.2} | {:.2} |",
            r.name, r.rps, r.p50, r.p95, r.p99, r.errors, r.requests, r.server_cpu_ms, r.db_cpu_ms
        );
    }

    let day_jobs = setting("LOAD_DAY_JOBS", 0) as usize;
    if day_jobs > 0 {
        // The brief's day: LOAD_DAY_JOBS jobs across the signed-in users'
        // tenants, each user working through their share as fast as the
        // server answers (300 at once).
        let each = day_jobs.div_ceil(prepared.len());
        let cpu0: f64 = pids.iter().map(|p| cpu_secs(*p)).sum();
        let t = Instant::now();
        let days: Vec<Day> = futures::stream::iter(prepared.iter())
            .map(|u| replay_user(u, each))
            .buffer_unordered(prepared.len())
            .collect()
            .await;
        let wall = t.elapsed().as_secs_f64();
        let cpu = pids.iter().map(|p| cpu_secs(*p)).sum::<f64>() - cpu0;
        let mut times: Vec<f64> = days.iter().flat_map(|d| d.times.iter().copied()).collect();
        times.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| {
            times
                .get(((times.len() as f64 - 1.0) * p) as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let jobs: u64 = days.iter().map(|d| d.jobs).sum();
        let refused: u64 = days.iter().map(|d| d.refused).sum();
        println!(
            "\nday replay: {jobs} jobs (quote written, sent, approved by the homeowner, made a job, placed, started) \
             across {} tenants in {wall:.0} s ({:.0} jobs/s, {:.0} requests/s); {refused} refused; \
             step p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; server CPU {:.2} ms per step",
            prepared.len(),
            jobs as f64 / wall,
            times.len() as f64 / wall,
            pct(0.50),
            pct(0.95),
            pct(0.99),
            cpu * 1000.0 / times.len().max(1) as f64,
        );
    }

    if soak > 0 {
        // The 1,000-user load for LOAD_SOAK_SECS, sampling the server's
        // memory and the database's connections every 30 s.
        let soak_env = mix(1500, 2500);
        let app2 = app.clone();
        let load =
            std::thread::spawn(move || wrk("soak", &app2, conns, soak, &soak_env, &[], false));
        let mut samples = BTreeMap::new();
        let start = Instant::now();
        while !load.is_finished() {
            let conns: i64 = sqlx::query_scalar(
                "select count(*) from pg_stat_activity where datname = 'fence_bench_load'",
            )
            .fetch_one(&mut a)
            .await
            .unwrap_or(0);
            samples.insert(start.elapsed().as_secs(), (rss_mib(pids[0]), conns));
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        let r = load.join().unwrap();
        println!(
            "\nsoak {} s: {:.0} requests/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, {} errors of {}",
            soak, r.rps, r.p50, r.p95, r.p99, r.errors, r.requests
        );
        println!("| after (s) | server RSS (MiB) | connections to the database |");
        println!("|---|---|---|");
        for (at, (rss, c)) in samples {
            println!("| {at} | {rss:.1} | {c} |");
        }
    }

    if pids.len() > 1 {
        // scripts/cluster stops its instances and nginx on SIGTERM.
        let _ = Command::new("kill").arg(server.id().to_string()).status();
    } else {
        let _ = server.kill();
    }
    let _ = server.wait();
    let _ = hello.kill();
    let _ = hello.wait();
    if !keep {
        let _ = sqlx::query(&format!("drop database if exists {DB} with (force)"))
            .execute(&mut a)
            .await;
    }
}
