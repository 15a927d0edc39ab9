//! The schedule board: a row per crew, a day (hours across) or a week (days
//! across), and the jobs waiting for a crew and a time. Jobs are dragged
//! with a mouse or a finger (pointer events), snapping to 15 minutes; the
//! booking rules run while dragging (the same code the server runs on
//! save) and the drop target says what is wrong before you let go. Every
//! card is also a button that opens a form (crew, day, time, length,
//! window) for the keyboard. The last move can be undone.

use chrono::{Datelike, Duration, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::schedule::{schedule_board, OptimiseRoutes, PlaceJob};
use crate::app::components::{loaded_keeping, FormError};
use crate::app::{clock, show_date, show_day, show_long_date, show_weekday, span};
use crate::app::{On, SiteGate};
use crate::model::schedule::{
    check_booking, duration, input_clock, Board, BoardJob, Crew, Moved, Placement, TimeWindow, SNAP,
};

/// The day view's hours: 6 AM to 8 PM.
const DAY_FROM: u32 = 6 * 60;
const DAY_TO: u32 = 20 * 60;

#[component]
pub fn SchedulePage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        if query.read().get("view").as_deref() == Some("day") {
            1
        } else {
            7
        }
    };
    let from = move || query.read().get("from");
    let place = ServerAction::<PlaceJob>::new();
    let last = RwSignal::new(None::<Moved>);
    let refresh = RwSignal::new(0u32);
    let refused = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(r) = place.value().get() {
            match r {
                Ok(m) => {
                    last.set(Some(m));
                    refused.set(None);
                }
                Err(_) => last.set(None),
            }
            refresh.update(|n| *n += 1);
        }
    });
    // Another dispatcher's move, a crew starting a job: fetch the board again.
    crate::app::components::on_live_change(move || refresh.update(|n| *n += 1));
    let board = Resource::new(
        move || (from(), days(), refresh.get()),
        |(f, d, _)| schedule_board(f, d),
    );
    let errors = Signal::derive(move || place.value().get().and_then(Result::err));
    // Route optimisation: a preview opens the dialog; applying closes it,
    // says what was saved and reloads the board.
    let optimise = ServerAction::<OptimiseRoutes>::new();
    let route_open = RwSignal::new(None::<Vec<crate::model::routing::RoutePlan>>);
    let applying = RwSignal::new(false);
    let route_msg = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(r) = optimise.value().get() else {
            return;
        };
        match r {
            Ok(plans) if applying.get_untracked() => {
                applying.set(false);
                route_open.set(None);
                let saved = plans
                    .iter()
                    .filter(|p| p.changes())
                    .map(|p| p.saved())
                    .fold((0.0, 0.0), |a, s| (a.0 + s.miles, a.1 + s.dollars));
                route_msg.set(Some(format!(
                    "Routes optimised: {:.1} miles and ${:.2} of fuel saved.",
                    saved.0, saved.1
                )));
                refresh.update(|n| *n += 1);
            }
            Ok(plans) => route_open.set(Some(plans)),
            Err(e) => {
                applying.set(false);
                route_open.set(None);
                refused.set(Some(e.to_string()));
            }
        }
    });
    view! {
        <Title text="Schedule" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Schedule"</h1>
                <A href="/schedule/batteries" attr:class="button secondary">
                    "Battery visits"
                </A>
                <A href="/crews" attr:class="button secondary">
                    "Crews"
                </A>
            </div>
            // Messages float over the board: a banner pushed in above it
            // would move the rows under a finger or a mouse mid-drag.
            <div class="toasts">
                <FormError errors />
                {dismissable(route_msg, false, "")}
                {dismissable(refused, true, "Not moved: ")}
                {move || {
                    last.get()
                        .filter(|m| m.before != m.after)
                        .map(|m| {
                            let before = m.before;
                            view! {
                                <div class="banner banner-ok undo" role="status">
                                    <span>{format!("J-{}: {}.", m.number, m.note)}</span>
                                    <button
                                        type="button"
                                        class="link"
                                        on:click=move |_| {
                                            place.dispatch(to_args(m.job_id, before, None));
                                        }
                                    >
                                        "Undo"
                                    </button>
                                </div>
                            }
                        })
                }}
            </div>
            {loaded_keeping(
                board,
                move |b| view! { <BoardView board=b place refused optimise /> }.into_any(),
            )}
            {move || {
                route_open
                    .get()
                    .map(|plans| {
                        view! {
                            <crate::app::pages::RoutesDialog
                                plans
                                optimise
                                open=route_open
                                applying
                            />
                        }
                    })
            }}
        </SiteGate>
    }
}

/// A message that stays until dismissed (an error is announced as an
/// alert, anything else as a status).
fn dismissable(
    message: RwSignal<Option<String>>,
    error: bool,
    prefix: &'static str,
) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! {
                <div
                    class=if error { "banner banner-error undo" } else { "banner banner-ok undo" }
                    role=if error { "alert" } else { "status" }
                >
                    <span>{format!("{prefix}{m}")}</span>
                    <button
                        type="button"
                        class="link"
                        aria-label="Dismiss"
                        on:click=move |_| message.set(None)
                    >
                        "×"
                    </button>
                </div>
            }
        })
    }
}

