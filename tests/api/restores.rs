//! Restoring a workspace (issue 13): from one of its daily backups after
//! changes (the changes are gone, nothing else moved, another tenant
//! untouched), an export into a fresh workspace through the upload and
//! through the operator's command (the two compare equal), who may
//! restore, and hostile archives refused with a reason and nothing
//! changed.

use std::collections::BTreeMap;

use fence::api::data::{GetDataOverview, RestorePreview as Preview, StartExport, StartRestore};
use fence::error::AppError;
use fence::server::{exports, restore, TenantTx};
use reqwest::multipart::{Form, Part};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};
use crate::trade::full_flow;

/// The tables a restore puts back (and the company's settings).
const COMPARED: &[&str] = &[
    "company",
    "customers",
    "properties",
    "pets",
    "quotes",
    "quote_versions",
    "jobs",
    "job_events",
    "photos",
    "crews",
    "crew_members",
    "route_savings",
    "price_book",
    "zone_overrides",
    "email_templates",
];

/// Every row of the compared tables as the tenant sees them, as JSON
/// without the `ignored` keys, sorted.
async fn fingerprint(
    app: &TestApp,
    org: Uuid,
    ignored: &[&str],
) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut tx = TenantTx::begin(&app.state.pool, org).await.unwrap();
    let ignored: Vec<String> = ignored.iter().map(|s| s.to_string()).collect();
    let mut out = BTreeMap::new();
    for t in exports::TABLES
        .iter()
        .filter(|t| COMPARED.contains(&t.name))
    {
        let sql = format!(
            "select row_to_json(t)::jsonb - $1::text[] from ({}) t",
            t.sql
        );
        let mut rows: Vec<serde_json::Value> = sqlx::query_scalar(&sql)
            .bind(&ignored)
            .fetch_all(tx.conn())
            .await
            .unwrap();
        rows.sort_by_key(|v| v.to_string());
        out.insert(t.name.to_string(), rows);
    }
    tx.commit().await.unwrap();
    out
}

