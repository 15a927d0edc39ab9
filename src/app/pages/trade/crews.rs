//! Crews: who works together, in which vehicle, on which hours and days.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use uuid::Uuid;

use crate::api::schedule::{list_crews, DeleteCrew, SaveCrew};
use crate::app::components::{field_error, loaded, successes, Field, FormError};
use crate::app::span;
use crate::app::{On, SiteGate};
use crate::error::AppError;
use crate::model::schedule::{
    default_hours, hour_fields, Crew, CrewForm, CrewMember, CREW_COLORS, WEEKDAYS,
};

#[component]
pub fn CrewsPage() -> impl IntoView {
    let save = ServerAction::<SaveCrew>::new();
    let remove = ServerAction::<DeleteCrew>::new();
    let saved = successes(move || save.value().get());
    let removed = successes(move || remove.value().get());
    let editing = RwSignal::new(None::<Option<Uuid>>);
    Effect::new(move |_| {
        if saved.get() > 0 {
            editing.set(None);
        }
    });
    let data = Resource::new(move || (saved.get(), removed.get()), |_| list_crews());
    let errors = Signal::derive(move || save.value().get().and_then(Result::err));
    let remove_errors = Signal::derive(move || remove.value().get().and_then(Result::err));
    view! {
        <Title text="Crews" />
        <SiteGate on=On::Tenant>
            <nav class="crumbs">
                <A href="/schedule">"Schedule"</A>
                " › Crews"
            </nav>
            <div class="page-head">
                <h1>"Crews"</h1>
            </div>
            <FormError errors=remove_errors />
            {loaded(
                data,
                move |d| {
                    let can_edit = d.can_edit;
                    let people = d.people.clone();
                    let crews = d.crews.clone();
                    let next_color = CREW_COLORS[d.crews.len() % CREW_COLORS.len()];
                    view! {
                        {if crews.is_empty() {
                            view! {
                                <p class="muted">
                                    "No crews yet. A crew is who goes out together: its members, its vehicle, its hours."
                                </p>
                            }
                                .into_any()
                        } else {
                            view! {
                                <ul class="crew-list">
                                    {crews
                                        .iter()
                                        .map(|c| {
                                            let id = c.id;
                                            let name = c.name.clone();
                                            view! {
                                                <li class="crew-item" style=format!("--crew: {}", c.color)>
                                                    <span class="dot" aria-hidden="true"></span>
                                                    <div class="crew-main">
                                                        <strong>{c.name.clone()}</strong>
                                                        <span class="muted small">
                                                            {members_text(&c.members)} " · " {format!("{} mpg", c.mpg)}
                                                        </span>
                                                        <span class="muted small">{hours_text(c)}</span>
                                                    </div>
                                                    {can_edit
                                                        .then(|| {
                                                            view! {
                                                                <button
                                                                    type="button"
                                                                    class="secondary"
                                                                    on:click=move |_| editing.set(Some(Some(id)))
                                                                >
                                                                    "Edit"
                                                                </button>
                                                                <button
                                                                    type="button"
                                                                    class="secondary danger"
                                                                    on:click=move |_| {
                                                                        if confirm(
                                                                            &format!(
                                                                                "Remove {name}? Its booked jobs keep their day and go back to the list to schedule.",
                                                                            ),
                                                                        ) {
                                                                            remove.dispatch(DeleteCrew { id });
                                                                        }
                                                                    }
                                                                >
                                                                    "Remove"
                                                                </button>
                                                            }
                                                        })}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }}
                        {can_edit
                            .then(|| {
                                view! {
                                    <p>
                                        <button
                                            type="button"
                                            on:click=move |_| editing.set(Some(None))
                                        >
                                            "Add a crew"
                                        </button>
                                    </p>
                                }
                            })}
                        {move || {
                            editing
                                .get()
                                .map(|which| {
                                    let crew = which
                                        .and_then(|id| crews.iter().find(|c| c.id == id).cloned());
                                    view! {
                                        <CrewEditor
                                            crew
                                            people=people.clone()
                                            color=next_color
                                            save
                                            errors
                                            editing
                                        />
                                    }
                                })
                        }}
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

fn members_text(m: &[CrewMember]) -> String {
    if m.is_empty() {
        "No members".into()
    } else {
        m.iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// "Mon–Fri 7:00 AM–4:00 PM" style summary, day by day where they differ.
fn hours_text(c: &Crew) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < 7 {
        let h = c.hours[i];
        let mut j = i;
        while j + 1 < 7 && c.hours[j + 1] == h {
            j += 1;
        }
        if let Some([s, e]) = h {
            let days = if i == j {
                WEEKDAYS[i][..3].to_string()
            } else {
                format!("{}–{}", &WEEKDAYS[i][..3], &WEEKDAYS[j][..3])
            };
            parts.push(format!("{days} {}", span(s, e - s)));
        }
        i = j + 1;
    }
    let mut s = parts.join(", ");
    if !c.days_off.is_empty() {
        s.push_str(&format!(
            " · {} off",
            crate::model::count(c.days_off.len() as i64, "day", "days")
        ));
    }
    s
}

#[component]
fn CrewEditor(
    crew: Option<Crew>,
    people: Vec<CrewMember>,
    color: &'static str,
    save: ServerAction<SaveCrew>,
    errors: Signal<Option<AppError>>,
    editing: RwSignal<Option<Option<Uuid>>>,
) -> impl IntoView {
    let form = crew.as_ref().map(CrewForm::from_crew).unwrap_or_else(|| {
        let (starts, ends) = hour_fields(&default_hours());
        CrewForm {
            color: color.into(),
            mpg: "15".into(),
            starts,
            ends,
            ..Default::default()
        }
    });
    let id = crew.as_ref().map(|c| c.id);
    let title = match &crew {
        Some(c) => format!("Edit {}", c.name),
        None => "New crew".into(),
    };
    let hours_error = Signal::derive(move || {
        errors.get().and_then(|e| {
            e.fields().and_then(|f| {
                f.0.iter()
                    .find(|(k, _)| k.starts_with("starts."))
                    .map(|(_, m)| m.clone())
            })
        })
    });
    let members_error = field_error(errors, "members");
    let color_error = field_error(errors, "color");
    view! {
        <section class="card crew-editor">
            <h2>{title}</h2>
            <ActionForm action=save>
                {id.map(|id| view! { <input type="hidden" name="id" value=id.to_string() /> })}
                <FormError errors /> <div class="grid-2">
                    <Field
                        label="Name"
                        name="form[name]"
                        key="name"
                        errors
                        value=form.name.clone()
                        required=true
                        placeholder="e.g. North crew"
                    />
                    <div class="field" class:invalid=move || color_error.get().is_some()>
                        <label for="f-color">"Colour on the board"</label>
                        <input
                            id="f-color"
                            type="color"
                            name="form[color]"
                            value=form.color.clone()
                        />
                        {move || color_error.get().map(|m| view! { <p class="error">{m}</p> })}
                    </div>
                    <Field
                        label="Vehicle fuel economy (mpg)"
                        name="form[mpg]"
                        key="mpg"
                        errors
                        value=form.mpg.clone()
                        kind="number"
                        required=true
                    />
                </div>
                <fieldset class="crew-hours" class:invalid=move || hours_error.get().is_some()>
                    <legend>"Working hours (leave both empty for a day off)"</legend>
                    {(0..7)
                        .map(|i| {
                            let s = form.starts.get(i).cloned().unwrap_or_default();
                            let e = form.ends.get(i).cloned().unwrap_or_default();
                            view! {
                                <div class="hours-row">
                                    <span class="hours-day">{WEEKDAYS[i]}</span>
                                    <label>
                                        <span class="sr-only">
                                            {format!("{} start", WEEKDAYS[i])}
                                        </span>
                                        <input
                                            type="time"
                                            step="900"
                                            name=format!("form[starts][{i}]")
                                            value=s
                                        />
                                    </label>
                                    "to"
                                    <label>
                                        <span class="sr-only">
                                            {format!("{} end", WEEKDAYS[i])}
                                        </span>
                                        <input
                                            type="time"
                                            step="900"
                                            name=format!("form[ends][{i}]")
                                            value=e
                                        />
                                    </label>
                                </div>
                            }
                        })
                        .collect_view()}
                    {move || {
                        hours_error
                            .get()
                            .map(|m| {
                                view! {
                                    <p class="error" role="alert">
                                        {m}
                                    </p>
                                }
                            })
                    }}
                </fieldset>
                <Field
                    label="Days off"
                    name="form[days_off]"
                    key="days_off"
                    errors
                    value=form.days_off.clone()
                    hint="Dates as YYYY-MM-DD, separated by commas (holidays, training)."
                    placeholder="2026-12-24, 2026-12-25"
                /> <div class="grid-2">
                    <Field
                        label="Starts the day at"
                        name="form[start_at]"
                        key="start_at"
                        errors
                        value=form.start_at.clone()
                        hint="Latitude, longitude; empty: the depot (Settings › Price book)."
                    />
                    <Field
                        label="Ends the day at"
                        name="form[end_at]"
                        key="end_at"
                        errors
                        value=form.end_at.clone()
                        hint="Empty: back to the depot."
                    />
                </div>
                <fieldset class="members" class:invalid=move || members_error.get().is_some()>
                    <legend>"Members"</legend>
                    {people
                        .iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let on = form.members.contains(&p.user_id);
                            view! {
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        name=format!("form[members][{i}]")
                                        value=p.user_id.to_string()
                                        checked=on
                                    />
                                    {p.name.clone()}
                                </label>
                            }
                        })
                        .collect_view()}
                    {move || members_error.get().map(|m| view! { <p class="error">{m}</p> })}
                </fieldset> <div class="actions">
                    <button type="submit">"Save crew"</button>
                    <button type="button" class="secondary" on:click=move |_| editing.set(None)>
                        "Cancel"
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().confirm_with_message(message).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        false
    }
}
