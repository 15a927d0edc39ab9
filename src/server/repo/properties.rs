//! Properties and their pets.

use rust_decimal::Decimal;
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Drawing, Pet, Property, PropertyRow, ValidPet, ValidProperty};
use crate::server::db::internal;
use crate::server::TenantTx;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    customer_id: Uuid,
    customer_name: String,
    label: String,
    street: String,
    city: String,
    state: String,
    zip: String,
    lat: Option<f64>,
    lon: Option<f64>,
    lot_sqft: Option<i32>,
    notes: String,
    drawing: Json<Drawing>,
}

#[derive(sqlx::FromRow)]
struct PetRow {
    id: Uuid,
    name: String,
    breed: String,
    weight_lb: Option<Decimal>,
    collar_model: String,
    battery_installed: Option<chrono::NaiveDate>,
}

/// The centre of a ZIP code, from the embedded US ZIP table (no network).
pub fn zip_centre(zip: &str) -> Option<(f64, f64)> {
    let five = zip.get(..5)?;
    let z = zipcodes::matching(five, None).ok()?.into_iter().next()?;
    Some((z.lat.parse().ok()?, z.long.parse().ok()?))
}

pub async fn insert(
    tx: &mut TenantTx,
    customer_id: Uuid,
    p: &ValidProperty,
) -> Result<Uuid, AppError> {
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let loc = p.location.or_else(|| zip_centre(&p.zip));
    let r = sqlx::query(
        "insert into properties (org_id, id, customer_id, label, street, city, state, zip, lat, lon, lot_sqft, notes)
         select $1, $2, c.id, $4, $5, $6, $7, $8, $9, $10, $11, $12
           from customers c where c.org_id = $1 and c.id = $3",
    )
    .bind(org)
    .bind(id)
    .bind(customer_id)
    .bind(&p.label)
    .bind(&p.street)
    .bind(&p.city)
    .bind(&p.state)
    .bind(&p.zip)
    .bind(loc.map(|l| l.0))
    .bind(loc.map(|l| l.1))
    .bind(p.lot_sqft)
    .bind(&p.notes)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    if r.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(id)
}

pub async fn update(tx: &mut TenantTx, id: Uuid, p: &ValidProperty) -> Result<bool, AppError> {
    let org = tx.org_id();
    let loc = p.location.or_else(|| zip_centre(&p.zip));
    let r = sqlx::query(
        "update properties set label = $3, street = $4, city = $5, state = $6, zip = $7, lat = $8, lon = $9,
                lot_sqft = $10, notes = $11, updated_at = now()
          where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(&p.label)
    .bind(&p.street)
    .bind(&p.city)
    .bind(&p.state)
    .bind(&p.zip)
    .bind(loc.map(|l| l.0))
    .bind(loc.map(|l| l.1))
    .bind(p.lot_sqft)
    .bind(&p.notes)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_drawing(tx: &mut TenantTx, id: Uuid, d: &Drawing) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query(
        "update properties set drawing = $3, updated_at = now() where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(Json(d))
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_location(
    tx: &mut TenantTx,
    id: Uuid,
    (lat, lon): (f64, f64),
) -> Result<(), AppError> {
    let org = tx.org_id();
    sqlx::query(
        "update properties set lat = $3, lon = $4, updated_at = now() where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(lat)
    .bind(lon)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    Ok(())
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Property>, AppError> {
    let org = tx.org_id();
    let row: Option<Row> = sqlx::query_as(
        "select p.id, p.customer_id, c.name as customer_name, p.label, p.street, p.city, p.state::text as state,
                p.zip, p.lat, p.lon, p.lot_sqft, p.notes, p.drawing
           from properties p join customers c on c.org_id = p.org_id and c.id = p.customer_id
          where p.org_id = $1 and p.id = $2",
    )
    .bind(org)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)?;
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
        drawing: r.drawing.0,
        pets,
    }))
}

pub async fn for_customer(
    tx: &mut TenantTx,
    customer_id: Uuid,
) -> Result<Vec<PropertyRow>, AppError> {
    let org = tx.org_id();
    let rows: Vec<(Uuid, String, String, String, String, i64)> = sqlx::query_as(
        "select p.id, p.label, p.street, p.city, p.state::text,
                (select count(*) from pets x where x.org_id = p.org_id and x.property_id = p.id)
           from properties p where p.org_id = $1 and p.customer_id = $2 order by p.created_at",
    )
    .bind(org)
    .bind(customer_id)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(id, label, street, city, state, pets)| PropertyRow {
            id,
            label,
            street,
            city,
            state,
            pets,
        })
        .collect())
}

pub async fn pets(tx: &mut TenantTx, property_id: Uuid) -> Result<Vec<Pet>, AppError> {
    let org = tx.org_id();
    let rows: Vec<PetRow> = sqlx::query_as(
        "select id, name, breed, weight_lb, collar_model, battery_installed from pets
          where org_id = $1 and property_id = $2 order by created_at, id",
    )
    .bind(org)
    .bind(property_id)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
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

pub async fn add_pet(tx: &mut TenantTx, property_id: Uuid, p: &ValidPet) -> Result<Uuid, AppError> {
    let org = tx.org_id();
    let id = Uuid::new_v4();
    let r = sqlx::query(
        "insert into pets (org_id, id, property_id, name, breed, weight_lb, collar_model, battery_installed)
         select $1, $2, p.id, $4, $5, $6, $7, $8 from properties p where p.org_id = $1 and p.id = $3",
    )
    .bind(org)
    .bind(id)
    .bind(property_id)
    .bind(&p.name)
    .bind(&p.breed)
    .bind(p.weight_lb)
    .bind(&p.collar_model)
    .bind(p.battery_installed)
    .execute(tx.conn())
    .await
    .map_err(internal)?;
    if r.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(id)
}

/// Removes a pet; returns its property when it existed here.
pub async fn remove_pet(tx: &mut TenantTx, id: Uuid) -> Result<Option<Uuid>, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar("delete from pets where org_id = $1 and id = $2 returning property_id")
        .bind(org)
        .bind(id)
        .fetch_optional(tx.conn())
        .await
        .map_err(internal)
}
