//! Crews and the schedule board: when a crew works, where each job is
//! booked, and the rules a booking must keep (no overlaps, inside the crew's
//! hours and not on its day off, inside the customer's window). The same
//! rules run in the browser while a job is dragged and on the server when it
//! is saved, so what the board shows is what the server will say.

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::JobStatus;

/// The board snaps to this many minutes.
pub const SNAP: u32 = 15;
/// Minutes in a day.
pub const DAY: u32 = 24 * 60;
/// The longest booking.
pub const MAX_MINUTES: u32 = DAY;
/// Crews one tenant may have.
pub const MAX_CREWS: usize = 50;
/// Days off one crew may list.
pub const MAX_DAYS_OFF: usize = 366;
/// The weekdays, Monday first, as the crew form and the board name them.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// When the customer wants the crew there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TimeWindow {
    #[default]
    Any,
    Morning,
    Afternoon,
}

impl TimeWindow {
    pub const ALL: [TimeWindow; 3] = [TimeWindow::Any, TimeWindow::Morning, TimeWindow::Afternoon];

    pub fn code(self) -> &'static str {
        match self {
            TimeWindow::Any => "any",
            TimeWindow::Morning => "morning",
            TimeWindow::Afternoon => "afternoon",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimeWindow::Any => "Any time",
            TimeWindow::Morning => "Mornings only (done by noon)",
            TimeWindow::Afternoon => "Afternoons only (from noon)",
        }
    }

    pub fn parse(s: &str) -> Option<TimeWindow> {
        TimeWindow::ALL.into_iter().find(|w| w.code() == s.trim())
    }

    /// The minutes of the day the job must fall within.
    pub fn bounds(self) -> (u32, u32) {
        match self {
            TimeWindow::Any => (0, DAY),
            TimeWindow::Morning => (0, 12 * 60),
            TimeWindow::Afternoon => (12 * 60, DAY),
        }
    }
}

/// One weekday's working hours: minutes of the local day, start < end.
pub type Shift = Option<[u32; 2]>;

/// A crew as the board and the crew pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crew {
    pub id: Uuid,
    pub name: String,
    pub color: String,
    pub mpg: rust_decimal::Decimal,
    pub start_lat: Option<f64>,
    pub start_lon: Option<f64>,
    pub end_lat: Option<f64>,
    pub end_lon: Option<f64>,
    /// Monday first.
    pub hours: [Shift; 7],
    pub days_off: Vec<NaiveDate>,
    pub members: Vec<CrewMember>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrewMember {
    pub user_id: Uuid,
    pub name: String,
}

impl Crew {
    /// The crew's hours on `day`, or why it does not work then.
    pub fn shift_on(&self, day: NaiveDate) -> Result<[u32; 2], String> {
        if self.days_off.contains(&day) {
            return Err(format!(
                "{} is off on {}.",
                self.name,
                day.format("%a %b %-d")
            ));
        }
        self.hours[day.weekday().num_days_from_monday() as usize].ok_or_else(|| {
            format!(
                "{} does not work on {}s.",
                self.name,
                WEEKDAYS[day.weekday().num_days_from_monday() as usize]
            )
        })
    }
}

/// A job on the board: booked (crew, day and start) or waiting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardJob {
    pub id: Uuid,
    pub number: i32,
    pub status: JobStatus,
    pub customer_name: String,
    pub street: String,
    pub city: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub place: Placement,
    pub window: TimeWindow,
    /// An installation or a battery visit.
    #[serde(default)]
    pub kind: super::job::JobKind,
}

/// Where a job sits on the board. A crew and a start come together; a day
/// alone is "scheduled, time to be set"; nothing is waiting to be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub crew_id: Option<Uuid>,
    pub day: Option<NaiveDate>,
    /// Minute of the local day.
    pub start: Option<u32>,
    pub minutes: u32,
}

impl Placement {
    pub fn booked(&self) -> Option<(Uuid, NaiveDate, u32)> {
        match (self.crew_id, self.day, self.start) {
            (Some(c), Some(d), Some(s)) => Some((c, d, s)),
            _ => None,
        }
    }

    /// "Crew A, Tue Dec 8, 9:00–11:00 AM", "Tue Dec 8 (no time yet)" or
    /// "not scheduled".
    pub fn describe(&self, crews: &[Crew]) -> String {
        match (self.booked(), self.day) {
            (Some((c, d, s)), _) => format!(
                "{}, {}, {}",
                crews
                    .iter()
                    .find(|k| k.id == c)
                    .map(|k| k.name.as_str())
                    .unwrap_or("a removed crew"),
                d.format("%a %b %-d"),
                span(s, self.minutes)
            ),
            (None, Some(d)) => format!("{} (no time yet)", d.format("%a %b %-d")),
            (None, None) => "not scheduled".into(),
        }
    }
}

