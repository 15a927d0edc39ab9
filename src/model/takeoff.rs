//! The boundary drawing and its take-off: lengths in feet and the materials
//! and labour they call for. The same code runs in the browser (live, as a
//! point is dragged) and on the server (on save, which never trusts the
//! browser's numbers).
//!
//! Geometry is `f64` feet; every quantity that is priced leaves here as a
//! `Decimal` (lengths to 0.1 ft, wire to whole feet, hours to 0.25 h).

use rust_decimal::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::catalogue::Catalogue;

/// A point in feet on the property plan: x grows east, y grows south, the
/// property's pin is at (0, 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pt {
    pub x: f64,
    pub y: f64,
}

impl Pt {
    pub fn new(x: f64, y: f64) -> Pt {
        Pt { x, y }
    }

    pub fn dist(self, o: Pt) -> f64 {
        (self.x - o.x).hypot(self.y - o.y)
    }
}

/// How the wire is laid (see the domain notes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// One loop around the whole property.
    #[default]
    Perimeter,
    /// Front and back yards joined by twisted runs along the house (draw the
    /// runs as crossings).
    Hourglass,
    /// The back yard only; the loop doubles back along the house.
    BackYard,
    /// Out and back with 3-5 ft between the runs: twice the boundary wire.
    DoubleLoop,
}

impl Layout {
    pub const ALL: [Layout; 4] = [
        Layout::Perimeter,
        Layout::Hourglass,
        Layout::BackYard,
        Layout::DoubleLoop,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Layout::Perimeter => "Perimeter",
            Layout::Hourglass => "Hourglass",
            Layout::BackYard => "Back yard",
            Layout::DoubleLoop => "Double loop",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Layout::Perimeter => "perimeter",
            Layout::Hourglass => "hourglass",
            Layout::BackYard => "back_yard",
            Layout::DoubleLoop => "double_loop",
        }
    }

    pub fn parse(s: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.code() == s)
    }

    /// Runs of wire along the boundary.
    pub fn boundary_factor(self) -> u32 {
        match self {
            Layout::DoubleLoop => 2,
            _ => 1,
        }
    }
}

/// Everything drawn on a property: the boundary polygon, the transmitter,
/// the twisted lead from it to the boundary, and twisted crossings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Drawing {
    pub boundary: Vec<Pt>,
    pub transmitter: Option<Pt>,
    /// The lead's path after the transmitter; it ends where it meets the loop.
    pub lead: Vec<Pt>,
    pub crossings: Vec<[Pt; 2]>,
    pub layout: Layout,
    /// The plan's scale: how many feet the drawing area is wide.
    pub width_ft: f64,
}

impl Default for Drawing {
    fn default() -> Self {
        Drawing {
            boundary: Vec::new(),
            transmitter: None,
            lead: Vec::new(),
            crossings: Vec::new(),
            layout: Layout::Perimeter,
            width_ft: 200.0,
        }
    }
}

pub const MAX_BOUNDARY_POINTS: usize = 1000;
pub const MAX_LEAD_POINTS: usize = 100;
pub const MAX_CROSSINGS: usize = 50;
/// Coordinates beyond this many feet from the pin are refused (about 19 miles).
pub const MAX_COORD_FT: f64 = 100_000.0;

impl Drawing {
    /// Checks a drawing from the browser: sizes and finite coordinates.
    pub fn validate(&self) -> Result<(), String> {
        if self.boundary.len() > MAX_BOUNDARY_POINTS {
            return Err(format!(
                "A boundary can have at most {MAX_BOUNDARY_POINTS} points."
            ));
        }
        if self.lead.len() > MAX_LEAD_POINTS {
            return Err(format!("A lead can have at most {MAX_LEAD_POINTS} points."));
        }
        if self.crossings.len() > MAX_CROSSINGS {
            return Err(format!("At most {MAX_CROSSINGS} crossings can be drawn."));
        }
        for p in self.points() {
            if !p.x.is_finite()
                || !p.y.is_finite()
                || p.x.abs() > MAX_COORD_FT
                || p.y.abs() > MAX_COORD_FT
            {
                return Err(format!(
                    "Every point must lie within {MAX_COORD_FT} ft of the property's pin."
                ));
            }
        }
        if !(self.width_ft.is_finite() && (20.0..=50_000.0).contains(&self.width_ft)) {
            return Err("The plan's width must be between 20 and 50,000 ft.".into());
        }
        Ok(())
    }

