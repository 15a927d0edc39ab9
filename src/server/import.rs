//! The legacy import (issue 13): an installer moving from the old
//! single-installer system uploads its `fence.db` and `photos/` folder (one
//! zip, or the database and a zip of the photos), sees the dry run (what
//! is created, merged, skipped and why, row by row), confirms, and the
//! import runs in the background with its progress on the page; a platform
//! operator does the same with `fence import-legacy`.
//!
//! The upload is untrusted: it is opened by its content (never by its
//! name), its zip entries are looked up by name and never written to disk
//! under that name (only `fence.db` is extracted, to a temporary file of
//! ours, within a size cap), the old SQLite file is opened read-only after
//! an integrity check and only ever read column by column as text
//! (`legacy::read`), and every field is parsed as text.
//!
//! Each old customer is written, with everything that hangs off it
//! (properties, pets, quotes, jobs and their history, payments, photos),
//! in one transaction that also records the old ids it created in
//! `legacy_ids`: a killed import leaves whole customers only, and the next
//! run (a resumed one, or the same file again) finds those ids and creates
//! nothing twice. The verification report compares counts, money and
//! photo checksums on both sides and is kept with the import.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use async_zip::tokio::read::seek::ZipFileReader;
use chrono::{DateTime, Utc};
use futures::AsyncReadExt as _;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tokio::io::BufReader;
use uuid::Uuid;

use super::exports::Progress;
use super::legacy::{self, field, Legacy, Plan, PlanLine};
use super::repo::exports::Claim;
use super::repo::imports as db;
use super::storage::key;
use super::{photos, repo, AppState, TenantTx};
use crate::error::AppError;
use crate::model::export::{ImportLine, ImportPlanSummary, ImportReport, ImportTable, MoneyCheck};

/// The largest upload (all files together).
pub const MAX_UPLOAD_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// The largest `fence.db` (uncompressed).
pub const MAX_DB_BYTES: u64 = 1024 * 1024 * 1024;
/// The most entries a zip may have.
pub const MAX_ENTRIES: usize = 500_000;
/// The most all of a zip's entries may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024 * 1024;
/// An entry packed more tightly than this (and larger than a megabyte) is
/// a decompression bomb, not a database or a photo.
pub const MAX_RATIO: u64 = 200;
/// Lines of the dry run kept on the page (the CSV has them all).
const ATTENTION_LINES: usize = 300;

fn refused(msg: impl Into<String>) -> AppError {
    AppError::Conflict(msg.into())
}

type Zip = ZipFileReader<BufReader<tokio::fs::File>>;

/// The photos of an upload: in a zip (entries by their path relative to
/// the folder that held `fence.db`), or a folder on the operator's disk.
enum Photos {
    None,
    Zip {
        zip: Box<Zip>,
        names: HashMap<String, usize>,
    },
    Dir(PathBuf),
}

/// An opened upload: `fence.db` (extracted to a temporary file when it
/// came in a zip) and its photos.
pub struct Source {
    db: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    photos: Photos,
}

fn sniff(path: &Path) -> std::io::Result<[u8; 16]> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(path)?;
    let n = f.read(&mut head)?;
    if n < 4 {
        head = [0; 16];
    }
    Ok(head)
}

fn is_sqlite(head: &[u8; 16]) -> bool {
    head == b"SQLite format 3\0"
}

fn is_zip(head: &[u8; 16]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// An entry's name as a path inside the upload: `/` separators, no empty
/// or `.` parts; `None` for anything that climbs out or is absolute.
fn entry_path(name: &str) -> Option<String> {
    legacy::safe_photo_path(name)
}

/// Opens a zip and checks it is not a bomb: its entry count, the sizes it
/// declares and how tightly each entry is packed.
async fn open_zip(path: &Path) -> Result<(Zip, Vec<(String, usize, u64)>), AppError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| super::db::internal(&e))?;
    let zip = ZipFileReader::with_tokio(BufReader::new(file))
        .await
        .map_err(|_| {
            refused("That zip file is incomplete or damaged (it may not have finished uploading or copying). Make the zip again and upload it.")
        })?;
    let entries = zip.file().entries();
    if entries.len() > MAX_ENTRIES {
        return Err(refused(format!(
            "That zip holds {} files, more than the {MAX_ENTRIES} an import takes. Ask support to import it for you.",
            entries.len()
        )));
    }
    let mut total = 0u64;
    let mut list = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let size = e.uncompressed_size();
        let packed = e.compressed_size().max(1);
        total = total.saturating_add(size);
        if size > 1024 * 1024 && size / packed > MAX_RATIO {
            return Err(refused(
                "That zip unpacks to far more than its size (a \"zip bomb\"), so it was refused. Zip the old system's fence.db and photos folder again, as they are.",
            ));
        }
        if let Ok(name) = e.filename().as_str() {
            if !name.ends_with('/') {
                if let Some(p) = entry_path(name) {
                    list.push((p, i, size));
                }
            }
        }
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(refused(
            "That zip unpacks to more than 64 GB, more than an import takes. Ask support to import it for you.",
        ));
    }
    Ok((zip, list))
}

/// Copies one zip entry to `out`, refusing more than `cap` bytes (or more
/// than the entry declared).
async fn extract(
    zip: &mut Zip,
    index: usize,
    declared: u64,
    cap: u64,
    out: &Path,
) -> Result<(), AppError> {
    use tokio::io::AsyncWriteExt;
    if declared > cap {
        return Err(refused(format!(
            "fence.db is larger than {} GB, more than an import takes. Ask support to import it for you.",
            cap / (1024 * 1024 * 1024)
        )));
    }
    let mut r = zip
        .reader_without_entry(index)
        .await
        .map_err(|_| refused("fence.db in that zip cannot be read: the zip is damaged."))?;
    let mut f = tokio::fs::File::create(out)
        .await
        .map_err(|e| super::db::internal(&e))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut written = 0u64;
    loop {
        let n = r
            .read(&mut buf)
            .await
            .map_err(|_| refused("fence.db in that zip cannot be read: the zip is damaged."))?;
        if n == 0 {
            break;
        }
        written += n as u64;
        if written > declared || written > cap {
            return Err(refused(
                "fence.db in that zip is larger than the zip says (a damaged or forged zip), so it was refused.",
            ));
        }
        f.write_all(&buf[..n])
            .await
            .map_err(|e| super::db::internal(&e))?;
    }
    f.flush().await.map_err(|e| super::db::internal(&e))?;
    Ok(())
}

/// The photo entries of a zip keyed as the old system's paths
/// (`photos/...`), given the folder that held `fence.db` (`base`), or, for
/// a zip of the photos alone, wherever its `photos/` folder is.
fn photo_names(list: &[(String, usize, u64)], base: Option<&str>) -> HashMap<String, usize> {
    let mut names = HashMap::new();
    for (p, i, _) in list {
        let k = match base {
            Some(b) => match p.strip_prefix(b) {
                Some(rest) => rest.to_string(),
                None => continue,
            },
            None => match p.find("photos/") {
                Some(at) if at == 0 || p[..at].ends_with('/') => p[at..].to_string(),
                _ => format!("photos/{p}"),
            },
        };
        names.entry(k).or_insert(*i);
    }
    names
}

