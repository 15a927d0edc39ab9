//! The boundary designer: an SVG plan in feet. Add, move and delete boundary
//! points with mouse or touch (pointer events), mark the transmitter, draw
//! the twisted lead and crossings, pick the layout. Lengths update live; the
//! same take-off code runs on the server when the drawing is saved.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::model::takeoff::{Drawing, Layout, Pt};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tool {
    Boundary,
    Transmitter,
    Lead,
    Crossing,
    Pin,
}

impl Tool {
    const ALL: [Tool; 5] = [
        Tool::Boundary,
        Tool::Transmitter,
        Tool::Lead,
        Tool::Crossing,
        Tool::Pin,
    ];

    fn label(self) -> &'static str {
        match self {
            Tool::Boundary => "Boundary",
            Tool::Transmitter => "Transmitter",
            Tool::Lead => "Lead",
            Tool::Crossing => "Crossing",
            Tool::Pin => "Move pin",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Tool::Boundary => "Tap or click to add a boundary point; drag a point to move it; select a point and press Delete point (or the Delete key) to remove it.",
            Tool::Transmitter => "Tap or click where the transmitter goes (indoors, near an outlet).",
            Tool::Lead => "Mark the transmitter first, then tap along the twisted lead's path to where it meets the boundary.",
            Tool::Crossing => "Tap the two ends of a driveway or path crossing (a twisted section).",
            Tool::Pin => "Tap where the property's pin belongs (on the map, the house): its latitude and longitude move there and the drawing stays where it is.",
        }
    }
}

/// Which point is selected or dragged.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Handle {
    Boundary(usize),
    Transmitter,
    Lead(usize),
    Crossing(usize, usize),
}

/// The plan's aspect: width : height = 16 : 10.
const ASPECT: f64 = 0.625;

/// A round grid step for a plan `w` feet wide.
fn grid_step(w: f64) -> f64 {
    let raw = w / 12.0;
    [
        5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0,
    ]
    .into_iter()
    .find(|s| *s >= raw)
    .unwrap_or(10_000.0)
}

