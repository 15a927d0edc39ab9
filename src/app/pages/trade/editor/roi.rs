//! The ROI panel: for the homeowner, the invisible fence against physical
//! fences of the same length; for the installer (roles that see costs),
//! the margin after materials, crew and travel.

use leptos::prelude::*;

use crate::model::pricing::{money, Priced};

/// The installer's ROI panel.
#[component]
pub fn RoiPanel(
    priced: Signal<Option<Priced>>,
    costs_visible: bool,
    /// Whether the price book has a depot (else travel cannot be costed, and
    /// the panel says so instead of showing $0).
    has_depot: bool,
) -> impl IntoView {
    move || {
        priced.get().map(|p| {
            view! {
                <section class="card roi" data-testid="roi">
                    <h2>"ROI"</h2>
                    <h3>"For the homeowner"</h3>
                    {if p.fences.is_empty() {
                        view! {
                            <p class="muted">
                                "Draw the boundary to compare with a physical fence."
                            </p>
                        }
                            .into_any()
                    } else {
                        view! {
                            <table class="list compare">
                                <thead>
                                    <tr>
                                        <th>"Instead of"</th>
                                        <th class="num">"Would cost"</th>
                                        <th class="num">"Saves"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p
                                        .fences
                                        .iter()
                                        .map(|f| {
                                            view! {
                                                <tr>
                                                    <td>{format!("{} ({}/ft)", f.name, money(f.per_ft))}</td>
                                                    <td class="num">{money(f.cost)}</td>
                                                    <td class="num" class:neg=f.savings.is_sign_negative()>
                                                        {money(f.savings)}
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <p class="muted">{format!("{} a year of use", money(p.per_year))}</p>
                        }
                            .into_any()
                    }}
                    {costs_visible
                        .then(|| {
                            view! {
                                <h3>"For you"</h3>
                                <dl class="figures">
                                    <dt>"Price before tax"</dt>
                                    <dd>{money(p.net)}</dd>
                                    <dt>"Materials"</dt>
                                    <dd>{money(-p.materials_cost)}</dd>
                                    <dt>{format!("Crew ({} h)", p.labour_hours.normalize())}</dt>
                                    <dd>{money(-p.labour_cost)}</dd>
                                    {if has_depot {
                                        view! {
                                            <dt>
                                                {format!(
                                                    "Travel ({} mi round trip)",
                                                    p.travel_miles.normalize(),
                                                )}
                                            </dt>
                                            <dd>{money(-p.travel_cost)}</dd>
                                        }
                                            .into_any()
                                    } else {
                                        view! {
                                            <dt>"Travel"</dt>
                                            <dd class="muted" data-testid="no-depot">
                                                "Not included: set your depot in "
                                                <a href="/settings/pricebook">"Settings → Price book"</a>
                                            </dd>
                                        }
                                            .into_any()
                                    }}
                                    <dt class="strong">"Margin"</dt>
                                    <dd
                                        class="strong"
                                        data-testid="margin"
                                        class:neg=p.margin.is_sign_negative()
                                    >
                                        {format!("{} ({}%)", money(p.margin), p.margin_pct)}
                                    </dd>
                                    <dt>"Margin per crew hour"</dt>
                                    <dd data-testid="margin-hour">
                                        {money(p.margin_per_crew_hour)}
                                    </dd>
                                </dl>
                            }
                        })}
                </section>
            }
        })
    }
}
