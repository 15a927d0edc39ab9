//! The price card: the zone and multiplier, the take-off's lines, the
//! extra items, discount, tax and override, the notes and the totals, all
//! recomputed as the user types.

use leptos::prelude::*;

use super::items::ExtraItems;
use super::Editor;
use crate::error::AppError;
use crate::model::pricing::money;
use crate::model::QuoteDetail;

#[component]
pub fn PriceCard(q: QuoteDetail, ed: Editor) -> impl IntoView {
    let pets = q.property.pets.len();
    let priced = ed.priced();
    let (live, live_errors) = (ed.live, ed.live_errors);
    let costs_visible = q.costs_visible;
    view! {
        <section class="card">
            <h2>"Price"</h2>
            <p class="muted">
                {format!(
                    "{} · × {} ({}) · {} pet{}",
                    q.zone_name.clone().unwrap_or_else(|| "No zone".into()),
                    q.multiplier,
                    q.multiplier_source.describe(),
                    pets,
                    if pets == 1 { "" } else { "s" },
                )}
            </p>
            {move || {
                live.get()
                    .map(|(t, p)| {
                        view! {
                            {(!t.warnings.is_empty())
                                .then(|| {
                                    view! {
                                        <ul class="warnings">
                                            {t
                                                .warnings
                                                .iter()
                                                .map(|w| view! { <li>{w.clone()}</li> })
                                                .collect_view()}
                                        </ul>
                                    }
                                })}
                            <table class="list lines">
                                <thead>
                                    <tr>
                                        <th>"Item"</th>
                                        <th class="num">"Qty"</th>
                                        <th class="num">"Price"</th>
                                        <th class="num">"Amount"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p
                                        .lines
                                        .iter()
                                        .filter(|l| !l.manual)
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
                            </table>
                            <p class="muted">
                                {format!(
                                    "Wire {} with slack: {} boundary × {} + 2 × ({} lead + {} crossings)",
                                    crate::model::pricing::feet_text(t.wire_ft),
                                    crate::model::pricing::feet_text(t.boundary_ft),
                                    ed.drawing.with(|d| d.layout.boundary_factor()),
                                    crate::model::pricing::feet_text(t.lead_ft),
                                    crate::model::pricing::feet_text(t.crossings_ft),
                                )}
                            </p>
                        }
                    })
            }}
            <h3>"Extra items"</h3>
            <ExtraItems ed />
            <div class="row3">
                <TermInput
                    label="Discount (%)"
                    key="discount_pct"
                    live=ed.live_errors
                    value=ed.discount
                    errors=ed.errors
                    disabled=!ed.editable
                />
                <TermInput
                    label="Tax rate (%)"
                    key="tax_pct"
                    live=ed.live_errors
                    value=ed.tax
                    errors=ed.errors
                    disabled=!ed.editable
                />
                <TermInput
                    label="Price override ($)"
                    key="price_override"
                    live=ed.live_errors
                    value=ed.over
                    errors=ed.errors
                    disabled=!ed.editable
                    hint="Pre-tax price; blank to use the items."
                />
            </div>
            {move || {
                live_errors
                    .get()
                    .map(|_| {
                        view! {
                            <p class="warnings" role="status" data-testid="stale">
                                "Showing the last valid figures: correct the highlighted field to update them."
                            </p>
                        }
                    })
            }}
            <div class="field">
                <label for="t-notes">"Notes for the customer"</label>
                <textarea
                    id="t-notes"
                    rows="2"
                    disabled=!ed.editable
                    on:input=move |ev| ed.notes.set(event_target_value(&ev))
                >
                    {ed.notes.get_untracked()}
                </textarea>
            </div>
            {move || {
                priced
                    .get()
                    .map(|p| {
                        view! {
                            <dl class="totals">
                                <dt>"Subtotal"</dt>
                                <dd data-testid="subtotal">{money(p.subtotal)}</dd>
                                <dt>"Discount"</dt>
                                <dd>
                                    {money(p.net - p.subtotal)}
                                    {format!(" ({}%)", p.effective_discount_pct)}
                                </dd>
                                <dt>"Tax"</dt>
                                <dd>{money(p.tax)}</dd>
                                <dt class="grand">"Total"</dt>
                                <dd class="grand" data-testid="total">
                                    {money(p.total)}
                                </dd>
                            </dl>
                            {(costs_visible && p.margin < rust_decimal::Decimal::ZERO)
                                .then(|| {
                                    view! {
                                        <p
                                            class="warnings"
                                            role="alert"
                                            data-testid="negative-margin"
                                        >
                                            {format!(
                                                "This price is below your cost: you would lose {} on this job. Check the discount, the override and the items.",
                                                money(-p.margin),
                                            )}
                                        </p>
                                    }
                                })}
                        }
                    })
            }}
            <p class="muted small">
                {move || {
                    if ed.dirty.get() {
                        "Unsaved changes: the server recomputes every number when you save."
                    } else {
                        "Saved."
                    }
                }}
            </p>
        </section>
    }
}

#[component]
fn TermInput(
    label: &'static str,
    key: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Option<AppError>>,
    /// The message as the user types (the same validation the server runs).
    live: Memo<Option<crate::model::FieldErrors>>,
    #[prop(optional)] hint: Option<&'static str>,
    disabled: bool,
) -> impl IntoView {
    let id = format!("t-{key}");
    let msg = move || {
        live.get()
            .and_then(|f| f.get(key).map(str::to_string))
            .or_else(|| {
                errors
                    .get()
                    .and_then(|e| e.fields().and_then(|f| f.get(key).map(str::to_string)))
            })
    };
    view! {
        <div class="field" class:invalid=move || msg().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="text"
                inputmode="decimal"
                value=value.get_untracked()
                disabled=disabled
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="error" role="alert">
                {msg}
            </p>
        </div>
    }
}
