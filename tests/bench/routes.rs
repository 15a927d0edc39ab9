//! Route optimisation benchmark (not a test): the server's solver path
//! (`server::routing::best_order`, vrp-core, one thread, the default effort:
//! 300 generations or 1 s per crew) on seeded random days around an Austin
//! depot, against the order the jobs were booked in (random). Crews are
//! solved one after another, as "optimise all crews" does. See BENCHMARKS.md.
//!
//!   cargo bench --features ssr --bench routes

use std::time::Instant;

use fence::model::routing::along;
use fence::server::routing::{best_order, Effort, Stop};
use rand::{Rng, SeedableRng};

const DEPOT: (f64, f64) = (30.2672, -97.7431);

/// One crew's day: `n` stops within ~12 miles of the depot, each `minutes`
/// long, a third of them mornings only and a sixth afternoons only.
fn day(rng: &mut rand::rngs::StdRng, n: usize, minutes: u32) -> Vec<Stop> {
    (0..n)
        .map(|i| Stop {
            at: (
                DEPOT.0 + rng.gen_range(-0.17..0.17),
                DEPOT.1 + rng.gen_range(-0.2..0.2),
            ),
            minutes,
            window: match i % 6 {
                0 | 3 => (0, 12 * 60),
                5 => (12 * 60, 24 * 60),
                _ => (0, 24 * 60),
            },
        })
        .collect()
}

/// The default effort, or `BENCH_GENERATIONS` generations (to see what
/// more search would buy).
fn effort() -> Effort {
    match std::env::var("BENCH_GENERATIONS")
        .ok()
        .and_then(|g| g.parse().ok())
    {
        Some(generations) => Effort {
            generations,
            seconds: 30.0,
        },
        None => Effort::default(),
    }
}

fn miles(order: &[usize], stops: &[Stop]) -> f64 {
    let mut pts = vec![DEPOT];
    pts.extend(order.iter().map(|i| stops[*i].at));
    pts.push(DEPOT);
    along(&pts).0
}

fn case(label: &str, crews: usize, stops_per_crew: usize, minutes: u32, shift: (u32, u32)) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let days: Vec<Vec<Stop>> = (0..crews)
        .map(|_| day(&mut rng, stops_per_crew, minutes))
        .collect();
    let t0 = Instant::now();
    let (mut before, mut after, mut unfit) = (0.0, 0.0, 0);
    for stops in &days {
        let booked: Vec<usize> = (0..stops.len()).collect();
        match best_order(DEPOT, DEPOT, shift, stops, effort()) {
            Some(order) => {
                before += miles(&booked, stops);
                after += miles(&order, stops);
            }
            None => unfit += 1,
        }
    }
    let took = t0.elapsed();
    println!(
        "{label}: {:.2} s; booked order {before:.1} mi, optimised {after:.1} mi, saved {:.1} mi ({:.0} %){}",
        took.as_secs_f64(),
        before - after,
        if before > 0.0 { (before - after) / before * 100.0 } else { 0.0 },
        if unfit > 0 { format!("; {unfit} crew days could not fit") } else { String::new() }
    );
}

fn main() {
    // Warm the solver once (thread pools, allocations).
    case("warm-up, 1 crew x 5 stops", 1, 5, 60, (7 * 60, 18 * 60));
    case(
        "1 crew x 12 stops (30 min each)",
        1,
        12,
        30,
        (7 * 60, 18 * 60),
    );
    case(
        "5 crews x 50 stops (10 each, 30 min)",
        5,
        10,
        30,
        (7 * 60, 18 * 60),
    );
    case(
        "10 crews x 200 stops (20 each, 15 min)",
        10,
        20,
        15,
        (7 * 60, 18 * 60),
    );
}