/// The board for a range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub from: NaiveDate,
    pub days: u32,
    pub today: NaiveDate,
    pub zone: String,
    pub crews: Vec<Crew>,
    /// Jobs booked on a crew within the range.
    pub booked: Vec<BoardJob>,
    /// Approved jobs, and scheduled ones without a crew and a time.
    pub waiting: Vec<BoardJob>,
    /// Whether this viewer may move jobs.
    pub can_edit: bool,
    /// Whether the plan includes route optimisation.
    #[serde(default)]
    pub routes: bool,
    /// Whether the plan includes slot suggestions (smart scheduling).
    #[serde(default)]
    pub smart: bool,
}

/// What a move did, so the board can show it and undo it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    pub job_id: Uuid,
    pub number: i32,
    pub before: Placement,
    pub after: Placement,
    pub note: String,
}

/// The crews page: the crews, the people who can join them, and whether
/// this viewer may change them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrewsData {
    pub crews: Vec<Crew>,
    pub people: Vec<CrewMember>,
    pub can_edit: bool,
}

/// A crew member's day: their crews and the stops booked on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyDay {
    pub day: NaiveDate,
    pub today: NaiveDate,
    pub crews: Vec<Crew>,
    pub stops: Vec<Stop>,
    /// The tenant has the SMS add-on: the crew can text "on the way".
    #[serde(default)]
    pub sms: bool,
}

/// One stop of a crew's day, with what the crew needs at the door.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    pub job: BoardJob,
    pub phone: Option<String>,
    pub gate_notes: String,
    /// The pets' names.
    pub pets: Vec<String>,
    /// Checklist items ticked.
    pub checklist_done: usize,
    /// The drive from the stop before (or the depot), in minutes: the
    /// "on the way" text's suggested arrival.
    #[serde(default)]
    pub drive_minutes: u32,
    /// When the homeowner was last told the crew is on the way ("10:12 AM").
    #[serde(default)]
    pub texted: Option<String>,
}

/// The office's first screen: the day by crew and what needs doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DayOverview {
    pub today: Option<NaiveDate>,
    /// Each crew's jobs today, in order.
    pub crews: Vec<(Crew, Vec<BoardJob>)>,
    /// Approved jobs and scheduled ones without a crew and a time.
    pub to_schedule: i64,
    pub quotes_with_customer: i64,
    pub quotes_with_manager: i64,
    /// The total of the jobs won this month (jobs created from approved
    /// quotes), and how many.
    pub won_this_month: rust_decimal::Decimal,
    pub won_jobs: i64,
    /// This month's savings from optimised routes: miles, gallons, dollars.
    pub saved: (f64, f64, f64),
    /// Pets whose collar battery (about three months' life) is due within
    /// three weeks or overdue.
    pub batteries_due: Vec<BatteryDue>,
    /// Things to act on now, each with where to do it.
    pub attention: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatteryDue {
    pub pet: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub due: NaiveDate,
}

/// A receiver collar's battery lasts about three months (the domain notes).
pub const BATTERY_DAYS: i64 = 91;
/// A booked job not started this long after its start is running late.
pub const LATE_AFTER_MINUTES: u32 = 30;

/// "7:00 AM" for a minute of the day (the US style, for text the server
/// writes; pages use the reader's [`super::time::DateStyle`]).
pub fn clock(minute: u32) -> String {
    super::time::DateStyle::MonthFirst.clock(minute)
}

/// "9:00 AM–11:30 AM" style span (both ends written in full).
pub fn span(start: u32, minutes: u32) -> String {
    super::time::DateStyle::MonthFirst.span(start, minutes)
}

/// "2 h 30 min", "45 min", "4 h".
pub fn duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// "07:30" → 450, on a 15-minute step.
pub fn parse_clock(s: &str) -> Result<u32, String> {
    let t = NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| "Enter the time as HH:MM, e.g. 08:30.".to_string())?;
    let m = chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t);
    if !m.is_multiple_of(SNAP) {
        return Err("Choose a time on the quarter hour (:00, :15, :30 or :45).".into());
    }
    Ok(m)
}

