//! A labelled form field. It runs the shared validation rule as the user
//! types (after the first blur) and shows the server's message for the
//! field after a submit.

use leptos::prelude::*;

use crate::error::AppError;

/// The latest error of an action, as a signal.
pub fn action_error<T: 'static>(
    value: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Signal<Option<AppError>> {
    Signal::derive(move || value().and_then(|r| r.err()))
}

/// Counts an action's successful answers. A resource keyed on this reloads
/// after a change and not after a refusal: reloading on every answer
/// remounted the form, lost what was typed and jumped the page to the top,
/// away from the message.
pub fn successes<T: 'static>(
    value: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Memo<u32> {
    Memo::new(move |prev: Option<&u32>| {
        let n = prev.copied().unwrap_or(0);
        if matches!(value(), Some(Ok(_))) {
            n + 1
        } else {
            n
        }
    })
}

/// The server's message for one field.
pub fn field_error(errors: Signal<Option<AppError>>, key: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        errors
            .get()
            .and_then(|e| e.fields().and_then(|f| f.get(key)).map(str::to_string))
    })
}

/// A rule: the message for a bad value, `None` when fine.
pub type Check = fn(&str) -> Option<String>;

#[component]
pub fn Field(
    label: &'static str,
    /// The form field name sent to the server, e.g. `form[email]`.
    name: &'static str,
    /// The key the server's field errors use, e.g. `email`.
    key: &'static str,
    errors: Signal<Option<AppError>>,
    #[prop(into, optional)] value: String,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] check: Option<Check>,
    #[prop(optional, into)] on_value: Option<Callback<String>>,
) -> impl IntoView {
    let id = format!("f-{key}");
    let local = RwSignal::new(None::<String>);
    let touched = RwSignal::new(false);
    let edited = RwSignal::new(false);
    let server = field_error(errors, key);
    // A new server answer makes its messages current again.
    Effect::new(move |_| {
        server.track();
        edited.set(false);
    });
    let run = move |v: &str| {
        if let Some(c) = check {
            local.set(c(v));
        }
    };
    let message = move || {
        local
            .get()
            .or_else(|| if edited.get() { None } else { server.get() })
    };
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id
                .clone()>
                {label}
                {required
                    .then_some(
                        view! {
                            <span class="req" aria-hidden="true">
                                " *"
                            </span>
                        },
                    )}
            </label>
            <input
                id=id.clone()
                name=name
                type=kind.unwrap_or("text")
                value=value
                required=required
                autocomplete=autocomplete.unwrap_or("off")
                placeholder=placeholder.unwrap_or("")
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=format!("{err_id} {hint_id}")
                on:blur=move |ev| {
                    touched.set(true);
                    run(&event_target_value(&ev));
                }
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    edited.set(true);
                    if touched.get_untracked() {
                        run(&v);
                    }
                    if let Some(cb) = on_value {
                        cb.run(v);
                    }
                }
            />
            {hint
                .map(|h| {
                    view! {
                        <p class="hint" id=hint_id.clone()>
                            {h}
                        </p>
                    }
                })}
            <p class="error" id=err_id.clone() role="alert">
                {message}
            </p>
        </div>
    }
}

/// A select with the same error display as [`Field`].
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    key: &'static str,
    errors: Signal<Option<AppError>>,
    /// (value, text) pairs.
    options: Vec<(String, String)>,
    #[prop(into, optional)] value: String,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = format!("f-{key}");
    let server = field_error(errors, key);
    let err_id = format!("{id}-error");
    view! {
        <div class="field" class:invalid=move || server.get().is_some()>
            <label for=id
                .clone()>
                {label}
                {required
                    .then_some(
                        view! {
                            <span class="req" aria-hidden="true">
                                " *"
                            </span>
                        },
                    )}
            </label>
            <select
                id=id
                name=name
                required=required
                aria-describedby=err_id.clone()
                aria-invalid=move || if server.get().is_some() { "true" } else { "false" }
            >
                {placeholder.map(|p| view! { <option value="">{p}</option> })}
                {options
                    .into_iter()
                    .map(|(v, t)| {
                        let selected = v == value;
                        view! {
                            <option value=v selected=selected>
                                {t}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="error" id=err_id role="alert">
                {move || server.get()}
            </p>
        </div>
    }
}

/// A multi-line text field.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    key: &'static str,
    errors: Signal<Option<AppError>>,
    #[prop(into, optional)] value: String,
) -> impl IntoView {
    let id = format!("f-{key}");
    let server = field_error(errors, key);
    view! {
        <div class="field" class:invalid=move || server.get().is_some()>
            <label for=id.clone()>{label}</label>
            <textarea id=id name=name rows="3">
                {value}
            </textarea>
            <p class="error" role="alert">
                {move || server.get()}
            </p>
        </div>
    }
}

/// The US states as select options.
pub fn state_options() -> Vec<(String, String)> {
    crate::model::US_STATES
        .iter()
        .map(|(c, n)| (c.to_string(), format!("{n} ({c})")))
        .collect()
}
