//! The boundary designer: an SVG plan in feet. Add, move and delete boundary
//! points with mouse or touch (pointer events), mark the transmitter, draw
//! the twisted lead and crossings, pick the layout. Lengths update live; the
//! same take-off code runs on the server when the drawing is saved.

mod plan;
mod state;

pub use plan::map_tiles;
pub use state::{Effect, Handle, Input, State, Tool};

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::model::takeoff::{Drawing, Layout, Pt};
use plan::{grid_step, ASPECT};

/// An SVG `points` attribute.
fn points_attr<'a>(pts: impl Iterator<Item = &'a Pt>) -> String {
    pts.map(|p| format!("{},{}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The crossings, as lines.
fn crossing_lines(crossings: &[[Pt; 2]]) -> impl IntoView {
    crossings
        .iter()
        .map(|[a, b]| view! { <line class="crossing" x1=a.x y1=a.y x2=b.x y2=b.y /> })
        .collect_view()
}

fn fmt_ft(x: f64) -> String {
    // `+ 0.0` turns an empty sum's -0.0 into 0.
    format!("{:.0} ft", x + 0.0)
}

#[component]
pub fn Designer(
    drawing: RwSignal<Drawing>,
    #[prop(optional)] editable: bool,
    /// (tile URL template, lat, lon)
    #[prop(default = None)]
    map: Option<(String, f64, f64)>,
    /// When set, a "Move pin" tool re-centres the plan on a tapped point and
    /// reports the offset in feet (east, south).
    #[prop(default = None)]
    on_pin: Option<Callback<(f64, f64)>>,
) -> impl IntoView {
    // A drawing that does not fit the saved plan width is shown whole.
    if let Some(w) = drawing.with_untracked(|d| d.fitting_width()) {
        if w > drawing.with_untracked(|d| d.width_ft) {
            drawing.update_untracked(|d| d.width_ft = w);
        }
    }
    // The gestures' state; every input goes through `State::apply`.
    let st = RwSignal::new(State::new(on_pin.is_some()));
    let tool = move || st.with(|s| s.tool);
    let pending = move || st.with(|s| s.pending_crossing);
    let selected = move || st.with(|s| s.selected);
    // Applies one input; the drawing is touched (and redrawn) only by the
    // inputs that can change it.
    let apply = move |input: Input| {
        let changes = match input {
            Input::Move(_) => st.with_untracked(|s| s.dragging.is_some()),
            Input::PressHandle(_) | Input::Release | Input::ChooseTool(_) => false,
            _ => true,
        };
        let mut effect = Effect::None;
        let step = |d: &mut Drawing| st.update(|s| effect = s.apply(d, input));
        if changes {
            drawing.update(step);
        } else {
            drawing.update_untracked(step);
        }
        if let (Effect::PinMoved(p), Some(cb)) = (effect, on_pin) {
            cb.run((p.x, p.y));
        }
    };

    let view_box = move || {
        let w = drawing.with(|d| d.width_ft);
        let h = w * ASPECT;
        (-w / 2.0, -h / 2.0, w, h)
    };

    // Client coordinates → plan feet, honouring the SVG's "meet" scaling.
    let to_plan = move |ev: &web_sys::PointerEvent| -> Option<Pt> {
        let el: web_sys::Element = ev.current_target()?.dyn_into().ok()?;
        let r = el.get_bounding_client_rect();
        let (vx, vy, vw, vh) = view_box();
        let scale = (r.width() / vw).min(r.height() / vh);
        if !(scale.is_finite() && scale > 0.0) {
            return None;
        }
        let ox = (r.width() - vw * scale) / 2.0;
        let oy = (r.height() - vh * scale) / 2.0;
        let x = vx + (ev.client_x() as f64 - r.left() - ox) / scale;
        let y = vy + (ev.client_y() as f64 - r.top() - oy) / scale;
        Some(Pt::new(
            (x * 10.0).round() / 10.0,
            (y * 10.0).round() / 10.0,
        ))
    };

    let on_down = move |ev: web_sys::PointerEvent| {
        if !editable || ev.button() > 0 {
            return;
        }
        let Some(p) = to_plan(&ev) else { return };
        ev.prevent_default();
        apply(Input::PressPlan(p));
    };

    let on_move = move |ev: web_sys::PointerEvent| {
        if st.with_untracked(|s| s.dragging.is_some()) {
            if let Some(p) = to_plan(&ev) {
                ev.prevent_default();
                apply(Input::Move(p));
            }
        }
    };
    let on_up = move |_ev: web_sys::PointerEvent| apply(Input::Release);

    // A handle: pointer-down selects and starts a drag (and stops the plan
    // from adding a point).
    let handle = move |h: Handle, p: Pt, class: &'static str| {
        let r = drawing.with(|d| d.width_ft) / 90.0;
        view! {
            <circle
                class=move || {
                    format!(
                        "handle {class}{}",
                        if selected() == Some(h) { " selected" } else { "" },
                    )
                }
                cx=p.x
                cy=p.y
                r=r
                on:pointerdown=move |ev: web_sys::PointerEvent| {
                    if !editable {
                        return;
                    }
                    ev.stop_propagation();
                    ev.prevent_default();
                    if let Some(t) = ev
                        .current_target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    {
                        if let Some(svg) = t.closest("svg").ok().flatten() {
                            let _ = svg.set_pointer_capture(ev.pointer_id());
                        }
                    }
                    apply(Input::PressHandle(h));
                }
                on:dblclick=move |ev: web_sys::MouseEvent| {
                    if !editable {
                        return;
                    }
                    ev.stop_propagation();
                    apply(Input::DoubleClickHandle(h));
                }
            />
        }
    };

    let grid = move || {
        let (vx, vy, vw, vh) = view_box();
        let step = grid_step(vw);
        let mut lines = Vec::new();
        let mut x = (vx / step).floor() * step;
        while x <= vx + vw {
            lines.push((x, vy, x, vy + vh));
            x += step;
        }
        let mut y = (vy / step).floor() * step;
        while y <= vy + vh {
            lines.push((vx, y, vx + vw, y));
            y += step;
        }
        lines
            .into_iter()
            .map(|(x1, y1, x2, y2)| view! { <line class="grid" x1=x1 y1=y1 x2=x2 y2=y2 /> })
            .collect_view()
    };

    let segment_labels = move || {
        let d = drawing.get();
        let fs = d.width_ft / 55.0;
        let b = &d.boundary;
        let n = b.len();
        if n < 2 {
            return Vec::new();
        }
        (0..n)
            .filter(|i| n > 2 || *i == 0)
            .map(|i| {
                let (p, q) = (b[i], b[(i + 1) % n]);
                let len = p.dist(q);
                view! {
                    <text class="seg-label" x=(p.x + q.x) / 2.0 y=(p.y + q.y) / 2.0 font-size=fs>
                        {fmt_ft(len)}
                    </text>
                }
            })
            .collect::<Vec<_>>()
    };

    let tiles = map.map(|(tpl, lat, lon)| {
        move || {
            map_tiles(&tpl, lat, lon, drawing.with(|d| d.width_ft))
                .into_iter()
                .map(|(href, x, y, s)| view! { <image href=href x=x y=y width=s height=s preserveAspectRatio="none" /> })
                .collect_view()
        }
    });

    let summary = move || {
        let d = drawing.get();
        format!(
            "Boundary {} · lead {} · crossings {} · area {:.0} sq ft{}",
            fmt_ft(d.boundary_ft()),
            fmt_ft(d.lead_ft()),
            fmt_ft(d.crossings_ft()),
            d.area_sqft(),
            if d.self_intersects() {
                " · the boundary crosses itself"
            } else {
                ""
            }
        )
    };

    view! {
        <div class="designer" class:editable=editable>
            {editable
                .then(|| {
                    view! {
                        <div class="designer-tools" role="toolbar" aria-label="Drawing tools">
                            {Tool::ALL
                                .into_iter()
                                .filter(|t| *t != Tool::Pin || on_pin.is_some())
                                .map(|t| {
                                    view! {
                                        <button
                                            type="button"
                                            class="tool"
                                            class:active=move || tool() == t
                                            aria-pressed=move || (tool() == t).to_string()
                                            on:click=move |_| apply(Input::ChooseTool(t))
                                        >
                                            {t.label()}
                                        </button>
                                    }
                                })
                                .collect_view()}
                            <button
                                type="button"
                                class="tool danger"
                                disabled=move || selected().is_none()
                                on:click=move |_| apply(Input::Delete)
                            >
                                "Delete point"
                            </button>
                            <button
                                type="button"
                                class="tool"
                                title="Zoom to show the whole drawing"
                                on:click=move |_| {
                                    if let Some(w) = drawing.with(|d| d.fitting_width()) {
                                        drawing.update(|d| d.width_ft = w)
                                    }
                                }
                            >
                                "Fit"
                            </button>
                            <button
                                type="button"
                                class="tool"
                                on:click=move |_| apply(Input::Clear)
                            >
                                "Clear"
                            </button>
                        </div>
                        <div class="designer-options">
                            <label>
                                "Layout "
                                <select
                                    aria-label="Layout"
                                    on:change=move |ev| {
                                        if let Some(l) = Layout::parse(&event_target_value(&ev)) {
                                            drawing.update(|d| d.layout = l)
                                        }
                                    }
                                >
                                    {Layout::ALL
                                        .into_iter()
                                        .map(|l| {
                                            view! {
                                                <option
                                                    value=l.code()
                                                    selected=move || drawing.with(|d| d.layout) == l
                                                >
                                                    {l.label()}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                            </label>
                            <label>
                                "Plan width (ft) "
                                <input
                                    type="number"
                                    min="20"
                                    max="50000"
                                    step="10"
                                    aria-label="Plan width in feet"
                                    value=drawing.with_untracked(|d| d.width_ft.to_string())
                                    prop:value=move || drawing.with(|d| d.width_ft.to_string())
                                    on:change=move |ev| {
                                        if let Ok(w) = event_target_value(&ev).parse::<f64>() {
                                            if (20.0..=50_000.0).contains(&w) {
                                                drawing.update(|d| d.width_ft = w)
                                            }
                                        }
                                    }
                                />
                            </label>
                        </div>
                        <p class="hint">{move || tool().hint()}</p>
                    }
                })}
            <svg
                class="plan"
                data-testid="plan"
                role="img"
                aria-label="Property plan"
                viewBox=move || {
                    let (x, y, w, h) = view_box();
                    format!("{x} {y} {w} {h}")
                }
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=on_up
                on:pointercancel=on_up
                on:keydown=move |ev: web_sys::KeyboardEvent| {
                    if ev.key() == "Delete" || ev.key() == "Backspace" {
                        ev.prevent_default();
                        apply(Input::Delete);
                    }
                }
                tabindex="0"
            >
                {tiles}
                <g class="grid-lines">{grid}</g>
                <circle class="pin" cx="0" cy="0" r=move || drawing.with(|d| d.width_ft) / 140.0 />
                <polygon
                    class=move || format!("boundary {}", drawing.with(|d| d.layout.code()))
                    points=move || drawing.with(|d| points_attr(d.boundary.iter()))
                />
                <polyline
                    class="lead"
                    points=move || {
                        drawing.with(|d| points_attr(d.transmitter.iter().chain(&d.lead)))
                    }
                />
                {move || drawing.with(|d| crossing_lines(&d.crossings))}
                {segment_labels}
                {move || {
                    let d = drawing.get();
                    let mut hs = Vec::new();
                    for (i, p) in d.boundary.iter().enumerate() {
                        hs.push(handle(Handle::Boundary(i), *p, "b").into_any());
                    }
                    if let Some(t) = d.transmitter {
                        hs.push(handle(Handle::Transmitter, t, "tx").into_any());
                    }
                    for (i, p) in d.lead.iter().enumerate() {
                        hs.push(handle(Handle::Lead(i), *p, "ld").into_any());
                    }
                    for (i, [a, b]) in d.crossings.iter().enumerate() {
                        hs.push(handle(Handle::Crossing(i, 0), *a, "cr").into_any());
                        hs.push(handle(Handle::Crossing(i, 1), *b, "cr").into_any());
                    }
                    hs
                }}
                {move || {
                    pending()
                        .map(|p| {
                            view! {
                                <circle
                                    class="handle cr pending"
                                    cx=p.x
                                    cy=p.y
                                    r=drawing.with(|d| d.width_ft) / 90.0
                                />
                            }
                        })
                }}
            </svg>
            <p class="designer-summary" data-testid="lengths" aria-live="polite">
                {summary}
            </p>
            <p class="legend">
                <span class="key b"></span>
                "boundary "
                <span class="key tx"></span>
                "transmitter "
                <span class="key ld"></span>
                "twisted lead "
                <span class="key cr"></span>
                "crossing "
                <span class="key pin"></span>
                "property pin · grid "
                {move || fmt_ft(grid_step(drawing.with(|d| d.width_ft)))}
            </p>
        </div>
    }
    .into_any()
}
