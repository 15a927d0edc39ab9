//! Export benchmark (not a test): one tenant of the size issue 13 names
//! (5,000 customers, each with a property and its boundary drawing, a pet,
//! a quote with two versions; 3,000 jobs, each with a photo of 150 KB of
//! incompressible bytes, as phone JPEGs are), then its archive built by the
//! export worker's own code in this process, as `fence serve` runs it:
//! wall time, rows and photos per second, the archive's size, and the
//! process's peak resident memory (VmHWM) over the build. Then the
//! archive restored by the restore's own code: in place (the photos are
//! already stored) and into a fresh workspace (every photo checked,
//! decoded for its thumbnail and stored), each timed with its peak memory.
//! The photos are real JPEGs here, since a restore decodes them. See
//! BENCHMARKS.md.
//!
//!   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --features ssr --bench export

use std::time::Instant;

use fence::server::config::Config;
use fence::server::storage::{key, StorageSettings};
use leptos::config::LeptosOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

const CUSTOMERS: i32 = 5000;
const JOBS: i32 = 3000;

fn rss(field: &str) -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() {
    let admin = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = "fence_bench_export";
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

    let objects = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(&owner_url);
    config.storage = StorageSettings {
        dir: objects.path().join("objects").display().to_string(),
        ..StorageSettings::default()
    };
    config.uploads.tmp_dir = objects.path().join("tmp");
    config.database_url = None;
    let options = LeptosOptions::builder()
        .output_name("fence")
        .site_root("target/site")
        .build();
    let (_, state) = fence::server::router::build(config, options).await.unwrap();

    // The tenant and its rows.
    let started = Instant::now();
    let org = Uuid::new_v4();
    sqlx::query(
        "select platform.provision_tenant($1, 'Bench Export Co', 'benchexport', 'growth',
                gen_random_uuid(), 'Owner', 'owner@benchexport.example', 'x', md5(random()::text), 14)",
    )
    .bind(org)
    .execute(&mut owner)
    .await
    .unwrap();
    let drawing = r#"{"boundary":[{"x":0,"y":0},{"x":180,"y":0},{"x":180,"y":120},{"x":0,"y":120}],"transmitter":{"x":20,"y":125},"lead":[{"x":20,"y":120}],"crossings":[],"layout":"perimeter","width_ft":200}"#;
    for sql in [
        "insert into customers (org_id, id, name, email, phone, street, city, state, zip, notes)
         select $1, gen_random_uuid(), 'Customer ' || g, 'c' || g || '@homeowner.example',
                '(512) 555-' || lpad((g % 10000)::text, 4, '0'), g || ' Main St', 'Austin', 'TX',
                '78701', 'Gate code ' || g
           from generate_series(1, $2) g",
        "insert into properties (org_id, id, customer_id, street, city, state, zip, lot_sqft, drawing)
         select org_id, gen_random_uuid(), id, street, city, state, zip, 21780, $2::jsonb
           from customers where org_id = $1",
        "insert into pets (org_id, id, property_id, name, breed, weight_lb)
         select org_id, gen_random_uuid(), id, 'Rex', 'Labrador', 60 from properties where org_id = $1",
        "insert into quotes (org_id, id, number, property_id, customer_id, status, version, total)
         select org_id, gen_random_uuid(), row_number() over (order by id), id, customer_id,
                'approved', 2, 2450.00
           from properties where org_id = $1",
        "insert into quote_versions (org_id, quote_id, version, drawing, terms, takeoff, priced, total)
         select q.org_id, q.id, v, $2::jsonb, '{\"discount_pct\":\"5\",\"tax_pct\":\"7.25\"}'::jsonb,
                '{\"wire_ft\":600,\"flags\":120}'::jsonb,
                '[{\"item\":\"Wire\",\"qty\":600,\"price\":0.45},{\"item\":\"Transmitter\",\"qty\":1,\"price\":349}]'::jsonb,
                2450.00
           from quotes q, generate_series(1, 2) v where q.org_id = $1",
    ] {
        // `$2` is the customer count, or the drawing where it is JSON.
        let mut q = sqlx::query(sql).bind(org);
        if sql.contains("$2::jsonb") {
            q = q.bind(drawing);
        } else if sql.contains("$2") {
            q = q.bind(CUSTOMERS);
        }
        q.execute(&mut owner).await.unwrap();
    }
    sqlx::query(
        "insert into jobs (org_id, id, number, quote_id, property_id, customer_id, status, total)
         select org_id, gen_random_uuid(), number, id, property_id, customer_id, 'completed', total
           from quotes where org_id = $1 and number <= $2",
    )
    .bind(org)
    .bind(JOBS)
    .execute(&mut owner)
    .await
    .unwrap();
    let photos: Vec<Uuid> = sqlx::query_scalar(
        "insert into photos (org_id, id, job_id, kind, content_type, size_bytes, width, height)
         select org_id, gen_random_uuid(), id, 'after', 'image/jpeg', $2, 1600, 1200
           from jobs where org_id = $1
         returning id",
    )
    .bind(org)
    .bind(1)
    .fetch_all(&mut owner)
    .await
    .unwrap();
    // One phone-sized JPEG (a gradient with noise), stored
    // for every photo row.
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
    sqlx::query("update photos set size_bytes = $2 where org_id = $1")
        .bind(org)
        .bind(jpeg.len() as i32)
        .execute(&mut owner)
        .await
        .unwrap();
    for id in &photos {
        state
            .storage
            .put(&key(org, "photos", *id), jpeg.clone())
            .await
            .unwrap();
    }
    sqlx::query("vacuum analyze")
        .execute(&mut owner)
        .await
        .unwrap();
    println!(
        "tenant ready in {:.1} s: {CUSTOMERS} customers, properties, pets and quotes (2 versions each), {JOBS} jobs and JPEG photos of {} KB",
        started.elapsed().as_secs_f64(),
        jpeg.len() / 1024
    );

    // The export, as the worker builds it.
    let rss_before = rss("VmRSS:");
    // Resets VmHWM to the current size, so the peak is the export's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    sqlx::query("insert into exports (org_id, kind) values ($1, 'export')")
        .bind(org)
        .execute(&mut owner)
        .await
        .unwrap();
    let t = Instant::now();
    assert!(fence::server::exports::build_next(&state).await.unwrap());
    let secs = t.elapsed().as_secs_f64();
    let (status, size, total): (String, Option<i64>, i32) =
        sqlx::query_as("select status, size_bytes, total from exports where org_id = $1")
            .bind(org)
            .fetch_one(&mut owner)
            .await
            .unwrap();
    assert_eq!(status, "ready");
    let size = size.unwrap_or(0) as f64 / 1024.0 / 1024.0;
    println!(
        "export: {secs:.1} s for {total} rows and photos ({:.0} a second), archive {size:.1} MiB ({:.1} MiB/s)",
        total as f64 / secs,
        size / secs
    );
    println!(
        "memory: resident {rss_before:.1} MiB before, peak (VmHWM) {:.1} MiB during the export",
        rss("VmHWM:")
    );

    // The same archive restored: in place, then into a fresh workspace.
    let export_id: Uuid =
        sqlx::query_scalar("select id from exports where org_id = $1 and kind = 'export'")
            .bind(org)
            .fetch_one(&mut owner)
            .await
            .unwrap();
    let archive = objects.path().join("archive.zip");
    assert!(state
        .storage
        .get_to_file(&key(org, "exports", export_id), &archive)
        .await
        .unwrap());
    let fresh = Uuid::new_v4();
    sqlx::query(
        "select platform.provision_tenant($1, 'Bench Restore Co', 'benchrestore', 'growth',
                gen_random_uuid(), 'Owner', 'owner@benchrestore.example', 'x', md5(random()::text), 14)",
    )
    .bind(fresh)
    .execute(&mut owner)
    .await
    .unwrap();
    for (what, into) in [("in place", org), ("into a fresh workspace", fresh)] {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let t = Instant::now();
        let report = fence::server::restore::restore_cli(&state, into, &archive)
            .await
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        let rows: i64 = report.tables.iter().map(|t| t.restored).sum();
        println!(
            "restore {what}: {secs:.1} s for {rows} rows and {} photos; peak (VmHWM) {:.1} MiB",
            report.photos,
            rss("VmHWM:")
        );
    }
    drop(state);
    sqlx::query(&format!("drop database if exists {db} with (force)"))
        .execute(&mut a)
        .await
        .unwrap();
}
