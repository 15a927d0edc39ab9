//! The status tabs above a list (quotes, jobs): links that filter by a
//! `status` query value, the current one marked for the eye and for
//! screen readers.

use leptos::prelude::*;

/// One tab: the status code (empty: all) and its label.
pub type Tab = (&'static str, &'static str);

#[component]
pub fn StatusTabs(
    /// The list's path, e.g. `/quotes`.
    base: &'static str,
    /// The navigation's accessible name.
    label: &'static str,
    tabs: Vec<Tab>,
    /// The current status code (empty: all).
    #[prop(into)]
    current: Signal<String>,
) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label=label>
            {tabs
                .into_iter()
                .map(|(code, text)| {
                    let href = if code.is_empty() {
                        base.to_string()
                    } else {
                        format!("{base}?status={code}")
                    };
                    let here = move || current.get() == code;
                    view! {
                        <a
                            href=href
                            class:active=here
                            aria-current=move || here().then_some("page")
                        >
                            {text}
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
}
