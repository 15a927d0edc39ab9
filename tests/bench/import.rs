//! Legacy import benchmark (not a test): a generated old-system install
//! of the size issue 13 names (5,000 customers, 2% of them entered twice,
//! each with a property in a lot-size unit of the years and a boundary, a
//! pet, a quote; 3,000 jobs with a phone JPEG each and 2,000 payments),
//! zipped as an installer would upload it, then planned (the dry run) and
//! imported by the import's own code as `fence import-legacy` runs it:
//! wall time and the process's peak resident memory (VmHWM) for each, and
//! the verification report's verdict. See BENCHMARKS.md.
//!
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench import

use std::time::Instant;

use fence::server::config::Config;
use fence::server::storage::StorageSettings;
use leptos::config::LeptosOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use uuid::Uuid;

const CUSTOMERS: i64 = 5000;
const JOBS: i64 = 3000;
const PAYMENTS: i64 = 2000;

fn rss(field: &str) -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// The old system's folder: `fence.db` and `photos/`.
async fn generate(dir: &std::path::Path) {
    let mut db = SqliteConnectOptions::new()
        .filename(dir.join("fence.db"))
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    for sql in [
        "pragma user_version = 7",
        "create table settings (key text, value text)",
        "create table customers (id integer primary key, first_name, last_name, email, phone, address, notes, created_at, archived)",
        "create table properties (id integer primary key, customer_id, address, lot_size, boundary, wire_feet)",
        "create table pets (id integer primary key, customer_id, name, breed, weight, collar, battery_changed)",
        "create table quotes (id integer primary key, customer_id, property_id, created, status, line_items, discount, tax_rate, total, notes)",
        "create table jobs (id integer primary key, quote_id, customer_id, scheduled_date, status, crew, completed_at, notes)",
        "create table photos (id integer primary key, job_id, path, kind, taken_at)",
        "create table payments (id integer primary key, job_id, amount, method, paid_at)",
        "insert into settings values ('company_name', 'Bench Fence'), ('state', 'Texas'), ('markup', '1.15'), ('tax_rate', '8.25%')",
    ] {
        sqlx::query(sql).execute(&mut db).await.unwrap();
    }
    let mut tx = db.begin().await.unwrap();
    let dates = |i: i64| match i % 3 {
        0 => format!("2019-{:02}-{:02} 10:15:00", i % 12 + 1, i % 28 + 1),
        1 => format!("{:02}/{:02}/2020", i % 12 + 1, i % 28 + 1),
        _ => (1_500_000_000 + i * 3600).to_string(),
    };
    for i in 1..=CUSTOMERS {
        // 2% are the same homeowner again (another case, spaces).
        let email = if i % 50 == 0 {
            format!(" C{}@Homeowner.example ", i - 1)
        } else {
            format!("c{i}@homeowner.example")
        };
        let address = match i % 3 {
            0 => format!("{i} Oak St, Austin, TX 78701"),
            1 => format!("{i} Ranch Rd 620\nRound Rock Texas 78664-1234"),
            _ => format!("{i} Lakeview Rd Cedar Park tx 78613"),
        };
        sqlx::query("insert into customers values (?, ?, ?, ?, ?, ?, ?, ?, 0)")
            .bind(i)
            .bind(format!("First{i}"))
            .bind(format!("Last{i}"))
            .bind(email)
            .bind(format!("512.555.{:04}", i % 10000))
            .bind(address)
            .bind("Gate on the left")
            .bind(dates(i))
            .execute(&mut *tx)
            .await
            .unwrap();
        let lot = match i % 4 {
            0 => "0.5 acre".to_string(),
            1 => "1/4 acre".to_string(),
            2 => "21,780".to_string(),
            _ => format!("{} sqft", 8000 + i),
        };
        sqlx::query(
            "insert into properties values (?, ?, '', ?, '[[0,0],[150,0],[150,100],[0,100]]', 500)",
        )
        .bind(i)
        .bind(i)
        .bind(lot)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "insert into pets values (?, ?, 'Rex', 'Labrador', ?, 'PetSafe', '2021-05-01')",
        )
        .bind(i)
        .bind(i)
        .bind(if i % 2 == 0 { "45 lbs" } else { "20 kg" })
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "insert into quotes values (?, ?, ?, ?, ?, '[{\"desc\": \"Boundary wire\", \"qty\": 600, \"unit_price\": \"0.32\"}, {\"desc\": \"Transmitter\", \"qty\": 1, \"unit_price\": \"249.00\"}]', '25', '8.25%', '$437.31', '')",
        )
        .bind(i)
        .bind(i)
        .bind(i)
        .bind(dates(i))
        .bind(if i <= JOBS { "accepted" } else { "sent" })
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    std::fs::create_dir_all(dir.join("photos/2020")).unwrap();
    let jpeg = {
        let mut seed = 0x2545f4914f6cdd1du64;
        let img = image::RgbImage::from_fn(1600, 1200, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = (seed % 24) as u8;
            image::Rgb([(x / 7) as u8 ^ n, (y / 5) as u8 ^ n, ((x + y) / 11) as u8])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        out
    };
    for j in 1..=JOBS {
        sqlx::query("insert into jobs values (?, ?, ?, ?, ?, 'Mike & Joe', ?, '')")
            .bind(j)
            .bind(j)
            .bind(j)
            .bind(dates(j))
            .bind(if j <= PAYMENTS { "paid" } else { "done" })
            .bind(dates(j + 1))
            .execute(&mut *tx)
            .await
            .unwrap();
        let path = format!("photos/2020/job_{j}_after.jpg");
        std::fs::write(dir.join(&path), &jpeg).unwrap();
        sqlx::query("insert into photos values (?, ?, ?, 'after', ?)")
            .bind(j)
            .bind(j)
            .bind(path)
            .bind(dates(j))
            .execute(&mut *tx)
            .await
            .unwrap();
        if j <= PAYMENTS {
            sqlx::query("insert into payments values (?, ?, '$437.31', 'check', ?)")
                .bind(j)
                .bind(j)
                .bind(dates(j + 2))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    let _ = db.close().await;
}

#[tokio::main]
async fn main() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = "fence_bench_import";
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

    let work = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(&owner_url);
    config.storage = StorageSettings {
        dir: work.path().join("objects").display().to_string(),
        ..StorageSettings::default()
    };
    config.uploads.tmp_dir = work.path().join("tmp");
    config.database_url = None;
    let options = LeptosOptions::builder()
        .output_name("fence")
        .site_root("target/site")
        .build();
    let (_, state) = fence::server::router::build(config, options).await.unwrap();

    let started = Instant::now();
    let old = work.path().join("old-fence");
    std::fs::create_dir_all(&old).unwrap();
    generate(&old).await;
    let zip = work.path().join("old-fence.zip");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile, os\nroot, out = sys.argv[1], sys.argv[2]\nwith zipfile.ZipFile(out, 'w') as z:\n    for b, _, fs in os.walk(root):\n        for f in fs:\n            p = os.path.join(b, f)\n            z.write(p, os.path.join('old-fence', os.path.relpath(p, root)), zipfile.ZIP_STORED if f.endswith('.jpg') else zipfile.ZIP_DEFLATED)\n",
        )
        .arg(&old)
        .arg(&zip)
        .output()
        .expect("python3");
    assert!(out.status.success());
    let zip_mib = std::fs::metadata(&zip).unwrap().len() as f64 / 1024.0 / 1024.0;
    println!(
        "old install ready in {:.1} s: {CUSTOMERS} customers ({} entered twice), properties, pets and quotes, {JOBS} jobs with a JPEG each, {PAYMENTS} payments; zip {zip_mib:.1} MiB",
        started.elapsed().as_secs_f64(),
        CUSTOMERS / 50
    );

    let org = Uuid::new_v4();
    sqlx::query(
        "select platform.provision_tenant($1, 'Bench Import Co', 'benchimport', 'growth',
                gen_random_uuid(), 'Owner', 'owner@benchimport.example', 'x', md5(random()::text), 14)",
    )
    .bind(org)
    .execute(&mut owner)
    .await
    .unwrap();

    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let (plan, _, _) = fence::server::import::import_cli(&state, org, &zip, true)
        .await
        .unwrap();
    println!(
        "dry run: {:.1} s; peak (VmHWM) {:.1} MiB; customers {:?}",
        t.elapsed().as_secs_f64(),
        rss("VmHWM:"),
        plan.tables.iter().find(|t| t.name == "customers")
    );

    let rss_before = rss("VmRSS:");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let (_, report, _) = fence::server::import::import_cli(&state, org, &zip, false)
        .await
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let report = report.unwrap();
    let rows: i64 = report.tables.iter().map(|t| t.create + t.merge).sum();
    println!(
        "import: {secs:.1} s for {rows} rows and photos ({:.0} a second); {} photos read back and checked, {} unexplained differences",
        rows as f64 / secs,
        report.photos_checked,
        report.unexplained.len()
    );
    println!(
        "memory: resident {rss_before:.1} MiB before, peak (VmHWM) {:.1} MiB during the import",
        rss("VmHWM:")
    );
    let t = Instant::now();
    let (_, again, _) = fence::server::import::import_cli(&state, org, &zip, false)
        .await
        .unwrap();
    println!(
        "the same zip again: {:.1} s, {} new rows",
        t.elapsed().as_secs_f64(),
        again.unwrap().tables.iter().map(|t| t.create).sum::<i64>()
    );
    drop(state);
    sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await
        .unwrap();
}
