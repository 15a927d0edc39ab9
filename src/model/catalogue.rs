//! The tenant's price book: unit prices and costs, spool size, flag spacing,
//! rates and the physical-fence comparison prices. Seeded with these defaults
//! at signup and edited in Settings → Price book.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::validate::FieldErrors;

/// One editable number of the price book.
pub struct CatalogueField {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub min: &'static str,
    pub max: &'static str,
    pub group: &'static str,
}

macro_rules! catalogue {
    ($( $f:ident = $default:literal, $label:literal, $unit:literal, $min:literal ..= $max:literal, $group:literal; )*) => {
        /// Every money amount is in dollars; prices are what the customer
        /// pays before the zone multiplier, costs what the installer pays.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct Catalogue {
            $(pub $f: Decimal,)*
            /// Where crews start from, for travel cost (none: no travel cost).
            pub depot_lat: Option<Decimal>,
            pub depot_lon: Option<Decimal>,
            /// The depot's ZIP code, when it was placed by its ZIP.
            pub depot_zip: Option<String>,
        }

        impl Default for Catalogue {
            fn default() -> Self {
                Catalogue {
                    $($f: Decimal::from_str_exact($default).expect("a valid default"),)*
                    depot_lat: None,
                    depot_lon: None,
                    depot_zip: None,
                }
            }
        }

        pub const CATALOGUE_FIELDS: &[CatalogueField] = &[
            $(CatalogueField { key: stringify!($f), label: $label, unit: $unit, min: $min, max: $max, group: $group },)*
        ];

        impl Catalogue {
            pub fn get(&self, key: &str) -> Option<Decimal> {
                match key {
                    $(stringify!($f) => Some(self.$f),)*
                    _ => None,
                }
            }

            fn set(&mut self, key: &str, v: Decimal) {
                match key {
                    $(stringify!($f) => self.$f = v,)*
                    _ => {}
                }
            }
        }
    };
}

catalogue! {
    spool_ft = "500", "Wire per spool", "ft", "50" ..= "5000", "Wire";
    spool_price = "89.00", "Spool price", "$", "0" ..= "10000", "Wire";
    spool_cost = "45.00", "Spool cost", "$", "0" ..= "10000", "Wire";
    slack_pct = "10", "Slack", "%", "0" ..= "100", "Wire";
    flag_spacing_ft = "10", "One flag every", "ft", "1" ..= "100", "Materials";
    flag_price = "0.35", "Flag price", "$", "0" ..= "100", "Materials";
    flag_cost = "0.12", "Flag cost", "$", "0" ..= "100", "Materials";
    splice_price = "3.50", "Splice capsule price", "$", "0" ..= "100", "Materials";
    splice_cost = "0.90", "Splice capsule cost", "$", "0" ..= "100", "Materials";
    transmitter_price = "249.00", "Transmitter price", "$", "0" ..= "10000", "Materials";
    transmitter_cost = "120.00", "Transmitter cost", "$", "0" ..= "10000", "Materials";
    collar_price = "179.00", "Receiver collar price", "$", "0" ..= "10000", "Materials";
    collar_cost = "85.00", "Receiver collar cost", "$", "0" ..= "10000", "Materials";
    surge_price = "39.00", "Surge protector price", "$", "0" ..= "10000", "Materials";
    surge_cost = "14.00", "Surge protector cost", "$", "0" ..= "10000", "Materials";
    labour_rate = "85.00", "Labour rate (billed)", "$/h", "0" ..= "1000", "Labour and travel";
    crew_cost_per_hour = "32.00", "Crew cost", "$/h", "0" ..= "1000", "Labour and travel";
    trench_ft_per_hour = "300", "Wire laid per hour", "ft/h", "10" ..= "5000", "Labour and travel";
    setup_hours = "1.50", "Set-up time per job", "h", "0" ..= "24", "Labour and travel";
    fuel_cost_per_mile = "0.67", "Fuel cost", "$/mile", "0" ..= "20", "Labour and travel";
    fuel_price = "3.20", "Fuel price (route savings)", "$/gallon", "0" ..= "20", "Labour and travel";
    fence_wood_per_ft = "32.00", "Wood privacy fence", "$/ft", "0" ..= "1000", "Physical fence comparison";
    fence_chain_link_per_ft = "18.00", "Chain link fence", "$/ft", "0" ..= "1000", "Physical fence comparison";
    fence_vinyl_per_ft = "38.00", "Vinyl fence", "$/ft", "0" ..= "1000", "Physical fence comparison";
    fence_aluminium_per_ft = "45.00", "Aluminium fence", "$/ft", "0" ..= "1000", "Physical fence comparison";
    system_life_years = "15", "Invisible fence lifetime", "years", "1" ..= "100", "Physical fence comparison";
    fence_life_years = "20", "Physical fence lifetime", "years", "1" ..= "100", "Physical fence comparison";
    default_tax_pct = "0", "Default sales tax", "%", "0" ..= "25", "Quotes";
    approval_discount_pct = "15", "Manager approval above a discount of", "%", "0" ..= "100", "Quotes";
    battery_visit_price = "25.00", "Battery visit, per collar", "$", "0" ..= "1000", "Service visits";
}

