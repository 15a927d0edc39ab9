//! Users of one organization.

use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Member, Role};
use crate::server::context::UserRef;
use crate::server::TenantTx;

/// A role read back from the database: unknown values are an error.
fn role(value: &str) -> Result<Role, AppError> {
    Role::parse(value).map_err(|_| super::corrupt("users.role", value))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn by_id(tx: &mut TenantTx, id: Uuid) -> Result<Option<UserRef>, AppError> {
    let org = tx.org_id();
    let row = sqlx::query!(
        "select id, name, email, role, session_epoch from users where org_id = $1 and id = $2",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    row.map(|r| {
        Ok(UserRef {
            id: r.id,
            name: r.name,
            email: r.email,
            role: role(&r.role)?,
            session_epoch: r.session_epoch,
        })
    })
    .transpose()
}

/// (id, password hash) for a login.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn credentials(
    tx: &mut TenantTx,
    email: &str,
) -> Result<Option<(Uuid, String)>, AppError> {
    let org = tx.org_id();
    let row = sqlx::query!(
        "select id, password_hash from users where org_id = $1 and email = $2",
        org,
        email
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| (r.id, r.password_hash)))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn list(tx: &mut TenantTx) -> Result<Vec<Member>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select id, name, email, role, last_login_at as "last_login_at: chrono::DateTime<chrono::Utc>"
             from users where org_id = $1
            order by case role when 'owner' then 0 when 'admin' then 1 else 2 end, name"#,
        org
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Member {
                id: r.id,
                name: r.name,
                email: r.email,
                role: role(&r.role)?,
                last_login_at: r.last_login_at,
            })
        })
        .collect()
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn count(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from users where org_id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Inserts a user; `Ok(false)` if the email is already a member.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    email: &str,
    name: &str,
    role: Role,
    hash: &str,
) -> Result<bool, AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    let r = sqlx::query!(
        "insert into users (org_id, id, email, name, role, password_hash) values ($1, $2, $3, $4, $5, $6)
         on conflict (org_id, email) do nothing",
        org,
        id,
        email,
        name,
        role.as_str(),
        hash
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn exists_email(tx: &mut TenantTx, email: &str) -> Result<bool, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select exists(select 1 from users where org_id = $1 and email = $2) as "e!""#,
        org,
        email
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Changes a member's role (never the owner's) and ends their sessions, so
/// the new role applies everywhere at once.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_role(tx: &mut TenantTx, id: Uuid, role: Role) -> Result<bool, AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    let r = sqlx::query!(
        "update users set role = $3, session_epoch = session_epoch + 1
          where org_id = $1 and id = $2 and role <> 'owner'",
        org,
        id,
        role.as_str()
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Removes a member (never the owner). Their sessions die with them: the
/// middleware finds no user and treats the session as signed out.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn remove(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    let r = sqlx::query!(
        "delete from users where org_id = $1 and id = $2 and role <> 'owner'",
        org,
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_password(tx: &mut TenantTx, id: Uuid, hash: &str) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update users set password_hash = $3 where org_id = $1 and id = $2",
        org,
        id,
        hash
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Ends every session of a user (their session epoch moves on).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn end_sessions(tx: &mut TenantTx, id: Uuid) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update users set session_epoch = session_epoch + 1 where org_id = $1 and id = $2",
        org,
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn touch_login(tx: &mut TenantTx, id: Uuid) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update users set last_login_at = now() where org_id = $1 and id = $2",
        org,
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
