//! The tenant's own organization row: brand, settings, onboarding, logo.

use crate::error::AppError;
use crate::model::{Onboarding, OrgSettings, OrgStatus, PlanCode, TenantBrand, ValidCompany, Zone};
use crate::server::TenantTx;

/// A plan code read back from the database.
pub fn plan(value: &str) -> Result<PlanCode, AppError> {
    PlanCode::parse(value).map_err(|_| super::corrupt("organizations.plan", value))
}

/// A status read back from the database.
pub fn status(value: &str) -> Result<OrgStatus, AppError> {
    OrgStatus::parse(value).map_err(|_| super::corrupt("organizations.status", value))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn brand(tx: &mut TenantTx) -> Result<TenantBrand, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select company_name, subdomain, brand_color, logo_version, plan, status,
                  greatest(0, ceil(extract(epoch from trial_ends_at - now()) / 86400))::bigint as "trial_days_left!",
                  coalesce((features->>'white_label')::boolean, false) and hide_platform_brand as "white_label!",
                  favicon_version,
                  case when custom_domain_verified then custom_domain end as custom_domain,
                  coalesce((features->>'approval_workflow')::boolean, false) as "approval_workflow!",
                  time_zone, home_state::text as home_state,
                  stripe_subscription_id is not null as "subscribed!", comped,
                  past_due_since as "past_due_since: chrono::DateTime<chrono::Utc>"
             from organizations where id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(TenantBrand {
        company_name: r.company_name,
        subdomain: r.subdomain,
        brand_color: r.brand_color,
        logo_version: r.logo_version,
        plan: plan(&r.plan)?,
        status: status(&r.status)?,
        trial_days_left: r.trial_days_left,
        white_label: r.white_label,
        favicon_version: r.favicon_version,
        custom_domain: r.custom_domain,
        approval_workflow: r.approval_workflow,
        time_zone: effective_zone(r.time_zone.as_deref(), r.home_state.as_deref()),
        subscribed: r.subscribed,
        comped: r.comped,
        read_only: None,
        // The grace period is the server's setting: the shell adds it.
        grace_ends_at: r.past_due_since,
    })
}

/// The tenant's time zone (the one chosen, else its home state's).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn time_zone(tx: &mut TenantTx) -> Result<String, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "select time_zone, home_state::text as home_state from organizations where id = $1",
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(effective_zone(
        r.time_zone.as_deref(),
        r.home_state.as_deref(),
    ))
}

/// The zone a tenant's times are shown in: the one chosen, else its home
/// state's.
fn effective_zone(chosen: Option<&str>, home_state: Option<&str>) -> String {
    match (chosen, home_state) {
        (Some(z), _) => z.to_string(),
        (None, Some(s)) => crate::model::time::zone_for_state(s).to_string(),
        (None, None) => crate::model::time::DEFAULT_ZONE.to_string(),
    }
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn settings(tx: &mut TenantTx) -> Result<OrgSettings, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select o.company_name, o.subdomain, o.support_email, o.phone, o.brand_color, o.logo_version,
                  o.home_state::text as home_state, o.time_zone, o.custom_markup::text as custom_markup,
                  z.base_multiplier::text as zone_multiplier, o.plan, o.status, o.seats,
                  (select count(*) from users u where u.org_id = o.id) as "seats_used!",
                  (select count(*) from jobs j where j.org_id = o.id and j.kind = 'install'
                      and j.created_at >= date_trunc('month', now())) as "jobs_used!",
                  o.monthly_jobs_limit, o.trial_ends_at as "trial_ends_at: chrono::DateTime<chrono::Utc>",
                  greatest(0, ceil(extract(epoch from o.trial_ends_at - now()) / 86400))::bigint as "trial_days_left!",
                  o.custom_domain, o.custom_domain_verified,
                  o.hide_platform_brand, o.favicon_version,
                  coalesce((o.features->>'white_label')::boolean, false) as "white_label_allowed!",
                  coalesce((select s.bytes from storage_usage s where s.org_id = o.id), 0) as "storage_used!",
                  o.storage_quota_mb
             from organizations o left join shared.pricing_zones z on z.state_code = o.home_state
            where o.id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(OrgSettings {
        workspace_url: String::new(),
        company_name: r.company_name,
        subdomain: r.subdomain,
        support_email: r.support_email,
        phone: r.phone,
        brand_color: r.brand_color,
        logo_version: r.logo_version,
        time_zone: effective_zone(r.time_zone.as_deref(), r.home_state.as_deref()),
        time_zone_chosen: r.time_zone.is_some(),
        home_state: r.home_state,
        custom_markup: r.custom_markup,
        zone_multiplier: r.zone_multiplier,
        plan: plan(&r.plan)?,
        status: status(&r.status)?,
        seats: r.seats,
        seats_used: r.seats_used,
        jobs_used: r.jobs_used,
        monthly_jobs_limit: r.monthly_jobs_limit,
        trial_ends_at: r.trial_ends_at,
        trial_days_left: r.trial_days_left,
        custom_domain: r.custom_domain,
        custom_domain_verified: r.custom_domain_verified,
        hide_platform_brand: r.hide_platform_brand,
        white_label_allowed: r.white_label_allowed,
        favicon_version: r.favicon_version,
        storage_used_bytes: r.storage_used,
        storage_quota_bytes: r.storage_quota_mb.map(|mb| i64::from(mb) * 1024 * 1024),
    })
}