/// "08:30" for 510 (what a time input holds).
pub fn input_clock(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A duration in minutes from a form: a multiple of 15, up to a day.
pub fn parse_minutes(s: &str) -> Result<u32, String> {
    let m: u32 = s
        .trim()
        .parse()
        .map_err(|_| "Enter how long the job takes, in minutes.".to_string())?;
    check_minutes(m)?;
    Ok(m)
}

pub fn check_minutes(m: u32) -> Result<(), String> {
    if m == 0 || m > MAX_MINUTES || !m.is_multiple_of(SNAP) {
        return Err(format!(
            "A job takes {SNAP} minutes to a day, in steps of {SNAP} minutes."
        ));
    }
    Ok(())
}

/// Rounds a minute of the day to the nearest snap.
pub fn snap(minute: f64) -> u32 {
    let s = SNAP as f64;
    ((minute / s).round() * s).clamp(0.0, (DAY - SNAP) as f64) as u32
}

/// A job's duration from its take-off's labour hours: rounded up to the
/// quarter hour, at least an hour, at most a day.
pub fn estimate_minutes(labour_hours: rust_decimal::Decimal) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    let quarters = (labour_hours * rust_decimal::Decimal::from(4))
        .ceil()
        .to_u32()
        .unwrap_or(16);
    (quarters * SNAP).clamp(60, MAX_MINUTES)
}

/// Why `job` cannot be booked on `crew` at `day` from `start` for
/// `minutes`, or `Ok`: overlaps with the crew's other jobs that day, the
/// crew's hours and days off, the customer's window. `others` are the jobs
/// already on the board (the job itself among them is ignored).
pub fn check_booking(
    job_id: Uuid,
    crew: &Crew,
    day: NaiveDate,
    start: u32,
    minutes: u32,
    window: TimeWindow,
    others: &[BoardJob],
) -> Result<(), String> {
    check_minutes(minutes)?;
    if !start.is_multiple_of(SNAP) || start >= DAY {
        return Err("Choose a start on the quarter hour.".into());
    }
    let end = start + minutes;
    let [from, to] = crew.shift_on(day)?;
    if start < from || end > to {
        return Err(format!(
            "{} works {} on {}s; this job would run {}.",
            crew.name,
            span(from, to - from),
            WEEKDAYS[day.weekday().num_days_from_monday() as usize],
            span(start, minutes)
        ));
    }
    let (w0, w1) = window.bounds();
    if start < w0 || end > w1 {
        return Err(format!(
            "Outside the customer's window ({}).",
            window.label().to_lowercase()
        ));
    }
    for o in others {
        if o.id == job_id {
            continue;
        }
        if let Some((c, d, s)) = o.place.booked() {
            if c == crew.id && d == day && s < end && start < s + o.place.minutes {
                return Err(format!(
                    "Overlaps J-{} ({}, {}) on {}.",
                    o.number,
                    o.customer_name,
                    span(s, o.place.minutes),
                    crew.name
                ));
            }
        }
    }
    Ok(())
}

/// Reads a crew's hours for one weekday from the form's two times; both
/// empty means the crew does not work that day.
pub fn parse_shift(day: usize, start: &str, end: &str) -> Result<Shift, String> {
    let (s, e) = (start.trim(), end.trim());
    if s.is_empty() && e.is_empty() {
        return Ok(None);
    }
    let name = WEEKDAYS[day];
    let (Ok(a), Ok(b)) = (parse_clock(s), parse_clock(e)) else {
        return Err(format!(
            "{name}: enter a start and an end on the quarter hour (e.g. 07:00 and 16:00), or leave both empty for a day off."
        ));
    };
    if a >= b {
        return Err(format!("{name}: the day must end after it starts."));
    }
    Ok(Some([a, b]))
}

/// The weekday hours a new crew starts with: Monday to Friday, 7 to 4.
pub fn default_hours() -> [Shift; 7] {
    let day = Some([7 * 60, 16 * 60]);
    [day, day, day, day, day, None, None]
}

/// The crew form as typed (absent fields are empty: an unchecked box and
/// an empty list send nothing).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CrewForm {
    pub name: String,
    pub color: String,
    pub mpg: String,
    /// Seven "HH:MM" starts and ends, Monday first ("" for a day off).
    pub starts: Vec<String>,
    pub ends: Vec<String>,
    /// Dates off, YYYY-MM-DD, separated by commas, spaces or lines.
    pub days_off: String,
    /// "lat, lon" where the day starts and ends; empty: the depot.
    pub start_at: String,
    pub end_at: String,
    pub members: Vec<Uuid>,
}

/// A crew form that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCrew {
    pub name: String,
    pub color: String,
    pub mpg: rust_decimal::Decimal,
    pub hours: [Shift; 7],
    pub days_off: Vec<NaiveDate>,
    pub start: Option<(f64, f64)>,
    pub end: Option<(f64, f64)>,
    pub members: Vec<Uuid>,
}

fn place_pair(v: &str) -> Result<Option<(f64, f64)>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let bad = || {
        "Enter latitude and longitude as two numbers, e.g. 30.2672, -97.7431; or leave it empty for the depot.".to_string()
    };
    let mut parts = v
        .split([',', ' '])
        .filter(|p| !p.is_empty())
        .map(str::parse::<f64>);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(Ok(a)), Some(Ok(b)), None)
            if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&b) =>
        {
            Ok(Some((a, b)))
        }
        _ => Err(bad()),
    }
}

