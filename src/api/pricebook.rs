//! Settings → Price book: the catalogue and the tenant's zone multipliers.

use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceBook {
    pub form: BTreeMap<String, String>,
    /// (state, zone, base multiplier, the tenant's override)
    pub zones: Vec<(String, String, Decimal, Option<Decimal>)>,
    pub custom_markup: Option<String>,
}

#[server(endpoint = "pricebook/get")]
pub async fn get_price_book() -> Result<PriceBook, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member_who(crate::model::Role::manages_settings, "see the price book")?;
            let mut tx = cx.tx().await?;
            let c = repo::pricing::catalogue(&mut tx).await?;
            let zones = repo::pricing::zone_table(&mut tx).await?;
            let s = repo::orgs::settings(&mut tx).await?;
            tx.commit().await?;
            Ok(PriceBook {
                form: c.to_form(),
                zones,
                custom_markup: s.custom_markup,
            })
        }
        .await,
    )
}

#[server(endpoint = "pricebook/save")]
pub async fn save_price_book(form: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(
                    crate::model::Role::manages_settings,
                    "change the price book",
                )?
                .id;
            let mut c = crate::model::Catalogue::from_form(&form)?;
            place_depot(&mut c)?;
            let mut tx = cx.tx().await?;
            repo::pricing::save_catalogue(&mut tx, &c).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "pricebook.saved",
                None,
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

/// A depot given by its ZIP code only is placed at the ZIP's centre (the
/// embedded US table; no network); coordinates, when typed, win.
#[cfg(feature = "ssr")]
fn place_depot(c: &mut crate::model::Catalogue) -> Result<(), AppError> {
    use rust_decimal::prelude::FromPrimitive;
    if c.has_depot() {
        return Ok(());
    }
    let Some(zip) = c.depot_zip.clone() else {
        return Ok(());
    };
    let (lat, lon) = crate::server::repo::properties::zip_centre(&zip).ok_or_else(|| {
        AppError::field(
            "depot_zip",
            format!("ZIP code {zip} is not in our US table; enter the depot's latitude and longitude instead."),
        )
    })?;
    let six = |v: f64| rust_decimal::Decimal::from_f64(v).map(|d| d.round_dp(6).normalize());
    c.depot_lat = six(lat);
    c.depot_lon = six(lon);
    Ok(())
}

/// Saves the per-zone markups: `zones[XX]` = multiplier, blank for the default.
#[server(endpoint = "pricebook/zones")]
pub async fn save_zone_overrides(zones: BTreeMap<String, String>) -> Result<(), AppError> {
    use crate::model::catalogue::parse_in_range;
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::manages_settings, "change zone pricing")?
                .id;
            let mut errors = crate::model::FieldErrors::default();
            let mut list = Vec::new();
            for (state, v) in &zones {
                if v.trim().is_empty() {
                    continue;
                }
                let Ok(code) = crate::model::state_code(state) else {
                    errors.add("zones", format!("{state} is not a US state."));
                    continue;
                };
                match parse_in_range(v, &format!("{code} multiplier"), "0.5", "3") {
                    Ok(d) if d.scale() <= 3 => list.push((code, d)),
                    Ok(_) => errors.add(&format!("zone_{code}"), "Use at most 3 decimal places."),
                    Err(msg) => errors.add(&format!("zone_{code}"), msg),
                }
            }
            if !errors.is_empty() {
                return Err(errors.into());
            }
            let mut tx = cx.tx().await?;
            repo::pricing::set_zone_overrides(&mut tx, &list).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "pricebook.zones_saved",
                None,
                serde_json::json!({ "overrides": list.len() }),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}
