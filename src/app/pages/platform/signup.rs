//! Signup: company, subdomain (checked live), owner, password and plan.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::signup::{check_subdomain, Signup};
use crate::app::components::{action_error, field_error, Field, FormError};
use crate::app::{On, SiteGate};
use crate::model::{suggest_subdomain, SubdomainStatus, PLANS};

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<Signup>::new();
    let errors = action_error(move || action.value().get());
    let query = use_query_map();
    let plan = StoredValue::new(
        query
            .read_untracked()
            .get("plan")
            .unwrap_or_else(|| "growth".into()),
    );
    let subdomain = RwSignal::new(String::new());
    let sub_edited = RwSignal::new(false);
    let check = Resource::new(
        move || subdomain.get(),
        |s| async move {
            if s.is_empty() {
                None
            } else {
                check_subdomain(s).await.ok()
            }
        },
    );
    let sub_server = field_error(errors, "subdomain");
    view! {
        <Title text="Start your free trial" />
        <SiteGate on=On::Platform>
            <section class="narrow card">
                <h1>"Start your 14-day free trial"</h1>
                <p class="muted">"No card needed. You'll be in your own workspace in a minute."</p>
                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                    <FormError errors />
                    <Field
                        label="Company name"
                        name="form[company]"
                        key="company"
                        errors
                        required=true
                        autocomplete="organization"
                        check=|v| crate::model::required_text(v, "Company name", 120).err()
                        on_value=Callback::new(move |v: String| {
                            if !sub_edited.get_untracked() {
                                subdomain.set(suggest_subdomain(&v))
                            }
                        })
                    />
                    <div class="field" class:invalid=move || sub_server.get().is_some()>
                        <label for="f-subdomain">
                            "Workspace address"<span class="req" aria-hidden="true">
                                " *"
                            </span>
                        </label>
                        <input
                            id="f-subdomain"
                            name="form[subdomain]"
                            required
                            autocomplete="off"
                            aria-describedby="f-subdomain-status"
                            prop:value=move || subdomain.get()
                            on:input=move |ev| {
                                sub_edited.set(true);
                                subdomain.set(event_target_value(&ev).to_lowercase());
                            }
                        />
                        <p class="hint">
                            "3-32 letters, digits or hyphens. It becomes your own web address."
                        </p>
                        <p id="f-subdomain-status" aria-live="polite">
                            <Transition>
                                {move || Suspend::new(async move {
                                    match check.await {
                                        Some(SubdomainStatus::Available(m)) => {
                                            view! { <span class="ok">"✓ "{m}</span> }.into_any()
                                        }
                                        Some(SubdomainStatus::Taken(m))
                                        | Some(SubdomainStatus::Invalid(m)) => {
                                            view! { <span class="error">{m}</span> }.into_any()
                                        }
                                        None => ().into_any(),
                                    }
                                })}
                            </Transition>
                        </p>
                        <p class="error" role="alert">
                            {move || sub_server.get()}
                        </p>
                    </div>
                    <Field
                        label="Your name"
                        name="form[owner_name]"
                        key="owner_name"
                        errors
                        required=true
                        autocomplete="name"
                        check=|v| crate::model::required_text(v, "Your name", 100).err()
                    />
                    <Field
                        label="Work email"
                        name="form[email]"
                        key="email"
                        kind="email"
                        errors
                        required=true
                        autocomplete="email"
                        check=|v| crate::model::email(v).err()
                    />
                    <Field
                        label="Password"
                        name="form[password]"
                        key="password"
                        kind="password"
                        errors
                        required=true
                        autocomplete="new-password"
                        hint="At least 10 characters."
                        check=|v| crate::model::password(v).err()
                    />
                    <fieldset class="field plan-pick">
                        <legend>"Plan"</legend>
                        {PLANS
                            .iter()
                            .map(|p| {
                                let code = p.code.as_str();
                                view! {
                                    <label class="choice">
                                        <input
                                            type="radio"
                                            name="form[plan]"
                                            value=code
                                            checked=plan.with_value(|p| p == code)
                                        />
                                        <span>
                                            <strong>{p.name}</strong>
                                            " · "
                                            {format!("${}/mo", p.monthly_price_dollars)}
                                            <small>
                                                {match p.seats {
                                                    Some(1) => "1 user".to_string(),
                                                    Some(n) => format!("{n} users"),
                                                    None => "Unlimited users".into(),
                                                }}
                                            </small>
                                        </span>
                                    </label>
                                }
                            })
                            .collect_view()}
                        <p class="error" role="alert">
                            {move || field_error(errors, "plan").get()}
                        </p>
                    </fieldset>
                    <button type="submit" class="large" disabled=move || action.pending().get()>
                        {move || {
                            if action.pending().get() {
                                "Creating your workspace…"
                            } else {
                                "Create my workspace"
                            }
                        }}
                    </button>
                </ActionForm>
            </section>
        </SiteGate>
    }
}
