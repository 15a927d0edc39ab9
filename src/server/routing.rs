//! Ordering a crew's stops for the day with a maintained vehicle-routing
//! solver (`vrp-core`, the core of reinterpretcat/vrp): one vehicle that
//! starts where the crew starts its day, at the start of its hours, and must
//! be back where it ends by the end of them; one job per stop with its
//! duration and the window its start must fall in (the customer's window
//! within the crew's hours); distances and times from the cost model in
//! `model::routing`. The solver picks the order; the times are then laid
//! out on the quarter hour by `model::routing::timetable` and checked again.

use std::sync::Arc;

use vrp_core::models::common::TimeWindow as VrpWindow;
use vrp_core::prelude::*;
use vrp_core::rosomaxa::utils::{Parallelism, TimeQuota};

use crate::model::routing::Distances;

/// One stop to order: where, how long, and the window its start must fall
/// in (earliest start, latest end), minutes of the local day.
#[derive(Debug, Clone, Copy)]
pub struct Stop {
    pub at: (f64, f64),
    pub minutes: u32,
    pub window: (u32, u32),
}

/// How long the solver may search for one crew's day.
#[derive(Debug, Clone, Copy)]
pub struct Effort {
    pub generations: usize,
    pub seconds: f64,
}

impl Default for Effort {
    fn default() -> Self {
        Effort {
            generations: 300,
            seconds: 1.0,
        }
    }
}

/// The order (indexes into `stops`) that drives least while keeping every
/// window and the crew's hours, or `None` when the solver cannot fit them
/// all. Repeatable: the same input gives the same order.
pub fn best_order(
    from: (f64, f64),
    to: (f64, f64),
    shift: (u32, u32),
    stops: &[Stop],
    effort: Effort,
) -> Option<Vec<usize>> {
    best_order_with(&Distances::estimate(), from, to, shift, stops, effort)
}

/// [`best_order`] with miles and minutes from `d` (a routing server's
/// table, or the estimate).
pub fn best_order_with(
    d: &Distances,
    from: (f64, f64),
    to: (f64, f64),
    shift: (u32, u32),
    stops: &[Stop],
    effort: Effort,
) -> Option<Vec<usize>> {
    match stops.len() {
        0 => return Some(vec![]),
        1 => return Some(vec![0]),
        _ => {}
    }
    solve(d, from, to, shift, stops, effort)
        .map_err(|e| tracing::warn!(error = %e, "route solver failed"))
        .ok()
        .flatten()
}

fn solve(
    d: &Distances,
    from: (f64, f64),
    to: (f64, f64),
    shift: (u32, u32),
    stops: &[Stop],
    effort: Effort,
) -> GenericResult<Option<Vec<usize>>> {
    // Locations: 0 the start, 1 the end, 2.. the stops.
    let points: Vec<(f64, f64)> = [from, to]
        .into_iter()
        .chain(stops.iter().map(|s| s.at))
        .collect();
    let n = points.len();
    let mut distances = Vec::with_capacity(n * n);
    let mut durations = Vec::with_capacity(n * n);
    for a in &points {
        for b in &points {
            let (miles, minutes) = d.leg(*a, *b);
            distances.push(miles);
            durations.push(minutes);
        }
    }
    let transport: Arc<dyn TransportCost> =
        Arc::new(SimpleTransportCost::new(durations, distances)?);
    let goal = GoalContextBuilder::with_features(&[
        MinimizeUnassignedBuilder::new("min-unassigned").build()?,
        TransportFeatureBuilder::new("min-distance")
            .set_transport_cost(transport.clone())
            .set_time_constrained(true)
            .build_minimize_distance()?,
    ])?
    .build()?;
    let jobs = stops
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let latest_start = s.window.1.saturating_sub(s.minutes).max(s.window.0);
            SingleBuilder::default()
                .id(&format!("stop{i}"))
                .location(i + 2)?
                .duration(s.minutes as Float)?
                .times(vec![VrpWindow::new(
                    s.window.0 as Float,
                    latest_start as Float,
                )])?
                .build_as_job()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let vehicle = VehicleBuilder::default()
        .id("crew")
        .add_detail(
            VehicleDetailBuilder::default()
                .set_start_location(0)
                .set_start_time(shift.0 as Float)
                .set_end_location(1)
                .set_end_time(shift.1 as Float)
                .build()?,
        )
        .capacity(SingleDimLoad::new(stops.len() as i32 + 1))
        .build()?;
    let problem = Arc::new(
        ProblemBuilder::default()
            .add_jobs(jobs.into_iter())
            .add_vehicles(std::iter::once(vehicle))
            .with_goal(goal)
            .with_transport_cost(transport)
            .with_logger(Arc::new(|_: &str| {}))
            .build()?,
    );
    // Repeatable randomness, one thread (the server has other requests to
    // serve), quiet, and a time limit.
    let environment = Arc::new(Environment::new(
        Arc::new(DefaultRandom::new_repeatable()),
        Some(Arc::new(TimeQuota::new(effort.seconds))),
        Parallelism::new_with_cpus(1),
        Arc::new(|_: &str| {}),
        false,
    ));
    let config = VrpConfigBuilder::new(problem.clone())
        .set_environment(environment)
        .prebuild()?
        .with_max_generations(Some(effort.generations))
        .build()?;
    let solution = Solver::new(problem, config).solve()?;
    if !solution.unassigned.is_empty() || solution.routes.len() != 1 {
        return Ok(None);
    }
    let order: Vec<usize> = solution.routes[0]
        .tour
        .all_activities()
        .map(|a| a.place.location)
        .filter(|l| *l >= 2)
        .map(|l| l - 2)
        .collect();
    Ok((order.len() == stops.len()).then_some(order))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPOT: (f64, f64) = (30.2672, -97.7431);

    fn stop(dlat: f64, dlon: f64) -> Stop {
        Stop {
            at: (DEPOT.0 + dlat, DEPOT.1 + dlon),
            minutes: 60,
            window: (0, 24 * 60),
        }
    }

    fn miles(order: &[usize], stops: &[Stop]) -> f64 {
        let mut pts = vec![DEPOT];
        pts.extend(order.iter().map(|i| stops[*i].at));
        pts.push(DEPOT);
        crate::model::routing::along(&pts).0
    }

    #[test]
    fn stops_on_a_line_are_visited_out_and_back_not_zigzag() {
        // Booked zig-zag: far, near, farther, nearer.
        let stops = [
            stop(0.08, 0.0),
            stop(0.02, 0.0),
            stop(0.1, 0.0),
            stop(0.05, 0.0),
        ];
        let order =
            best_order(DEPOT, DEPOT, (7 * 60, 18 * 60), &stops, Effort::default()).expect("fits");
        let booked = miles(&[0, 1, 2, 3], &stops);
        let best = miles(&order, &stops);
        // The best tour is out to the farthest and back: 2 × 0.1° × 69.1 × 1.25.
        assert!((best - 17.27).abs() < 0.05, "{best} via {order:?}");
        assert!(booked > best + 10.0, "{booked} vs {best}");
    }

    #[test]
    fn windows_can_force_a_longer_order() {
        // The near stop may only start in the afternoon: it goes last even
        // though that drives further.
        let mut stops = [stop(0.01, 0.0), stop(0.1, 0.0)];
        stops[0].window = (12 * 60, 24 * 60);
        let order =
            best_order(DEPOT, DEPOT, (7 * 60, 18 * 60), &stops, Effort::default()).expect("fits");
        assert_eq!(order, vec![1, 0]);
    }

    #[test]
    fn a_day_that_cannot_fit_says_so() {
        let mut stops = [stop(0.01, 0.0), stop(0.02, 0.0)];
        stops[0].minutes = 6 * 60;
        stops[1].minutes = 6 * 60;
        assert_eq!(
            best_order(DEPOT, DEPOT, (7 * 60, 16 * 60), &stops, Effort::default()),
            None
        );
    }
}

