//! Banners and small states.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::error::AppError;

/// The form-level message after a failed submit. When it appears, the first
/// field in error in the same form takes the focus (scrolled into view), or
/// the message itself is brought into view: a failed submit never leaves the
/// user looking at the top of the page, away from what to fix.
#[component]
pub fn FormError(errors: Signal<Option<AppError>>) -> impl IntoView {
    let banner = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if errors.with(Option::is_some) {
            request_animation_frame(move || {
                if let Some(el) = banner.get_untracked() {
                    focus_first_invalid(&el);
                }
            });
        }
    });
    move || {
        errors.get().map(|e| {
            let text = e.to_string();
            let login = matches!(e, AppError::Unauthorized);
            view! {
                <div class="banner banner-error" role="alert" tabindex="-1" node_ref=banner>
                    {text}
                    {login
                        .then(|| {
                            view! {
                                " "
                                <a href="/login">"Log in again"</a>
                            }
                        })}
                </div>
            }
        })
    }
}

/// Focuses the first field marked invalid in `banner`'s form (or page
/// section), else the banner.
#[allow(unused_variables)]
fn focus_first_invalid(banner: &web_sys::HtmlDivElement) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let scope = banner
            .closest("form, section, main")
            .ok()
            .flatten()
            .or_else(|| banner.parent_element());
        let field = scope.and_then(|s| {
            s.query_selector(
                "[aria-invalid=\"true\"], .invalid input, .invalid select, .invalid textarea",
            )
            .ok()
            .flatten()
        });
        let target = field
            .and_then(|f| f.dyn_into::<web_sys::HtmlElement>().ok())
            .unwrap_or_else(|| banner.clone().into());
        let opts = web_sys::ScrollIntoViewOptions::new();
        opts.set_block(web_sys::ScrollLogicalPosition::Center);
        target.scroll_into_view_with_scroll_into_view_options(&opts);
        let _ = target.focus();
    }
}

/// A success message.
#[component]
pub fn Notice(#[prop(into)] text: Signal<Option<String>>) -> impl IntoView {
    move || {
        text.get().map(|t| {
            view! {
                <div class="banner banner-ok" role="status">
                    {t}
                </div>
            }
        })
    }
}

/// A failed load, with a way forward.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let login = matches!(error, AppError::Unauthorized);
    view! {
        <div class="card error-box" role="alert">
            <h2>{if login { "Please log in" } else { "We couldn't load this" }}</h2>
            <p>{error.to_string()}</p>
            {if login {
                view! {
                    <a class="button" href="/login">
                        "Log in"
                    </a>
                }
                    .into_any()
            } else {
                view! {
                    <A href="/" attr:class="button secondary">
                        "Back to the dashboard"
                    </A>
                }
                    .into_any()
            }}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! {
        <p class="loading" aria-live="polite">
            "Loading…"
        </p>
    }
}

/// An empty state: what is missing, and how to start.
#[component]
pub fn Empty(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="empty">
            <svg viewBox="0 0 48 48" width="48" height="48" aria-hidden="true">
                <path
                    d="M6 30 Q24 6 42 30"
                    fill="none"
                    stroke="currentColor"
                    stroke-width="2.5"
                    stroke-dasharray="4 4"
                />
                <circle
                    cx="24"
                    cy="34"
                    r="5"
                    fill="none"
                    stroke="currentColor"
                    stroke-width="2.5"
                />
            </svg>
            <h3>{title}</h3>
            {children()}
        </div>
    }
}

/// Marks the SSR response as 404.
pub fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    set_not_found_status();
    view! {
        <section class="narrow">
            <h1>"Page not found"</h1>
            <p>"There's nothing at this address."</p>
            <a class="button" href="/">
                "Go to the start page"
            </a>
        </section>
    }
}

/// A button that copies `text` to the clipboard and says so.
#[component]
pub fn CopyButton(
    text: String,
    #[prop(default = "Copy link")] label: &'static str,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = StoredValue::new(text);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&text.get_value());
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    };
    view! {
        <button type="button" class="secondary small" on:click=copy>
            {move || if copied.get() { "Copied" } else { label }}
        </button>
    }
}

/// A plan's list items: what it includes today, then what is coming (marked
/// so, never shown as included).
pub fn plan_features(p: &crate::model::PlanInfo) -> impl IntoView {
    let today = p.highlights.iter().map(|h| view! { <li>{*h}</li> });
    let coming = p.coming.iter().map(|h| {
        view! { <li class="coming">{*h} <span class="soon">" coming soon"</span></li> }
    });
    view! {
        {today.collect_view()}
        {coming.collect_view()}
    }
}

/// What became of an email, beside what it was about: "delivered" quietly,
/// a refusal in red so nobody waits for a message that will not arrive.
#[component]
pub fn DeliveryNote(delivery: crate::model::Delivery) -> impl IntoView {
    let failed = delivery.failed();
    let class = if failed {
        "delivery error"
    } else {
        "delivery muted"
    };
    let role = if failed { "alert" } else { "status" };
    view! {
        <span class=class role=role data-testid="delivery">
            {delivery.label()}
        </span>
    }
}
