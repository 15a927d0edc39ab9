//! `/reminders/:token`: the homeowner's switch for appointment reminders,
//! opened from a reminder email. One button (a link alone changes nothing,
//! so mail scanners that open links cannot turn reminders off).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::reminders::{reminder_link, SetReminders};
use crate::app::components::action_error;
use crate::app::components::{successes, ErrorBox, FormError, Loading};
use crate::app::{On, SiteGate};
use crate::error::AppError;

#[component]
pub fn RemindersPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let set = ServerAction::<SetReminders>::new();
    let done = successes(move || set.value().get());
    let errors = action_error(move || set.value().get());
    let choice = Resource::new(move || (token(), done.get()), |(t, _)| reminder_link(t));
    view! {
        <Title text="Appointment reminders" />
        <SiteGate on=On::Tenant>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match choice.await {
                        Err(AppError::NotFound) => {
                            view! {
                                <section class="narrow card" data-testid="link-invalid">
                                    <h1>"This link no longer works"</h1>
                                    <p>
                                        "Contact the company that sent it to change your reminders."
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        Ok(c) => {
                            let on = c.reminders;
                            let heading = if on {
                                "Appointment reminders are on"
                            } else {
                                "Appointment reminders are off"
                            };
                            let text = if on {
                                format!(
                                    "{} emails you the day before each visit. You can turn these reminders off; you will still hear about your quotes and bookings.",
                                    c.company_name,
                                )
                            } else {
                                format!(
                                    "{} will not send you appointment reminders. You will still hear about your quotes and bookings.",
                                    c.company_name,
                                )
                            };
                            let button = if on {
                                "Turn reminders off"
                            } else {
                                "Turn reminders back on"
                            };
                            let next = if on { "false" } else { "true" };
                            view! {
                                <section class="narrow card stack" data-testid="reminders">
                                    <h1>{heading}</h1>
                                    <p>
                                        {if c.first_name.is_empty() {
                                            String::new()
                                        } else {
                                            format!("Hello {}. ", c.first_name)
                                        }} {text}
                                    </p>
                                    <FormError errors />
                                    <ActionForm action=set attr:class="stack">
                                        <input type="hidden" name="token" value=token() />
                                        <input type="hidden" name="on" value=next />
                                        <button type="submit" class="primary">
                                            {button}
                                        </button>
                                    </ActionForm>
                                </section>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </SiteGate>
    }
}
