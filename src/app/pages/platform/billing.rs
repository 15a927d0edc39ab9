//! The platform's billing view: recurring revenue, plan mix, trials ending
//! this week, past-due, read-only and comped tenants; a tenant's billing
//! history; extending a trial and giving a plan free (both audited).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::billing::{admin_billing, admin_billing_history, AdminExtendTrial, AdminSetComped};
use crate::app::components::{action_error, loaded_keeping, successes, FormError, Notice};
use crate::app::{local_date, local_date_time, On, SiteGate};
use crate::model::billing::{dollars, TenantBilling};

#[component]
pub fn AdminBillingPage() -> impl IntoView {
    let query = use_query_map();
    let tenant = move || {
        query
            .read()
            .get("tenant")
            .and_then(|t| t.parse::<Uuid>().ok())
    };
    let extend = ServerAction::<AdminExtendTrial>::new();
    let comp = ServerAction::<AdminSetComped>::new();
    let extended = successes(move || extend.value().get());
    let comped = successes(move || comp.value().get());
    let data = Resource::new(move || (extended.get(), comped.get()), |_| admin_billing());
    let history = Resource::new(
        move || (tenant(), extended.get(), comped.get()),
        |(t, ..)| async move {
            match t {
                Some(id) => admin_billing_history(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    // Both actions are read every time (tracked): `or_else` alone would
    // stop following the second once the first has an answer.
    let extend_errors = action_error(move || extend.value().get());
    let comp_errors = action_error(move || comp.value().get());
    let errors = Signal::derive(move || {
        let (e, c) = (extend_errors.get(), comp_errors.get());
        e.or(c)
    });
    let done = Signal::derive(move || {
        let e = extend.value().get().and_then(|r| r.ok());
        let c = comp.value().get().and_then(|r| r.ok());
        e.or(c)
    });
    view! {
        <Title text="Billing" />
        <SiteGate on=On::Platform>
            <div class="page-head">
                <h1>"Billing"</h1>
                <A href="/admin">"Tenants"</A>
            </div>
            <FormError errors />
            <Notice text=done />
            {loaded_keeping(
                data,
                move |(dash, tenants)| {
                    let mix = dash
                        .plan_mix
                        .iter()
                        .map(|(p, n)| format!("{} {n}", p.info().name))
                        .collect::<Vec<_>>()
                        .join(" · ");
                    view! {
                        <div class="stats">
                            <div class="card stat" data-testid="mrr">
                                <span class="muted">"Monthly recurring revenue"</span>
                                <strong>{dollars(dash.mrr_cents)}</strong>
                            </div>
                            <div class="card stat">
                                <span class="muted">"Paying / trialing"</span>
                                <strong>{format!("{} / {}", dash.paying, dash.trialing)}</strong>
                            </div>
                            <div class="card stat">
                                <span class="muted">"Plan mix"</span>
                                <strong>{mix}</strong>
                            </div>
                        </div>
                        <Group
                            title="Trials ending this week"
                            rows=dash.trials_ending
                            extend
                            comp
                        />
                        <Group title="Payment overdue" rows=dash.past_due extend comp />
                        <Group title="Read-only" rows=dash.read_only extend comp />
                        <Group title="Provided free" rows=dash.comped extend comp />
                        <Group title="Every tenant" rows=tenants extend comp />
                    }
                        .into_any()
                },
            )}
            {loaded_keeping(
                history,
                move |h| match h {
                    None => ().into_any(),
                    Some(h) => {
                        view! {
                            <section class="card" id="history" data-testid="history">
                                <h2>"Billing history"</h2>
                                <h3>"Changes made by people"</h3>
                                <ul>
                                    {h
                                        .audit
                                        .iter()
                                        .map(|(a, at, d)| {
                                            view! {
                                                <li>{format!("{} · {a} · {d}", local_date_time(*at))}</li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                                <h3>"Stripe events"</h3>
                                <ul>
                                    {h
                                        .events
                                        .iter()
                                        .map(|(k, at, s)| {
                                            view! {
                                                <li>{format!("{} · {k} · {s}", local_date_time(*at))}</li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                                <h3>"Invoices"</h3>
                                <ul>
                                    {h
                                        .invoices
                                        .iter()
                                        .map(|i| {
                                            view! {
                                                <li>
                                                    {format!(
                                                        "{} · {} · {} · {}",
                                                        local_date(i.created),
                                                        i.number.clone().unwrap_or_default(),
                                                        dollars(i.amount_cents),
                                                        i.status,
                                                    )}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                            .into_any()
                    }
                },
            )}
        </SiteGate>
    }
}

#[component]
fn Group(
    title: &'static str,
    rows: Vec<TenantBilling>,
    extend: ServerAction<AdminExtendTrial>,
    comp: ServerAction<AdminSetComped>,
) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{format!("{title} ({})", rows.len())}</h2>
            {if rows.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table>
                            <thead>
                                <tr>
                                    <th>"Company"</th>
                                    <th>"Plan"</th>
                                    <th>"Status"</th>
                                    <th>"Trial ends"</th>
                                    <th class="num">"Monthly"</th>
                                    <th></th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows
                                    .into_iter()
                                    .map(|t| {
                                        let status = if t.read_only {
                                            format!("{} (read-only)", t.status.label())
                                        } else {
                                            t.status.label().to_string()
                                        };
                                        let comp_to = if t.comped { "false" } else { "true" };
                                        let comp_label = if t.comped {
                                            "End free plan"
                                        } else {
                                            "Give plan free"
                                        };
                                        view! {
                                            <tr>
                                                <td>
                                                    <strong>{t.company_name.clone()}</strong>
                                                    <br />
                                                    <span class="muted">{t.subdomain.clone()}</span>
                                                </td>
                                                <td>{t.plan.info().name}</td>
                                                <td>{status}</td>
                                                <td>{local_date(t.trial_ends_at)}</td>
                                                <td class="num">{dollars(t.monthly_cents)}</td>
                                                <td class="actions">
                                                    <ActionForm action=extend attr:class="inline">
                                                        <input type="hidden" name="id" value=t.id.to_string() />
                                                        <input type="hidden" name="days" value="7" />
                                                        <button type="submit" class="secondary small">
                                                            "Extend trial 7 days"
                                                        </button>
                                                    </ActionForm>
                                                    <ActionForm action=comp attr:class="inline">
                                                        <input type="hidden" name="id" value=t.id.to_string() />
                                                        <input type="hidden" name="comped" value=comp_to />
                                                        <button type="submit" class="link">
                                                            {comp_label}
                                                        </button>
                                                    </ActionForm>
                                                    <a href=format!(
                                                        "/admin/billing?tenant={}#history",
                                                        t.id,
                                                    )>"History"</a>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}
