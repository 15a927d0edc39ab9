//! Properties: add (from a customer), view with pets and the boundary
//! designer, edit.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::properties::{
    customer_properties, get_property, save_drawing, AddPet, CreateProperty, RemovePet,
    UpdateProperty,
};
use crate::api::quotes::CreateQuote;
use crate::app::components::{
    action_error, loaded, state_options, successes, Designer, Empty, Field, FormError, SelectField,
    TextArea,
};
use crate::app::{On, SiteGate};
use crate::error::AppError;
use crate::model::pricing::money;
use crate::model::{PetForm, PropertyForm, PropertyRow};

pub fn use_id(key: &'static str) -> Memo<Option<Uuid>> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get(key)
            .and_then(|s| Uuid::parse_str(&s).ok())
    })
}

#[component]
fn PropertyFields(form: PropertyForm, errors: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <Field
            label="Label"
            name="form[label]"
            key="label"
            value=form.label
            errors
            placeholder="e.g. Lake house"
            hint="Optional: tells several properties of one customer apart."
        />
        <Field
            label="Street address"
            name="form[street]"
            key="street"
            value=form.street
            errors
            required=true
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
                hint="Sets the pricing zone."
            />
            <Field
                label="ZIP code"
                name="form[zip]"
                key="zip"
                value=form.zip
                errors
                required=true
                check=|v| crate::model::zip(v).err()
            />
        </div>
        <div class="row3">
            <Field
                label="Latitude"
                name="form[lat]"
                key="lat"
                value=form.lat
                errors
                placeholder="from the ZIP code"
                hint="Leave blank to use the ZIP code's centre."
            />
            <Field
                label="Longitude"
                name="form[lon]"
                key="lon"
                value=form.lon
                errors
                placeholder="from the ZIP code"
            />
            <Field
                label="Lot size (sq ft)"
                name="form[lot_sqft]"
                key="lot_sqft"
                value=form.lot_sqft
                errors
                placeholder="e.g. 21780"
                hint="Half an acre is 21,780 sq ft."
            />
        </div>
        <TextArea label="Notes" name="form[notes]" key="notes" value=form.notes errors />
        <TextArea
            label="Gate and access notes"
            name="form[gate_notes]"
            key="gate_notes"
            value=form.gate_notes
            errors
        />
    }
}

/// The properties of a customer, for its page. The page creates this with
/// its own resources, before any `Suspense`: a resource first created inside
/// another one's `Suspend` is numbered differently on the server and in the
/// browser, and the page then failed to hydrate (issue 9).
pub fn customer_properties_resource(
    customer_id: Memo<Option<Uuid>>,
) -> Resource<Result<Vec<PropertyRow>, AppError>> {
    Resource::new(
        move || customer_id.get(),
        |id| async move {
            match id {
                Some(id) => customer_properties(id).await,
                None => Err(AppError::NotFound),
            }
        },
    )
}

