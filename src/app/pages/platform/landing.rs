//! The landing page with the plans and add-ons.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::model::{ADDONS, PLANS};

#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <Title text="Software for invisible-fence installers" />
        <section class="hero">
            <h1>"Run your invisible-fence business from one place."</h1>
            <p class="lead">
                "Customers, priced quotes with a live ROI calculator, installation jobs, crew routes and photo proof, "
                "built for the pet-containment trade. Your own branded workspace in under five minutes."
            </p>
            <div class="cta">
                <A href="/signup?plan=growth" attr:class="button large">
                    "Start your 14-day free trial"
                </A>
                <span class="muted">"No card needed."</span>
            </div>
        </section>
        <section class="features">
            <div class="card">
                <h3>"Quotes that sell"</h3>
                <p>
                    "Draw the boundary, get wire, flags and labour taken off, priced for the property's state."
                </p>
            </div>
            <div class="card">
                <h3>"Your brand"</h3>
                <p>"Your subdomain, colour and logo on every page your customers and crews see."</p>
            </div>
            <div class="card">
                <h3>"Crews in the field"</h3>
                <p>"Today's jobs, checklists and before/after photos from any phone."</p>
            </div>
            <div class="card">
                <h3>"Your data stays yours"</h3>
                <p>"Every business is isolated at the database itself, not just in the app."</p>
            </div>
        </section>
        <section id="pricing" class="pricing">
            <h2>"Simple plans"</h2>
            <div class="plans">
                {PLANS
                    .iter()
                    .map(|p| {
                        let featured = p.code == crate::model::PlanCode::Growth;
                        view! {
                            <article class="plan card" class:featured=featured>
                                {featured
                                    .then(|| view! { <span class="badge">"Most popular"</span> })}
                                <h3>{p.name}</h3>
                                <p class="price">
                                    <span class="amount">
                                        {format!("${}", p.monthly_price_dollars)}
                                    </span>
                                    " / month"
                                </p>
                                <ul>{crate::app::components::plan_features(p)}</ul>
                                <A
                                    href=format!("/signup?plan={}", p.code.as_str())
                                    attr:class=if featured { "button" } else { "button secondary" }
                                >
                                    {format!("Try {} free", p.name)}
                                </A>
                            </article>
                        }
                    })
                    .collect_view()}
            </div>
            <h3 class="addons-title">"Add-ons, on any plan"</h3>
            <ul class="addons">
                {ADDONS
                    .iter()
                    .map(|(name, price, unit)| {
                        view! {
                            <li>
                                <span>{*name}</span>
                                <span class="muted">{format!("${price} {unit}")}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