impl CrewForm {
    pub fn validate(&self) -> Result<ValidCrew, super::FieldErrors> {
        let mut errors = super::FieldErrors::default();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 60 {
            errors.add("name", "Give the crew a name of at most 60 characters.");
        }
        let color = match super::brand_color(self.color.trim()) {
            Ok(c) => c,
            Err(m) => {
                errors.add("color", m);
                String::new()
            }
        };
        let mpg = match self.mpg.trim().parse::<rust_decimal::Decimal>() {
            Ok(m) if m > rust_decimal::Decimal::ZERO && m <= rust_decimal::Decimal::from(150) => {
                m.round_dp(1)
            }
            _ => {
                errors.add(
                    "mpg",
                    "Enter the vehicle's fuel economy in miles per gallon (e.g. 16).",
                );
                rust_decimal::Decimal::ZERO
            }
        };
        let mut hours = [None; 7];
        for (i, h) in hours.iter_mut().enumerate() {
            let s = self.starts.get(i).map(String::as_str).unwrap_or("");
            let e = self.ends.get(i).map(String::as_str).unwrap_or("");
            match parse_shift(i, s, e) {
                Ok(v) => *h = v,
                Err(m) => errors.add(&format!("starts.{i}"), m),
            }
        }
        if hours.iter().all(Option::is_none) && errors.is_empty() {
            errors.add(
                "starts.0",
                "A crew needs working hours on at least one day.",
            );
        }
        let mut days_off = Vec::new();
        for d in self
            .days_off
            .split([',', ' ', '\n', '\r', ';'])
            .filter(|p| !p.is_empty())
        {
            match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(d) => days_off.push(d),
                Err(_) => {
                    errors.add(
                        "days_off",
                        format!("\"{}\" is not a date: write days off as YYYY-MM-DD, separated by commas.", d.chars().take(20).collect::<String>()),
                    );
                    break;
                }
            }
        }
        days_off.sort();
        days_off.dedup();
        if days_off.len() > MAX_DAYS_OFF {
            errors.add("days_off", format!("List at most {MAX_DAYS_OFF} days off."));
        }
        let start = errors
            .check("start_at", place_pair(&self.start_at))
            .flatten();
        let end = errors.check("end_at", place_pair(&self.end_at)).flatten();
        let mut members = self.members.clone();
        members.sort();
        members.dedup();
        if members.len() > 50 {
            errors.add("members", "A crew can have at most 50 members.");
        }
        errors.finish(|| ValidCrew {
            name,
            color,
            mpg,
            hours,
            days_off,
            start,
            end,
            members,
        })
    }

    /// The form filled with a crew's values (to edit it).
    pub fn from_crew(c: &Crew) -> CrewForm {
        let pair = |a: Option<f64>, b: Option<f64>| {
            a.zip(b)
                .map(|(a, b)| format!("{a}, {b}"))
                .unwrap_or_default()
        };
        let (starts, ends) = hour_fields(&c.hours);
        CrewForm {
            name: c.name.clone(),
            color: c.color.clone(),
            mpg: c.mpg.to_string(),
            starts,
            ends,
            days_off: c
                .days_off
                .iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect::<Vec<_>>()
                .join(", "),
            start_at: pair(c.start_lat, c.start_lon),
            end_at: pair(c.end_lat, c.end_lon),
            members: c.members.iter().map(|m| m.user_id).collect(),
        }
    }
}

/// A week's hours as the crew form's start and end fields ("HH:MM", empty
/// for a day off), Monday first.
pub fn hour_fields(hours: &[Shift; 7]) -> (Vec<String>, Vec<String>) {
    let field = |h: &Shift, i: usize| h.map(|se| input_clock(se[i])).unwrap_or_default();
    (
        hours.iter().map(|h| field(h, 0)).collect(),
        hours.iter().map(|h| field(h, 1)).collect(),
    )
}