/// The price book's costs: what the installer pays, which only roles that
/// see costs may read (`Role::sees_costs`).
pub const COST_FIELDS: [&str; 8] = [
    "spool_cost",
    "flag_cost",
    "splice_cost",
    "transmitter_cost",
    "collar_cost",
    "surge_cost",
    "crew_cost_per_hour",
    "fuel_cost_per_mile",
];

impl Catalogue {
    /// The price book with every cost zeroed and the depot removed: what a
    /// crew member or a viewer is sent (prices only).
    pub fn without_costs(&self) -> Catalogue {
        let mut c = self.clone();
        for key in COST_FIELDS {
            c.set(key, Decimal::ZERO);
        }
        c.depot_lat = None;
        c.depot_lon = None;
        c.depot_zip = None;
        c
    }

    /// The depot as a (lat, lon) point, when one is set.
    pub fn depot(&self) -> Option<(f64, f64)> {
        use rust_decimal::prelude::ToPrimitive;
        let (lat, lon) = self.depot_lat.zip(self.depot_lon)?;
        Some((lat.to_f64()?, lon.to_f64()?))
    }

    /// Whether travel can be costed (a depot is set).
    pub fn has_depot(&self) -> bool {
        self.depot_lat.is_some() && self.depot_lon.is_some()
    }

    /// The form's values, as text.
    pub fn to_form(&self) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = CATALOGUE_FIELDS
            .iter()
            .map(|f| {
                (
                    f.key.to_string(),
                    self.get(f.key).unwrap_or_default().to_string(),
                )
            })
            .collect();
        m.insert(
            "depot_lat".into(),
            self.depot_lat.map(|d| d.to_string()).unwrap_or_default(),
        );
        m.insert(
            "depot_lon".into(),
            self.depot_lon.map(|d| d.to_string()).unwrap_or_default(),
        );
        m.insert(
            "depot_zip".into(),
            self.depot_zip.clone().unwrap_or_default(),
        );
        m
    }

    /// Reads the price-book form: every field a number in its range with at
    /// most 3 decimal places; the depot is both coordinates or neither.
    pub fn from_form(form: &BTreeMap<String, String>) -> Result<Catalogue, FieldErrors> {
        let mut c = Catalogue::default();
        let mut e = FieldErrors::default();
        for f in CATALOGUE_FIELDS {
            let raw = form.get(f.key).map(|s| s.trim()).unwrap_or("");
            match parse_in_range(raw, f.label, f.min, f.max) {
                Ok(v) => c.set(f.key, v),
                Err(m) => e.add(f.key, m),
            }
        }
        let lat = form.get("depot_lat").map(|s| s.trim()).unwrap_or("");
        let lon = form.get("depot_lon").map(|s| s.trim()).unwrap_or("");
        let zip = form.get("depot_zip").map(|s| s.trim()).unwrap_or("");
        if !zip.is_empty() {
            c.depot_zip = e.check("depot_zip", crate::model::zip(zip));
        }
        match (lat.is_empty(), lon.is_empty()) {
            // No coordinates: the server places the depot at its ZIP code's
            // centre, if one is given (see `place_depot`).
            (true, true) => {}
            (false, false) => {
                c.depot_lat = e.check("depot_lat", parse_coordinate(lat, "Depot latitude", 90));
                c.depot_lon = e.check("depot_lon", parse_coordinate(lon, "Depot longitude", 180));
            }
            _ => e.add(
                "depot_lat",
                "Enter both the depot's latitude and longitude, or neither.",
            ),
        }
        e.finish(|| c)
    }
}

/// A latitude or longitude as a map gives it (up to 6 decimal places, about
/// 10 cm), within ±`limit` degrees.
pub fn parse_coordinate(raw: &str, label: &str, limit: i64) -> Result<Decimal, String> {
    let v: Decimal = raw
        .trim()
        .parse()
        .map_err(|_| format!("{label} must be a number of degrees, like 30.2672."))?;
    if v.scale() > 6 {
        return Err(format!("{label} can have at most 6 decimal places."));
    }
    if v.abs() > Decimal::from(limit) {
        return Err(format!("{label} must be between -{limit} and {limit}."));
    }
    Ok(v.normalize())
}

