//! Tenant settings: company, branding, pricing zone, team and plan. The
//! section forms are shared with the onboarding wizard.

mod data;
mod domain;
mod emails;
mod import;
mod plan;
mod pricebook;
mod sections;
mod sms;
mod team;

pub use data::*;
pub use domain::*;
pub use emails::*;
pub use import::*;
pub use plan::*;
pub use pricebook::*;
pub use sections::*;
pub use sms::*;
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
            <A href="/settings/emails">"Emails"</A>
            <A href="/settings/data">"Data"</A>
            <A href="/settings/import">"Import"</A>
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
                            <WhiteLabelSection settings=s.clone() />
                            <PricingSection settings=s.clone() wizard=false />
                        </div>
                    }
                        .into_any()
                },
            )}
            <div class="grid2">
                <DomainSection />
                <SmsSection />
            </div>
        </SiteGate>
    }
}
