//! The customer list and the new-customer page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use super::CustomerFields;
use crate::api::customers::{list_customers, CreateCustomer};
use crate::app::components::{action_error, loaded_keeping, Empty, FormError};
use crate::app::{On, SiteGate};
use crate::model::CustomerForm;

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The list's address with only what is set: `/customers`,
/// `/customers?q=oak`, `/customers?q=oak&page=2&archived=1`.
fn list_url(q: &str, page: u32, archived: bool) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", encode(q)));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if archived {
        parts.push("archived=1".to_string());
    }
    if parts.is_empty() {
        "/customers".to_string()
    } else {
        format!("/customers?{}", parts.join("&"))
    }
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let archived = move || query.read().get("archived").is_some_and(|v| v == "1");
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let list = Resource::new(
        move || (q(), page(), archived()),
        |(q, p, a)| list_customers(q, p, a),
    );
    let link = move |p: u32| list_url(&q(), p, archived());
    // Search as you type: 300 ms after the last key the list follows, and
    // the address bar holds only what is set (no `?q=&page=1`).
    let navigate = leptos_router::hooks::use_navigate();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let on_type = Callback::new(move |ev: leptos::ev::Event| {
        let typed = event_target_value(&ev);
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let navigate = navigate.clone();
        let h = set_timeout_with_handle(
            move || {
                if typed.trim() != q().trim() {
                    navigate(
                        &list_url(typed.trim(), 1, archived()),
                        leptos_router::NavigateOptions {
                            replace: true,
                            scroll: false,
                            ..Default::default()
                        },
                    );
                }
            },
            std::time::Duration::from_millis(300),
        )
        .ok();
        pending.set_value(h);
    });
    view! {
        <Title text="Customers" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Customers"</h1>
                <A href="/customers/new" attr:class="button">
                    "Add customer"
                </A>
            </div>
            <div class="toolbar">
                <Form method="GET" action="" attr:class="search">
                    <label class="sr-only" for="customer-q">
                        "Search customers"
                    </label>
                    <input
                        id="customer-q"
                        type="search"
                        name="q"
                        value=q
                        placeholder="Name, email, phone, street or city"
                        autocomplete="off"
                        on:input=move |ev| on_type.run(ev)
                    />
                    {move || {
                        archived()
                            .then(|| view! { <input type="hidden" name="archived" value="1" /> })
                    }}
                    <button type="submit" class="secondary">
                        "Search"
                    </button>
                </Form>
                <nav class="tabs" aria-label="Customer lists">
                    <A href="/customers" attr:class=move || if archived() { "" } else { "active" }>
                        "Active"
                    </A>
                    <A
                        href="/customers?archived=1"
                        attr:class=move || if archived() { "active" } else { "" }
                    >
                        "Archived"
                    </A>
                </nav>
            </div>
            {loaded_keeping(
                list,
                move |v| match v {
                    p if p.rows.is_empty() => {
                        let searching = !q().is_empty();
                        view! {
                            <Empty title=if searching {
                                "No customers match"
                            } else if archived() {
                                "Nothing archived"
                            } else {
                                "No customers yet"
                            }>
                                {if searching {
                                    view! {
                                        <p>"Try fewer letters, or search by phone or city."</p>
                                    }
                                        .into_any()
                                } else if archived() {
                                    view! {
                                        <p>
                                            "Customers you archive appear here and can be restored."
                                        </p>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <p>"Add the homeowners you quote for."</p>
                                        <A href="/customers/new" attr:class="button">
                                            "Add your first customer"
                                        </A>
                                    }
                                        .into_any()
                                }}
                            </Empty>
                        }
                            .into_any()
                    }
                    p => {
                        let pages = p.pages();
                        let cur = p.page;
                        view! {
                            <p class="muted">
                                {format!(
                                    "{} customer{}",
                                    p.total,
                                    if p.total == 1 { "" } else { "s" },
                                )}
                            </p>
                            <div class="table-wrap card">
                                <table class="customers">
                                    <thead>
                                        <tr>
                                            <th>"Name"</th>
                                            <th>"Contact"</th>
                                            <th>"Address"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {p
                                            .rows
                                            .into_iter()
                                            .map(|c| {
                                                view! {
                                                    <tr>
                                                        <td data-label="Name">
                                                            <A href=format!("/customers/{}", c.id)>{c.name.clone()}</A>
                                                        </td>
                                                        <td data-label="Contact">
                                                            {c.email.clone().unwrap_or_default()}
                                                            {c
                                                                .phone
                                                                .clone()
                                                                .map(|ph| {
                                                                    view! {
                                                                        <br />
                                                                        <span class="muted">{ph}</span>
                                                                    }
                                                                })}
                                                        </td>
                                                        <td data-label="Address">
                                                            {format!("{}, {}, {} {}", c.street, c.city, c.state, c.zip)}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {(pages > 1)
                                .then(|| {
                                    view! {
                                        <nav class="pager" aria-label="Pages">
                                            {(cur > 1)
                                                .then(|| {
                                                    view! { <A href=link(cur - 1)>"← Previous"</A> }
                                                })}
                                            <span>{format!("Page {cur} of {pages}")}</span>
                                            {(cur < pages)
                                                .then(|| view! { <A href=link(cur + 1)>"Next →"</A> })}
                                        </nav>
                                    }
                                })}
                        }
                            .into_any()
                    }
                },
            )}
        </SiteGate>
    }
}

#[component]
pub fn NewCustomerPage() -> impl IntoView {
    let action = ServerAction::<CreateCustomer>::new();
    let errors = action_error(move || action.value().get());
    view! {
        <Title text="Add customer" />
        <SiteGate on=On::Tenant>
            <section class="card form-card">
                <h1>"Add customer"</h1>
                <ActionForm action=action attr:class="stack">
                    <FormError errors />
                    <CustomerFields form=CustomerForm::default() errors />
                    <div class="actions">
                        <button type="submit" disabled=move || action.pending().get()>
                            "Save customer"
                        </button>
                        <A href="/customers" attr:class="button secondary">
                            "Cancel"
                        </A>
                    </div>
                </ActionForm>
            </section>
        </SiteGate>
    }
}

#[cfg(test)]
mod tests {
    use super::list_url;

    #[test]
    fn list_addresses_carry_only_what_is_set() {
        assert_eq!(list_url("", 1, false), "/customers");
        assert_eq!(list_url("oak st", 1, false), "/customers?q=oak%20st");
        assert_eq!(list_url("", 2, true), "/customers?page=2&archived=1");
    }
}