impl Source {
    /// Opens what was uploaded: one zip holding `fence.db` (and its
    /// photos), `fence.db` alone, or `fence.db` and a zip of the photos;
    /// for an operator, also a folder holding `fence.db`. Told apart by
    /// their content. The error is a message for the user.
    pub async fn open(files: &[PathBuf], operator: bool) -> Result<Source, AppError> {
        let mut dbs = Vec::new();
        let mut zips = Vec::new();
        let mut dir = None;
        for f in files {
            if f.is_dir() && operator {
                dir = Some(f.clone());
                continue;
            }
            let head = sniff(f).map_err(|e| super::db::internal(&e))?;
            if is_sqlite(&head) {
                dbs.push(f.clone());
            } else if is_zip(&head) {
                zips.push(f.clone());
            } else {
                return Err(refused(
                    "That file is neither the old system's database (fence.db) nor a zip file. Upload a zip of fence.db and its photos folder, or fence.db and a zip of the photos.",
                ));
            }
        }
        if let Some(dir) = dir {
            let db = dir.join("fence.db");
            if !db.is_file() {
                return Err(refused(format!("{} holds no fence.db.", dir.display())));
            }
            return Ok(Source {
                db,
                _tmp: None,
                photos: Photos::Dir(dir),
            });
        }
        if dbs.len() > 1 || zips.len() > 1 || files.is_empty() {
            return Err(refused(
                "Upload one zip of fence.db and its photos folder, or fence.db and one zip of the photos.",
            ));
        }
        match (dbs.pop(), zips.pop()) {
            (Some(db), None) => {
                // fence.db alone: photos beside it on an operator's disk
                // (an upload's folder is the server's own: never read).
                let photos = match db.parent() {
                    Some(p) if operator && p.join("photos").is_dir() => {
                        Photos::Dir(p.to_path_buf())
                    }
                    _ => Photos::None,
                };
                Ok(Source {
                    db,
                    _tmp: None,
                    photos,
                })
            }
            (Some(db), Some(z)) => {
                let (zip, list) = open_zip(&z).await?;
                Ok(Source {
                    db,
                    _tmp: None,
                    photos: Photos::Zip {
                        zip: Box::new(zip),
                        names: photo_names(&list, None),
                    },
                })
            }
            (None, Some(z)) => {
                let (mut zip, list) = open_zip(&z).await?;
                // The shallowest fence.db; its folder is the upload's root.
                let Some((path, index, size)) = list
                    .iter()
                    .filter(|(p, ..)| p == "fence.db" || p.ends_with("/fence.db"))
                    .min_by_key(|(p, ..)| (p.matches('/').count(), p.len()))
                    .cloned()
                else {
                    return Err(refused(
                        "That zip holds no fence.db. Zip the old system's folder that holds fence.db and photos/, or upload fence.db itself.",
                    ));
                };
                let base = path.strip_suffix("fence.db").unwrap_or("").to_string();
                // fence.db extracted to a folder of ours, kept as long as
                // the source.
                let tmp = tempfile::Builder::new()
                    .prefix("legacy-import-")
                    .tempdir()
                    .map_err(|e| super::db::internal(&e))?;
                let out = tmp.path().join("fence.db");
                extract(&mut zip, index, size, MAX_DB_BYTES, &out).await?;
                Ok(Source {
                    db: out,
                    _tmp: Some(tmp),
                    photos: Photos::Zip {
                        zip: Box::new(zip),
                        names: photo_names(&list, Some(&base)),
                    },
                })
            }
            (None, None) => Err(refused("Choose the old system's files to import.")),
        }
    }

    /// Whether the upload holds a photo at the old system's `path`.
    pub fn has(&self, path: &str) -> bool {
        match &self.photos {
            Photos::None => false,
            Photos::Zip { names, .. } => names.contains_key(path),
            Photos::Dir(d) => inside(d, path).is_some(),
        }
    }

    /// A photo's bytes (at most `cap`); `Err` with the reason.
    async fn photo(&mut self, path: &str, cap: u64) -> Result<Vec<u8>, String> {
        match &mut self.photos {
            Photos::None => Err(format!("the file {path} is missing from the upload")),
            Photos::Zip { zip, names } => {
                let Some(&i) = names.get(path) else {
                    return Err(format!("the file {path} is missing from the upload"));
                };
                let declared = zip.file().entries()[i].uncompressed_size();
                if declared > cap {
                    return Err(format!("the file {path} is larger than a photo may be"));
                }
                let mut r = zip
                    .reader_without_entry(i)
                    .await
                    .map_err(|_| format!("the file {path} cannot be read from the zip"))?;
                let mut out = Vec::with_capacity(declared as usize);
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = r
                        .read(&mut buf)
                        .await
                        .map_err(|_| format!("the file {path} cannot be read from the zip"))?;
                    if n == 0 {
                        break;
                    }
                    out.extend_from_slice(&buf[..n]);
                    if out.len() as u64 > declared.max(1).min(cap) {
                        return Err(format!("the file {path} is larger than the zip says"));
                    }
                }
                Ok(out)
            }
            Photos::Dir(d) => {
                let Some(p) = inside(d, path) else {
                    return Err(format!("the file {path} is missing from the upload"));
                };
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                if len > cap {
                    return Err(format!("the file {path} is larger than a photo may be"));
                }
                tokio::fs::read(&p)
                    .await
                    .map_err(|_| format!("the file {path} cannot be read"))
            }
        }
    }
}

