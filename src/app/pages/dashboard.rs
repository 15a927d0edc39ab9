//! `/`: the platform's landing page, or a tenant's dashboard.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::shell::get_dashboard;
use crate::app::components::Empty;
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
    // Counts and the day follow what others do, without a reload.
    let refresh = RwSignal::new(0u32);
    crate::app::components::on_live_change(move || refresh.update(|n| *n += 1));
    let data = Resource::new(
        move || refresh.get(),
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
        {crate::app::components::loaded_keeping(
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
        {d.day.today.map(|_| day_overview(d.day.clone()))}
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

/// The office's day: what needs attention, today by crew, the queue, money
/// won this month and collar batteries coming due, each a link to act on.
/// Dollars from a float figure (fuel), to the cent.
fn money_f(v: f64) -> String {
    crate::model::pricing::money(
        rust_decimal::Decimal::from_f64_retain((v * 100.0).round() / 100.0)
            .unwrap_or_default()
            .round_dp(2),
    )
}

fn day_overview(o: crate::model::schedule::DayOverview) -> AnyView {
    use crate::app::span;
    use crate::model::pricing::money;
    view! {
        {(!o.attention.is_empty())
            .then(|| {
                view! {
                    <section class="banner banner-warn attention" aria-label="Needs attention">
                        <strong>"Needs attention"</strong>
                        <ul>
                            {o
                                .attention
                                .iter()
                                .map(|(text, href)| {
                                    view! {
                                        <li>
                                            <a href=href.clone()>{text.clone()}</a>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </section>
                }
            })}
        <section class="stats">
            <A href="/schedule" attr:class="stat card">
                <span class="stat-n">{o.to_schedule}</span>
                <span class="stat-l">"Jobs to schedule"</span>
            </A>
            <A href="/quotes?status=sent" attr:class="stat card">
                <span class="stat-n">{o.quotes_with_customer}</span>
                <span class="stat-l">"Quotes with customers"</span>
            </A>
            {(o.quotes_with_manager > 0)
                .then(|| {
                    view! {
                        <A href="/quotes?status=pending_approval" attr:class="stat card">
                            <span class="stat-n">{o.quotes_with_manager}</span>
                            <span class="stat-l">"Awaiting a manager"</span>
                        </A>
                    }
                })}
            <A href="/jobs" attr:class="stat card">
                <span class="stat-n">{money(o.won_this_month)}</span>
                <span class="stat-l">
                    {format!("Won this month ({})", crate::model::count(o.won_jobs, "job", "jobs"))}
                </span>
            </A>
            <A href="/schedule?view=day" attr:class="stat card">
                <span class="stat-n">{money_f(o.saved.2)}</span>
                <span class="stat-l">
                    {format!("Fuel saved this month ({:.0} mi, {:.1} gal)", o.saved.0, o.saved.1)}
                </span>
            </A>
        </section>
        <section class="card today">
            <div class="page-head">
                <h2>"Today"</h2>
                <A href="/schedule?view=day" attr:class="button secondary">
                    "Open the board"
                </A>
            </div>
            {if o.crews.is_empty() {
                view! {
                    <p class="muted">
                        "No crews yet. " <A href="/crews">"Add a crew"</A>
                        " to book jobs on the schedule."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <div class="today-crews">
                        {o
                            .crews
                            .into_iter()
                            .map(|(c, jobs)| {
                                view! {
                                    <div class="today-crew" style=format!("--crew: {}", c.color)>
                                        <h3>
                                            <span class="dot" aria-hidden="true"></span>
                                            {c.name.clone()}
                                        </h3>
                                        {if jobs.is_empty() {
                                            view! { <p class="muted">"Nothing booked today."</p> }
                                                .into_any()
                                        } else {
                                            view! {
                                                <ul class="rows">
                                                    {jobs
                                                        .into_iter()
                                                        .map(|j| {
                                                            view! {
                                                                <li>
                                                                    <span>
                                                                        {j.place.start.map(|s| span(s, j.place.minutes))}
                                                                    </span>
                                                                    <A href=format!(
                                                                        "/jobs/{}",
                                                                        j.id,
                                                                    )>{format!("J-{} {}", j.number, j.customer_name)}</A>
                                                                    <span class=format!(
                                                                        "pill {}",
                                                                        j.status.code(),
                                                                    )>{j.status.label()}</span>
                                                                </li>
                                                            }
                                                        })
                                                        .collect_view()}
                                                </ul>
                                            }
                                                .into_any()
                                        }}
                                    </div>
                                }
                            })
                            .collect_view()}
                    </div>
                }
                    .into_any()
            }}
        </section>
        {(!o.batteries_due.is_empty())
            .then(|| {
                view! {
                    <section class="card" id="batteries">
                        <div class="section-head">
                            <h2>"Collar batteries due"</h2>
                            <A href="/schedule/batteries">"Plan visits"</A>
                        </div>
                        <ul class="rows">
                            {o
                                .batteries_due
                                .into_iter()
                                .map(|b| {
                                    view! {
                                        <li>
                                            <A href=format!(
                                                "/customers/{}",
                                                b.customer_id,
                                            )>{b.customer_name.clone()}</A>
                                            <span>{b.pet.clone()}</span>
                                            <span class="muted">
                                                {format!("due {}", crate::app::show_day(b.due))}
                                            </span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </section>
                }
            })}
    }
        .into_any()
}
