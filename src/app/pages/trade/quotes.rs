//! Quotes: the list (and the managers' approval queue), the live editor,
//! the printable page and the customer's approval page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::editor::{QuoteActions, QuoteEditor};
use super::properties::use_id;
use crate::api::quotes::{
    get_quote, list_quotes, open_quote_link, CreateJob, ManagerApprove, RespondToQuote, SendQuote,
};
use crate::app::components::{
    action_error, field_error, loaded, successes, Designer, Empty, ErrorBox, FormError, Loading,
    NotFound, StatusTabs,
};
use crate::app::{On, SiteGate};
use crate::error::AppError;
use crate::model::pricing::money;
use crate::model::{CustomerPrice, QuoteStatus};

/// The quotes list's tabs; "Awaiting manager" only on plans with approval
/// workflows (nothing else ever waits for a manager).
fn quote_tabs(workflow: bool) -> Vec<(&'static str, &'static str)> {
    [
        ("", "All"),
        ("draft", "Drafts"),
        ("pending_approval", "Awaiting manager"),
        ("sent", "Sent"),
        ("approved", "Approved"),
        ("declined", "Declined"),
    ]
    .into_iter()
    .filter(|(code, _)| workflow || *code != "pending_approval")
    .collect()
}

#[component]
pub fn QuotesPage() -> impl IntoView {
    // Read inside the SiteGate, which has already waited for the shell.
    let shell = crate::app::use_shell();
    let workflow = move || {
        shell
            .get_untracked()
            .and_then(Result::ok)
            .is_some_and(|s| match s.site {
                crate::model::SiteKind::Tenant(b) => b.approval_workflow,
                crate::model::SiteKind::Platform => false,
            })
    };
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let list = Resource::new(status, |s| list_quotes(Some(s)));
    view! {
        <Title text="Quotes" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Quotes"</h1>
            </div>
            <StatusTabs
                base="/quotes"
                label="Quote status"
                current=Signal::derive(status)
                tabs=quote_tabs(workflow())
            />
            {loaded(
                list,
                move |v| match v {
                    rows if rows.is_empty() => {
                        view! {
                            <Empty title="No quotes here">
                                <p>"Open a customer's property and choose New quote."</p>
                            </Empty>
                        }
                            .into_any()
                    }
                    rows => {
                        view! {
                            <table class="list">
                                <thead>
                                    <tr>
                                        <th>"Quote"</th>
                                        <th>"Customer"</th>
                                        <th class="hide-phone">"Property"</th>
                                        <th>"Status"</th>
                                        <th class="num">"Total"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows
                                        .into_iter()
                                        .map(|q| {
                                            view! {
                                                <tr>
                                                    <td>
                                                        <A href=format!(
                                                            "/quotes/{}",
                                                            q.id,
                                                        )>{format!("Q-{}", q.number)}</A>
                                                    </td>
                                                    <td>{q.customer_name}</td>
                                                    <td class="hide-phone">{q.street}</td>
                                                    <td>
                                                        <span class=format!(
                                                            "pill {}",
                                                            q.status.code(),
                                                        )>{q.status.label()}</span>
                                                    </td>
                                                    <td class="num">{money(q.total)}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }
                },
            )}
        </SiteGate>
    }
}

/// The customer-facing lines and totals (print page and approval link).
#[component]
pub fn QuoteDocument(price: CustomerPrice, boundary_ft: rust_decimal::Decimal) -> impl IntoView {
    let has_discount = price.discount != rust_decimal::Decimal::ZERO;
    view! {
        <table class="list lines">
            <thead>
                <tr>
                    <th>"Item"</th>
                    <th class="num">"Qty"</th>
                    <th class="num">"Unit price"</th>
                    <th class="num">"Amount"</th>
                </tr>
            </thead>
            <tbody>
                {price
                    .lines
                    .iter()
                    .map(|l| {
                        view! {
                            <tr>
                                <td>{l.description.clone()}</td>
                                <td class="num">
                                    {crate::model::pricing::qty_unit(l.qty, &l.unit)}
                                </td>
                                <td class="num">{money(l.unit_price)}</td>
                                <td class="num">{money(l.total)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
            <tfoot>
                <tr>
                    <th colspan="3">"Subtotal"</th>
                    <td class="num">{money(price.subtotal)}</td>
                </tr>
                {has_discount
                    .then(|| {
                        view! {
                            <tr>
                                <th colspan="3">"Discount"</th>
                                <td class="num">{money(-price.discount)}</td>
                            </tr>
                        }
                    })}
                <tr>
                    <th colspan="3">"Tax"</th>
                    <td class="num">{money(price.tax)}</td>
                </tr>
                <tr class="grand">
                    <th colspan="3">"Total"</th>
                    <td class="num" data-testid="doc-total">
                        {money(price.total)}
                    </td>
                </tr>
            </tfoot>
        </table>
        {(!price.fences.is_empty())
            .then(|| {
                view! {
                    <h3>
                        {format!(
                            "Compared with a physical fence along the same {} ft",
                            boundary_ft.normalize(),
                        )}
                    </h3>
                    <table class="list compare">
                        <thead>
                            <tr>
                                <th>"Fence"</th>
                                <th class="num">"Installed"</th>
                                <th class="num">"You save"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {price
                                .fences
                                .iter()
                                .map(|f| {
                                    view! {
                                        <tr>
                                            <td>{f.name.clone()}</td>
                                            <td class="num">{money(f.cost)}</td>
                                            <td class="num">{money(f.savings)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <p class="muted">
                        {format!("About {} a year over the system's life.", money(price.per_year))}
                    </p>
                }
            })}
    }
}

#[component]
pub fn QuotePage() -> impl IntoView {
    let id = use_id("id");
    let bump = RwSignal::new(0u32);
    // Outlives the editor, which is rebuilt from the server's numbers after a save.
    let saved_msg = RwSignal::new(None::<super::editor::Saved>);
    let send = ServerAction::<SendQuote>::new();
    let send_done = successes(move || send.value().get());
    let approve = ServerAction::<ManagerApprove>::new();
    let approve_done = successes(move || approve.value().get());
    let job = ServerAction::<CreateJob>::new();
    let actions = QuoteActions { send, approve, job };
    let quote = Resource::new(
        move || (id.get(), bump.get(), send_done.get(), approve_done.get()),
        |(id, ..)| async move {
            match id {
                Some(id) => get_quote(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Quote" />
        <SiteGate on=On::Tenant>
            {loaded(
                quote,
                move |q| { view! { <QuoteEditor q bump saved_msg actions /> }.into_any() },
            )}
        </SiteGate>
    }
}

#[component]
pub fn QuotePrintPage() -> impl IntoView {
    let id = use_id("id");
    let quote = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_quote(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let shell = crate::app::use_shell();
    view! {
        <SiteGate on=On::Tenant>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let brand = shell
                        .await
                        .ok()
                        .and_then(|s| match s.site {
                            crate::model::SiteKind::Tenant(b) => Some(b),
                            _ => None,
                        });
                    match quote.await {
                        Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        Ok(q) => {
                            let company = brand
                                .as_ref()
                                .map(|b| b.company_name.clone())
                                .unwrap_or_default();
                            let logo = brand
                                .as_ref()
                                .filter(|b| b.logo_version > 0)
                                .map(|b| format!("/brand/logo?v={}", b.logo_version));
                            view! {
                                <Title text=format!("Quote Q-{} · {}", q.number, company) />
                                <article class="print-doc">
                                    <header class="doc-head">
                                        {logo
                                            .map(|l| view! { <img src=l alt="" class="doc-logo" /> })}
                                        <div>
                                            <h1>{company.clone()}</h1>
                                            <p class="doc-contact">
                                                {[q.company_phone.clone(), q.company_email.clone()]
                                                    .into_iter()
                                                    .flatten()
                                                    .collect::<Vec<_>>()
                                                    .join(" · ")}
                                            </p>
                                            <p class="muted">
                                                {format!(
                                                    "Quote Q-{} · version {} · {}",
                                                    q.number,
                                                    q.version,
                                                    q
                                                        .versions
                                                        .first()
                                                        .map(|v| crate::app::local_date(v.2))
                                                        .unwrap_or_default(),
                                                )}
                                            </p>
                                        </div>
                                        <button
                                            type="button"
                                            class="secondary no-print"
                                            on:click=move |_| {
                                                if let Some(w) = web_sys::window() {
                                                    let _ = w.print();
                                                }
                                            }
                                        >
                                            "Print"
                                        </button>
                                    </header>
                                    <p>
                                        <strong>{q.property.customer_name.clone()}</strong>
                                        <br />
                                        {q.property.street.clone()}
                                        <br />
                                        {format!(
                                            "{}, {} {}",
                                            q.property.city,
                                            q.property.state,
                                            q.property.zip,
                                        )}
                                    </p>
                                    <p>
                                        {format!(
                                            "Invisible pet fence: {} layout, {} ft of boundary, {} pet{}.",
                                            q.drawing.layout.label().to_lowercase(),
                                            q.takeoff.boundary_ft.normalize(),
                                            q.property.pets.len(),
                                            if q.property.pets.len() == 1 { "" } else { "s" },
                                        )}
                                    </p>
                                    <p class="doc-status" data-testid="print-status">
                                        {print_status(&q)}
                                    </p>
                                    <figure class="doc-plan">
                                        <Designer drawing=RwSignal::new(q.drawing.clone()) />
                                        <figcaption class="muted small">
                                            "The boundary as planned (north up; the red dot is the property's pin)."
                                        </figcaption>
                                    </figure>
                                    <QuoteDocument
                                        price=CustomerPrice::from(&q.priced)
                                        boundary_ft=q.takeoff.boundary_ft
                                    />
                                    {(!q.terms.notes.is_empty())
                                        .then(|| {
                                            view! { <p class="pre">{q.terms.notes.clone()}</p> }
                                        })}
                                    <p class="muted small">
                                        "Call 811 before digging: utility lines are marked free of charge before installation."
                                    </p>
                                </article>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </SiteGate>
    }
}

/// Where the printed quote stands: its approval, in words.
fn print_status(q: &crate::model::QuoteDetail) -> String {
    match q.status {
        QuoteStatus::Approved => format!(
            "Approved by {} on {}.",
            q.decided_name.clone().unwrap_or_default(),
            q.decided_at.map(crate::app::local_date).unwrap_or_default()
        ),
        QuoteStatus::Declined => format!(
            "Declined on {}.",
            q.decided_at.map(crate::app::local_date).unwrap_or_default()
        ),
        QuoteStatus::Sent => format!(
            "Awaiting your approval{}.",
            q.link_expires_at
                .map(|d| format!(" (the offer stands until {})", crate::app::local_date(d)))
                .unwrap_or_default()
        ),
        QuoteStatus::PendingApproval | QuoteStatus::Draft => {
            "Draft: not yet offered to the customer.".to_string()
        }
    }
}

/// `/q/:token`: the customer's page. No login; shows this one quote.
#[component]
pub fn QuoteLinkPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let respond = ServerAction::<RespondToQuote>::new();
    let respond_done = successes(move || respond.value().get());
    let errors = action_error(move || respond.value().get());
    let name_err = field_error(errors, "name");
    let reason_err = field_error(errors, "reason");
    let quote = Resource::new(
        move || (token(), respond_done.get()),
        |(t, _)| open_quote_link(t),
    );
    view! {
        <Title text="Your quote" />
        <SiteGate on=On::Tenant>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match quote.await {
                        Err(AppError::NotFound) => {
                            view! {
                                <section class="narrow card" data-testid="link-invalid">
                                    <h1>"This link no longer works"</h1>
                                    <p>
                                        "It may have expired, been replaced by a newer version of the quote, or already been answered. Ask the installer to send it again."
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                        Ok(q) => {
                            let tok = token();
                            let tok2 = tok.clone();
                            let open = q.status == QuoteStatus::Sent;
                            view! {
                                <article class="print-doc public-quote">
                                    <header class="doc-head">
                                        <div>
                                            <h1>{q.company_name.clone()}</h1>
                                            <p class="muted">
                                                {format!(
                                                    "Quote Q-{} for {} · {}",
                                                    q.number,
                                                    q.customer_name,
                                                    q.address,
                                                )}
                                            </p>
                                        </div>
                                    </header>
                                    <p>
                                        {format!(
                                            "Invisible pet fence with {} ft of boundary for {} pet{}.",
                                            q.boundary_ft.normalize(),
                                            q.pets,
                                            if q.pets == 1 { "" } else { "s" },
                                        )}
                                    </p>
                                    <QuoteDocument
                                        price=q.price.clone()
                                        boundary_ft=q.boundary_ft
                                    />
                                    {(!q.notes.is_empty())
                                        .then(|| view! { <p class="pre">{q.notes.clone()}</p> })}
                                    <p class="muted small">
                                        {format!(
                                            "This link works until {}.{}{}",
                                            crate::app::local_date(q.expires_at),
                                            q
                                                .phone
                                                .clone()
                                                .map(|p| format!(" Questions? Call {p}."))
                                                .unwrap_or_default(),
                                            q
                                                .support_email
                                                .clone()
                                                .map(|e| format!(" Email {e}."))
                                                .unwrap_or_default(),
                                        )}
                                    </p>
                                    {(!open)
                                        .then(|| {
                                            view! {
                                                <div
                                                    class="banner banner-info"
                                                    role="status"
                                                    data-testid="decision"
                                                >
                                                    {match q.status {
                                                        QuoteStatus::Approved => {
                                                            format!(
                                                                "Approved by {} — thank you! {} will be in touch to schedule the installation.",
                                                                q.decided_name.clone().unwrap_or_default(),
                                                                q.company_name,
                                                            )
                                                        }
                                                        QuoteStatus::Declined => {
                                                            format!(
                                                                "You declined this quote: “{}”",
                                                                q.decline_reason.clone().unwrap_or_default(),
                                                            )
                                                        }
                                                        _ => "This quote is not open for approval.".to_string(),
                                                    }}
                                                </div>
                                            }
                                        })}
                                    {open
                                        .then(|| {
                                            view! {
                                                <section class="card decide">
                                                    <FormError errors />
                                                    <ActionForm action=respond attr:class="stack">
                                                        <input type="hidden" name="token" value=tok.clone() />
                                                        <input type="hidden" name="approve" value="true" />
                                                        <input type="hidden" name="reason" value="" />
                                                        <div
                                                            class="field"
                                                            class:invalid=move || name_err.get().is_some()
                                                        >
                                                            <label for="sig">"Type your full name to approve"</label>
                                                            <input
                                                                id="sig"
                                                                name="name"
                                                                autocomplete="name"
                                                                required
                                                                aria-invalid=move || {
                                                                    if name_err.get().is_some() { "true" } else { "false" }
                                                                }
                                                            />
                                                            <p class="error" role="alert">
                                                                {move || {
                                                                    errors
                                                                        .get()
                                                                        .and_then(|e| {
                                                                            e.fields().and_then(|f| f.get("name").map(str::to_string))
                                                                        })
                                                                }}
                                                            </p>
                                                        </div>
                                                        <button type="submit" class="primary">
                                                            {format!("Approve {}", money(q.price.total))}
                                                        </button>
                                                    </ActionForm>
                                                    <details class="decline">
                                                        <summary>"Decline this quote"</summary>
                                                        <ActionForm action=respond attr:class="stack">
                                                            <input type="hidden" name="token" value=tok2.clone() />
                                                            <input type="hidden" name="approve" value="false" />
                                                            <input type="hidden" name="name" value="" />
                                                            <div
                                                                class="field"
                                                                class:invalid=move || reason_err.get().is_some()
                                                            >
                                                                <label for="reason">"Why are you declining?"</label>
                                                                <textarea
                                                                    id="reason"
                                                                    name="reason"
                                                                    rows="3"
                                                                    required
                                                                    aria-invalid=move || {
                                                                        if reason_err.get().is_some() { "true" } else { "false" }
                                                                    }
                                                                ></textarea>
                                                                <p class="error" role="alert">
                                                                    {move || {
                                                                        errors
                                                                            .get()
                                                                            .and_then(|e| {
                                                                                e.fields().and_then(|f| f.get("reason").map(str::to_string))
                                                                            })
                                                                    }}
                                                                </p>
                                                            </div>
                                                            <button type="submit" class="danger">
                                                                "Decline quote"
                                                            </button>
                                                        </ActionForm>
                                                    </details>
                                                </section>
                                            }
                                        })}
                                </article>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </SiteGate>
    }
}
