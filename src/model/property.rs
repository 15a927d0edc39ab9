//! Properties (where the fence goes) and the pets it contains.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::catalogue::{parse_in_range, parse_with_places};
use super::states::state_code;
use super::takeoff::Drawing;
use super::validate::*;

/// The property form, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PropertyForm {
    pub label: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// Blank: take the ZIP code's centre.
    pub lat: String,
    pub lon: String,
    /// Square feet.
    pub lot_sqft: String,
    pub notes: String,
    /// Read at the gate: gate code, where to park, a dog loose in the yard.
    pub gate_notes: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidProperty {
    pub label: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub location: Option<(f64, f64)>,
    pub lot_sqft: Option<i32>,
    pub notes: String,
    pub gate_notes: String,
}

impl PropertyForm {
    pub fn validate(&self) -> Result<ValidProperty, FieldErrors> {
        let mut e = FieldErrors::default();
        let label = e.check("label", optional_text(&self.label, "Label", 80));
        let street = e.check("street", required_text(&self.street, "Street address", 200));
        let city = e.check("city", required_text(&self.city, "City", 100));
        let state = e.check("state", state_code(&self.state));
        let zip = e.check("zip", zip(&self.zip));
        let location = match (self.lat.trim().is_empty(), self.lon.trim().is_empty()) {
            (true, true) => Some(None),
            (false, false) => {
                let lat = e.check(
                    "lat",
                    parse_with_places(&self.lat, "Latitude", "-90", "90", 6),
                );
                let lon = e.check(
                    "lon",
                    parse_with_places(&self.lon, "Longitude", "-180", "180", 6),
                );
                lat.zip(lon).map(|(a, b)| {
                    use rust_decimal::prelude::ToPrimitive;
                    Some((a.to_f64().unwrap_or(0.0), b.to_f64().unwrap_or(0.0)))
                })
            }
            _ => {
                e.add("lat", "Enter both latitude and longitude, or leave both blank to use the ZIP code's centre.");
                None
            }
        };
        let lot = if self.lot_sqft.trim().is_empty() {
            Some(None)
        } else {
            e.check(
                "lot_sqft",
                parse_in_range(&self.lot_sqft, "Lot size", "100", "100000000").map(|d| {
                    use rust_decimal::prelude::ToPrimitive;
                    d.round().to_i32()
                }),
            )
        };
        let notes = e.check("notes", optional_text(&self.notes, "Notes", 2000));
        let gate_notes = e.check(
            "gate_notes",
            optional_text(&self.gate_notes, "Gate and access notes", 500),
        );
        e.finish(|| ValidProperty {
            label: label.unwrap_or_default(),
            street: street.unwrap_or_default(),
            city: city.unwrap_or_default(),
            state: state.unwrap_or_default(),
            zip: zip.unwrap_or_default(),
            location: location.flatten(),
            lot_sqft: lot.flatten(),
            notes: notes.unwrap_or_default(),
            gate_notes: gate_notes.unwrap_or_default(),
        })
    }
}

/// A property as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Property {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub label: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub lot_sqft: Option<i32>,
    pub notes: String,
    pub gate_notes: String,
    pub drawing: Drawing,
    pub pets: Vec<Pet>,
}

impl Property {
    pub fn to_form(&self) -> PropertyForm {
        PropertyForm {
            label: self.label.clone(),
            street: self.street.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
            lat: self.lat.map(|v| format!("{v:.6}")).unwrap_or_default(),
            lon: self.lon.map(|v| format!("{v:.6}")).unwrap_or_default(),
            lot_sqft: self.lot_sqft.map(|v| v.to_string()).unwrap_or_default(),
            notes: self.notes.clone(),
            gate_notes: self.gate_notes.clone(),
        }
    }

    pub fn title(&self) -> String {
        if self.label.is_empty() {
            self.street.clone()
        } else {
            format!("{} ({})", self.street, self.label)
        }
    }

    pub fn location(&self) -> Option<(f64, f64)> {
        self.lat.zip(self.lon)
    }
}

/// A short row for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyRow {
    pub id: Uuid,
    pub label: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub pets: i64,
}