/// The colours offered to new crews, in turn.
pub const CREW_COLORS: [&str; 8] = [
    "#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4d7c0f", "#be185d",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn crew() -> Crew {
        Crew {
            id: Uuid::from_u128(1),
            name: "Crew A".into(),
            color: "#2563eb".into(),
            mpg: 16.into(),
            start_lat: None,
            start_lon: None,
            end_lat: None,
            end_lon: None,
            hours: default_hours(),
            days_off: vec![day("2026-12-24")],
            members: vec![],
        }
    }

    fn booked(n: i32, crew: u128, d: &str, start: u32, minutes: u32) -> BoardJob {
        BoardJob {
            id: Uuid::from_u128(100 + n as u128),
            number: n,
            status: JobStatus::Scheduled,
            customer_name: format!("Customer {n}"),
            street: String::new(),
            city: String::new(),
            lat: None,
            lon: None,
            place: Placement {
                crew_id: Some(Uuid::from_u128(crew)),
                day: Some(day(d)),
                start: Some(start),
                minutes,
            },
            window: TimeWindow::Any,
            kind: Default::default(),
        }
    }

    const JOB: Uuid = Uuid::from_u128(7);

    #[test]
    fn a_booking_inside_the_hours_with_no_overlap_is_fine() {
        // Tue Dec 8 2026, 9:00 for 2 h, beside a job 7:00-9:00 (touching is fine).
        let others = [booked(1, 1, "2026-12-08", 7 * 60, 120)];
        assert_eq!(
            check_booking(
                JOB,
                &crew(),
                day("2026-12-08"),
                9 * 60,
                120,
                TimeWindow::Any,
                &others
            ),
            Ok(())
        );
    }

    #[test]
    fn overlaps_are_refused_with_the_job_they_hit() {
        let others = [booked(12, 1, "2026-12-08", 10 * 60, 120)];
        let e = check_booking(
            JOB,
            &crew(),
            day("2026-12-08"),
            9 * 60,
            90,
            TimeWindow::Any,
            &others,
        )
        .unwrap_err();
        assert_eq!(
            e,
            "Overlaps J-12 (Customer 12, 10:00 AM–12:00 PM) on Crew A."
        );
        // Another crew, another day, or the job itself: no overlap.
        let elsewhere = [
            booked(13, 2, "2026-12-08", 9 * 60, 120),
            booked(14, 1, "2026-12-09", 9 * 60, 120),
        ];
        assert!(check_booking(
            JOB,
            &crew(),
            day("2026-12-08"),
            9 * 60,
            90,
            TimeWindow::Any,
            &elsewhere
        )
        .is_ok());
        let mut itself = booked(15, 1, "2026-12-08", 9 * 60, 120);
        itself.id = JOB;
        assert!(check_booking(
            JOB,
            &crew(),
            day("2026-12-08"),
            9 * 60,
            90,
            TimeWindow::Any,
            &[itself]
        )
        .is_ok());
    }

    #[test]
    fn hours_days_off_and_weekends_are_kept() {
        let c = crew();
        let late = check_booking(
            JOB,
            &c,
            day("2026-12-08"),
            15 * 60,
            120,
            TimeWindow::Any,
            &[],
        )
        .unwrap_err();
        assert_eq!(
            late,
            "Crew A works 7:00 AM–4:00 PM on Tuesdays; this job would run 3:00 PM–5:00 PM."
        );
        let early = check_booking(JOB, &c, day("2026-12-08"), 6 * 60, 60, TimeWindow::Any, &[]);
        assert!(early.is_err());
        assert_eq!(
            check_booking(JOB, &c, day("2026-12-24"), 9 * 60, 60, TimeWindow::Any, &[]),
            Err("Crew A is off on Thu Dec 24.".into())
        );
        assert_eq!(
            check_booking(JOB, &c, day("2026-12-12"), 9 * 60, 60, TimeWindow::Any, &[]),
            Err("Crew A does not work on Saturdays.".into())
        );
    }

    #[test]
    fn the_customers_window_is_kept() {
        let c = crew();
        let d = day("2026-12-08");
        assert!(check_booking(JOB, &c, d, 9 * 60, 180, TimeWindow::Morning, &[]).is_ok());
        assert_eq!(
            check_booking(JOB, &c, d, 11 * 60, 120, TimeWindow::Morning, &[]),
            Err("Outside the customer's window (mornings only (done by noon)).".into())
        );
        assert!(check_booking(JOB, &c, d, 11 * 60, 120, TimeWindow::Afternoon, &[]).is_err());
        assert!(check_booking(JOB, &c, d, 12 * 60, 120, TimeWindow::Afternoon, &[]).is_ok());
    }

    #[test]
    fn times_and_durations_snap_to_the_quarter_hour() {
        assert_eq!(parse_clock("08:30"), Ok(510));
        assert!(parse_clock("08:20").is_err());
        assert!(parse_clock("8.30").is_err());
        assert_eq!(parse_minutes("90"), Ok(90));
        assert!(parse_minutes("100").is_err());
        assert!(parse_minutes("0").is_err());
        assert!(parse_minutes("1455").is_err());
        assert_eq!(snap(487.0), 480);
        assert_eq!(snap(488.0), 495);
        assert_eq!(snap(-30.0), 0);
        assert_eq!(snap(5000.0), DAY - SNAP);
        assert_eq!(clock(0), "12:00 AM");
        assert_eq!(clock(12 * 60 + 45), "12:45 PM");
        assert_eq!(clock(DAY), "midnight");
        assert_eq!(duration(150), "2 h 30 min");
        assert_eq!(input_clock(7 * 60 + 15), "07:15");
    }

    #[test]
    fn durations_come_from_the_labour_hours() {
        use rust_decimal::Decimal;
        assert_eq!(estimate_minutes(Decimal::new(325, 2)), 195); // 3.25 h
        assert_eq!(estimate_minutes(Decimal::new(301, 2)), 195); // rounds up
        assert_eq!(estimate_minutes(Decimal::ZERO), 60); // at least an hour
        assert_eq!(estimate_minutes(Decimal::from(40)), DAY); // at most a day
    }

    #[test]
    fn the_crew_form_says_what_to_fix() {
        let mut f = CrewForm {
            name: "Crew A".into(),
            color: "#2563eb".into(),
            mpg: "16.5".into(),
            starts: vec!["07:00".into(); 5],
            ends: vec!["16:00".into(); 5],
            days_off: "2026-12-24, 2026-12-25 2026-12-24".into(),
            start_at: "30.2672, -97.7431".into(),
            ..Default::default()
        };
        let v = f.validate().unwrap();
        assert_eq!(v.hours[0], Some([420, 960]));
        assert_eq!(v.hours[6], None);
        assert_eq!(v.days_off.len(), 2, "sorted, no repeats");
        assert_eq!(v.start, Some((30.2672, -97.7431)));
        f.ends[1] = "06:00".into();
        f.days_off = "Christmas".into();
        f.mpg = "-3".into();
        f.start_at = "north".into();
        let e = f.validate().unwrap_err();
        for field in ["starts.1", "days_off", "mpg", "start_at"] {
            assert!(e.get(field).is_some(), "{field}: {e:?}");
        }
        let empty = CrewForm {
            name: "B".into(),
            color: "#2563eb".into(),
            mpg: "15".into(),
            ..Default::default()
        };
        assert!(empty.validate().unwrap_err().get("starts.0").is_some());
    }

    #[test]
    fn a_placement_describes_itself() {
        let c = crew();
        let p = Placement {
            crew_id: Some(c.id),
            day: Some(day("2026-12-08")),
            start: Some(9 * 60),
            minutes: 150,
        };
        assert_eq!(p.describe(&[c]), "Crew A, Tue Dec 8, 9:00 AM–11:30 AM");
        let d = Placement {
            crew_id: None,
            day: Some(day("2026-12-08")),
            start: None,
            minutes: 60,
        };
        assert_eq!(d.describe(&[]), "Tue Dec 8 (no time yet)");
    }

    proptest::proptest! {
        /// The fast search (the first start, and the end of each booking)
        /// finds exactly what trying every quarter hour finds.
        #[test]
        fn trying_only_the_gaps_finds_what_trying_every_start_finds(
            bookings in proptest::collection::vec((0u128..3, 0i64..4, 0u32..40, 1u32..9, -50i32..50, -50i32..50, proptest::bool::ANY), 0..14),
            at in (-60i32..60, -60i32..60),
            minutes in 1u32..13,
            window in 0usize..3,
            now in 0u32..96,
            busy in proptest::bool::ANY,
            pack in 0u32..5,
        ) {
            let crews: Vec<Crew> = (1..=3u128)
                .map(|i| Crew {
                    id: Uuid::from_u128(i),
                    name: format!("Crew {i}"),
                    ..crew()
                })
                .collect();
            let today = day("2026-12-07");
            // Each crew's day: bookings laid end to end from 7:00 with gaps,
            // never overlapping (as the server keeps them).
            let mut next_free = std::collections::HashMap::new();
            let mut all = Vec::new();
            for (n, (c, d, gap, len, la, lo, located)) in bookings.into_iter().enumerate() {
                let free = next_free.entry((c, d)).or_insert(7 * 60);
                let start = *free + (gap % 8) * SNAP;
                let minutes = len * SNAP;
                if start + minutes > 16 * 60 {
                    continue;
                }
                *free = start + minutes;
                let mut b = booked(n as i32, c + 1, &(today + chrono::Duration::days(d)).to_string(), start, minutes);
                if located {
                    (b.lat, b.lon) = (Some(la as f64 / 1000.0), Some(lo as f64 / 1000.0));
                }
                all.push(b);
            }
            let search = SlotSearch {
                job: Uuid::nil(),
                at: (at.0 as f64 / 1000.0, at.1 as f64 / 1000.0),
                minutes: minutes * SNAP,
                window: [TimeWindow::Any, TimeWindow::Morning, TimeWindow::Afternoon][window],
                crews: &crews,
                depot: Some((0.0, 0.0)),
                booked: &all,
                today,
                now_minute: now * SNAP,
                days: 4,
                miles_per_booked_hour: pack as f64 / 2.0,
                busy_days_only: busy,
            };
            proptest::prop_assert_eq!(slots(&search, false), slots(&search, true));
        }
    }

    #[test]
    fn a_battery_visit_goes_to_the_day_a_crew_is_already_near() {
        // Depot at the origin; a stop 10 miles east on Tuesday and one 10
        // miles west on Wednesday. A visit 11 miles east fits on Tuesday
        // beside the east stop (a detour of 2 x 1 mile, by road),
        // not on Wednesday, and never on an empty day.
        let mile = 1.0 / 69.0;
        let mut east = booked(1, 1, "2026-12-08", 8 * 60, 120);
        (east.lat, east.lon) = (Some(0.0), Some(10.0 * mile));
        let mut west = booked(2, 1, "2026-12-09", 8 * 60, 120);
        (west.lat, west.lon) = (Some(0.0), Some(-10.0 * mile));
        let crews = [crew()];
        let all = [east, west];
        let search = SlotSearch {
            job: Uuid::nil(),
            at: (0.0, 11.0 * mile),
            minutes: 30,
            window: TimeWindow::Any,
            crews: &crews,
            depot: Some((0.0, 0.0)),
            booked: &all,
            today: day("2026-12-07"),
            now_minute: 0,
            days: 6,
            miles_per_booked_hour: 0.25,
            busy_days_only: true,
        };
        let slots = best_slots(&search);
        assert_eq!(slots.len(), 2, "only the two days the crew is out");
        let best = &slots[0].1;
        assert_eq!(best.day, day("2026-12-08"));
        // Just before or just after the 8-10 stop cost the same; the
        // earliest is kept.
        assert_eq!(best.start, 7 * 60);
        let circuity = crate::model::routing::road_miles((0.0, 0.0), (0.0, mile));
        assert!(
            (best.added_miles - 2.0 * circuity).abs() < 0.05,
            "{}",
            best.added_miles
        );
        assert!(slots[1].1.added_miles > 20.0, "west means a trip out east");
        // Without the busy-days rule every working day is offered.
        let any = best_slots(&SlotSearch {
            busy_days_only: false,
            ..search
        });
        assert_eq!(any.len(), 5, "Mon to Fri, the weekend off");
    }
}

