//! The routing cost model: how far and how long a crew drives between
//! stops, and what that costs in fuel.
//!
//! Road distance is the great-circle distance times a road-circuity factor,
//! [`crate::model::pricing::ROAD_FACTOR`] = 1.25 (the same figure the quote's
//! travel cost uses). Measured circuity for US road travel lies between
//! about 1.2 (Ballou, Rahardja & Sakai, "Selected country circuity factors
//! for road travel distance estimation", Transportation Research Part A 36,
//! 2002: 1.20 for the US) and 1.4 (Boscoe, Henry & Zdeb, "A nationwide
//! comparison of driving distance versus straight-line distance to
//! hospitals", The Professional Geographer 64, 2012: 1.42 on average,
//! higher in rural areas); 1.25 suits the suburban streets these installers
//! drive. Drive time assumes [`AVG_MPH`] door to door.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::pricing::ROAD_FACTOR;
use super::schedule::SNAP;

/// Average door-to-door speed on suburban roads, miles per hour.
pub const AVG_MPH: f64 = 30.0;
const EARTH_MILES: f64 = 3958.8;

/// Great-circle miles between two (lat, lon) points.
pub fn straight_miles(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_MILES * h.sqrt().min(1.0).asin()
}

/// Road miles between two points (straight line × circuity).
pub fn road_miles(a: (f64, f64), b: (f64, f64)) -> f64 {
    straight_miles(a, b) * ROAD_FACTOR
}

/// Minutes to drive `miles`.
pub fn drive_minutes(miles: f64) -> f64 {
    miles / AVG_MPH * 60.0
}

/// Road miles and drive minutes between a set of points: from a routing
/// server (an OSRM-compatible table of the road network) when one is
/// configured and answered, else the estimate above. A pair not in the
/// table is estimated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distances {
    points: Vec<(f64, f64)>,
    /// Row-major, `points.len()` squared: miles and minutes.
    miles: Vec<f64>,
    minutes: Vec<f64>,
}

impl Distances {
    /// The estimate: straight line × circuity at [`AVG_MPH`].
    pub fn estimate() -> Distances {
        Distances::default()
    }

    /// A table for `points` (row-major `miles` and `minutes`, each
    /// `points.len()` squared); `None` when the sizes do not match or a
    /// figure is not a finite, non-negative number.
    pub fn table(points: Vec<(f64, f64)>, miles: Vec<f64>, minutes: Vec<f64>) -> Option<Distances> {
        let n = points.len() * points.len();
        let fine = |v: &[f64]| v.len() == n && v.iter().all(|x| x.is_finite() && *x >= 0.0);
        (fine(&miles) && fine(&minutes)).then_some(Distances {
            points,
            miles,
            minutes,
        })
    }

    /// Whether the figures come from a routing server.
    pub fn from_roads(&self) -> bool {
        !self.points.is_empty()
    }

    fn index(&self, p: (f64, f64)) -> Option<usize> {
        self.points.iter().position(|q| *q == p)
    }

    /// Miles and minutes from `a` to `b`.
    pub fn leg(&self, a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
        match (self.index(a), self.index(b)) {
            (Some(i), Some(j)) => {
                let k = i * self.points.len() + j;
                (self.miles[k], self.minutes[k])
            }
            _ => {
                let m = road_miles(a, b);
                (m, drive_minutes(m))
            }
        }
    }

    /// Miles and minutes along `points` in order.
    pub fn along(&self, points: &[(f64, f64)]) -> (f64, f64) {
        points
            .windows(2)
            .map(|w| self.leg(w[0], w[1]))
            .fold((0.0, 0.0), |t, l| (t.0 + l.0, t.1 + l.1))
    }
}

/// What a route costs: miles, drive time, fuel and money.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct RouteCost {
    pub miles: f64,
    pub drive_minutes: f64,
    pub gallons: f64,
    pub dollars: f64,
}

impl RouteCost {
    /// The cost of driving `miles` in a vehicle doing `mpg` at `price` a
    /// gallon.
    pub fn of(miles: f64, minutes: f64, mpg: f64, price: f64) -> RouteCost {
        let gallons = if mpg > 0.0 { miles / mpg } else { 0.0 };
        RouteCost {
            miles,
            drive_minutes: minutes,
            gallons,
            dollars: gallons * price,
        }
    }

