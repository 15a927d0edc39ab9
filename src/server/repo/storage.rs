//! Stored bytes per tenant against its plan's quota (`storage_usage`),
//! changed in the same transaction as the rows that add or remove objects.

use crate::error::AppError;
use crate::model::PlanCode;
use crate::server::TenantTx;

/// What the tenant has stored and may store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub plan: PlanCode,
    pub used: i64,
    /// `None`: no quota.
    pub quota: Option<i64>,
}

impl Usage {
    /// Whether `more` bytes still fit.
    pub fn fits(&self, more: i64) -> bool {
        self.quota.is_none_or(|q| self.used + more <= q)
    }
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn usage(tx: &mut TenantTx) -> Result<Usage, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select o.plan, o.storage_quota_mb,
                  coalesce((select s.bytes from storage_usage s where s.org_id = o.id), 0) as "used!"
             from organizations o where o.id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Usage {
        plan: super::orgs::plan(&r.plan)?,
        used: r.used,
        quota: r.storage_quota_mb.map(|mb| i64::from(mb) * 1024 * 1024),
    })
}

/// Adds `bytes` to the tenant's total if the result stays within the
/// quota; `Ok(false)` (and nothing changed) when it would not. One update,
/// so concurrent uploads cannot both squeeze under the quota.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), bytes))]
pub async fn reserve(tx: &mut TenantTx, bytes: i64) -> Result<bool, AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into storage_usage (org_id, bytes) values ($1, 0) on conflict (org_id) do nothing",
        org
    )
    .execute(tx.conn())
    .await?;
    let row = sqlx::query!(
        "update storage_usage s set bytes = s.bytes + $2, updated_at = now()
           from organizations o
          where s.org_id = $1 and o.id = $1
            and (o.storage_quota_mb is null or s.bytes + $2 <= o.storage_quota_mb::bigint * 1024 * 1024)
         returning s.bytes",
        org,
        bytes
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.is_some())
}

/// Gives `bytes` back (objects removed).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), bytes))]
pub async fn release(tx: &mut TenantTx, bytes: i64) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update storage_usage set bytes = greatest(0, bytes - $2), updated_at = now() where org_id = $1",
        org,
        bytes
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Moves the tenant's total by `delta` bytes (a restore's photos), never
/// below zero; quotas are not checked (the bytes are the tenant's own).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), delta))]
pub async fn adjust(tx: &mut TenantTx, delta: i64) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into storage_usage (org_id, bytes) values ($1, greatest(0, $2::bigint))
         on conflict (org_id) do update
           set bytes = greatest(0, storage_usage.bytes + $2::bigint), updated_at = now()",
        org,
        delta
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