/// An export of `t`, built and downloaded.
async fn export_of(app: &TestApp, t: &Tenant) -> Vec<u8> {
    let o = app.as_owner(t, StartExport {}).await.unwrap();
    let id = o.exports[0].id;
    while exports::build_next(&app.state).await.unwrap() {}
    let r = app
        .get(&t.client, Some(&t.sub), &format!("/exports/{id}/download"))
        .await;
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

/// Posts an archive file to the restore form; the redirect's location.
async fn upload(
    app: &TestApp,
    c: &reqwest::Client,
    sub: &str,
    bytes: Vec<u8>,
    confirm: &str,
) -> String {
    let form = Form::new().text("confirm", confirm.to_string()).part(
        "archive",
        Part::bytes(bytes)
            .file_name("fenceline-export.zip")
            .mime_str("application/zip")
            .unwrap(),
    );
    let r = c
        .post(app.url(Some(sub), "/settings/data/restore"))
        .header("origin", app.origin(Some(sub)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    crate::helpers::url_decode(&location)
}

/// Rewrites a zip with Python's zipfile: `edit` is Python run with `f`,
/// a dict of name -> bytes; with `fix_manifest`, the manifest's sizes and
/// checksums are recomputed for the edited files afterwards.
fn rezip(src: &[u8], edit: &str, fix_manifest: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("in.zip"), dir.path().join("out.zip"));
    std::fs::write(&a, src).unwrap();
    let script = format!(
        r#"
import sys, zipfile, json, hashlib
z = zipfile.ZipFile(sys.argv[1])
f = {{n: z.read(n) for n in z.namelist()}}
{edit}
if {fix}:
    m = json.loads(f['manifest.json'])
    for e in m['files']:
        if e['path'] in f:
            e['bytes'] = len(f[e['path']])
            e['sha256'] = hashlib.sha256(f[e['path']]).hexdigest()
    f['manifest.json'] = json.dumps(m).encode()
with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as out:
    for n, data in f.items():
        out.writestr(n, data)
"#,
        fix = if fix_manifest { "True" } else { "False" }
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .arg(&a)
        .arg(&b)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&b).unwrap()
}

async fn customer_names(app: &TestApp, org: Uuid) -> Vec<String> {
    sqlx::query_scalar("select name from customers where org_id = $1 order by name")
        .bind(org)
        .fetch_all(&app.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn restoring_a_daily_backup_undoes_what_changed_since_and_moves_nothing_else() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    let fa = full_flow(&app, &a).await;
    full_flow(&app, &b).await;
    exports::housekeeping(&app.state).await.unwrap();
    while exports::build_next(&app.state).await.unwrap() {}
    let o = app.as_owner(&a, GetDataOverview {}).await.unwrap();
    assert!(o.can_restore);
    let backup = o.backups[0].id;
    let before = fingerprint(&app, a.org_id, &[]).await;
    let b_before = fingerprint(&app, b.org_id, &[]).await;
    let photo_before = app
        .get(&a.client, Some(&a.sub), &format!("/photos/{}", fa.photo))
        .await
        .bytes()
        .await
        .unwrap();

    // Changes after the backup: a new customer, a renamed one, another
    // photo, a new company name.
    app.customer(&a, "Late Larry", "larry@alpha.example").await;
    sqlx::query("update customers set name = 'Renamed' where org_id = $1 and id = $2")
        .bind(a.org_id)
        .bind(fa.customer)
        .execute(&app.owner)
        .await
        .unwrap();
    sqlx::query("update organizations set company_name = 'Changed Co' where id = $1")
        .bind(a.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    let extra = app
        .state
        .storage
        .get(&fence::server::storage::key(a.org_id, "photos", fa.photo))
        .await
        .unwrap()
        .unwrap();
    let new_photo = Uuid::new_v4();
    sqlx::query(
        "insert into photos (org_id, id, job_id, kind, content_type, size_bytes, width, height, thumb_bytes)
         select org_id, $2, job_id, kind, content_type, size_bytes, width, height, thumb_bytes
           from photos where org_id = $1 and id = $3",
    )
    .bind(a.org_id)
    .bind(new_photo)
    .bind(fa.photo)
    .execute(&app.owner)
    .await
    .unwrap();
    app.state
        .storage
        .put(
            &fence::server::storage::key(a.org_id, "photos", new_photo),
            extra,
        )
        .await
        .unwrap();
    assert_ne!(fingerprint(&app, a.org_id, &[]).await, before);

    // The confirmation names what is replaced, now against the backup.
    let p = app
        .as_owner(&a, Preview { id: backup })
        .await
        .expect("preview");
    assert!(p.source.starts_with("the daily backup of"), "{p:?}");
    let customers = p.lines.iter().find(|l| l.what == "Customers").unwrap();
    assert_eq!((customers.now, customers.archive), (2, Some(1)));
    let photos = p.lines.iter().find(|l| l.what == "Job photos").unwrap();
    assert_eq!(photos.now, photos.archive.unwrap() + 1);

    // Only the owner, with the word typed; another tenant's id is no
    // archive here.
    let admin = app.join(&a, "admin@alpha.example", "admin").await;
    let r: Result<_, AppError> = app
        .call_fn(
            &admin,
            Some(&a.sub),
            StartRestore {
                id: backup,
                confirm: "RESTORE".into(),
            },
        )
        .await;
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    let r: Result<_, AppError> = app
        .call_fn(&admin, Some(&a.sub), Preview { id: backup })
        .await;
    assert!(matches!(r, Err(AppError::Forbidden(_))), "{r:?}");
    let r = app
        .as_owner(
            &a,
            StartRestore {
                id: backup,
                confirm: "yes".into(),
            },
        )
        .await;
    assert!(
        matches!(&r, Err(AppError::Validation(f)) if f.get("confirm").is_some()),
        "{r:?}"
    );
    let r = app
        .as_owner(
            &b,
            StartRestore {
                id: backup,
                confirm: "RESTORE".into(),
            },
        )
        .await;
    assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    let r = app.as_owner(&b, Preview { id: backup }).await;
    assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");

    let o = app
        .as_owner(
            &a,
            StartRestore {
                id: backup,
                confirm: "restore".into(),
            },
        )
        .await
        .expect("restore queued");
    assert!(o.restores[0].in_progress(), "{o:?}");
    // One at a time.
    let again = app
        .as_owner(
            &a,
            StartRestore {
                id: backup,
                confirm: "RESTORE".into(),
            },
        )
        .await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
    assert!(exports::build_next(&app.state).await.unwrap());
    assert!(!exports::build_next(&app.state).await.unwrap());

    let o = app.as_owner(&a, GetDataOverview {}).await.unwrap();
    let done = &o.restores[0];
    assert_eq!(done.status, "ready", "{done:?}");
    let report = done.report.as_deref().unwrap();
    assert!(
        report.starts_with("Restored 1 customer, 1 quote, 1 job"),
        "{report}"
    );
    // Back to the backup's point, exactly; B untouched.
    assert_eq!(fingerprint(&app, a.org_id, &[]).await, before);
    assert_eq!(fingerprint(&app, b.org_id, &[]).await, b_before);
    assert_eq!(
        customer_names(&app, a.org_id).await,
        vec!["alpha Homeowner".to_string()]
    );
    // The photo that came back is served; the one added since is gone,
    // object included.
    let r = app
        .get(&a.client, Some(&a.sub), &format!("/photos/{}", fa.photo))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), photo_before);
    let r = app
        .get(
            &a.client,
            Some(&a.sub),
            &format!("/photos/{}/thumb", fa.photo),
        )
        .await;
    assert_eq!(r.status(), 200);
    let gone = app
        .state
        .storage
        .get(&fence::server::storage::key(a.org_id, "photos", new_photo))
        .await
        .unwrap();
    assert!(gone.is_none());
    // The team is kept, and the restore is in the activity log.
    let members: i64 = sqlx::query_scalar("select count(*) from users where org_id = $1")
        .bind(a.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(members, 2);
    let logged: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where org_id = $1 and action = 'data.restored'",
    )
    .bind(a.org_id)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(logged, 1);
    // B sees no restore of A's.
    let ob = app.as_owner(&b, GetDataOverview {}).await.unwrap();
    assert!(ob.restores.is_empty());
}

#[tokio::test]
async fn an_export_restores_into_a_fresh_workspace_by_upload_and_by_command_and_they_compare_equal()
{
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let fa = full_flow(&app, &a).await;
    app.customer(&a, "<script>alert(1)</script> O'Brien", "")
        .await;
    let zip = export_of(&app, &a).await;

    // A fresh workspace restores it from the file.
    let c = app.signup("copy", "starter").await;
    let location = upload(&app, &c.client, &c.sub, zip.clone(), "RESTORE").await;
    assert_eq!(location, "/settings/data?restore=queued");
    assert!(exports::build_next(&app.state).await.unwrap());
    let o = app.as_owner(&c, GetDataOverview {}).await.unwrap();
    let done = &o.restores[0];
    assert_eq!(done.status, "ready", "{done:?}");
    assert!(
        done.source
            .as_deref()
            .unwrap()
            .starts_with("the file fenceline-export.zip"),
        "{done:?}"
    );
    // A's owner is not on C's team: their name goes, their work stays.
    assert!(
        done.report
            .as_deref()
            .unwrap()
            .contains("1 person in the archive is not on this team"),
        "{done:?}"
    );
    // Equal but for who did what and the workspace's own identity.
    let ignored = [
        "created_by",
        "uploaded_by",
        "by_user",
        "manager_approved_by",
        "updated_by",
    ];
    let strip_company = |mut f: BTreeMap<String, Vec<serde_json::Value>>| {
        for row in f.get_mut("company").unwrap() {
            let o = row.as_object_mut().unwrap();
            for k in [
                "id",
                "subdomain",
                "custom_domain",
                "plan",
                "status",
                "created_at",
            ] {
                o.remove(k);
            }
        }
        f
    };
    let fa_print = strip_company(fingerprint(&app, a.org_id, &ignored).await);
    assert_eq!(
        strip_company(fingerprint(&app, c.org_id, &ignored).await),
        fa_print
    );
    // The photo arrives byte for byte, with a thumbnail, on C's host.
    let ra = app
        .get(&a.client, Some(&a.sub), &format!("/photos/{}", fa.photo))
        .await
        .bytes()
        .await
        .unwrap();
    let rc = app
        .get(&c.client, Some(&c.sub), &format!("/photos/{}", fa.photo))
        .await;
    assert_eq!(rc.status(), 200);
    assert_eq!(rc.bytes().await.unwrap(), ra);
    let thumb = app
        .get(
            &c.client,
            Some(&c.sub),
            &format!("/photos/{}/thumb", fa.photo),
        )
        .await;
    assert_eq!(thumb.status(), 200);
    // C's stored bytes count its photos.
    let used: i64 = sqlx::query_scalar("select bytes from storage_usage where org_id = $1")
        .bind(c.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert!(used > 0);
    // A is untouched by C's restore, and C's copy is C's alone.
    assert_eq!(
        strip_company(fingerprint(&app, a.org_id, &ignored).await),
        fa_print
    );
    let r = app
        .get(&a.client, Some(&c.sub), &format!("/photos/{}", fa.photo))
        .await;
    assert_ne!(r.status(), 200, "A's session is no session on C's host");

    // The operator's command does the same into another workspace.
    let d = app.signup("delta", "starter").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.zip");
    std::fs::write(&path, &zip).unwrap();
    let report = restore::restore_cli(&app.state, d.org_id, &path)
        .await
        .expect("restored");
    assert_eq!(report.people_unmatched, 1);
    assert_eq!(
        strip_company(fingerprint(&app, d.org_id, &ignored).await),
        fa_print
    );
    // Text stays text.
    assert!(customer_names(&app, d.org_id)
        .await
        .contains(&"<script>alert(1)</script> O'Brien".to_string()));
    // Running it again changes nothing.
    restore::restore_cli(&app.state, d.org_id, &path)
        .await
        .expect("again");
    assert_eq!(
        strip_company(fingerprint(&app, d.org_id, &ignored).await),
        fa_print
    );
}

#[tokio::test]
async fn hostile_archives_are_refused_with_a_reason_and_change_nothing() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    full_flow(&app, &a).await;
    let zip = export_of(&app, &a).await;
    let c = app.signup("copy", "growth").await;
    app.customer(&c, "Keep Me", "").await;
    let kept = fingerprint(&app, c.org_id, &[]).await;

    let refused = |location: &str, words: &str| {
        assert!(
            location.starts_with("/settings/data?restore_error="),
            "{location}"
        );
        assert!(location.contains(words), "{location}");
    };
    // Not a zip; a truncated zip; a zip without a manifest; no word typed.
    refused(
        &upload(
            &app,
            &c.client,
            &c.sub,
            b"SQLite format 3\0junk".to_vec(),
            "RESTORE",
        )
        .await,
        "not a Fenceline export archive",
    );
    refused(
        &upload(
            &app,
            &c.client,
            &c.sub,
            zip[..zip.len() / 2].to_vec(),
            "RESTORE",
        )
        .await,
        "not a Fenceline export archive",
    );
    refused(
        &upload(
            &app,
            &c.client,
            &c.sub,
            rezip(&zip, "del f['manifest.json']", false),
            "RESTORE",
        )
        .await,
        "no manifest",
    );
    refused(
        &upload(&app, &c.client, &c.sub, zip.clone(), "").await,
        "Type RESTORE",
    );
    // Not the owner.
    let crew = app.join(&c, "crew@copy.example", "crew").await;
    refused(
        &upload(&app, &crew, &c.sub, zip.clone(), "RESTORE").await,
        "cannot restore",
    );
    assert!(!exports::build_next(&app.state).await.unwrap());

    // Accepted at the door, refused by the worker: a CSV that does not
    // match its checksum; an entry that inflates past its declared size
    // (a zip bomb); rows PostgreSQL refuses (a job status that does not
    // exist, with its checksum made to match).
    let cases = [
        (
            rezip(
                &zip,
                "f['csv/customers.csv'] = f['csv/customers.csv'].replace(b'alpha Homeowner', b'Evil Homeowner')",
                false,
            ),
            "does not match its checksum",
        ),
        (
            rezip(
                &zip,
                "f['csv/pets.csv'] = f['csv/pets.csv'] + b'\\n' * 50_000_000",
                false,
            ),
            "larger than it should be",
        ),
        (
            rezip(
                &zip,
                "f['csv/jobs.csv'] = f['csv/jobs.csv'].replace(b',completed,', b',exploded,')",
                true,
            ),
            "jobs holds rows this workspace cannot take",
        ),
    ];
    for (bad, words) in cases {
        let location = upload(&app, &c.client, &c.sub, bad, "RESTORE").await;
        assert_eq!(location, "/settings/data?restore=queued", "{words}");
        assert!(exports::build_next(&app.state).await.unwrap());
        let o = app.as_owner(&c, GetDataOverview {}).await.unwrap();
        let r = &o.restores[0];
        assert_eq!(r.status, "failed", "{words}: {r:?}");
        assert!(
            r.error.as_deref().unwrap().contains(words),
            "{words}: {r:?}"
        );
        assert_eq!(fingerprint(&app, c.org_id, &[]).await, kept, "{words}");
    }

    // A photo whose path tries to leave the archive is only ever looked
    // up in it: not found there, it is reported missing; nothing else is
    // read.
    let sneaky = rezip(
        &zip,
        "import re\nf['csv/photos.csv'] = re.sub(rb'photos/[0-9a-f-]+\\.png', b'../../../../etc/passwd', f['csv/photos.csv'])",
        true,
    );
    assert_eq!(
        upload(&app, &c.client, &c.sub, sneaky, "RESTORE").await,
        "/settings/data?restore=queued"
    );
    assert!(exports::build_next(&app.state).await.unwrap());
    let o = app.as_owner(&c, GetDataOverview {}).await.unwrap();
    let r = &o.restores[0];
    assert_eq!(r.status, "ready", "{r:?}");
    assert!(
        r.report
            .as_deref()
            .unwrap()
            .contains("had no file in the archive"),
        "{r:?}"
    );
    let photos: i64 = sqlx::query_scalar("select count(*) from photos where org_id = $1")
        .bind(c.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(photos, 0);
    assert_eq!(
        customer_names(&app, c.org_id).await,
        vec!["alpha Homeowner".to_string()]
    );
}

#[tokio::test]
async fn the_restore_functions_refuse_any_tenant_but_the_transactions() {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    app.customer(&b, "Bea Bravo", "").await;
    let b_before = fingerprint(&app, b.org_id, &[]).await;
    for sql in [
        "select platform.clear_tenant_data($1)",
        "select platform.restore_opt_outs($1, array['+15125550100'], array[now()])",
    ] {
        // As A, naming B: refused.
        let mut tx = TenantTx::begin(&app.state.pool, a.org_id).await.unwrap();
        let e = sqlx::query(sql)
            .bind(b.org_id)
            .execute(tx.conn())
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("not this transaction's tenant"),
            "{sql}: {e}"
        );
        drop(tx);
        // With no tenant bound at all: refused.
        let e = sqlx::query(sql)
            .bind(b.org_id)
            .execute(&app.state.pool)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("not this transaction's tenant"),
            "{sql}: {e}"
        );
    }
    assert_eq!(fingerprint(&app, b.org_id, &[]).await, b_before);
    let outs: i64 = sqlx::query_scalar("select count(*) from sms_opt_outs where org_id = $1")
        .bind(b.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(outs, 0);
    // The temporary tables a restore reads are the session's own, and the
    // app's role cannot empty a tenant's tables itself.
    let mut tx = TenantTx::begin(&app.state.pool, b.org_id).await.unwrap();
    let e = sqlx::query("delete from customers")
        .execute(tx.conn())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("permission denied"), "{e}");
}
