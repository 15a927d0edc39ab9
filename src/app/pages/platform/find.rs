//! "Log in": find your company's own address.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::app::{On, SiteGate};

#[component]
pub fn FindPage() -> impl IntoView {
    let query = use_query_map();
    let missing = move || query.read().get("missing");
    view! {
        <Title text="Log in" />
        <SiteGate on=On::Platform>
            <section class="narrow card">
                <h1>"Log in to your company"</h1>
                <p>"Each business has its own address. Enter yours to go to its login page."</p>
                <form method="get" action="/go" class="stack">
                    <div class="field" class:invalid=move || missing().is_some()>
                        <label for="f-subdomain">"Your company's address"</label>
                        <input
                            id="f-subdomain"
                            name="subdomain"
                            required
                            autocomplete="organization"
                            placeholder="acme-fence"
                            value=move || missing().unwrap_or_default()
                        />
                        <p class="hint">
                            "The first part of your workspace address, e.g. acme-fence."
                        </p>
                        <p class="error" role="alert">
                            {move || {
                                missing()
                                    .map(|m| {
                                        format!(
                                            "We couldn't find a company at \u{201c}{m}\u{201d}. Check the spelling, or sign up.",
                                        )
                                    })
                            }}
                        </p>
                    </div>
                    <button type="submit">"Continue"</button>
                </form>
                <p class="muted">"New here? " <a href="/signup">"Start a free trial"</a></p>
            </section>
        </SiteGate>
    }
}
