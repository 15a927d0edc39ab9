//! The plan: limits, usage and trial.

use leptos::prelude::*;
use leptos_meta::Title;

use super::SettingsTabs;
use crate::api::settings::get_settings;
use crate::app::components::loaded;
use crate::app::{On, SiteGate};
use crate::model::{human_bytes as bytes, PLANS};

#[component]
pub fn PlanPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_settings());
    view! {
        <Title text="Plan" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs />
            {loaded(
                settings,
                move |s| {
                    let info = s.plan.info();
                    let seats = s
                        .seats
                        .map(|n| format!("{} of {n}", s.seats_used))
                        .unwrap_or_else(|| format!("{} (unlimited)", s.seats_used));
                    let storage = match s.storage_quota_bytes {
                        Some(q) => {
                            format!(
                                "{} of {} ({}%)",
                                bytes(s.storage_used_bytes),
                                bytes(q),
                                (s.storage_used_bytes as f64 / q.max(1) as f64 * 100.0).round(),
                            )
                        }
                        None => format!("{} (unlimited)", bytes(s.storage_used_bytes)),
                    };
                    let jobs = s
                        .monthly_jobs_limit
                        .map(|n| format!("{} of {n} this month", s.jobs_used))
                        .unwrap_or_else(|| format!("{} this month (unlimited)", s.jobs_used));
                    view! {
                        <section class="card plan-current">
                            <h2>
                                {format!("{} plan", info.name)}
                                <span class=format!(
                                    "pill {}",
                                    s.status.code(),
                                )>{s.status.label()}</span>
                            </h2>
                            <p class="price">
                                <span class="amount">
                                    {format!("${}", info.monthly_price_dollars)}
                                </span>
                                " / month"
                            </p>
                            {(s.status == crate::model::OrgStatus::Trialing)
                                .then(|| {
                                    view! {
                                        <p class="banner banner-ok">
                                            {format!(
                                                "Your free trial ends on {} ({} days left). Billing setup arrives soon; nothing is charged during the trial.",
                                                crate::app::local_date(s.trial_ends_at),
                                                s.trial_days_left,
                                            )}
                                        </p>
                                    }
                                })}
                            <dl class="limits">
                                <dt>"Users"</dt>
                                <dd>{seats}</dd>
                                <dt>"Jobs"</dt>
                                <dd data-testid="jobs-usage">{jobs}</dd>
                                <dt>"Photo storage"</dt>
                                <dd data-testid="storage-usage">{storage}</dd>
                            </dl>
                            <ul>{crate::app::components::plan_features(info)}</ul>
                        </section>
                        <section class="card">
                            <h2>"Compare plans"</h2>
                            <div class="plans compact">
                                {PLANS
                                    .iter()
                                    .map(|p| {
                                        view! {
                                            <div class="plan" class:featured=p.code == s.plan>
                                                <h3>{p.name}</h3>
                                                <p>{format!("${}/month", p.monthly_price_dollars)}</p>
                                                <ul>
                                                    {p
                                                        .highlights
                                                        .iter()
                                                        .take(3)
                                                        .map(|h| view! { <li>{*h}</li> })
                                                        .collect_view()}
                                                </ul>
                                            </div>
                                        }
                                    })
                                    .collect_view()}
                            </div>
                        </section>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}