/// The pet form, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PetForm {
    pub name: String,
    pub breed: String,
    /// Pounds.
    pub weight_lb: String,
    pub collar_model: String,
    /// YYYY-MM-DD.
    pub battery_installed: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidPet {
    pub name: String,
    pub breed: String,
    pub weight_lb: Option<rust_decimal::Decimal>,
    pub collar_model: String,
    pub battery_installed: Option<chrono::NaiveDate>,
}

impl PetForm {
    pub fn validate(&self) -> Result<ValidPet, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.check("pet_name", required_text(&self.name, "Pet's name", 60));
        let breed = e.check("breed", optional_text(&self.breed, "Breed", 80));
        let weight = if self.weight_lb.trim().is_empty() {
            Some(None)
        } else {
            e.check(
                "weight_lb",
                parse_in_range(&self.weight_lb, "Weight", "1", "300").map(Some),
            )
        };
        let collar = e.check(
            "collar_model",
            optional_text(&self.collar_model, "Collar model", 80),
        );
        let battery = if self.battery_installed.trim().is_empty() {
            Some(None)
        } else {
            e.check(
                "battery_installed",
                chrono::NaiveDate::parse_from_str(self.battery_installed.trim(), "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| "Enter the battery date as YYYY-MM-DD.".to_string()),
            )
        };
        e.finish(|| ValidPet {
            name: name.unwrap_or_default(),
            breed: breed.unwrap_or_default(),
            weight_lb: weight.flatten(),
            collar_model: collar.unwrap_or_default(),
            battery_installed: battery.flatten(),
        })
    }
}

/// A pet as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pet {
    pub id: Uuid,
    pub name: String,
    pub breed: String,
    pub weight_lb: Option<rust_decimal::Decimal>,
    pub collar_model: String,
    pub battery_installed: Option<chrono::NaiveDate>,
}

impl Pet {
    /// Receiver batteries last about three months.
    pub fn battery_due(&self) -> Option<chrono::NaiveDate> {
        self.battery_installed
            .and_then(|d| d.checked_add_months(chrono::Months::new(3)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_property_needs_both_coordinates_or_neither() {
        let mut f = PropertyForm {
            street: "1 Elm".into(),
            city: "Austin".into(),
            state: "TX".into(),
            zip: "78701".into(),
            ..Default::default()
        };
        assert_eq!(f.validate().unwrap().location, None);
        f.lat = "30.27".into();
        assert!(f.validate().unwrap_err().get("lat").is_some());
        f.lon = "-97.74".into();
        assert_eq!(f.validate().unwrap().location, Some((30.27, -97.74)));
        f.lot_sqft = "12,000".into();
        assert_eq!(f.validate().unwrap().lot_sqft, Some(12_000));
        f.lot_sqft = "a lot".into();
        assert!(f.validate().unwrap_err().get("lot_sqft").is_some());
    }

    #[test]
    fn a_saved_property_validates_again_as_its_edit_form_shows_it() {
        // The edit form shows coordinates to six places (the map's pin);
        // saving it unchanged used to be refused as "at most 3 decimal
        // places".
        let p = Property {
            id: Uuid::nil(),
            customer_id: Uuid::nil(),
            customer_name: "Gina".into(),
            label: String::new(),
            street: "1 Elm".into(),
            city: "Austin".into(),
            state: "TX".into(),
            zip: "78701".into(),
            lat: Some(30.2672341),
            lon: Some(-97.7431),
            lot_sqft: Some(9000),
            notes: String::new(),
            gate_notes: "Code 4410".into(),
            drawing: Drawing::default(),
            pets: vec![],
        };
        let v = p.to_form().validate().expect("valid as shown");
        assert_eq!(v.location, Some((30.267234, -97.7431)));
        assert_eq!(v.gate_notes, "Code 4410");
        let mut f = p.to_form();
        f.lat = "30.12345678".into();
        assert!(f.validate().unwrap_err().get("lat").is_some());
    }

    #[test]
    fn pets_need_a_name_and_a_real_date() {
        let e = PetForm {
            battery_installed: "31/02/2026".into(),
            weight_lb: "900".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.get("pet_name").is_some());
        assert!(e.get("battery_installed").is_some());
        assert!(e.get("weight_lb").is_some());
        let p = PetForm {
            name: "Rex".into(),
            battery_installed: "2026-11-30".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(p.battery_installed.unwrap().to_string(), "2026-11-30");
    }
}
