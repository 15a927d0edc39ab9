//! Exports on demand and daily cloud backups (issue 13).
//!
//! One archive format for both: a zip with every table of the workspace
//! as a CSV file (`csv/<table>.csv`, UTC times, JSON for drawings and
//! price books), the same tables in one SQLite file (`fenceline.sqlite`),
//! the photos (`photos/<id>.<ext>`), a `README.txt` describing the tables
//! and a `manifest.json` with each file's size and SHA-256, the row counts
//! and the photos whose file was missing. Secrets stay out: no password
//! hashes, tokens, sessions or outbox bodies.
//!
//! The rows come from one read-only snapshot (a repeatable-read
//! transaction as the tenant, so row-level security applies as for any
//! request). The archive is written to a temporary file as the rows stream
//! out of PostgreSQL, then streamed into object storage under the tenant's
//! prefix; nothing holds more than one photo in memory. A worker claims
//! each export with a lease it renews as it reports progress; a worker that
//! dies leaves the lease to run out and the next one starts again.

use std::pin::Pin;
use std::task::{Context, Poll};

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Duration, Utc};
use futures::{AsyncWriteExt as _, StreamExt, TryStreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Column, ConnectOptions, Connection, Executor, Statement, TypeInfo};
use tokio::io::AsyncWrite;
use tokio::sync::watch;
use uuid::Uuid;

use super::context::UserRef;
use super::repo::exports::{Archive, Claim, Finished};
use super::storage::key;
use super::{emails, repo, AppState, RequestCtx, TenantTx};
use crate::error::AppError;
use crate::model::export::{ArchiveRow, DataOverview, EXPORT_KEEP_DAYS};
use crate::model::{time, PlanCode};

/// Seconds a worker's claim on an export lasts without news from it.
pub const LEASE_SECONDS: i32 = 120;

/// The archive format's version, in the manifest.
pub const FORMAT_VERSION: u32 = 1;

/// One table of the archive: its name there, what it holds, and the query
/// that reads it (row-level security keeps it to the tenant).
pub struct Table {
    pub name: &'static str,
    pub about: &'static str,
    pub sql: &'static str,
}