/// The most points one table request carries (public OSRM servers refuse
/// larger tables; a day has far fewer stops).
pub const MAX_TABLE_POINTS: usize = 100;

/// An OSRM table answer: metres and seconds, row-major; `null` where no
/// road connects two points.
#[derive(serde::Deserialize)]
struct OsrmTable {
    code: String,
    distances: Option<Vec<Vec<Option<f64>>>>,
    durations: Option<Vec<Vec<Option<f64>>>>,
}

/// Road miles and drive minutes between `points` from the OSRM-compatible
/// routing server at `base` (its Table service:
/// `GET {base}/table/v1/driving/{lon},{lat};…?annotations=distance,duration`),
/// or the estimate when none is configured or it fails (logged): a slow or
/// broken router never stops a dispatcher from planning.
#[tracing::instrument(skip_all, fields(points = points.len()))]
pub async fn distances(base: Option<&str>, points: &[(f64, f64)]) -> Distances {
    let Some(base) = base else {
        return Distances::estimate();
    };
    if points.len() < 2 || points.len() > MAX_TABLE_POINTS {
        return Distances::estimate();
    }
    match table(base, points).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "routing server failed; using the estimate");
            metrics::counter!("fence_routing_fallbacks_total").increment(1);
            Distances::estimate()
        }
    }
}

async fn table(base: &str, points: &[(f64, f64)]) -> Result<Distances, String> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .unwrap_or_default()
    });
    let coords = points
        .iter()
        .map(|(lat, lon)| format!("{lon:.6},{lat:.6}"))
        .collect::<Vec<_>>()
        .join(";");
    let url = format!(
        "{}/table/v1/driving/{coords}?annotations=distance,duration",
        base.trim_end_matches('/')
    );
    let r = client.get(&url).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("answered {}", r.status()));
    }
    let t: OsrmTable = r.json().await.map_err(|e| e.to_string())?;
    if t.code != "Ok" {
        return Err(format!("code {}", t.code));
    }
    let flat = |m: Option<Vec<Vec<Option<f64>>>>, per: f64| -> Result<Vec<f64>, String> {
        let m = m.ok_or("no table")?;
        if m.len() != points.len() {
            return Err("a table of the wrong size".into());
        }
        m.into_iter()
            .flatten()
            .map(|v| {
                v.map(|v| v / per)
                    .ok_or_else(|| "no road between two stops".to_string())
            })
            .collect()
    };
    let miles = flat(t.distances, 1609.344)?;
    let minutes = flat(t.durations, 60.0)?;
    Distances::table(points.to_vec(), miles, minutes).ok_or_else(|| "a malformed table".into())
}
