//! Exports and backups: asked for and listed on the tenant path; claimed,
//! queued and expired by the worker through the security definer functions
//! of `0029_exports.sql`; progress and results written back on the tenant
//! path (the worker opens a transaction as the export's tenant).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::AppError;
use crate::server::TenantTx;

/// One archive as stored.
pub struct Archive {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub done: i32,
    pub total: i32,
    pub requested_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub size_bytes: Option<i64>,
    pub photos: Option<i32>,
    pub photos_missing: Option<i32>,
    pub error: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub source_label: Option<String>,
    pub report: Option<serde_json::Value>,
}

/// Queues an export; `false` when one is already queued or being built.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn request(tx: &mut TenantTx, by: Uuid) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "insert into exports (org_id, kind, requested_by) values ($1, 'export', $2)
         on conflict do nothing
         returning id",
        org,
        by
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// The latest archives of one kind (the newest first).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn recent(tx: &mut TenantTx, kind: &str, limit: i64) -> Result<Vec<Archive>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_as!(
        Archive,
        r#"select e.id, e.kind, e.status, e.done, e.total, u.name as "requested_by?",
                  e.created_at as "created_at: DateTime<Utc>",
                  e.finished_at as "finished_at: DateTime<Utc>",
                  e.size_bytes, e.photos, e.photos_missing, e.error,
                  e.expires_at as "expires_at: DateTime<Utc>",
                  e.source_label, e.report
             from exports e
             left join users u on u.org_id = e.org_id and u.id = e.requested_by
            where e.org_id = $1 and e.kind = $2
            order by e.created_at desc
            limit $3"#,
        org,
        kind,
        limit
    )
    .fetch_all(tx.conn())
    .await?)
}

/// A finished archive's size, for its download (`None` when there is no
/// such archive in this tenant, or it is not ready).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn ready(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<(String, DateTime<Utc>)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        r#"select kind, created_at as "created_at: DateTime<Utc>" from exports
            where org_id = $1 and id = $2 and status = 'ready' and kind in ('export', 'backup')"#,
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| (r.kind, r.created_at)))
}

/// The worker's progress, which also renews its lease; `false` when the
/// export is no longer this worker's (its lease ran out and another took
/// it over).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn progress(
    tx: &mut TenantTx,
    id: Uuid,
    done: i32,
    total: i32,
    lease_seconds: i32,
) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update exports
            set done = $3, total = $4, lease_until = now() + make_interval(secs => $5)
          where org_id = $1 and id = $2 and status = 'running'",
        org,
        id,
        done,
        total,
        lease_seconds as f64
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// What a finished archive holds.
pub struct Finished<'a> {
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub photos: i32,
    pub photos_missing: i32,
    pub counts: &'a serde_json::Value,
    pub expires_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn finish(tx: &mut TenantTx, id: Uuid, f: &Finished<'_>) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update exports
            set status = 'ready', done = total, size_bytes = $3, sha256 = $4, photos = $5,
                photos_missing = $6, expires_at = $7, finished_at = now(), lease_until = null,
                error = null, counts = $8
          where org_id = $1 and id = $2 and status = 'running'",
        org,
        id,
        f.size_bytes,
        f.sha256,
        f.photos,
        f.photos_missing,
        f.expires_at as _,
        f.counts
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks a build failed for good (the reason is shown to the tenant).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn fail(tx: &mut TenantTx, id: Uuid, error: &str) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update exports
            set status = 'failed', error = left($3, 500), finished_at = now(), lease_until = null
          where org_id = $1 and id = $2 and status = 'running'",
        org,
        id,
        error
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn mark_expired(tx: &mut TenantTx, id: Uuid) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update exports set status = 'expired'
          where org_id = $1 and id = $2 and status = 'ready'",
        org,
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The requester's address, for the "your export is ready" email.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn requester_email(tx: &mut TenantTx, id: Uuid) -> Result<Option<String>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select u.email from exports e join users u on u.org_id = e.org_id and u.id = e.requested_by
          where e.org_id = $1 and e.id = $2",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// One claimed build.
pub struct Claim {
    pub org_id: Uuid,
    pub id: Uuid,
    pub kind: String,
    pub attempts: i32,
}

/// Platform path: the next archive to build, if any.
#[tracing::instrument(skip_all)]
pub async fn claim(pool: &PgPool, lease_seconds: i32) -> Result<Option<Claim>, AppError> {
    Ok(sqlx::query_as!(
        Claim,
        r#"select org_id as "org_id!", id as "id!", kind as "kind!", attempts as "attempts!"
             from platform.claim_export($1)"#,
        lease_seconds
    )
    .fetch_optional(pool)
    .await?)
}

/// Platform path: queues the day's backups; how many.
#[tracing::instrument(skip_all)]
pub async fn queue_backups(pool: &PgPool) -> Result<i32, AppError> {
    Ok(
        sqlx::query_scalar!(r#"select platform.queue_backups() as "n!""#)
            .fetch_one(pool)
            .await?,
    )
}

/// Platform path: archives past their keeping time.
#[tracing::instrument(skip_all)]
pub async fn expired(pool: &PgPool) -> Result<Vec<(Uuid, Uuid)>, AppError> {
    Ok(
        sqlx::query!(r#"select org_id as "org_id!", id as "id!" from platform.expired_exports()"#)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| (r.org_id, r.id))
            .collect(),
    )
}

/// Queues a restore from one of the workspace's archives (`source`) or
/// from an uploaded file (`None`); `None` when one is already under way.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn request_restore(
    tx: &mut TenantTx,
    by: Uuid,
    source: Option<Uuid>,
    label: &str,
) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "insert into exports (org_id, kind, requested_by, source_id, source_label)
         values ($1, 'restore', $2, $3, $4)
         on conflict do nothing
         returning id",
        org,
        by,
        source,
        label
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Where a restore reads from and who asked for it.
pub struct RestoreSource {
    /// The archive restored from; `None` for an uploaded file.
    pub archive: Option<Uuid>,
    pub requested_by: Option<Uuid>,
}

/// A restore's source; `None` when there is no such restore.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn restore_source(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<RestoreSource>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select source_id, requested_by from exports
          where org_id = $1 and id = $2 and kind = 'restore'",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| RestoreSource {
        archive: r.source_id,
        requested_by: r.requested_by,
    }))
}

