//! Plan and billing: the subscription, its card and invoices, plans and
//! add-ons, usage against the limits, and what each feature needs. Owners
//! and admins change it (through Stripe's own pages for cards); everyone
//! else sees the plan and its limits.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::SettingsTabs;
use crate::api::billing::{
    get_billing, BillingCancel, BillingChangePlan, BillingCheckout, BillingPortal, BillingSetAddon,
};
use crate::app::components::{action_error, loaded_keeping, successes, FormError, Notice};
use crate::app::{local_date, On, SiteGate};
use crate::model::billing::{dollars, monthly_cents, Addon, BillingOverview, Feature};
use crate::model::{human_bytes as bytes, OrgStatus, PLANS};

/// Sends the browser to Stripe's page once the server has made it.
fn follow(url: Signal<Option<String>>) {
    Effect::new(move |_| {
        if let Some(u) = url.get() {
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.location().set_href(&u);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = u;
        }
    });
}

#[component]
pub fn PlanPage() -> impl IntoView {
    let query = use_query_map();
    let checkout = ServerAction::<BillingCheckout>::new();
    let portal = ServerAction::<BillingPortal>::new();
    let plan = ServerAction::<BillingChangePlan>::new();
    let addon = ServerAction::<BillingSetAddon>::new();
    let cancel = ServerAction::<BillingCancel>::new();
    follow(Signal::derive(move || {
        checkout.value().get().and_then(|r| r.ok())
    }));
    follow(Signal::derive(move || {
        portal.value().get().and_then(|r| r.ok())
    }));
    let plan_done = successes(move || plan.value().get());
    let addon_done = successes(move || addon.value().get());
    let cancel_done = successes(move || cancel.value().get());
    let billing = Resource::new(
        move || {
            (
                query.with(|q| q.get("checkout")),
                plan_done.get(),
                addon_done.get(),
                cancel_done.get(),
            )
        },
        |(session, ..)| get_billing(session),
    );
    let errors = Signal::derive(move || {
        [
            action_error(move || checkout.value().get()).get(),
            action_error(move || portal.value().get()).get(),
            action_error(move || plan.value().get()).get(),
            action_error(move || addon.value().get()).get(),
            action_error(move || cancel.value().get()).get(),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    let done = Signal::derive(move || {
        [
            plan.value().get(),
            addon.value().get(),
            cancel.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.ok())
    });
    view! {
        <Title text="Plan and billing" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs />
            <FormError errors />
            <Notice text=done />
            {loaded_keeping(
                billing,
                move |b| {
                    view! {
                        <Subscription b=b.clone() checkout portal cancel />
                        <Usage b=b.clone() />
                        <Plans b=b.clone() action=plan />
                        <Addons b=b.clone() action=addon />
                        <Features b=b.clone() />
                        <Invoices b=b />
                    }
                        .into_any()
                },
            )}
            <DeleteWorkspace />
        </SiteGate>
    }
}

/// The owner's "Delete this workspace": after a 30-day grace period, with
/// the subdomain typed to confirm; called off with one click until then.
/// Nothing for other roles.
#[component]
fn DeleteWorkspace() -> impl IntoView {
    use crate::api::settings::{get_deletion, DeleteWorkspace as Delete, KeepWorkspace};
    let delete = ServerAction::<Delete>::new();
    let keep = ServerAction::<KeepWorkspace>::new();
    let deleted = successes(move || delete.value().get());
    let kept = successes(move || keep.value().get());
    let info = Resource::new(move || (deleted.get(), kept.get()), |_| get_deletion());
    let errors = Signal::derive(move || {
        let d = action_error(move || delete.value().get()).get();
        let k = action_error(move || keep.value().get()).get();
        d.or(k)
    });
    let confirm_err = crate::app::components::field_error(errors, "confirm");
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let Ok(d) = info.await else {
                    return ().into_any();
                };
                let body = match (d.due.clone(), d.blocked.clone()) {
                    (Some(due), _) => {
                        view! {
                            <div class="banner banner-error" role="status">
                                {format!(
                                    "This workspace and everything in it will be deleted on {due}. Until then it works as usual.",
                                )}
                            </div>
                            <button
                                type="button"
                                disabled=move || keep.pending().get()
                                on:click=move |_| {
                                    keep.dispatch(KeepWorkspace {});
                                }
                            >
                                "Keep this workspace"
                            </button>
                        }
                            .into_any()
                    }
                    (None, Some(why)) => view! { <p class="muted">{why}</p> }.into_any(),
                    (None, None) => {
                        let prompt = format!("Type {} to confirm", d.subdomain);
                        let field_class = move || {
                            if confirm_err.get().is_some() { "field invalid" } else { "field" }
                        };
                        view! {
                            <p>
                                "Deletes every customer, property, quote, job, photo and team account, for good, 30 days from now. Until then the workspace works as usual and you can change your mind."
                            </p>
                            <ActionForm action=delete>
                                <div class=field_class>
                                    <label for="f-confirm">{prompt}</label>
                                    <input
                                        id="f-confirm"
                                        name="confirm"
                                        autocomplete="off"
                                        required
                                    />
                                    <p class="error" role="alert">
                                        {move || confirm_err.get()}
                                    </p>
                                </div>
                                <button
                                    type="submit"
                                    class="danger"
                                    disabled=move || delete.pending().get()
                                >
                                    "Delete this workspace"
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                };
                view! {
                    <section class="card danger-zone" data-testid="delete-workspace">
                        <h2>"Delete this workspace"</h2>
                        <FormError errors />
                        {body}
                    </section>
                }
                    .into_any()
            })}
        </Suspense>
    }
}

#[component]
fn Subscription(
    b: BillingOverview,
    checkout: ServerAction<BillingCheckout>,
    portal: ServerAction<BillingPortal>,
    cancel: ServerAction<BillingCancel>,
) -> impl IntoView {
    let info = b.plan.info();
    let total = monthly_cents(b.plan, &b.addons);
    let status = if b.comped {
        "Provided free".to_string()
    } else {
        b.status.label().to_string()
    };
    let pill = if b.read_only.is_some() {
        "read_only".to_string()
    } else {
        b.status.code().to_string()
    };
    let state_line = if b.comped {
        "Your plan is provided free of charge by the platform.".to_string()
    } else if let Some(r) = b.read_only {
        r.message().to_string()
    } else {
        match b.status {
            OrgStatus::Trialing if !b.subscribed => format!(
                "Your free trial ends on {} ({} day{} left). Add a card to keep going afterwards: nothing is charged until the trial ends.",
                local_date(b.trial_ends_at),
                b.trial_days_left,
                if b.trial_days_left == 1 { "" } else { "s" }
            ),
            OrgStatus::Trialing => format!(
                "Your trial ends on {}; then {} a month is charged to your card.",
                local_date(b.trial_ends_at),
                dollars(total)
            ),
            OrgStatus::PastDue => format!(
                "Your last payment failed. Everything keeps working until {}; update your card to pay what is due.",
                b.grace_ends_at.map(local_date).unwrap_or_default()
            ),
            OrgStatus::Active if b.cancel_at_period_end => format!(
                "Your subscription ends on {}. Everything works until then.",
                b.current_period_end.map(local_date).unwrap_or_default()
            ),
            OrgStatus::Active => format!(
                "Next payment: {} on {}.",
                dollars(b.next_amount_cents.unwrap_or(total)),
                b.current_period_end.map(local_date).unwrap_or_default()
            ),
            OrgStatus::Cancelled => "Your subscription has ended.".to_string(),
            OrgStatus::Suspended => "Your workspace is suspended by the platform.".to_string(),
        }
    };
    let tone = if b.read_only.is_some() || b.status == OrgStatus::PastDue {
        "banner banner-error"
    } else {
        "banner banner-ok"
    };
    let needs_card = !b.comped && (!b.subscribed || b.status == OrgStatus::Cancelled);
    let can_portal = b.subscribed && !b.comped;
    let running = b.subscribed
        && matches!(
            b.status,
            OrgStatus::Active | OrgStatus::Trialing | OrgStatus::PastDue
        );
    view! {
        <section class="card plan-current" data-testid="subscription">
            <h2>
                {format!("{} plan", info.name)}
                <span class=format!("pill {pill}") data-testid="billing-status">
                    {status}
                </span>
            </h2>
            <p class="price">
                <span class="amount">{dollars(total)}</span>
                " / month"
                {(total != i64::from(info.monthly_price_dollars) * 100)
                    .then(|| {
                        view! {
                            <span class="muted">{format!(" ({} plan + add-ons)", info.name)}</span>
                        }
                    })}
            </p>
            <p class=tone data-testid="billing-state">
                {state_line}
            </p>
            {b
                .notice
                .clone()
                .map(|n| {
                    view! {
                        <p class="banner banner-ok" role="status" data-testid="billing-notice">
                            {n}
                        </p>
                    }
                })}
            {b
                .card
                .clone()
                .map(|(brand, last4)| {
                    view! {
                        <p data-testid="card">
                            "Card on file: "
                            <strong>
                                {format!("{} •••• {last4}", capitalise(&brand))}
                            </strong>
                        </p>
                    }
                })}
            {if b.can_manage {
                view! {
                    <div class="actions">
                        {needs_card
                            .then(|| {
                                view! {
                                    <ActionForm action=checkout attr:class="inline">
                                        <button
                                            type="submit"
                                            disabled=move || checkout.pending().get()
                                        >
                                            {move || {
                                                if checkout.pending().get() {
                                                    "Opening the secure payment page…"
                                                } else {
                                                    "Add a card"
                                                }
                                            }}
                                        </button>
                                    </ActionForm>
                                }
                            })}
                        {can_portal
                            .then(|| {
                                view! {
                                    <ActionForm action=portal attr:class="inline">
                                        <button
                                            type="submit"
                                            class="secondary"
                                            disabled=move || portal.pending().get()
                                        >
                                            "Manage card and invoices"
                                        </button>
                                    </ActionForm>
                                }
                            })}
                        {running
                            .then(|| {
                                let undo = b.cancel_at_period_end;
                                let undo_value = if undo { "false" } else { "true" };
                                let undo_class = if undo { "secondary" } else { "link danger" };
                                view! {
                                    <ActionForm action=cancel attr:class="inline">
                                        <input type="hidden" name="cancel" value=undo_value />
                                        <button type="submit" class=undo_class>
                                            {if undo {
                                                "Keep my subscription"
                                            } else {
                                                "Cancel at the end of the period"
                                            }}
                                        </button>
                                    </ActionForm>
                                }
                            })}
                    </div>
                }
                    .into_any()
            } else {
                view! { <p class="muted">"Owners and admins manage billing."</p> }.into_any()
            }}
        </section>
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

#[component]
fn Usage(b: BillingOverview) -> impl IntoView {
    let e = &b.entitlements;
    let u = &b.usage;
    let seats = e
        .seats
        .map(|n| format!("{} of {n}", u.seats_used))
        .unwrap_or_else(|| format!("{} (unlimited)", u.seats_used));
    let jobs = e
        .monthly_jobs
        .map(|n| format!("{} of {n} this month", u.jobs_this_month))
        .unwrap_or_else(|| format!("{} this month (unlimited)", u.jobs_this_month));
    let quota = i64::from(e.storage_mb) * 1024 * 1024;
    let storage = format!(
        "{} of {} ({}%)",
        bytes(u.storage_used_bytes),
        bytes(quota),
        (u.storage_used_bytes as f64 / quota.max(1) as f64 * 100.0).round()
    );
    view! {
        <section class="card">
            <h2>"Usage"</h2>
            <dl class="limits">
                <dt>"Users (members and open invitations)"</dt>
                <dd data-testid="seats-usage">{seats}</dd>
                <dt>"Jobs"</dt>
                <dd data-testid="jobs-usage">{jobs}</dd>
                <dt>"Photo storage"</dt>
                <dd data-testid="storage-usage">{storage}</dd>
            </dl>
        </section>
    }
}

#[component]
fn Plans(b: BillingOverview, action: ServerAction<BillingChangePlan>) -> impl IntoView {
    let current = b.plan;
    let manage = b.can_manage;
    view! {
        <section class="card">
            <h2>"Plans"</h2>
            <p class="muted">
                {if b.subscribed {
                    "A change applies at once. Moving up charges the difference for the rest of this month now; moving down credits it on your next invoice."
                } else {
                    "During the trial you can try any plan: nothing is charged until you add a card and the trial ends."
                }}
            </p>
            <div class="plans compact">
                {PLANS
                    .iter()
                    .map(|p| {
                        let here = p.code == current;
                        view! {
                            <div class="plan" class:featured=here>
                                <h3>{p.name}</h3>
                                <p>{format!("${}/month", p.monthly_price_dollars)}</p>
                                <ul>{crate::app::components::plan_features(p)}</ul>
                                {if here {
                                    view! { <p class="pill active">"Your plan"</p> }.into_any()
                                } else if manage {
                                    let up = p.monthly_price_dollars
                                        > current.info().monthly_price_dollars;
                                    let up_class = if up { "" } else { "secondary" };
                                    view! {
                                        <ActionForm action=action>
                                            <input type="hidden" name="plan" value=p.code.as_str() />
                                            <button
                                                type="submit"
                                                class=up_class
                                                disabled=move || action.pending().get()
                                            >
                                                {format!(
                                                    "{} to {}",
                                                    if up { "Upgrade" } else { "Move" },
                                                    p.name,
                                                )}
                                            </button>
                                        </ActionForm>
                                    }
                                        .into_any()
                                } else {
                                    ().into_any()
                                }}
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

#[component]
fn Addons(b: BillingOverview, action: ServerAction<BillingSetAddon>) -> impl IntoView {
    let can_buy = b.can_manage && (b.subscribed || b.comped) && b.status != OrgStatus::Cancelled;
    let why_not = if !b.can_manage {
        Some("Owners and admins buy add-ons.")
    } else if !can_buy {
        Some("Add a card first: add-ons are billed monthly with your plan.")
    } else {
        None
    };
    view! {
        <section class="card" data-testid="addons">
            <h2>"Add-ons"</h2>
            {why_not.map(|w| view! { <p class="muted">{w}</p> })}
            <ul class="addon-list">
                {Addon::ALL
                    .into_iter()
                    .map(|a| {
                        let q = b.addons.quantity(a);
                        let toggle_to = if q > 0 { "0" } else { "1" };
                        let toggle_class = if q > 0 { "link danger" } else { "small" };
                        let price = if a.per_unit() {
                            format!("{} per user / month", dollars(a.price_cents()))
                        } else {
                            format!("{} / month", dollars(a.price_cents()))
                        };
                        let control = if !can_buy {
                            view! {
                                <span class="muted">{if q > 0 { "Included" } else { "" }}</span>
                            }
                                .into_any()
                        } else if a.per_unit() {
                            view! {
                                <ActionForm action=action attr:class="inline addon-qty">
                                    <input type="hidden" name="addon" value=a.code() />
                                    <label>
                                        "Extra users "
                                        <input
                                            type="number"
                                            name="quantity"
                                            min="0"
                                            max="500"
                                            value=q.to_string()
                                            inputmode="numeric"
                                        />
                                    </label>
                                    <button type="submit" class="secondary small">
                                        "Save"
                                    </button>
                                </ActionForm>
                            }
                                .into_any()
                        } else {
                            view! {
                                <ActionForm action=action attr:class="inline">
                                    <input type="hidden" name="addon" value=a.code() />
                                    <input type="hidden" name="quantity" value=toggle_to />
                                    <button type="submit" class=toggle_class data-addon=a.code()>
                                        {if q > 0 {
                                            format!("Remove {}", a.name())
                                        } else {
                                            format!("Add {}", a.name())
                                        }}
                                    </button>
                                </ActionForm>
                            }
                                .into_any()
                        };
                        let bought = q > 0;
                        view! {
                            <li class:on=bought>
                                <div>
                                    <strong>{a.name()}</strong>
                                    <span class="muted">{format!(" · {price}")}</span>
                                    {(q > 0)
                                        .then(|| {
                                            view! {
                                                <span class="pill active">
                                                    {if a.per_unit() {
                                                        format!("{q} bought")
                                                    } else {
                                                        "Active".to_string()
                                                    }}
                                                </span>
                                            }
                                        })}
                                </div>
                                {control}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Features(b: BillingOverview) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Features"</h2>
            <ul class="features">
                {Feature::ALL
                    .into_iter()
                    .map(|f| {
                        let on = b.entitlements.has(f);
                        view! {
                            <li class:locked=!on data-feature=f.code()>

                                <strong>{f.label()}</strong>
                                {(!on)
                                    .then(|| {
                                        view! {
                                            <span class="muted">
                                                {format!(" — {}", f.unlocked_by())}
                                            </span>
                                        }
                                    })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Invoices(b: BillingOverview) -> impl IntoView {
    if !b.can_manage {
        return ().into_any();
    }
    view! {
        <section class="card" data-testid="invoices">
            <h2>"Invoices"</h2>
            {if b.invoices.is_empty() {
                view! { <p class="muted">"No invoices yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="list">
                            <thead>
                                <tr>
                                    <th>"Date"</th>
                                    <th>"Invoice"</th>
                                    <th>"Amount"</th>
                                    <th>"Status"</th>
                                    <th></th>
                                </tr>
                            </thead>
                            <tbody>
                                {b
                                    .invoices
                                    .iter()
                                    .map(|i| {
                                        let status = match (i.status.as_str(), i.payment_failed) {
                                            ("paid", _) => "Paid",
                                            ("open", true) => "Payment failed",
                                            ("open", false) => "Due",
                                            ("void", _) => "Void",
                                            _ => "Draft",
                                        };
                                        view! {
                                            <tr>
                                                <td>{local_date(i.created)}</td>
                                                <td>{i.number.clone().unwrap_or_default()}</td>
                                                <td>{dollars(i.amount_cents)}</td>
                                                <td>{status}</td>
                                                <td>
                                                    {i
                                                        .hosted_url
                                                        .clone()
                                                        .map(|u| {
                                                            view! {
                                                                <a href=u rel="noopener" target="_blank">
                                                                    "View"
                                                                </a>
                                                            }
                                                        })} " "
                                                    {i
                                                        .pdf_url
                                                        .clone()
                                                        .map(|u| {
                                                            view! {
                                                                <a href=u rel="noopener" target="_blank">
                                                                    "PDF"
                                                                </a>
                                                            }
                                                        })}
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
    .into_any()
}
