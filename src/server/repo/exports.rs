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
                  e.expires_at as "expires_at: DateTime<Utc>"
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
            where org_id = $1 and id = $2 and status = 'ready'"#,
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
    pub expires_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn finish(tx: &mut TenantTx, id: Uuid, f: &Finished<'_>) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update exports
            set status = 'ready', done = total, size_bytes = $3, sha256 = $4, photos = $5,
                photos_missing = $6, expires_at = $7, finished_at = now(), lease_until = null,
                error = null
          where org_id = $1 and id = $2 and status = 'running'",
        org,
        id,
        f.size_bytes,
        f.sha256,
        f.photos,
        f.photos_missing,
        f.expires_at as _
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