/// (plan, seats) for the seat check; the row is locked, so concurrent
/// invitations and acceptances count one at a time.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn plan_seats(tx: &mut TenantTx) -> Result<(PlanCode, Option<i32>), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "select plan, seats from organizations where id = $1 for update",
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((plan(&r.plan)?, r.seats))
}

/// How customers reach the company: (support email, phone).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn contact(tx: &mut TenantTx) -> Result<(Option<String>, Option<String>), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "select support_email, phone from organizations where id = $1",
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((r.support_email, r.phone))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn update_company(tx: &mut TenantTx, c: &ValidCompany) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update organizations set company_name = $2, support_email = $3, phone = $4, time_zone = $5
          where id = $1",
        org,
        c.company_name,
        c.support_email,
        c.phone,
        c.time_zone
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn update_brand_color(tx: &mut TenantTx, color: &str) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update organizations set brand_color = $2 where id = $1",
        org,
        color
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn update_pricing(
    tx: &mut TenantTx,
    state: &str,
    markup: Option<&str>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update organizations set home_state = $2, custom_markup = $3::text::numeric where id = $1",
        org,
        state,
        markup
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_logo(tx: &mut TenantTx, content_type: &str, bytes: &[u8]) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into org_logos (org_id, content_type, bytes) values ($1, $2, $3)
         on conflict (org_id) do update set content_type = excluded.content_type,
           bytes = excluded.bytes, updated_at = now()",
        org,
        content_type,
        bytes
    )
    .execute(tx.conn())
    .await?;
    tx.identity_changed();
    sqlx::query!(
        "update organizations set logo_version = logo_version + 1 where id = $1",
        org
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn logo(tx: &mut TenantTx) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let org = tx.org_id();
    let row = sqlx::query!(
        "select content_type, bytes from org_logos where org_id = $1",
        org
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| (r.content_type, r.bytes)))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn onboarding(tx: &mut TenantTx) -> Result<Onboarding, AppError> {
    let org = tx.org_id();
    let v = sqlx::query_scalar!("select onboarding from organizations where id = $1", org)
        .fetch_one(tx.conn())
        .await?;
    let steps = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("pending").to_string()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Onboarding { steps })
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_onboarding_step(
    tx: &mut TenantTx,
    step: &str,
    state: &str,
) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update organizations set onboarding = onboarding || jsonb_build_object($2::text, $3::text) where id = $1",
        org,
        step,
        state
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn zones(tx: &mut TenantTx) -> Result<Vec<Zone>, AppError> {
    let rows = sqlx::query!(
        r#"select state_code::text as "state_code!", zone_name, base_multiplier::text as "base_multiplier!"
             from shared.pricing_zones order by zone_name"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Zone {
            state_code: r.state_code,
            zone_name: r.zone_name,
            base_multiplier: r.base_multiplier,
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_favicon(
    tx: &mut TenantTx,
    content_type: &str,
    bytes: &[u8],
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into org_favicons (org_id, content_type, bytes) values ($1, $2, $3)
         on conflict (org_id) do update
           set content_type = excluded.content_type, bytes = excluded.bytes, updated_at = now()",
        org,
        content_type,
        bytes
    )
    .execute(tx.conn())
    .await?;
    tx.identity_changed();
    sqlx::query!(
        "update organizations set favicon_version = favicon_version + 1 where id = $1",
        org
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn favicon(tx: &mut TenantTx) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query!(
        "select content_type, bytes from org_favicons where org_id = $1",
        org
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| (r.content_type, r.bytes)))
}

/// Hides (or shows again) the platform's branding.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_hide_platform_brand(tx: &mut TenantTx, hide: bool) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update organizations set hide_platform_brand = $2 where id = $1",
        org,
        hide
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The tenant's custom domain, as set (verified or not).
pub struct DomainRow {
    pub domain: String,
    pub token: String,
    pub verified: bool,
    pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub error: Option<String>,
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn custom_domain(tx: &mut TenantTx) -> Result<Option<DomainRow>, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select custom_domain, custom_domain_token, custom_domain_verified,
                  custom_domain_checked_at as "checked_at: chrono::DateTime<chrono::Utc>",
                  custom_domain_error
             from organizations where id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(match (r.custom_domain, r.custom_domain_token) {
        (Some(domain), Some(token)) => Some(DomainRow {
            domain,
            token,
            verified: r.custom_domain_verified,
            checked_at: r.checked_at,
            error: r.custom_domain_error,
        }),
        _ => None,
    })
}

/// Names (or with `None`, removes) the custom domain, unverified, with a
/// new token: through the platform function, the only writer.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_custom_domain(
    tx: &mut TenantTx,
    domain: Option<&str>,
    token: Option<&str>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "select platform.set_custom_domain($1, $2, $3)",
        org,
        domain,
        token
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records a DNS check; `true` when the domain is now verified.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn record_domain_check(
    tx: &mut TenantTx,
    domain: &str,
    ok: bool,
    error: Option<&str>,
) -> Result<bool, AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    Ok(sqlx::query_scalar!(
        r#"select platform.record_domain_check($1, $2, $3, $4) as "verified!""#,
        org,
        domain,
        ok,
        error
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The company's phone, for messages that tell the homeowner to call.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn company_phone(tx: &mut TenantTx) -> Result<Option<String>, AppError> {
    let org = tx.org_id();
    Ok(
        sqlx::query_scalar!("select phone from organizations where id = $1", org)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// The workspace's deletion state: (subdomain, due, subscription running).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn deletion(
    tx: &mut TenantTx,
) -> Result<(String, Option<chrono::DateTime<chrono::Utc>>, bool), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select subdomain, deletion_due_at as "due: chrono::DateTime<chrono::Utc>",
                  (stripe_subscription_id is not null and status <> 'cancelled') as "subscribed!"
             from organizations where id = $1"#,
        org
    )
    .fetch_one(tx.conn())
    .await?;
    Ok((r.subdomain, r.due, r.subscribed))
}

/// Schedules the workspace's deletion (or, with `None`, calls it off).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_deletion(
    tx: &mut TenantTx,
    due: Option<chrono::DateTime<chrono::Utc>>,
    by: Option<&str>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    tx.identity_changed();
    sqlx::query!(
        "update organizations set deletion_due_at = $2, deletion_requested_by = $3 where id = $1",
        org,
        due as _,
        by
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The owners' and admins' addresses (who hears about the workspace).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn owner_emails(tx: &mut TenantTx) -> Result<Vec<String>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select email from users where org_id = $1 and role in ('owner', 'admin') order by role desc, email",
        org
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Whether the transaction's tenant exists (row-level security shows its
/// own row, if any): a platform administrator's action names it by id.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn exists(tx: &mut TenantTx) -> Result<bool, AppError> {
    let id = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from organizations where id = $1) as "e!""#,
        id
    )
    .fetch_one(tx.conn())
    .await?)
}