/// Every table an archive holds, in this order.
pub const TABLES: &[Table] = &[
    Table {
        name: "company",
        about: "the workspace: company name, subdomain, plan, contact details, home state, markup and time zone",
        sql: "select id, company_name, subdomain, custom_domain, plan, status, support_email, phone, \
              brand_color, home_state, custom_markup, time_zone, created_at from organizations",
    },
    Table {
        name: "users",
        about: "the team: name, email, role (no passwords)",
        sql: "select id, email, name, role, created_at, last_login_at from users order by created_at, id",
    },
    Table {
        name: "customers",
        about: "homeowners and their contact details; archived_at is set for archived ones",
        sql: "select id, name, email, phone, street, city, state, zip, notes, reminders, archived_at, \
              created_by, created_at, updated_at from customers order by created_at, id",
    },
    Table {
        name: "properties",
        about: "each customer's properties; drawing is the designer's boundary (JSON: points in feet, gates, layout)",
        sql: "select id, customer_id, label, street, city, state, zip, lat, lon, lot_sqft, gate_notes, \
              notes, drawing, created_at, updated_at from properties order by created_at, id",
    },
    Table {
        name: "pets",
        about: "pets per property, with collar and battery date",
        sql: "select id, property_id, name, breed, weight_lb, collar_model, battery_installed, created_at \
              from pets order by created_at, id",
    },
    Table {
        name: "quotes",
        about: "quotes: number, status, current version and total, the homeowner's decision",
        sql: "select id, number, customer_id, property_id, status, version, total, manager_approved_version, \
              manager_approved_by, decided_name, decline_reason, decided_at, created_by, created_at, \
              updated_at from quotes order by number",
    },
    Table {
        name: "quote_versions",
        about: "every saved version of every quote: drawing, terms, take-off and priced lines (JSON) and total",
        sql: "select quote_id, version, total, drawing, terms, takeoff, priced, created_by, created_at \
              from quote_versions order by quote_id, version",
    },
    Table {
        name: "jobs",
        about: "installation and service jobs: status, schedule, crew, amounts",
        sql: "select id, number, kind, status, quote_id, customer_id, property_id, scheduled_for, starts_at, \
              duration_minutes, time_window, crew_id, total, invoiced_amount, paid_amount, checklist_done, \
              pet_ids, created_by, created_at, updated_at from jobs order by number",
    },
    Table {
        name: "job_events",
        about: "each job's history: status changes with who, when and a note",
        sql: "select id, job_id, from_status, to_status, by_user, note, at from job_events order by at, id",
    },
    PHOTOS,
    Table {
        name: "crews",
        about: "crews: colour, start and end points, hours, days off, fuel economy",
        sql: "select id, name, color, mpg, start_lat, start_lon, end_lat, end_lon, hours, days_off, \
              created_at, updated_at from crews order by created_at, id",
    },
    Table {
        name: "crew_members",
        about: "who is on which crew",
        sql: "select crew_id, user_id from crew_members order by crew_id, user_id",
    },
    Table {
        name: "route_savings",
        about: "optimised routes: miles before and after, fuel and money saved",
        sql: "select crew_id, day, miles_before, miles_after, gallons_saved, dollars_saved, by_user, \
              optimised_at from route_savings order by day, crew_id",
    },
    Table {
        name: "price_book",
        about: "the price book (JSON: items, costs, prices)",
        sql: "select data, updated_at from catalogues",
    },
    Table {
        name: "zone_overrides",
        about: "the workspace's own price multipliers per state",
        sql: "select state_code, multiplier from zone_overrides order by state_code",
    },
    Table {
        name: "email_templates",
        about: "custom wording of the emails homeowners get",
        sql: "select kind, subject, body, updated_by, updated_at from email_templates order by kind",
    },
    Table {
        name: "text_messages",
        about: "texts sent to homeowners (the SMS add-on) and their delivery",
        sql: "select id, to_phone, kind, body, about_id, segments, status, error, created_by, created_at, \
              sent_at from sms_messages order by created_at, id",
    },
    Table {
        name: "text_opt_outs",
        about: "numbers that replied STOP",
        sql: "select phone, opted_out_at from sms_opt_outs order by phone",
    },
    Table {
        name: "legacy_ids",
        about: "what each id of the old single-installer system became here (the legacy import); \
                photos keep the old file's SHA-256",
        sql: "select kind, old_id, new_id, import_id, sha256, amount, created_at from legacy_ids \
              order by kind, old_id",
    },
    Table {
        name: "invoices",
        about: "the workspace's subscription invoices",
        sql: "select number, status, amount_due_cents, amount_paid_cents, currency, period_start, \
              period_end, stripe_created, hosted_url, pdf_url from invoices order by stripe_created",
    },
    Table {
        name: "activity_log",
        about: "the audit log: who did what, when",
        sql: "select id, actor_id, action, subject_id, detail, at from audit_events order by at, id",
    },
];

/// The photos table: its `file` column names each photo's path in the
/// archive.
const PHOTOS: Table = Table {
    name: "photos",
    about: "job photos; file is the photo's path in this archive",
    sql: "select id, job_id, kind, content_type, size_bytes, width, height, taken_at, lat, lon, \
              uploaded_by, created_at, \
              'photos/' || id::text || case content_type when 'image/png' then '.png' \
              when 'image/webp' then '.webp' else '.jpg' end as file \
              from photos order by created_at, id",
};

fn view(a: Archive, zone: &str) -> ArchiveRow {
    let style = super::context::reader_date_style();
    ArchiveRow {
        id: a.id,
        kind: a.kind,
        status: a.status,
        done: a.done,
        total: a.total,
        requested_by: a.requested_by,
        created: style.date_time(a.created_at, zone),
        finished: a.finished_at.map(|t| style.date_time(t, zone)),
        size: a.size_bytes.map(crate::model::human_bytes),
        photos: a.photos,
        photos_missing: a.photos_missing,
        error: a.error,
        expires: a.expires_at.map(|t| style.local_date(t, zone)),
        source: a.source_label,
        report: a
            .report
            .and_then(|r| serde_json::from_value::<crate::model::export::RestoreReport>(r).ok())
            .map(|r| r.summary()),
    }
}

