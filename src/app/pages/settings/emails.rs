//! Settings → Emails: the business's wording of the messages its
//! homeowners receive (Enterprise). A live preview with sample data, the
//! placeholders each message offers, a reset to the default.

use leptos::prelude::*;
use leptos_meta::Title;

use super::SettingsTabs;
use crate::api::templates::{list_templates, ResetTemplate, SaveTemplate};
use crate::app::components::{action_error, field_error, loaded, FormError, Notice};
use crate::app::{On, SiteGate};
use crate::model::templates::{render, render_subject, TemplateEntry};

#[component]
pub fn EmailsPage() -> impl IntoView {
    let save = ServerAction::<SaveTemplate>::new();
    let reset = ServerAction::<ResetTemplate>::new();
    let version = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) || matches!(reset.value().get(), Some(Ok(_))) {
            version.update(|v| *v += 1);
        }
    });
    let templates = Resource::new(move || version.get(), |_| list_templates());
    let notice = Signal::derive(move || {
        let s = save.value().get().and_then(Result::ok);
        let r = reset.value().get().and_then(Result::ok);
        r.or(s)
    });
    view! {
        <Title text="Emails" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs />
            <Notice text=notice />
            {loaded(
                templates,
                move |(list, allowed)| {
                    view! {
                        <p class="muted">
                            "What your customers receive from you. Placeholders in braces, like {customer_name}, are filled in for each message; everything you type is sent as plain text."
                        </p>
                        {(!allowed)
                            .then(|| {
                                view! {
                                    <div class="banner banner-info" role="status">
                                        "Your own wording is part of the Enterprise plan. These are the messages your customers receive today."
                                        " "
                                        <a href="/settings/billing">"See plans"</a>
                                    </div>
                                }
                            })}
                        {list
                            .into_iter()
                            .map(|t| view! { <TemplateCard t allowed save reset /> })
                            .collect_view()}
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

#[component]
fn TemplateCard(
    t: TemplateEntry,
    allowed: bool,
    save: ServerAction<SaveTemplate>,
    reset: ServerAction<ResetTemplate>,
) -> impl IntoView {
    let kind = t.kind;
    let code = kind.code();
    let subject = RwSignal::new(t.subject.clone());
    let body = RwSignal::new(t.body.clone());
    // This card's own errors: the last save of this kind.
    let last = RwSignal::new(false);
    let errors = action_error(move || if last.get() { save.value().get() } else { None });
    let subject_err = field_error(errors, "subject");
    let body_err = field_error(errors, "body");
    let sample = kind.sample();
    let sample2 = sample.clone();
    let preview_subject = move || render_subject(&subject.get(), &sample);
    let preview_body = move || render(&body.get(), &sample2);
    let id = |f: &str| format!("tpl-{code}-{f}");
    let subject_class = move || {
        if subject_err.get().is_some() {
            "field invalid"
        } else {
            "field"
        }
    };
    let body_class = move || {
        if body_err.get().is_some() {
            "field invalid"
        } else {
            "field"
        }
    };
    view! {
        <section class="card template" data-testid=format!("template-{code}")>
            <h2>
                {kind.label()}
                {t
                    .custom
                    .then(|| {
                        view! {
                            " "
                            <span class="pill">"Your wording"</span>
                        }
                    })}
            </h2>
            <div class="grid2">
                <form
                    class="stack"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        last.set(true);
                        save.dispatch(SaveTemplate {
                            kind: code.to_string(),
                            form: crate::model::templates::TemplateForm {
                                subject: subject.get_untracked(),
                                body: body.get_untracked(),
                            },
                        });
                    }
                >
                    <FormError errors />
                    <div class=subject_class>
                        <label for=id("subject")>"Subject"</label>
                        <input
                            id=id("subject")
                            name="subject"
                            maxlength="200"
                            disabled=!allowed
                            prop:value=move || subject.get()
                            on:input=move |ev| subject.set(event_target_value(&ev))
                        />
                        <p class="error" role="alert">
                            {move || subject_err.get()}
                        </p>
                    </div>
                    <div class=body_class>
                        <label for=id("body")>"Message"</label>
                        <textarea
                            id=id("body")
                            name="body"
                            rows="10"
                            maxlength="5000"
                            disabled=!allowed
                            prop:value=move || body.get()
                            on:input=move |ev| body.set(event_target_value(&ev))
                        ></textarea>
                        <p class="error" role="alert">
                            {move || body_err.get()}
                        </p>
                    </div>
                    <details>
                        <summary>"Placeholders"</summary>
                        <ul class="placeholders">
                            {kind
                                .placeholders()
                                .iter()
                                .map(|p| {
                                    view! {
                                        <li>
                                            <code>{format!("{{{}}}", p.name)}</code>
                                            " "
                                            {p.meaning}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </details>
                    {allowed
                        .then(|| {
                            view! {
                                <div class="actions">
                                    <button type="submit" class="primary">
                                        "Save"
                                    </button>
                                    <button
                                        type="button"
                                        class="secondary"
                                        on:click=move |_| {
                                            subject.set(kind.default_subject().into());
                                            body.set(kind.default_body().into());
                                            last.set(false);
                                            reset
                                                .dispatch(ResetTemplate {
                                                    kind: code.to_string(),
                                                });
                                        }
                                    >
                                        "Reset to default"
                                    </button>
                                </div>
                            }
                        })}
                </form>
                <div class="preview" aria-live="polite">
                    <h3>"Preview (sample customer)"</h3>
                    {move || match (preview_subject(), preview_body()) {
                        (Ok(s), Ok(b)) => {
                            view! {
                                <p>
                                    <strong data-testid="preview-subject">{s}</strong>
                                </p>
                                <div class="pre email-preview" data-testid="preview-body">
                                    {b}
                                </div>
                            }
                                .into_any()
                        }
                        (Err(e), _) | (_, Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                    }}
                </div>
            </div>
        </section>
    }
}