/// A place on the board a job could go, with what it costs the crew's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub crew_id: Uuid,
    pub crew_name: String,
    pub color: String,
    pub day: NaiveDate,
    pub start: u32,
    pub minutes: u32,
    /// Road miles the job adds to the crew's day (the detour from the stop
    /// before to the stop after), and the drive time.
    pub added_miles: f64,
    pub added_minutes: f64,
    /// Minutes already booked on that crew that day.
    pub booked_minutes: u32,
}

/// What [`best_slots`] looks for: a job of `minutes` at `at`, in the days
/// from `today` to `today + days`.
pub struct SlotSearch<'a> {
    /// The job being placed (left out of the bookings it is checked
    /// against), if it exists yet.
    pub job: Uuid,
    pub at: (f64, f64),
    pub minutes: u32,
    pub window: TimeWindow,
    pub crews: &'a [Crew],
    /// Where a crew without its own start and end starts and ends.
    pub depot: Option<(f64, f64)>,
    /// Every booking in those days.
    pub booked: &'a [BoardJob],
    pub today: NaiveDate,
    /// The local minute now: today's slots start an hour from now at the
    /// earliest.
    pub now_minute: u32,
    pub days: i64,
    /// Miles an hour already booked on the crew's day counts as (load
    /// balance): high spreads work, low packs it where the crew already is.
    pub miles_per_booked_hour: f64,
    /// Only days on which the crew already has work (a short visit batched
    /// into a day it is out anyway).
    pub busy_days_only: bool,
}

