//! Invitations to join an organization.

use uuid::Uuid;

use crate::error::AppError;
use crate::model::{PendingInvitation, Role};
use crate::server::db::internal;
use crate::server::TenantTx;

/// Creates an invitation, replacing any open one for the same address.
pub async fn create(
    tx: &mut TenantTx,
    email: &str,
    role: Role,
    hash: &str,
    by: Uuid,
    days: i64,
) -> Result<Uuid, AppError> {
    let org = tx.org_id();
    sqlx::query("delete from invitations where org_id = $1 and email = $2 and accepted_at is null")
        .bind(org)
        .bind(email)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into invitations (org_id, id, email, role, token_hash, invited_by, expires_at)
         values ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $7::int))",
    )
    .bind(org)
    .bind(id)
    .bind(email)
    .bind(role.as_str())
    .bind(hash)
    .bind(by)
    .bind(days)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(id)
}

pub async fn open(tx: &mut TenantTx) -> Result<Vec<PendingInvitation>, AppError> {
    let org = tx.org_id();
    let rows: Vec<(Uuid, String, String, chrono::DateTime<chrono::Utc>, bool)> = sqlx::query_as(
        "select id, email, role, expires_at, expires_at <= now() from invitations
          where org_id = $1 and accepted_at is null order by created_at",
    )
    .bind(org)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|r| PendingInvitation {
            id: r.0,
            email: r.1,
            role: Role::parse(&r.2).unwrap_or(Role::Viewer),
            expires_at: r.3,
            expired: r.4,
        })
        .collect())
}

/// Open invitations that still hold a seat (not expired).
pub async fn count_live(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar("select count(*) from invitations where org_id = $1 and accepted_at is null and expires_at > now()")
        .bind(org)
        .fetch_one(tx.conn())
        .await
        .map_err(internal)
}

/// (id, email, role) of a live invitation by its token hash.
pub async fn by_token(
    tx: &mut TenantTx,
    hash: &str,
) -> Result<Option<(Uuid, String, Role)>, AppError> {
    let org = tx.org_id();
    let row: Option<(Uuid, String, String)> = sqlx::query_as(
        "select id, email, role from invitations
          where org_id = $1 and token_hash = $2 and accepted_at is null and expires_at > now()",
    )
    .bind(org)
    .bind(hash)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)?;
    Ok(row.map(|(id, e, r)| (id, e, Role::parse(&r).unwrap_or(Role::Viewer))))
}

pub async fn mark_accepted(tx: &mut TenantTx, id: Uuid) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query("update invitations set accepted_at = now() where org_id = $1 and id = $2")
        .bind(org)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}

/// (email, role) of an open invitation by id.
pub async fn get_open(tx: &mut TenantTx, id: Uuid) -> Result<Option<(String, Role)>, AppError> {
    let org = tx.org_id();
    let row: Option<(String, String)> = sqlx::query_as(
        "select email, role from invitations where org_id = $1 and id = $2 and accepted_at is null",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)?;
    Ok(row.map(|(e, r)| (e, Role::parse(&r).unwrap_or(Role::Viewer))))
}

pub async fn revoke(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query(
        "delete from invitations where org_id = $1 and id = $2 and accepted_at is null",
    )
    .bind(org)
    .bind(id)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(r.rows_affected() == 1)
}
