//! Billing benchmark (not a test), against a release server process with
//! the built-in Stripe stand-in: webhook handling latency (signature check,
//! the event recorded and applied in one transaction) for subscription and
//! invoice events and for duplicates; and what the plan check costs a
//! request: the customers list server function measured on the same
//! server, and the host lookup (which now also returns the billing
//! standing the request layer turns into read-only) against its previous
//! shape, in the database. See BENCHMARKS.md.
//!
//!   cargo build --release --features ssr --bin fence
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench billing

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{client, pct};
use fence::server::billing::fake::{fixture, sign, GOOD_CARD};
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};

const HOOKS: usize = 1000;
const LISTS: usize = 500;
const LOOKUPS: usize = 5000;
const SECRET: &str = "whsec_bench_secret";

#[tokio::main]
async fn main() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = "fence_bench_billing";
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
    let port = 3193;
    let stripe_port = 3194;
    fence::server::db::migrate(&owner_url).await.unwrap();
    let bin = std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into());
    let mut server = Command::new(&bin)
        .env("DATABASE_URL", &owner_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://localhost:{port}"))
        .env("STRIPE_FAKE_ADDR", format!("127.0.0.1:{stripe_port}"))
        .env("STRIPE_WEBHOOK_SECRET", SECRET)
        .env(
            "STORAGE_DIR",
            std::env::temp_dir().join("fence-bench-billing"),
        )
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
    let sub = "benchbilling";
    let r = c
        .post(url(None, "/api/signup"))
        .header("origin", url(None, ""))
        .form(&[
            ("form[company]", "Bench Billing Co"),
            ("form[subdomain]", sub),
            ("form[owner_name]", "Olive Owner"),
            ("form[email]", "owner@benchbilling.example"),
            ("form[password]", "a fine long password"),
            ("form[plan]", "growth"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "signup");
    let handoff: String = r.json().await.unwrap();
    c.get(handoff).send().await.unwrap();
    // 200 customers to list.
    let mut owner = PgConnection::connect(&owner_url).await.unwrap();
    let org: uuid::Uuid = sqlx::query_scalar("select id from organizations where subdomain = $1")
        .bind(sub)
        .fetch_one(&mut owner)
        .await
        .unwrap();
    sqlx::query(
        "insert into customers (org_id, id, name, email, street, city, state, zip)
         select $1, gen_random_uuid(), 'Customer ' || g, 'c' || g || '@example.com', '1 Main St', 'Austin', 'TX', '78701'
           from generate_series(1, 200) g",
    )
    .bind(org)
    .execute(&mut owner)
    .await
    .unwrap();
    // A subscription through Checkout on the stand-in.
    let checkout: String = c
        .post(url(Some(sub), "/api/billing/checkout"))
        .header("origin", url(Some(sub), ""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(&checkout)
        .form(&[("card", GOOD_CARD)])
        .send()
        .await
        .unwrap();
    let mut ids: (Option<String>, Option<String>) = (None, None);
    for _ in 0..200 {
        ids = sqlx::query_as(
            "select stripe_customer_id, stripe_subscription_id from organizations where id = $1",
        )
        .bind(org)
        .fetch_one(&mut owner)
        .await
        .unwrap();
        if ids.1.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (cus, subscription) = (ids.0.unwrap(), ids.1.expect("subscribed"));
    let sub_json: Value = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{stripe_port}/v1/subscriptions/{subscription}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // Webhooks: alternately a subscription update and a paid invoice, each
    // a new event, then the same events again (duplicates).
    let hook = reqwest::Client::new();
    let start = chrono::Utc::now().timestamp() + 1000;
    let mut bodies = Vec::new();
    for i in 0..HOOKS {
        let (kind, object) = if i % 2 == 0 {
            ("customer.subscription.updated", sub_json.clone())
        } else {
            let mut inv = fixture("invoice");
            inv["id"] = json!(format!("in_bench_{i}"));
            inv["customer"] = json!(cus);
            inv["subscription"] = json!(subscription);
            inv["status"] = json!("paid");
            inv["paid"] = json!(true);
            ("invoice.paid", inv)
        };
        let mut e = fixture("event");
        e["id"] = json!(format!("evt_bench_{i}"));
        e["type"] = json!(kind);
        e["created"] = json!(start + i as i64);
        e["data"] = json!({ "object": object });
        bodies.push(e.to_string());
    }
    let send = |body: String| {
        let hook = hook.clone();
        let target = url(None, "/stripe/webhook");
        async move {
            let t = Instant::now();
            let r = hook
                .post(target)
                .header("content-type", "application/json")
                .header(
                    "stripe-signature",
                    sign(SECRET, chrono::Utc::now().timestamp(), &body),
                )
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let v: Value = r.json().await.unwrap();
            (
                t.elapsed().as_secs_f64() * 1000.0,
                v["outcome"].as_str().unwrap_or("").to_string(),
            )
        }
    };
    for b in bodies.iter().take(20) {
        send(b.clone()).await;
    }
    let mut applied = Vec::new();
    for b in bodies.iter().skip(20) {
        let (ms, outcome) = send(b.clone()).await;
        assert_eq!(outcome, "applied");
        applied.push(ms);
    }
    let mut dups = Vec::new();
    for b in bodies.iter().take(HOOKS / 2) {
        let (ms, outcome) = send(b.clone()).await;
        assert_eq!(outcome, "duplicate");
        dups.push(ms);
    }
    let bad = Instant::now();
    for b in bodies.iter().take(200) {
        let r = hook
            .post(url(None, "/stripe/webhook"))
            .header(
                "stripe-signature",
                sign("whsec_wrong", chrono::Utc::now().timestamp(), b),
            )
            .body(b.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
    let bad_ms = bad.elapsed().as_secs_f64() * 1000.0 / 200.0;

    // The customers list, with the plan check in every request.
    let mut lists = Vec::new();
    for i in 0..LISTS + 20 {
        let t = Instant::now();
        let r = c
            .post(url(Some(sub), "/api/customers/list"))
            .header("origin", url(Some(sub), ""))
            .form(&[("q", ""), ("page", "1"), ("archived", "false")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        if i >= 20 {
            lists.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }

    // The host lookup: its previous shape against today's, in SQL.
    sqlx::query(
        "create function platform.bench_old_tenant_for_host(p_subdomain text, p_custom_domain text)
         returns table (id uuid, status text)
         language sql stable security definer set search_path = pg_catalog, public as $$
           select o.id, o.status from public.organizations o
            where p_subdomain is not null and o.subdomain = p_subdomain
           union all
           select o.id, o.status from public.organizations o
            where p_custom_domain is not null and o.custom_domain = p_custom_domain
              and o.custom_domain_verified
           limit 1 $$",
    )
    .execute(&mut owner)
    .await
    .unwrap();
    let mut old = Vec::new();
    let mut new = Vec::new();
    for i in 0..LOOKUPS * 2 {
        let t = Instant::now();
        if i % 2 == 0 {
            let _: (uuid::Uuid, String) =
                sqlx::query_as("select * from platform.bench_old_tenant_for_host($1, null)")
                    .bind(sub)
                    .fetch_one(&mut owner)
                    .await
                    .unwrap();
            old.push(t.elapsed().as_secs_f64() * 1000.0);
        } else {
            let _: (
                uuid::Uuid,
                String,
                chrono::DateTime<chrono::Utc>,
                Option<chrono::DateTime<chrono::Utc>>,
                bool,
                bool,
            ) = sqlx::query_as("select * from platform.tenant_for_host($1, null)")
                .bind(sub)
                .fetch_one(&mut owner)
                .await
                .unwrap();
            new.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    // The read-only decision itself, in Rust.
    let standing = fence::model::billing::Standing {
        status: fence::model::OrgStatus::PastDue,
        trial_ends_at: chrono::Utc::now(),
        past_due_since: Some(chrono::Utc::now()),
        subscribed: true,
        comped: false,
    };
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..1_000_000 {
        if std::hint::black_box(&standing)
            .read_only(chrono::Utc::now(), 7)
            .is_some()
        {
            n += 1;
        }
    }
    let decide_ns = t.elapsed().as_secs_f64() * 1e9 / 1e6;
    std::hint::black_box(n);

    let _ = server.kill();
    let _ = server.wait();
    let mut a = PgConnection::connect(&admin).await.unwrap();
    let _ = sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await;

    println!("| what | n | p50 (ms) | p95 (ms) | p99 (ms) |");
    println!("|---|---|---|---|---|");
    let row = |what: &str, v: &[f64]| {
        println!(
            "| {what} | {} | {:.2} | {:.2} | {:.2} |",
            v.len(),
            pct(v, 0.5),
            pct(v, 0.95),
            pct(v, 0.99)
        )
    };
    row(
        "webhook applied (subscription.updated / invoice.paid)",
        &applied,
    );
    row("webhook duplicate (already applied)", &dups);
    row("customers.list server fn (200 customers)", &lists);
    row("host lookup, previous shape (SQL)", &old);
    row("host lookup with billing standing (SQL)", &new);
    println!("\nwebhook with a wrong signature: {bad_ms:.2} ms mean (400, nothing read)");
    println!("read-only decision in Rust: {decide_ns:.1} ns per request");
}