/// Tiles for an optional map background: (href, x, y, size) in plan feet,
/// with the property's pin at (0, 0).
pub fn map_tiles(
    template: &str,
    lat: f64,
    lon: f64,
    width_ft: f64,
) -> Vec<(String, f64, f64, f64)> {
    let ft_per_px0 = 156_543.033_92 * lat.to_radians().cos() * 3.280_84;
    let want = width_ft / 900.0;
    let z = ((ft_per_px0 / want).log2().floor() as i32).clamp(1, 20);
    let n = 2f64.powi(z);
    let ft_per_px = ft_per_px0 / n;
    let px = (lon + 180.0) / 360.0 * 256.0 * n;
    let lat_r = lat.to_radians();
    let py =
        (1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * 256.0 * n;
    let half_w = width_ft / 2.0 / ft_per_px;
    let half_h = width_ft * ASPECT / 2.0 / ft_per_px;
    let (tx0, tx1) = (
        ((px - half_w) / 256.0).floor() as i64,
        ((px + half_w) / 256.0).floor() as i64,
    );
    let (ty0, ty1) = (
        ((py - half_h) / 256.0).floor() as i64,
        ((py + half_h) / 256.0).floor() as i64,
    );
    let mut out = Vec::new();
    for tx in tx0..=tx1 {
        for ty in ty0..=ty1 {
            if ty < 0 || ty >= n as i64 {
                continue;
            }
            let wrapped = tx.rem_euclid(n as i64);
            let href = template
                .replace("{z}", &z.to_string())
                .replace("{x}", &wrapped.to_string())
                .replace("{y}", &ty.to_string());
            out.push((
                href,
                (tx as f64 * 256.0 - px) * ft_per_px,
                (ty as f64 * 256.0 - py) * ft_per_px,
                256.0 * ft_per_px,
            ));
        }
    }
    out
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
    let tool = RwSignal::new(Tool::Boundary);
    let selected = RwSignal::new(None::<Handle>);
    let dragging = RwSignal::new(None::<Handle>);
    let pending_crossing = RwSignal::new(None::<Pt>);

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

    let set_handle = move |h: Handle, p: Pt| {
        drawing.update(|d| match h {
            Handle::Boundary(i) => {
                if let Some(q) = d.boundary.get_mut(i) {
                    *q = p
                }
            }
            Handle::Transmitter => d.transmitter = Some(p),
            Handle::Lead(i) => {
                if let Some(q) = d.lead.get_mut(i) {
                    *q = p
                }
            }
            Handle::Crossing(i, e) => {
                if let Some(c) = d.crossings.get_mut(i) {
                    c[e] = p
                }
            }
        })
    };

    let delete_selected = move || {
        if let Some(h) = selected.get_untracked() {
            drawing.update(|d| match h {
                Handle::Boundary(i) if i < d.boundary.len() => {
                    d.boundary.remove(i);
                }
                Handle::Transmitter => {
                    d.transmitter = None;
                    d.lead.clear();
                }
                Handle::Lead(i) if i < d.lead.len() => {
                    d.lead.remove(i);
                }
                Handle::Crossing(i, _) if i < d.crossings.len() => {
                    d.crossings.remove(i);
                }
                _ => {}
            });
            selected.set(None);
        }
    };

    let on_down = move |ev: web_sys::PointerEvent| {
        if !editable || ev.button() > 0 {
            return;
        }
        let Some(p) = to_plan(&ev) else { return };
        ev.prevent_default();
        selected.set(None);
        match tool.get_untracked() {
            Tool::Boundary => drawing.update(|d| {
                if d.boundary.len() < crate::model::takeoff::MAX_BOUNDARY_POINTS {
                    d.boundary.push(p);
                    selected.set(Some(Handle::Boundary(d.boundary.len() - 1)));
                }
            }),
            Tool::Transmitter => drawing.update(|d| d.transmitter = Some(p)),
            Tool::Lead => drawing.update(|d| {
                if d.transmitter.is_some() && d.lead.len() < crate::model::takeoff::MAX_LEAD_POINTS
                {
                    d.lead.push(p)
                }
            }),
            Tool::Pin => {
                if let Some(cb) = on_pin {
                    drawing.update(|d| {
                        for q in d.points_mut() {
                            q.x -= p.x;
                            q.y -= p.y;
                        }
                    });
                    cb.run((p.x, p.y));
                }
            }
            Tool::Crossing => match pending_crossing.get_untracked() {
                None => pending_crossing.set(Some(p)),
                Some(a) => {
                    drawing.update(|d| {
                        if d.crossings.len() < crate::model::takeoff::MAX_CROSSINGS {
                            d.crossings.push([a, p])
                        }
                    });
                    pending_crossing.set(None);
                }
            },
        }
    };

    let on_move = move |ev: web_sys::PointerEvent| {
        if let Some(h) = dragging.get_untracked() {
            if let Some(p) = to_plan(&ev) {
                ev.prevent_default();
                set_handle(h, p);
            }
        }
    };
    let on_up = move |_ev: web_sys::PointerEvent| dragging.set(None);

    // A handle: pointer-down selects and starts a drag (and stops the plan
    // from adding a point).
    let handle = move |h: Handle, p: Pt, class: &'static str| {
        let r = drawing.with(|d| d.width_ft) / 90.0;
        view! {
            <circle
                class=move || format!("handle {class}{}", if selected.get() == Some(h) { " selected" } else { "" })
                cx=p.x cy=p.y r=r
                on:pointerdown=move |ev: web_sys::PointerEvent| {
                    if !editable { return; }
                    ev.stop_propagation();
                    ev.prevent_default();
                    if let Some(t) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                        if let Some(svg) = t.closest("svg").ok().flatten() {
                            let _ = svg.set_pointer_capture(ev.pointer_id());
                        }
                    }
                    selected.set(Some(h));
                    dragging.set(Some(h));
                }
                on:dblclick=move |ev: web_sys::MouseEvent| {
                    if !editable { return; }
                    ev.stop_propagation();
                    selected.set(Some(h));
                    delete_selected();
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
            .map(|(x1, y1, x2, y2)| view! { <line class="grid" x1=x1 y1=y1 x2=x2 y2=y2/> })
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
                    <text class="seg-label" x=(p.x + q.x) / 2.0 y=(p.y + q.y) / 2.0 font-size=fs>{fmt_ft(len)}</text>
                }
            })
            .collect::<Vec<_>>()
    };

    let tiles = map.map(|(tpl, lat, lon)| {
        move || {
            map_tiles(&tpl, lat, lon, drawing.with(|d| d.width_ft))
                .into_iter()
                .map(|(href, x, y, s)| view! { <image href=href x=x y=y width=s height=s preserveAspectRatio="none"/> })
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
            {editable.then(|| view! {
                <div class="designer-tools" role="toolbar" aria-label="Drawing tools">
                    {Tool::ALL.into_iter().filter(|t| *t != Tool::Pin || on_pin.is_some()).map(|t| view! {
                        <button type="button" class="tool" class:active=move || tool.get() == t
                            aria-pressed=move || (tool.get() == t).to_string()
                            on:click=move |_| { tool.set(t); pending_crossing.set(None); }>{t.label()}</button>
                    }).collect_view()}
                    <button type="button" class="tool danger" disabled=move || selected.get().is_none()
                        on:click=move |_| delete_selected()>"Delete point"</button>
                    <button type="button" class="tool" title="Zoom to show the whole drawing" on:click=move |_| {
                        if let Some(w) = drawing.with(|d| d.fitting_width()) { drawing.update(|d| d.width_ft = w) }
                    }>"Fit"</button>
                    <button type="button" class="tool" on:click=move |_| {
                        drawing.update(|d| { d.boundary.clear(); d.lead.clear(); d.crossings.clear(); d.transmitter = None; });
                        selected.set(None);
                    }>"Clear"</button>
                </div>
                <div class="designer-options">
                    <label>"Layout "
                        <select aria-label="Layout" on:change=move |ev| {
                            if let Some(l) = Layout::parse(&event_target_value(&ev)) { drawing.update(|d| d.layout = l) }
                        }>
                            {Layout::ALL.into_iter().map(|l| view! {
                                <option value=l.code() selected=move || drawing.with(|d| d.layout) == l>{l.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Plan width (ft) "
                        <input type="number" min="20" max="50000" step="10" aria-label="Plan width in feet"
                            value=drawing.with_untracked(|d| d.width_ft.to_string())
                            prop:value=move || drawing.with(|d| d.width_ft.to_string())
                            on:change=move |ev| {
                                if let Ok(w) = event_target_value(&ev).parse::<f64>() {
                                    if (20.0..=50_000.0).contains(&w) { drawing.update(|d| d.width_ft = w) }
                                }
                            }/>
                    </label>
                </div>
                <p class="hint">{move || tool.get().hint()}</p>
            })}
            <svg class="plan" data-testid="plan" role="img" aria-label="Property plan"
                viewBox=move || { let (x, y, w, h) = view_box(); format!("{x} {y} {w} {h}") }
                on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up
                on:keydown=move |ev: web_sys::KeyboardEvent| {
                    if ev.key() == "Delete" || ev.key() == "Backspace" { ev.prevent_default(); delete_selected(); }
                }
                tabindex="0">
                {tiles}
                <g class="grid-lines">{grid}</g>
                <circle class="pin" cx="0" cy="0" r=move || drawing.with(|d| d.width_ft) / 140.0/>
                <polygon class=move || format!("boundary {}", drawing.with(|d| d.layout.code()))
                    points=move || drawing.with(|d| d.boundary.iter().map(|p| format!("{},{}", p.x, p.y)).collect::<Vec<_>>().join(" "))/>
                <polyline class="lead" points=move || drawing.with(|d| {
                    d.transmitter.iter().chain(d.lead.iter()).map(|p| format!("{},{}", p.x, p.y)).collect::<Vec<_>>().join(" ")
                })/>
                {move || drawing.with(|d| d.crossings.iter().map(|[a, b]| view! {
                    <line class="crossing" x1=a.x y1=a.y x2=b.x y2=b.y/>
                }).collect_view())}
                {segment_labels}
                {move || {
                    let d = drawing.get();
                    let mut hs = Vec::new();
                    for (i, p) in d.boundary.iter().enumerate() { hs.push(handle(Handle::Boundary(i), *p, "b").into_any()); }
                    if let Some(t) = d.transmitter { hs.push(handle(Handle::Transmitter, t, "tx").into_any()); }
                    for (i, p) in d.lead.iter().enumerate() { hs.push(handle(Handle::Lead(i), *p, "ld").into_any()); }
                    for (i, [a, b]) in d.crossings.iter().enumerate() {
                        hs.push(handle(Handle::Crossing(i, 0), *a, "cr").into_any());
                        hs.push(handle(Handle::Crossing(i, 1), *b, "cr").into_any());
                    }
                    hs
                }}
                {move || pending_crossing.get().map(|p| view! { <circle class="handle cr pending" cx=p.x cy=p.y r=drawing.with(|d| d.width_ft) / 90.0/> })}
            </svg>
            <p class="designer-summary" data-testid="lengths" aria-live="polite">{summary}</p>
            <p class="legend"><span class="key b"></span>"boundary "<span class="key tx"></span>"transmitter "<span class="key ld"></span>"twisted lead "<span class="key cr"></span>"crossing "<span class="key pin"></span>"property pin · grid "{move || fmt_ft(grid_step(drawing.with(|d| d.width_ft)))}</p>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_tiles_cover_the_plan_around_the_pin() {
        let t = map_tiles(
            "https://t.example/{z}/{x}/{y}.png",
            30.2672,
            -97.7431,
            300.0,
        );
        assert!(!t.is_empty() && t.len() <= 16, "{}", t.len());
        assert!(t[0].0.starts_with("https://t.example/"));
        // The pin (0, 0) lies inside one of the tiles.
        assert!(t
            .iter()
            .any(|(_, x, y, s)| *x <= 0.0 && *y <= 0.0 && x + s >= 0.0 && y + s >= 0.0));
    }

    #[test]
    fn the_grid_step_is_round() {
        assert_eq!(grid_step(200.0), 25.0);
        assert_eq!(grid_step(1000.0), 100.0);
    }
}
