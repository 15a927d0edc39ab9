//! The onboarding wizard: company, branding, pricing, team, first customer.
//! Every step can be skipped and picked up again from the step list.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::{BrandingSection, CompanySection, CustomerFields, InviteForm, PricingSection};
use crate::api::customers::CreateCustomer;
use crate::api::settings::{get_onboarding, get_settings, SkipOnboardingStep};
use crate::api::team::InviteMember;
use crate::app::components::{action_error, loaded, FormError};
use crate::app::{refresh_shell, On, SiteGate};
use crate::model::{CustomerForm, ONBOARDING_STEPS};

#[component]
pub fn OnboardingPage() -> impl IntoView {
    let query = use_query_map();
    let key = move || (query.read().get("step"), query.read().get("from"));
    let state = Resource::new(key, |_| async {
        Ok::<_, crate::error::AppError>((get_onboarding().await?, get_settings().await?))
    });
    // A finished step may have changed what the header shows (name, colour).
    Effect::new(move |prev: Option<Option<String>>| {
        let from = query.read().get("from");
        if prev.is_some_and(|p| p != from) {
            refresh_shell();
        }
        from
    });
    let skip = ServerAction::<SkipOnboardingStep>::new();
    let invite = ServerAction::<InviteMember>::new();
    let customer = ServerAction::<CreateCustomer>::new();
    view! {
        <Title text="Set up your workspace" />
        <SiteGate on=On::Tenant>
            {loaded(
                state,
                move |(onboarding, settings)| {
                    let asked = query
                        .read_untracked()
                        .get("step")
                        .filter(|s| ONBOARDING_STEPS.iter().any(|(k, _)| k == s));
                    let current = asked.or_else(|| onboarding.next_step().map(str::to_string));
                    let steps = ONBOARDING_STEPS
                        .iter()
                        .enumerate()
                        .map(|(i, (k, label))| {
                            let st = onboarding.state(k).to_string();
                            let class = format!("step {st}");
                            let mark = if st == "done" {
                                "✓".to_string()
                            } else {
                                (i + 1).to_string()
                            };
                            let skipped = st == "skipped";
                            let here = current.as_deref() == Some(*k);
                            view! {
                                <li class=class class:current=here>
                                    <A
                                        href=format!("/onboarding?step={k}")
                                        attr:aria-current=here.then_some("step")
                                    >
                                        <span class="step-n">{mark}</span>
                                        <span>{*label}</span>
                                        {skipped.then(|| view! { <small>"skipped"</small> })}
                                    </A>
                                </li>
                            }
                        })
                        .collect_view();
                    let body = match current.as_deref() {
                        None => {
                            view! {
                                <section class="card done-card">
                                    <h2>"You're all set"</h2>
                                    <p>
                                        "Your workspace is ready. You can change any of this later in Settings."
                                    </p>
                                    <div class="actions">
                                        <A href="/" attr:class="button">
                                            "Go to the dashboard"
                                        </A>
                                        <A href="/customers/new" attr:class="button secondary">
                                            "Add a customer"
                                        </A>
                                    </div>
                                </section>
                            }
                                .into_any()
                        }
                        Some("company") => {
                            view! { <CompanySection settings=settings wizard=true /> }.into_any()
                        }
                        Some("branding") => {
                            view! { <BrandingSection settings=settings wizard=true /> }.into_any()
                        }
                        Some("pricing") => {
                            view! { <PricingSection settings=settings wizard=true /> }.into_any()
                        }
                        Some("team") => {
                            view! {
                                <section class="card">
                                    <h2>"Invite your team"</h2>
                                    <p class="muted">
                                        "Dispatchers schedule jobs; crew members see their routes and upload photos from their phones."
                                    </p>
                                    <InviteForm action=invite wizard=true />
                                    <p>
                                        <A href="/onboarding?from=team">"Continue →"</A>
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                        Some(_) => {
                            let errors = action_error(move || customer.value().get());
                            view! {
                                <section class="card">
                                    <h2>"Add your first customer"</h2>
                                    <ActionForm action=customer attr:class="stack">
                                        <FormError errors />
                                        <input type="hidden" name="wizard" value="1" />
                                        <CustomerFields
                                            form=CustomerForm {
                                                state: settings.home_state.clone().unwrap_or_default(),
                                                ..Default::default()
                                            }
                                            errors
                                        />
                                        <button type="submit">"Save customer"</button>
                                    </ActionForm>
                                </section>
                            }
                                .into_any()
                        }
                    };
                    let skippable = current.clone().filter(|c| onboarding.state(c) != "done");
                    view! {
                        <div class="wizard">
                            <aside>
                                <h1>"Set up your workspace"</h1>
                                <ol class="steps">{steps}</ol>
                            </aside>
                            <div class="wizard-body">
                                {body}
                                {skippable
                                    .map(|step| {
                                        view! {
                                            <ActionForm action=skip attr:class="inline skip">
                                                <input type="hidden" name="step" value=step />
                                                <button type="submit" class="link">
                                                    "Skip this step for now"
                                                </button>
                                            </ActionForm>
                                        }
                                    })}
                            </div>
                        </div>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}