/// `path` under `dir`, if it is a file there (not reached through a link
/// out of the folder).
fn inside(dir: &Path, path: &str) -> Option<PathBuf> {
    let p = dir.join(legacy::safe_photo_path(path)?);
    let real = p.canonicalize().ok()?;
    let root = dir.canonicalize().ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

/// What the workspace already holds, for the plan.
async fn known(tx: &mut TenantTx) -> Result<legacy::Known, AppError> {
    let mapped = db::mapped(tx).await?;
    let emails = db::customer_emails(tx).await?;
    Ok(legacy::Known {
        imported: mapped.into_keys().collect(),
        emails: emails.into_iter().map(|(k, (_, n))| (k, n)).collect(),
    })
}

/// The settings the old system had, and what the import does with each.
struct Settings {
    phone: Option<String>,
    email: Option<String>,
    state: Option<&'static str>,
    markup: Option<Decimal>,
    tax: Option<Decimal>,
    labour: Option<Decimal>,
    logo: Option<String>,
    company: Option<String>,
}

fn settings(old: &Legacy) -> Settings {
    let get = |k: &str| {
        old.rows("settings")
            .iter()
            .find(|r| field(r, "key").eq_ignore_ascii_case(k))
            .map(|r| field(r, "value").to_string())
            .filter(|v| !v.is_empty())
    };
    Settings {
        phone: get("phone").and_then(|p| crate::model::optional_phone(&p).ok().flatten()),
        email: get("email").and_then(|e| crate::model::optional_email(&e).ok().flatten()),
        state: get("state").and_then(|s| legacy::state(&s)),
        markup: get("markup")
            .and_then(|m| m.trim().parse::<Decimal>().ok())
            .filter(|m| *m >= Decimal::new(5, 1) && *m <= Decimal::from(3)),
        tax: get("tax_rate")
            .and_then(|t| legacy::percent(&t))
            .filter(|t| *t <= Decimal::from(25)),
        labour: get("labor_rate")
            .and_then(|l| legacy::money(&l))
            .filter(|l| *l >= Decimal::ZERO && *l <= Decimal::from(1000)),
        logo: get("logo").and_then(|l| legacy::safe_photo_path(&l)),
        company: get("company_name"),
    }
}

fn settings_lines(s: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &s.company {
        out.push(format!(
            "Company name in the old system: {c} (the workspace keeps the name it has; change it in Settings → Company)"
        ));
    }
    if let Some(p) = &s.phone {
        out.push(format!("Phone {p}, if the workspace has none"));
    }
    if let Some(e) = &s.email {
        out.push(format!("Support email {e}, if the workspace has none"));
    }
    if let Some(st) = s.state {
        out.push(format!("Home state {st}, if the workspace has none"));
    }
    if let Some(m) = s.markup {
        out.push(format!("Price markup {m}"));
    }
    if let Some(t) = s.tax {
        out.push(format!("Default sales tax {}%", t.normalize()));
    }
    if let Some(l) = s.labour {
        out.push(format!("Labour rate ${l}/h"));
    }
    if let Some(l) = &s.logo {
        out.push(format!("Logo from {l}, if the workspace has none"));
    }
    out
}

fn summary(old: &Legacy, plan: &Plan, settings: Vec<String>) -> ImportPlanSummary {
    let tables = legacy::LEGACY_TABLES
        .iter()
        .filter(|(t, _)| *t != "settings")
        .map(|(t, _)| {
            let (c, m, s, a) = plan.counts(t);
            ImportTable {
                name: (*t).to_string(),
                old_rows: old.rows(t).len() as i64,
                create: c as i64,
                merge: m as i64,
                skip: s as i64,
                already: a as i64,
                here: None,
            }
        })
        .collect();
    let needs_look = |l: &&PlanLine| {
        l.action == "merge" || l.action == "skip" || (l.action == "create" && !l.detail.is_empty())
    };
    let attention: Vec<ImportLine> = plan
        .lines
        .iter()
        .filter(needs_look)
        .take(ATTENTION_LINES)
        .map(|l| ImportLine {
            table: l.table.clone(),
            old_id: l.old_id.chars().take(100).collect(),
            action: l.action.clone(),
            detail: l.detail.chars().take(300).collect(),
        })
        .collect();
    ImportPlanSummary {
        tables,
        attention,
        attention_total: plan.lines.iter().filter(needs_look).count() as i64,
        settings,
    }
}

/// The dry run of an opened upload against the workspace as it is.
pub async fn dry_run(
    state: &AppState,
    org: Uuid,
    source: &Source,
) -> Result<(Legacy, Plan, ImportPlanSummary), AppError> {
    let old = legacy::read(&source.db).await.map_err(refused)?;
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    let k = known(&mut tx).await?;
    tx.commit().await?;
    let plan = legacy::plan(&old, &|p| source.has(p), &k);
    let s = settings_lines(&settings(&old));
    let sum = summary(&old, &plan, s);
    Ok((old, plan, sum))
}

/// `POST /settings/import` (multipart: one or two `file` fields): an owner
/// uploads the old system's files; they are checked and planned at once
/// (the dry run), kept under the import's id, and the page shows the plan
/// to confirm. Errors come back to the page as `?error=`.
pub async fn upload(
    axum::Extension(cx): axum::Extension<super::RequestCtx>,
    mut form: axum::extract::Multipart,
) -> axum::response::Response {
    use super::context::urlencode;
    use super::redirect::see_other;
    let back = |msg: &str| see_other(&format!("/settings/import?error={}", urlencode(msg)));
    let internal = || AppError::Internal(super::telemetry::current_request_id()).to_string();
    let me = match cx.member_who(
        |r| r == crate::model::Role::Owner,
        "import data from the old system",
    ) {
        Ok(m) => m.clone(),
        Err(AppError::Unauthorized) => return see_other("/login"),
        Err(e) => return back(&e.to_string()),
    };
    let dir = cx.state.config.uploads.tmp_dir.clone();
    if tokio::fs::create_dir_all(&dir).await.is_err() {
        return back(&internal());
    }
    let mut files: Vec<tempfile::NamedTempFile> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut size = 0u64;
    while let Ok(Some(mut field)) = form.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let name: String = field
            .file_name()
            .unwrap_or("upload")
            .chars()
            .filter(|c| !c.is_control())
            .take(80)
            .collect();
        let Ok(tmp) = tempfile::Builder::new()
            .prefix("import-upload-")
            .tempfile_in(&dir)
        else {
            return back(&internal());
        };
        let Ok(mut out) = tokio::fs::File::create(tmp.path()).await else {
            return back(&internal());
        };
        let mut this = 0u64;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    size += chunk.len() as u64;
                    this += chunk.len() as u64;
                    if size > MAX_UPLOAD_BYTES {
                        return back("The upload is over 4 GB, the most an import takes at once. Ask support to import it for you.");
                    }
                    if tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
                        .await
                        .is_err()
                    {
                        return back(&internal());
                    }
                }
                Ok(None) => break,
                Err(_) => return back("The upload was interrupted. Try again."),
            }
        }
        let _ = tokio::io::AsyncWriteExt::flush(&mut out).await;
        if this > 0 {
            files.push(tmp);
            names.push(name);
        }
        if files.len() > 2 {
            return back(
                "Upload at most two files: fence.db and a zip of the photos, or one zip of both.",
            );
        }
    }
    if files.is_empty() {
        return back("Choose the old system's files: a zip of fence.db and its photos folder, or fence.db and a zip of the photos.");
    }
    let paths: Vec<PathBuf> = files.iter().map(|f| f.path().to_path_buf()).collect();
    let label = names.join(" + ");
    let result = async {
        let org = cx.tenant_id()?;
        let source = Source::open(&paths, false).await?;
        let (_, plan, sum) = dry_run(&cx.state, org, &source).await?;
        let counts = serde_json::to_value(&sum).map_err(|e| super::db::internal(&e))?;
        let mut tx = cx.tx().await?;
        let (id, dropped) = db::create_planned(&mut tx, me.id, &label, &counts).await?;
        let storage = &cx.state.storage;
        // The files in upload order (kept by their content, not name).
        for (i, p) in paths.iter().enumerate() {
            let kind = if i == 0 {
                "import-uploads"
            } else {
                "import-photos"
            };
            storage.put_file(&key(org, kind, id), p).await?;
        }
        storage
            .put(&key(org, "import-plans", id), plan.csv().into_bytes())
            .await?;
        repo::audit::record(
            &mut tx,
            Some(me.id),
            "data.import_planned",
            Some(id),
            serde_json::json!({ "files": label, "bytes": size }),
        )
        .await?;
        tx.commit().await?;
        for old in dropped {
            forget_files(&cx.state, org, old).await;
        }
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => see_other("/settings/import"),
        Err(e) => back(&e.to_string()),
    }
}

/// Deletes an import's stored upload and plan.
async fn forget_files(state: &AppState, org: Uuid, id: Uuid) {
    for kind in ["import-uploads", "import-photos", "import-plans"] {
        let _ = state.storage.delete(&key(org, kind, id)).await;
    }
}

/// Housekeeping: drops the dry runs nobody confirmed within a week, with
/// their uploads.
#[tracing::instrument(skip_all)]
pub async fn housekeeping(state: &AppState) -> Result<(), AppError> {
    for (org, id) in db::stale_plans(&state.pool).await? {
        let mut tx = TenantTx::begin(&state.pool, org).await?;
        db::discard(&mut tx, id).await?;
        tx.commit().await?;
        forget_files(state, org, id).await;
    }
    Ok(())
}

