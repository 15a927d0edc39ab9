//! The legacy import (issue 13): the sample of the old system's files
//! uploaded, planned, imported and verified with nothing unexplained; the
//! same files again add nothing; an import stopped half-way leaves whole
//! customers only and the next run completes it to the same result; the
//! database and a zip of its photos uploaded separately; the
//! operator's command; who may import and what another tenant sees; and
//! hostile uploads refused with a reason and nothing kept.

use std::path::{Path, PathBuf};

use fence::api::data::{DiscardImport, GetImportOverview, StartImport};
use fence::error::AppError;
use fence::model::export::ImportRow;
use fence::server::{exports, import};
use reqwest::multipart::{Form, Part};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};

fn sample_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/legacy");
    d.join("fence.db").exists().then_some(d)
}

/// Runs Python with `argv[1]` = `out`; returns the file it wrote.
fn python(script: &str, out: &Path) -> Vec<u8> {
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(out)
        .output()
        .expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read(out).unwrap()
}

/// A zip of the sample folder, under a top folder as a user zips it.
fn sample_zip(dir: &Path, tmp: &Path) -> Vec<u8> {
    python(
        &format!(
            r#"
import sys, zipfile, os
root = {root:?}
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for base, _, files in os.walk(root):
        for f in files:
            p = os.path.join(base, f)
            z.write(p, os.path.join('old-fence', os.path.relpath(p, root)))
"#,
            root = dir.display().to_string()
        ),
        &tmp.join("sample.zip"),
    )
}

/// Uploads files to Settings → Import; the page the redirect names (with
/// its `error`, decoded, if any).
async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    sub: &str,
    files: Vec<(&str, Vec<u8>)>,
) -> String {
    let mut form = Form::new();
    for (name, bytes) in files {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_string()));
    }
    let r = c
        .post(app.url(Some(sub), "/settings/import"))
        .header("origin", app.origin(Some(sub)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    crate::helpers::url_decode(&location)
}

async fn planned(app: &TestApp, t: &Tenant) -> ImportRow {
    let o = app.as_owner(t, GetImportOverview {}).await.unwrap();
    o.imports
        .into_iter()
        .find(|r| r.status == "planned")
        .expect("a dry run")
}

async fn latest(app: &TestApp, t: &Tenant) -> ImportRow {
    app.as_owner(t, GetImportOverview {})
        .await
        .unwrap()
        .imports
        .into_iter()
        .next()
        .expect("an import")
}

async fn count(app: &TestApp, org: Uuid, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table} where org_id = $1"))
        .bind(org)
        .fetch_one(&app.owner)
        .await
        .unwrap()
}

/// Counts of what an import makes, to compare two runs.
async fn holdings(app: &TestApp, org: Uuid) -> Vec<i64> {
    let mut v = Vec::new();
    for t in [
        "customers",
        "properties",
        "pets",
        "quotes",
        "quote_versions",
        "jobs",
        "job_events",
        "photos",
        "legacy_ids",
    ] {
        v.push(count(app, org, t).await);
    }
    v
}

fn table<'a>(r: &'a ImportRow, name: &str) -> &'a fence::model::export::ImportTable {
    r.plan.tables.iter().find(|t| t.name == name).unwrap()
}

