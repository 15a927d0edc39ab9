//! Single-use tokens (password reset, signup hand-off), stored hashed.

use uuid::Uuid;

use crate::error::AppError;
use crate::server::TenantTx;

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), purpose = %purpose))]
pub async fn create(
    tx: &mut TenantTx,
    purpose: &str,
    user_id: Uuid,
    hash: &str,
    minutes: i32,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into auth_tokens (org_id, token_hash, purpose, user_id, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(mins => $5))",
        org,
        hash,
        purpose,
        user_id,
        minutes
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks a live token used and returns its user; `None` if unknown, used or expired.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), purpose = %purpose))]
pub async fn consume(
    tx: &mut TenantTx,
    purpose: &str,
    hash: &str,
) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "update auth_tokens set used_at = now()
          where org_id = $1 and token_hash = $2 and purpose = $3
            and used_at is null and expires_at > now()
         returning user_id",
        org,
        hash,
        purpose
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Whether a token is live, without using it (to show the reset form).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), purpose = %purpose))]
pub async fn is_live(tx: &mut TenantTx, purpose: &str, hash: &str) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select exists(select 1 from auth_tokens where org_id = $1 and token_hash = $2
                          and purpose = $3 and used_at is null and expires_at > now()) as "live!""#,
        org,
        hash,
        purpose
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Ends every unused token of one purpose for a user (a newer reset link,
/// or a password just changed, makes the older links worthless).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), purpose = %purpose))]
pub async fn revoke_for_user(
    tx: &mut TenantTx,
    purpose: &str,
    user_id: Uuid,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update auth_tokens set used_at = now()
          where org_id = $1 and user_id = $2 and purpose = $3 and used_at is null",
        org,
        user_id,
        purpose
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