/// `GET /settings/import/{id}/plan.csv`: the dry run, row by row.
pub async fn plan_csv(
    axum::Extension(cx): axum::Extension<super::RequestCtx>,
    axum::extract::Path(id): axum::extract::Path<Uuid>,
) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    match cx.member_who(
        crate::model::Role::manages_settings,
        "see the import's plan",
    ) {
        Ok(_) => {}
        Err(AppError::Unauthorized) => return super::redirect::see_other("/login"),
        Err(_) => return StatusCode::FORBIDDEN.into_response(),
    }
    let found = async {
        let org = cx.tenant_id()?;
        let mut tx = cx.tx().await?;
        let ok = db::exists(&mut tx, id).await?;
        tx.commit().await?;
        if !ok {
            return Ok(None);
        }
        cx.state.storage.get(&key(org, "import-plans", id)).await
    }
    .await;
    match found {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"import-plan-{id}.csv\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Settings → Import: the dry run waiting, the import under way and those
/// done, with their reports.
#[tracing::instrument(skip_all)]
pub async fn overview(
    cx: &super::RequestCtx,
) -> Result<crate::model::export::ImportOverview, AppError> {
    let mut tx = cx.tx().await?;
    let zone = repo::orgs::time_zone(&mut tx).await?;
    let rows = repo::exports::recent(&mut tx, "import", 10).await?;
    let counts = db::plan_counts(&mut tx, &rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    tx.commit().await?;
    let style = super::context::reader_date_style();
    let when = |t: DateTime<Utc>| style.date_time(t, &zone);
    Ok(crate::model::export::ImportOverview {
        imports: rows
            .into_iter()
            .map(|a| crate::model::export::ImportRow {
                id: a.id,
                status: a.status,
                file: a.source_label.unwrap_or_default(),
                requested_by: a.requested_by,
                created_at: when(a.created_at),
                finished_at: a.finished_at.map(when),
                done: a.done,
                total: a.total,
                plan: counts
                    .get(&a.id)
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default(),
                report: a.report.and_then(|v| serde_json::from_value(v).ok()),
                error: a.error,
            })
            .collect(),
    })
}

/// Starts a planned import (the owner confirmed the dry run).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn start(
    cx: &super::RequestCtx,
    me: &super::context::UserRef,
    id: Uuid,
) -> Result<crate::model::export::ImportOverview, AppError> {
    let mut tx = cx.tx().await?;
    if !db::exists(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    if !db::queue(&mut tx, id).await? {
        return Err(AppError::Conflict(
            "This import has started already, or another is under way: it is listed below.".into(),
        ));
    }
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "data.import_started",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    overview(cx).await
}

/// Drops a dry run the owner does not want, with its files.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn discard(
    cx: &super::RequestCtx,
    id: Uuid,
) -> Result<crate::model::export::ImportOverview, AppError> {
    let org = cx.tenant_id()?;
    let mut tx = cx.tx().await?;
    if !db::discard(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    forget_files(&cx.state, org, id).await;
    overview(cx).await
}

/// The worker's part: runs the claimed import, or marks it failed with
/// the reason (what was imported before stays: a new run resumes).
#[tracing::instrument(skip_all, fields(org_id = %claim.org_id, import_id = %claim.id))]
pub async fn run(state: &AppState, claim: &Claim) -> Result<(), AppError> {
    let started = std::time::Instant::now();
    match run_inner(state, claim).await {
        Ok(Some(report)) => {
            metrics::counter!("fence_imports_total", "result" => "done").increment(1);
            tracing::info!(
                unexplained = report.unexplained.len(),
                seconds = started.elapsed().as_secs_f64(),
                "legacy import done"
            );
            forget_upload(state, claim.org_id, claim.id).await;
        }
        Ok(None) => {}
        Err(e) => {
            metrics::counter!("fence_imports_total", "result" => "failed").increment(1);
            let message = match &e {
                AppError::Conflict(m) | AppError::Limit(m) => format!(
                    "{m} Whole customers imported before this stay; importing the same files again continues where this stopped."
                ),
                AppError::Internal(r) => format!(
                    "The import stopped. Whole customers imported before this stay; importing the same files again continues where it stopped. If it fails again, give support this reference: {r}."
                ),
                other => other.to_string(),
            };
            let mut tx = TenantTx::begin(&state.pool, claim.org_id).await?;
            repo::exports::fail(&mut tx, claim.id, &message).await?;
            tx.commit().await?;
            // A new run starts from a new upload.
            forget_upload(state, claim.org_id, claim.id).await;
        }
    }
    Ok(())
}

/// Deletes the uploaded files of a finished import (its plan stays).
async fn forget_upload(state: &AppState, org: Uuid, id: Uuid) {
    for kind in ["import-uploads", "import-photos"] {
        let _ = state.storage.delete(&key(org, kind, id)).await;
    }
}

async fn run_inner(state: &AppState, claim: &Claim) -> Result<Option<ImportReport>, AppError> {
    let org = claim.org_id;
    let by = {
        let mut tx = TenantTx::begin(&state.pool, org).await?;
        let s = db::source(&mut tx, claim.id).await?;
        let owner = db::owner(&mut tx).await?;
        tx.commit().await?;
        match s {
            Some((_, by)) => by.or(owner),
            None => return Ok(None),
        }
    };
    let Some(by) = by else {
        return Err(refused(
            "The workspace has no owner to record the import as.",
        ));
    };
    let dir = state.config.uploads.tmp_dir.clone();
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| super::db::internal(&e))?;
    let mut files = Vec::new();
    for kind in ["import-uploads", "import-photos"] {
        let tmp = tempfile::Builder::new()
            .prefix("import-")
            .tempfile_in(&dir)
            .map_err(|e| super::db::internal(&e))?;
        if state
            .storage
            .get_to_file(&key(org, kind, claim.id), tmp.path())
            .await?
        {
            files.push(tmp);
        }
    }
    if files.is_empty() {
        return Err(refused(
            "The uploaded files are no longer stored. Upload them again.",
        ));
    }
    let paths: Vec<PathBuf> = files.iter().map(|f| f.path().to_path_buf()).collect();
    let mut source = Source::open(&paths, false).await?;
    import(state, org, claim.id, by, &mut source, true).await
}

/// `fence import-legacy --tenant SUBDOMAIN PATH`: a platform operator
/// imports in the foreground from a zip, `fence.db`, or the old system's
/// folder, with the same plan, transactions and report, kept in the
/// tenant like an owner's import.
pub async fn import_cli(
    state: &AppState,
    org: Uuid,
    path: &Path,
    dry_run_only: bool,
) -> Result<(ImportPlanSummary, Option<ImportReport>, String), AppError> {
    let label = path
        .file_name()
        .map(|n| n.to_string_lossy().chars().take(80).collect::<String>())
        .unwrap_or_default();
    let mut source = Source::open(&[path.to_path_buf()], true).await?;
    let (_, plan, sum) = dry_run(state, org, &source).await?;
    let csv = plan.csv();
    if dry_run_only {
        return Ok((sum, None, csv));
    }
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    let Some(by) = db::owner(&mut tx).await? else {
        return Err(refused(
            "The workspace has no owner to record the import as.",
        ));
    };
    let counts = serde_json::to_value(&sum).map_err(|e| super::db::internal(&e))?;
    let (id, _) =
        db::create_planned(&mut tx, by, &format!("{label} (command line)"), &counts).await?;
    db::run_now(&mut tx, id, super::exports::LEASE_SECONDS).await?;
    tx.commit().await?;
    state
        .storage
        .put(&key(org, "import-plans", id), csv.clone().into_bytes())
        .await?;
    let report = match import(state, org, id, by, &mut source, true).await {
        Ok(r) => r,
        Err(e) => {
            let mut tx = TenantTx::begin(&state.pool, org).await?;
            repo::exports::fail(&mut tx, id, &e.to_string()).await?;
            tx.commit().await?;
            return Err(e);
        }
    };
    Ok((sum, report, csv))
}

/// An old time; a date alone is read as noon UTC, which is the same day
/// in every US time zone (midnight UTC is the evening before in all of
/// them).
fn when(s: &str) -> Option<DateTime<Utc>> {
    legacy::date_time(s).map(|t| {
        if t.time() == chrono::NaiveTime::MIN {
            t + chrono::Duration::hours(12)
        } else {
            t
        }
    })
}

/// Old ids mapped so far, by (table, old id).
type Ids = HashMap<(String, String), Uuid>;

fn id_of(ids: &Ids, local: &Ids, table: &str, old: &str) -> Option<Uuid> {
    let k = (table.to_string(), old.to_string());
    local.get(&k).or_else(|| ids.get(&k)).copied()
}

/// The first row of each old id, by table.
fn first_rows<'a>(old: &'a Legacy, table: &str) -> Vec<&'a legacy::Row> {
    let mut seen = HashSet::new();
    old.rows(table)
        .iter()
        .filter(|r| !field(r, "id").is_empty() && seen.insert(field(r, "id").to_string()))
        .collect()
}

fn group_by<'a>(rows: &[&'a legacy::Row], column: &str) -> HashMap<String, Vec<&'a legacy::Row>> {
    let mut m: HashMap<String, Vec<&legacy::Row>> = HashMap::new();
    for r in rows {
        m.entry(field(r, column).to_string()).or_default().push(r);
    }
    m
}

/// One customer's transaction: what it stored in object storage (to
/// delete if it does not commit) and the ids it mapped.
#[derive(Default)]
struct Group {
    stored: Vec<Uuid>,
    local: Ids,
    rows: i32,
}

/// A photo read from the upload and decoded (checked, its thumbnail
/// made), or why it cannot be imported.
type Prepared = Result<(Vec<u8>, photos::Processed, String), String>;

/// Photos read and decoded ahead of the customer being written, on the
/// blocking pool (at most one decode per core at a time, as for uploads):
/// the writing waits for the database, the decoding for the CPU, and the
/// two overlap.
struct Prefetch {
    pending: HashMap<String, tokio::task::JoinHandle<Prepared>>,
    /// The next customer (by position) whose photos are not asked for yet.
    next: usize,
}

/// How many customers ahead photos are prepared.
const LOOKAHEAD: usize = 6;

impl Prefetch {
    /// Starts preparing the photos of the customers up to `upto`.
    async fn fill(
        &mut self,
        state: &AppState,
        source: &mut Source,
        order: &[Vec<(String, Option<String>)>],
        upto: usize,
    ) {
        while self.next < order.len() && self.next <= upto {
            for (old_id, path) in &order[self.next] {
                let read = match path {
                    Some(p) => source.photo(p, photos::MAX_PHOTO_BYTES as u64).await,
                    None => Err("its path points outside the upload".to_string()),
                };
                let decodes = state.decodes.clone();
                let handle = tokio::spawn(async move {
                    let bytes = read?;
                    let permit = decodes.acquire_owned().await;
                    tokio::task::spawn_blocking(move || {
                        let r = photos::process(&bytes);
                        drop(permit);
                        r.map(|p| {
                            let sha = hex::encode(Sha256::digest(&bytes));
                            (bytes, p, sha)
                        })
                    })
                    .await
                    .map_err(|_| "the photo could not be processed".to_string())?
                });
                self.pending.insert(old_id.clone(), handle);
            }
            self.next += 1;
        }
    }

    /// The prepared photo `old_id`.
    async fn take(&mut self, old_id: &str) -> Prepared {
        match self.pending.remove(old_id) {
            Some(h) => h
                .await
                .unwrap_or_else(|_| Err("the photo could not be processed".into())),
            None => Err("the photo was not read from the upload".into()),
        }
    }
}

