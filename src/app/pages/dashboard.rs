//! `/`: the platform's landing page, or a tenant's dashboard.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::shell::get_dashboard;
use crate::app::components::{loaded, Empty};
use crate::app::use_shell;
use crate::error::AppError;
use crate::model::{SiteKind, ONBOARDING_STEPS};

use super::Landing;

/// The dashboard's data (with who is looking), or `None` on the platform's
/// own site (its landing page).
type HomeData = Option<crate::model::Dashboard>;

#[component]
pub fn Home() -> impl IntoView {
    let shell = use_shell();
    // One resource, made here before any Suspense: the dashboard's data used
    // to be loaded by a component created inside the shell's Suspend, which
    // numbers its resource differently on the server and in the browser.
    let data = Resource::new(
        || (),
        move |_| async move {
            let s = shell.await?;
            match s.site {
                SiteKind::Platform => Ok::<HomeData, AppError>(None),
                // The role comes with the data: the shell loaded with the
                // page may predate a login made since.
                SiteKind::Tenant(_) => Ok(Some(get_dashboard().await?)),
            }
        },
    );
    view! {
        {loaded(
            data,
            move |v| match v {
                None => view! { <Landing /> }.into_any(),
                Some(d) => dashboard(d),
            },
        )}
    }
}

fn dashboard(d: crate::model::Dashboard) -> AnyView {
    let edits = d.role.edits_customers();
    let pending = d.role.manages_settings() && d.onboarding.next_step().is_some();
    let done = d.onboarding.done_count();
    view! {
        <Title text="Dashboard" />
        <div class="page-head">
            <h1>"Dashboard"</h1>
            {edits
                .then(|| {
                    view! {
                        <A href="/customers/new" attr:class="button">
                            "Add customer"
                        </A>
                    }
                })}
            {(!edits)
                .then(|| {
                    view! {
                        <A href="/jobs" attr:class="button">
                            "My jobs"
                        </A>
                    }
                })}
        </div>
        {pending
            .then(|| {
                view! {
                    <section class="card setup">
                        <div>
                            <h2>"Finish setting up"</h2>
                            <p>
                                {format!(
                                    "{done} of {} steps done. Pick up where you left off.",
                                    ONBOARDING_STEPS.len(),
                                )}
                            </p>
                            <progress max=ONBOARDING_STEPS.len() value=done></progress>
                        </div>
                        <A href="/onboarding" attr:class="button">
                            "Continue setup"
                        </A>
                    </section>
                }
            })}
        <section class="stats">
            <A href="/customers" attr:class="stat card">
                <span class="stat-n">{d.customers}</span>
                <span class="stat-l">"Active customers"</span>
            </A>
            <A href="/settings/team" attr:class="stat card">
                <span class="stat-n">{d.team}</span>
                <span class="stat-l">"Team members"</span>
            </A>
        </section>
        <section class="card">
            <h2>"Newest customers"</h2>
            {if d.recent.is_empty() {
                view! {
                    <Empty title="No customers yet">
                        <p>
                            "Add the homeowners you quote for; properties, quotes and jobs hang off them."
                        </p>
                        <A href="/customers/new" attr:class="button">
                            "Add your first customer"
                        </A>
                    </Empty>
                }
                    .into_any()
            } else {
                view! {
                    <ul class="rows">
                        {d
                            .recent
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <li>
                                        <A href=format!("/customers/{}", c.id)>{c.name.clone()}</A>
                                        <span class="muted">
                                            {format!("{}, {}", c.city, c.state)}
                                        </span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
                    .into_any()
}
