//! Pricing a property: the catalogue, the location multiplier and the plan's
//! approval workflow, gathered once, then the shared take-off and pricing.

use crate::error::AppError;
use crate::model::pricing::{MultiplierSource, Priced, ValidTerms};
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

/// The take-off and price of a drawing at a property (shared with the
/// browser: `model::pricing::price_drawing`).
pub fn compute(
    cx: &PricingContext,
    property: &Property,
    drawing: &Drawing,
    terms: &ValidTerms,
) -> (TakeOff, Priced) {
    crate::model::pricing::price_drawing(
        &cx.catalogue,
        (cx.multiplier, cx.source),
        drawing,
        property.lot_sqft,
        property.pets.len() as u32,
        terms,
        property.location(),
    )
}
