//! Routes: the plot of a crew's day (a plain map of its stops: no tile
//! server is configured), the optimisation dialog with the miles, drive
//! time, fuel and money before and after, and the printable route sheet
//! with a navigation link per stop.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::schedule::{day_route, OptimiseRoutes};
use crate::app::components::loaded;
use crate::app::{clock, show_long_date, show_weekday, span};
use crate::app::{On, SiteGate};
use crate::error::AppError;
use crate::model::routing::{RouteCost, RoutePlan, RouteStop};
use crate::model::schedule::duration;

/// A link that opens the phone's navigation app at a stop.
pub fn nav_link(at: (f64, f64)) -> String {
    format!(
        "https://www.google.com/maps/dir/?api=1&destination={:.6},{:.6}",
        at.0, at.1
    )
}

/// The same for a stop with no map location: its address.
pub fn nav_link_to_address(address: &str) -> String {
    let q: String = address
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("https://www.google.com/maps/dir/?api=1&destination={q}")
}

/// Where a plan's miles and times come from.
fn source_text(p: &RoutePlan) -> &'static str {
    if p.roads {
        "Miles and drive times from the road network."
    } else {
        "Miles estimated: straight line × 1.25 for the roads, at 30 mph."
    }
}

fn cost_text(c: &RouteCost) -> String {
    format!(
        "{:.1} mi · {} driving · {:.2} gal · ${:.2}",
        c.miles,
        duration(c.drive_minutes.max(0.0).round() as u32),
        c.gallons,
        c.dollars
    )
}

/// The stops on a plain plot: the start (square), each stop numbered in
/// the order driven, the route as driven now (dashed) and, when it differs,
/// the optimised one (in the crew's colour).
#[component]
pub fn RoutePlot(plan: RoutePlan) -> impl IntoView {
    let mut pts: Vec<(f64, f64)> = vec![plan.from, plan.to];
    pts.extend(plan.stops.iter().map(|s| s.at));
    let (mut la0, mut la1, mut lo0, mut lo1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (a, b) in &pts {
        la0 = la0.min(*a);
        la1 = la1.max(*a);
        lo0 = lo0.min(*b);
        lo1 = lo1.max(*b);
    }
    // Equirectangular, longitude scaled by the latitude's cosine.
    let k = ((la0 + la1) / 2.0).to_radians().cos();
    let (w, h) = (((lo1 - lo0) * k).max(0.005), (la1 - la0).max(0.005));
    let scale = 300.0 / w.max(h);
    let xy = move |p: (f64, f64)| (20.0 + (p.1 - lo0) * k * scale, 20.0 + (la1 - p.0) * scale);
    let path = |stops: &[RouteStop]| {
        let mut v = vec![xy(plan.from)];
        v.extend(stops.iter().map(|s| xy(s.at)));
        v.push(xy(plan.to));
        v.iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let before = path(&plan.booked);
    let after = path(&plan.stops);
    let differs = before != after;
    let (vw, vh) = (w * scale + 40.0, h * scale + 40.0);
    let (sx, sy) = xy(plan.from);
    // The map under the stops, from the configured tile server: the plot's
    // box and half as much again around it (the plot is letterboxed in its
    // frame, and the map should fill the frame).
    let margin = 20.0 / scale + w.max(h) / 2.0;
    let tiles = plan
        .map_tiles
        .as_deref()
        .map(|t| {
            crate::model::routing::tiles_for(
                t,
                (
                    la0 - margin,
                    la1 + margin,
                    lo0 - margin / k,
                    lo1 + margin / k,
                ),
                k * scale,
                xy,
            )
        })
        .unwrap_or_default();
    let on_map = !tiles.is_empty();
    view! {
        <svg
            class="route-plot"
            class:on-map=on_map
            viewBox=format!("0 0 {vw:.0} {vh:.0}")
            role="img"
            aria-label=format!("Map of {}'s stops", plan.crew_name)
            style=format!("--crew: {}", plan.color)
        >
            <g class="tiles" aria-hidden="true">
                {tiles
                    .into_iter()
                    .map(|t| {
                        view! {
                            <image
                                href=t.href
                                x=format!("{:.2}", t.x)
                                y=format!("{:.2}", t.y)
                                width=format!("{:.2}", t.w)
                                height=format!("{:.2}", t.h)
                                preserveAspectRatio="none"
                            />
                        }
                    })
                    .collect_view()}
            </g>
            <polyline class="route-before" points=before fill="none" />
            {differs.then(|| view! { <polyline class="route-after" points=after fill="none" /> })}
            <rect class="route-start" x=sx - 7.0 y=sy - 7.0 width="14" height="14">
                <title>"Start"</title>
            </rect>
            {plan
                .stops
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let (x, y) = xy(s.at);
                    view! {
                        <g class="route-stop">
                            <circle cx=x cy=y r="11">
                                <title>{format!("J-{} {}", s.number, s.customer_name)}</title>
                            </circle>
                            <text x=x y=y + 4.0 text-anchor="middle">
                                {i + 1}
                            </text>
                        </g>
                    }
                })
                .collect_view()}
        </svg>
    }
}

