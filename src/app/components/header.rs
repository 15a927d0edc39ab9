//! The page header: the tenant's brand (colour, logo, name) and navigation,
//! or the platform's own header.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

use crate::api::auth::Logout;
use crate::model::{Shell, SiteKind, TenantBrand};

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

/// The tenant's logo, or its initials on the brand colour.
#[component]
pub fn BrandMark(brand: TenantBrand) -> impl IntoView {
    if brand.logo_version > 0 {
        view! {
            <img
                class="logo"
                src=format!("/brand/logo?v={}", brand.logo_version)
                alt=format!("{} logo", brand.company_name)
            />
        }
        .into_any()
    } else {
        view! {
            <span class="logo initials" aria-hidden="true">
                {initials(&brand.company_name)}
            </span>
        }
        .into_any()
    }
}

#[component]
fn LogoutButton() -> impl IntoView {
    // Logging out forgets what the phone kept, unsent changes included:
    // ask first when some wait.
    let outbox = super::use_outbox();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let n = outbox.with_untracked(|o| o.waiting.len());
        if n == 0 {
            return;
        }
        let ask = format!(
            "{} made without a connection {} not been sent yet. Log out anyway and lose {}?",
            crate::model::count(n as i64, "change", "changes"),
            if n == 1 { "has" } else { "have" },
            if n == 1 { "it" } else { "them" },
        );
        let ok = web_sys::window()
            .and_then(|w| w.confirm_with_message(&ask).ok())
            .unwrap_or(true);
        if !ok {
            ev.prevent_default();
        }
    };
    view! {
        <form method="post" action=Logout::url() class="inline" on:submit=on_submit>
            <button type="submit" class="link">
                "Log out"
            </button>
        </form>
    }
}

#[component]
pub fn Header(shell: Shell) -> impl IntoView {
    match shell.site {
        SiteKind::Tenant(brand) => {
            let viewer = shell.viewer.clone();
            let manages = viewer
                .as_ref()
                .and_then(|v| v.role)
                .is_some_and(|r| r.manages_settings());
            // The trial is the business's own affair: shown to its signed-in
            // people only, never on the pages its homeowners open.
            let trial = (brand.status == crate::model::OrgStatus::Trialing
                && !brand.subscribed
                && !brand.comped
                && brand.read_only.is_none()
                && viewer.is_some())
            .then_some(brand.trial_days_left);
            // Billing trouble: everyone signed in learns the workspace is
            // read-only (their saves are refused); owners and admins also
            // see a failed payment while it is still in its grace period.
            let billing_bar = viewer.as_ref().and_then(|_| {
                if let Some(r) = brand.read_only {
                    Some(r.message().to_string())
                } else if brand.status == crate::model::OrgStatus::PastDue && manages {
                    Some(format!(
                        "Your last subscription payment failed. Everything keeps working until {}; update your card to avoid interruption. ",
                        brand.grace_ends_at.map(super::super::local_date).unwrap_or_default()
                    ))
                } else {
                    None
                }
            });
            // For the first paint (and without JavaScript): the server renders
            // the colour here; once live, the .app wrapper's style takes over.
            // It passed `brand_color` validation (#rrggbb), so it is safe in CSS.
            let css = format!(":root {{ --brand: {}; }}", brand.brand_color);
            view! {
                <style>{css}</style>
                <header class="topbar tenant">
                    <a class="brand" href="/">
                        <BrandMark brand=brand.clone() />
                        <span class="brand-name">{brand.company_name.clone()}</span>
                    </a>
                    {viewer
                        .map(|v| {
                            view! {
                                <nav aria-label="Main">
                                    <A href="/" exact=true>
                                        "Dashboard"
                                    </A>
                                    <A href="/customers">"Customers"</A>
                                    <A href="/quotes">"Quotes"</A>
                                    <A href="/jobs">"Jobs"</A>
                                    {if v.role == Some(crate::model::Role::Crew) {
                                        view! { <A href="/today">"My day"</A> }.into_any()
                                    } else {
                                        view! { <A href="/schedule">"Schedule"</A> }.into_any()
                                    }}
                                    {manages.then(|| view! { <A href="/settings">"Settings"</A> })}
                                </nav>
                                <div class="who">
                                    <span class="who-name" title=v.email.clone()>
                                        {v.name.clone()}
                                    </span>
                                    <LogoutButton />
                                </div>
                            }
                        })}
                </header>
                {trial
                    .map(|d| {
                        view! {
                            <div class="trialbar">
                                {format!(
                                    "Free trial: {d} day{} left on the {} plan. ",
                                    if d == 1 { "" } else { "s" },
                                    brand.plan.info().name,
                                )}
                                {manages
                                    .then(|| {
                                        view! { <a href="/settings/billing">"Add a card"</a> }
                                    })}
                            </div>
                        }
                    })}
                {billing_bar
                    .map(|text| {
                        view! {
                            <div class="billingbar" role="alert" data-testid="billing-bar">
                                {text}
                                {manages
                                    .then(|| {
                                        view! {
                                            " "
                                            <a href="/settings/billing">"Open billing"</a>
                                        }
                                    })}
                            </div>
                        }
                    })}
            }
            .into_any()
        }
        SiteKind::Platform => {
            let admin = shell.viewer.clone();
            view! {
                <header class="topbar platform">
                    <a class="brand" href="/">
                        <span class="logo initials" aria-hidden="true">
                            "F"
                        </span>
                        <span class="brand-name">{shell.platform_name.clone()}</span>
                    </a>
                    <nav aria-label="Main">
                        {match admin {
                            Some(_) => {
                                view! {
                                    <A href="/admin" exact=true>
                                        "Tenants"
                                    </A>
                                    <A href="/admin/billing">"Billing"</A>
                                    <LogoutButton />
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <a href="/#pricing">"Pricing"</a>
                                    <A href="/find">"Log in"</A>
                                    <A href="/signup" attr:class="button small">
                                        "Start free trial"
                                    </A>
                                }
                                    .into_any()
                            }
                        }}
                    </nav>
                </header>
            }
            .into_any()
        }
    }
}