    /// Whether two drawings lay the same wire (the plan's zoom aside).
    pub fn same_wire(&self, o: &Drawing) -> bool {
        self.boundary == o.boundary
            && self.transmitter == o.transmitter
            && self.lead == o.lead
            && self.crossings == o.crossings
            && self.layout == o.layout
    }

    /// Every point drawn: boundary, transmitter, lead and crossings.
    pub fn points(&self) -> impl Iterator<Item = &Pt> {
        self.boundary
            .iter()
            .chain(self.transmitter.iter())
            .chain(self.lead.iter())
            .chain(self.crossings.iter().flatten())
    }

    /// [`Drawing::points`], to move them.
    pub fn points_mut(&mut self) -> impl Iterator<Item = &mut Pt> {
        self.boundary
            .iter_mut()
            .chain(self.transmitter.iter_mut())
            .chain(self.lead.iter_mut())
            .chain(self.crossings.iter_mut().flatten())
    }

    /// A plan width (feet) that shows every point with a margin, the pin
    /// staying in the centre; `None` when nothing is drawn.
    pub fn fitting_width(&self) -> Option<f64> {
        let (half_w, half_h) = self.points().fold(None, |acc: Option<(f64, f64)>, p| {
            let (w, h) = acc.unwrap_or((0.0, 0.0));
            Some((w.max(p.x.abs()), h.max(p.y.abs())))
        })?;
        let w = (2.0 * half_w).max(2.0 * half_h / 0.625) * 1.15;
        Some(((w / 10.0).ceil() * 10.0).clamp(20.0, 50_000.0))
    }

    /// The closed boundary's length in feet (a loop returns to its start; one
    /// point or none is no length).
    pub fn boundary_ft(&self) -> f64 {
        let b = &self.boundary;
        if b.len() < 2 {
            return 0.0;
        }
        let open: f64 = b.windows(2).map(|w| w[0].dist(w[1])).sum();
        open + b[b.len() - 1].dist(b[0])
    }

    /// The lead's length: transmitter, then each lead point.
    pub fn lead_ft(&self) -> f64 {
        match self.transmitter {
            None => 0.0,
            Some(t) => {
                let mut prev = t;
                let mut sum = 0.0;
                for p in &self.lead {
                    sum += prev.dist(*p);
                    prev = *p;
                }
                sum
            }
        }
    }

    pub fn crossings_ft(&self) -> f64 {
        self.crossings.iter().map(|[a, b]| a.dist(*b)).sum()
    }

    /// The boundary's enclosed area in square feet (shoelace; meaningful for a
    /// simple polygon).
    pub fn area_sqft(&self) -> f64 {
        let b = &self.boundary;
        if b.len() < 3 {
            return 0.0;
        }
        let mut s = 0.0;
        for i in 0..b.len() {
            let (p, q) = (b[i], b[(i + 1) % b.len()]);
            s += p.x * q.y - q.x * p.y;
        }
        (s / 2.0).abs()
    }

    /// Whether two non-adjacent edges of the closed boundary cross.
    pub fn self_intersects(&self) -> bool {
        let b = &self.boundary;
        let n = b.len();
        if n < 4 {
            return false;
        }
        for i in 0..n {
            let (a1, a2) = (b[i], b[(i + 1) % n]);
            for j in (i + 2)..n {
                if i == 0 && j == n - 1 {
                    continue; // adjacent through the closing edge
                }
                let (b1, b2) = (b[j], b[(j + 1) % n]);
                if segments_cross(a1, a2, b1, b2) {
                    return true;
                }
            }
        }
        false
    }
}

fn orient(a: Pt, b: Pt, c: Pt) -> f64 {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
}

fn segments_cross(p1: Pt, p2: Pt, q1: Pt, q2: Pt) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
}

/// Feet in a degree of latitude (69.0 miles).
pub const FT_PER_DEGREE_LAT: f64 = 364_320.0;

/// A (lat, lon) moved `east` and `south` feet (flat-earth, fine for a lot).
pub fn offset_location((lat, lon): (f64, f64), east: f64, south: f64) -> (f64, f64) {
    let lat2 = lat - south / FT_PER_DEGREE_LAT;
    let lon2 = lon + east / (FT_PER_DEGREE_LAT * lat.to_radians().cos().max(0.01));
    (lat2.clamp(-90.0, 90.0), ((lon2 + 540.0) % 360.0) - 180.0)
}

/// Feet to a decimal with one place (half away from zero).
pub fn feet(x: f64) -> Decimal {
    Decimal::from_f64((x * 10.0).round() / 10.0)
        .unwrap_or_default()
        .round_dp(1)
}

