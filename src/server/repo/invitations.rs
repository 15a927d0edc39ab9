//! Invitations to join an organization.

use uuid::Uuid;

use crate::error::AppError;
use crate::model::{PendingInvitation, Role};
use crate::server::TenantTx;

fn role(value: &str) -> Result<Role, AppError> {
    Role::parse(value).map_err(|_| super::corrupt("invitations.role", value))
}

/// Creates an invitation, replacing any open one for the same address.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn create(
    tx: &mut TenantTx,
    email: &str,
    role: Role,
    hash: &str,
    by: Uuid,
    days: i32,
) -> Result<Uuid, AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "delete from invitations where org_id = $1 and email = $2 and accepted_at is null",
        org,
        email
    )
    .execute(tx.conn())
    .await?;
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into invitations (org_id, id, email, role, token_hash, invited_by, expires_at)
         values ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $7))",
        org,
        id,
        email,
        role.as_str(),
        hash,
        by,
        days
    )
    .execute(tx.conn())
    .await?;
    Ok(id)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn open(tx: &mut TenantTx) -> Result<Vec<PendingInvitation>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select i.id, i.email, i.role, i.expires_at as "expires_at: chrono::DateTime<chrono::Utc>",
                  i.expires_at <= now() as "expired!",
                  d.status as "mail_status?", d.attempts as "mail_attempts?", d.last_error as "mail_error?"
             from invitations i
             left join lateral (
               select o.status, o.attempts, o.last_error from outbox o
                where o.org_id = i.org_id and o.about_id = i.id and o.kind = 'invitation'
                order by o.created_at desc limit 1) d on true
            where i.org_id = $1 and i.accepted_at is null order by i.created_at"#,
        org
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            let delivery = r.mail_status.as_deref().map(|s| {
                crate::model::Delivery::from_row(
                    r.email.clone(),
                    s,
                    r.mail_attempts.unwrap_or(0),
                    r.mail_error.clone(),
                )
            });
            Ok(PendingInvitation {
                id: r.id,
                email: r.email,
                role: role(&r.role)?,
                expires_at: r.expires_at,
                expired: r.expired,
                delivery,
            })
        })
        .collect()
}

/// Open invitations that still hold a seat (not expired), other than the
/// one for `except` (an address being invited again).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn count_live_except(tx: &mut TenantTx, except: Option<&str>) -> Result<i64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from invitations
            where org_id = $1 and accepted_at is null and expires_at > now()
              and ($2::text is null or email <> $2)"#,
        org,
        except
    )
    .fetch_one(tx.conn())
    .await?)
}

/// (id, email, role) of a live invitation by its token hash, locked for
/// the transaction.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn by_token(
    tx: &mut TenantTx,
    hash: &str,
) -> Result<Option<(Uuid, String, Role)>, AppError> {
    let org = tx.org_id();
    let row = sqlx::query!(
        "select id, email, role from invitations
          where org_id = $1 and token_hash = $2 and accepted_at is null and expires_at > now()
          for update",
        org,
        hash
    )
    .fetch_optional(tx.conn())
    .await?;
    row.map(|r| Ok((r.id, r.email, role(&r.role)?))).transpose()
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn mark_accepted(tx: &mut TenantTx, id: Uuid) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update invitations set accepted_at = now() where org_id = $1 and id = $2",
        org,
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// (email, role) of an open invitation by id.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn get_open(tx: &mut TenantTx, id: Uuid) -> Result<Option<(String, Role)>, AppError> {
    let org = tx.org_id();
    let row = sqlx::query!(
        "select email, role from invitations where org_id = $1 and id = $2 and accepted_at is null",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    row.map(|r| Ok((r.email, role(&r.role)?))).transpose()
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn revoke(tx: &mut TenantTx, id: Uuid) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "delete from invitations where org_id = $1 and id = $2 and accepted_at is null",
        org,
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}
