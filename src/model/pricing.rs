//! Location-based pricing, quote totals and the ROI panel. Pure functions on
//! `rust_decimal`, run in the browser as the user types and again on the
//! server, whose result is the one saved.
//!
//! Rounding (all half away from zero, i.e. "half-up" for amounts ≥ 0):
//! 1. a catalogue unit price × zone multiplier → cents;
//! 2. a line total = quantity × unit price → cents;
//! 3. a percentage discount = subtotal × pct / 100 → cents;
//! 4. tax = (subtotal − discount, or the override) × rate / 100 → cents;
//! 5. travel = miles (0.1) × fuel cost per mile → cents.
//!
//! Manual items are priced as typed (no multiplier).

use rust_decimal::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::catalogue::{parse_in_range, Catalogue};
use super::takeoff::TakeOff;
use super::validate::FieldErrors;

/// Money to cents, half away from zero.
pub fn cents(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Dollars with thousands separators: `$1,013.14`, `-$5.00`.
pub fn money(x: Decimal) -> String {
    let c = cents(x);
    let neg = c < Decimal::ZERO;
    let s = format!("{:.2}", c.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}${grouped}.{frac}", if neg { "-" } else { "" })
}

/// Where a price multiplier came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiplierSource {
    /// The tenant's own markup for this zone.
    ZoneOverride,
    /// The tenant's markup for every zone.
    CustomMarkup,
    /// The platform's zone (BEA price parity).
    Zone,
    /// No zone for this state: the US average, 1.000.
    NoZone,
}

impl MultiplierSource {
    pub fn describe(self) -> &'static str {
        match self {
            MultiplierSource::ZoneOverride => "your markup for this zone",
            MultiplierSource::CustomMarkup => "your overall markup",
            MultiplierSource::Zone => "the zone's price level",
            MultiplierSource::NoZone => "no zone for this state: US average",
        }
    }
}

/// The multiplier for a property's location: the tenant's custom markup when
/// set (for the zone, else overall), else the zone's base multiplier, else 1.
pub fn multiplier(
    zone_base: Option<Decimal>,
    zone_override: Option<Decimal>,
    custom_markup: Option<Decimal>,
) -> (Decimal, MultiplierSource) {
    if let Some(m) = zone_override {
        (m, MultiplierSource::ZoneOverride)
    } else if let Some(m) = custom_markup {
        (m, MultiplierSource::CustomMarkup)
    } else if let Some(m) = zone_base {
        (m, MultiplierSource::Zone)
    } else {
        (Decimal::ONE, MultiplierSource::NoZone)
    }
}

/// A line the user adds by hand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManualItem {
    pub description: String,
    pub qty: String,
    pub unit_price: String,
}

/// A manual item that passed its rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidItem {
    pub description: String,
    pub qty: Decimal,
    pub unit_price: Decimal,
}

/// What the user sets on a quote besides the drawing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuoteTerms {
    pub items: Vec<ManualItem>,
    /// Percent off the subtotal.
    pub discount_pct: String,
    pub tax_pct: String,
    /// The pre-tax price, replacing subtotal − discount, when set.
    pub price_override: String,
    pub notes: String,
}

/// Quote terms that passed their rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidTerms {
    pub items: Vec<ValidItem>,
    pub discount_pct: Decimal,
    pub tax_pct: Decimal,
    pub price_override: Option<Decimal>,
    pub notes: String,
}

pub const MAX_MANUAL_ITEMS: usize = 50;

