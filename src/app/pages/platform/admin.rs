//! Platform administration: tenants with plan, status, trial, counts;
//! search; suspend and reactivate. And the administrators' login.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::admin::{
    admin_list_tenants, AdminCancelDeletion, AdminScheduleDeletion, AdminSetSuspended,
    TENANTS_PER_PAGE,
};
use crate::api::auth::AdminLogin;
use crate::app::components::{action_error, loaded_keeping, successes, Empty, Field, FormError};
use crate::app::{refresh_shell, On, SiteGate};

#[component]
pub fn AdminLoginPage() -> impl IntoView {
    let action = ServerAction::<AdminLogin>::new();
    let errors = action_error(move || action.value().get());
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            refresh_shell();
        }
    });
    view! {
        <Title text="Platform administration" />
        <SiteGate on=On::Platform>
            <section class="narrow card">
                <h1>"Platform administration"</h1>
                <ActionForm action=action attr:class="stack">
                    <FormError errors />
                    <Field
                        label="Email"
                        name="email"
                        key="email"
                        kind="email"
                        errors
                        required=true
                        autocomplete="username"
                    />
                    <Field
                        label="Password"
                        name="password"
                        key="password"
                        kind="password"
                        errors
                        required=true
                        autocomplete="current-password"
                    />
                    <button type="submit">"Log in"</button>
                </ActionForm>
            </section>
        </SiteGate>
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let suspend = ServerAction::<AdminSetSuspended>::new();
    let suspend_done = successes(move || suspend.value().get());
    let delete = ServerAction::<AdminScheduleDeletion>::new();
    let delete_done = successes(move || delete.value().get());
    let keep = ServerAction::<AdminCancelDeletion>::new();
    let keep_done = successes(move || keep.value().get());
    let suspend_errors = action_error(move || suspend.value().get());
    let delete_errors = action_error(move || delete.value().get());
    let keep_errors = action_error(move || keep.value().get());
    let tenants = Resource::new(
        move || {
            (
                q(),
                page(),
                suspend_done.get(),
                delete_done.get(),
                keep_done.get(),
            )
        },
        |(q, p, ..)| admin_list_tenants(q, p),
    );
    view! {
        <Title text="Tenants" />
        <SiteGate on=On::Platform>
            <div class="page-head">
                <h1>"Tenants"</h1>
                <Form method="GET" action="" attr:class="search">
                    <label class="sr-only" for="tenant-q">
                        "Search tenants"
                    </label>
                    <input
                        id="tenant-q"
                        type="search"
                        name="q"
                        placeholder="Company or subdomain"
                        value=q
                    />
                    <button type="submit" class="secondary">
                        "Search"
                    </button>
                </Form>
            </div>
            <FormError errors=suspend_errors />
            <FormError errors=delete_errors />
            <FormError errors=keep_errors />
            {loaded_keeping(
                tenants,
                move |v| match v {
                    list if list.rows.is_empty() => {
                        view! {
                            <Empty title="No tenants match">
                                <p>"Try another search."</p>
                            </Empty>
                        }
                            .into_any()
                    }
                    list => {
                        let per = i64::from(TENANTS_PER_PAGE);
                        let pages = ((list.total + per - 1) / per).max(1);
                        let p = page() as i64;
                        view! {
                            <p class="muted">
                                {format!(
                                    "{} tenant{}",
                                    list.total,
                                    if list.total == 1 { "" } else { "s" },
                                )}
                            </p>
                            <div class="table-wrap card">
                                <table>
                                    <thead>
                                        <tr>
                                            <th>"Company"</th>
                                            <th>"Plan"</th>
                                            <th>"Status"</th>
                                            <th>"Trial ends"</th>
                                            <th class="num">"Users"</th>
                                            <th class="num">"Customers"</th>
                                            <th>"Created"</th>
                                            <th></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .rows
                                            .into_iter()
                                            .map(|t| {
                                                let suspended = t.status
                                                    == crate::model::OrgStatus::Suspended;
                                                let delete_prompt = format!(
                                                    "Delete {} and all its data in {} days (its owners are told and can keep it until then)? Type {} to confirm.",
                                                    t.company_name,
                                                    crate::model::DELETION_GRACE_DAYS,
                                                    t.subdomain,
                                                );
                                                view! {
                                                    <tr>
                                                        <td data-label="Company">
                                                            <strong>{t.company_name.clone()}</strong>
                                                            <br />
                                                            <span class="muted">{t.subdomain.clone()}</span>
                                                        </td>
                                                        <td data-label="Plan">{t.plan.info().name}</td>
                                                        <td data-label="Status">
                                                            <span class=format!(
                                                                "pill {}",
                                                                t.status.code(),
                                                            )>{t.status.label()}</span>
                                                            {t
                                                                .status_reason
                                                                .clone()
                                                                .map(|r| {
                                                                    view! {
                                                                        <br />
                                                                        <span class="muted small" data-testid="status-reason">
                                                                            {r}
                                                                            {t
                                                                                .status_changed_at
                                                                                .map(|d| {
                                                                                    format!(" ({})", crate::app::show_date(d.date_naive()))
                                                                                })}
                                                                        </span>
                                                                    }
                                                                })}
                                                        </td>
                                                        <td data-label="Trial ends">
                                                            {crate::app::show_date(t.trial_ends_at.date_naive())}
                                                        </td>
                                                        <td data-label="Users" class="num">
                                                            {t.users}
                                                        </td>
                                                        <td data-label="Customers" class="num">
                                                            {t.customers}
                                                        </td>
                                                        <td data-label="Created">
                                                            {crate::app::show_date(t.created_at.date_naive())}
                                                        </td>
                                                        <td>
                                                            {match t.deletion_due {
                                                                Some(due) => {
                                                                    view! {
                                                                        <p class="error hint" data-testid="deletion-due">
                                                                            {format!(
                                                                                "Deletion due {}",
                                                                                crate::app::show_date(due.date_naive()),
                                                                            )}
                                                                        </p>
                                                                        <ActionForm action=keep attr:class="inline">
                                                                            <input type="hidden" name="id" value=t.id.to_string() />
                                                                            <button type="submit" class="small secondary">
                                                                                "Keep workspace"
                                                                            </button>
                                                                        </ActionForm>
                                                                    }
                                                                        .into_any()
                                                                }
                                                                None => {
                                                                    view! {
                                                                        <details class="confirm">
                                                                            <summary class="button small danger">"Delete…"</summary>
                                                                            <ActionForm action=delete attr:class="stack">
                                                                                <input type="hidden" name="id" value=t.id.to_string() />
                                                                                <label for=format!(
                                                                                    "confirm-{}",
                                                                                    t.id,
                                                                                )>{delete_prompt}</label>
                                                                                <input
                                                                                    id=format!("confirm-{}", t.id)
                                                                                    name="confirm"
                                                                                    autocomplete="off"
                                                                                    required
                                                                                />
                                                                                <button type="submit" class="small danger">
                                                                                    "Schedule deletion"
                                                                                </button>
                                                                            </ActionForm>
                                                                        </details>
                                                                    }
                                                                        .into_any()
                                                                }
                                                            }}
                                                            {if suspended {
                                                                view! {
                                                                    <ActionForm action=suspend attr:class="inline">
                                                                        <input type="hidden" name="id" value=t.id.to_string() />
                                                                        <input type="hidden" name="suspended" value="false" />
                                                                        <button type="submit" class="small">
                                                                            "Reactivate"
                                                                        </button>
                                                                    </ActionForm>
                                                                }
                                                                    .into_any()
                                                            } else {
                                                                view! {
                                                                    <details class="confirm">
                                                                        <summary class="button small danger">"Suspend…"</summary>
                                                                        <ActionForm action=suspend attr:class="stack">
                                                                            <input type="hidden" name="id" value=t.id.to_string() />
                                                                            <input type="hidden" name="suspended" value="true" />
                                                                            <label for=format!(
                                                                                "reason-{}",
                                                                                t.id,
                                                                            )>
                                                                                {format!(
                                                                                    "Why suspend {}? Its people lose access at once; its data is kept.",
                                                                                    t.company_name,
                                                                                )}
                                                                            </label>
                                                                            <textarea
                                                                                id=format!("reason-{}", t.id)
                                                                                name="reason"
                                                                                rows="2"
                                                                                maxlength="500"
                                                                                required
                                                                                placeholder="e.g. Chargeback on the last invoice"
                                                                            ></textarea>
                                                                            <button type="submit" class="small danger">
                                                                                "Suspend tenant"
                                                                            </button>
                                                                        </ActionForm>
                                                                    </details>
                                                                }
                                                                    .into_any()
                                                            }}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="pager" aria-label="Pages">
                                {(p > 1)
                                    .then(|| {
                                        view! {
                                            <a href=format!(
                                                "?q={}&page={}",
                                                q(),
                                                p - 1,
                                            )>"← Previous"</a>
                                        }
                                    })}
                                <span>{format!("Page {p} of {pages}")}</span>
                                {(p < pages)
                                    .then(|| {
                                        view! {
                                            <a href=format!("?q={}&page={}", q(), p + 1)>"Next →"</a>
                                        }
                                    })}
                            </nav>
                        }
                            .into_any()
                    }
                },
            )}
        </SiteGate>
    }
}
