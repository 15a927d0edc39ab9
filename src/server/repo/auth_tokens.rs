//! Single-use tokens (password reset, signup hand-off), stored hashed.

use uuid::Uuid;

use crate::error::AppError;
use crate::server::db::internal;
use crate::server::TenantTx;

pub async fn create(
    tx: &mut TenantTx,
    purpose: &str,
    user_id: Uuid,
    hash: &str,
    minutes: i64,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "insert into auth_tokens (org_id, token_hash, purpose, user_id, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(mins => $5::int))",
    )
    .bind(org)
    .bind(hash)
    .bind(purpose)
    .bind(user_id)
    .bind(minutes)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

/// Marks a live token used and returns its user; `None` if unknown, used or expired.
pub async fn consume(
    tx: &mut TenantTx,
    purpose: &str,
    hash: &str,
) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar(
        "update auth_tokens set used_at = now()
          where org_id = $1 and token_hash = $2 and purpose = $3
            and used_at is null and expires_at > now()
         returning user_id",
    )
    .bind(org)
    .bind(hash)
    .bind(purpose)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)
}

/// Whether a token is live, without using it (to show the reset form).
pub async fn is_live(tx: &mut TenantTx, purpose: &str, hash: &str) -> Result<bool, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar(
        "select exists(select 1 from auth_tokens where org_id = $1 and token_hash = $2
                        and purpose = $3 and used_at is null and expires_at > now())",
    )
    .bind(org)
    .bind(hash)
    .bind(purpose)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)
}