/// The materials and labour a drawing calls for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TakeOff {
    pub boundary_ft: Decimal,
    pub lead_ft: Decimal,
    pub crossings_ft: Decimal,
    /// Boundary runs × boundary + 2 × (lead + crossings), plus slack, whole feet.
    pub wire_ft: Decimal,
    pub spools: u32,
    pub flags: u32,
    pub splices: u32,
    pub transmitters: u32,
    pub collars: u32,
    pub surge_protectors: u32,
    /// Set-up plus laying time, rounded up to the quarter hour.
    pub labour_hours: Decimal,
    pub area_sqft: Decimal,
    pub warnings: Vec<String>,
}

/// Rounds up to a multiple of `step`.
fn ceil_to(x: Decimal, step: Decimal) -> Decimal {
    if step <= Decimal::ZERO {
        return x;
    }
    (x / step).ceil() * step
}

fn to_u32(x: Decimal) -> u32 {
    x.to_u32().unwrap_or(u32::MAX)
}

/// Computes the take-off for a drawing, the number of pets, and the tenant's
/// catalogue (spool size, flag spacing, slack, laying rate, set-up time).
pub fn take_off(d: &Drawing, pets: u32, c: &Catalogue) -> TakeOff {
    let boundary_ft = feet(d.boundary_ft());
    let lead_ft = feet(d.lead_ft());
    let crossings_ft = feet(d.crossings_ft());
    let mut warnings = Vec::new();
    if d.boundary.len() < 3 {
        warnings.push("Draw at least three boundary points to enclose an area.".to_string());
    }
    if d.self_intersects() {
        warnings.push(
            "The boundary crosses itself: the signal would cancel where wires cross. Move the points so the loop does not cross."
                .to_string(),
        );
    }
    if d.boundary.len() >= 3 && d.transmitter.is_none() {
        warnings.push("Mark the transmitter to include the twisted lead.".to_string());
    }
    // Issue 9: the layouts that need twisted runs say what to draw for them
    // (their wire is counted from what is drawn).
    if d.boundary.len() >= 3 && d.crossings.is_empty() {
        match d.layout {
            Layout::Hourglass => warnings.push(
                "Hourglass: draw one boundary round the front and back yards, then mark each stretch along the sides of the house with the Crossing tool. Those runs are twisted (the dog crosses them freely) and take twice their length in wire."
                    .to_string(),
            ),
            Layout::BackYard => warnings.push(
                "Back yard: draw the back yard's boundary, then mark the stretch along the back of the house with the Crossing tool, where the wire doubles back (twice its length in wire, no signal at the house)."
                    .to_string(),
            ),
            Layout::Perimeter | Layout::DoubleLoop => {}
        }
    }
    let runs = Decimal::from(d.layout.boundary_factor());
    let raw_wire = boundary_ft * runs + Decimal::TWO * (lead_ft + crossings_ft);
    let slack = Decimal::ONE + c.slack_pct / Decimal::ONE_HUNDRED;
    let wire_ft = (raw_wire * slack).ceil();
    let has_loop = boundary_ft > Decimal::ZERO;
    let spools = if wire_ft > Decimal::ZERO && c.spool_ft > Decimal::ZERO {
        to_u32((wire_ft / c.spool_ft).ceil())
    } else {
        0
    };
    let flags = if has_loop && c.flag_spacing_ft > Decimal::ZERO {
        to_u32((boundary_ft / c.flag_spacing_ft).ceil())
    } else {
        0
    };
    // Two capsules where the lead meets the loop, two at each crossing, one
    // at each join between spools.
    let splices = if has_loop {
        2 + 2 * d.crossings.len() as u32 + spools.saturating_sub(1)
    } else {
        0
    };
    let labour_hours = if wire_ft > Decimal::ZERO && c.trench_ft_per_hour > Decimal::ZERO {
        ceil_to(
            c.setup_hours + wire_ft / c.trench_ft_per_hour,
            Decimal::new(25, 2),
        )
        .round_dp(2)
    } else {
        Decimal::ZERO
    };
    TakeOff {
        boundary_ft,
        lead_ft,
        crossings_ft,
        wire_ft,
        spools,
        flags,
        splices,
        transmitters: u32::from(has_loop),
        collars: pets,
        surge_protectors: u32::from(has_loop),
        labour_hours,
        area_sqft: Decimal::from_f64(d.area_sqft().round()).unwrap_or_default(),
        warnings,
    }
}

