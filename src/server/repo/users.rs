//! Users of one organization.

use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Member, Role};
use crate::server::context::UserRef;
use crate::server::db::internal;
use crate::server::TenantTx;

type Row = (
    Uuid,
    String,
    String,
    String,
    Option<chrono::DateTime<chrono::Utc>>,
);

fn member(r: Row) -> Member {
    Member {
        id: r.0,
        name: r.1,
        email: r.2,
        role: Role::parse(&r.3).unwrap_or(Role::Viewer),
        last_login_at: r.4,
    }
}

pub async fn by_id(tx: &mut TenantTx, id: Uuid) -> Result<Option<UserRef>, AppError> {
    let org = tx.org_id();
    let row: Option<(Uuid, String, String, String)> =
        sqlx::query_as("select id, name, email, role from users where org_id = $1 and id = $2")
            .bind(org)
            .bind(id)
            .fetch_optional(tx.conn())
            .await
            .map_err(internal)?;
    Ok(row.map(|(id, name, email, role)| UserRef {
        id,
        name,
        email,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
    }))
}

/// (id, password hash) for a login.
pub async fn credentials(
    tx: &mut TenantTx,
    email: &str,
) -> Result<Option<(Uuid, String)>, AppError> {
    let org = tx.org_id();
    sqlx::query_as("select id, password_hash from users where org_id = $1 and email = $2")
        .bind(org)
        .bind(email)
        .fetch_optional(tx.conn())
        .await
        .map_err(internal)
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Member>, AppError> {
    let org = tx.org_id();
    let rows: Vec<Row> = sqlx::query_as(
        "select id, name, email, role, last_login_at from users where org_id = $1
          order by case role when 'owner' then 0 when 'admin' then 1 else 2 end, name",
    )
    .bind(org)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows.into_iter().map(member).collect())
}

pub async fn count(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar("select count(*) from users where org_id = $1")
        .bind(org)
        .fetch_one(tx.conn())
        .await
        .map_err(internal)
}

/// Inserts a user; `Ok(false)` if the email is already a member.
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    email: &str,
    name: &str,
    role: Role,
    hash: &str,
) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query(
        "insert into users (org_id, id, email, name, role, password_hash) values ($1, $2, $3, $4, $5, $6)
         on conflict (org_id, email) do nothing",
    )
    .bind(org)
    .bind(id)
    .bind(email)
    .bind(name)
    .bind(role.as_str())
    .bind(hash)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(r.rows_affected() == 1)
}

pub async fn exists_email(tx: &mut TenantTx, email: &str) -> Result<bool, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar("select exists(select 1 from users where org_id = $1 and email = $2)")
        .bind(org)
        .bind(email)
        .fetch_one(tx.conn())
        .await
        .map_err(internal)
}

pub async fn set_role(tx: &mut TenantTx, id: Uuid, role: Role) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r =
        sqlx::query("update users set role = $3 where org_id = $1 and id = $2 and role <> 'owner'")
            .bind(org)
            .bind(id)
            .bind(role.as_str())
            .execute(tx.conn())
            .await
            .map_err(internal)?;
    Ok(r.rows_affected() == 1)
}

/// Removes a member (never the owner). Their sessions die with them: the
/// middleware finds no user and treats the session as signed out.
pub async fn remove(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query("delete from users where org_id = $1 and id = $2 and role <> 'owner'")
        .bind(org)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_password(tx: &mut TenantTx, id: Uuid, hash: &str) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query("update users set password_hash = $3 where org_id = $1 and id = $2")
        .bind(org)
        .bind(id)
        .bind(hash)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn touch_login(tx: &mut TenantTx, id: Uuid) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query("update users set last_login_at = now() where org_id = $1 and id = $2")
        .bind(org)
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}
