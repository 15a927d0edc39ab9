//! Pricing a property: the catalogue, the location multiplier and the plan's
//! approval workflow, gathered once, then the shared take-off and pricing.

use crate::error::AppError;
use crate::model::pricing::{price, MultiplierSource, Priced, ValidTerms};
use crate::model::takeoff::{take_off, typical_drawing};
use crate::model::{Catalogue, Drawing, Property, TakeOff};
use crate::server::{repo, TenantTx};
use rust_decimal::Decimal;

pub struct PricingContext {
    pub catalogue: Catalogue,
    pub multiplier: Decimal,
    pub source: MultiplierSource,
    pub zone_name: Option<String>,
}

pub async fn context(tx: &mut TenantTx, state: &str) -> Result<PricingContext, AppError> {
    let catalogue = repo::pricing::catalogue(tx).await?;
    let (multiplier, source, zone_name) = repo::pricing::multiplier_for(tx, state).await?;
    Ok(PricingContext {
        catalogue,
        multiplier,
        source,
        zone_name,
    })
}

/// The take-off and price of a drawing at a property. With nothing drawn,
/// the lot size stands in (a square boundary 10 ft inside the lot line).
pub fn compute(
    cx: &PricingContext,
    property: &Property,
    drawing: &Drawing,
    terms: &ValidTerms,
) -> (TakeOff, Priced) {
    let stand_in;
    let d = if drawing.boundary.len() < 2 {
        match property.lot_sqft {
            Some(lot) if drawing.boundary.is_empty() => {
                stand_in = typical_drawing(lot as f64);
                &stand_in
            }
            _ => drawing,
        }
    } else {
        drawing
    };
    let t = take_off(d, property.pets.len() as u32, &cx.catalogue);
    let p = price(
        &t,
        &cx.catalogue,
        (cx.multiplier, cx.source),
        terms,
        property.location(),
    );
    (t, p)
}
