//! The price book and the location multiplier: the brief's pricing service.

use rust_decimal::Decimal;
use sqlx::types::Json;

use crate::error::AppError;
use crate::model::pricing::{multiplier, MultiplierSource};
use crate::model::Catalogue;
use crate::server::db::internal;
use crate::server::TenantTx;

/// The tenant's price book (defaults for anything not stored).
pub async fn catalogue(tx: &mut TenantTx) -> Result<Catalogue, AppError> {
    let org = tx.org_id();
    let row: Option<Json<Catalogue>> =
        sqlx::query_scalar("select data from catalogues where org_id = $1")
            .bind(org)
            .fetch_optional(tx.conn())
            .await
            .map_err(internal)?;
    Ok(row.map(|j| j.0).unwrap_or_default())
}

pub async fn save_catalogue(tx: &mut TenantTx, c: &Catalogue) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "insert into catalogues (org_id, data, updated_at) values ($1, $2, now())
         on conflict (org_id) do update set data = excluded.data, updated_at = now()",
    )
    .bind(org)
    .bind(Json(c))
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

/// The tenant's per-zone multipliers: (state, zone name, base, override).
pub async fn zone_table(
    tx: &mut TenantTx,
) -> Result<Vec<(String, String, Decimal, Option<Decimal>)>, AppError> {
    let org = tx.org_id();
    sqlx::query_as(
        "select z.state_code::text, z.zone_name, z.base_multiplier, o.multiplier
           from shared.pricing_zones z
           left join zone_overrides o on o.org_id = $1 and o.state_code = z.state_code
          order by z.zone_name",
    )
    .bind(org)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)
}

/// Replaces the tenant's zone overrides with `overrides` (state, multiplier).
pub async fn set_zone_overrides(
    tx: &mut TenantTx,
    overrides: &[(String, Decimal)],
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query("delete from zone_overrides where org_id = $1")
        .bind(org)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    for (state, m) in overrides {
        sqlx::query(
            "insert into zone_overrides (org_id, state_code, multiplier) values ($1, $2, $3)",
        )
        .bind(org)
        .bind(state)
        .bind(m)
        .execute(tx.conn())
        .await
        .map_err(internal)?;
    }
    Ok(())
}

/// The multiplier for a state, and the zone's name when there is one.
pub async fn multiplier_for(
    tx: &mut TenantTx,
    state: &str,
) -> Result<(Decimal, MultiplierSource, Option<String>), AppError> {
    let org = tx.org_id();
    let (base, zone_name, over, markup): (
        Option<Decimal>,
        Option<String>,
        Option<Decimal>,
        Option<Decimal>,
    ) = sqlx::query_as(
        "select z.base_multiplier, z.zone_name, o.multiplier, org.custom_markup
               from organizations org
               left join shared.pricing_zones z on z.state_code = $2
               left join zone_overrides o on o.org_id = org.id and o.state_code = $2
              where org.id = $1",
    )
    .bind(org)
    .bind(state)
    .fetch_one(tx.conn())
    .await
    .map_err(internal)?;
    let (m, source) = multiplier(base, over, markup);
    Ok((m, source, zone_name))
}