/// The server call for putting `job` at `p`.
fn to_args(job: Uuid, p: Placement, window: Option<TimeWindow>) -> PlaceJob {
    PlaceJob {
        id: job,
        crew_id: p.booked().map(|b| b.0),
        day: p.day.map(|d| d.format("%Y-%m-%d").to_string()),
        start: p.booked().map(|b| input_clock(b.2)),
        minutes: Some(p.minutes.to_string()),
        window: window.map(|w| w.code().to_string()),
    }
}

/// What is being dragged and where it would land.
#[derive(Clone, Debug, PartialEq)]
struct Drag {
    job: Uuid,
    resize: bool,
    /// Where the pointer went down, to tell a drag from a click.
    x0: f64,
    y0: f64,
    moved: bool,
    /// Pixels between the card's left edge and the pointer (day view).
    grab_px: f64,
    target: Option<Target>,
}

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Target {
    /// Onto a crew, a day and a start, with the verdict of the rules.
    Slot {
        place: Placement,
        verdict: Result<(), String>,
    },
    /// Back to the waiting list (keeping its day).
    Waiting,
}

#[component]
fn BoardView(
    board: Board,
    place: ServerAction<PlaceJob>,
    refused: RwSignal<Option<String>>,
    optimise: ServerAction<OptimiseRoutes>,
) -> impl IntoView {
    let b = StoredValue::new(board.clone());
    let all: Vec<BoardJob> = board
        .booked
        .iter()
        .chain(board.waiting.iter())
        .cloned()
        .collect();
    let jobs = StoredValue::new(all);
    let drag = RwSignal::new(None::<Drag>);
    let editing = RwSignal::new(None::<Uuid>);
    let filter = RwSignal::new(String::new());
    let day_view = board.days == 1;
    let days: Vec<NaiveDate> = (0..board.days)
        .map(|i| board.from + Duration::days(i as i64))
        .collect();

    // The landing spot under the pointer, and what the rules say of it.
    let target_at = move |x: f64, y: f64, d: &Drag| -> Option<Target> {
        #[cfg(feature = "hydrate")]
        {
            use crate::model::schedule::snap;
            let doc = document();
            let el = doc.element_from_point(x as f32, y as f32)?;
            if el.closest("[data-drop=waiting]").ok().flatten().is_some() {
                return Some(Target::Waiting);
            }
            let cell = el.closest("[data-crew]").ok().flatten()?;
            let crew: Uuid = cell.get_attribute("data-crew")?.parse().ok()?;
            let day: NaiveDate = cell.get_attribute("data-day")?.parse().ok()?;
            let job = jobs.with_value(|js| js.iter().find(|j| j.id == d.job).cloned())?;
            let b = b.get_value();
            let crew_info = b.crews.iter().find(|c| c.id == crew)?.clone();
            let (start, minutes) = if day_view {
                let r = cell.get_bounding_client_rect();
                let per_px = (DAY_TO - DAY_FROM) as f64 / r.width().max(1.0);
                if d.resize {
                    let start = job.place.start.unwrap_or(DAY_FROM);
                    let end = snap(DAY_FROM as f64 + (x - r.left()) * per_px);
                    (start, end.saturating_sub(start).max(SNAP))
                } else {
                    let start = snap(DAY_FROM as f64 + (x - r.left() - d.grab_px) * per_px);
                    (start, job.place.minutes)
                }
            } else {
                // A week cell keeps the job's time, or takes the crew's
                // first free time that day.
                let start = job
                    .place
                    .start
                    .unwrap_or_else(|| first_free(&crew_info, day, &job, &b.booked));
                (start, job.place.minutes)
            };
            let verdict = check_booking(
                job.id,
                &crew_info,
                day,
                start,
                minutes,
                job.window,
                &jobs.get_value(),
            );
            Some(Target::Slot {
                place: Placement {
                    crew_id: Some(crew),
                    day: Some(day),
                    start: Some(start),
                    minutes,
                },
                verdict,
            })
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (x, y, d, jobs, b, day_view);
            None
        }
    };

    let on_move = move |ev: web_sys::PointerEvent| {
        let Some(mut d) = drag.get_untracked() else {
            return;
        };
        let (x, y) = (ev.client_x() as f64, ev.client_y() as f64);
        if !d.moved && (x - d.x0).abs() + (y - d.y0).abs() < 6.0 {
            return;
        }
        ev.prevent_default();
        d.moved = true;
        d.target = target_at(x, y, &d);
        drag.set(Some(d));
    };
    let on_up = move |_ev: web_sys::PointerEvent| {
        let Some(d) = drag.get_untracked() else {
            return;
        };
        drag.set(None);
        if !d.moved {
            // A click: the form, for the keyboard and for precision.
            editing.set(Some(d.job));
            return;
        }
        let Some(job) = jobs.with_value(|js| js.iter().find(|j| j.id == d.job).cloned()) else {
            return;
        };
        match d.target {
            Some(Target::Slot {
                place: p,
                verdict: Ok(()),
            }) if p != job.place => {
                place.dispatch(to_args(job.id, p, None));
            }
            Some(Target::Slot {
                verdict: Err(m), ..
            }) => refused.set(Some(m)),
            Some(Target::Waiting) if job.place.booked().is_some() => {
                let keep_day = Placement {
                    crew_id: None,
                    day: job.place.day,
                    start: None,
                    minutes: job.place.minutes,
                };
                place.dispatch(to_args(job.id, keep_day, None));
            }
            _ => {}
        }
    };
    #[cfg(feature = "hydrate")]
    {
        let mv = window_event_listener(leptos::ev::pointermove, on_move);
        let up = window_event_listener(leptos::ev::pointerup, on_up);
        let cancel = window_event_listener(leptos::ev::pointercancel, move |_| drag.set(None));
        on_cleanup(move || {
            mv.remove();
            up.remove();
            cancel.remove();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (on_move, on_up);

    let start_drag = move |ev: web_sys::PointerEvent, job: Uuid, resize: bool| {
        if !b.with_value(|b| b.can_edit) || ev.button() != 0 {
            return;
        }
        ev.stop_propagation();
        #[allow(unused_mut)]
        let mut grab_px = 0.0;
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(el) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let card = el.closest(".bcard").ok().flatten().unwrap_or(el);
                grab_px = ev.client_x() as f64 - card.get_bounding_client_rect().left();
                let _ = card.release_pointer_capture(ev.pointer_id());
            }
        }
        drag.set(Some(Drag {
            job,
            resize,
            x0: ev.client_x() as f64,
            y0: ev.client_y() as f64,
            moved: false,
            grab_px,
            target: None,
        }));
    };

    let card = move |j: BoardJob, crew: Option<Crew>| {
        let id = j.id;
        let style = crew
            .as_ref()
            .map(|c| format!("--crew: {}", c.color))
            .unwrap_or_default();
        let pos = if day_view {
            j.place
                .start
                .map(|s| {
                    let w = (DAY_TO - DAY_FROM) as f64;
                    format!(
                        "; left: {:.3}%; width: {:.3}%",
                        (s.saturating_sub(DAY_FROM)) as f64 / w * 100.0,
                        j.place.minutes as f64 / w * 100.0
                    )
                })
                .unwrap_or_default()
        } else {
            String::new()
        };
        let when = match j.place.start {
            // A week's cell is narrow: the start; the length follows.
            Some(s) if !day_view => clock(s),
            Some(s) => span(s, j.place.minutes),
            None => j
                .place
                .day
                .map(|d| format!("{} · no time yet", show_weekday(d)))
                .unwrap_or_else(|| "Not scheduled".into()),
        };
        let label = format!(
            "J-{} {}, {}. {}, {}.",
            j.number,
            j.customer_name,
            j.street,
            when,
            duration(j.place.minutes)
        );
        let window = (j.window != TimeWindow::Any).then(|| j.window.label());
        let resizable = day_view && j.place.start.is_some();
        view! {
            <div
                class="bcard"
                class:dragging=move || {
                    drag.with(|d| d.as_ref().is_some_and(|d| d.job == id && d.moved))
                }
                style=format!("{style}{pos}")
                data-job=id.to_string()
            >
                <button
                    type="button"
                    class="bcard-body"
                    aria-label=label
                    on:pointerdown=move |ev| start_drag(ev, id, false)
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" || ev.key() == " " {
                            ev.prevent_default();
                            editing.set(Some(id));
                        }
                    }
                >
                    <strong>{format!("J-{}", j.number)}</strong>
                    " "
                    {j.customer_name.clone()}
                    {(j.kind == crate::model::job::JobKind::Battery)
                        .then(|| {
                            view! {
                                " "
                                <span class="kind-tag">"Battery"</span>
                            }
                        })}
                    <span class="bcard-meta">
                        {when.clone()} " · " {duration(j.place.minutes)}
                        {window.map(|w| format!(" · {w}"))}
                    </span>
                    <span class="bcard-meta">{format!("{}, {}", j.street, j.city)}</span>
                </button>
                {resizable
                    .then(|| {
                        view! {
                            <span
                                class="bcard-resize"
                                aria-hidden="true"
                                title="Drag to change how long the job takes"
                                on:pointerdown=move |ev| start_drag(ev, id, true)
                            ></span>
                        }
                    })}
            </div>
        }
    };

    // The drop hint for a cell, while something is dragged over it.
    let hint = move |crew: Uuid, day: NaiveDate| {
        drag.with(|d| match d.as_ref().and_then(|d| d.target.clone()) {
            Some(Target::Slot { place, verdict })
                if place.crew_id == Some(crew) && place.day == Some(day) =>
            {
                Some((place, verdict))
            }
            _ => None,
        })
    };
    let hint_view = move |crew: Uuid, day: NaiveDate| {
        move || {
            hint(crew, day).map(|(p, v)| {
                let ok = v.is_ok();
                let text = match v {
                    Ok(()) => format!("Drop: {}", span(p.start.unwrap_or(0), p.minutes)),
                    Err(m) => m,
                };
                let pos = if day_view {
                    let w = (DAY_TO - DAY_FROM) as f64;
                    format!(
                        "left: {:.3}%; width: {:.3}%",
                        (p.start.unwrap_or(0).saturating_sub(DAY_FROM)) as f64 / w * 100.0,
                        p.minutes as f64 / w * 100.0
                    )
                } else {
                    String::new()
                };
                view! {
                    <div class="drop-hint" class:bad=!ok style=pos role="status">
                        {text}
                    </div>
                }
            })
        }
    };

    let nav = {
        let step = if day_view { 1 } else { 7 };
        let view_q = if day_view { "day" } else { "week" };
        let link = move |d: NaiveDate, v: &str| {
            format!("/schedule?view={v}&from={}", d.format("%Y-%m-%d"))
        };
        let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday() as i64);
        let title = if day_view {
            show_long_date(board.from)
        } else {
            format!(
                "{} – {}",
                show_day(board.from),
                show_date(board.from + Duration::days(6))
            )
        };
        view! {
            <div class="board-nav">
                <A
                    href=link(board.from - Duration::days(step), view_q)
                    attr:class="button secondary"
                >
                    "‹ Previous"
                </A>
                <A
                    href=link(if day_view { board.today } else { monday(board.today) }, view_q)
                    attr:class="button secondary"
                >
                    "Today"
                </A>
                <A
                    href=link(board.from + Duration::days(step), view_q)
                    attr:class="button secondary"
                >
                    "Next ›"
                </A>
                <h2 class="board-title">{title}</h2>
                <span class="tabs">
                    <A
                        href=link(board.from, "day")
                        attr:class=if day_view { "tab current" } else { "tab" }
                    >
                        "Day"
                    </A>
                    <A
                        href=link(monday(board.from), "week")
                        attr:class=if day_view { "tab" } else { "tab current" }
                    >
                        "Week"
                    </A>
                </span>
                <span class="muted small">{format!("Times in {}", board.zone)}</span>
                {(day_view && board.can_edit && board.routes && !board.crews.is_empty())
                    .then(|| {
                        let day = board.from.format("%Y-%m-%d").to_string();
                        view! {
                            <button
                                type="button"
                                class="secondary"
                                on:click=move |_| {
                                    optimise
                                        .dispatch(OptimiseRoutes {
                                            crew_id: None,
                                            day: day.clone(),
                                            apply: false,
                                        });
                                }
                            >
                                "Optimise all crews"
                            </button>
                        }
                    })}
            </div>
        }
    };

    let grid = if board.crews.is_empty() {
        view! {
            <div class="empty">
                <h2>"No crews yet"</h2>
                <p>
                    "Add a crew (its members, hours and vehicle) to start booking jobs on the board."
                </p>
                <A href="/crews" attr:class="button">
                    "Add a crew"
                </A>
            </div>
        }
            .into_any()
    } else if day_view {
        let day = board.from;
        view! {
            <div class="board board-day" role="grid" aria-label="Schedule by crew and hour">
                <div class="board-row board-head" role="row">
                    <div class="board-crew" role="columnheader">
                        "Crew"
                    </div>
                    <div class="hours" role="columnheader">
                        {(DAY_FROM / 60..DAY_TO / 60)
                            .map(|h| view! { <span>{crate::app::use_date_style().hour(h)}</span> })
                            .collect_view()}
                    </div>
                </div>
                {board
                    .crews
                    .iter()
                    .map(|c| {
                        let cid = c.id;
                        let shift = c.shift_on(day);
                        let off = match &shift {
                            Ok([s, e]) => {
                                let w = (DAY_TO - DAY_FROM) as f64;
                                format!(
                                    "--on-from: {:.3}%; --on-to: {:.3}%",
                                    (s.saturating_sub(DAY_FROM)) as f64 / w * 100.0,
                                    (e.min(&DAY_TO).saturating_sub(DAY_FROM)) as f64 / w * 100.0,
                                )
                            }
                            Err(_) => "--on-from: 0%; --on-to: 0%".into(),
                        };
                        let cards = jobs
                            .get_value()
                            .into_iter()
                            .filter(|j| j.place.crew_id == Some(cid) && j.place.day == Some(day))
                            .map(|j| card(j, Some(c.clone())))
                            .collect_view();
                        view! {
                            <div class="board-row" role="row">
                                <div
                                    class="board-crew"
                                    role="rowheader"
                                    style=format!("--crew: {}", c.color)
                                >
                                    <span class="crew-name">
                                        <span class="dot"></span>
                                        {c.name.clone()}
                                    </span>
                                    <span class="muted small">
                                        {match shift {
                                            Ok([s, e]) => span(s, e - s),
                                            Err(_) => "Off".into(),
                                        }}
                                    </span>
                                    {route_links(cid, day, b.get_value(), optimise)}
                                </div>
                                <div
                                    class="lane"
                                    role="gridcell"
                                    style=off
                                    data-crew=cid.to_string()
                                    data-day=day.format("%Y-%m-%d").to_string()
                                >
                                    {cards}
                                    {hint_view(cid, day)}
                                </div>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="board board-week" role="grid" aria-label="Schedule by crew and day">
                <div class="board-row board-head" role="row">
                    <div class="board-crew" role="columnheader">
                        "Crew"
                    </div>
                    {days
                        .clone()
                        .into_iter()
                        .map(|d| {
                            let today = d == board.today;
                            view! {
                                <div class="board-day-head" class:today=today role="columnheader">
                                    <A href=format!(
                                        "/schedule?view=day&from={}",
                                        d.format("%Y-%m-%d"),
                                    )>{show_weekday(d)}</A>
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
                {board
                    .crews
                    .iter()
                    .map(|c| {
                        let cid = c.id;
                        view! {
                            <div class="board-row" role="row">
                                <div
                                    class="board-crew"
                                    role="rowheader"
                                    style=format!("--crew: {}", c.color)
                                >
                                    <span class="crew-name">
                                        <span class="dot"></span>
                                        {c.name.clone()}
                                    </span>
                                </div>
                                {days
                                    .clone()
                                    .into_iter()
                                    .map(|d| {
                                        let off = c.shift_on(d).is_err();
                                        let cards = jobs
                                            .get_value()
                                            .into_iter()
                                            .filter(|j| {
                                                j.place.crew_id == Some(cid) && j.place.day == Some(d)
                                            })
                                            .map(|j| card(j, Some(c.clone())))
                                            .collect_view();
                                        view! {
                                            <div
                                                class="cell"
                                                class:off=off
                                                role="gridcell"
                                                data-crew=cid.to_string()
                                                data-day=d.format("%Y-%m-%d").to_string()
                                            >
                                                {off
                                                    .then(|| view! { <span class="muted small">"Off"</span> })}
                                                {cards}
                                                {hint_view(cid, d)}
                                            </div>
                                        }
                                    })
                                    .collect_view()}
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        }
            .into_any()
    };

    let waiting_ids: Vec<Uuid> = board.waiting.iter().map(|j| j.id).collect();
    let waiting = move || {
        let f = filter.get().to_lowercase();
        let list: Vec<BoardJob> = jobs
            .get_value()
            .into_iter()
            .filter(|j| waiting_ids.contains(&j.id))
            .filter(|j| {
                f.is_empty()
                    || format!("j-{} {} {} {}", j.number, j.customer_name, j.street, j.city)
                        .to_lowercase()
                        .contains(&f)
            })
            .collect();
        if list.is_empty() {
            view! { <p class="muted">"Nothing waiting to be scheduled."</p> }.into_any()
        } else {
            list.into_iter()
                .map(|j| card(j, None))
                .collect_view()
                .into_any()
        }
    };
    let waiting_hint = move || {
        drag.with(|d| {
            matches!(
                d.as_ref().and_then(|d| d.target.clone()),
                Some(Target::Waiting)
            )
        })
    };

    view! {
        {nav}
        <div
            class="board-wrap"
            class:is-dragging=move || drag.with(|d| d.as_ref().is_some_and(|d| d.moved))
        >
            <aside
                class="waiting"
                data-drop="waiting"
                class:drop-here=waiting_hint
                aria-label="Waiting to be scheduled"
            >
                <h2>{format!("To schedule ({})", board.waiting.len())}</h2>
                <label class="sr-only" for="waiting-filter">
                    "Filter jobs to schedule"
                </label>
                <input
                    id="waiting-filter"
                    type="search"
                    placeholder="Filter by name, address, J-number"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                />
                <div class="waiting-list">{waiting}</div>
                <p class="muted small">
                    "Drag a job onto a crew and a time, or open it with Enter to choose them in a form."
                </p>
            </aside>
            <div class="board-scroll">{grid}</div>
        </div>
        {move || {
            editing
                .get()
                .and_then(|id| jobs.with_value(|js| js.iter().find(|j| j.id == id).cloned()))
                .map(|j| {
                    view! { <PlaceForm job=j board=b.get_value() place editing /> }
                })
        }}
    }
}

/// The crew's first free start on `day` that fits `job` (or the start of
/// its day when nothing fits; the rules then say why).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn first_free(crew: &Crew, day: NaiveDate, job: &BoardJob, booked: &[BoardJob]) -> u32 {
    let Ok([from, to]) = crew.shift_on(day) else {
        return 8 * 60;
    };
    let (w0, _) = job.window.bounds();
    let mut t = from.max(w0);
    while t + job.place.minutes <= to {
        if check_booking(job.id, crew, day, t, job.place.minutes, job.window, booked).is_ok() {
            return t;
        }
        t += SNAP;
    }
    from
}

/// The keyboard's way to book or move a job: crew, day, time, length and
/// the customer's window, checked by the same rules as a drag.
#[component]
fn PlaceForm(
    job: BoardJob,
    board: Board,
    place: ServerAction<PlaceJob>,
    editing: RwSignal<Option<Uuid>>,
) -> impl IntoView {
    let crews = board.crews.clone();
    let first_crew = job
        .place
        .crew_id
        .or_else(|| crews.first().map(|c| c.id))
        .map(|c| c.to_string())
        .unwrap_or_default();
    let crew = RwSignal::new(first_crew);
    let day = RwSignal::new(
        job.place
            .day
            .unwrap_or(board.today)
            .format("%Y-%m-%d")
            .to_string(),
    );
    let start = RwSignal::new(input_clock(job.place.start.unwrap_or(8 * 60)));
    let minutes = RwSignal::new(job.place.minutes.to_string());
    let window = RwSignal::new(job.window.code().to_string());
    let all: Vec<BoardJob> = board
        .booked
        .iter()
        .chain(board.waiting.iter())
        .cloned()
        .collect();
    let job_id = job.id;
    // The rules, as the fields change (the server checks again on save, and
    // also sees bookings outside the week on screen).
    let verdict = {
        let crews = crews.clone();
        move || -> Option<String> {
            let c = crews.iter().find(|c| c.id.to_string() == crew.get())?;
            let d: NaiveDate = day.get().parse().ok()?;
            let s = crate::model::schedule::parse_clock(&start.get()).ok()?;
            let m = crate::model::schedule::parse_minutes(&minutes.get()).ok()?;
            let w = TimeWindow::parse(&window.get()).unwrap_or_default();
            check_booking(job_id, c, d, s, m, w, &all).err()
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        place.dispatch(PlaceJob {
            id: job_id,
            crew_id: crew.get_untracked().parse().ok(),
            day: Some(day.get_untracked()),
            start: Some(start.get_untracked()),
            minutes: Some(minutes.get_untracked()),
            window: Some(window.get_untracked()),
        });
        editing.set(None);
    };
    let unbook = move |_| {
        place.dispatch(PlaceJob {
            id: job_id,
            crew_id: None,
            day: None,
            start: None,
            minutes: Some(minutes.get_untracked()),
            window: Some(window.get_untracked()),
        });
        editing.set(None);
    };
    let booked = job.place.day.is_some();
    // Slot suggestions (Growth and up): the best few crew/day/time slots
    // with the miles each adds; one click books one.
    let smart = board.smart;
    let suggest = ServerAction::<crate::api::schedule::SuggestSlots>::new();
    let book = move |s: crate::model::schedule::Suggestion| {
        place.dispatch(PlaceJob {
            id: job_id,
            crew_id: Some(s.crew_id),
            day: Some(s.day.format("%Y-%m-%d").to_string()),
            start: Some(input_clock(s.start)),
            minutes: Some(s.minutes.to_string()),
            window: None,
        });
        editing.set(None);
    };
    let suggestions = move || {
        suggest.value().get().map(|r| match r {
            Err(e) => view! {
                <p class="error" role="alert">
                    {e.to_string()}
                </p>
            }.into_any(),
            Ok(list) if list.is_empty() => {
                view! {
                    <p class="muted">
                        "No free slot in the next two weeks keeps the crews' hours and the customer's window."
                    </p>
                }
                    .into_any()
            }
            Ok(list) => {
                view! {
                    <ul class="suggestions">
                        {list
                            .into_iter()
                            .map(|s| {
                                let label = format!(
                                    "{} · {} {} · adds {:.1} mi ({:.0} min driving)",
                                    s.crew_name,
                                    show_weekday(s.day),
                                    span(s.start, s.minutes),
                                    s.added_miles,
                                    s.added_minutes,
                                );
                                let s2 = s.clone();
                                view! {
                                    <li style=format!("--crew: {}", s.color)>
                                        <span class="dot" aria-hidden="true"></span>
                                        <span class="grow">{label.clone()}</span>
                                        <button
                                            type="button"
                                            class="secondary"
                                            aria-label=format!("Book {label}")
                                            on:click=move |_| book(s2.clone())
                                        >
                                            "Book"
                                        </button>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }
        })
    };
    view! {
        <div class="dialog-backdrop" on:click=move |_| editing.set(None)></div>
        <form
            class="dialog place-form"
            role="dialog"
            aria-modal="true"
            aria-labelledby="place-title"
            on:submit=save
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                if ev.key() == "Escape" {
                    editing.set(None);
                }
            }
        >
            <h2 id="place-title">
                {format!("Schedule J-{} · {}", job.number, job.customer_name)}
            </h2>
            <p class="muted">
                {format!("{}, {}", job.street, job.city)} " · "
                <A href=format!("/jobs/{}", job.id)>"Open the job"</A>
            </p>
            <div class="grid-2">
                <label>
                    "Crew"
                    <select
                        name="crew_id"
                        autofocus
                        on:change=move |ev| crew.set(event_target_value(&ev))
                        prop:value=move || crew.get()
                    >
                        {crews
                            .iter()
                            .map(|c| {
                                view! { <option value=c.id.to_string()>{c.name.clone()}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Day"
                    <input
                        type="date"
                        name="day"
                        required
                        prop:value=move || day.get()
                        on:input=move |ev| day.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Start"
                    <input
                        type="time"
                        name="start"
                        step="900"
                        required
                        prop:value=move || start.get()
                        on:input=move |ev| start.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Takes (minutes)"
                    <input
                        type="number"
                        name="minutes"
                        min="15"
                        max="1440"
                        step="15"
                        required
                        prop:value=move || minutes.get()
                        on:input=move |ev| minutes.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "Customer's window"
                    <select
                        name="window"
                        on:change=move |ev| window.set(event_target_value(&ev))
                        prop:value=move || window.get()
                    >
                        {TimeWindow::ALL
                            .iter()
                            .map(|w| view! { <option value=w.code()>{w.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
            </div>
            {move || {
                verdict()
                    .map(|m| {
                        view! {
                            <p class="error" role="alert">
                                {m}
                            </p>
                        }
                    })
            }}
            <div class="suggest">
                {if smart {
                    view! {
                        <button
                            type="button"
                            class="link"
                            disabled=move || suggest.pending().get()
                            on:click=move |_| {
                                suggest
                                    .dispatch(crate::api::schedule::SuggestSlots {
                                        id: job_id,
                                    });
                            }
                        >
                            "Suggest the best slots (next two weeks)"
                        </button>
                    }
                        .into_any()
                } else {
                    view! {
                        <A href="/settings/billing" attr:class="locked small">
                            "Slot suggestions: Growth plan"
                        </A>
                    }
                        .into_any()
                }} {suggestions}
            </div>
            <div class="actions">
                <button type="submit">"Save"</button>
                {booked
                    .then(|| {
                        view! {
                            <button type="button" class="secondary" on:click=unbook>
                                "Take off the schedule"
                            </button>
                        }
                    })}
                <button type="button" class="secondary" on:click=move |_| editing.set(None)>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

/// A crew member's day: their stops in order, each with the customer, a
/// navigation link, a tap-to-call phone and the job's page (start,
/// complete, photos).
#[component]
pub fn TodayPage() -> impl IntoView {
    let query = use_query_map();
    let day = move || query.read().get("day");
    let refresh = RwSignal::new(0u32);
    crate::app::components::on_live_change(move || refresh.update(|n| *n += 1));
    let outbox = crate::app::components::use_outbox();
    let sent = Memo::new(move |_| outbox.with(|o| o.sent));
    let data = Resource::new(
        move || (day(), refresh.get(), sent.get()),
        |(d, _, _)| crate::api::schedule::get_my_day(d),
    );
    // The pages kept on the phone for offline use, last time.
    let kept = StoredValue::new(Vec::<String>::new());
    view! {
        <Title text="My day" />
        <SiteGate on=On::Tenant>
            {crate::app::components::loaded_keeping(
                data,
                move |d| {
                    let mut pages = vec![
                        match day() {
                            Some(q) => format!("/today?day={q}"),
                            None => "/today".into(),
                        },
                    ];
                    pages.extend(d.stops.iter().map(|s| format!("/jobs/{}", s.job.id)));
                    if kept.with_value(|k| *k != pages) {
                        kept.set_value(pages.clone());
                        let ids: Vec<Uuid> = d.stops.iter().map(|s| s.job.id).collect();
                        let q = day();
                        crate::app::components::keep_for_offline(
                            pages,
                            move || {
                                let q = q.clone();
                                for id in ids.clone() {
                                    leptos::task::spawn_local(async move {
                                        let _ = crate::api::jobs::get_job(id).await;
                                    });
                                }
                                leptos::task::spawn_local(async move {
                                    let _ = crate::api::schedule::get_my_day(q).await;
                                });
                            },
                        );
                    }
                    let title = if d.day == d.today {
                        format!("Today, {}", show_weekday(d.day))
                    } else {
                        crate::app::use_date_style().long_weekday(d.day)
                    };
                    let crews = d
                        .crews
                        .iter()
                        .map(|c| c.name.clone())
                        .collect::<Vec<_>>()
                        .join(", ");
                    view! {
                        <div class="page-head">
                            <h1>{title}</h1>
                        </div>
                        <div class="board-nav">
                            <A
                                href=format!(
                                    "/today?day={}",
                                    (d.day - Duration::days(1)).format("%Y-%m-%d"),
                                )
                                attr:class="button secondary"
                            >
                                "‹ Day before"
                            </A>
                            <A
                                href=format!(
                                    "/today?day={}",
                                    (d.day + Duration::days(1)).format("%Y-%m-%d"),
                                )
                                attr:class="button secondary"
                            >
                                "Next day ›"
                            </A>
                        </div>
                        {if d.crews.is_empty() {
                            view! {
                                <p class="muted">
                                    "You are not on a crew yet. Ask the office to add you to one."
                                </p>
                            }
                                .into_any()
                        } else if d.stops.is_empty() {
                            view! {
                                <p class="muted">
                                    {format!("No stops booked for {crews} on this day.")}
                                </p>
                            }
                                .into_any()
                        } else {
                            view! {
                                <p class="muted">
                                    {format!(
                                        "{} · {}",
                                        crews,
                                        crate::model::count(d.stops.len() as i64, "stop", "stops"),
                                    )}
                                </p>
                                <ol class="stops">
                                    {d
                                        .stops
                                        .into_iter()
                                        .map(|stop| stop_card(stop, outbox, d.sms))
                                        .collect_view()}
                                </ol>
                            }
                                .into_any()
                        }}
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

/// A crew's route links in the day view: optimise (Growth and up; on
/// Starter, what unlocks it) and the route sheet.
fn route_links(
    crew: Uuid,
    day: NaiveDate,
    b: Board,
    optimise: ServerAction<OptimiseRoutes>,
) -> impl IntoView {
    let d = day.format("%Y-%m-%d").to_string();
    let sheet = format!("/schedule/route?crew={crew}&day={d}");
    let optimise_link = b.can_edit.then(|| {
        if b.routes {
            view! {
                <button
                    type="button"
                    class="link small"
                    on:click=move |_| {
                        optimise
                            .dispatch(OptimiseRoutes {
                                crew_id: Some(crew),
                                day: d.clone(),
                                apply: false,
                            });
                    }
                >
                    "Optimise route"
                </button>
            }
            .into_any()
        } else {
            view! {
                <A href="/settings/billing" attr:class="small locked">
                    "Optimise route: Growth plan"
                </A>
            }
            .into_any()
        }
    });
    view! {
        <span class="route-links">
            {optimise_link} <A href=sheet attr:class="small">
                "Route sheet"
            </A>
        </span>
    }
}

/// One stop on the crew's phone: when, who, where, what waits at the gate,
/// the pets, the checklist so far, and one tap to call, navigate or open.
/// The status is shown as it will be once the phone's waiting changes are
/// sent.
fn stop_card(
    stop: crate::model::schedule::Stop,
    outbox: Signal<crate::app::components::Outbox>,
    sms: bool,
) -> impl IntoView {
    let on_the_way = (sms
        && stop.phone.is_some()
        && matches!(
            stop.job.status,
            crate::model::JobStatus::Scheduled | crate::model::JobStatus::InProgress
        ))
    .then(|| on_the_way_form(stop.job.id, stop.drive_minutes, stop.texted.clone()));
    let s = stop.job;
    let nav = s
        .lat
        .zip(s.lon)
        .map(super::routes::nav_link)
        .unwrap_or_else(|| {
            super::routes::nav_link_to_address(&format!("{}, {}", s.street, s.city))
        });
    let (id, status) = (s.id, s.status);
    let total = s.kind.checklist().len();
    let battery = s.kind == crate::model::job::JobKind::Battery;
    view! {
        <li class="stop" data-testid="stop">
            <div class="stop-time">{s.place.start.map(|t| span(t, s.place.minutes))}</div>
            <div class="stop-body">
                <A href=format!("/jobs/{}", s.id)>
                    <strong>{format!("J-{} · {}", s.number, s.customer_name)}</strong>
                </A>
                {battery.then(|| view! { <span class="kind-tag">"Battery visit"</span> })}
                <span>{format!("{}, {}", s.street, s.city)}</span>
                <span>
                    {move || {
                        let (now, waiting) = outbox.with(|o| o.status(id, status));
                        view! {
                            <span class=format!("pill {}", now.code())>{now.label()}</span>
                            {waiting
                                .then(|| {
                                    view! { <span class="pill waiting">"waiting to send"</span> }
                                })}
                        }
                    }}
                    <span class="muted small">
                        {format!(" · checklist {} of {total}", stop.checklist_done)}
                    </span>
                </span>
                {(!stop.gate_notes.is_empty())
                    .then(|| {
                        view! {
                            <span class="gate-notes small">
                                <strong>"Gate: "</strong>
                                {stop.gate_notes.clone()}
                            </span>
                        }
                    })}
                {(!stop.pets.is_empty())
                    .then(|| {
                        view! {
                            <span class="muted small">
                                {format!("Pets: {}", stop.pets.join(", "))}
                            </span>
                        }
                    })}
            </div>
            <div class="stop-actions">
                {stop
                    .phone
                    .clone()
                    .map(|p| {
                        view! {
                            <a
                                class="button secondary"
                                href=format!(
                                    "tel:{}",
                                    p
                                        .chars()
                                        .filter(|c| c.is_ascii_digit() || *c == '+')
                                        .collect::<String>(),
                                )
                                aria-label=format!("Call {p}")
                            >
                                "Call"
                            </a>
                        }
                    })} <a class="button secondary" href=nav target="_blank" rel="noopener">
                    "Navigate"
                </a> <A href=format!("/jobs/{}", s.id) attr:class="button">
                    "Open"
                </A>
            </div>
            {on_the_way}
        </li>
    }
}

/// "On my way": texts the homeowner the crew's arrival in about so many
/// minutes (the drive from the stop before suggested).
fn on_the_way_form(job: Uuid, drive: u32, texted: Option<String>) -> impl IntoView {
    let send = ServerAction::<crate::api::sms::OnMyWay>::new();
    let choices = [5u32, 10, 15, 20, 30, 45, 60, 90];
    let suggested = choices.into_iter().find(|m| *m >= drive).unwrap_or(90);
    let done = move || match send.value().get() {
        Some(Ok(o)) => Some(
            view! {
                <span class="small ok" role="status">
                    {format!("Texted {}: arriving around {}.", o.to, o.arrive)}
                </span>
            }
            .into_any(),
        ),
        Some(Err(e)) => Some(
            view! {
                <span class="small error" role="alert">
                    {e.to_string()}
                </span>
            }
            .into_any(),
        ),
        None => None,
    };
    let id = job.to_string();
    view! {
        <ActionForm action=send attr:class="on-the-way">
            <input type="hidden" name="job_id" value=id />
            <label class="small">
                "Arriving in " <select name="minutes" aria-label="Minutes until you arrive">
                    {choices
                        .into_iter()
                        .map(|m| {
                            view! {
                                <option value=m.to_string() selected=m == suggested>
                                    {format!("{m} min")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" class="button secondary" disabled=move || send.pending().get()>
                "Text: on my way"
            </button>
            {texted
                .map(|t| view! { <span class="muted small">{format!("Last texted {t}")}</span> })}
            {done}
        </ActionForm>
    }
}