/// The best start for the job on each crew's day (one per crew and day),
/// with its score (added road miles plus the load term), best first:
/// every start on the quarter hour that keeps the booking rules, costed by
/// the detour between the stops before and after it (the crew's start and
/// end included).
pub fn best_slots(s: &SlotSearch) -> Vec<(f64, Suggestion)> {
    slots(s, false)
}

/// The first multiple of [`SNAP`] at or after `m`.
fn snap_up(m: u32) -> u32 {
    m.div_ceil(SNAP) * SNAP
}

/// [`best_slots`]; `every_start` tries every quarter hour of the shift
/// (the reference the tests hold the fast path to). Otherwise only the
/// starts that can win are tried: the first allowed start of the day and
/// the end of each booking. The detour depends only on the stops either
/// side, which are the same across a gap between two bookings, and a tie
/// keeps the earliest start, so the earliest start that fits in each gap
/// is the only one that can win there.
fn slots(s: &SlotSearch, every_start: bool) -> Vec<(f64, Suggestion)> {
    use super::routing::{drive_minutes, road_miles};
    let mut out: Vec<(f64, Suggestion)> = Vec::new();
    for c in s.crews {
        let from = c.start_lat.zip(c.start_lon).or(s.depot).unwrap_or(s.at);
        let to = c.end_lat.zip(c.end_lon).or(Some(from)).unwrap_or(s.at);
        for d in 0..=s.days {
            let day = s.today + chrono::Duration::days(d);
            let Ok([s0, s1]) = c.shift_on(day) else {
                continue;
            };
            let mut theirs: Vec<&BoardJob> = s
                .booked
                .iter()
                .filter(|j| {
                    j.id != s.job && j.place.crew_id == Some(c.id) && j.place.day == Some(day)
                })
                .collect();
            if s.busy_days_only && theirs.is_empty() {
                continue;
            }
            theirs.sort_by_key(|j| j.place.start);
            let load: u32 = theirs.iter().map(|j| j.place.minutes).sum();
            // The rules look at this crew's day only.
            let same_day: Vec<BoardJob> = theirs.iter().map(|j| (*j).clone()).collect();
            let mut best: Option<(f64, Suggestion)> = None;
            let starts: Vec<u32> = if every_start {
                (0..)
                    .map(|k| s0 + k * SNAP)
                    .take_while(|t| t + s.minutes <= s1)
                    .collect()
            } else {
                let earliest = if day == s.today { s.now_minute + 60 } else { 0 };
                let first = snap_up(s0.max(earliest).max(s.window.bounds().0));
                let mut c: Vec<u32> = std::iter::once(first)
                    .chain(
                        theirs
                            .iter()
                            .filter_map(|j| Some(snap_up(j.place.start? + j.place.minutes)))
                            .filter(|t| *t > first),
                    )
                    .filter(|t| t + s.minutes <= s1)
                    .collect();
                c.sort_unstable();
                c.dedup();
                c
            };
            for start in starts {
                let too_soon = day == s.today && start < s.now_minute + 60;
                if !too_soon
                    && check_booking(s.job, c, day, start, s.minutes, s.window, &same_day).is_ok()
                {
                    // The stops either side of this start, by time.
                    let prev = theirs
                        .iter()
                        .rev()
                        .find(|j| j.place.start.unwrap_or(0) < start)
                        .and_then(|j| j.lat.zip(j.lon))
                        .unwrap_or(from);
                    let next = theirs
                        .iter()
                        .find(|j| j.place.start.unwrap_or(0) > start)
                        .and_then(|j| j.lat.zip(j.lon))
                        .unwrap_or(to);
                    let added = (road_miles(prev, s.at) + road_miles(s.at, next)
                        - road_miles(prev, next))
                    .max(0.0);
                    let score = added + load as f64 / 60.0 * s.miles_per_booked_hour;
                    if best.as_ref().is_none_or(|(b, _)| score < *b) {
                        best = Some((
                            score,
                            Suggestion {
                                crew_id: c.id,
                                crew_name: c.name.clone(),
                                color: c.color.clone(),
                                day,
                                start,
                                minutes: s.minutes,
                                added_miles: added,
                                added_minutes: drive_minutes(added),
                                booked_minutes: load,
                            },
                        ));
                    }
                }
            }
            out.extend(best);
        }
    }
    out.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(a.1.day.cmp(&b.1.day))
            .then(a.1.start.cmp(&b.1.start))
    });
    out
}