/// The import proper, for a worker (`progress`: reports and lease) or the
/// command line. `None` when the worker's claim was taken over.
async fn import(
    state: &AppState,
    org: Uuid,
    import_id: Uuid,
    by: Uuid,
    source: &mut Source,
    report_progress: bool,
) -> Result<Option<ImportReport>, AppError> {
    let old = legacy::read(&source.db).await.map_err(refused)?;
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    let k = known(&mut tx).await?;
    let mut ids = db::mapped(&mut tx).await?;
    let existing = db::customer_emails(&mut tx).await?;
    tx.commit().await?;
    let plan = {
        let src: &Source = source;
        legacy::plan(&old, &|p| src.has(p), &k)
    };
    let index: HashMap<(String, String), PlanLine> = plan
        .index()
        .into_iter()
        .map(|((t, i), l)| ((t.to_string(), i.to_string()), l.clone()))
        .collect();
    let action = |t: &str, i: &str| -> &'static str {
        match index
            .get(&(t.to_string(), i.to_string()))
            .map(|l| l.action.as_str())
        {
            Some("create") => "create",
            Some("merge") => "merge",
            Some("already") => "already",
            _ => "skip",
        }
    };
    // Progress counts the rows written (created or merged), photos included.
    let to_write = plan
        .lines
        .iter()
        .filter(|l| l.action == "create" || l.action == "merge")
        .count() as i64;
    let mut progress = report_progress.then(|| Progress::new(state, org, import_id, to_write));
    if let Some(p) = progress.as_mut() {
        if !p.report().await? {
            return Ok(None);
        }
    }
    let old_settings = settings(&old);
    // The workspace's home state after the old settings (the state of an
    // address that cannot be read).
    let home_state = apply_settings(state, org, &old_settings, source)
        .await?
        .unwrap_or_else(|| old_settings.state.unwrap_or("TX").to_string());

    let customers = first_rows(&old, "customers");
    let properties = first_rows(&old, "properties");
    let pets = first_rows(&old, "pets");
    let quotes = first_rows(&old, "quotes");
    let jobs = first_rows(&old, "jobs");
    let photos_rows = first_rows(&old, "photos");
    let payments = first_rows(&old, "payments");
    let props_of = group_by(&properties, "customer_id");
    let pets_of = group_by(&pets, "customer_id");
    let quotes_of = group_by(&quotes, "property_id");
    let jobs_of = group_by(&jobs, "quote_id");
    let photos_of = group_by(&photos_rows, "job_id");
    let payments_of = group_by(&payments, "job_id");
    // The first customer of each email in the file (merges point at it).
    let mut first_by_email: HashMap<String, String> = HashMap::new();
    for r in &customers {
        if matches!(action("customers", field(r, "id")), "create" | "already") {
            if let Some(key) = legacy::same_person(field(r, "email")) {
                first_by_email
                    .entry(key)
                    .or_insert_with(|| field(r, "id").to_string());
            }
        }
    }
    let mut problems: Vec<String> = Vec::new();
    let lookups = Lookups {
        props_of: &props_of,
        pets_of: &pets_of,
        quotes_of: &quotes_of,
        jobs_of: &jobs_of,
        photos_of: &photos_of,
        payments_of: &payments_of,
        first_by_email: &first_by_email,
        existing: &existing,
        home_state: &home_state,
    };
    // Each customer's photos to import, in the order they are written.
    let order: Vec<Vec<(String, Option<String>)>> = customers
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            for p in props_of.get(field(c, "id")).into_iter().flatten() {
                for q in quotes_of.get(field(p, "id")).into_iter().flatten() {
                    for j in jobs_of.get(field(q, "id")).into_iter().flatten() {
                        for ph in photos_of.get(field(j, "id")).into_iter().flatten() {
                            if action("photos", field(ph, "id")) == "create" {
                                out.push((
                                    field(ph, "id").to_string(),
                                    legacy::safe_photo_path(field(ph, "path")),
                                ));
                            }
                        }
                    }
                }
            }
            out
        })
        .collect();
    let mut prefetch = Prefetch {
        pending: HashMap::new(),
        next: 0,
    };
    for (i, c) in customers.iter().enumerate() {
        prefetch.fill(state, source, &order, i + LOOKAHEAD).await;
        let cid = field(c, "id");
        let mut g = Group::default();
        let result = async {
            let mut tx = TenantTx::begin(&state.pool, org).await?;
            let wrote = customer_group(
                &mut tx,
                state,
                org,
                import_id,
                by,
                &mut prefetch,
                c,
                &action,
                &ids,
                &lookups,
                &mut g,
                &mut problems,
            )
            .await?;
            if wrote {
                tx.commit().await?;
            }
            Ok::<_, AppError>(())
        }
        .await;
        if let Err(e) = result {
            for id in &g.stored {
                let _ = state.storage.delete(&key(org, "photos", *id)).await;
                let _ = state.storage.delete(&key(org, "photo-thumbs", *id)).await;
            }
            tracing::warn!(customer = cid, error = %e, "legacy import stopped at a customer");
            return Err(e);
        }
        ids.extend(g.local);
        if let Some(p) = progress.as_mut() {
            if !p.add(g.rows).await? {
                return Ok(None);
            }
        }
    }
    let mut report = verify(state, org, &old, &plan, &k.imported, source, problems).await?;
    report.settings = settings_lines(&old_settings);
    let report_json = serde_json::to_value(&report).map_err(|e| super::db::internal(&e))?;
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    repo::audit::record(
        &mut tx,
        Some(by),
        "data.imported",
        Some(import_id),
        serde_json::json!({
            "customers": report.tables.iter().find(|t| t.name == "customers").map_or(0, |t| t.create),
            "unexplained": report.unexplained.len(),
        }),
    )
    .await?;
    if !db::finish(&mut tx, import_id, &report_json).await? {
        return Ok(None);
    }
    if let Some(to) = repo::exports::requester_email(&mut tx, import_id).await? {
        let brand = repo::orgs::brand(&mut tx).await?;
        let link = format!("{}/settings/import", state.tenant_base(&brand));
        let mail =
            super::emails::import_done(&brand.company_name, &link, report.unexplained.is_empty());
        repo::outbox::queue(&mut tx, &to, &mail, Some(import_id)).await?;
    }
    tx.commit().await?;
    Ok(Some(report))
}

/// The old settings into the workspace's, in their own transaction (the
/// same values again change nothing).
async fn apply_settings(
    state: &AppState,
    org: Uuid,
    s: &Settings,
    source: &mut Source,
) -> Result<Option<String>, AppError> {
    let logo = match &s.logo {
        Some(p) => source.photo(p, 1024 * 1024).await.ok(),
        None => None,
    };
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    db::apply_settings(
        &mut tx,
        &db::OldSettings {
            phone: s.phone.as_deref(),
            email: s.email.as_deref(),
            state: s.state,
            markup: s.markup,
        },
    )
    .await?;
    if s.tax.is_some() || s.labour.is_some() {
        let mut c = repo::pricing::catalogue(&mut tx).await?;
        if let Some(t) = s.tax {
            c.default_tax_pct = t;
        }
        if let Some(l) = s.labour {
            c.labour_rate = l;
        }
        repo::pricing::save_catalogue(&mut tx, &c).await?;
    }
    let (has_logo, home_state) = db::logo_and_state(&mut tx).await?;
    if let (false, Some(bytes)) = (has_logo, logo) {
        let kind = if bytes.starts_with(b"\x89PNG") {
            Some("image/png")
        } else if bytes.starts_with(b"\xff\xd8\xff") {
            Some("image/jpeg")
        } else {
            None
        };
        if let Some(kind) = kind {
            repo::orgs::set_logo(&mut tx, kind, &bytes).await?;
        }
    }
    tx.commit().await?;
    Ok(home_state)
}

struct Lookups<'a> {
    props_of: &'a HashMap<String, Vec<&'a legacy::Row>>,
    pets_of: &'a HashMap<String, Vec<&'a legacy::Row>>,
    quotes_of: &'a HashMap<String, Vec<&'a legacy::Row>>,
    jobs_of: &'a HashMap<String, Vec<&'a legacy::Row>>,
    photos_of: &'a HashMap<String, Vec<&'a legacy::Row>>,
    payments_of: &'a HashMap<String, Vec<&'a legacy::Row>>,
    first_by_email: &'a HashMap<String, String>,
    existing: &'a HashMap<String, (Uuid, String)>,
    home_state: &'a str,
}

