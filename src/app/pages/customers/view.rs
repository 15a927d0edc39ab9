//! One customer: details, edit, archive and restore.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::CustomerFields;
use crate::api::customers::{
    get_customer, SetCustomerArchived, SetCustomerReminders, UpdateCustomer,
};
use crate::app::components::{action_error, loaded, successes, FormError};
use crate::app::{On, SiteGate};
use crate::error::AppError;

fn use_customer_id() -> Memo<Option<Uuid>> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| Uuid::parse_str(&s).ok())
    })
}

async fn load(id: Option<Uuid>) -> Result<crate::model::Customer, AppError> {
    match id {
        Some(id) => get_customer(id).await,
        None => Err(AppError::NotFound),
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let id = use_customer_id();
    let archive = ServerAction::<SetCustomerArchived>::new();
    let archive_done = successes(move || archive.value().get());
    let errors = action_error(move || archive.value().get());
    let reminders = ServerAction::<SetCustomerReminders>::new();
    let reminders_done = successes(move || reminders.value().get());
    let reminder_errors = action_error(move || reminders.value().get());
    let customer = Resource::new(
        move || (id.get(), archive_done.get(), reminders_done.get()),
        |(id, _, _)| load(id),
    );
    let properties = crate::app::pages::customer_properties_resource(id);
    view! {
        <SiteGate on=On::Tenant>
            {loaded(
                customer,
                move |c| {
                    view! {
                        <Title text=c.name.clone() />
                        <nav class="crumbs">
                            <A href="/customers">"Customers"</A>
                            " / "
                        </nav>
                        <div class="page-head">
                            <h1>
                                {c.name.clone()}
                                {c
                                    .archived
                                    .then(|| {
                                        view! {
                                            " "
                                            <span class="pill suspended">"Archived"</span>
                                        }
                                    })}
                            </h1>
                            <div class="actions">
                                <A href=format!("/customers/{}/edit", c.id) attr:class="button">
                                    "Edit"
                                </A>
                                <ActionForm action=archive attr:class="inline">
                                    <input type="hidden" name="id" value=c.id.to_string() />
                                    <input
                                        type="hidden"
                                        name="archived"
                                        value=(!c.archived).to_string()
                                    />
                                    <button type="submit" class="secondary">
                                        {if c.archived { "Restore" } else { "Archive" }}
                                    </button>
                                </ActionForm>
                            </div>
                        </div>
                        <FormError errors />
                        <FormError errors=reminder_errors />
                        <section class="card details">
                            <dl>
                                <dt>"Email"</dt>
                                <dd>
                                    {c
                                        .email
                                        .clone()
                                        .map(|e| {
                                            view! { <a href=format!("mailto:{e}")>{e.clone()}</a> }
                                                .into_any()
                                        })
                                        .unwrap_or_else(|| "—".into_any())}
                                </dd>
                                <dt>"Phone"</dt>
                                <dd>
                                    {c
                                        .phone
                                        .clone()
                                        .map(|p| {
                                            view! { <a href=format!("tel:{p}")>{p.clone()}</a> }
                                                .into_any()
                                        })
                                        .unwrap_or_else(|| "—".into_any())}
                                </dd>
                                <dt>"Address"</dt>
                                <dd>
                                    {c.street.clone()}<br />
                                    {format!("{}, {} {}", c.city, c.state, c.zip)}
                                </dd>
                                <dt>"Pricing zone"</dt>
                                <dd>{crate::model::state_name(&c.state).unwrap_or("—")}</dd>
                                <dt>"Notes"</dt>
                                <dd class="pre">
                                    {if c.notes.is_empty() {
                                        "—".to_string()
                                    } else {
                                        c.notes.clone()
                                    }}
                                </dd>
                                <dt>"Reminders"</dt>
                                <dd data-testid="reminders">
                                    {if c.reminders {
                                        "Emailed the day before each visit. "
                                    } else {
                                        "Off: no appointment reminders (booking notices still go). "
                                    }} <ActionForm action=reminders attr:class="inline">
                                        <input type="hidden" name="id" value=c.id.to_string() />
                                        <input
                                            type="hidden"
                                            name="on"
                                            value=(!c.reminders).to_string()
                                        />
                                        <button type="submit" class="small secondary">
                                            {if c.reminders { "Turn off" } else { "Turn on" }}
                                        </button>
                                    </ActionForm>
                                </dd>
                                <dt>"Added"</dt>
                                <dd>{crate::app::local_date(c.created_at)}</dd>
                            </dl>
                        </section>
                        <crate::app::pages::CustomerProperties customer_id=c.id rows=properties />
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

#[component]
pub fn EditCustomerPage() -> impl IntoView {
    let id = use_customer_id();
    let customer = Resource::new(move || id.get(), load);
    let action = ServerAction::<UpdateCustomer>::new();
    let errors = action_error(move || action.value().get());
    view! {
        <Title text="Edit customer" />
        <SiteGate on=On::Tenant>
            {loaded(
                customer,
                move |c| {
                    view! {
                        <section class="card form-card">
                            <h1>{format!("Edit {}", c.name)}</h1>
                            <ActionForm action=action attr:class="stack">
                                <FormError errors />
                                <input type="hidden" name="id" value=c.id.to_string() />
                                <CustomerFields form=c.to_form() errors />
                                <div class="actions">
                                    <button type="submit" disabled=move || action.pending().get()>
                                        "Save changes"
                                    </button>
                                    <A
                                        href=format!("/customers/{}", c.id)
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
