//! Tenant settings: company, branding, pricing zone, team and plan. The
//! section forms are shared with the onboarding wizard.

mod plan;
mod pricebook;
mod sections;
mod team;

pub use plan::*;
pub use pricebook::*;
pub use sections::*;
pub use team::*;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::settings::get_settings;
use crate::app::components::loaded;
use crate::app::{On, SiteGate};

/// The tabs above every settings page.
#[component]
pub fn SettingsTabs() -> impl IntoView {
    view! {
        <nav class="tabs settings-tabs" aria-label="Settings">
            <A href="/settings" exact=true>
                "Company"
            </A>
            <A href="/settings/team">"Team"</A>
            <A href="/settings/pricebook">"Price book"</A>
            <A href="/settings/billing">"Plan & billing"</A>
        </nav>
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_settings());
    view! {
        <Title text="Settings" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs />
            {loaded(
                settings,
                move |s| {
                    view! {
                        <div class="grid2">
                            <CompanySection settings=s.clone() wizard=false />
                            <BrandingSection settings=s.clone() wizard=false />
                            <PricingSection settings=s.clone() wizard=false />
                            <section class="card">
                                <h2>"Your address"</h2>
                                <p>"Your team and customers reach you at:"</p>
                                <p>
                                    <a href=s.workspace_url.clone()>
                                        <strong>{s.workspace_url.clone()}</strong>
                                    </a>
                                </p>
                                {match (s.custom_domain.clone(), s.custom_domain_verified) {
                                    (Some(d), true) => {
                                        view! { <p>{d}" (custom domain, verified)"</p> }.into_any()
                                    }
                                    (Some(d), false) => {
                                        view! {
                                            <p>{d}" (custom domain, awaiting verification)"</p>
                                        }
                                            .into_any()
                                    }
                                    (None, _) => {
                                        view! {
                                            <p class="muted">
                                                "A custom domain is available as an add-on ($10/month)."
                                            </p>
                                        }
                                            .into_any()
                                    }
                                }}
                            </section>
                        </div>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}