impl QuoteTerms {
    pub fn validate(&self) -> Result<ValidTerms, FieldErrors> {
        let mut e = FieldErrors::default();
        if self.items.len() > MAX_MANUAL_ITEMS {
            e.add(
                "items",
                format!("A quote can have at most {MAX_MANUAL_ITEMS} extra items."),
            );
        }
        let mut items = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            let blank = it.description.trim().is_empty()
                && it.qty.trim().is_empty()
                && it.unit_price.trim().is_empty();
            if blank {
                continue;
            }
            let d = it.description.trim();
            if d.is_empty() || d.chars().count() > 200 {
                e.add(
                    &format!("item{i}"),
                    format!("Item {}: describe it in 1 to 200 characters.", i + 1),
                );
                continue;
            }
            let qty = parse_in_range(&it.qty, &format!("Item {} quantity", i + 1), "0", "100000");
            let price = parse_in_range(
                &it.unit_price,
                &format!("Item {} unit price", i + 1),
                "-100000",
                "100000",
            );
            match (qty, price) {
                (Ok(qty), Ok(unit_price)) => items.push(ValidItem {
                    description: d.to_string(),
                    qty,
                    unit_price: cents(unit_price),
                }),
                (Err(m), _) | (_, Err(m)) => e.add(&format!("item{i}"), m),
            }
        }
        let discount = if self.discount_pct.trim().is_empty() {
            Some(Decimal::ZERO)
        } else {
            e.check(
                "discount_pct",
                parse_in_range(&self.discount_pct, "Discount", "0", "100"),
            )
        };
        let tax = if self.tax_pct.trim().is_empty() {
            Some(Decimal::ZERO)
        } else {
            e.check(
                "tax_pct",
                parse_in_range(&self.tax_pct, "Tax rate", "0", "25"),
            )
        };
        let price_override = if self.price_override.trim().is_empty() {
            Some(None)
        } else {
            e.check(
                "price_override",
                parse_in_range(&self.price_override, "Price override", "0", "10000000")
                    .map(|v| Some(cents(v))),
            )
        };
        let notes = self.notes.trim();
        if notes.chars().count() > 2000 {
            e.add("notes", "Notes must be at most 2000 characters.");
        }
        e.finish(|| ValidTerms {
            items,
            discount_pct: discount.unwrap_or_default(),
            tax_pct: tax.unwrap_or_default(),
            price_override: price_override.flatten(),
            notes: notes.to_string(),
        })
    }
}

/// One priced line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub qty: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    pub total: Decimal,
    /// What the installer pays for the line (materials, crew).
    pub cost: Decimal,
    pub manual: bool,
}

/// One physical fence in the homeowner's comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FenceCompare {
    pub name: String,
    pub per_ft: Decimal,
    pub cost: Decimal,
    pub savings: Decimal,
    pub per_year: Decimal,
}

/// Everything the quote and its ROI panel show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priced {
    pub multiplier: Decimal,
    pub multiplier_source: MultiplierSource,
    pub lines: Vec<Line>,
    pub subtotal: Decimal,
    pub discount: Decimal,
    /// Subtotal − discount, or the override.
    pub net: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    /// How far the price is below the list price (the positive lines),
    /// whatever lowered it: (list − net) / list, percent, one place.
    pub effective_discount_pct: Decimal,
    pub materials_cost: Decimal,
    pub labour_cost: Decimal,
    pub travel_miles: Decimal,
    pub travel_cost: Decimal,
    pub margin: Decimal,
    pub margin_pct: Decimal,
    pub labour_hours: Decimal,
    pub margin_per_crew_hour: Decimal,
    pub fences: Vec<FenceCompare>,
    pub per_year: Decimal,
}

/// Road miles are taken as 1.25 × the straight line.
pub const ROAD_FACTOR: f64 = 1.25;

/// Round-trip road miles between two (lat, lon) points, one place.
pub fn round_trip_miles(a: (f64, f64), b: (f64, f64)) -> Decimal {
    let r = 3958.8_f64; // Earth radius, miles
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    let one_way = 2.0 * r * h.sqrt().min(1.0).asin() * ROAD_FACTOR;
    Decimal::from_f64((one_way * 2.0 * 10.0).round() / 10.0)
        .unwrap_or_default()
        .round_dp(1)
}

