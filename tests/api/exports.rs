//! Exports on demand and daily backups (issue 13): what an archive holds
//! (every table as CSV and in one SQLite file, the photos, a manifest whose
//! checksums match), who may ask for and download one, one at a time,
//! another tenant's archive out of reach, the worker's lease taken over
//! after a crash, daily backups by plan and their expiry.

use std::collections::HashMap;

use fence::api::data::{GetDataOverview, StartExport};
use fence::error::AppError;
use fence::server::exports;
use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};
use crate::trade::full_flow;

/// Every file in a zip, by name (checked against each entry's CRC).
async fn unzip(bytes: Vec<u8>) -> HashMap<String, Vec<u8>> {
    let zip = async_zip::base::read::mem::ZipFileReader::new(bytes)
        .await
        .expect("a readable zip");
    let mut out = HashMap::new();
    for i in 0..zip.file().entries().len() {
        let name = zip.file().entries()[i]
            .filename()
            .as_str()
            .unwrap()
            .to_string();
        let mut r = zip.reader_with_entry(i).await.unwrap();
        let mut buf = Vec::new();
        r.read_to_end_checked(&mut buf).await.expect("CRC matches");
        out.insert(name, buf);
    }
    out
}

async fn download(app: &TestApp, t: &Tenant, id: Uuid) -> reqwest::Response {
    app.get(&t.client, Some(&t.sub), &format!("/exports/{id}/download"))
        .await
}