/// Collar batteries come due this far ahead are offered as visits.
pub const BATTERY_AHEAD_DAYS: i64 = 28;

/// A property whose pets' collar batteries fall due: the visit it needs
/// and where it fits best.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatteryStop {
    pub property_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub address: String,
    /// The pets due (id, name, due day), soonest first.
    pub pets: Vec<(Uuid, String, NaiveDate)>,
    pub minutes: u32,
    pub price: rust_decimal::Decimal,
    /// The best slot on a day a crew already works near by; `None` when no
    /// crew is out in the next two weeks (or the property has no location).
    pub offer: Option<Suggestion>,
    /// The visit already booked for it (job id and number).
    pub booked: Option<(Uuid, i32)>,
    pub has_location: bool,
    /// When the homeowner was last texted that it is due ("Dec 1").
    #[serde(default)]
    pub texted: Option<String>,
}

impl BatteryStop {
    /// The earliest due day of its pets.
    pub fn due(&self) -> Option<NaiveDate> {
        self.pets.iter().map(|p| p.2).min()
    }
}

/// The battery visits page: what is due, each with its offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct BatteryVisits {
    pub today: Option<NaiveDate>,
    pub stops: Vec<BatteryStop>,
    /// Whether this viewer may book visits.
    pub can_book: bool,
    /// The tenant has the SMS add-on (homeowners can be texted).
    #[serde(default)]
    pub sms: bool,
}