#[tokio::test]
async fn the_sample_imports_whole_verified_and_a_second_run_adds_nothing() {
    let Some(dir) = sample_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let zip = sample_zip(&dir, tmp.path());
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;

    // The dry run: nothing written yet, every row accounted for.
    let page = upload(
        &app,
        &a.client,
        &a.sub,
        vec![("old-fence.zip", zip.clone())],
    )
    .await;
    assert_eq!(page, "/settings/import", "{page}");
    assert_eq!(count(&app, a.org_id, "customers").await, 0);
    let p = planned(&app, &a).await;
    let c = table(&p, "customers");
    assert_eq!(c.old_rows, 40);
    assert!(c.merge >= 1, "{c:?}");
    assert_eq!(c.create + c.merge + c.skip, 40);
    assert_eq!(table(&p, "pets").skip, 1);
    assert_eq!(table(&p, "jobs").skip, 1);
    assert_eq!(table(&p, "photos").create, 28);
    assert!(p
        .plan
        .attention
        .iter()
        .any(|l| l.action == "merge" && l.detail.contains("the same email")));
    assert!(p
        .plan
        .settings
        .iter()
        .any(|s| s.contains("Default sales tax 8.25%")));
    let csv = app.get(&a.client, Some(&a.sub), &p.plan_csv_path()).await;
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("table,old_id,action,detail\n"));
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("customers,")).count(),
        40
    );

    // Another tenant sees none of it.
    let o = app.as_owner(&b, GetImportOverview {}).await.unwrap();
    assert!(o.imports.is_empty());
    let r = app.get(&b.client, Some(&b.sub), &p.plan_csv_path()).await;
    assert_eq!(r.status(), 404);
    let r: Result<_, AppError> = app.as_owner(&b, StartImport { id: p.id }).await;
    assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    let r: Result<_, AppError> = app.as_owner(&b, DiscardImport { id: p.id }).await;
    assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    assert_eq!(planned(&app, &a).await.id, p.id);
    // Only the owner imports.
    let admin = app.join(&a, "admin@alpha.example", "admin").await;
    let r: Result<_, AppError> = app
        .call_fn(&admin, Some(&a.sub), StartImport { id: p.id })
        .await;
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");

    // The import, run by the worker.
    let o = app.as_owner(&a, StartImport { id: p.id }).await.unwrap();
    assert!(o.imports[0].in_progress());
    while exports::build_next(&app.state).await.unwrap() {}
    let done = latest(&app, &a).await;
    assert_eq!(done.status, "ready", "{:?}", done.error);
    // Its progress counted every row written, photos included.
    let written: i64 = p.plan.tables.iter().map(|t| t.create + t.merge).sum();
    assert_eq!(
        (i64::from(done.done), i64::from(done.total)),
        (written, written)
    );
    let rep = done.report.clone().expect("a report");
    assert!(rep.unexplained.is_empty(), "{:?}", rep.unexplained);
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    assert_eq!((rep.photos_checked, rep.photos_matching), (28, 28));
    // The owner who started it is emailed (issue 12: import finished).
    let mailed: i64 = sqlx::query_scalar(
        "select count(*) from outbox where org_id = $1 and kind = 'import_done'
            and to_email = 'owner@alpha.example'",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(mailed, 1);
    let rc = rep.tables.iter().find(|t| t.name == "customers").unwrap();
    assert_eq!(rc.here, Some(rc.create + rc.merge));
    let customers = count(&app, a.org_id, "customers").await;
    assert_eq!(customers, c.create);
    for m in &rep.money {
        assert_eq!(m.old_imported, m.here, "{m:?}");
    }
    // The old settings arrived; the old ids are kept.
    let tax: String =
        sqlx::query_scalar("select data->>'default_tax_pct' from catalogues where org_id = $1")
            .bind(a.org_id)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(tax.parse::<f64>().unwrap(), 8.25);
    let old_ids: i64 =
        sqlx::query_scalar("select count(*) from legacy_ids where org_id = $1 and kind = 'quotes'")
            .bind(a.org_id)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(old_ids, table(&p, "quotes").create);
    // A quote keeps its old total and shows on the quote page.
    let (qid, total): (Uuid, rust_decimal::Decimal) = sqlx::query_as(
        "select q.id, q.total from quotes q join legacy_ids l on l.org_id = q.org_id and l.new_id = q.id
          where q.org_id = $1 and l.kind = 'quotes' and l.old_id = '2'",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(total.to_string(), "1246.89");
    let r = app
        .get(&a.client, Some(&a.sub), &format!("/quotes/{qid}"))
        .await;
    assert_eq!(r.status(), 200);
    let before = holdings(&app, a.org_id).await;
    // The homeowner's stored photo is the old file, byte for byte.
    let photo: Uuid = sqlx::query_scalar(
        "select new_id from legacy_ids where org_id = $1 and kind = 'photos' and old_id = '2'",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    let r = app
        .get(&a.client, Some(&a.sub), &format!("/photos/{photo}"))
        .await;
    assert_eq!(
        r.bytes().await.unwrap().to_vec(),
        std::fs::read(dir.join("photos/2016/job_1_after.png")).unwrap()
    );

    // The same files again: the dry run finds everything imported, and the
    // import adds nothing.
    upload(&app, &a.client, &a.sub, vec![("old-fence.zip", zip)]).await;
    let p2 = planned(&app, &a).await;
    for t in &p2.plan.tables {
        assert_eq!(t.create, 0, "{t:?}");
    }
    assert_eq!(table(&p2, "customers").already, c.create + c.merge);
    app.as_owner(&a, StartImport { id: p2.id }).await.unwrap();
    while exports::build_next(&app.state).await.unwrap() {}
    let again = latest(&app, &a).await;
    assert_eq!(again.status, "ready");
    assert!(again.report.unwrap().unexplained.is_empty());
    assert_eq!(holdings(&app, a.org_id).await, before);
    assert_eq!(count(&app, b.org_id, "customers").await, 0);

    // The operator's command, from the folder itself: nothing new either,
    // and its report is kept in the tenant too.
    let (_, report, csv) = import::import_cli(&app.state, a.org_id, &dir, false)
        .await
        .unwrap();
    assert!(report.unwrap().unexplained.is_empty());
    assert!(csv.contains("already"));
    assert_eq!(holdings(&app, a.org_id).await, before);
    let o = app.as_owner(&a, GetImportOverview {}).await.unwrap();
    assert_eq!(o.imports.iter().filter(|r| r.status == "ready").count(), 3);

    // Exported and restored into a fresh workspace, the import is still
    // known there: the same files add nothing.
    let o = app
        .as_owner(&a, fence::api::data::StartExport {})
        .await
        .unwrap();
    let export = o.exports[0].id;
    while exports::build_next(&app.state).await.unwrap() {}
    let archive = tmp.path().join("a.zip");
    assert!(app
        .state
        .storage
        .get_to_file(
            &fence::server::storage::key(a.org_id, "exports", export),
            &archive
        )
        .await
        .unwrap());
    let c = app.signup("charlie", "growth").await;
    fence::server::restore::restore_cli(&app.state, c.org_id, &archive)
        .await
        .unwrap();
    let restored = holdings(&app, c.org_id).await;
    assert_eq!(restored, before);
    // An archive made before the table existed still restores.
    let older = tmp.path().join("older.zip");
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile, json, hashlib\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             f = {n: z.read(n) for n in z.namelist() if n != 'csv/legacy_ids.csv'}\n\
             m = json.loads(f['manifest.json'])\n\
             m['tables'] = [t for t in m['tables'] if t['name'] != 'legacy_ids']\n\
             m['files'] = [e for e in m['files'] if e['path'] != 'csv/legacy_ids.csv']\n\
             f['manifest.json'] = json.dumps(m).encode()\n\
             with zipfile.ZipFile(sys.argv[2], 'w') as out:\n\
             \x20   [out.writestr(n, d) for n, d in f.items()]\n",
        )
        .arg(&archive)
        .arg(&older)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d = app.signup("delta", "growth").await;
    fence::server::restore::restore_cli(&app.state, d.org_id, &older)
        .await
        .expect("an archive without legacy_ids restores");
    assert_eq!(count(&app, d.org_id, "customers").await, restored[0]);
    assert_eq!(count(&app, d.org_id, "legacy_ids").await, 0);
    let (_, report, _) = import::import_cli(&app.state, c.org_id, &dir, false)
        .await
        .unwrap();
    assert!(report.unwrap().unexplained.is_empty());
    assert_eq!(holdings(&app, c.org_id).await, restored);

    // A record gone since (deleted, or a restore to before the import):
    // its old id no longer counts as imported, and the next run brings it
    // back.
    sqlx::query(
        "delete from pets where org_id = $1 and id = (select new_id from legacy_ids
          where org_id = $1 and kind = 'pets' order by old_id limit 1)",
    )
    .bind(a.org_id)
    .execute(&app.owner)
    .await
    .unwrap();
    let (plan, report, _) = import::import_cli(&app.state, a.org_id, &dir, false)
        .await
        .unwrap();
    assert_eq!(
        plan.tables
            .iter()
            .find(|t| t.name == "pets")
            .unwrap()
            .create,
        1
    );
    assert!(report.unwrap().unexplained.is_empty());
    assert_eq!(holdings(&app, a.org_id).await, before);
}