/// The plans of an optimisation, before and after, with Apply.
#[component]
pub fn RoutesDialog(
    plans: Vec<RoutePlan>,
    optimise: ServerAction<OptimiseRoutes>,
    open: RwSignal<Option<Vec<RoutePlan>>>,
    applying: RwSignal<bool>,
) -> impl IntoView {
    let any = plans.iter().any(RoutePlan::changes);
    let day = plans.first().map(|p| p.day);
    let only = (plans.len() == 1).then(|| plans[0].crew_id);
    let total: RouteCost = plans
        .iter()
        .filter(|p| p.changes())
        .map(RoutePlan::saved)
        .fold(RouteCost::default(), |a, b| RouteCost {
            miles: a.miles + b.miles,
            drive_minutes: a.drive_minutes + b.drive_minutes,
            gallons: a.gallons + b.gallons,
            dollars: a.dollars + b.dollars,
        });
    view! {
        <div class="dialog-backdrop" on:click=move |_| open.set(None)></div>
        <div
            class="dialog routes-dialog"
            role="dialog"
            aria-modal="true"
            aria-labelledby="routes-title"
        >
            <h2 id="routes-title">
                {day
                    .map(|d| format!("Optimised routes · {}", show_weekday(d)))
                    .unwrap_or_default()}
            </h2>
            {if plans.is_empty() {
                view! { <p class="muted">"No crew has stops booked on this day."</p> }.into_any()
            } else {
                plans
                    .into_iter()
                    .map(|p| {
                        let saved = p.saved();
                        let changes = p.changes();
                        view! {
                            <section class="route-plan">
                                <h3 style=format!("--crew: {}", p.color)>
                                    <span class="dot" aria-hidden="true"></span>
                                    {p.crew_name.clone()}
                                </h3>
                                <div class="route-cols">
                                    <RoutePlot plan=p.clone() />
                                    <div>
                                        <p>
                                            <strong>"As booked: "</strong>
                                            {cost_text(&p.before)}
                                        </p>
                                        <p>
                                            <strong>"Optimised: "</strong>
                                            {cost_text(&p.after)}
                                        </p>
                                        <p class="muted small" data-testid="route-source">
                                            {source_text(&p)}
                                        </p>
                                        {if changes {
                                            view! {
                                                <p class="saving">
                                                    {format!(
                                                        "Saves {:.1} mi, {} of driving, {:.2} gal, ${:.2}",
                                                        saved.miles,
                                                        duration(saved.drive_minutes.max(0.0).round() as u32),
                                                        saved.gallons,
                                                        saved.dollars,
                                                    )}
                                                </p>
                                            }
                                                .into_any()
                                        } else {
                                            view! {
                                                <p class="muted">
                                                    {p
                                                        .kept
                                                        .clone()
                                                        .unwrap_or_else(|| "Nothing to change.".into())}
                                                </p>
                                            }
                                                .into_any()
                                        }}
                                        <ol class="route-order">
                                            {p
                                                .stops
                                                .iter()
                                                .map(|s| {
                                                    view! {
                                                        <li>
                                                            {format!(
                                                                "{} J-{} {}",
                                                                span(s.start, s.minutes),
                                                                s.number,
                                                                s.customer_name,
                                                            )}
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ol>
                                    </div>
                                </div>
                            </section>
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
            <div class="actions">
                {any
                    .then(|| {
                        view! {
                            <button
                                type="button"
                                disabled=move || optimise.pending().get()
                                on:click=move |_| {
                                    if let Some(d) = day {
                                        applying.set(true);
                                        optimise
                                            .dispatch(OptimiseRoutes {
                                                crew_id: only,
                                                day: d.format("%Y-%m-%d").to_string(),
                                                apply: true,
                                            });
                                    }
                                }
                            >
                                {format!(
                                    "Apply: save {:.1} mi (${:.2})",
                                    total.miles,
                                    total.dollars,
                                )}
                            </button>
                        }
                    })} <button type="button" class="secondary" on:click=move |_| open.set(None)>
                    "Close"
                </button>
            </div>
        </div>
    }
}

/// `/schedule/route?crew=…&day=…`: a crew's day to print or to follow on a
/// phone: the plot, each stop's time, customer, address and a navigation
/// link, and the day's driving.
#[component]
pub fn RouteSheetPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        let q = query.read();
        (
            q.get("crew").and_then(|c| c.parse().ok()),
            q.get("day").unwrap_or_default(),
        )
    };
    let data = Resource::new(args, |(crew, day)| async move {
        match crew {
            Some(c) => day_route(c, day).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Title text="Route sheet" />
        <SiteGate on=On::Tenant>
            {loaded(
                data,
                move |p| {
                    let back = format!("/schedule?view=day&from={}", p.day.format("%Y-%m-%d"));
                    view! {
                        <nav class="crumbs no-print">
                            <A href=back>"Schedule"</A>
                            " › Route sheet"
                        </nav>
                        <div class="page-head">
                            <h1>{format!("{} · {}", p.crew_name, show_long_date(p.day))}</h1>
                        </div>
                        <p>
                            {cost_text(&p.before)}
                            <span class="muted small">{format!(" · {}", source_text(&p))}</span>
                        </p>
                        <RoutePlot plan=p.clone() />
                        <table class="list route-sheet">
                            <thead>
                                <tr>
                                    <th>"#"</th>
                                    <th>"Time"</th>
                                    <th>"Customer"</th>
                                    <th>"Address"</th>
                                    <th class="no-print">"Navigate"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {p
                                    .stops
                                    .iter()
                                    .enumerate()
                                    .map(|(i, s)| {
                                        view! {
                                            <tr>
                                                <td>{i + 1}</td>
                                                <td>{span(s.start, s.minutes)}</td>
                                                <td>
                                                    <A href=format!(
                                                        "/jobs/{}",
                                                        s.job_id,
                                                    )>{format!("J-{} {}", s.number, s.customer_name)}</A>
                                                </td>
                                                <td>{s.address.clone()}</td>
                                                <td class="no-print">
                                                    <a href=nav_link(s.at) target="_blank" rel="noopener">
                                                        "Open in maps"
                                                    </a>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                        <p class="muted small">
                            {format!(
                                "First stop at {}. Road miles are straight-line miles × 1.25, driven at 30 mph.",
                                p.stops.first().map(|s| clock(s.start)).unwrap_or_default(),
                            )}
                        </p>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}
