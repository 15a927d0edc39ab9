//! Mail benchmark (not a test): a `fence serve` process delivering its
//! outbox over SMTP to aiosmtpd (tests/peers/smtp_peer.py) on loopback.
//! Throughput: a backlog of messages queued at once across 20 tenants,
//! messages per second from the first claim to the last acceptance.
//! Latency: messages queued one at a time (10 a second, each in its own
//! committed transaction, as an action queues them), from the commit to
//! the row recorded as sent (after the SMTP server's 250), p50/p95/p99.
//! See BENCHMARKS.md.
//!
//!   cargo build --release --features ssr --bin fence
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench mail
//!
//! (`FENCE_BIN=target/debug/fence` measures a debug build instead.)

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

const BACKLOG: usize = 2000;
const TENANTS: usize = 20;
const SINGLES: usize = 300;

/// The `p` quantile (0..1) of `v`.
fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::main]
async fn main() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = "fence_bench_mail";
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
    fence::server::db::migrate(&owner_url).await.unwrap();
    let mut owner = PgConnection::connect(&owner_url).await.unwrap();

    // The SMTP peer.
    let smtp_port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut peer = Command::new(root.join(".data/venv/bin/python"))
        .arg(root.join("tests/peers/smtp_peer.py"))
        .args(["--port", &smtp_port.to_string()])
        .arg("--dir")
        .arg(maildir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("aiosmtpd in .data/venv (scripts/test installs it)");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", smtp_port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Tenants, provisioned directly (the benchmark is about delivery).
    let mut orgs = Vec::new();
    for i in 0..TENANTS {
        let id = Uuid::new_v4();
        sqlx::query(
            "insert into organizations (id, company_name, subdomain, plan, features, support_email, trial_ends_at)
             values ($1, $2, $3, 'growth', '{}', $4, now() + interval '14 days')",
        )
        .bind(id)
        .bind(format!("Bench Fence {i}"))
        .bind(format!("benchmail{i}"))
        .bind(format!("help@benchmail{i}.example"))
        .execute(&mut owner)
        .await
        .unwrap();
        orgs.push(id);
    }
    let queue = |n: usize| {
        let mut sql =
            String::from("insert into outbox (org_id, id, to_email, subject, body, kind) values ");
        for i in 0..n {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{}', gen_random_uuid(), 'person{i}@homeowner.example', 'Your quote {i}', \
                 'Hello,\n\nYour quote is ready:\nhttps://bench.localhost/q/token{i}\n', 'quote_sent')",
                orgs[i % orgs.len()]
            ));
        }
        sql
    };

    // The backlog, queued before the server starts.
    sqlx::query(&queue(BACKLOG))
        .execute(&mut owner)
        .await
        .unwrap();
    let port = free_port();
    let bin = std::env::var("FENCE_BIN").unwrap_or_else(|_| "target/release/fence".into());
    let mut server = Command::new(&bin)
        .env("DATABASE_URL", &owner_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://localhost:{port}"))
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", smtp_port.to_string())
        .env("SMTP_TLS", "none")
        .env("STORAGE_DIR", std::env::temp_dir().join("fence-bench-mail"))
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let started = Instant::now();
    loop {
        let left: i64 = sqlx::query_scalar("select count(*) from outbox where status <> 'sent'")
            .fetch_one(&mut owner)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "backlog stuck at {left}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (span,): (f64,) = sqlx::query_as(
        "select extract(epoch from max(sent_at) - min(sent_at))::float8 from outbox",
    )
    .fetch_one(&mut owner)
    .await
    .unwrap();
    let files = std::fs::read_dir(maildir.path()).unwrap().count();
    println!(
        "backlog: {BACKLOG} messages, {TENANTS} tenants: first to last acceptance {span:.2} s = {:.0} messages/s; {files} files at the SMTP server",
        BACKLOG as f64 / span.max(0.001)
    );

    // One at a time: commit to recorded-as-sent.
    for i in 0..SINGLES {
        let id = Uuid::new_v4();
        sqlx::query(
            "insert into outbox (org_id, id, to_email, subject, body, kind)
             values ($1, $2, 'single@homeowner.example', 'One', 'Hello', 'quote_sent')",
        )
        .bind(orgs[i % orgs.len()])
        .bind(id)
        .execute(&mut owner)
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    loop {
        let left: i64 = sqlx::query_scalar("select count(*) from outbox where status <> 'sent'")
            .fetch_one(&mut owner)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows: Vec<(f64,)> = sqlx::query_as(
        "select extract(epoch from sent_at - created_at)::float8 * 1000 from outbox
          where to_email = 'single@homeowner.example'",
    )
    .fetch_all(&mut owner)
    .await
    .unwrap();
    let latencies: Vec<f64> = rows.into_iter().map(|r| r.0).collect();
    println!(
        "one at a time ({SINGLES}, 10/s): save to accepted p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&latencies, 0.5),
        pct(&latencies, 0.95),
        pct(&latencies, 0.99),
        pct(&latencies, 1.0)
    );
    let _ = server.kill();
    let _ = server.wait();
    let _ = peer.kill();
    let _ = peer.wait();
    drop(owner);
    sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await
        .unwrap();
}