/// A square boundary for a lot of `lot_sqft`, kept 10 ft inside the lot
/// line, with a 30 ft lead: the take-off's stand-in when nothing is drawn.
pub fn typical_drawing(lot_sqft: f64) -> Drawing {
    let side = (lot_sqft.max(0.0).sqrt() - 20.0).max(0.0);
    let h = side / 2.0;
    Drawing {
        boundary: if side > 0.0 {
            vec![
                Pt::new(-h, -h),
                Pt::new(h, -h),
                Pt::new(h, h),
                Pt::new(-h, h),
            ]
        } else {
            Vec::new()
        },
        transmitter: (side > 0.0).then_some(Pt::new(0.0, 0.0)),
        lead: if side > 0.0 {
            vec![Pt::new(0.0, h.min(30.0))]
        } else {
            Vec::new()
        },
        width_ft: (side * 1.4).clamp(20.0, 50_000.0),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn square(side: f64) -> Drawing {
        Drawing {
            boundary: vec![
                Pt::new(0.0, 0.0),
                Pt::new(side, 0.0),
                Pt::new(side, side),
                Pt::new(0.0, side),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn hourglass_and_back_yard_say_what_to_draw_and_count_it() {
        // Issue 9: choosing these layouts changed nothing and said nothing.
        let c = Catalogue::default();
        let mut d = square(100.0);
        d.transmitter = Some(Pt::new(50.0, 100.0));
        for layout in [Layout::Hourglass, Layout::BackYard] {
            d.layout = layout;
            d.crossings.clear();
            let bare = take_off(&d, 1, &c);
            assert!(
                bare.warnings.iter().any(|w| w.contains("Crossing tool")),
                "{layout:?}: {:?}",
                bare.warnings
            );
            // The twisted runs along the house, once drawn, add their wire.
            d.crossings = vec![[Pt::new(0.0, 40.0), Pt::new(0.0, 70.0)]];
            let drawn = take_off(&d, 1, &c);
            assert!(drawn.warnings.is_empty(), "{:?}", drawn.warnings);
            assert_eq!(drawn.crossings_ft, dec("30"));
            assert!(drawn.wire_ft > bare.wire_ft);
        }
    }

    #[test]
    fn a_100_ft_square_with_a_lead_and_a_driveway() {
        // 400 ft loop, 25 ft lead, one 12 ft driveway crossing, 2 pets.
        let mut d = square(100.0);
        d.transmitter = Some(Pt::new(50.0, 125.0));
        d.lead = vec![Pt::new(50.0, 100.0)];
        d.crossings = vec![[Pt::new(0.0, 40.0), Pt::new(0.0, 52.0)]];
        let c = Catalogue::default();
        let t = take_off(&d, 2, &c);
        assert_eq!(t.boundary_ft, dec("400"));
        assert_eq!(t.lead_ft, dec("25"));
        assert_eq!(t.crossings_ft, dec("12"));
        // (400 + 2 × (25 + 12)) × 1.10 = 521.4 → 522 ft → 2 spools of 500 ft.
        assert_eq!(t.wire_ft, dec("522"));
        assert_eq!(t.spools, 2);
        assert_eq!(t.flags, 40);
        // 2 at the lead + 2 for the crossing + 1 spool join.
        assert_eq!(t.splices, 5);
        assert_eq!((t.transmitters, t.collars, t.surge_protectors), (1, 2, 1));
        // 1.5 h set-up + 522 / 300 = 3.24 h → 3.25 h.
        assert_eq!(t.labour_hours, dec("3.25"));
        assert_eq!(t.area_sqft, dec("10000"));
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    }

    #[test]
    fn a_double_loop_doubles_the_boundary_wire_but_not_the_flags() {
        let mut d = square(100.0);
        d.layout = Layout::DoubleLoop;
        let t = take_off(&d, 1, &Catalogue::default());
        assert_eq!(t.wire_ft, dec("880")); // 800 × 1.1
        assert_eq!(t.flags, 40);
    }

    #[test]
    fn no_points_or_one_point_is_no_install() {
        for d in [
            Drawing::default(),
            Drawing {
                boundary: vec![Pt::new(3.0, 4.0)],
                ..Default::default()
            },
        ] {
            let t = take_off(&d, 1, &Catalogue::default());
            assert_eq!(t.boundary_ft, Decimal::ZERO);
            assert_eq!(t.wire_ft, Decimal::ZERO);
            assert_eq!((t.spools, t.flags, t.splices, t.transmitters), (0, 0, 0, 0));
            assert_eq!(t.labour_hours, Decimal::ZERO);
            assert_eq!(t.collars, 1, "a collar is still a collar");
            assert!(!t.warnings.is_empty());
        }
    }

    #[test]
    fn a_zero_length_boundary_of_repeated_points_costs_nothing() {
        let d = Drawing {
            boundary: vec![Pt::new(5.0, 5.0); 4],
            ..Default::default()
        };
        let t = take_off(&d, 0, &Catalogue::default());
        assert_eq!(t.boundary_ft, Decimal::ZERO);
        assert_eq!(t.spools, 0);
        assert_eq!(t.labour_hours, Decimal::ZERO);
    }

    #[test]
    fn a_self_intersecting_bow_tie_is_flagged_but_measured() {
        let d = Drawing {
            boundary: vec![
                Pt::new(0.0, 0.0),
                Pt::new(100.0, 100.0),
                Pt::new(100.0, 0.0),
                Pt::new(0.0, 100.0),
            ],
            ..Default::default()
        };
        assert!(d.self_intersects());
        assert!(!square(10.0).self_intersects());
        let t = take_off(&d, 1, &Catalogue::default());
        assert!(t.warnings.iter().any(|w| w.contains("crosses itself")));
        assert_eq!(t.boundary_ft, feet(200.0 + 2.0 * 100.0 * 2f64.sqrt()));
    }

    #[test]
    fn an_enormous_lot_stays_exact() {
        // A 40,000 ft square: 160,000 ft of loop, 176,000 ft of wire.
        let t = take_off(&square(40_000.0), 3, &Catalogue::default());
        assert_eq!(t.boundary_ft, dec("160000"));
        assert_eq!(t.wire_ft, dec("176000"));
        assert_eq!(t.spools, 352);
        assert_eq!(t.flags, 16_000);
        assert!(square(40_000.0).validate().is_ok());
        let mut far = square(10.0);
        far.boundary.push(Pt::new(2e5, 0.0));
        assert!(far.validate().is_err());
        let mut nan = square(10.0);
        nan.boundary[0].x = f64::NAN;
        assert!(nan.validate().is_err());
    }

    #[test]
    fn a_typical_drawing_follows_the_lot_size() {
        // Half an acre: 21,780 sq ft → 147.6 ft side − 20 = 127.6 ft square.
        let d = typical_drawing(21_780.0);
        let t = take_off(&d, 1, &Catalogue::default());
        assert_eq!(t.boundary_ft, feet(4.0 * (21_780f64.sqrt() - 20.0)));
        assert!(take_off(&typical_drawing(100.0), 1, &Catalogue::default())
            .boundary_ft
            .is_zero());
    }

    #[test]
    fn the_fitting_width_shows_every_point() {
        assert_eq!(Drawing::default().fitting_width(), None);
        // 200 ft wide and flat: 200 ft across plus 15% → 230.
        let wide = Drawing {
            boundary: vec![Pt::new(-100.0, 0.0), Pt::new(100.0, 0.0)],
            ..Default::default()
        };
        assert_eq!(wide.fitting_width().unwrap(), 230.0);
        let tall = Drawing {
            boundary: vec![Pt::new(0.0, -100.0), Pt::new(0.0, 100.0)],
            ..Default::default()
        };
        // 200 ft tall at 16:10 needs 320 ft across, + 15% = 368 → 370.
        assert_eq!(tall.fitting_width().unwrap(), 370.0);
    }

    #[test]
    fn moving_the_pin_moves_the_location_by_feet() {
        let (lat, lon) = offset_location((30.0, -97.0), 0.0, -FT_PER_DEGREE_LAT);
        assert!((lat - 31.0).abs() < 1e-9 && (lon + 97.0).abs() < 1e-9);
        // 1000 ft east at 30° N is 1000 / (364,320 × cos 30°) degrees.
        let (_, lon) = offset_location((30.0, -97.0), 1000.0, 0.0);
        assert!(
            (lon - (-97.0 + 1000.0 / (FT_PER_DEGREE_LAT * 30f64.to_radians().cos()))).abs() < 1e-12
        );
    }

    #[test]
    fn drawings_round_trip_through_json() {
        let mut d = square(10.0);
        d.layout = Layout::BackYard;
        let s = serde_json::to_string(&d).unwrap();
        assert!(s.contains("\"back_yard\""));
        assert_eq!(serde_json::from_str::<Drawing>(&s).unwrap(), d);
        assert_eq!(Layout::parse("double_loop"), Some(Layout::DoubleLoop));
    }
}