/// A decimal number typed into a form, between `min` and `max`.
pub fn parse_in_range(raw: &str, label: &str, min: &str, max: &str) -> Result<Decimal, String> {
    parse_with_places(raw, label, min, max, 3)
}

/// The same with up to `places` decimal places (coordinates take six: a
/// tenth of a metre).
pub fn parse_with_places(
    raw: &str,
    label: &str,
    min: &str,
    max: &str,
    places: u32,
) -> Result<Decimal, String> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    if cleaned.is_empty() {
        return Err(format!("{label} is required."));
    }
    let v: Decimal = cleaned
        .parse()
        .map_err(|_| format!("{label} must be a number, like 12.50."))?;
    if v.normalize().scale() > places {
        return Err(format!("{label} can have at most {places} decimal places."));
    }
    let (lo, hi): (Decimal, Decimal) = (
        min.parse().expect("a valid bound"),
        max.parse().expect("a valid bound"),
    );
    if v < lo || v > hi {
        return Err(format!("{label} must be between {lo} and {hi}."));
    }
    Ok(v.normalize())
}

#[cfg(test)]
mod cost_tests {
    use super::*;

    #[test]
    fn every_cost_field_is_listed_and_hidden() {
        for f in CATALOGUE_FIELDS {
            if f.key.contains("cost") {
                assert!(COST_FIELDS.contains(&f.key), "{} is a cost", f.key);
            }
        }
        let c = Catalogue {
            depot_lat: Some(Decimal::ONE),
            ..Default::default()
        }
        .without_costs();
        for key in COST_FIELDS {
            assert_eq!(c.get(key), Some(Decimal::ZERO), "{key}");
        }
        assert_eq!(c.depot_lat, None);
        assert_eq!(
            c.spool_price,
            Catalogue::default().spool_price,
            "prices stay"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_round_trip_through_the_form() {
        let c = Catalogue::default();
        assert_eq!(Catalogue::from_form(&c.to_form()).unwrap(), {
            let mut n = c.clone();
            for f in CATALOGUE_FIELDS {
                n.set(f.key, n.get(f.key).unwrap().normalize());
            }
            n
        });
    }

    #[test]
    fn bad_numbers_are_named_field_by_field() {
        let mut form = Catalogue::default().to_form();
        form.insert("spool_price".into(), "cheap".into());
        form.insert("flag_spacing_ft".into(), "0".into());
        form.insert("labour_rate".into(), "$1,250".into());
        form.insert("depot_lat".into(), "30.2".into());
        let e = Catalogue::from_form(&form).unwrap_err();
        assert!(e.get("spool_price").unwrap().contains("must be a number"));
        assert!(e
            .get("flag_spacing_ft")
            .unwrap()
            .contains("between 1 and 100"));
        assert!(e.get("labour_rate").unwrap().contains("between 0 and 1000"));
        assert!(e.get("depot_lat").unwrap().contains("both"));
    }

    #[test]
    fn a_depot_takes_coordinates_as_maps_give_them() {
        // Issue 9: "30.2672" was refused ("at most 3 decimal places").
        let mut form = Catalogue::default().to_form();
        form.insert("depot_lat".into(), "30.2672".into());
        form.insert("depot_lon".into(), "-97.743061".into());
        let c = Catalogue::from_form(&form).unwrap();
        assert_eq!(c.depot_lat, Some("30.2672".parse().unwrap()));
        assert_eq!(c.depot_lon, Some("-97.743061".parse().unwrap()));
        assert!(c.has_depot());
        form.insert("depot_lat".into(), "91".into());
        form.insert("depot_lon".into(), "-97.1234567".into());
        let e = Catalogue::from_form(&form).unwrap_err();
        assert!(e.get("depot_lat").unwrap().contains("between -90 and 90"));
        assert!(e.get("depot_lon").unwrap().contains("6 decimal places"));
        // Neither coordinate: a ZIP code to place it by, checked here.
        form.insert("depot_lat".into(), String::new());
        form.insert("depot_lon".into(), String::new());
        form.insert("depot_zip".into(), "787".into());
        let e = Catalogue::from_form(&form).unwrap_err();
        assert!(e.get("depot_zip").is_some());
        form.insert("depot_zip".into(), "78701".into());
        let c = Catalogue::from_form(&form).unwrap();
        assert_eq!(c.depot_zip.as_deref(), Some("78701"));
        assert!(!c.has_depot(), "placed by the server");
    }

    #[test]
    fn an_old_stored_catalogue_gains_new_fields_from_the_defaults() {
        let c: Catalogue = serde_json::from_str(r#"{"spool_price":"99.5"}"#).unwrap();
        assert_eq!(c.spool_price, "99.5".parse().unwrap());
        assert_eq!(c.spool_ft, Decimal::from(500));
    }
}