/// The properties section of a customer's page.
#[component]
pub fn CustomerProperties(
    customer_id: Uuid,
    rows: Resource<Result<Vec<PropertyRow>, AppError>>,
) -> impl IntoView {
    view! {
        <section class="card">
            <div class="section-head">
                <h2>"Properties"</h2>
                <A
                    href=format!("/customers/{customer_id}/properties/new")
                    attr:class="button small"
                >
                    "Add property"
                </A>
            </div>
            {loaded(
                rows,
                move |v| match v {
                    r if r.is_empty() => {
                        view! {
                            <p class="muted">
                                "No property yet. Add the address where the fence goes to draw its boundary and quote it."
                            </p>
                        }
                            .into_any()
                    }
                    r => {
                        view! {
                            <ul class="plain-list">
                                {r
                                    .into_iter()
                                    .map(|p| {
                                        view! {
                                            <li>
                                                <A href=format!(
                                                    "/properties/{}",
                                                    p.id,
                                                )>{p.street.clone()}</A>
                                                {(!p.label.is_empty()).then(|| format!(" ({})", p.label))}
                                                <span class="muted">
                                                    {format!(
                                                        " · {}, {} · {} pet{}",
                                                        p.city,
                                                        p.state,
                                                        p.pets,
                                                        if p.pets == 1 { "" } else { "s" },
                                                    )}
                                                </span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                },
            )}
        </section>
    }
}

#[component]
pub fn NewPropertyPage() -> impl IntoView {
    let customer = use_id("id");
    let action = ServerAction::<CreateProperty>::new();
    let errors = action_error(move || action.value().get());
    // A new property starts from its customer's address (most fences go
    // round the house the customer lives in).
    let owner = Resource::new(
        move || customer.get(),
        |id| async move {
            match id {
                Some(id) => crate::api::customers::get_customer(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Add property" />
        <SiteGate on=On::Tenant>
            {loaded(
                owner,
                move |c| {
                    let cid = c.id;
                    let form = PropertyForm {
                        street: c.street.clone(),
                        city: c.city.clone(),
                        state: c.state.clone(),
                        zip: c.zip.clone(),
                        ..Default::default()
                    };
                    view! {
                        <section class="card form-card">
                            <h1>{format!("Add a property for {}", c.name)}</h1>
                            <p class="muted">
                                "It starts from the customer's address; change it if the fence goes elsewhere."
                            </p>
                            <ActionForm action=action attr:class="stack">
                                <FormError errors />
                                <input type="hidden" name="customer_id" value=cid.to_string() />
                                <PropertyFields form errors />
                                <div class="actions">
                                    <button type="submit" disabled=move || action.pending().get()>
                                        "Add property"
                                    </button>
                                    <A
                                        href=format!("/customers/{cid}")
                                        attr:class="button secondary"
                                    >
                                        "Cancel"
                                    </A>
                                </div>
                            </ActionForm>
                        </section>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

#[component]
pub fn EditPropertyPage() -> impl IntoView {
    let id = use_id("id");
    let page = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_property(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let action = ServerAction::<UpdateProperty>::new();
    let errors = action_error(move || action.value().get());
    view! {
        <Title text="Edit property" />
        <SiteGate on=On::Tenant>
            {loaded(
                page,
                move |p| {
                    view! {
                        <section class="card form-card">
                            <h1>{format!("Edit {}", p.property.street)}</h1>
                            <ActionForm action=action attr:class="stack">
                                <FormError errors />
                                <input type="hidden" name="id" value=p.property.id.to_string() />
                                <PropertyFields form=p.property.to_form() errors />
                                <div class="actions">
                                    <button type="submit" disabled=move || action.pending().get()>
                                        "Save changes"
                                    </button>
                                    <A
                                        href=format!("/properties/{}", p.property.id)
                                        attr:class="button secondary"
                                    >
                                        "Cancel"
                                    </A>
                                </div>
                            </ActionForm>
                        </section>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

#[component]
pub fn PropertyPage() -> impl IntoView {
    let id = use_id("id");
    let add_pet = ServerAction::<AddPet>::new();
    let add_pet_done = successes(move || add_pet.value().get());
    let remove_pet = ServerAction::<RemovePet>::new();
    let remove_pet_done = successes(move || remove_pet.value().get());
    let new_quote = ServerAction::<CreateQuote>::new();
    let pet_errors = action_error(move || add_pet.value().get());
    // After a pet is added, empty the form and fold it away (the page's
    // re-render keeps the inputs, and with them what was typed).
    let pet_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(add_pet.value().get(), Some(Ok(_))) {
            if let Some(form) = pet_form.get_untracked() {
                form.reset();
                if let Some(details) = form.parent_element() {
                    let _ = details.remove_attribute("open");
                }
            }
        }
    });
    let quote_errors = action_error(move || new_quote.value().get());
    let page = Resource::new(
        move || (id.get(), add_pet_done.get(), remove_pet_done.get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_property(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <SiteGate on=On::Tenant>
            {loaded(
                page,
                move |pg| {
                    let p = pg.property.clone();
                    let title = p.title();
                    let customer_name = p.customer_name.clone();
                    let pet_list = p.pets.clone();
                    let drawing = RwSignal::new(p.drawing.clone());
                    let saved = RwSignal::new(None::<Result<(), AppError>>);
                    let saving = RwSignal::new(false);
                    let pid = p.id;
                    let pin = RwSignal::new(p.location());
                    let saved_location = p.location();
                    let on_pin = Callback::new(move |(east, south): (f64, f64)| {
                        pin.update(|l| {
                            if let Some((lat, lon)) = l {
                                *l = Some(
                                    crate::model::takeoff::offset_location(
                                        (*lat, *lon),
                                        east,
                                        south,
                                    ),
                                );
                            }
                        })
                    });
                    let save = move |_| {
                        saving.set(true);
                        let json = serde_json::to_string(&drawing.get_untracked())
                            .unwrap_or_default();
                        let moved = pin
                            .get_untracked()
                            .filter(|_| pin.get_untracked() != saved_location);
                        leptos::task::spawn_local(async move {
                            let r = save_drawing(pid, json, moved.map(|l| l.0), moved.map(|l| l.1))
                                .await;
                            saving.set(false);
                            saved.set(Some(r));
                        });
                    };
                    let catalogue = StoredValue::new(pg.catalogue.clone());
                    let pets = p.pets.len() as u32;
                    let multiplier = pg.multiplier;
                    let source = pg.multiplier_source;
                    let location = p.location();
                    let lot = p.lot_sqft;
                    let estimate = move || {
                        crate::model::pricing::price_drawing(
                            &catalogue.get_value(),
                            (multiplier, source),
                            &drawing.get(),
                            lot,
                            pets,
                            &Default::default(),
                            location,
                        )
                    };
                    let map = pg.map_tiles.clone().zip(location).map(|(t, (a, b))| (t, a, b));
                    // The pin, moved with the designer's "Move pin" tool.
                    view! {
                        <Title text=title.clone() />
                        <nav class="crumbs">
                            <A href="/customers">"Customers"</A>
                            " / "
                            <A href=format!("/customers/{}", p.customer_id)>{customer_name}</A>
                            " / "
                        </nav>
                        <div class="page-head">
                            <h1>{title}</h1>
                            <div class="actions">
                                {pg
                                    .can_edit
                                    .then(|| {
                                        view! {
                                            <A
                                                href=format!("/properties/{}/edit", p.id)
                                                attr:class="button secondary"
                                            >
                                                "Edit property"
                                            </A>
                                            <ActionForm action=new_quote attr:class="inline">
                                                <input
                                                    type="hidden"
                                                    name="property_id"
                                                    value=p.id.to_string()
                                                />
                                                <button type="submit">"New quote"</button>
                                            </ActionForm>
                                        }
                                    })}
                            </div>
                        </div>
                        <FormError errors=quote_errors />
                        <div class="grid2">
                            <section class="card details">
                                <dl>
                                    <dt>"Address"</dt>
                                    <dd>
                                        {p.street.clone()}<br />
                                        {format!("{}, {} {}", p.city, p.state, p.zip)}
                                    </dd>
                                    <dt>"Pricing zone"</dt>
                                    <dd>
                                        {format!(
                                            "{} · × {} ({})",
                                            pg.zone_name.clone().unwrap_or_else(|| "none".into()),
                                            pg.multiplier,
                                            pg.multiplier_source.describe(),
                                        )}
                                    </dd>
                                    <dt>"Location"</dt>
                                    <dd data-testid="location">
                                        {move || {
                                            pin.get()
                                                .map(|(a, b)| format!("{a:.5}, {b:.5}"))
                                                .unwrap_or_else(|| "—".into())
                                        }}
                                    </dd>
                                    <dt>"Lot size"</dt>
                                    <dd>
                                        {p
                                            .lot_sqft
                                            .map(|l| format!("{l} sq ft"))
                                            .unwrap_or_else(|| "—".into())}
                                    </dd>
                                    <dt>"Notes"</dt>
                                    <dd class="pre">{or_dash(&p.notes)}</dd>
                                    <dt>"Gate and access"</dt>
                                    <dd class="pre">{or_dash(&p.gate_notes)}</dd>
                                </dl>
                            </section>
                            <section class="card">
                                <h2>"Pets"</h2>
                                {if p.pets.is_empty() {
                                    view! {
                                        <p class="muted">
                                            "No pets yet. Each pet needs a receiver collar."
                                        </p>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <ul class="plain-list pets">
                                            {pet_list
                                                .into_iter()
                                                .map(|pet| {
                                                    let due = pet.battery_due();
                                                    view! {
                                                        <li>
                                                            <strong>{pet.name.clone()}</strong>
                                                            " "
                                                            <span class="muted">
                                                                {[
                                                                    pet.breed.clone(),
                                                                    pet
                                                                        .weight_lb
                                                                        .map(|w| format!("{w} lb"))
                                                                        .unwrap_or_default(),
                                                                    pet.collar_model.clone(),
                                                                ]
                                                                    .into_iter()
                                                                    .filter(|s| !s.is_empty())
                                                                    .collect::<Vec<_>>()
                                                                    .join(" · ")}
                                                            </span>
                                                            {due
                                                                .map(|d| {
                                                                    view! {
                                                                        <span class="muted">
                                                                            {format!(" · battery due {}", crate::app::show_date(d))}
                                                                        </span>
                                                                    }
                                                                })}
                                                            {pg
                                                                .can_edit
                                                                .then(|| {
                                                                    view! {
                                                                        <ActionForm action=remove_pet attr:class="inline">
                                                                            <input type="hidden" name="id" value=pet.id.to_string() />
                                                                            <button type="submit" class="link">
                                                                                "Remove"
                                                                            </button>
                                                                        </ActionForm>
                                                                    }
                                                                })}
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    }
                                        .into_any()
                                }}
                                {pg
                                    .can_edit
                                    .then(|| {
                                        view! {
                                            <details class="add-pet">
                                                <summary>"Add a pet"</summary>
                                                <ActionForm
                                                    action=add_pet
                                                    node_ref=pet_form
                                                    attr:class="stack"
                                                >
                                                    <FormError errors=pet_errors />
                                                    <input
                                                        type="hidden"
                                                        name="property_id"
                                                        value=p.id.to_string()
                                                    />
                                                    <div class="row2">
                                                        <Field
                                                            label="Name"
                                                            name="pet[name]"
                                                            key="pet_name"
                                                            errors=pet_errors
                                                            required=true
                                                            value=PetForm::default().name
                                                        />
                                                        <Field
                                                            label="Breed"
                                                            name="pet[breed]"
                                                            key="breed"
                                                            errors=pet_errors
                                                        />
                                                    </div>
                                                    <div class="row3">
                                                        <Field
                                                            label="Weight (lb)"
                                                            name="pet[weight_lb]"
                                                            key="weight_lb"
                                                            errors=pet_errors
                                                        />
                                                        <Field
                                                            label="Collar model"
                                                            name="pet[collar_model]"
                                                            key="collar_model"
                                                            errors=pet_errors
                                                        />
                                                        <Field
                                                            label="Battery installed"
                                                            name="pet[battery_installed]"
                                                            key="battery_installed"
                                                            kind="date"
                                                            errors=pet_errors
                                                        />
                                                    </div>
                                                    <button type="submit">"Add pet"</button>
                                                </ActionForm>
                                            </details>
                                        }
                                    })}
                            </section>
                        </div>
                        <section class="card">
                            <div class="section-head">
                                <h2>"Boundary"</h2>
                                {pg
                                    .can_edit
                                    .then(|| {
                                        view! {
                                            <button
                                                type="button"
                                                on:click=save
                                                disabled=move || saving.get()
                                            >
                                                "Save boundary"
                                            </button>
                                        }
                                    })}
                            </div>
                            {move || {
                                saved
                                    .get()
                                    .map(|r| match r {
                                        Ok(()) => {
                                            view! {
                                                <div class="banner banner-ok" role="status">
                                                    "Boundary saved."
                                                </div>
                                            }
                                                .into_any()
                                        }
                                        Err(e) => {
                                            view! {
                                                <div class="banner banner-error" role="alert">
                                                    {e
                                                        .fields()
                                                        .and_then(|f| f.get("drawing").map(str::to_string))
                                                        .unwrap_or_else(|| e.to_string())}
                                                </div>
                                            }
                                                .into_any()
                                        }
                                    })
                            }}
                            <Designer
                                drawing
                                editable=pg.can_edit
                                map=map
                                on_pin=(pg.can_edit && p.location().is_some()).then_some(on_pin)
                            />
                            <div class="takeoff-line" data-testid="estimate">
                                {move || {
                                    let (t, pr) = estimate();
                                    format!(
                                        "Wire {} ft ({}) · {} · {} h labour · estimate {} before discounts and tax",
                                        t.wire_ft,
                                        crate::model::count(t.spools, "spool", "spools"),
                                        crate::model::count(t.flags, "flag", "flags"),
                                        t.labour_hours,
                                        money(pr.total),
                                    )
                                }}
                            </div>
                        </section>
                        <section class="card">
                            <h2>"Quotes"</h2>
                            {if pg.quotes.is_empty() {
                                view! {
                                    <Empty title="No quotes yet">
                                        <p>"Draw the boundary, then create a quote."</p>
                                    </Empty>
                                }
                                    .into_any()
                            } else {
                                view! {
                                    <table class="list">
                                        <thead>
                                            <tr>
                                                <th>"Quote"</th>
                                                <th>"Status"</th>
                                                <th class="num">"Total"</th>
                                                <th>"Updated"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {pg
                                                .quotes
                                                .iter()
                                                .map(|q| {
                                                    view! {
                                                        <tr>
                                                            <td>
                                                                <A href=format!(
                                                                    "/quotes/{}",
                                                                    q.id,
                                                                )>{format!("Q-{} v{}", q.number, q.version)}</A>
                                                            </td>
                                                            <td>
                                                                <span class=format!(
                                                                    "pill {}",
                                                                    q.status.code(),
                                                                )>{q.status.label()}</span>
                                                            </td>
                                                            <td class="num">{money(q.total)}</td>
                                                            <td>{crate::app::local_date(q.updated_at)}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                }
                                    .into_any()
                            }}
                        </section>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

/// The text, or a dash for none.
fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "—".to_string()
    } else {
        s.to_string()
    }
}
