//! Properties, pets, and the brief's pricing service.

use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::pricing::{MultiplierSource, Priced};
use crate::model::{Catalogue, PetForm, Property, PropertyForm, PropertyRow, QuoteRow};

/// The property page: the property with its pets and drawing, its quotes,
/// and what the designer needs to price live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyPage {
    pub property: Property,
    pub quotes: Vec<QuoteRow>,
    pub catalogue: Catalogue,
    pub multiplier: Decimal,
    pub multiplier_source: MultiplierSource,
    pub zone_name: Option<String>,
    pub map_tiles: Option<String>,
    pub can_edit: bool,
    /// The viewer's role sees costs (else the price book's are zeroed).
    pub costs_visible: bool,
}

#[server(endpoint = "properties/for_customer")]
pub async fn customer_properties(customer_id: Uuid) -> Result<Vec<PropertyRow>, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let mut tx = cx.tx().await?;
            let rows = repo::properties::for_customer(&mut tx, customer_id).await?;
            tx.commit().await?;
            Ok(rows)
        }
        .await,
    )
}

#[server(endpoint = "properties/create")]
pub async fn create_property(customer_id: Uuid, form: PropertyForm) -> Result<Uuid, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "add properties")?
                .id;
            let valid = form.validate()?;
            let mut tx = cx.tx().await?;
            let id = repo::properties::insert(&mut tx, customer_id, &valid).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "property.created",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            crate::server::redirect::after_action(&format!("/properties/{id}"));
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "properties/update")]
pub async fn update_property(id: Uuid, form: PropertyForm) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "edit properties")?
                .id;
            let valid = form.validate()?;
            let mut tx = cx.tx().await?;
            if !repo::properties::update(&mut tx, id, &valid).await? {
                return Err(AppError::NotFound);
            }
            repo::audit::record(
                &mut tx,
                Some(m),
                "property.updated",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            crate::server::redirect::after_action(&format!("/properties/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "properties/get")]
pub async fn get_property(id: Uuid) -> Result<PropertyPage, AppError> {
    use crate::server::{ctx, quoting, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            let can_edit = me.role.edits_customers();
            let costs_visible = me.role.sees_costs();
            let mut tx = cx.tx().await?;
            let property = repo::properties::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let quotes = repo::quotes::list(&mut tx, None, Some(id)).await?;
            let pc = quoting::context(&mut tx, &property.state).await?;
            tx.commit().await?;
            Ok(PropertyPage {
                property,
                quotes,
                catalogue: if costs_visible {
                    pc.catalogue
                } else {
                    pc.catalogue.without_costs()
                },
                costs_visible,
                multiplier: pc.multiplier,
                multiplier_source: pc.source,
                zone_name: pc.zone_name,
                map_tiles: cx.state.config.map_tile_url.clone(),
                can_edit,
            })
        }
        .await,
    )
}

/// Saves the boundary drawing (JSON of [`crate::model::Drawing`]) and, when
/// the pin was moved, the property's new location.
#[server(endpoint = "properties/drawing")]
pub async fn save_drawing(
    id: Uuid,
    drawing: String,
    #[server(default)] lat: Option<f64>,
    #[server(default)] lon: Option<f64>,
) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "change the boundary")?
                .id;
            let d: crate::model::Drawing = serde_json::from_str(&drawing).map_err(|_| {
                AppError::field(
                    "drawing",
                    "The drawing could not be read; reload the page and try again.",
                )
            })?;
            d.validate().map_err(|m| AppError::field("drawing", m))?;
            let location = match (lat, lon) {
                (Some(a), Some(b))
                    if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&b) =>
                {
                    Some((a, b))
                }
                (None, None) => None,
                _ => {
                    return Err(AppError::field(
                        "lat",
                        "The pin's latitude and longitude are out of range.",
                    ))
                }
            };
            let mut tx = cx.tx().await?;
            if !repo::properties::set_drawing(&mut tx, id, &d).await? {
                return Err(AppError::NotFound);
            }
            if let Some(l) = location {
                repo::properties::set_location(&mut tx, id, l).await?;
            }
            repo::audit::record(
                &mut tx,
                Some(m),
                "property.boundary_saved",
                Some(id),
                serde_json::json!({ "points": d.boundary.len() }),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "properties/add_pet")]
pub async fn add_pet(property_id: Uuid, pet: PetForm) -> Result<Uuid, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "add pets")?
                .id;
            let valid = pet.validate()?;
            let mut tx = cx.tx().await?;
            let id = repo::properties::add_pet(&mut tx, property_id, &valid).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "pet.added",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            crate::server::redirect::after_action(&format!("/properties/{property_id}"));
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "properties/remove_pet")]
pub async fn remove_pet(id: Uuid) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "remove pets")?
                .id;
            let mut tx = cx.tx().await?;
            let property = repo::properties::remove_pet(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "pet.removed",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            crate::server::redirect::after_action(&format!("/properties/{property}"));
            Ok(())
        }
        .await,
    )
}

/// The brief's pricing service: the price of an install for this tenant at a
/// location (state) and property size (lot square feet), with `pets` collars.
#[server(endpoint = "pricing/estimate")]
pub async fn estimate_price(state: String, lot_sqft: u32, pets: u32) -> Result<Priced, AppError> {
    use crate::model::pricing::{price, ValidTerms};
    use crate::model::takeoff::{take_off, typical_drawing};
    use crate::server::{ctx, quoting};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let sees_costs = cx.member()?.role.sees_costs();
            let state =
                crate::model::state_code(&state).map_err(|m| AppError::field("state", m))?;
            if !(100..=100_000_000).contains(&lot_sqft) {
                return Err(AppError::field(
                    "lot_sqft",
                    "Lot size must be between 100 and 100,000,000 sq ft.",
                ));
            }
            let mut tx = cx.tx().await?;
            let pc = quoting::context(&mut tx, &state).await?;
            tx.commit().await?;
            let t = take_off(
                &typical_drawing(lot_sqft as f64),
                pets.min(50),
                &pc.catalogue,
            );
            let p = price(
                &t,
                &pc.catalogue,
                (pc.multiplier, pc.source),
                &ValidTerms::default(),
                None,
            );
            Ok(if sees_costs { p } else { p.without_costs() })
        }
        .await,
    )
}