#[tokio::test]
async fn a_stopped_import_leaves_whole_customers_and_the_next_run_completes_it() {
    let Some(dir) = sample_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let zip = sample_zip(&dir, tmp.path());
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    // A clean import elsewhere, to compare with.
    upload(
        &app,
        &b.client,
        &b.sub,
        vec![("old-fence.zip", zip.clone())],
    )
    .await;
    let pb = planned(&app, &b).await;
    app.as_owner(&b, StartImport { id: pb.id }).await.unwrap();
    while exports::build_next(&app.state).await.unwrap() {}
    let whole = holdings(&app, b.org_id).await;

    // No room for photos: the import stops at the first customer with one.
    sqlx::query("update organizations set storage_quota_mb = 1 where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    sqlx::query(
        "insert into storage_usage (org_id, bytes) values ($1, 1048576)
         on conflict (org_id) do update set bytes = excluded.bytes",
    )
    .bind(a.org_id)
    .execute(&app.owner)
    .await
    .unwrap();
    upload(
        &app,
        &a.client,
        &a.sub,
        vec![("old-fence.zip", zip.clone())],
    )
    .await;
    let p = planned(&app, &a).await;
    app.as_owner(&a, StartImport { id: p.id }).await.unwrap();
    while exports::build_next(&app.state).await.unwrap() {}
    let failed = latest(&app, &a).await;
    assert_eq!(failed.status, "failed");
    let why = failed.error.unwrap();
    assert!(
        why.contains("importing the same files again continues"),
        "{why}"
    );
    let part = count(&app, a.org_id, "customers").await;
    assert!(part > 0 && part < whole[0], "{part}");
    // Whole customers only: every customer mapped has all its old
    // properties, and nothing is mapped whose customer is not.
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from properties p where p.org_id = $1
            and not exists (select 1 from customers c where c.org_id = p.org_id and c.id = p.customer_id)",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    // No job was kept without the photos its customer's transaction was
    // to add: the jobs mapped are those the old file has no photos for.
    let old = fence::server::legacy::read(&dir.join("fence.db"))
        .await
        .unwrap();
    let with_photos: std::collections::HashSet<String> = old
        .rows("photos")
        .iter()
        .map(|r| fence::server::legacy::field(r, "job_id").to_string())
        .collect();
    let jobs: Vec<String> =
        sqlx::query_scalar("select old_id from legacy_ids where org_id = $1 and kind = 'jobs'")
            .bind(a.org_id)
            .fetch_all(&app.owner)
            .await
            .unwrap();
    for j in &jobs {
        assert!(
            !with_photos.contains(j),
            "job {j} was kept without its photos"
        );
    }
    assert_eq!(count(&app, a.org_id, "photos").await, 0);

    // Room again: the same files continue where it stopped, to the same
    // result as the clean import.
    sqlx::query("update organizations set storage_quota_mb = null where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    upload(&app, &a.client, &a.sub, vec![("old-fence.zip", zip)]).await;
    let p2 = planned(&app, &a).await;
    assert_eq!(table(&p2, "customers").already, part);
    app.as_owner(&a, StartImport { id: p2.id }).await.unwrap();
    while exports::build_next(&app.state).await.unwrap() {}
    let done = latest(&app, &a).await;
    assert_eq!(done.status, "ready", "{:?}", done.error);
    assert!(done.report.unwrap().unexplained.is_empty());
    assert_eq!(holdings(&app, a.org_id).await, whole);
}

/// Python writing a hostile old database to `argv[1]`.
const HOSTILE_DB: &str = r#"
import sys, sqlite3
c = sqlite3.connect(sys.argv[1])
c.executescript('''
create table customers (id, first_name, last_name, email, phone, address, notes, created_at, archived);
create table properties (id, customer_id, address, lot_size, boundary, wire_feet);
create table quotes (id, customer_id, property_id, created, status, line_items, discount, tax_rate, total, notes);
create table jobs (id, quote_id, customer_id, scheduled_date, status, crew, completed_at, notes);
create table photos (id, job_id, path, kind, taken_at);
create trigger t after insert on customers begin select 1; end;
''')
c.execute("insert into customers values (1, '<script>alert(1)</script>', \"'; drop table customers; --\", 'x@x.example', '555', 'nowhere', '<img src=x onerror=alert(2)>', 'yesterday', 0)")
c.execute("insert into customers values (2, 'Robert', 'Tables', 'not-an-email', '(512) 555-0100', '1 Oak St, Austin, TX 78701', '', '2020-01-01', 1)")
c.execute("insert into properties values (1, 1, '', 'huge', '[[0,0],[1e400,0]]', 'x')")
c.execute("insert into quotes values (1, 1, 1, '', 'SENT', 'not json', 'abc', '999%', '$12.00', '=cmd|calc')")
c.execute("insert into jobs values (1, 1, 1, '', 'paid', '', '', '')")
c.execute("insert into photos values (1, 1, '../../../etc/passwd', 'before', '')")
c.execute("insert into photos values (2, 1, '/etc/passwd', 'before', '')")
c.execute("insert into photos values (3, 1, 'photos/missing.png', 'after', '')")
c.commit()
"#;

#[tokio::test]
async fn hostile_uploads_are_refused_or_read_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let refused = [
        (
            "not a database or zip",
            vec![("notes.txt", b"hello, this is text".to_vec())],
            "neither the old system's database",
        ),
        (
            "a truncated zip",
            vec![("old.zip", {
                let z = python(
                    "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('fence.db', b'SQLite format 3\\x00' + b'x' * 100000)\n",
                    &tmp.path().join("t.zip"),
                );
                z[..z.len() / 2].to_vec()
            })],
            "incomplete or damaged",
        ),
        (
            "a zip bomb",
            vec![("bomb.zip", python(
                "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    z.writestr('fence.db', b'\\x00' * (64 * 1024 * 1024))\n",
                &tmp.path().join("bomb.zip"),
            ))],
            "zip bomb",
        ),
        (
            "a zip without fence.db",
            vec![("photos.zip", python(
                "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('photos/a.png', b'x')\n",
                &tmp.path().join("p.zip"),
            ))],
            "holds no fence.db",
        ),
        (
            "a fence.db that is not SQLite",
            vec![("old.zip", python(
                "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n    z.writestr('fence.db', b'MZ this is an executable')\n",
                &tmp.path().join("n.zip"),
            ))],
            "not an SQLite file",
        ),
    ];
    for (what, files, message) in refused {
        let page = upload(&app, &a.client, &a.sub, files).await;
        assert!(page.contains(message), "{what}: {page}");
    }
    let o = app.as_owner(&a, GetImportOverview {}).await.unwrap();
    assert!(o.imports.is_empty(), "a refused upload was kept");

    // A database of hostile text: planned, imported as text, paths that
    // leave the upload skipped, the triggers it carries never run.
    let db = python(HOSTILE_DB, &tmp.path().join("fence.db"));
    let page = upload(&app, &a.client, &a.sub, vec![("fence.db", db)]).await;
    assert_eq!(page, "/settings/import", "{page}");
    let p = planned(&app, &a).await;
    let outside: Vec<_> = p
        .plan
        .attention
        .iter()
        .filter(|l| l.table == "photos" && l.detail.contains("points outside the upload"))
        .collect();
    assert_eq!(outside.len(), 2, "{:?}", p.plan.attention);
    assert!(p
        .plan
        .attention
        .iter()
        .any(|l| l.table == "photos" && l.detail.contains("missing from the upload")));
    let csv = app
        .get(&a.client, Some(&a.sub), &p.plan_csv_path())
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains(",\"=cmd"), "a formula reached the CSV: {csv}");
    app.as_owner(&a, StartImport { id: p.id }).await.unwrap();
    while exports::build_next(&app.state).await.unwrap() {}
    let done = latest(&app, &a).await;
    assert_eq!(done.status, "ready", "{:?}", done.error);
    let names: Vec<(String, String, Option<String>)> =
        sqlx::query_as("select name, notes, email from customers where org_id = $1 order by name")
            .bind(a.org_id)
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(names.len(), 2);
    assert_eq!(
        names[0].0,
        "<script>alert(1)</script> '; drop table customers; --"
    );
    assert!(names[0].1.contains("<img src=x onerror=alert(2)>"));
    assert_eq!(names[1].2, None, "an email that is none was kept as one");
    assert!(names[1].1.contains("not-an-email"));
    // The page shows the text as text.
    let r = app.get(&a.client, Some(&a.sub), "/customers").await;
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>alert(1)"));
    assert_eq!(count(&app, a.org_id, "photos").await, 0);

    // A dry run can be dropped; one nobody confirms goes after a week,
    // with its upload.
    let db = python(HOSTILE_DB, &tmp.path().join("fence2.db"));
    upload(&app, &a.client, &a.sub, vec![("fence.db", db.clone())]).await;
    let p = planned(&app, &a).await;
    app.as_owner(&a, DiscardImport { id: p.id }).await.unwrap();
    let o = app.as_owner(&a, GetImportOverview {}).await.unwrap();
    assert!(o.imports.iter().all(|r| r.status != "planned"));
    upload(&app, &a.client, &a.sub, vec![("fence.db", db)]).await;
    let p = planned(&app, &a).await;
    let stored = fence::server::storage::key(a.org_id, "import-uploads", p.id);
    assert!(app.state.storage.get(&stored).await.unwrap().is_some());
    exports::housekeeping(&app.state).await.unwrap();
    assert_eq!(
        planned(&app, &a).await.id,
        p.id,
        "a fresh dry run was dropped"
    );
    sqlx::query(
        "update exports set created_at = now() - interval '8 days' where org_id = $1 and id = $2",
    )
    .bind(a.org_id)
    .bind(p.id)
    .execute(&app.owner)
    .await
    .unwrap();
    exports::housekeeping(&app.state).await.unwrap();
    let o = app.as_owner(&a, GetImportOverview {}).await.unwrap();
    assert!(o.imports.iter().all(|r| r.status != "planned"));
    assert!(app.state.storage.get(&stored).await.unwrap().is_none());
}

