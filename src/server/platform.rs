//! The platform path: the only cross-tenant operations the server performs,
//! each a call to one SECURITY DEFINER function in schema `platform`
//! (migrations 0011, 0014, 0015), or a read of a platform table. Nothing here
//! reads a tenant table directly.

use sqlx::PgPool;
use uuid::Uuid;

use super::db::{constraint, internal};
use super::repo::orgs::{plan, status};
use crate::error::AppError;
use crate::model::{OrgStatus, TenantList, TenantRow};

/// A subdomain or verified custom domain to (tenant id, status).
pub async fn tenant_for_host(
    pool: &PgPool,
    subdomain: Option<&str>,
    custom_domain: Option<&str>,
) -> Result<Option<(Uuid, crate::model::billing::Standing)>, AppError> {
    Ok(host_tenant(pool, subdomain, custom_domain)
        .await?
        .map(|(id, standing, _)| (id, standing)))
}

/// A subdomain or verified custom domain to (tenant id, status, plan): what
/// the request layer needs.
#[tracing::instrument(skip(pool))]
pub async fn host_tenant(
    pool: &PgPool,
    subdomain: Option<&str>,
    custom_domain: Option<&str>,
) -> Result<
    Option<(
        Uuid,
        crate::model::billing::Standing,
        crate::model::PlanCode,
    )>,
    AppError,
> {
    let row = sqlx::query!(
        r#"select id as "id!", status as "status!",
                  trial_ends_at as "trial_ends_at!: chrono::DateTime<chrono::Utc>",
                  past_due_since as "past_due_since: chrono::DateTime<chrono::Utc>",
                  subscribed as "subscribed!", comped as "comped!", plan as "plan!"
             from platform.tenant_for_host($1, $2)"#,
        subdomain,
        custom_domain
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok((
            r.id,
            crate::model::billing::Standing {
                status: status(&r.status)?,
                trial_ends_at: r.trial_ends_at,
                past_due_since: r.past_due_since,
                subscribed: r.subscribed,
                comped: r.comped,
            },
            plan(&r.plan)?,
        ))
    })
    .transpose()
}

#[tracing::instrument(skip(pool))]
pub async fn subdomain_taken(pool: &PgPool, subdomain: &str) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select platform.subdomain_taken($1) as "taken!""#,
        subdomain
    )
    .fetch_one(pool)
    .await?)
}

/// What signup provisions.
pub struct NewTenant<'a> {
    pub org_id: Uuid,
    pub company: &'a str,
    pub subdomain: &'a str,
    pub plan: &'a str,
    pub owner_id: Uuid,
    pub owner_name: &'a str,
    pub owner_email: &'a str,
    pub password_hash: &'a str,
    pub handoff_hash: &'a str,
    pub trial_days: i32,
}

/// Provisions a tenant in one transaction. `Ok(false)` when the subdomain
/// was taken in the meantime.
#[tracing::instrument(skip_all, fields(subdomain = t.subdomain))]
pub async fn provision(pool: &PgPool, t: &NewTenant<'_>) -> Result<bool, AppError> {
    let mut tx = super::db::begin(pool).await?;
    let result = sqlx::query!(
        "select platform.provision_tenant($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        t.org_id,
        t.company,
        t.subdomain,
        t.plan,
        t.owner_id,
        t.owner_name,
        t.owner_email,
        t.password_hash,
        t.handoff_hash,
        t.trial_days
    )
    .execute(&mut *tx)
    .await;
    match result {
        Ok(_) => {
            tx.commit().await?;
            // A host this instance found no tenant for may be this one's.
            super::cache::tenant_changed(t.org_id);
            Ok(true)
        }
        Err(e) if constraint(&e) == Some("organizations_subdomain_key") => Ok(false),
        Err(e) => Err(internal(&e)),
    }
}