    /// What `self` saves against `before`.
    pub fn saved_from(self, before: RouteCost) -> RouteCost {
        RouteCost {
            miles: before.miles - self.miles,
            drive_minutes: before.drive_minutes - self.drive_minutes,
            gallons: before.gallons - self.gallons,
            dollars: before.dollars - self.dollars,
        }
    }
}

/// Miles and minutes along `points` in order.
pub fn along(points: &[(f64, f64)]) -> (f64, f64) {
    Distances::estimate().along(points)
}

/// One stop of a day's route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteStop {
    pub job_id: Uuid,
    pub number: i32,
    pub customer_name: String,
    pub address: String,
    pub at: (f64, f64),
    /// Start, minute of the local day.
    pub start: u32,
    pub minutes: u32,
}

/// A crew's day before and after optimising the order of its stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutePlan {
    pub crew_id: Uuid,
    pub crew_name: String,
    pub color: String,
    pub day: chrono::NaiveDate,
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub before: RouteCost,
    pub after: RouteCost,
    /// The stops as booked now, in order.
    pub booked: Vec<RouteStop>,
    /// The stops in the optimised order with their new times.
    pub stops: Vec<RouteStop>,
    /// Why the order stays as it is, when it does.
    pub kept: Option<String>,
    pub mpg: f64,
    pub fuel_price: f64,
    /// The XYZ tile server's URL template, when one is configured: the plot
    /// draws the map under the stops.
    #[serde(default)]
    pub map_tiles: Option<String>,
    /// Whether miles and times come from a routing server's road network
    /// (else the straight-line estimate).
    #[serde(default)]
    pub roads: bool,
}

/// One map tile placed in a plot: its URL and its box in plot units.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedTile {
    pub href: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The XYZ tiles covering the box `lat0..lat1` x `lon0..lon1` at about
