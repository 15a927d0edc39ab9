//! Properties and their pets.

use sqlx::types::Json;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Drawing, Pet, Property, PropertyRow, ValidPet, ValidProperty};
use crate::server::TenantTx;

/// Pets one property may have.
pub const MAX_PETS: i64 = 20;

/// The centre of a ZIP code, from the embedded US ZIP table (no network).
pub fn zip_centre(zip: &str) -> Option<(f64, f64)> {
    let five = zip.get(..5)?;
    let z = zipcodes::matching(five, None).ok()?.into_iter().next()?;
    Some((z.lat.parse().ok()?, z.long.parse().ok()?))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn insert(
    tx: &mut TenantTx,
    customer_id: Uuid,
    p: &ValidProperty,
) -> Result<Uuid, AppError> {
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let loc = p.location.or_else(|| zip_centre(&p.zip));
    let r = sqlx::query!(
        "insert into properties (org_id, id, customer_id, label, street, city, state, zip, lat, lon, lot_sqft, notes, gate_notes)
         select $1, $2, c.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
           from customers c where c.org_id = $1 and c.id = $3",
        org,
        id,
        customer_id,
        p.label,
        p.street,
        p.city,
        p.state as _,
        p.zip,
        loc.map(|l| l.0),
        loc.map(|l| l.1),
        p.lot_sqft,
        p.notes,
        p.gate_notes
    )
    .execute(tx.conn())
    .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(id)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn update(tx: &mut TenantTx, id: Uuid, p: &ValidProperty) -> Result<bool, AppError> {
    let org = tx.org_id();
    let loc = p.location.or_else(|| zip_centre(&p.zip));
    let r = sqlx::query!(
        "update properties set label = $3, street = $4, city = $5, state = $6, zip = $7, lat = $8, lon = $9,
                lot_sqft = $10, notes = $11, gate_notes = $12, updated_at = now()
          where org_id = $1 and id = $2",
        org,
        id,
        p.label,
        p.street,
        p.city,
        p.state as _,
        p.zip,
        loc.map(|l| l.0),
        loc.map(|l| l.1),
        p.lot_sqft,
        p.notes,
        p.gate_notes
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_drawing(tx: &mut TenantTx, id: Uuid, d: &Drawing) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update properties set drawing = $3, updated_at = now() where org_id = $1 and id = $2",
        org,
        id,
        Json(d) as _
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_location(
    tx: &mut TenantTx,
    id: Uuid,
    (lat, lon): (f64, f64),
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query!(
        "update properties set lat = $3, lon = $4, updated_at = now() where org_id = $1 and id = $2",
        org,
        id,
        lat,
        lon
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Property>, AppError> {
    let org = tx.org_id();
    let row = sqlx::query!(
        r#"select p.id, p.customer_id, c.name as customer_name, p.label, p.street, p.city,
                  p.state::text as "state!", p.zip, p.lat, p.lon, p.lot_sqft, p.notes,
                  p.gate_notes, p.drawing as "drawing: Json<Drawing>"
             from properties p join customers c on c.org_id = p.org_id and c.id = p.customer_id
            where p.org_id = $1 and p.id = $2"#,
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let pets = pets(tx, id).await?;
    Ok(Some(Property {
        id: r.id,
        customer_id: r.customer_id,
        customer_name: r.customer_name,
        label: r.label,
        street: r.street,
        city: r.city,
        state: r.state,
        zip: r.zip,
        lat: r.lat,
        lon: r.lon,
        lot_sqft: r.lot_sqft,
        notes: r.notes,
        gate_notes: r.gate_notes,
        drawing: r.drawing.0,
        pets,
    }))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn for_customer(
    tx: &mut TenantTx,
    customer_id: Uuid,
) -> Result<Vec<PropertyRow>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select p.id, p.label, p.street, p.city, p.state::text as "state!",
                  (select count(*) from pets x where x.org_id = p.org_id and x.property_id = p.id) as "pets!"
             from properties p where p.org_id = $1 and p.customer_id = $2 order by p.created_at"#,
        org,
        customer_id
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PropertyRow {
            id: r.id,
            label: r.label,
            street: r.street,
            city: r.city,
            state: r.state,
            pets: r.pets,
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn pets(tx: &mut TenantTx, property_id: Uuid) -> Result<Vec<Pet>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select id, name, breed, weight_lb, collar_model,
                battery_installed as "battery_installed: chrono::NaiveDate" from pets
          where org_id = $1 and property_id = $2 order by created_at, id"#,
        org,
        property_id
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Pet {
            id: r.id,
            name: r.name,
            breed: r.breed,
            weight_lb: r.weight_lb,
            collar_model: r.collar_model,
            battery_installed: r.battery_installed,
        })
        .collect())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn add_pet(tx: &mut TenantTx, property_id: Uuid, p: &ValidPet) -> Result<Uuid, AppError> {
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let count = sqlx::query_scalar!(
        r#"select count(*) as "n!" from pets where org_id = $1 and property_id = $2"#,
        org,
        property_id
    )
    .fetch_one(tx.conn())
    .await?;
    if count >= MAX_PETS {
        return Err(AppError::field(
            "pet",
            format!("A property can have at most {MAX_PETS} pets."),
        ));
    }
    let r = sqlx::query!(
        "insert into pets (org_id, id, property_id, name, breed, weight_lb, collar_model, battery_installed)
         select $1, $2, p.id, $4, $5, $6, $7, $8 from properties p where p.org_id = $1 and p.id = $3",
        org,
        id,
        property_id,
        p.name,
        p.breed,
        p.weight_lb,
        p.collar_model,
        p.battery_installed as _
    )
    .execute(tx.conn())
    .await?;
    if r.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(id)
}

/// Removes a pet; returns its property when it existed here.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn remove_pet(tx: &mut TenantTx, id: Uuid) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "delete from pets where org_id = $1 and id = $2 returning property_id",
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?)
}
