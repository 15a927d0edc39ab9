//! The tenant's own organization row: brand, settings, onboarding, logo.

use crate::error::AppError;
use crate::model::{Onboarding, OrgSettings, PlanCode, TenantBrand, ValidCompany, Zone};
use crate::server::db::internal;
use crate::server::TenantTx;

pub async fn brand(tx: &mut TenantTx) -> Result<TenantBrand, AppError> {
    let org = tx.org_id();
    let r: (String, String, String, i32, String, String, i64, bool) = sqlx::query_as(
        "select company_name, subdomain, brand_color, logo_version, plan, status,
                greatest(0, ceil(extract(epoch from trial_ends_at - now()) / 86400))::bigint,
                coalesce((features->>'white_label')::boolean, false)
           from organizations where id = $1",
    )
    .bind(org)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)?;
    Ok(TenantBrand {
        company_name: r.0,
        subdomain: r.1,
        brand_color: r.2,
        logo_version: r.3,
        plan: PlanCode::parse(&r.4).unwrap_or(PlanCode::Starter),
        status: r.5,
        trial_days_left: r.6,
        white_label: r.7,
    })
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    company_name: String,
    subdomain: String,
    support_email: Option<String>,
    phone: Option<String>,
    brand_color: String,
    logo_version: i32,
    home_state: Option<String>,
    custom_markup: Option<String>,
    zone_multiplier: Option<String>,
    plan: String,
    status: String,
    seats: Option<i32>,
    seats_used: i64,
    jobs_used: i64,
    monthly_jobs_limit: Option<i32>,
    trial_ends_at: chrono::DateTime<chrono::Utc>,
    trial_days_left: i64,
    custom_domain: Option<String>,
    custom_domain_verified: bool,
}

pub async fn settings(tx: &mut TenantTx) -> Result<OrgSettings, AppError> {
    let org = tx.org_id();
    let r: SettingsRow = sqlx::query_as(
        "select o.company_name, o.subdomain, o.support_email, o.phone, o.brand_color, o.logo_version,
                o.home_state::text as home_state, o.custom_markup::text as custom_markup,
                z.base_multiplier::text as zone_multiplier, o.plan, o.status, o.seats,
                (select count(*) from users u where u.org_id = o.id) as seats_used,
                (select count(*) from jobs j where j.org_id = o.id
                    and j.created_at >= date_trunc('month', now())) as jobs_used,
                o.monthly_jobs_limit, o.trial_ends_at,
                greatest(0, ceil(extract(epoch from o.trial_ends_at - now()) / 86400))::bigint as trial_days_left,
                o.custom_domain, o.custom_domain_verified
           from organizations o left join shared.pricing_zones z on z.state_code = o.home_state
          where o.id = $1",
    )
    .bind(org)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)?;
    Ok(OrgSettings {
        workspace_url: String::new(),
        company_name: r.company_name,
        subdomain: r.subdomain,
        support_email: r.support_email,
        phone: r.phone,
        brand_color: r.brand_color,
        logo_version: r.logo_version,
        home_state: r.home_state,
        custom_markup: r.custom_markup,
        zone_multiplier: r.zone_multiplier,
        plan: PlanCode::parse(&r.plan).unwrap_or(PlanCode::Starter),
        status: r.status,
        seats: r.seats,
        seats_used: r.seats_used,
        jobs_used: r.jobs_used,
        monthly_jobs_limit: r.monthly_jobs_limit,
        trial_ends_at: r.trial_ends_at,
        trial_days_left: r.trial_days_left,
        custom_domain: r.custom_domain,
        custom_domain_verified: r.custom_domain_verified,
    })
}

/// (plan, seats) for the seat check.
pub async fn plan_seats(tx: &mut TenantTx) -> Result<(PlanCode, Option<i32>), AppError> {
    let org = tx.org_id();
    // `for update` serialises concurrent invitations against the seat count.
    let (plan, seats): (String, Option<i32>) =
        sqlx::query_as("select plan, seats from organizations where id = $1 for update")
            .bind(org)
            .fetch_one(tx.conn())
            .await
            .map_err(internal)?;
    Ok((PlanCode::parse(&plan).unwrap_or(PlanCode::Starter), seats))
}

pub async fn update_company(tx: &mut TenantTx, c: &ValidCompany) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "update organizations set company_name = $2, support_email = $3, phone = $4 where id = $1",
    )
    .bind(org)
    .bind(&c.company_name)
    .bind(&c.support_email)
    .bind(&c.phone)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

pub async fn update_brand_color(tx: &mut TenantTx, color: &str) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query("update organizations set brand_color = $2 where id = $1")
        .bind(org)
        .bind(color)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn update_pricing(
    tx: &mut TenantTx,
    state: &str,
    markup: Option<&str>,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "update organizations set home_state = $2, custom_markup = $3::numeric where id = $1",
    )
    .bind(org)
    .bind(state)
    .bind(markup)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

pub async fn set_logo(tx: &mut TenantTx, content_type: &str, bytes: &[u8]) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "insert into org_logos (org_id, content_type, bytes) values ($1, $2, $3)
         on conflict (org_id) do update set content_type = excluded.content_type,
           bytes = excluded.bytes, updated_at = now()",
    )
    .bind(org)
    .bind(content_type)
    .bind(bytes)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    sqlx::query("update organizations set logo_version = logo_version + 1 where id = $1")
        .bind(org)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn logo(tx: &mut TenantTx) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let org = tx.org_id();
    sqlx::query_as("select content_type, bytes from org_logos where org_id = $1")
        .bind(org)
        .fetch_optional(tx.conn())
        .await
        .map_err(internal)
}

pub async fn onboarding(tx: &mut TenantTx) -> Result<Onboarding, AppError> {
    let org = tx.org_id();
    let v: serde_json::Value =
        sqlx::query_scalar("select onboarding from organizations where id = $1")
            .bind(org)
            .fetch_one(tx.conn())
            .await
            .map_err(internal)?;
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

pub async fn set_onboarding_step(
    tx: &mut TenantTx,
    step: &str,
    state: &str,
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query("update organizations set onboarding = onboarding || jsonb_build_object($2::text, $3::text) where id = $1")
        .bind(org)
        .bind(step)
        .bind(state)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn zones(tx: &mut TenantTx) -> Result<Vec<Zone>, AppError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "select state_code::text, zone_name, base_multiplier::text from shared.pricing_zones order by zone_name",
    )
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(state_code, zone_name, base_multiplier)| Zone {
            state_code,
            zone_name,
            base_multiplier,
        })
        .collect())
}