/// `units_per_degree_lon` plot units per degree of longitude, each placed by
/// `xy` (the plot's own projection of (lat, lon)). The zoom is chosen so a
/// tile is 128-256 plot units wide; at most 64 tiles.
pub fn tiles_for(
    template: &str,
    (lat0, lat1, lon0, lon1): (f64, f64, f64, f64),
    units_per_degree_lon: f64,
    xy: impl Fn((f64, f64)) -> (f64, f64),
) -> Vec<PlacedTile> {
    use std::f64::consts::PI;
    // A tile spans 360 / 2^z degrees of longitude.
    let z = ((360.0 * units_per_degree_lon / 256.0).log2().ceil() as i32).clamp(1, 19);
    let n = 2f64.powi(z);
    let tile_x = |lon: f64| ((lon + 180.0) / 360.0 * n).floor() as i64;
    let tile_y = |lat: f64| {
        let r = lat.to_radians();
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / PI) / 2.0 * n).floor() as i64
    };
    let lon_of = |tx: i64| tx as f64 / n * 360.0 - 180.0;
    let lat_of = |ty: i64| {
        (PI * (1.0 - 2.0 * ty as f64 / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    let (x0, x1) = (tile_x(lon0), tile_x(lon1));
    let (y0, y1) = (tile_y(lat1), tile_y(lat0));
    if (x1 - x0 + 1) * (y1 - y0 + 1) > 64 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for tx in x0..=x1 {
        for ty in y0..=y1 {
            let (ax, ay) = xy((lat_of(ty), lon_of(tx)));
            let (bx, by) = xy((lat_of(ty + 1), lon_of(tx + 1)));
            out.push(PlacedTile {
                href: template
                    .replace("{z}", &z.to_string())
                    .replace("{x}", &tx.to_string())
                    .replace("{y}", &ty.to_string()),
                x: ax,
                y: ay,
                w: bx - ax,
                h: by - ay,
            });
        }
    }
    out
}

impl RoutePlan {
    pub fn saved(&self) -> RouteCost {
        self.after.saved_from(self.before)
    }

    /// Whether applying the plan changes anything.
    pub fn changes(&self) -> bool {
        self.kept.is_none()
            && self
                .stops
                .iter()
                .zip(&self.booked)
                .any(|(a, b)| a.job_id != b.job_id || a.start != b.start)
    }
}

/// A stop for [`timetable`]: where, how long (minutes), and its window
/// (earliest start, latest end).
pub type Leg = ((f64, f64), u32, (u32, u32));

/// Times for stops visited in `order` from `from`, starting no earlier than
/// `shift_start`: each start is the arrival rounded up to the quarter hour,
/// or the start of its window if later. `windows` are each stop's allowed
/// (earliest start, latest end). None when a stop cannot keep its window or
/// the day runs past `shift_end` (back at `to`).
pub fn timetable(
    from: (f64, f64),
    to: (f64, f64),
    stops: &[Leg],
    shift: (u32, u32),
) -> Option<Vec<u32>> {
    timetable_with(&Distances::estimate(), from, to, stops, shift)
}

/// [`timetable`] with drive times from `d`.
pub fn timetable_with(
    d: &Distances,
    from: (f64, f64),
    to: (f64, f64),
    stops: &[Leg],
    shift: (u32, u32),
) -> Option<Vec<u32>> {
    let mut t = shift.0 as f64;
    let mut here = from;
    let mut starts = Vec::with_capacity(stops.len());
    for (at, minutes, (w0, w1)) in stops {
        t += d.leg(here, *at).1;
        let snapped = ((t / SNAP as f64).ceil() as u32) * SNAP;
        let start = snapped.max(*w0);
        if start + minutes > *w1 || start + minutes > shift.1 {
            return None;
        }
        starts.push(start);
        t = (start + minutes) as f64;
        here = *at;
    }
    t += d.leg(here, to).1;
    (t <= shift.1 as f64 + 0.5).then_some(starts)
}

#[cfg(test)]
mod tests {

    #[test]
    fn map_tiles_cover_the_stops_and_sit_where_the_plot_puts_them() {
        // Austin, about 10 km across, plotted at 300 units wide.
        let (lat0, lat1, lon0, lon1) = (30.20, 30.30, -97.80, -97.70);
        let k = (30.25f64).to_radians().cos();
        let scale = 300.0 / ((lon1 - lon0) * k);
        let xy = |p: (f64, f64)| ((p.1 - lon0) * k * scale, (lat1 - p.0) * scale);
        let tiles = tiles_for(
            "https://t.example/{z}/{x}/{y}.png",
            (lat0, lat1, lon0, lon1),
            k * scale,
            xy,
        );
        assert!(!tiles.is_empty() && tiles.len() <= 16, "{}", tiles.len());
        // Zoom 13 here: a tile of 360/8192 degrees is ~128-256 units.
        assert!(
            tiles[0].href.starts_with("https://t.example/13/"),
            "{}",
            tiles[0].href
        );
        for t in &tiles {
            assert!((128.0..=260.0).contains(&t.w), "{t:?}");
            assert!(
                t.h > 0.0 && (t.h / t.w - 1.0).abs() < 0.05,
                "square-ish: {t:?}"
            );
        }
        // Together they cover the whole plot.
        let covers = |x: f64, y: f64| {
            tiles
                .iter()
                .any(|t| x >= t.x && x <= t.x + t.w && y >= t.y && y <= t.y + t.h)
        };
        for (x, y) in [
            (0.0, 0.0),
            (300.0, 0.0),
            (0.0, (lat1 - lat0) * scale),
            (150.0, 150.0),
        ] {
            assert!(covers(x, y), "({x}, {y})");
        }
        // Tile 13/1871/3372 holds downtown Austin (30.267, -97.743).
        let (dx, dy) = xy((30.267, -97.743));
        let holder = tiles
            .iter()
            .find(|t| dx >= t.x && dx <= t.x + t.w && dy >= t.y && dy <= t.y + t.h)
            .unwrap();
        assert_eq!(holder.href, "https://t.example/13/1871/3372.png");
        // A box far too large for a plot asks for nothing.
        assert!(tiles_for("{z}/{x}/{y}", (-60.0, 60.0, -170.0, 170.0), 100.0, |p| p).is_empty());
    }

    use super::*;

    const DEPOT: (f64, f64) = (30.2672, -97.7431);

    #[test]
    fn the_cost_model_worked_through() {
        // 0.1° of latitude is 6.91 miles in a straight line; 8.64 by road
        // (× 1.25), 17.3 minutes at 30 mph.
        let north = (30.3672, -97.7431);
        let s = straight_miles(DEPOT, north);
        assert!((s - 6.909).abs() < 0.01, "{s}");
        let r = road_miles(DEPOT, north);
        assert!((r - 8.637).abs() < 0.01, "{r}");
        assert!((drive_minutes(r) - 17.27).abs() < 0.05);
        // Out and back in a 16 mpg truck at $3.20: 17.27 mi, 1.08 gal, $3.45.
        let (miles, minutes) = along(&[DEPOT, north, DEPOT]);
        let c = RouteCost::of(miles, minutes, 16.0, 3.20);
        assert!((c.miles - 17.27).abs() < 0.01);
        assert!((c.gallons - 1.0797).abs() < 0.001);
        assert!((c.dollars - 3.455).abs() < 0.005);
        let worse = RouteCost::of(miles + 10.0, minutes + 20.0, 16.0, 3.20);
        let saved = c.saved_from(worse);
        assert!((saved.miles - 10.0).abs() < 1e-9);
        assert!((saved.gallons - 0.625).abs() < 1e-9);
        assert!((saved.dollars - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_road_table_replaces_the_estimate_for_the_points_it_has() {
        let north = (30.3672, -97.7431);
        let far = (31.0, -97.0);
        // The road network says 11 miles / 20 minutes out, 12 / 22 back.
        let d = Distances::table(
            vec![DEPOT, north],
            vec![0.0, 11.0, 12.0, 0.0],
            vec![0.0, 20.0, 22.0, 0.0],
        )
        .unwrap();
        assert!(d.from_roads() && !Distances::estimate().from_roads());
        assert_eq!(d.leg(DEPOT, north), (11.0, 20.0));
        assert_eq!(d.along(&[DEPOT, north, DEPOT]), (23.0, 42.0));
        // A point the table lacks is estimated.
        let m = road_miles(north, far);
        assert_eq!(d.leg(north, far), (m, drive_minutes(m)));
        // The timetable drives by the table: 7:00 + 20 min, start 7:30.
        let t = timetable_with(&d, DEPOT, DEPOT, &[(north, 60, (0, 1440))], (420, 960));
        assert_eq!(t, Some(vec![450]));
        // A table of the wrong size or with a negative figure is refused.
        assert!(Distances::table(vec![DEPOT], vec![0.0, 1.0], vec![0.0]).is_none());
        assert!(Distances::table(vec![DEPOT], vec![-1.0], vec![0.0]).is_none());
        assert!(Distances::table(vec![DEPOT], vec![f64::NAN], vec![0.0]).is_none());
    }

    #[test]
    fn a_timetable_rounds_arrivals_up_and_keeps_windows_and_hours() {
        let north = (30.3672, -97.7431); // 17.3 min away
        let shift = (7 * 60, 16 * 60);
        // Leave at 7:00, arrive 7:17, start 7:30, two hours.
        let t = timetable(DEPOT, DEPOT, &[(north, 120, (0, 1440))], shift).unwrap();
        assert_eq!(t, vec![7 * 60 + 30]);
        // An afternoon window waits until noon.
        let t = timetable(DEPOT, DEPOT, &[(north, 120, (720, 1440))], shift).unwrap();
        assert_eq!(t, vec![720]);
        // A morning window cannot take a 5-hour job that starts at 7:30.
        assert_eq!(
            timetable(DEPOT, DEPOT, &[(north, 300, (0, 720))], shift),
            None
        );
        // Nor can the day end after the crew's hours, the drive home included.
        assert_eq!(
            timetable(DEPOT, DEPOT, &[(north, 8 * 60 + 15, (0, 1440))], shift),
            None
        );
    }
}