#[tokio::test]
async fn fence_db_and_a_zip_of_the_photos_upload_separately() {
    let Some(dir) = sample_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // The photos folder's contents zipped as they are (no `photos/` at the
    // top), the database beside it.
    let photos = python(
        &format!(
            r#"
import sys, zipfile, os
root = {root:?}
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for base, _, files in os.walk(root):
        for f in files:
            p = os.path.join(base, f)
            z.write(p, os.path.relpath(p, root))
"#,
            root = dir.join("photos").display().to_string()
        ),
        &tmp.path().join("photos.zip"),
    );
    let db = std::fs::read(dir.join("fence.db")).unwrap();
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let page = upload(
        &app,
        &a.client,
        &a.sub,
        vec![("photos.zip", photos), ("fence.db", db)],
    )
    .await;
    assert_eq!(page, "/settings/import", "{page}");
    let p = planned(&app, &a).await;
    assert_eq!(table(&p, "photos").create, 28);
    assert!(p.file.contains("fence.db") && p.file.contains("photos.zip"));
    app.as_owner(&a, StartImport { id: p.id }).await.unwrap();
    while exports::build_next(&app.state).await.unwrap() {}
    let done = latest(&app, &a).await;
    assert_eq!(done.status, "ready", "{:?}", done.error);
    let rep = done.report.unwrap();
    assert!(rep.unexplained.is_empty(), "{:?}", rep.unexplained);
    assert_eq!((rep.photos_checked, rep.photos_matching), (28, 28));
    // The old logo came with the photos.
    let logo: i32 = sqlx::query_scalar("select logo_version from organizations where id = $1")
        .bind(a.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(logo, 1);
}