/// Prices a take-off and the quote terms at a location.
pub fn price(
    t: &TakeOff,
    c: &Catalogue,
    (multiplier, multiplier_source): (Decimal, MultiplierSource),
    terms: &ValidTerms,
    property: Option<(f64, f64)>,
) -> Priced {
    let m = multiplier;
    let mut lines = Vec::new();
    let mut material = |desc: &str, qty: u32, unit: &str, price: Decimal, cost: Decimal| {
        if qty > 0 {
            let qty = Decimal::from(qty);
            let unit_price = cents(price * m);
            lines.push(Line {
                description: desc.to_string(),
                qty,
                unit: unit.to_string(),
                unit_price,
                total: cents(qty * unit_price),
                cost: cents(qty * cost),
                manual: false,
            });
        }
    };
    material(
        &format!("Boundary wire, {} ft spool", c.spool_ft.normalize()),
        t.spools,
        "spool",
        c.spool_price,
        c.spool_cost,
    );
    material("Boundary flags", t.flags, "flag", c.flag_price, c.flag_cost);
    material(
        "Waterproof splice capsules",
        t.splices,
        "each",
        c.splice_price,
        c.splice_cost,
    );
    material(
        "Transmitter",
        t.transmitters,
        "each",
        c.transmitter_price,
        c.transmitter_cost,
    );
    material(
        "Receiver collar",
        t.collars,
        "each",
        c.collar_price,
        c.collar_cost,
    );
    material(
        "Surge protector",
        t.surge_protectors,
        "each",
        c.surge_price,
        c.surge_cost,
    );
    let materials_cost: Decimal = lines.iter().map(|l| l.cost).sum();
    let labour_cost = cents(t.labour_hours * c.crew_cost_per_hour);
    if t.labour_hours > Decimal::ZERO {
        let unit_price = cents(c.labour_rate * m);
        lines.push(Line {
            description: "Installation labour (trenching, burial, set-up)".into(),
            qty: t.labour_hours,
            unit: "h".into(),
            unit_price,
            total: cents(t.labour_hours * unit_price),
            cost: labour_cost,
            manual: false,
        });
    }
    for it in &terms.items {
        lines.push(Line {
            description: it.description.clone(),
            qty: it.qty,
            unit: "each".into(),
            unit_price: it.unit_price,
            total: cents(it.qty * it.unit_price),
            cost: Decimal::ZERO,
            manual: true,
        });
    }
    let subtotal: Decimal = lines.iter().map(|l| l.total).sum();
    let discount = cents(subtotal.max(Decimal::ZERO) * terms.discount_pct / Decimal::ONE_HUNDRED);
    let net = terms
        .price_override
        .unwrap_or(subtotal - discount)
        .max(Decimal::ZERO);
    let tax = cents(net * terms.tax_pct / Decimal::ONE_HUNDRED);
    // Every way of lowering the price counts as discount: against the list
    // price (the positive lines), the percentage, negative extra lines and an
    // override all show in what is left.
    let list: Decimal = lines
        .iter()
        .map(|l| l.total)
        .filter(|t| *t > Decimal::ZERO)
        .sum();
    let effective_discount_pct = if list > Decimal::ZERO {
        ((list - net).max(Decimal::ZERO) / list * Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
    } else {
        Decimal::ZERO
    };
    let travel_miles = match (property, c.depot_lat.zip(c.depot_lon)) {
        (Some(p), Some((lat, lon))) => round_trip_miles(
            (lat.to_f64().unwrap_or(0.0), lon.to_f64().unwrap_or(0.0)),
            p,
        ),
        _ => Decimal::ZERO,
    };
    let travel_cost = cents(travel_miles * c.fuel_cost_per_mile);
    let margin = net - materials_cost - labour_cost - travel_cost;
    let margin_pct = if net > Decimal::ZERO {
        (margin / net * Decimal::ONE_HUNDRED).round_dp(1)
    } else {
        Decimal::ZERO
    };
    let margin_per_crew_hour = if t.labour_hours > Decimal::ZERO {
        cents(margin / t.labour_hours)
    } else {
        Decimal::ZERO
    };
    let fence = |name: &str, per_ft: Decimal| {
        let per_ft = cents(per_ft * m);
        let cost = cents(per_ft * t.boundary_ft);
        FenceCompare {
            name: name.to_string(),
            per_ft,
            cost,
            savings: cost - (net + tax),
            per_year: cents(cost / c.fence_life_years.max(Decimal::ONE)),
        }
    };
    let fences = if t.boundary_ft > Decimal::ZERO {
        vec![
            fence("Wood privacy", c.fence_wood_per_ft),
            fence("Chain link", c.fence_chain_link_per_ft),
            fence("Vinyl", c.fence_vinyl_per_ft),
            fence("Aluminium", c.fence_aluminium_per_ft),
        ]
    } else {
        Vec::new()
    };
    Priced {
        multiplier: m,
        multiplier_source,
        lines,
        subtotal,
        discount,
        net,
        tax,
        total: net + tax,
        effective_discount_pct,
        materials_cost,
        labour_cost,
        travel_miles,
        travel_cost,
        margin,
        margin_pct,
        labour_hours: t.labour_hours,
        margin_per_crew_hour,
        fences,
        per_year: cents((net + tax) / c.system_life_years.max(Decimal::ONE)),
    }
}

impl Priced {
    /// The same numbers without the installer's costs and margins, for
    /// roles that may see prices only (see `Role::sees_costs`).
    pub fn without_costs(&self) -> Priced {
        Priced {
            lines: self
                .lines
                .iter()
                .map(|l| Line {
                    cost: Decimal::ZERO,
                    ..l.clone()
                })
                .collect(),
            materials_cost: Decimal::ZERO,
            labour_cost: Decimal::ZERO,
            travel_miles: Decimal::ZERO,
            travel_cost: Decimal::ZERO,
            margin: Decimal::ZERO,
            margin_pct: Decimal::ZERO,
            margin_per_crew_hour: Decimal::ZERO,
            ..self.clone()
        }
    }
}

/// The take-off and price of a drawing at a property. With nothing drawn,
/// the lot size stands in (a square boundary 10 ft inside the lot line).
/// The quote editor (in the browser) and the server both call this.
pub fn price_drawing(
    c: &Catalogue,
    m: (Decimal, MultiplierSource),
    drawing: &super::takeoff::Drawing,
    lot_sqft: Option<i32>,
    pets: u32,
    terms: &ValidTerms,
    location: Option<(f64, f64)>,
) -> (TakeOff, Priced) {
    use super::takeoff::{take_off, typical_drawing};
    let stand_in;
    let d = match lot_sqft {
        Some(lot) if drawing.boundary.is_empty() => {
            stand_in = typical_drawing(f64::from(lot));
            &stand_in
        }
        _ => drawing,
    };
    let t = take_off(d, pets, c);
    let p = price(&t, c, m, terms, location);
    (t, p)
}

/// The benchmark's input: an `n`-point round boundary of about 940 ft, a
/// lead, two crossings, two manual items, a discount and tax.
pub fn bench_input(n: usize) -> (Catalogue, super::takeoff::Drawing, ValidTerms) {
    use super::takeoff::{Drawing, Pt};
    let boundary = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            Pt::new(150.0 * a.cos(), 150.0 * a.sin())
        })
        .collect();
    let d = Drawing {
        boundary,
        transmitter: Some(Pt::new(0.0, 0.0)),
        lead: vec![Pt::new(0.0, 150.0)],
        crossings: vec![
            [Pt::new(140.0, -20.0), Pt::new(160.0, -20.0)],
            [Pt::new(-160.0, 10.0), Pt::new(-140.0, 10.0)],
        ],
        width_ft: 400.0,
        ..Default::default()
    };
    let terms = QuoteTerms {
        items: vec![
            ManualItem {
                description: "Garden exclusion".into(),
                qty: "1".into(),
                unit_price: "120".into(),
            },
            ManualItem {
                description: "Extra training visit".into(),
                qty: "2".into(),
                unit_price: "75".into(),
            },
        ],
        discount_pct: "5".into(),
        tax_pct: "8.25".into(),
        ..Default::default()
    }
    .validate()
    .expect("valid bench terms");
    let c = Catalogue {
        depot_lat: Some(Decimal::new(302672, 4)),
        depot_lon: Some(Decimal::new(-977431, 4)),
        ..Default::default()
    };
    (c, d, terms)
}