/// Settings → Data: the latest exports and the kept backups.
#[tracing::instrument(skip_all)]
pub async fn overview(cx: &RequestCtx) -> Result<DataOverview, AppError> {
    let mut tx = cx.tx().await?;
    let out = read_overview(&mut tx, cx.state.config.backup_keep_days, may_restore(cx)).await?;
    tx.commit().await?;
    Ok(out)
}

/// Only owners restore.
fn may_restore(cx: &RequestCtx) -> bool {
    cx.member()
        .is_ok_and(|m| m.role == crate::model::Role::Owner)
}

async fn read_overview(
    tx: &mut TenantTx,
    keep_days: i64,
    can_restore: bool,
) -> Result<DataOverview, AppError> {
    let zone = repo::orgs::time_zone(tx).await?;
    let brand = repo::orgs::brand(tx).await?;
    let exports = repo::exports::recent(tx, "export", 10).await?;
    let backups = repo::exports::recent(tx, "backup", keep_days + 3).await?;
    let restores = repo::exports::recent(tx, "restore", 5).await?;
    Ok(DataOverview {
        restores: restores.into_iter().map(|a| view(a, &zone)).collect(),
        exports: exports.into_iter().map(|a| view(a, &zone)).collect(),
        backups: backups
            .into_iter()
            .filter(|a| a.status != "expired")
            .map(|a| view(a, &zone))
            .collect(),
        backups_included: brand.plan != PlanCode::Starter,
        can_restore,
        backup_keep_days: keep_days,
    })
}

