//! The customer form's fields, shared by create, edit and the wizard.

use leptos::prelude::*;

use crate::app::components::{state_options, Field, SelectField, TextArea};
use crate::error::AppError;
use crate::model::CustomerForm;

#[component]
pub fn CustomerFields(form: CustomerForm, errors: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <Field
            label="Name"
            name="form[name]"
            key="name"
            value=form.name
            errors
            required=true
            autocomplete="name"
            check=|v| crate::model::required_text(v, "Name", 120).err()
        />
        <div class="row2">
            <Field
                label="Email"
                name="form[email]"
                key="email"
                kind="email"
                value=form.email
                errors
                autocomplete="email"
                check=|v| crate::model::optional_email(v).err()
            />
            <Field
                label="Phone"
                name="form[phone]"
                key="phone"
                kind="tel"
                value=form.phone
                errors
                autocomplete="tel"
                placeholder="(555) 123-4567"
                check=|v| crate::model::optional_phone(v).err()
            />
        </div>
        <Field
            label="Street address"
            name="form[street]"
            key="street"
            value=form.street
            errors
            required=true
            autocomplete="street-address"
            check=|v| crate::model::required_text(v, "Street address", 200).err()
        />
        <div class="row3">
            <Field
                label="City"
                name="form[city]"
                key="city"
                value=form.city
                errors
                required=true
                autocomplete="address-level2"
                check=|v| crate::model::required_text(v, "City", 100).err()
            />
            <SelectField
                label="State"
                name="form[state]"
                key="state"
                value=form.state
                errors
                required=true
                options=state_options()
                placeholder="Choose…"
            />
            <Field
                label="ZIP code"
                name="form[zip]"
                key="zip"
                value=form.zip
                errors
                required=true
                autocomplete="postal-code"
                check=|v| crate::model::zip(v).err()
            />
        </div>
        <TextArea label="Notes" name="form[notes]" key="notes" value=form.notes errors />
    }
}
