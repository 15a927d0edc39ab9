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

/// A two-finger gesture as it started: the fingers' distance and midpoint,
/// the plan's centre on screen, and the view then.
#[derive(Clone, Copy)]
struct Pinch {
    dist: f64,
    mid: (f64, f64),
    rect_mid: (f64, f64),
    width: f64,
    centre: Pt,
    px: f64,
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
    // The plan's width on screen (px), measured once mounted and on resize:
    // handles, labels and touch targets are sized in screen pixels, so they
    // stay readable and at least 44 px to a finger at any zoom.
    let plan_px = RwSignal::new(640.0_f64);
    let ft_per_px = move || drawing.with(|d| d.width_ft) / plan_px.get().max(1.0);
    // Where the view is centred (plan feet): moved by a two-finger pan. The
    // zoom is the plan's width, saved with the drawing.
    let centre = RwSignal::new(Pt::new(0.0, 0.0));
    // Undo and redo: the drawings before (and after) each change.
    let undo = StoredValue::new(Vec::<Drawing>::new());
    let redo = StoredValue::new(Vec::<Drawing>::new());
    let history = RwSignal::new(0u32);
    let drag_start = StoredValue::new(None::<Drawing>);
    let remember = move |before: Drawing| {
        if drawing.with_untracked(|d| !d.same_wire(&before)) {
            undo.update_value(|u| {
                u.push(before);
                if u.len() > 100 {
                    u.remove(0);
                }
            });
            redo.update_value(Vec::clear);
            history.update(|n| *n += 1);
        }
    };
    let step_history = move |back: bool| {
        let (from, to) = if back { (undo, redo) } else { (redo, undo) };
        let mut prev = None;
        from.update_value(|v| prev = v.pop());
        if let Some(mut d) = prev {
            let now = drawing.get_untracked();
            d.width_ft = now.width_ft;
            to.update_value(|v| v.push(now));
            st.update(|s| {
                s.selected = None;
                s.dragging = None;
                s.pending_crossing = None;
            });
            drawing.set(d);
            history.update(|n| *n += 1);
        }
    };
    let can_undo = move || {
        history.track();
        undo.with_value(|u| !u.is_empty())
    };
    let can_redo = move || {
        history.track();
        redo.with_value(|u| !u.is_empty())
    };
    let confirm_clear = RwSignal::new(false);
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    let measure = move || {
        if let Some(el) = svg_ref.get_untracked() {
            let w = el.get_bounding_client_rect().width();
            if w > 0.0 {
                plan_px.set(w);
            }
        }
    };
    leptos::prelude::Effect::new(move |_| {
        if svg_ref.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
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
        let before = match input {
            Input::Move(_) => None,
            _ => Some(drawing.get_untracked()),
        };
        let mut effect = Effect::None;
        let step = |d: &mut Drawing| st.update(|s| effect = s.apply(d, input));
        if changes {
            drawing.update(step);
        } else {
            drawing.update_untracked(step);
        }
        // A drag is one change, from press to release.
        match input {
            Input::PressHandle(_) => drag_start.set_value(before),
            Input::Release => {
                if let Some(b) = drag_start.try_update_value(Option::take).flatten() {
                    remember(b);
                }
            }
            _ if changes => {
                if let Some(b) = before {
                    remember(b);
                }
            }
            _ => {}
        }
        if let (Effect::PinMoved(p), Some(cb)) = (effect, on_pin) {
            cb.run((p.x, p.y));
        }
    };

    let view_box = move || {
        let w = drawing.with(|d| d.width_ft);
        let h = w * ASPECT;
        let c = centre.get();
        (c.x - w / 2.0, c.y - h / 2.0, w, h)
    };
    let zoom = move |factor: f64| {
        drawing.update(|d| d.width_ft = (d.width_ft * factor).clamp(20.0, 50_000.0).round());
    };

    // Client coordinates → plan feet, honouring the SVG's "meet" scaling.
    let to_plan = move |ev: &web_sys::PointerEvent| -> Option<Pt> {
        let el: web_sys::Element = ev.current_target()?.dyn_into().ok()?;
        let r = el.get_bounding_client_rect();
        if (r.width() - plan_px.get_untracked()).abs() > 0.5 && r.width() > 0.0 {
            plan_px.set(r.width());
        }
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

    // Fingers on the plan: one taps (a point is added when it lifts, so a
    // second finger can still turn the gesture into a pinch), two pinch to
    // zoom and move the view.
    let fingers = StoredValue::new(Vec::<(i32, f64, f64)>::new());
    let tap = StoredValue::new(None::<(i32, f64, f64, Pt)>);
    let pinch = StoredValue::new(None::<Pinch>);
    let finger_down = move |ev: &web_sys::PointerEvent| -> usize {
        let (id, x, y) = (ev.pointer_id(), ev.client_x() as f64, ev.client_y() as f64);
        let mut n = 0;
        fingers.update_value(|f| {
            f.retain(|p| p.0 != id);
            f.push((id, x, y));
            n = f.len();
        });
        if n == 2 {
            tap.set_value(None);
            if st.with_untracked(|s| s.dragging.is_some()) {
                apply(Input::Release);
            }
            let f = fingers.get_value();
            let rect = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("svg").ok().flatten())
                .map(|svg| svg.get_bounding_client_rect());
            if let Some(r) = rect {
                pinch.set_value(Some(Pinch {
                    dist: ((f[0].1 - f[1].1).hypot(f[0].2 - f[1].2)).max(1.0),
                    mid: ((f[0].1 + f[1].1) / 2.0, (f[0].2 + f[1].2) / 2.0),
                    rect_mid: (r.left() + r.width() / 2.0, r.top() + r.height() / 2.0),
                    width: drawing.with_untracked(|d| d.width_ft),
                    centre: centre.get_untracked(),
                    px: r.width().max(1.0),
                }));
            }
        }
        n
    };

    let on_down = move |ev: web_sys::PointerEvent| {
        if ev.pointer_type() == "touch" {
            ev.prevent_default();
            if finger_down(&ev) == 1 && editable {
                if let Some(p) = to_plan(&ev) {
                    tap.set_value(Some((
                        ev.pointer_id(),
                        ev.client_x() as f64,
                        ev.client_y() as f64,
                        p,
                    )));
                }
            }
            return;
        }
        if !editable || ev.button() > 0 {
            return;
        }
        let Some(p) = to_plan(&ev) else { return };
        ev.prevent_default();
        apply(Input::PressPlan(p));
    };

    let on_move = move |ev: web_sys::PointerEvent| {
        if ev.pointer_type() == "touch" {
            let (id, x, y) = (ev.pointer_id(), ev.client_x() as f64, ev.client_y() as f64);
            fingers.update_value(|f| {
                if let Some(p) = f.iter_mut().find(|p| p.0 == id) {
                    *p = (id, x, y);
                }
            });
            if let Some((tid, tx, ty, _)) = tap.get_value() {
                if tid == id && (x - tx).hypot(y - ty) > 10.0 {
                    tap.set_value(None);
                }
            }
            let f = fingers.get_value();
            if let (Some(s), true) = (pinch.get_value(), f.len() >= 2) {
                ev.prevent_default();
                let dist = ((f[0].1 - f[1].1).hypot(f[0].2 - f[1].2)).max(1.0);
                let mid = ((f[0].1 + f[1].1) / 2.0, (f[0].2 + f[1].2) / 2.0);
                let w = (s.width * s.dist / dist).clamp(20.0, 50_000.0);
                // The plan point under the fingers' first midpoint stays
                // under their midpoint now.
                let (k0, k1) = (s.width / s.px, w / s.px);
                let anchor = Pt::new(
                    s.centre.x + (s.mid.0 - s.rect_mid.0) * k0,
                    s.centre.y + (s.mid.1 - s.rect_mid.1) * k0,
                );
                centre.set(Pt::new(
                    anchor.x - (mid.0 - s.rect_mid.0) * k1,
                    anchor.y - (mid.1 - s.rect_mid.1) * k1,
                ));
                drawing.update(|d| d.width_ft = w.round());
                return;
            }
        }
        if st.with_untracked(|s| s.dragging.is_some()) {
            if let Some(p) = to_plan(&ev) {
                ev.prevent_default();
                apply(Input::Move(p));
            }
        }
    };
    let on_up = move |ev: web_sys::PointerEvent| {
        if ev.pointer_type() == "touch" {
            let id = ev.pointer_id();
            let mut left = 0;
            fingers.update_value(|f| {
                f.retain(|p| p.0 != id);
                left = f.len();
            });
            if left < 2 {
                pinch.set_value(None);
            }
            if let Some((tid, _, _, p)) = tap.get_value() {
                if tid == id {
                    tap.set_value(None);
                    if ev.type_() == "pointerup" {
                        apply(Input::PressPlan(p));
                    }
                }
            }
        }
        apply(Input::Release)
    };

    // A handle: pointer-down selects and starts a drag (and stops the plan
    // from adding a point).
    let handle = move |h: Handle, p: Pt, class: &'static str| {
        // 7 px on screen; the transparent ring round it (CSS) makes the touch
        // target 44 px across.
        let r = 7.0 * ft_per_px();
        view! {
            <g
                class="handle-g"
                on:pointerdown=move |ev: web_sys::PointerEvent| {
                    if !editable || st.with_untracked(|s| s.tool) == Tool::Pin {
                        return;
                    }
                    ev.stop_propagation();
                    ev.prevent_default();
                    if ev.pointer_type() == "touch" && finger_down(&ev) > 1 {
                        return;
                    }
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
            >
                <circle class="hit" cx=p.x cy=p.y r=r />
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
                />
            </g>
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
        let k = ft_per_px();
        // 12 px text, set 14 px off the wire on the side away from the
        // loop's middle (clear of the handles on it).
        let fs = 12.0 * k;
        let b = &d.boundary;
        let n = b.len();
        if n < 2 {
            return Vec::new();
        }
        let (cx, cy) = (
            b.iter().map(|p| p.x).sum::<f64>() / n as f64,
            b.iter().map(|p| p.y).sum::<f64>() / n as f64,
        );
        (0..n)
            .filter(|i| n > 2 || *i == 0)
            .map(|i| {
                let (p, q) = (b[i], b[(i + 1) % n]);
                let len = p.dist(q);
                let (mx, my) = ((p.x + q.x) / 2.0, (p.y + q.y) / 2.0);
                let (mut nx, mut ny) = if len > 0.0 {
                    (-(q.y - p.y) / len, (q.x - p.x) / len)
                } else {
                    (0.0, -1.0)
                };
                if nx * (mx - cx) + ny * (my - cy) < 0.0 {
                    (nx, ny) = (-nx, -ny);
                }
                view! {
                    <text class="seg-label" x=mx + nx * 14.0 * k y=my + ny * 14.0 * k font-size=fs>
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
                                disabled=move || !can_undo()
                                title="Undo (Ctrl+Z)"
                                on:click=move |_| step_history(true)
                            >
                                "Undo"
                            </button>
                            <button
                                type="button"
                                class="tool"
                                disabled=move || !can_redo()
                                title="Redo (Ctrl+Shift+Z)"
                                on:click=move |_| step_history(false)
                            >
                                "Redo"
                            </button>
                            <button
                                type="button"
                                class="tool"
                                aria-label="Zoom in"
                                on:click=move |_| zoom(0.8)
                            >
                                "+"
                            </button>
                            <button
                                type="button"
                                class="tool"
                                aria-label="Zoom out"
                                on:click=move |_| zoom(1.25)
                            >
                                "−"
                            </button>
                            <button
                                type="button"
                                class="tool"
                                title="Zoom to show the whole drawing"
                                on:click=move |_| {
                                    centre.set(Pt::new(0.0, 0.0));
                                    if let Some(w) = drawing.with(|d| d.fitting_width()) {
                                        drawing.update(|d| d.width_ft = w)
                                    }
                                }
                            >
                                "Fit"
                            </button>
                            {move || {
                                if confirm_clear.get() {
                                    view! {
                                        <span
                                            class="confirm-clear"
                                            role="group"
                                            aria-label="Clear the drawing?"
                                        >
                                            "Clear everything drawn? "
                                            <button
                                                type="button"
                                                class="tool danger"
                                                on:click=move |_| {
                                                    confirm_clear.set(false);
                                                    apply(Input::Clear);
                                                }
                                            >
                                                "Clear all"
                                            </button>
                                            <button
                                                type="button"
                                                class="tool"
                                                on:click=move |_| confirm_clear.set(false)
                                            >
                                                "Keep"
                                            </button>
                                        </span>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        <button
                                            type="button"
                                            class="tool"
                                            disabled=move || {
                                                drawing.with(|d| d.points().next().is_none())
                                            }
                                            on:click=move |_| confirm_clear.set(true)
                                        >
                                            "Clear…"
                                        </button>
                                    }
                                        .into_any()
                                }
                            }}
                        </div>
                        <div class="designer-options">
                            <label>
                                "Layout "
                                <select
                                    aria-label="Layout"
                                    on:change=move |ev| {
                                        if let Some(l) = Layout::parse(&event_target_value(&ev)) {
                                            let before = drawing.get_untracked();
                                            drawing.update(|d| d.layout = l);
                                            remember(before);
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
                node_ref=svg_ref
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
                    let k = ev.key();
                    let cmd = ev.ctrl_key() || ev.meta_key();
                    if !editable {
                        return;
                    }
                    if k == "Delete" || k == "Backspace" {
                        ev.prevent_default();
                        apply(Input::Delete);
                    } else if cmd && (k == "z" || k == "Z") {
                        ev.prevent_default();
                        step_history(!ev.shift_key());
                    } else if cmd && k == "y" {
                        ev.prevent_default();
                        step_history(false);
                    }
                }
                on:wheel=move |ev: web_sys::WheelEvent| {
                    if ev.ctrl_key() {
                        ev.prevent_default();
                        zoom((ev.delta_y() * 0.01).exp());
                    }
                }
                tabindex="0"
            >
                {tiles}
                <g class="grid-lines">{grid}</g>
                <circle class="pin" cx="0" cy="0" r=move || 5.0 * ft_per_px() />
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
                                    r=7.0 * ft_per_px()
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