/// Asks for an export (one at a time per workspace).
#[tracing::instrument(skip_all)]
pub async fn request(cx: &RequestCtx, me: &UserRef) -> Result<DataOverview, AppError> {
    let mut tx = cx.tx().await?;
    let Some(id) = repo::exports::request(&mut tx, me.id).await? else {
        return Err(AppError::Conflict(
            "An export is already being prepared. It will be listed here when it is ready.".into(),
        ));
    };
    repo::audit::record(
        &mut tx,
        Some(me.id),
        "export.requested",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    let out = read_overview(&mut tx, cx.state.config.backup_keep_days, may_restore(cx)).await?;
    tx.commit().await?;
    Ok(out)
}

/// `GET /exports/{id}/download`: a finished archive, streamed from object
/// storage, for the workspace's owners and admins only.
pub async fn download(Extension(cx): Extension<RequestCtx>, Path(id): Path<Uuid>) -> Response {
    match cx.member() {
        Ok(me) if me.role.manages_settings() => {}
        Ok(_) => return StatusCode::FORBIDDEN.into_response(),
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    }
    let found = async {
        let mut tx = cx.tx().await?;
        let found = repo::exports::ready(&mut tx, id).await?;
        let brand = repo::orgs::brand(&mut tx).await?;
        let zone = repo::orgs::time_zone(&mut tx).await?;
        tx.commit().await?;
        Ok::<_, AppError>(found.map(|(kind, at)| {
            format!(
                "{}-{kind}-{}.zip",
                brand.subdomain,
                time::local_day(at, &zone).format("%Y-%m-%d")
            )
        }))
    }
    .await;
    let name = match found {
        Ok(Some(n)) => n,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let Ok(org) = cx.tenant_id() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match cx.state.storage.get_stream(&key(org, "exports", id)).await {
        Ok(Some((body, size))) => (
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (header::CONTENT_LENGTH, size.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
            ],
            body,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The export worker: builds archives as they are asked for (woken by the
/// insert's NOTIFY, else every 2 s), one at a time per instance.
pub async fn run(state: AppState, listen_url: String, stop: watch::Receiver<bool>) {
    super::workers::drain_on_notify(
        listen_url,
        "exports",
        || {
            let s = state.clone();
            async move { build_next(&s).await }
        },
        stop,
    )
    .await
}

/// Claims and builds the next archive; `true` when there was one.
#[tracing::instrument(skip_all)]
pub async fn build_next(state: &AppState) -> Result<bool, AppError> {
    let Some(claim) = repo::exports::claim(&state.pool, LEASE_SECONDS).await? else {
        return Ok(false);
    };
    if claim.kind == "restore" {
        super::restore::run(state, &claim).await?;
        return Ok(true);
    }
    if claim.kind == "import" {
        super::import::run(state, &claim).await?;
        return Ok(true);
    }
    let started = std::time::Instant::now();
    match build(state, &claim).await {
        Ok(Some(built)) => {
            finish(state, &claim, &built).await?;
            metrics::counter!("fence_exports_total", "result" => "ready").increment(1);
            tracing::info!(
                org_id = %claim.org_id, export_id = %claim.id, kind = claim.kind,
                bytes = built.size_bytes, rows = built.rows, photos = built.photos,
                seconds = started.elapsed().as_secs_f64(), "archive ready"
            );
        }
        // Taken over by another worker (this one was too slow to renew
        // its lease): it builds the archive; this copy is dropped.
        Ok(None) => {}
        Err(e) => {
            metrics::counter!("fence_exports_total", "result" => "failed").increment(1);
            let reference = match &e {
                AppError::Internal(r) => r.clone(),
                _ => String::new(),
            };
            let mut tx = TenantTx::begin(&state.pool, claim.org_id).await?;
            repo::exports::fail(
                &mut tx,
                claim.id,
                &format!(
                    "The archive could not be built. Please ask for a new one; if it fails again, give support this reference: {reference}."
                ),
            )
            .await?;
            tx.commit().await?;
        }
    }
    Ok(true)
}

/// What a finished build produced.
pub struct Built {
    /// Rows per table (shown before a restore from this archive).
    pub counts: serde_json::Value,
    pub size_bytes: i64,
    pub sha256: String,
    pub rows: i64,
    pub photos: i32,
    pub photos_missing: i32,
}

async fn finish(state: &AppState, claim: &Claim, built: &Built) -> Result<(), AppError> {
    let keep = if claim.kind == "backup" {
        state.config.backup_keep_days
    } else {
        EXPORT_KEEP_DAYS
    };
    let mut tx = TenantTx::begin(&state.pool, claim.org_id).await?;
    let ok = repo::exports::finish(
        &mut tx,
        claim.id,
        &Finished {
            size_bytes: built.size_bytes,
            sha256: &built.sha256,
            photos: built.photos,
            photos_missing: built.photos_missing,
            counts: &built.counts,
            expires_at: Utc::now() + Duration::days(keep),
        },
    )
    .await?;
    if ok && claim.kind == "export" {
        if let Some(to) = repo::exports::requester_email(&mut tx, claim.id).await? {
            let brand = repo::orgs::brand(&mut tx).await?;
            let link = format!("{}/settings/data", state.tenant_base(&brand));
            let mail = emails::export_ready(&brand.company_name, &link, EXPORT_KEEP_DAYS);
            repo::outbox::queue(&mut tx, &to, &mail, Some(claim.id)).await?;
        }
    }
    tx.commit().await?;
    if !ok {
        // No longer this worker's: the object it stored is the other's
        // to replace.
        tracing::warn!(export_id = %claim.id, "export finished after its lease was taken over");
    }
    Ok(())
}

/// Housekeeping (every 10 minutes): queues the day's backups and deletes archives
/// past their keeping time.
#[tracing::instrument(skip_all)]
pub async fn housekeeping(state: &AppState) -> Result<(), AppError> {
    let queued = repo::exports::queue_backups(&state.pool).await?;
    if queued > 0 {
        tracing::info!(queued, "daily backups queued");
    }
    super::import::housekeeping(state).await?;
    for (org, id) in repo::exports::expired(&state.pool).await? {
        state.storage.delete(&key(org, "exports", id)).await?;
        let mut tx = TenantTx::begin(&state.pool, org).await?;
        repo::exports::mark_expired(&mut tx, id).await?;
        tx.commit().await?;
    }
    Ok(())
}

fn io(e: impl std::error::Error + 'static) -> AppError {
    super::db::internal(&e)
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Hashing<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.hash.update(&buf[..n]);
                this.bytes += n as u64;
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// One file of the archive, as the manifest lists it.
#[derive(Serialize)]
struct FileSum {
    path: String,
    bytes: u64,
    sha256: String,
}

#[derive(Serialize)]
struct TableSum {
    name: &'static str,
    rows: i64,
    csv: String,
    about: &'static str,
}

#[derive(Serialize)]
struct Manifest<'a> {
    format: &'static str,
    version: u32,
    created_at: DateTime<Utc>,
    workspace: &'a str,
    company: &'a str,
    tables: Vec<TableSum>,
    sqlite: &'static str,
    files: Vec<FileSum>,
    photos: i32,
    photos_missing: Vec<Uuid>,
}

/// Progress, reported to the tenant's row (renewing the lease).
pub struct Progress {
    pool: sqlx::PgPool,
    org_id: Uuid,
    id: Uuid,
    done: i32,
    total: i32,
    last: std::time::Instant,
}

impl Progress {
    /// Progress of the claimed row `id` out of `total` rows and photos.
    pub fn new(state: &AppState, org_id: Uuid, id: Uuid, total: i64) -> Progress {
        Progress {
            pool: state.pool.clone(),
            org_id,
            id,
            done: 0,
            total: total.clamp(0, i32::MAX as i64) as i32,
            last: std::time::Instant::now(),
        }
    }

    /// Counts `n` more; reports at most every half second. `Ok(false)`
    /// when the export is no longer this worker's.
    pub async fn add(&mut self, n: i32) -> Result<bool, AppError> {
        self.done += n;
        if self.last.elapsed() < std::time::Duration::from_millis(500) {
            return Ok(true);
        }
        self.report().await
    }

    pub async fn report(&mut self) -> Result<bool, AppError> {
        self.last = std::time::Instant::now();
        let mut tx = TenantTx::begin(&self.pool, self.org_id).await?;
        let mine = repo::exports::progress(
            &mut tx,
            self.id,
            self.done.min(self.total),
            self.total,
            LEASE_SECONDS,
        )
        .await?;
        tx.commit().await?;
        Ok(mine)
    }
}

fn sqlite_type(pg: &str) -> &'static str {
    match pg {
        "INT2" | "INT4" | "INT8" | "BOOL" => "INTEGER",
        "FLOAT4" | "FLOAT8" => "REAL",
        "NUMERIC" => "NUMERIC",
        _ => "TEXT",
    }
}

fn entry(path: &str, compression: Compression, at: &DateTime<Utc>) -> ZipEntryBuilder {
    ZipEntryBuilder::new(path.into(), compression)
        .last_modification_date(at.into())
        .unix_permissions(0o644)
}

/// Builds one archive and stores it; `None` when the export was taken over
/// by another worker on the way.
#[tracing::instrument(skip_all, fields(org_id = %claim.org_id, export_id = %claim.id))]
pub async fn build(state: &AppState, claim: &Claim) -> Result<Option<Built>, AppError> {
    let org = claim.org_id;
    let now = Utc::now();
    let dir = state.config.uploads.tmp_dir.clone();
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    let zip_tmp = tempfile::Builder::new()
        .prefix("export-")
        .suffix(".zip")
        .tempfile_in(&dir)
        .map_err(io)?;
    let db_tmp = tempfile::Builder::new()
        .prefix("export-")
        .suffix(".sqlite")
        .tempfile_in(&dir)
        .map_err(io)?;

    let mut snap = TenantTx::snapshot(&state.pool, org).await?;
    let brand = repo::orgs::brand(&mut snap).await?;
    let (counts, photos) = count_rows(snap.conn()).await?;
    let rows: i64 = counts.iter().sum();
    let mut progress = Progress::new(state, org, claim.id, rows + photos.len() as i64);
    if !progress.report().await? {
        return Ok(None);
    }

    let file = tokio::fs::File::create(zip_tmp.path()).await.map_err(io)?;
    let out = Hashing {
        inner: tokio::io::BufWriter::with_capacity(256 * 1024, file),
        hash: Sha256::new(),
        bytes: 0,
    };
    let mut zip = ZipFileWriter::with_tokio(out);
    let mut files = Vec::new();
    let mut tables = Vec::new();
    let mut sqlite = SqliteConnectOptions::new()
        .filename(db_tmp.path())
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Off)
        .synchronous(SqliteSynchronous::Off)
        .connect()
        .await?;

    for (i, t) in TABLES.iter().enumerate() {
        let Some(sum) =
            write_table(snap.conn(), &mut sqlite, &mut zip, t, &now, &mut progress).await?
        else {
            return Ok(None);
        };
        tables.push(TableSum {
            name: t.name,
            rows: counts[i],
            csv: sum.path.clone(),
            about: t.about,
        });
        files.push(sum);
    }
    // The rows are all read: let the snapshot go before the photos.
    snap.commit().await?;
    sqlite.close().await?;

    let mut missing = Vec::new();
    let mut stored = 0;
    for (id, path) in &photos {
        match state.storage.get(&key(org, "photos", *id)).await? {
            Some(bytes) => {
                files.push(add_whole(&mut zip, path, Compression::Stored, &now, &bytes).await?);
                stored += 1;
            }
            None => missing.push(*id),
        }
        if !progress.add(1).await? {
            return Ok(None);
        }
    }

    // The SQLite file, streamed in.
    let db_file = tokio::fs::File::open(db_tmp.path()).await.map_err(io)?;
    let sqlite_path = "fenceline.sqlite";
    files.push(
        add_stream(
            &mut zip,
            sqlite_path.into(),
            &now,
            tokio_util::io::ReaderStream::with_capacity(db_file, 256 * 1024),
        )
        .await?,
    );
    let readme = readme(&brand.company_name, &now);
    files.push(
        add_whole(
            &mut zip,
            "README.txt",
            Compression::Deflate,
            &now,
            readme.as_bytes(),
        )
        .await?,
    );
    let manifest = Manifest {
        format: "fenceline-export",
        version: FORMAT_VERSION,
        created_at: now,
        workspace: &brand.subdomain,
        company: &brand.company_name,
        tables,
        sqlite: sqlite_path,
        files,
        photos: stored,
        photos_missing: missing.clone(),
    };
    let manifest = serde_json::to_vec_pretty(&manifest).map_err(io)?;
    add_whole(
        &mut zip,
        "manifest.json",
        Compression::Deflate,
        &now,
        &manifest,
    )
    .await?;
    let mut out = zip.close().await.map_err(io)?.into_inner();
    tokio::io::AsyncWriteExt::shutdown(&mut out)
        .await
        .map_err(io)?;
    let size = out.bytes;
    let sha = hex::encode(out.hash.finalize());

    if !progress.report().await? {
        return Ok(None);
    }
    state
        .storage
        .put_file(&key(org, "exports", claim.id), zip_tmp.path())
        .await?;
    let counts = TABLES
        .iter()
        .zip(&counts)
        .map(|(t, n)| (t.name.to_string(), serde_json::Value::from(*n)))
        .collect();
    Ok(Some(Built {
        counts: serde_json::Value::Object(counts),
        size_bytes: size as i64,
        sha256: sha,
        rows,
        photos: stored,
        photos_missing: missing.len() as i32,
    }))
}

/// Each table's row count, and the photos (id, path in the archive).
async fn count_rows(
    pg: &mut sqlx::PgConnection,
) -> Result<(Vec<i64>, Vec<(Uuid, String)>), AppError> {
    let mut counts = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        let sql = format!("select count(*) from ({}) t", t.sql);
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut *pg).await?;
        counts.push(n);
    }
    let sql = format!("select id, file from ({}) p", PHOTOS.sql);
    let photos: Vec<(Uuid, String)> = sqlx::query_as(&sql).fetch_all(&mut *pg).await?;
    Ok((counts, photos))
}

/// Streams `chunks` into a new deflated entry at `path`, hashing and
/// counting as they pass.
async fn add_stream<E>(
    zip: &mut Zip,
    path: String,
    now: &DateTime<Utc>,
    mut chunks: impl futures::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
) -> Result<FileSum, AppError>
where
    E: std::error::Error + 'static,
{
    let mut w = zip
        .write_entry_stream(entry(&path, Compression::Deflate, now))
        .await
        .map_err(io)?;
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(io)?;
        hash.update(&chunk);
        bytes += chunk.len() as u64;
        w.write_all(&chunk).await.map_err(io)?;
    }
    w.close().await.map_err(io)?;
    Ok(FileSum {
        path,
        bytes,
        sha256: hex::encode(hash.finalize()),
    })
}

/// Writes `data` as one entry at `path`.
async fn add_whole(
    zip: &mut Zip,
    path: &str,
    compression: Compression,
    now: &DateTime<Utc>,
    data: &[u8],
) -> Result<FileSum, AppError> {
    zip.write_entry_whole(entry(path, compression, now), data)
        .await
        .map_err(io)?;
    Ok(FileSum {
        path: path.to_string(),
        bytes: data.len() as u64,
        sha256: hex::encode(Sha256::digest(data)),
    })
}

type Zip = async_zip::tokio::write::ZipFileWriter<Hashing<tokio::io::BufWriter<tokio::fs::File>>>;

/// One table: its CSV (straight from PostgreSQL's COPY) into the zip, and
/// the same rows into the SQLite file, typed by the query's columns.
/// `None` when the export was taken over on the way.
async fn write_table(
    pg: &mut sqlx::PgConnection,
    lite: &mut sqlx::SqliteConnection,
    zip: &mut Zip,
    t: &'static Table,
    now: &DateTime<Utc>,
    progress: &mut Progress,
) -> Result<Option<FileSum>, AppError> {
    let copy_sql = format!("copy ({}) to stdout with (format csv, header)", t.sql);
    let copy = pg.copy_out_raw(&copy_sql).await?;
    let sum = add_stream(zip, format!("csv/{}.csv", t.name), now, copy).await?;

    let columns: Vec<(String, &'static str)> = {
        let statement = Executor::prepare(&mut *pg, t.sql).await?;
        statement
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), sqlite_type(c.type_info().name())))
            .collect()
    };
    let create = format!(
        "create table \"{}\" ({})",
        t.name,
        columns
            .iter()
            .map(|(c, ty)| format!("\"{c}\" {ty}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    sqlx::query(&create).execute(&mut *lite).await?;
    let insert = format!(
        "insert into \"{}\" values ({})",
        t.name,
        (1..=columns.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    sqlx::query("begin").execute(&mut *lite).await?;
    let as_json = format!("select row_to_json(t)::text from ({}) t", t.sql);
    let mut batch = 0;
    let mut rows = sqlx::query_scalar::<_, String>(&as_json).fetch(&mut *pg);
    while let Some(row) = rows.try_next().await? {
        let v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&row).map_err(io)?;
        let mut q = sqlx::query(&insert);
        for (c, ty) in &columns {
            q = match v.get(c) {
                None | Some(serde_json::Value::Null) => q.bind(None::<String>),
                Some(serde_json::Value::Bool(b)) => q.bind(i64::from(*b)),
                Some(serde_json::Value::Number(n)) if *ty == "INTEGER" => q.bind(n.as_i64()),
                Some(serde_json::Value::Number(n)) => q.bind(n.as_f64()),
                Some(serde_json::Value::String(s)) => q.bind(s.clone()),
                Some(other) => q.bind(other.to_string()),
            };
        }
        q.execute(&mut *lite).await?;
        batch += 1;
        if batch == 200 {
            if !progress.add(batch).await? {
                return Ok(None);
            }
            batch = 0;
        }
    }
    drop(rows);
    sqlx::query("commit").execute(&mut *lite).await?;
    if !progress.add(batch).await? {
        return Ok(None);
    }
    Ok(Some(sum))
}

fn readme(company: &str, at: &DateTime<Utc>) -> String {
    let mut s = format!(
        "Data export of {company}, made {} (UTC).\n\n\
         csv/           every table as a CSV file (UTF-8, a header row, times in UTC,\n\
                        drawings, price books and line items as JSON)\n\
         fenceline.sqlite  the same tables in one SQLite database\n\
         photos/        the job photos; photos.csv names each one's file\n\
         manifest.json  every file's size and SHA-256, and the row counts\n\n\
         Tables:\n",
        at.format("%Y-%m-%d %H:%M")
    );
    for t in TABLES {
        s.push_str(&format!("  {:<16} {}\n", t.name, t.about));
    }
    s
}
