//! The price book and the location multiplier: the brief's pricing service.

use rust_decimal::Decimal;
use sqlx::types::Json;

use crate::error::AppError;
use crate::model::pricing::{multiplier, MultiplierSource};
use crate::model::Catalogue;
use crate::server::TenantTx;

/// The tenant's price book (defaults for anything not stored).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn catalogue(tx: &mut TenantTx) -> Result<Catalogue, AppError> {
    let org = tx.org_id();
    let row = sqlx::query_scalar!(
        r#"select data as "data: Json<Catalogue>" from catalogues where org_id = $1"#,
        org
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|j| j.0).unwrap_or_default())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn save_catalogue(tx: &mut TenantTx, c: &Catalogue) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "insert into catalogues (org_id, data, updated_at) values ($1, $2, now())
         on conflict (org_id) do update set data = excluded.data, updated_at = now()",
        org,
        Json(c) as _
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// (state, zone name, base multiplier, the tenant's override).
pub type ZoneRow = (String, String, Decimal, Option<Decimal>);

/// The tenant's per-zone multipliers: (state, zone name, base, override).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn zone_table(tx: &mut TenantTx) -> Result<Vec<ZoneRow>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select z.state_code::text as "state!", z.zone_name, z.base_multiplier, o.multiplier as "multiplier?"
             from shared.pricing_zones z
             left join zone_overrides o on o.org_id = $1 and o.state_code = z.state_code
            order by z.zone_name"#,
        org
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.state, r.zone_name, r.base_multiplier, r.multiplier))
        .collect())
}

/// Replaces the tenant's zone overrides with `overrides` (state, multiplier).
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_zone_overrides(
    tx: &mut TenantTx,
    overrides: &[(String, Decimal)],
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!("delete from zone_overrides where org_id = $1", org)
        .execute(tx.conn())
        .await?;
    for (state, m) in overrides {
        sqlx::query!(
            "insert into zone_overrides (org_id, state_code, multiplier) values ($1, $2, $3)",
            org,
            state as _,
            m
        )
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// The multiplier for a state, and the zone's name when there is one.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn multiplier_for(
    tx: &mut TenantTx,
    state: &str,
) -> Result<(Decimal, MultiplierSource, Option<String>), AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        r#"select z.base_multiplier as "base?", z.zone_name as "zone_name?", o.multiplier as "over?",
                  org.custom_markup
             from organizations org
             left join shared.pricing_zones z on z.state_code = $2
             left join zone_overrides o on o.org_id = org.id and o.state_code = $2
            where org.id = $1"#,
        org,
        state as _
    )
    .fetch_one(tx.conn())
    .await?;
    let (m, source) = multiplier(r.base, r.over, r.custom_markup);
    Ok((m, source, r.zone_name))
}
