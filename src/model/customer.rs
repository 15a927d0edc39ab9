//! Customers: the form, its rules, and what lists and pages show.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::states::state_code;
use super::validate::*;

/// The customer form, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct CustomerForm {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub notes: String,
}

/// A customer form that passed every rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCustomer {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub notes: String,
}

impl CustomerForm {
    pub fn validate(&self) -> Result<ValidCustomer, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.check("name", required_text(&self.name, "Name", 120));
        let email = e.check("email", optional_email(&self.email));
        let phone = e.check("phone", optional_phone(&self.phone));
        let street = e.check("street", required_text(&self.street, "Street address", 200));
        let city = e.check("city", required_text(&self.city, "City", 100));
        let state = e.check("state", state_code(&self.state));
        let zip = e.check("zip", zip(&self.zip));
        let notes = e.check("notes", optional_text(&self.notes, "Notes", 2000));
        e.finish(|| ValidCustomer {
            name: name.unwrap_or_default(),
            email: email.flatten(),
            phone: phone.flatten(),
            street: street.unwrap_or_default(),
            city: city.unwrap_or_default(),
            state: state.unwrap_or_default(),
            zip: zip.unwrap_or_default(),
            notes: notes.unwrap_or_default(),
        })
    }
}

/// A customer as shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub notes: String,
    pub archived: bool,
    /// Appointment reminders go to this customer (they or the office can
    /// turn them off).
    pub reminders: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Customer {
    pub fn to_form(&self) -> CustomerForm {
        CustomerForm {
            name: self.name.clone(),
            email: self.email.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
            street: self.street.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
            notes: self.notes.clone(),
        }
    }
}

/// One page of the customer list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerPage {
    pub rows: Vec<Customer>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl CustomerPage {
    pub fn pages(&self) -> u32 {
        (self.total.max(0) as u32)
            .div_ceil(self.per_page.max(1))
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> CustomerForm {
        CustomerForm {
            name: "Dana Reyes".into(),
            email: "Dana@Example.com".into(),
            phone: "512 555 0100".into(),
            street: "12 Oak St".into(),
            city: "Austin".into(),
            state: "tx".into(),
            zip: "78701".into(),
            notes: String::new(),
        }
    }

    #[test]
    fn a_good_customer_is_normalised() {
        let v = good().validate().unwrap();
        assert_eq!(v.email.as_deref(), Some("dana@example.com"));
        assert_eq!(v.phone.as_deref(), Some("(512) 555-0100"));
        assert_eq!(v.state, "TX");
    }

    #[test]
    fn a_customer_without_an_address_is_rejected_field_by_field() {
        let form = CustomerForm {
            name: "X".into(),
            ..Default::default()
        };
        let e = form.validate().unwrap_err();
        assert!(e.get("street").is_some());
        assert!(e.get("city").is_some());
        assert!(e.get("state").is_some());
        assert!(e.get("zip").is_some());
        assert!(e.get("name").is_none());
    }
}