#[tokio::test]
async fn an_export_holds_every_table_the_photos_and_true_checksums_and_nothing_of_another_tenant() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    let fa = full_flow(&app, &a).await;
    full_flow(&app, &b).await;
    // Text that CSV and HTML must carry as text.
    app.customer(&a, "Ann \"Quote\", <b>Bold</b>; drop table x", "")
        .await;

    let o = app.as_owner(&a, StartExport {}).await.unwrap();
    assert_eq!(o.exports.len(), 1);
    assert!(o.exports[0].in_progress(), "{:?}", o.exports[0]);
    let id = o.exports[0].id;
    // One at a time.
    let again = app.as_owner(&a, StartExport {}).await;
    assert!(
        matches!(&again, Err(AppError::Conflict(m)) if m.contains("already")),
        "{again:?}"
    );
    // The worker builds A's only (B asked for none).
    assert!(exports::build_next(&app.state).await.unwrap());
    assert!(!exports::build_next(&app.state).await.unwrap());
    let o = app.as_owner(&a, GetDataOverview {}).await.unwrap();
    let row = &o.exports[0];
    assert_eq!(row.status, "ready", "{row:?}");
    let photo_count: i64 = sqlx::query_scalar("select count(*) from photos where org_id = $1")
        .bind(a.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert!(photo_count >= 1);
    assert_eq!(row.photos, Some(photo_count as i32));
    assert_eq!(row.photos_missing, Some(0));
    assert_eq!(row.done, row.total);
    assert!(row.total > 10, "{row:?}");
    // The requester is told.
    let mail = app.last_email(&a.email).await.expect("an email");
    assert!(mail.contains("export"), "{mail}");
    assert!(mail.contains("/settings/data"), "{mail}");

    let r = download(&app, &a, id).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"alpha-export-"),
        "{disposition}"
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    let (size, sha): (i64, String) =
        sqlx::query_as("select size_bytes, sha256 from exports where id = $1")
            .bind(id)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(bytes.len() as i64, size);
    assert_eq!(hex::encode(Sha256::digest(&bytes)), sha);

    // A tool written by others opens it.
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("a.zip");
    std::fs::write(&zip_path, &bytes).unwrap();
    let py = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))",
        ])
        .arg(&zip_path)
        .output()
        .expect("python3");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );

    let files = unzip(bytes).await;
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["format"], "fenceline-export");
    assert_eq!(manifest["workspace"], "alpha");
    // Every file listed, with its true size and checksum; every file but
    // the manifest listed.
    let listed = manifest["files"].as_array().unwrap();
    for f in listed {
        let path = f["path"].as_str().unwrap();
        let body = files.get(path).unwrap_or_else(|| panic!("{path} missing"));
        assert_eq!(f["bytes"].as_u64().unwrap(), body.len() as u64, "{path}");
        assert_eq!(
            f["sha256"].as_str().unwrap(),
            hex::encode(Sha256::digest(body)),
            "{path}"
        );
    }
    assert_eq!(listed.len() + 1, files.len());
    for t in exports::TABLES {
        assert!(
            files.contains_key(&format!("csv/{}.csv", t.name)),
            "{}",
            t.name
        );
    }
    // Row counts as in the database.
    let rows = |name: &str| {
        manifest["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["rows"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(rows("customers"), 2);
    assert_eq!(rows("quotes"), 1);
    assert_eq!(rows("jobs"), 1);
    assert_eq!(rows("photos"), photo_count);
    assert_eq!(rows("users"), 1);

    // A's rows, none of B's; text kept as text (CSV quoting).
    let customers = String::from_utf8(files["csv/customers.csv"].clone()).unwrap();
    assert!(customers.starts_with("id,name,email,phone,"), "{customers}");
    assert!(customers.contains("alpha Homeowner"));
    assert!(customers.contains(r#""Ann ""Quote"", <b>Bold</b>; drop table x""#));
    for (name, body) in &files {
        if name.ends_with(".csv") || name.ends_with(".json") || name.ends_with(".txt") {
            let text = String::from_utf8_lossy(body);
            assert!(!text.contains("bravo"), "{name} holds B's data");
            assert!(!text.contains(&b.org_id.to_string()), "{name} holds B's id");
        }
    }
    let users = String::from_utf8(files["csv/users.csv"].clone()).unwrap();
    assert!(!users.contains("argon2"), "no password hashes");
    // The photo, byte for byte as stored.
    let photo_file = format!("photos/{}.png", fa.photo);
    let stored = app
        .state
        .storage
        .get(&fence::server::storage::key(a.org_id, "photos", fa.photo))
        .await
        .unwrap()
        .unwrap();
    let in_zip = files
        .iter()
        .find(|(k, _)| k.starts_with(&format!("photos/{}", fa.photo)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap_or_else(|| panic!("{photo_file} missing: {:?}", files.keys()));
    assert_eq!(in_zip.1, stored);
    let photos_csv = String::from_utf8(files["csv/photos.csv"].clone()).unwrap();
    assert!(photos_csv.contains(&in_zip.0), "{photos_csv}");

    // The SQLite file: the same tables, typed.
    let db_path = dir.path().join("a.sqlite");
    std::fs::write(&db_path, &files["fenceline.sqlite"]).unwrap();
    let mut lite = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap();
    let names: Vec<String> = sqlx::query_scalar("select name from customers order by name")
        .fetch_all(&mut lite)
        .await
        .unwrap();
    assert_eq!(
        names,
        vec![
            "Ann \"Quote\", <b>Bold</b>; drop table x".to_string(),
            "alpha Homeowner".to_string()
        ]
    );
    let job = sqlx::query("select number, total, typeof(number) as t from jobs")
        .fetch_one(&mut lite)
        .await
        .unwrap();
    assert_eq!(job.get::<i64, _>("number"), 1);
    assert_eq!(job.get::<String, _>("t"), "integer");
    assert!(job.get::<f64, _>("total") > 100.0);
    for t in exports::TABLES {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from \"{}\"", t.name))
            .fetch_one(&mut lite)
            .await
            .unwrap();
        assert_eq!(n, rows(t.name), "{}", t.name);
    }
    lite.close().await.unwrap();

    // Out of reach: B's owner on B's host, A's id; no session; a crew member.
    assert_eq!(download(&app, &b, id).await.status(), 404);
    let r = app
        .get(
            &app.client(),
            Some(&a.sub),
            &format!("/exports/{id}/download"),
        )
        .await;
    assert_eq!(r.status(), 303, "to the sign-in page");
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    let crew = app.join(&a, "crew@alpha.example", "crew").await;
    let r = app
        .get(&crew, Some(&a.sub), &format!("/exports/{id}/download"))
        .await;
    assert_eq!(r.status(), 403);
    // B's session on A's host is not a session there.
    let r = b
        .client
        .get(app.url(Some(&a.sub), &format!("/exports/{id}/download")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "to the sign-in page");
    // B sees no export of A's in its list.
    let ob = app.as_owner(&b, GetDataOverview {}).await.unwrap();
    assert!(ob.exports.is_empty());
}

#[tokio::test]
async fn only_owners_and_admins_export_and_a_read_only_workspace_still_can() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let crew = app.join(&a, "crew@alpha.example", "crew").await;
    let r: Result<_, AppError> = app.call_fn(&crew, Some(&a.sub), StartExport {}).await;
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    let r: Result<_, AppError> = app.call_fn(&crew, Some(&a.sub), GetDataOverview {}).await;
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    let admin = app.join(&a, "admin@alpha.example", "admin").await;
    let o = app
        .call_fn(&admin, Some(&a.sub), StartExport {})
        .await
        .expect("an admin exports");
    assert_eq!(o.exports[0].requested_by.as_deref(), Some("admin"));
    assert!(exports::build_next(&app.state).await.unwrap());

    // A trial that ended without a card: read-only, and the data can
    // still be taken out (writes stay refused).
    sqlx::query("update organizations set trial_ends_at = now() - interval '1 day' where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    app.settle().await;
    let o = app
        .as_owner(&a, StartExport {})
        .await
        .expect("export while read-only");
    assert_eq!(o.exports.len(), 2);
    let r = app
        .as_owner(
            &a,
            fence::api::customers::CreateCustomer {
                form: crate::helpers::customer_input("Late", "late@alpha.example"),
                wizard: None,
            },
        )
        .await;
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    assert!(exports::build_next(&app.state).await.unwrap());
    let o = app.as_owner(&a, GetDataOverview {}).await.unwrap();
    assert!(o.exports.iter().all(|e| e.status == "ready"), "{o:?}");
    let r = download(&app, &a, o.exports[0].id).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_worker_that_dies_leaves_the_export_to_the_next_and_three_deaths_fail_it() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "starter").await;
    app.as_owner(&a, StartExport {}).await.unwrap();
    // A worker claims it and dies (its lease is never renewed).
    let claim = fence::server::repo::exports::claim(&app.state.pool, 120)
        .await
        .unwrap()
        .expect("claimed");
    assert_eq!(claim.attempts, 1);
    // Within the lease nobody else takes it.
    assert!(!exports::build_next(&app.state).await.unwrap());
    let expire = || async {
        sqlx::query("update exports set lease_until = now() - interval '1 second' where id = $1")
            .bind(claim.id)
            .execute(&app.owner)
            .await
            .unwrap();
    };
    expire().await;
    // The next worker builds it from scratch.
    assert!(exports::build_next(&app.state).await.unwrap());
    let o = app.as_owner(&a, GetDataOverview {}).await.unwrap();
    assert_eq!(o.exports[0].status, "ready");
    let attempts: i32 = sqlx::query_scalar("select attempts from exports where id = $1")
        .bind(claim.id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(attempts, 2);

    // Three workers die on the next one: it is failed, with a reason.
    app.as_owner(&a, StartExport {}).await.unwrap();
    for _ in 0..3 {
        let c = fence::server::repo::exports::claim(&app.state.pool, 120)
            .await
            .unwrap()
            .expect("claimed");
        sqlx::query("update exports set lease_until = now() - interval '1 second' where id = $1")
            .bind(c.id)
            .execute(&app.owner)
            .await
            .unwrap();
    }
    assert!(!exports::build_next(&app.state).await.unwrap());
    let o = app.as_owner(&a, GetDataOverview {}).await.unwrap();
    assert_eq!(o.exports[0].status, "failed");
    assert!(o.exports[0]
        .error
        .as_deref()
        .unwrap()
        .contains("three attempts"));
    // And a new one can be asked for.
    app.as_owner(&a, StartExport {}).await.unwrap();
}

#[tokio::test]
async fn growth_workspaces_get_a_daily_backup_kept_for_its_days_and_starter_none() {
    let app = TestApp::spawn_with(|c| c.backup_keep_days = 3).await;
    let s = app.signup("small", "starter").await;
    let g = app.signup("grower", "growth").await;
    app.customer(&g, "Gina Grower", "").await;
    exports::housekeeping(&app.state).await.unwrap();
    while exports::build_next(&app.state).await.unwrap() {}
    let og = app.as_owner(&g, GetDataOverview {}).await.unwrap();
    assert!(og.backups_included);
    assert_eq!(og.backup_keep_days, 3);
    assert_eq!(og.backups.len(), 1, "{og:?}");
    let backup = &og.backups[0];
    assert_eq!(backup.status, "ready");
    assert!(backup.requested_by.is_none());
    let os = app.as_owner(&s, GetDataOverview {}).await.unwrap();
    assert!(!os.backups_included);
    assert!(os.backups.is_empty());
    // The backup is the tenant's archive, downloadable.
    let r = download(&app, &g, backup.id).await;
    assert_eq!(r.status(), 200);
    let files = unzip(r.bytes().await.unwrap().to_vec()).await;
    assert!(String::from_utf8_lossy(&files["csv/customers.csv"]).contains("Gina Grower"));
    // Kept for three days.
    let days: f64 = sqlx::query_scalar(
        "select (extract(epoch from expires_at - finished_at) / 86400)::float8 from exports where id = $1",
    )
    .bind(backup.id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert!((days - 3.0).abs() < 0.01, "{days}");

    // The same day: no second backup.
    exports::housekeeping(&app.state).await.unwrap();
    assert!(!exports::build_next(&app.state).await.unwrap());
    // Past its keeping time: the object is deleted and the row says so.
    sqlx::query("update exports set expires_at = now() - interval '1 minute' where id = $1")
        .bind(backup.id)
        .execute(&app.owner)
        .await
        .unwrap();
    exports::housekeeping(&app.state).await.unwrap();
    assert_eq!(download(&app, &g, backup.id).await.status(), 404);
    let stored = app
        .state
        .storage
        .get(&fence::server::storage::key(g.org_id, "exports", backup.id))
        .await
        .unwrap();
    assert!(stored.is_none());
    let og = app.as_owner(&g, GetDataOverview {}).await.unwrap();
    assert!(og.backups.is_empty(), "{og:?}");
}