/// Trimmed text of at most `n` characters.
fn cap(s: &str, n: usize) -> String {
    s.trim().chars().take(n).collect()
}

/// Everything of one old customer, in the caller's transaction; `true`
/// when it wrote anything.
#[allow(clippy::too_many_arguments)]
async fn customer_group(
    tx: &mut TenantTx,
    state: &AppState,
    org: Uuid,
    import_id: Uuid,
    by: Uuid,
    prefetch: &mut Prefetch,
    c: &legacy::Row,
    action: &(dyn Fn(&str, &str) -> &'static str + Sync),
    ids: &Ids,
    l: &Lookups<'_>,
    g: &mut Group,
    problems: &mut Vec<String>,
) -> Result<bool, AppError> {
    let cid = field(c, "id");
    let mut wrote = false;
    // The customer.
    match action("customers", cid) {
        "create" => {
            let id = Uuid::new_v4();
            insert_customer(tx, c, id, by, l.home_state).await?;
            db::map(tx, import_id, "customers", cid, id, None, None).await?;
            g.local.insert(("customers".into(), cid.into()), id);
            g.rows += 1;
            wrote = true;
        }
        "merge" => {
            let key = legacy::same_person(field(c, "email")).unwrap_or_default();
            let target = l
                .first_by_email
                .get(&key)
                .and_then(|first| id_of(ids, &g.local, "customers", first))
                .or_else(|| l.existing.get(&key).map(|(id, _)| *id));
            let Some(target) = target else {
                return Ok(false);
            };
            let mut note = format!(
                "Merged from the old system's customer {cid}: {} {}",
                cap(field(c, "first_name"), 60),
                cap(field(c, "last_name"), 60)
            );
            for (label, col) in [
                ("phone", "phone"),
                ("address", "address"),
                ("notes", "notes"),
            ] {
                let v = cap(field(c, col), 2000);
                if !v.is_empty() {
                    note.push_str(&format!("; {label}: {}", v.replace('\n', ", ")));
                }
            }
            db::append_notes(tx, target, &note).await?;
            db::map(tx, import_id, "customers", cid, target, None, None).await?;
            g.local.insert(("customers".into(), cid.into()), target);
            g.rows += 1;
            wrote = true;
        }
        _ => {}
    }
    let Some(customer) = id_of(ids, &g.local, "customers", cid) else {
        return Ok(wrote);
    };
    // Properties, then pets (on the customer's first property).
    for p in l.props_of.get(cid).into_iter().flatten() {
        let pid = field(p, "id");
        if action("properties", pid) != "create" {
            continue;
        }
        let id = Uuid::new_v4();
        insert_property(tx, p, id, customer).await?;
        db::map(tx, import_id, "properties", pid, id, None, None).await?;
        g.local.insert(("properties".into(), pid.into()), id);
        g.rows += 1;
        wrote = true;
    }
    for pet in l.pets_of.get(cid).into_iter().flatten() {
        let pid = field(pet, "id");
        if action("pets", pid) != "create" {
            continue;
        }
        let home = match db::first_property(tx, customer).await? {
            Some(h) => h,
            None => {
                let (street, city, st, zip) = db::customer_address(tx, customer).await?;
                let h = Uuid::new_v4();
                db::insert_property(
                    tx,
                    &db::NewProperty {
                        id: h,
                        customer_id: customer,
                        label: "Home",
                        street: &street,
                        city: &city,
                        state: &st,
                        zip: &zip,
                        lot_sqft: None,
                        notes: "Made by the import for the old system's pets (it had no property for this customer).",
                        drawing: serde_json::json!({}),
                    },
                )
                .await?;
                h
            }
        };
        let name = cap(field(pet, "name"), 60);
        let pet_id = Uuid::new_v4();
        db::insert_pet(
            tx,
            pet_id,
            home,
            &name,
            &cap(field(pet, "breed"), 80),
            legacy::weight_lb(field(pet, "weight")).ok().flatten(),
            &cap(field(pet, "collar"), 80),
            legacy::date(field(pet, "battery_changed")),
        )
        .await?;
        db::map(tx, import_id, "pets", pid, pet_id, None, None).await?;
        g.rows += 1;
        wrote = true;
    }
    // Quotes of this customer's properties, their jobs, payments, photos.
    let props: Vec<&str> = l
        .props_of
        .get(cid)
        .into_iter()
        .flatten()
        .map(|p| field(p, "id"))
        .collect();
    for pid in props {
        let Some(property) = id_of(ids, &g.local, "properties", pid) else {
            continue;
        };
        for q in l.quotes_of.get(pid).into_iter().flatten() {
            let qid = field(q, "id");
            if action("quotes", qid) == "create" {
                let id = Uuid::new_v4();
                let total = insert_quote(tx, q, id, property, customer, by).await?;
                db::map(tx, import_id, "quotes", qid, id, None, Some(total)).await?;
                g.local.insert(("quotes".into(), qid.into()), id);
                g.rows += 1;
                wrote = true;
            }
            let Some(quote) = id_of(ids, &g.local, "quotes", qid) else {
                continue;
            };
            for j in l.jobs_of.get(qid).into_iter().flatten() {
                let jid = field(j, "id");
                if action("jobs", jid) == "create" {
                    let id = Uuid::new_v4();
                    insert_job(tx, j, id, quote, property, customer, by).await?;
                    db::map(tx, import_id, "jobs", jid, id, None, None).await?;
                    g.local.insert(("jobs".into(), jid.into()), id);
                    g.rows += 1;
                    wrote = true;
                }
                let Some(job) = id_of(ids, &g.local, "jobs", jid) else {
                    continue;
                };
                for pay in l.payments_of.get(jid).into_iter().flatten() {
                    let payid = field(pay, "id");
                    if action("payments", payid) != "create" {
                        continue;
                    }
                    let amount = legacy::money(field(pay, "amount")).unwrap_or_default();
                    db::add_payment(tx, job, amount).await?;
                    let status = db::job_status(tx, job).await?.unwrap_or_default();
                    let at = when(field(pay, "paid_at")).unwrap_or_else(Utc::now);
                    db::job_event(
                        tx,
                        job,
                        by,
                        Some(&status),
                        &status,
                        &format!(
                            "Payment of ${amount} ({}) recorded in the old system (payment {payid}).",
                            cap(field(pay, "method"), 40)
                        ),
                        at,
                    )
                    .await?;
                    db::map(tx, import_id, "payments", payid, job, None, Some(amount)).await?;
                    g.rows += 1;
                    wrote = true;
                }
                for ph in l.photos_of.get(jid).into_iter().flatten() {
                    let phid = field(ph, "id");
                    if action("photos", phid) != "create" {
                        continue;
                    }
                    g.rows += 1;
                    match import_photo(tx, state, org, prefetch.take(phid).await, ph, job, by)
                        .await?
                    {
                        Ok((id, sha)) => {
                            g.stored.push(id);
                            db::map(tx, import_id, "photos", phid, id, Some(&sha), None).await?;
                            wrote = true;
                        }
                        Err(why) => problems.push(format!("photo {phid}: {why}")),
                    }
                }
            }
        }
    }
    Ok(wrote)
}

/// An old one-line address as street, city, state and ZIP; the text as
/// typed goes to `notes` when the split is unsure, and into the street
/// (with `state`, no city or ZIP) when it cannot be split. `None` when
/// empty.
fn old_address(
    raw: &str,
    state: &str,
    notes: &mut Vec<String>,
) -> Option<(String, String, String, String)> {
    if raw.is_empty() {
        return None;
    }
    let typed = raw.replace('\n', ", ");
    let parsed = legacy::address(raw);
    if parsed.as_ref().is_none_or(|a| !a.sure) {
        notes.push(format!(
            "Address as typed in the old system: {}",
            cap(&typed, 300)
        ));
    }
    Some(match parsed {
        Some(a) => (a.street, a.city, a.state, a.zip),
        None => (
            cap(&typed, 200),
            String::new(),
            state.to_string(),
            String::new(),
        ),
    })
}

async fn insert_customer(
    tx: &mut TenantTx,
    c: &legacy::Row,
    id: Uuid,
    by: Uuid,
    home_state: &str,
) -> Result<(), AppError> {
    use crate::model::{optional_email, optional_phone};
    let name = cap(
        &format!("{} {}", field(c, "first_name"), field(c, "last_name")),
        120,
    );
    let mut notes = Vec::new();
    let raw_phone = field(c, "phone");
    let phone = match optional_phone(raw_phone) {
        Ok(p) => p,
        Err(_) => {
            notes.push(format!(
                "Phone as typed in the old system: {}",
                cap(raw_phone, 60)
            ));
            None
        }
    };
    let raw_email = field(c, "email");
    let email = match optional_email(raw_email) {
        Ok(e) => e,
        Err(_) => {
            notes.push(format!(
                "Email as typed in the old system: {}",
                cap(raw_email, 254)
            ));
            None
        }
    };
    let (street, city, state, zip) = old_address(field(c, "address"), home_state, &mut notes)
        .unwrap_or_else(|| {
            (
                String::new(),
                String::new(),
                home_state.to_string(),
                String::new(),
            )
        });
    let old_notes = cap(field(c, "notes"), 5000);
    if !old_notes.is_empty() {
        notes.insert(0, old_notes);
    }
    let archived = matches!(
        field(c, "archived").to_lowercase().as_str(),
        "1" | "true" | "yes" | "y"
    );
    let created_at = when(field(c, "created_at")).unwrap_or_else(Utc::now);
    db::insert_customer(
        tx,
        &db::NewCustomer {
            id,
            name: &name,
            email: email.as_deref(),
            phone: phone.as_deref(),
            street: &cap(&street, 200),
            city: &cap(&city, 100),
            state: &state,
            zip: &zip,
            notes: &notes.join("\n"),
            created_at,
            archived,
            by,
        },
    )
    .await
}

async fn insert_property(
    tx: &mut TenantTx,
    p: &legacy::Row,
    id: Uuid,
    customer: Uuid,
) -> Result<(), AppError> {
    let raw = field(p, "address");
    let mut notes = Vec::new();
    // The customer's own address stands in when the property has none
    // that can be read (and gives the state of one that cannot be split).
    let (street, city, state, zip) = if legacy::address(raw).is_some() {
        old_address(raw, "", &mut notes).expect("an address was read")
    } else {
        let customer_address = db::customer_address(tx, customer).await?;
        old_address(raw, &customer_address.2, &mut notes).unwrap_or(customer_address)
    };
    let lot = legacy::lot_sqft(field(p, "lot_size")).ok().flatten();
    let wire = field(p, "wire_feet");
    if !wire.is_empty() {
        notes.push(format!("Wire in the old system: {} ft", cap(wire, 20)));
    }
    let drawing = match legacy::boundary(field(p, "boundary")) {
        Some(points) => {
            let d = crate::model::Drawing {
                boundary: points
                    .iter()
                    .map(|(x, y)| crate::model::takeoff::Pt::new(*x, *y))
                    .collect(),
                ..Default::default()
            };
            let d = crate::model::Drawing {
                width_ft: d.fitting_width().unwrap_or(200.0),
                ..d
            };
            serde_json::to_value(d).map_err(|e| super::db::internal(&e))?
        }
        None => serde_json::json!({}),
    };
    db::insert_property(
        tx,
        &db::NewProperty {
            id,
            customer_id: customer,
            label: "",
            street: &cap(&street, 200),
            city: &cap(&city, 100),
            state: &state,
            zip: &zip,
            lot_sqft: lot,
            notes: &notes.join("\n"),
            drawing,
        },
    )
    .await
}

/// The quote with its one version: the old lines as the quote's own
/// items, the discount and tax, and the old total kept as the agreed
/// price. Returns that total.
async fn insert_quote(
    tx: &mut TenantTx,
    q: &legacy::Row,
    id: Uuid,
    property: Uuid,
    customer: Uuid,
    by: Uuid,
) -> Result<Decimal, AppError> {
    use crate::model::pricing::{price, ManualItem, QuoteTerms, ValidItem, ValidTerms};
    let total = legacy::money(field(q, "total"))
        .unwrap_or_default()
        .round_dp(2);
    let items = legacy::line_items(q).unwrap_or_default();
    let discount = legacy::money(field(q, "discount")).unwrap_or_default();
    let tax = legacy::percent(field(q, "tax_rate")).unwrap_or_default();
    let subtotal: Decimal = items.iter().map(|(_, n, p)| (n * p).round_dp(2)).sum();
    let recomputed = legacy::recomputed_total(q);
    // The agreed total decides: when the lines do not add up to it, the
    // price before tax is set so that they do.
    let net = if recomputed == Some(total) {
        subtotal - discount
    } else {
        (total / (Decimal::ONE + tax / Decimal::from(100))).round_dp(2)
    };
    let valid = ValidTerms {
        items: items
            .iter()
            .map(|(d, n, p)| ValidItem {
                description: if d.is_empty() {
                    "Item".into()
                } else {
                    d.clone()
                },
                qty: *n,
                unit_price: *p,
            })
            .collect(),
        discount_pct: Decimal::ZERO,
        tax_pct: tax,
        price_override: Some(net.max(Decimal::ZERO)),
        notes: String::new(),
    };
    let mut note = format!(
        "Imported from the old system (quote {}). Agreed total ${total}",
        field(q, "id")
    );
    match recomputed {
        Some(r) if r != total => note.push_str(&format!("; its lines add up to ${r}")),
        None => note.push_str("; its line items could not be read"),
        _ => {}
    }
    if !discount.is_zero() {
        note.push_str(&format!("; discount ${discount}"));
    }
    note.push('.');
    let old_notes = cap(field(q, "notes"), 1500);
    if !old_notes.is_empty() {
        note.push_str(&format!(" {old_notes}"));
    }
    let terms = QuoteTerms {
        items: valid
            .items
            .iter()
            .map(|i| ManualItem {
                description: i.description.clone(),
                qty: i.qty.normalize().to_string(),
                unit_price: i.unit_price.normalize().to_string(),
            })
            .collect(),
        discount_pct: String::new(),
        tax_pct: tax.normalize().to_string(),
        price_override: net.max(Decimal::ZERO).to_string(),
        notes: cap(&note, 2000),
    };
    let catalogue = repo::pricing::catalogue(tx).await?;
    let property_row = repo::properties::get(tx, property).await?;
    let drawing = property_row
        .as_ref()
        .map(|p| p.drawing.clone())
        .unwrap_or_default();
    // The materials and crew time follow the old boundary, as the
    // designer's would; the prices are the old quote's own lines.
    let takeoff = crate::model::takeoff::take_off(
        &drawing,
        property_row.as_ref().map_or(0, |p| p.pets.len() as u32),
        &catalogue,
    );
    let mut priced = price(
        &takeoff,
        &catalogue,
        (
            Decimal::ONE,
            crate::model::pricing::MultiplierSource::NoZone,
        ),
        &valid,
        None,
    );
    // Rounding aside, the total is the one agreed.
    priced.tax = total - priced.net;
    priced.total = total;
    let status = legacy::quote_status(field(q, "status")).unwrap_or("draft");
    let created_at = when(field(q, "created")).unwrap_or_else(Utc::now);
    db::insert_quote(
        tx,
        &db::NewQuote {
            id,
            property_id: property,
            customer_id: customer,
            status,
            total,
            created_at,
            by,
        },
        &repo::quotes::Version {
            drawing,
            terms,
            takeoff,
            priced,
        },
    )
    .await?;
    Ok(total)
}

/// The job in its old status, with its history: scheduled, done, and the
/// status the old system ended with.
async fn insert_job(
    tx: &mut TenantTx,
    j: &legacy::Row,
    id: Uuid,
    quote: Uuid,
    property: Uuid,
    customer: Uuid,
    by: Uuid,
) -> Result<(), AppError> {
    let status = legacy::job_status(field(j, "status")).unwrap_or("scheduled");
    let scheduled = when(field(j, "scheduled_date"));
    let completed = when(field(j, "completed_at"));
    let total = db::quote_total(tx, quote).await?;
    let invoiced = matches!(status, "invoiced" | "paid").then_some(total);
    let created_at = scheduled.or(completed).unwrap_or_else(Utc::now);
    db::insert_job(
        tx,
        &db::NewJob {
            id,
            quote_id: quote,
            property_id: property,
            customer_id: customer,
            status,
            scheduled_for: scheduled.map(|t| t.date_naive()),
            total,
            invoiced,
            created_at,
            by,
        },
    )
    .await?;
    let crew = cap(field(j, "crew"), 100);
    let mut note = format!("Imported from the old system (job {}).", field(j, "id"));
    if !crew.is_empty() {
        note.push_str(&format!(" Crew: {crew}."));
    }
    let old_notes = cap(field(j, "notes"), 1500);
    if !old_notes.is_empty() {
        note.push_str(&format!(" {old_notes}"));
    }
    let mut last = "scheduled";
    db::job_event(tx, id, by, None, "scheduled", &note, created_at).await?;
    if let Some(done) = completed {
        if status != "cancelled" {
            db::job_event(
                tx,
                id,
                by,
                Some("scheduled"),
                "completed",
                "Done (old system).",
                done,
            )
            .await?;
            last = "completed";
        }
    }
    if status != last {
        db::job_event(
            tx,
            id,
            by,
            Some(last),
            status,
            &format!("Status in the old system: {}.", cap(field(j, "status"), 40)),
            completed.unwrap_or(created_at),
        )
        .await?;
    }
    Ok(())
}

/// Stores one old photo (the file, its thumbnail) and records it on its
/// job. `Ok(Err(reason))` when the file is not a photo that can be read:
/// reported, not fatal.
async fn import_photo(
    tx: &mut TenantTx,
    state: &AppState,
    org: Uuid,
    prepared: Prepared,
    ph: &legacy::Row,
    job: Uuid,
    by: Uuid,
) -> Result<Result<(Uuid, String), String>, AppError> {
    let path = legacy::safe_photo_path(field(ph, "path")).unwrap_or_default();
    let (bytes, p, sha) = match prepared {
        Ok(x) => x,
        Err(why) => return Ok(Err(format!("{path}: {why}"))),
    };
    let id = Uuid::new_v4();
    let size = bytes.len();
    state.storage.put(&key(org, "photos", id), bytes).await?;
    state
        .storage
        .put(&key(org, "photo-thumbs", id), p.thumbnail.clone())
        .await?;
    let total = size as i64 + p.thumbnail.len() as i64;
    if !repo::storage::reserve(tx, total).await? {
        let _ = state.storage.delete(&key(org, "photos", id)).await;
        let _ = state.storage.delete(&key(org, "photo-thumbs", id)).await;
        let u = repo::storage::usage(tx).await?;
        return Err(AppError::Limit(crate::model::storage_limit_message(
            u.plan,
            u.quota.unwrap_or_default(),
        )));
    }
    let (kind, _) = legacy::photo_kind(field(ph, "kind"), &path);
    let ok = repo::jobs::add_photo(
        tx,
        &repo::jobs::NewPhoto {
            id,
            job_id: job,
            kind,
            content_type: p.content_type,
            size_bytes: size as i32,
            thumb_bytes: p.thumbnail.len() as i32,
            width: p.width as i32,
            height: p.height as i32,
            taken_at: p.taken_at.or_else(|| when(field(ph, "taken_at"))),
            location: p.location,
            by,
        },
    )
    .await?;
    if !ok {
        return Err(AppError::NotFound);
    }
    Ok(Ok((id, sha)))
}

/// The verification report: counts per table on both sides, money on both
/// sides, every imported photo's stored file read back and compared with
/// the old file, and what no plan line explains.
async fn verify(
    state: &AppState,
    org: Uuid,
    old: &Legacy,
    plan: &Plan,
    before: &HashSet<(String, String)>,
    source: &mut Source,
    problems: Vec<String>,
) -> Result<ImportReport, AppError> {
    let mut tx = TenantTx::begin(&state.pool, org).await?;
    let here = db::mapped_counts(&mut tx).await?;
    let (quotes_here, payments_here) = db::sums(&mut tx).await?;
    let photos_here = db::photos(&mut tx).await?;
    tx.commit().await?;
    let mut unexplained = Vec::new();
    let failed_photos = problems.iter().filter(|p| p.starts_with("photo ")).count() as i64;
    let mut tables = summary(old, plan, Vec::new()).tables;
    for t in &mut tables {
        let n = here.get(&t.name).copied().unwrap_or(0);
        t.here = Some(n);
        let expected =
            t.create + t.merge + t.already - if t.name == "photos" { failed_photos } else { 0 };
        if n < expected {
            unexplained.push(format!(
                "{}: {expected} old rows should be here, {n} are",
                t.name
            ));
        }
        if t.old_rows != t.create + t.merge + t.skip + t.already {
            unexplained.push(format!(
                "{}: {} old rows, {} planned",
                t.name,
                t.old_rows,
                t.create + t.merge + t.skip + t.already
            ));
        }
    }
    let index = plan.index();
    let sum = |table: &str, column: &str, imported: Option<bool>| -> Decimal {
        let mut seen = HashSet::new();
        old.rows(table)
            .iter()
            .filter(|r| seen.insert(field(r, "id").to_string()))
            .filter(|r| {
                let a = index
                    .get(&(table, field(r, "id")))
                    .map_or("skip", |l| l.action.as_str());
                match imported {
                    None => true,
                    Some(true) => a == "create" || a == "already",
                    Some(false) => a == "skip",
                }
            })
            .filter_map(|r| legacy::money(field(r, column)))
            .sum()
    };
    let mut money = Vec::new();
    for (what, table, column, here) in [
        ("Quote totals", "quotes", "total", quotes_here),
        ("Payments", "payments", "amount", payments_here),
    ] {
        let imported = sum(table, column, Some(true));
        if imported.round_dp(2) != here.round_dp(2) {
            unexplained.push(format!(
                "{what}: the old rows imported add up to ${}, here ${}",
                imported.round_dp(2),
                here.round_dp(2)
            ));
        }
        money.push(MoneyCheck {
            what: what.into(),
            old_total: sum(table, column, None).round_dp(2).to_string(),
            old_imported: imported.round_dp(2).to_string(),
            here: here.round_dp(2).to_string(),
            old_skipped: sum(table, column, Some(false)).round_dp(2).to_string(),
        });
    }
    // Photos: the stored file against the old file's checksum (kept when
    // it was imported) and against the file in this upload.
    let paths: HashMap<String, String> = first_rows(old, "photos")
        .iter()
        .filter_map(|r| {
            Some((
                field(r, "id").to_string(),
                legacy::safe_photo_path(field(r, "path"))?,
            ))
        })
        .collect();
    let mut checked = 0i64;
    let mut matching = 0i64;
    for (old_id, id, sha) in photos_here {
        checked += 1;
        let stored = state
            .storage
            .get(&key(org, "photos", id))
            .await?
            .map(|b| hex::encode(Sha256::digest(&b)));
        // A photo imported by this run was checked as it was read; one an
        // earlier run imported is compared with this upload's file too.
        let earlier = before.contains(&("photos".to_string(), old_id.clone()));
        let upload = match paths.get(&old_id) {
            Some(p) if earlier && source.has(p) => source
                .photo(p, photos::MAX_PHOTO_BYTES as u64)
                .await
                .ok()
                .map(|b| hex::encode(Sha256::digest(&b))),
            _ => None,
        };
        let ok = stored.is_some() && stored == sha && (upload.is_none() || upload == stored);
        if ok {
            matching += 1;
        } else if stored.is_none() {
            unexplained.push(format!("photo {old_id}: its stored file is missing"));
        } else {
            unexplained.push(format!(
                "photo {old_id}: the stored file's checksum differs from the old file's"
            ));
        }
    }
    Ok(ImportReport {
        finished_at: Utc::now(),
        tables,
        money,
        photos_checked: checked,
        photos_matching: matching,
        problems,
        unexplained,
        settings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_names_are_keyed_as_the_old_paths() {
        let list = vec![
            ("old/fence.db".to_string(), 0, 1),
            ("old/photos/2016/a.png".to_string(), 1, 1),
            ("elsewhere/photos/b.png".to_string(), 2, 1),
        ];
        let n = photo_names(&list, Some("old/"));
        assert!(n.contains_key("photos/2016/a.png"));
        assert!(!n.contains_key("photos/b.png"));
        let list = vec![
            ("photos/2016/a.png".to_string(), 0, 1),
            ("2017/b.png".to_string(), 1, 1),
            ("x/photos/c.png".to_string(), 2, 1),
            ("myphotos/d.png".to_string(), 3, 1),
        ];
        let n = photo_names(&list, None);
        for k in [
            "photos/2016/a.png",
            "photos/2017/b.png",
            "photos/c.png",
            "photos/myphotos/d.png",
        ] {
            assert!(n.contains_key(k), "{k}");
        }
    }

    #[test]
    fn entry_names_never_climb_out() {
        assert_eq!(entry_path("../../etc/passwd"), None);
        assert_eq!(entry_path("/etc/passwd"), None);
        assert_eq!(entry_path("C:\\x"), None);
        assert_eq!(entry_path("a/./b"), Some("a/b".into()));
    }
}