#[tracing::instrument(skip(pool))]
pub async fn list_tenants(
    pool: &PgPool,
    search: &str,
    limit: i32,
    offset: i32,
) -> Result<TenantList, AppError> {
    let rows = sqlx::query!(
        r#"select id as "id!", company_name as "company_name!", subdomain as "subdomain!", plan as "plan!",
                  status as "status!", trial_ends_at as "trial_ends_at!: chrono::DateTime<chrono::Utc>", users as "users!",
                  customers as "customers!", created_at as "created_at!: chrono::DateTime<chrono::Utc>",
                  status_reason, status_changed_at as "status_changed_at: chrono::DateTime<chrono::Utc>",
                  deletion_due_at as "deletion_due_at: chrono::DateTime<chrono::Utc>", total as "total!"
             from platform.list_tenants($1, $2, $3)"#,
        search,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    Ok(TenantList {
        rows: rows
            .into_iter()
            .map(|r| {
                Ok(TenantRow {
                    id: r.id,
                    company_name: r.company_name,
                    subdomain: r.subdomain,
                    plan: plan(&r.plan)?,
                    status: status(&r.status)?,
                    trial_ends_at: r.trial_ends_at,
                    users: r.users,
                    customers: r.customers,
                    created_at: r.created_at,
                    status_reason: r.status_reason,
                    status_changed_at: r.status_changed_at,
                    deletion_due: r.deletion_due_at,
                })
            })
            .collect::<Result<_, AppError>>()?,
        total,
    })
}

/// Longest reason for a suspension.
pub const MAX_REASON_CHARS: usize = 500;

/// Suspends (with a reason) or reactivates, recorded in the tenant's audit
/// log with the administrator; returns the new status, `None` if no such
/// tenant.
#[tracing::instrument(skip(pool, reason))]
pub async fn set_suspended(
    pool: &PgPool,
    id: Uuid,
    suspended: bool,
    admin: Uuid,
    reason: &str,
) -> Result<Option<OrgStatus>, AppError> {
    let reason = reason.trim();
    if suspended && reason.is_empty() {
        return Err(AppError::field(
            "reason",
            "Say why the tenant is suspended (its owners will ask).",
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::field(
            "reason",
            format!("The reason can be at most {MAX_REASON_CHARS} characters."),
        ));
    }
    let s = sqlx::query_scalar!(
        "select platform.set_tenant_suspended($1, $2, $3, $4)",
        id,
        suspended,
        admin,
        reason
    )
    .fetch_one(pool)
    .await?;
    super::cache::tenant_changed(id);
    s.map(|s| status(&s)).transpose()
}

#[tracing::instrument(skip(pool))]
pub async fn admin_by_email(
    pool: &PgPool,
    email: &str,
) -> Result<Option<(Uuid, String)>, AppError> {
    let r = sqlx::query!(
        "select id, password_hash from platform.admins where email = $1",
        email
    )
    .fetch_optional(pool)
    .await?;
    Ok(r.map(|r| (r.id, r.password_hash)))
}

#[tracing::instrument(skip(pool))]
pub async fn admin_by_id(
    pool: &PgPool,
    id: Uuid,
) -> Result<Option<(Uuid, String, String)>, AppError> {
    let r = sqlx::query!(
        "select id, name, email from platform.admins where id = $1",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(r.map(|r| (r.id, r.name, r.email)))
}

/// A message claimed for delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub org_id: Uuid,
    pub id: Uuid,
    pub to_email: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub kind: String,
    /// Billing notices speak for the platform, the rest for the tenant.
    pub platform_voice: bool,
    pub company_name: String,
    pub support_email: Option<String>,
    pub brand_color: String,
    pub logo_version: i32,
    pub subdomain: String,
    pub white_label: bool,
    pub custom_domain: Option<String>,
}

/// Claims up to `limit` due messages for `lease_seconds` (the mail worker).
pub async fn claim_outbox(
    pool: &PgPool,
    limit: i32,
    lease_seconds: i32,
) -> Result<Vec<Claimed>, AppError> {
    let rows = sqlx::query!(
        r#"select org_id as "org_id!", id as "id!", to_email as "to_email!", subject as "subject!",
                  body as "body!", attempts as "attempts!", kind as "kind!", voice as "voice!",
                  company_name as "company_name!", support_email, brand_color as "brand_color!",
                  logo_version as "logo_version!", subdomain as "subdomain!", white_label as "white_label!",
                  custom_domain
             from platform.claim_outbox($1, $2)"#,
        limit,
        lease_seconds
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            org_id: r.org_id,
            id: r.id,
            to_email: r.to_email,
            subject: r.subject,
            body: r.body,
            attempts: r.attempts,
            kind: r.kind,
            platform_voice: r.voice == "platform",
            company_name: r.company_name,
            support_email: r.support_email,
            brand_color: r.brand_color,
            logo_version: r.logo_version,
            subdomain: r.subdomain,
            white_label: r.white_label,
            custom_domain: r.custom_domain,
        })
        .collect())
}

/// Records a delivery, keeping only the redacted body.
pub async fn outbox_delivered(
    pool: &PgPool,
    org_id: Uuid,
    id: Uuid,
    redacted_body: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "select platform.outbox_delivered($1, $2, $3)",
        org_id,
        id,
        redacted_body
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed delivery: retried after `retry_seconds`, or (with
/// `None`) given up.
pub async fn outbox_failed(
    pool: &PgPool,
    org_id: Uuid,
    id: Uuid,
    error: &str,
    retry_seconds: Option<i32>,
) -> Result<(), AppError> {
    sqlx::query!(
        "select platform.outbox_failed($1, $2, $3, $4)",
        org_id,
        id,
        error,
        retry_seconds
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Workspaces whose deletion is due.
pub async fn tenants_to_delete(pool: &PgPool) -> Result<Vec<Uuid>, AppError> {
    Ok(
        sqlx::query_scalar!(r#"select org_id as "org_id!" from platform.tenants_to_delete()"#)
            .fetch_all(pool)
            .await?,
    )
}

/// Deletes a workspace that is due (logged); `false` if it no longer is.
pub async fn purge_tenant(pool: &PgPool, org_id: Uuid, objects: i32) -> Result<bool, AppError> {
    let purged = sqlx::query_scalar!(
        r#"select platform.purge_tenant($1, $2) as "purged!""#,
        org_id,
        objects
    )
    .fetch_one(pool)
    .await?;
    super::cache::tenant_changed(org_id);
    Ok(purged)
}