/// Marks a restore done with its report, in the restore's own
/// transaction; `false` when it is no longer this worker's.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn finish_restore(
    tx: &mut TenantTx,
    id: Uuid,
    report: &serde_json::Value,
) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update exports
            set status = 'ready', done = total, report = $3, finished_at = now(),
                lease_until = null, error = null
          where org_id = $1 and id = $2 and kind = 'restore' and status = 'running'",
        org,
        id,
        report
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A ready archive a restore can use: its kind, when it was made and its
/// row counts per table (`None` for archives made before counts were kept).
pub struct Restorable {
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub counts: Option<std::collections::HashMap<String, i64>>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn archive_counts(tx: &mut TenantTx, id: Uuid) -> Result<Option<Restorable>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        r#"select kind, created_at as "created_at: DateTime<Utc>", counts from exports
            where org_id = $1 and id = $2 and status = 'ready' and kind in ('export', 'backup')"#,
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| Restorable {
        kind: r.kind,
        created_at: r.created_at,
        counts: r.counts.and_then(|c| serde_json::from_value(c).ok()),
    }))
}

/// What the workspace holds now, per archive table a restore replaces.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn current_counts(
    tx: &mut TenantTx,
) -> Result<std::collections::HashMap<String, i64>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select
             (select count(*) from customers where org_id = $1) as "customers!",
             (select count(*) from properties where org_id = $1) as "properties!",
             (select count(*) from pets where org_id = $1) as "pets!",
             (select count(*) from quotes where org_id = $1) as "quotes!",
             (select count(*) from jobs where org_id = $1) as "jobs!",
             (select count(*) from photos where org_id = $1) as "photos!",
             (select count(*) from crews where org_id = $1) as "crews!",
             (select count(*) from zone_overrides where org_id = $1) as "zone_overrides!",
             (select count(*) from email_templates where org_id = $1) as "email_templates!""#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok([
        ("customers", r.customers),
        ("properties", r.properties),
        ("pets", r.pets),
        ("quotes", r.quotes),
        ("jobs", r.jobs),
        ("photos", r.photos),
        ("crews", r.crews),
        ("zone_overrides", r.zone_overrides),
        ("email_templates", r.email_templates),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect())
}
