//! Settings → Your address: the workspace address and the custom domain
//! (add-on): the records to create, their status, a re-check.

use leptos::prelude::*;

use crate::api::domains::{get_domain, CheckDomain, RemoveDomain, SetDomain};
use crate::app::components::{action_error, field_error, loaded, CopyButton, FormError};

#[component]
pub fn DomainSection() -> impl IntoView {
    let set = ServerAction::<SetDomain>::new();
    let check = ServerAction::<CheckDomain>::new();
    let remove = ServerAction::<RemoveDomain>::new();
    let version = RwSignal::new(0u32);
    Effect::new(move |_| {
        // Each is read (tracked) every time: a short-circuit here once
        // left a check that verified the domain without refreshing it.
        let added = matches!(set.value().get(), Some(Ok(_)));
        let checked = check.value().get().is_some();
        let removed = matches!(remove.value().get(), Some(Ok(_)));
        if added || checked || removed {
            version.update(|v| *v += 1);
        }
    });
    let info = Resource::new(move || version.get(), |_| get_domain());
    let set_errors = action_error(move || set.value().get());
    let check_errors = action_error(move || check.value().get());
    let domain_err = field_error(set_errors, "domain");
    view! {
        <section class="card" data-testid="custom-domain">
            <h2>"Your address"</h2>
            {loaded(
                info,
                move |d| {
                    let form_class = move || {
                        if domain_err.get().is_some() { "field invalid" } else { "field" }
                    };
                    view! {
                        <p>"Your team and customers reach you at:"</p>
                        <p>
                            <a href=d.workspace_url.clone()>
                                <strong>{d.workspace_url.clone()}</strong>
                            </a>
                        </p>
                        {match (d.domain.clone(), d.allowed) {
                            (Some(c), _) => {
                                let status = if c.verified {
                                    "Verified: your pages, approval links and emails use it."
                                        .to_string()
                                } else {
                                    c.error
                                        .clone()
                                        .unwrap_or_else(|| {
                                            "Waiting for the DNS records below.".to_string()
                                        })
                                };
                                let status_class = if c.verified {
                                    "banner banner-ok"
                                } else {
                                    "banner banner-info"
                                };
                                view! {
                                    <h3>
                                        {if c.verified {
                                            view! { <a href=c.url.clone()>{c.domain.clone()}</a> }
                                                .into_any()
                                        } else {
                                            c.domain.clone().into_any()
                                        }}
                                    </h3>
                                    <div
                                        class=status_class
                                        role="status"
                                        data-testid="domain-status"
                                    >
                                        {status}
                                    </div>
                                    <FormError errors=check_errors />
                                    <p class="muted">
                                        "Create these records at your domain's DNS host, then check:"
                                    </p>
                                    <div class="table-wrap">
                                        <table class="records">
                                            <thead>
                                                <tr>
                                                    <th>"Type"</th>
                                                    <th>"Name"</th>
                                                    <th>"Value"</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {c
                                                    .records
                                                    .iter()
                                                    .map(|r| {
                                                        view! {
                                                            <tr>
                                                                <td>{r.kind.clone()}</td>
                                                                <td>
                                                                    <code>{r.name.clone()}</code>
                                                                </td>
                                                                <td>
                                                                    <code>{r.value.clone()}</code>
                                                                    " "
                                                                    <CopyButton text=r.value.clone() label="Copy" />
                                                                </td>
                                                            </tr>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                    <div class="actions">
                                        <button
                                            type="button"
                                            class="primary"
                                            disabled=move || check.pending().get()
                                            on:click=move |_| {
                                                check.dispatch(CheckDomain {});
                                            }
                                        >
                                            {move || {
                                                if check.pending().get() {
                                                    "Checking…"
                                                } else {
                                                    "Check DNS records"
                                                }
                                            }}
                                        </button>
                                        <button
                                            type="button"
                                            class="secondary"
                                            on:click=move |_| {
                                                let ok = window()
                                                    .confirm_with_message(
                                                        "Remove the custom domain? It stops showing your workspace at once.",
                                                    )
                                                    .unwrap_or(false);
                                                if ok {
                                                    remove.dispatch(RemoveDomain {});
                                                }
                                            }
                                        >
                                            "Remove domain"
                                        </button>
                                    </div>
                                }
                                    .into_any()
                            }
                            (None, true) => {
                                view! {
                                    <ActionForm action=set attr:class="stack">
                                        <FormError errors=set_errors />
                                        <div class=form_class>
                                            <label for="f-domain">"Custom domain"</label>
                                            <input
                                                id="f-domain"
                                                name="domain"
                                                placeholder="portal.yourcompany.com"
                                                autocomplete="off"
                                                required
                                            />
                                            <p class="hint">
                                                "A domain your company owns. You will add two DNS records to prove it and point it here."
                                            </p>
                                            <p class="error" role="alert">
                                                {move || domain_err.get()}
                                            </p>
                                        </div>
                                        <button type="submit">"Add domain"</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            (None, false) => {
                                view! {
                                    <p class="muted">
                                        "Use your own domain (like portal.yourcompany.com) with the custom domain add-on ($10/month). "
                                        <a href="/settings/billing">"Add it"</a>
                                    </p>
                                }
                                    .into_any()
                            }
                        }}
                    }
                        .into_any()
                },
            )}
        </section>
    }
}
