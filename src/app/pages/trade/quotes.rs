//! Quotes: the list (and the managers' approval queue), the live editor,
//! the printable page and the customer's approval page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::properties::use_id;
use crate::api::quotes::{
    get_quote, list_quotes, open_quote_link, save_quote, CreateJob, ManagerApprove, RespondToQuote,
    SendQuote,
};
use crate::app::components::{
    action_error, Designer, Empty, ErrorBox, FormError, Loading, NotFound,
};
use crate::app::{On, SiteGate};
use crate::error::AppError;
use crate::model::pricing::{money, price_drawing, ManualItem, Priced, QuoteTerms};
use crate::model::{CustomerPrice, QuoteDetail, QuoteStatus};

#[component]
pub fn QuotesPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let list = Resource::new(status, |s| list_quotes(Some(s)));
    let tab = move |code: &'static str, label: &'static str| {
        view! {
            <a href=if code.is_empty() { "/quotes".to_string() } else { format!("/quotes?status={code}") }
               class:active=move || status() == code aria-current=move || (status() == code).then_some("page")>{label}</a>
        }
    };
    view! {
        <Title text="Quotes"/>
        <SiteGate on=On::Tenant>
            <div class="page-head"><h1>"Quotes"</h1></div>
            <nav class="tabs" aria-label="Quote status">
                {tab("", "All")}
                {tab("draft", "Drafts")}
                {tab("pending_approval", "Awaiting manager")}
                {tab("sent", "Sent")}
                {tab("approved", "Approved")}
                {tab("declined", "Declined")}
            </nav>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(rows) if rows.is_empty() => view! {
                            <Empty title="No quotes here"><p>"Open a customer's property and choose New quote."</p></Empty>
                        }.into_any(),
                        Ok(rows) => view! {
                            <table class="list">
                                <thead><tr><th>"Quote"</th><th>"Customer"</th><th class="hide-phone">"Property"</th><th>"Status"</th><th class="num">"Total"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|q| view! {
                                        <tr>
                                            <td><A href=format!("/quotes/{}", q.id)>{format!("Q-{}", q.number)}</A></td>
                                            <td>{q.customer_name}</td>
                                            <td class="hide-phone">{q.street}</td>
                                            <td><span class=format!("pill {}", q.status.code())>{q.status.label()}</span></td>
                                            <td class="num">{money(q.total)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </SiteGate>
    }
}

/// The customer-facing lines and totals (print page and approval link).
#[component]
pub fn QuoteDocument(price: CustomerPrice, boundary_ft: rust_decimal::Decimal) -> impl IntoView {
    let has_discount = price.discount != rust_decimal::Decimal::ZERO;
    view! {
        <table class="list lines">
            <thead><tr><th>"Item"</th><th class="num">"Qty"</th><th class="num">"Unit price"</th><th class="num">"Amount"</th></tr></thead>
            <tbody>
                {price.lines.iter().map(|l| view! {
                    <tr><td>{l.description.clone()}</td><td class="num">{format!("{} {}", l.qty.normalize(), l.unit)}</td>
                        <td class="num">{money(l.unit_price)}</td><td class="num">{money(l.total)}</td></tr>
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr><th colspan="3">"Subtotal"</th><td class="num">{money(price.subtotal)}</td></tr>
                {has_discount.then(|| view! { <tr><th colspan="3">"Discount"</th><td class="num">{money(-price.discount)}</td></tr> })}
                <tr><th colspan="3">"Tax"</th><td class="num">{money(price.tax)}</td></tr>
                <tr class="grand"><th colspan="3">"Total"</th><td class="num" data-testid="doc-total">{money(price.total)}</td></tr>
            </tfoot>
        </table>
        {(!price.fences.is_empty()).then(|| view! {
            <h3>{format!("Compared with a physical fence along the same {} ft", boundary_ft.normalize())}</h3>
            <table class="list compare">
                <thead><tr><th>"Fence"</th><th class="num">"Installed"</th><th class="num">"You save"</th></tr></thead>
                <tbody>
                    {price.fences.iter().map(|f| view! {
                        <tr><td>{f.name.clone()}</td><td class="num">{money(f.cost)}</td><td class="num">{money(f.savings)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">{format!("About {} a year over the system's life.", money(price.per_year))}</p>
        })}
    }
}

/// The installer's ROI panel.
#[component]
fn RoiPanel(priced: Signal<Option<Priced>>, costs_visible: bool) -> impl IntoView {
    move || {
        priced.get().map(|p| {
            view! {
                <section class="card roi" data-testid="roi">
                    <h2>"ROI"</h2>
                    <h3>"For the homeowner"</h3>
                    {if p.fences.is_empty() {
                        view! { <p class="muted">"Draw the boundary to compare with a physical fence."</p> }.into_any()
                    } else {
                        view! {
                            <table class="list compare">
                                <thead><tr><th>"Instead of"</th><th class="num">"Would cost"</th><th class="num">"Saves"</th></tr></thead>
                                <tbody>
                                    {p.fences.iter().map(|f| view! {
                                        <tr><td>{format!("{} ({}/ft)", f.name, money(f.per_ft))}</td><td class="num">{money(f.cost)}</td>
                                            <td class="num" class:neg=f.savings.is_sign_negative()>{money(f.savings)}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <p class="muted">{format!("{} a year of use", money(p.per_year))}</p>
                        }.into_any()
                    }}
                    {costs_visible.then(|| view! {
                    <h3>"For you"</h3>
                    <dl class="figures">
                        <dt>"Price before tax"</dt><dd>{money(p.net)}</dd>
                        <dt>"Materials"</dt><dd>{money(-p.materials_cost)}</dd>
                        <dt>{format!("Crew ({} h)", p.labour_hours.normalize())}</dt><dd>{money(-p.labour_cost)}</dd>
                        <dt>{format!("Travel ({} mi round trip)", p.travel_miles.normalize())}</dt><dd>{money(-p.travel_cost)}</dd>
                        <dt class="strong">"Margin"</dt><dd class="strong" data-testid="margin" class:neg=p.margin.is_sign_negative()>{format!("{} ({}%)", money(p.margin), p.margin_pct)}</dd>
                        <dt>"Margin per crew hour"</dt><dd data-testid="margin-hour">{money(p.margin_per_crew_hour)}</dd>
                    </dl>
                    })}
                </section>
            }
        })
    }
}

#[component]
pub fn QuotePage() -> impl IntoView {
    let id = use_id("id");
    let bump = RwSignal::new(0u32);
    // Outlives the editor, which is rebuilt from the server's numbers after a save.
    let saved_msg = RwSignal::new(None::<String>);
    let send = ServerAction::<SendQuote>::new();
    let approve = ServerAction::<ManagerApprove>::new();
    let job = ServerAction::<CreateJob>::new();
    let job_errors = action_error(move || job.value().get());
    let approve_errors = action_error(move || approve.value().get());
    let quote = Resource::new(
        move || {
            (
                id.get(),
                bump.get(),
                send.version().get(),
                approve.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_quote(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Quote"/>
        <SiteGate on=On::Tenant>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match quote.await {
                        Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(q) => view! { <QuoteEditor q bump saved_msg send approve job job_errors approve_errors/> }.into_any(),
                    }
                })}
            </Suspense>
        </SiteGate>
    }
}

#[component]
fn TermInput(
    label: &'static str,
    key: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Option<AppError>>,
    #[prop(optional)] hint: Option<&'static str>,
    disabled: bool,
) -> impl IntoView {
    let id = format!("t-{key}");
    let msg = move || {
        errors
            .get()
            .and_then(|e| e.fields().and_then(|f| f.get(key).map(str::to_string)))
    };
    view! {
        <div class="field" class:invalid=move || msg().is_some()>
            <label for=id.clone()>{label}</label>
            <input id=id type="text" inputmode="decimal" value=value.get_untracked() disabled=disabled
                on:input=move |ev| value.set(event_target_value(&ev))/>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="error" role="alert">{msg}</p>
        </div>
    }
}

#[component]
fn QuoteEditor(
    q: QuoteDetail,
    bump: RwSignal<u32>,
    saved_msg: RwSignal<Option<String>>,
    send: ServerAction<SendQuote>,
    approve: ServerAction<ManagerApprove>,
    job: ServerAction<CreateJob>,
    job_errors: Signal<Option<AppError>>,
    approve_errors: Signal<Option<AppError>>,
) -> impl IntoView {
    let editable = q.can_edit && q.status.editable();
    let drawing = RwSignal::new(q.drawing.clone());
    let discount = RwSignal::new(q.terms.discount_pct.clone());
    let tax = RwSignal::new(q.terms.tax_pct.clone());
    let over = RwSignal::new(q.terms.price_override.clone());
    let notes = RwSignal::new(q.terms.notes.clone());
    let next_key = StoredValue::new(q.terms.items.len() as u32);
    let items = RwSignal::new(
        q.terms
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| ItemRow::new(i as u32, it.clone()))
            .collect::<Vec<_>>(),
    );
    let errors = RwSignal::new(None::<AppError>);
    let saving = RwSignal::new(false);
    let original = RwSignal::new((q.drawing.clone(), q.terms.clone()));
    let terms = move || QuoteTerms {
        items: items.with(|v| v.iter().map(ItemRow::get).collect()),
        discount_pct: discount.get(),
        tax_pct: tax.get(),
        price_override: over.get(),
        notes: notes.get(),
    };
    let dirty = Memo::new(move |_| {
        original.with(|(d, t)| !drawing.with(|x| x.same_wire(d)) || terms() != *t)
    });
    let catalogue = StoredValue::new(q.catalogue.clone());
    let (m, src) = (q.multiplier, q.multiplier_source);
    let lot = q.property.lot_sqft;
    let pets = q.property.pets.len() as u32;
    let location = q.property.location();
    // The live numbers: the same Rust code the server runs on save.
    let live = Memo::new(move |_| {
        let t = terms();
        t.validate().ok().map(|valid| {
            catalogue.with_value(|c| {
                price_drawing(c, (m, src), &drawing.get(), lot, pets, &valid, location)
            })
        })
    });
    let live_errors = Memo::new(move |_| terms().validate().err());
    let priced = Signal::derive(move || live.get().map(|(_, p)| p));
    let qid = q.id;
    let save = move |_| {
        saving.set(true);
        saved_msg.set(None);
        let json = serde_json::to_string(&drawing.get_untracked()).unwrap_or_default();
        let t = terms();
        let terms_now = t.clone();
        leptos::task::spawn_local(async move {
            let r = save_quote(qid, json, t).await;
            saving.set(false);
            match r {
                Ok(v) => {
                    errors.set(None);
                    original.set((drawing.get_untracked(), terms_now));
                    saved_msg.set(Some(format!("Saved as version {v}.")));
                    bump.update(|n| *n += 1);
                }
                Err(e) => errors.set(Some(e)),
            }
        });
    };
    let sent = move || send.value().get();
    let workflow_note = (q.workflow && q.status == QuoteStatus::Draft).then(|| {
        if q.manager_approved {
            "A manager approved this version's discount; it can be sent.".to_string()
        } else {
            format!(
                "Discounts above {}% need a manager's approval before sending.",
                q.catalogue.approval_discount_pct.normalize()
            )
        }
    });
    let status_banner = match q.status {
        QuoteStatus::Approved => Some(format!(
            "Approved by {} on {}.",
            q.decided_name.clone().unwrap_or_default(),
            q.decided_at
                .map(|d| d.format("%b %-d, %Y at %H:%M UTC").to_string())
                .unwrap_or_default()
        )),
        QuoteStatus::Declined => Some(format!(
            "Declined on {}: “{}”",
            q.decided_at
                .map(|d| d.format("%b %-d, %Y").to_string())
                .unwrap_or_default(),
            q.decline_reason.clone().unwrap_or_default()
        )),
        QuoteStatus::PendingApproval => {
            Some("Waiting for a manager to approve the discount.".to_string())
        }
        QuoteStatus::Sent => Some(format!(
            "Sent to the customer; the link works until {}.",
            q.link_expires_at
                .map(|d| d.format("%b %-d, %Y").to_string())
                .unwrap_or_else(|| "it is replaced".into())
        )),
        QuoteStatus::Draft => None,
    };
    let map = q
        .map_tiles
        .clone()
        .zip(location)
        .map(|(t, (a, b))| (t, a, b));
    let versions = q.versions.clone();
    view! {
        <Title text=format!("Quote Q-{}", q.number)/>
        <nav class="crumbs"><A href="/quotes">"Quotes"</A>" / "<A href=format!("/properties/{}", q.property.id)>{q.property.title()}</A>" / "</nav>
        <div class="page-head">
            <h1>{format!("Quote Q-{} ", q.number)}<span class=format!("pill {}", q.status.code()) data-testid="quote-status">{q.status.label()}</span></h1>
            <div class="actions">
                <a class="button secondary" href=format!("/quotes/{}/print", q.id) target="_blank">"Print"</a>
                {editable.then(|| view! {
                    <button type="button" on:click=save disabled=move || saving.get() || !dirty.get()>{move || if saving.get() { "Saving…" } else { "Save" }}</button>
                })}
                {(q.can_edit && matches!(q.status, QuoteStatus::Draft | QuoteStatus::Sent)).then(|| view! {
                    <button type="button" class="primary" disabled=move || dirty.get() || send.pending().get()
                        title=move || if dirty.get() { "Save your changes first" } else { "" }
                        on:click=move |_| { saved_msg.set(None); send.dispatch(SendQuote { id: qid }); }>
                        {if q.status == QuoteStatus::Sent { "Send a new link" } else { "Send to customer" }}</button>
                })}
                {(q.can_approve && q.status == QuoteStatus::PendingApproval).then(|| view! {
                    <button type="button" on:click=move |_| { approve.dispatch(ManagerApprove { id: qid }); }>"Approve discount"</button>
                })}
                {(q.status == QuoteStatus::Approved && q.job_id.is_none() && q.can_edit).then(|| view! {
                    <ActionForm action=job attr:class="inline">
                        <input type="hidden" name="quote_id" value=qid.to_string()/>
                        <button type="submit" class="primary">"Create job"</button>
                    </ActionForm>
                })}
                {q.job_id.map(|j| view! { <A href=format!("/jobs/{j}") attr:class="button">"Open job"</A> })}
            </div>
        </div>
        {status_banner.map(|b| view! { <div class="banner banner-info" role="status">{b}</div> })}
        {workflow_note.map(|b| view! { <p class="hint">{b}</p> })}
        <FormError errors=job_errors/>
        <FormError errors=approve_errors/>
        {move || sent().map(|r| match r {
            Ok(o) if o.pending_approval => view! { <div class="banner banner-info" role="status">"The discount passes your approval threshold: the quote is waiting for a manager."</div> }.into_any(),
            Ok(o) => view! {
                <div class="banner banner-ok" role="status">
                    {if o.emailed { "Sent. The customer was emailed this approval link:" } else { "The customer has no email address; share this approval link:" }}
                    <input class="link-box" readonly data-testid="approval-link" value=o.link.clone().unwrap_or_default()/>
                </div>
            }.into_any(),
            Err(e) => view! { <div class="banner banner-error" role="alert">{e.to_string()}</div> }.into_any(),
        })}
        {move || saved_msg.get().map(|m| view! { <div class="banner banner-ok" role="status">{m}</div> })}
        {move || errors.get().map(|e| view! { <div class="banner banner-error" role="alert">{
            e.fields().and_then(|f| f.get("drawing").map(str::to_string)).unwrap_or_else(|| e.to_string())
        }</div> })}
        <div class="quote-grid">
            <section class="card">
                <h2>"Boundary"</h2>
                <Designer drawing editable=editable map=map/>
            </section>
            <div class="stack">
                <section class="card">
                    <h2>"Price"</h2>
                    <p class="muted">{format!("{} · × {} ({}) · {} pet{}", q.zone_name.clone().unwrap_or_else(|| "No zone".into()), q.multiplier, q.multiplier_source.describe(), pets, if pets == 1 { "" } else { "s" })}</p>
                    {move || live.get().map(|(t, p)| view! {
                        {(!t.warnings.is_empty()).then(|| view! { <ul class="warnings">{t.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}</ul> })}
                        <table class="list lines">
                            <thead><tr><th>"Item"</th><th class="num">"Qty"</th><th class="num">"Price"</th><th class="num">"Amount"</th></tr></thead>
                            <tbody>
                                {p.lines.iter().filter(|l| !l.manual).map(|l| view! {
                                    <tr><td>{l.description.clone()}</td><td class="num">{format!("{} {}", l.qty.normalize(), l.unit)}</td>
                                        <td class="num">{money(l.unit_price)}</td><td class="num">{money(l.total)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p class="muted">{format!("Wire {} ft with slack: {} ft boundary × {} + 2 × ({} ft lead + {} ft crossings)",
                            t.wire_ft, t.boundary_ft, drawing.with(|d| d.layout.boundary_factor()), t.lead_ft, t.crossings_ft)}</p>
                    })}
                    <h3>"Extra items"</h3>
                    <div class="items">
                        <For each=move || items.get() key=|r| r.key let:row>
                            {
                                // The row's position now (rows can be removed above it).
                                let index = move || items.with(|v| v.iter().position(|r| r.key == row.key).unwrap_or(0));
                                let msg = move || {
                                    let k = format!("item{}", index());
                                    errors.get().and_then(|e| e.fields().and_then(|f| f.get(&k).map(str::to_string)))
                                        .or_else(|| live_errors.get().and_then(|f| f.get(&k).map(str::to_string)))
                                };
                                view! {
                                    <div class="item-row">
                                        <input aria-label=move || format!("Item {} description", index() + 1) placeholder="Description"
                                            value=row.description.get_untracked() disabled=!editable
                                            on:input=move |ev| row.description.set(event_target_value(&ev))/>
                                        <input aria-label=move || format!("Item {} quantity", index() + 1) class="qty" inputmode="decimal" placeholder="Qty"
                                            value=row.qty.get_untracked() disabled=!editable
                                            on:input=move |ev| row.qty.set(event_target_value(&ev))/>
                                        <input aria-label=move || format!("Item {} unit price", index() + 1) class="price" inputmode="decimal" placeholder="Unit price"
                                            value=row.unit_price.get_untracked() disabled=!editable
                                            on:input=move |ev| row.unit_price.set(event_target_value(&ev))/>
                                        {editable.then(|| view! {
                                            <button type="button" class="link" on:click=move |_| items.update(|v| v.retain(|r| r.key != row.key))>"Remove"</button>
                                        })}
                                        <p class="error" role="alert">{msg}</p>
                                    </div>
                                }
                            }
                        </For>
                        {editable.then(|| view! {
                            <button type="button" class="secondary small" on:click=move |_| {
                                let key = next_key.get_value();
                                next_key.set_value(key + 1);
                                items.update(|v| v.push(ItemRow::new(key, ManualItem { qty: "1".into(), ..Default::default() })));
                            }>"Add item"</button>
                        })}
                    </div>
                    <div class="row3">
                        <TermInput label="Discount (%)" key="discount_pct" value=discount errors disabled=!editable/>
                        <TermInput label="Tax rate (%)" key="tax_pct" value=tax errors disabled=!editable/>
                        <TermInput label="Price override ($)" key="price_override" value=over errors disabled=!editable hint="Pre-tax price; blank to use the items."/>
                    </div>
                    {move || live_errors.get().map(|f| view! {
                        <ul class="warnings">{f.0.iter().filter(|(k, _)| !k.starts_with("item")).map(|(_, m)| view! { <li>{m.clone()}</li> }).collect_view()}</ul>
                    })}
                    <div class="field">
                        <label for="t-notes">"Notes for the customer"</label>
                        <textarea id="t-notes" rows="2" disabled=!editable on:input=move |ev| notes.set(event_target_value(&ev))>{notes.get_untracked()}</textarea>
                    </div>
                    {move || priced.get().map(|p| view! {
                        <dl class="totals">
                            <dt>"Subtotal"</dt><dd data-testid="subtotal">{money(p.subtotal)}</dd>
                            <dt>"Discount"</dt><dd>{money(p.net - p.subtotal)}{format!(" ({}%)", p.effective_discount_pct)}</dd>
                            <dt>"Tax"</dt><dd>{money(p.tax)}</dd>
                            <dt class="grand">"Total"</dt><dd class="grand" data-testid="total">{money(p.total)}</dd>
                        </dl>
                    })}
                    <p class="muted small">{move || if dirty.get() { "Unsaved changes: the server recomputes every number when you save." } else { "Saved." }}</p>
                </section>
                <RoiPanel priced costs_visible=q.costs_visible/>
                <section class="card">
                    <h2>"Versions"</h2>
                    <ul class="plain-list">
                        {versions.into_iter().map(|(v, total, at)| view! {
                            <li>{format!("v{v} · {} · {}", money(total), at.format("%b %-d, %Y %H:%M"))}</li>
                        }).collect_view()}
                    </ul>
                </section>
            </div>
        </div>
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
                    let brand = shell.await.ok().and_then(|s| match s.site { crate::model::SiteKind::Tenant(b) => Some(b), _ => None });
                    match quote.await {
                        Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(q) => {
                            let company = brand.as_ref().map(|b| b.company_name.clone()).unwrap_or_default();
                            let logo = brand.as_ref().filter(|b| b.logo_version > 0).map(|b| format!("/brand/logo?v={}", b.logo_version));
                            view! {
                                <Title text=format!("Quote Q-{} · {}", q.number, company)/>
                                <article class="print-doc">
                                    <header class="doc-head">
                                        {logo.map(|l| view! { <img src=l alt="" class="doc-logo"/> })}
                                        <div><h1>{company.clone()}</h1><p class="muted">{format!("Quote Q-{} · version {} · {}", q.number, q.version, q.versions.first().map(|v| v.2.format("%b %-d, %Y").to_string()).unwrap_or_default())}</p></div>
                                        <button type="button" class="secondary no-print" on:click=move |_| { if let Some(w) = web_sys::window() { let _ = w.print(); } }>"Print"</button>
                                    </header>
                                    <p><strong>{q.property.customer_name.clone()}</strong><br/>{q.property.street.clone()}<br/>{format!("{}, {} {}", q.property.city, q.property.state, q.property.zip)}</p>
                                    <p>{format!("Invisible pet fence: {} layout, {} ft of boundary, {} pet{}.", q.drawing.layout.label().to_lowercase(), q.takeoff.boundary_ft.normalize(), q.property.pets.len(), if q.property.pets.len() == 1 { "" } else { "s" })}</p>
                                    <QuoteDocument price=CustomerPrice::from(&q.priced) boundary_ft=q.takeoff.boundary_ft/>
                                    {(!q.terms.notes.is_empty()).then(|| view! { <p class="pre">{q.terms.notes.clone()}</p> })}
                                    <p class="muted small">"Call 811 before digging: utility lines are marked free of charge before installation."</p>
                                </article>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </SiteGate>
    }
}

/// `/q/:token`: the customer's page. No login; shows this one quote.
#[component]
pub fn QuoteLinkPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let respond = ServerAction::<RespondToQuote>::new();
    let errors = action_error(move || respond.value().get());
    let quote = Resource::new(
        move || (token(), respond.version().get()),
        |(t, _)| open_quote_link(t),
    );
    view! {
        <Title text="Your quote"/>
        <SiteGate on=On::Tenant>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match quote.await {
                        Err(AppError::NotFound) => view! {
                            <section class="narrow card" data-testid="link-invalid">
                                <h1>"This link no longer works"</h1>
                                <p>"It may have expired, been replaced by a newer version of the quote, or already been answered. Ask the installer to send it again."</p>
                            </section>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(q) => {
                            let tok = token();
                            let tok2 = tok.clone();
                            let open = q.status == QuoteStatus::Sent;
                            view! {
                                <article class="print-doc public-quote">
                                    <header class="doc-head">
                                        <div><h1>{q.company_name.clone()}</h1>
                                        <p class="muted">{format!("Quote Q-{} for {} · {}", q.number, q.customer_name, q.address)}</p></div>
                                    </header>
                                    <p>{format!("Invisible pet fence with {} ft of boundary for {} pet{}.", q.boundary_ft.normalize(), q.pets, if q.pets == 1 { "" } else { "s" })}</p>
                                    <QuoteDocument price=q.price.clone() boundary_ft=q.boundary_ft/>
                                    {(!q.notes.is_empty()).then(|| view! { <p class="pre">{q.notes.clone()}</p> })}
                                    <p class="muted small">{format!("This link works until {}.{}{}", q.expires_at.format("%b %-d, %Y"),
                                        q.phone.clone().map(|p| format!(" Questions? Call {p}.")).unwrap_or_default(),
                                        q.support_email.clone().map(|e| format!(" Email {e}.")).unwrap_or_default())}</p>
                                    {(!open).then(|| view! {
                                        <div class="banner banner-info" role="status" data-testid="decision">{match q.status {
                                            QuoteStatus::Approved => format!("Approved by {} — thank you! {} will be in touch to schedule the installation.", q.decided_name.clone().unwrap_or_default(), q.company_name),
                                            QuoteStatus::Declined => format!("You declined this quote: “{}”", q.decline_reason.clone().unwrap_or_default()),
                                            _ => "This quote is not open for approval.".to_string(),
                                        }}</div>
                                    })}
                                    {open.then(|| view! {
                                        <section class="card decide">
                                            <FormError errors/>
                                            <ActionForm action=respond attr:class="stack">
                                                <input type="hidden" name="token" value=tok.clone()/>
                                                <input type="hidden" name="approve" value="true"/>
                                                <input type="hidden" name="reason" value=""/>
                                                <div class="field"><label for="sig">"Type your full name to approve"</label>
                                                    <input id="sig" name="name" autocomplete="name" required/>
                                                    <p class="error" role="alert">{move || errors.get().and_then(|e| e.fields().and_then(|f| f.get("name").map(str::to_string)))}</p></div>
                                                <button type="submit" class="primary">{format!("Approve {}", money(q.price.total))}</button>
                                            </ActionForm>
                                            <details class="decline">
                                                <summary>"Decline this quote"</summary>
                                                <ActionForm action=respond attr:class="stack">
                                                    <input type="hidden" name="token" value=tok2.clone()/>
                                                    <input type="hidden" name="approve" value="false"/>
                                                    <input type="hidden" name="name" value=""/>
                                                    <div class="field"><label for="reason">"Why are you declining?"</label>
                                                        <textarea id="reason" name="reason" rows="3" required></textarea>
                                                        <p class="error" role="alert">{move || errors.get().and_then(|e| e.fields().and_then(|f| f.get("reason").map(str::to_string)))}</p></div>
                                                    <button type="submit" class="danger">"Decline quote"</button>
                                                </ActionForm>
                                            </details>
                                        </section>
                                    })}
                                </article>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </SiteGate>
    }
}

/// One extra item being edited: a stable key and a signal per field, so
/// typing in one field never re-creates the row (and loses focus).
#[derive(Clone, Copy)]
struct ItemRow {
    key: u32,
    description: RwSignal<String>,
    qty: RwSignal<String>,
    unit_price: RwSignal<String>,
}

impl ItemRow {
    fn new(key: u32, it: ManualItem) -> ItemRow {
        ItemRow {
            key,
            description: RwSignal::new(it.description),
            qty: RwSignal::new(it.qty),
            unit_price: RwSignal::new(it.unit_price),
        }
    }

    fn get(&self) -> ManualItem {
        ManualItem {
            description: self.description.get(),
            qty: self.qty.get(),
            unit_price: self.unit_price.get(),
        }
    }
}