/// Whether a quote needs a manager before it is sent: the tenant's plan has
/// approval workflows and the discount (or override) passes its threshold.
pub fn needs_manager_approval(p: &Priced, c: &Catalogue, workflow_enabled: bool) -> bool {
    workflow_enabled && p.effective_discount_pct > c.approval_discount_pct
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::takeoff::{take_off, typical_drawing, Drawing, Pt};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn square_100() -> TakeOff {
        let d = Drawing {
            boundary: vec![
                Pt::new(0.0, 0.0),
                Pt::new(100.0, 0.0),
                Pt::new(100.0, 100.0),
                Pt::new(0.0, 100.0),
            ],
            transmitter: Some(Pt::new(50.0, 125.0)),
            lead: vec![Pt::new(50.0, 100.0)],
            ..Default::default()
        };
        take_off(&d, 1, &Catalogue::default())
    }

    #[test]
    fn money_is_grouped_and_signed() {
        assert_eq!(money(dec("1013.135")), "$1,013.14");
        assert_eq!(money(dec("0")), "$0.00");
        assert_eq!(money(dec("-5")), "-$5.00");
        assert_eq!(money(dec("1234567.8")), "$1,234,567.80");
    }

    #[test]
    fn the_multiplier_prefers_the_tenants_markup() {
        let z = Some(dec("1.107"));
        assert_eq!(
            multiplier(z, Some(dec("1.3")), Some(dec("1.2"))),
            (dec("1.3"), MultiplierSource::ZoneOverride)
        );
        assert_eq!(
            multiplier(z, None, Some(dec("1.2"))),
            (dec("1.2"), MultiplierSource::CustomMarkup)
        );
        assert_eq!(
            multiplier(z, None, None),
            (dec("1.107"), MultiplierSource::Zone)
        );
        // A state with no zone (a territory, say) prices at the US average.
        assert_eq!(
            multiplier(None, None, None),
            (Decimal::ONE, MultiplierSource::NoZone)
        );
    }

    #[test]
    fn a_worked_example_in_california() {
        // 400 ft loop + 25 ft lead: (400 + 50) × 1.1 = 495 ft → 1 spool,
        // 40 flags, 2 splices, 1 transmitter, 1 collar, 1 surge protector,
        // 1.5 + 495/300 = 3.15 → 3.25 h. California multiplier 1.107.
        let t = square_100();
        assert_eq!((t.spools, t.flags, t.splices), (1, 40, 2));
        let p = price(
            &t,
            &Catalogue::default(),
            (dec("1.107"), MultiplierSource::Zone),
            &ValidTerms {
                tax_pct: dec("7.25"),
                ..Default::default()
            },
            None,
        );
        let unit: Vec<Decimal> = p.lines.iter().map(|l| l.unit_price).collect();
        // 89 × 1.107 = 98.523 → 98.52; 0.35 × 1.107 = 0.38745 → 0.39;
        // 3.50 × 1.107 = 3.8745 → 3.87; 249 × 1.107 = 275.643 → 275.64;
        // 179 × 1.107 = 198.153 → 198.15; 39 × 1.107 = 43.173 → 43.17;
        // 85 × 1.107 = 94.095 → 94.10 (half-up).
        assert_eq!(
            unit,
            ["98.52", "0.39", "3.87", "275.64", "198.15", "43.17", "94.10"].map(dec)
        );
        let totals: Vec<Decimal> = p.lines.iter().map(|l| l.total).collect();
        // 40 × 0.39 = 15.60; 2 × 3.87 = 7.74; 3.25 × 94.10 = 305.825 → 305.83.
        assert_eq!(
            totals,
            ["98.52", "15.60", "7.74", "275.64", "198.15", "43.17", "305.83"].map(dec)
        );
        assert_eq!(p.subtotal, dec("944.65"));
        assert_eq!(p.net, dec("944.65"));
        // 944.65 × 7.25% = 68.487125 → 68.49.
        assert_eq!(p.tax, dec("68.49"));
        assert_eq!(p.total, dec("1013.14"));
        // Costs: 45 + 4.80 + 1.80 + 120 + 85 + 14 = 270.60; crew 3.25 × 32 = 104.
        assert_eq!(p.materials_cost, dec("270.60"));
        assert_eq!(p.labour_cost, dec("104.00"));
        assert_eq!(p.margin, dec("570.05"));
        // 570.05 / 3.25 = 175.4000 → 175.40 per crew hour.
        assert_eq!(p.margin_per_crew_hour, dec("175.40"));
        // Wood privacy: 32 × 1.107 = 35.424 → 35.42/ft × 400 ft = 14,168.00.
        assert_eq!(p.fences[0].per_ft, dec("35.42"));
        assert_eq!(p.fences[0].cost, dec("14168.00"));
        assert_eq!(p.fences[0].savings, dec("14168.00") - dec("1013.14"));
        // 1013.14 over 15 years = 67.5426… → 67.54 a year.
        assert_eq!(p.per_year, dec("67.54"));
    }

    #[test]
    fn discounts_overrides_and_manual_items() {
        let t = square_100();
        let c = Catalogue::default();
        let terms = QuoteTerms {
            items: vec![
                ManualItem {
                    description: "Garden exclusion loop".into(),
                    qty: "1".into(),
                    unit_price: "120".into(),
                },
                ManualItem::default(),
            ],
            discount_pct: "10".into(),
            tax_pct: "".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(terms.items.len(), 1, "a blank row is ignored");
        let p = price(&t, &c, (Decimal::ONE, MultiplierSource::Zone), &terms, None);
        // At 1.000: 89 + 14.00 + 7.00 + 249 + 179 + 39 + 3.25 × 85 (276.25) + 120 = 973.25.
        assert_eq!(p.subtotal, dec("973.25"));
        // 10% = 97.325 → 97.33.
        assert_eq!(p.discount, dec("97.33"));
        assert_eq!(p.net, dec("875.92"));
        assert_eq!(p.effective_discount_pct, dec("10.0"));
        assert!(!needs_manager_approval(&p, &c, true));
        let over = ValidTerms {
            price_override: Some(dec("700")),
            ..terms.clone()
        };
        let p = price(&t, &c, (Decimal::ONE, MultiplierSource::Zone), &over, None);
        assert_eq!(p.net, dec("700"));
        // (973.25 − 700) / 973.25 = 28.08% → 28.1 > 15: a manager must approve,
        // but only on a plan with the workflow.
        assert_eq!(p.effective_discount_pct, dec("28.1"));
        assert!(needs_manager_approval(&p, &c, true));
        assert!(!needs_manager_approval(&p, &c, false));
    }

    #[test]
    fn a_negative_line_counts_towards_the_approval_threshold() {
        // The enterprise bypass: no percentage discount, no override, but an
        // extra line of -600 takes 70 % off the list price.
        let t = square_100();
        let c = Catalogue::default();
        let terms = QuoteTerms {
            items: vec![ManualItem {
                description: "Goodwill".into(),
                qty: "1".into(),
                unit_price: "-600".into(),
            }],
            ..Default::default()
        }
        .validate()
        .unwrap();
        let p = price(&t, &c, (Decimal::ONE, MultiplierSource::Zone), &terms, None);
        // List 853.25 at 1.000 (89 + 14 + 7 + 249 + 179 + 39 + 3.25 h × 85);
        // 253.25 is left: (853.25 − 253.25) / 853.25 = 70.3 %.
        assert_eq!(p.net, dec("253.25"));
        assert_eq!(p.effective_discount_pct, dec("70.3"));
        assert!(needs_manager_approval(&p, &c, true));
        // A positive extra item is no discount.
        let plus = QuoteTerms {
            items: vec![ManualItem {
                description: "Garden loop".into(),
                qty: "1".into(),
                unit_price: "120".into(),
            }],
            ..Default::default()
        }
        .validate()
        .unwrap();
        let p = price(&t, &c, (Decimal::ONE, MultiplierSource::Zone), &plus, None);
        assert_eq!(p.effective_discount_pct, Decimal::ZERO);
    }

    #[test]
    fn prices_without_costs_keep_no_cost_or_margin() {
        let c = Catalogue {
            depot_lat: Some(dec("30.2672")),
            depot_lon: Some(dec("-97.7431")),
            ..Default::default()
        };
        let p = price(
            &square_100(),
            &c,
            (Decimal::ONE, MultiplierSource::Zone),
            &ValidTerms::default(),
            Some((30.3672, -97.7431)),
        )
        .without_costs();
        assert!(p.lines.iter().all(|l| l.cost.is_zero()));
        assert!(p.margin.is_zero() && p.travel_cost.is_zero() && p.materials_cost.is_zero());
        assert!(p.total > Decimal::ZERO, "prices stay");
    }

    #[test]
    fn bad_terms_say_what_to_fix() {
        let e = QuoteTerms {
            items: vec![ManualItem {
                description: "Extra flags".into(),
                qty: "many".into(),
                unit_price: "1".into(),
            }],
            discount_pct: "120".into(),
            tax_pct: "abc".into(),
            price_override: "-5".into(),
            notes: String::new(),
        }
        .validate()
        .unwrap_err();
        assert!(e
            .get("item0")
            .unwrap()
            .contains("Item 1 quantity must be a number"));
        assert!(e.get("discount_pct").unwrap().contains("between 0 and 100"));
        assert!(e.get("tax_pct").unwrap().contains("must be a number"));
        assert!(e.get("price_override").unwrap().contains("between 0"));
    }

    #[test]
    fn nothing_drawn_prices_only_manual_items_and_never_divides_by_zero() {
        let t = take_off(&Drawing::default(), 0, &Catalogue::default());
        let p = price(
            &t,
            &Catalogue::default(),
            (Decimal::ONE, MultiplierSource::NoZone),
            &ValidTerms::default(),
            None,
        );
        assert!(p.lines.is_empty());
        assert_eq!(p.total, Decimal::ZERO);
        assert_eq!(p.margin_per_crew_hour, Decimal::ZERO);
        assert!(p.fences.is_empty());
    }

    #[test]
    fn the_brief_formula_scales_with_property_size_and_markup() {
        // base price × markup × size: a bigger lot and a higher multiplier
        // each raise the price; the same lot in two zones differs by the ratio
        // of the multipliers (to the cent, per line).
        let c = Catalogue::default();
        let small = take_off(&typical_drawing(10_000.0), 1, &c);
        let big = take_off(&typical_drawing(87_120.0), 1, &c);
        let at = |t: &TakeOff, m: &str| {
            price(
                t,
                &c,
                (dec(m), MultiplierSource::Zone),
                &ValidTerms::default(),
                None,
            )
            .total
        };
        assert!(at(&big, "1.0") > at(&small, "1.0"));
        assert!(at(&small, "1.107") > at(&small, "0.869"));
    }

    #[test]
    fn travel_is_a_round_trip_by_road() {
        // Austin depot to a property 0.1° north: 6.9 mi straight, × 1.25 × 2.
        let miles = round_trip_miles((30.2672, -97.7431), (30.3672, -97.7431));
        assert_eq!(miles, dec("17.3"));
        let c = Catalogue {
            depot_lat: Some(dec("30.2672")),
            depot_lon: Some(dec("-97.7431")),
            ..Default::default()
        };
        let p = price(
            &square_100(),
            &c,
            (Decimal::ONE, MultiplierSource::Zone),
            &ValidTerms::default(),
            Some((30.3672, -97.7431)),
        );
        // 17.3 × 0.67 = 11.591 → 11.59.
        assert_eq!(p.travel_cost, dec("11.59"));
    }
}

/// A quantity with its unit as people write it: "1 spool", "2 spools",
/// "3.5 h", "1 each"; never "-0".
pub fn qty_unit(qty: Decimal, unit: &str) -> String {
    let q = if qty.is_zero() {
        Decimal::ZERO
    } else {
        qty.normalize()
    };
    let plural = q != Decimal::ONE && !matches!(unit, "each" | "h" | "ft" | "sq ft" | "mi" | "");
    format!("{q} {unit}{}", if plural { "s" } else { "" })
}

/// A length in feet without a "-0".
pub fn feet_text(ft: Decimal) -> String {
    let f = if ft.is_zero() {
        Decimal::ZERO
    } else {
        ft.normalize()
    };
    format!("{f} ft")
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn quantities_read_as_people_write_them() {
        assert_eq!(qty_unit(Decimal::ONE, "spool"), "1 spool");
        assert_eq!(qty_unit(Decimal::TWO, "spool"), "2 spools");
        assert_eq!(qty_unit("3.50".parse().unwrap(), "h"), "3.5 h");
        assert_eq!(qty_unit(Decimal::TWO, "each"), "2 each");
        assert_eq!(feet_text(-Decimal::ZERO), "0 ft");
    }
}
