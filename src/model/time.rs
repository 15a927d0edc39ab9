//! Times as a tenant's people read them: stored in UTC, shown in the
//! tenant's time zone (a setting that defaults from its home state), with
//! daylight saving from the IANA database (`chrono-tz`), so an appointment
//! never moves when the clocks change.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The zones a US installer can choose, with the names people use.
pub const ZONES: [(&str, &str); 8] = [
    ("America/New_York", "Eastern"),
    ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"),
    ("America/Phoenix", "Mountain, no daylight saving (Arizona)"),
    ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
];

/// Used when nothing better is known.
pub const DEFAULT_ZONE: &str = "America/New_York";

/// The zone most of a state lives in (states split between two zones get
/// the one of their largest cities; the setting corrects the rest).
pub fn zone_for_state(code: &str) -> &'static str {
    match code.to_ascii_uppercase().as_str() {
        "CT" | "DE" | "DC" | "FL" | "GA" | "IN" | "KY" | "ME" | "MD" | "MA" | "MI" | "NH"
        | "NJ" | "NY" | "NC" | "OH" | "PA" | "RI" | "SC" | "VT" | "VA" | "WV" => "America/New_York",
        "AL" | "AR" | "IL" | "IA" | "KS" | "LA" | "MN" | "MS" | "MO" | "NE" | "ND" | "OK"
        | "SD" | "TN" | "TX" | "WI" => "America/Chicago",
        "CO" | "ID" | "MT" | "NM" | "UT" | "WY" => "America/Denver",
        "AZ" => "America/Phoenix",
        "CA" | "NV" | "OR" | "WA" => "America/Los_Angeles",
        "AK" => "America/Anchorage",
        "HI" => "Pacific/Honolulu",
        "PR" | "VI" => "America/Puerto_Rico",
        _ => DEFAULT_ZONE,
    }
}

/// How a person writes dates and times, from their browser's language
/// (`Accept-Language`): month first with a 12-hour clock in the US, the day
/// first elsewhere (with a 24-hour clock, or a 12-hour one where that is
/// usual), year first where that is the custom. Month names stay English,
/// like the rest of the app.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateStyle {
    /// "Dec 1, 2026", "8:25 PM" (en-US, en-CA, en-PH, es-US).
    #[default]
    MonthFirst,
    /// "1 Dec 2026", "20:25" (en-GB, en-IE, most of Europe and Latin America).
    DayFirst,
    /// "1 Dec 2026", "8:25 pm" (en-AU, en-NZ, en-IN).
    DayFirst12,
    /// "2026-12-01", "20:25" (ja, zh, ko, sv, lt, hu).
    YearFirst,
}

impl DateStyle {
    /// The style of the first language the browser asks for (by weight).
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, &str)> = None;
        for part in header.split(',') {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or("").trim();
            if tag.is_empty() || tag == "*" {
                continue;
            }
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, tag));
            }
        }
        best.map(|(_, tag)| Self::for_tag(tag)).unwrap_or_default()
    }

    fn for_tag(tag: &str) -> Self {
        let tag = tag.to_ascii_lowercase().replace('_', "-");
        let mut parts = tag.split('-');
        let lang = parts.next().unwrap_or("");
        let region = parts.find(|p| p.len() == 2).unwrap_or("");
        match (lang, region) {
            ("en", "" | "us" | "ca" | "ph" | "um" | "pr" | "as" | "gu" | "vi") => Self::MonthFirst,
            ("es", "us") => Self::MonthFirst,
            ("en", "au" | "nz" | "in" | "pk" | "bd") => Self::DayFirst12,
            ("en", _) => Self::DayFirst,
            ("ja" | "zh" | "ko" | "sv" | "lt" | "hu" | "mn", _) => Self::YearFirst,
            ("", _) => Self::MonthFirst,
            _ => Self::DayFirst,
        }
    }

    fn twelve_hour(self) -> bool {
        matches!(self, Self::MonthFirst | Self::DayFirst12)
    }

    /// "Dec 1, 2026" / "1 Dec 2026" / "2026-12-01".
    pub fn date(self, d: NaiveDate) -> String {
        d.format(match self {
            Self::MonthFirst => "%b %-d, %Y",
            Self::DayFirst | Self::DayFirst12 => "%-d %b %Y",
            Self::YearFirst => "%Y-%m-%d",
        })
        .to_string()
    }

    /// "Dec 1" / "1 Dec" / "12-01": a day of this season.
    pub fn day(self, d: NaiveDate) -> String {
        d.format(match self {
            Self::MonthFirst => "%b %-d",
            Self::DayFirst | Self::DayFirst12 => "%-d %b",
            Self::YearFirst => "%m-%d",
        })
        .to_string()
    }

    /// "Tue Dec 1" / "Tue 1 Dec" / "Tue 12-01".
    pub fn weekday(self, d: NaiveDate) -> String {
        format!("{} {}", d.format("%a"), self.day(d))
    }

    /// "Tuesday Dec 1" / "Tuesday 1 Dec" / "Tuesday 12-01".
    pub fn long_weekday(self, d: NaiveDate) -> String {
        format!("{} {}", d.format("%A"), self.day(d))
    }

    /// "Tuesday, December 1, 2026" / "Tuesday 1 December 2026" /
    /// "Tuesday 2026-12-01".
    pub fn long_date(self, d: NaiveDate) -> String {
        match self {
            Self::MonthFirst => d.format("%A, %B %-d, %Y").to_string(),
            Self::DayFirst | Self::DayFirst12 => d.format("%A %-d %B %Y").to_string(),
            Self::YearFirst => d.format("%A %Y-%m-%d").to_string(),
        }
    }

    /// A minute of the day: "8:25 PM" / "20:25" / "8:25 pm"; the end of the
    /// day is "midnight" / "24:00".
    pub fn clock(self, minute: u32) -> String {
        const DAY: u32 = 24 * 60;
        if minute == DAY {
            return if self.twelve_hour() {
                "midnight"
            } else {
                "24:00"
            }
            .into();
        }
        let m = minute % DAY;
        let (h, mm) = (m / 60, m % 60);
        if !self.twelve_hour() {
            return format!("{h:02}:{mm:02}");
        }
        let (h12, pm) = match h {
            0 => (12, false),
            1..=11 => (h, false),
            12 => (12, true),
            _ => (h - 12, true),
        };
        let ap = match (self, pm) {
            (Self::DayFirst12, false) => "am",
            (Self::DayFirst12, true) => "pm",
            (_, false) => "AM",
            (_, true) => "PM",
        };
        format!("{h12}:{mm:02} {ap}")
    }

    /// "9:00–11:30 AM" style span (both ends written in full).
    pub fn span(self, start: u32, minutes: u32) -> String {
        format!("{}–{}", self.clock(start), self.clock(start + minutes))
    }

    /// An hour's label on a timeline: "9 AM" / "09" / "9 am".
    pub fn hour(self, h: u32) -> String {
        let c = self.clock(h * 60);
        if self.twelve_hour() {
            c.replace(":00", "")
        } else {
            format!("{h:02}")
        }
    }

    /// `at` in `zone`: "Dec 1, 2026 at 8:25 PM CST".
    pub fn date_time(self, at: DateTime<Utc>, zone: &str) -> String {
        let l = at.with_timezone(&tz(zone));
        format!(
            "{} at {} {}",
            self.date(l.date_naive()),
            self.clock(minute_of(&l)),
            l.format("%Z")
        )
    }

    /// `at` in `zone`, short: "Dec 1, 8:25 PM".
    pub fn short_date_time(self, at: DateTime<Utc>, zone: &str) -> String {
        let l = at.with_timezone(&tz(zone));
        format!(
            "{}, {}",
            self.day(l.date_naive()),
            self.clock(minute_of(&l))
        )
    }

    /// The day `at` was in `zone`: "Dec 1, 2026".
    pub fn local_date(self, at: DateTime<Utc>, zone: &str) -> String {
        self.date(at.with_timezone(&tz(zone)).date_naive())
    }
}

fn minute_of(l: &DateTime<Tz>) -> u32 {
    use chrono::Timelike;
    l.hour() * 60 + l.minute()
}

/// Checks a zone from a form: one of [`ZONES`].
pub fn time_zone(value: &str) -> Result<String, String> {
    let v = value.trim();
    ZONES
        .iter()
        .find(|(z, _)| *z == v)
        .map(|(z, _)| z.to_string())
        .ok_or_else(|| "Choose your time zone from the list.".to_string())
}

fn tz(zone: &str) -> Tz {
    zone.parse::<Tz>()
        .unwrap_or_else(|_| DEFAULT_ZONE.parse().expect("a known zone"))
}

/// "Dec 1, 2026 at 8:25 AM CST" (the US style: messages to homeowners and
/// text the server writes for everyone; pages use the reader's
/// [`DateStyle`]).
pub fn date_time(at: DateTime<Utc>, zone: &str) -> String {
    DateStyle::MonthFirst.date_time(at, zone)
}

/// "Dec 1, 8:25 AM" (this year's moments in lists).
pub fn short_date_time(at: DateTime<Utc>, zone: &str) -> String {
    DateStyle::MonthFirst.short_date_time(at, zone)
}

/// "Dec 1, 2026": the day it was in the tenant's zone.
pub fn date(at: DateTime<Utc>, zone: &str) -> String {
    DateStyle::MonthFirst.local_date(at, zone)
}

/// `at` on the wall clock of `zone`.
pub fn to_local(at: DateTime<Utc>, zone: &str) -> DateTime<Tz> {
    at.with_timezone(&tz(zone))
}

/// The calendar day `at` falls on in `zone`.
pub fn local_day(at: DateTime<Utc>, zone: &str) -> NaiveDate {
    at.with_timezone(&tz(zone)).date_naive()
}

/// The UTC instant of a wall-clock time in `zone`; in the hour the clocks
/// skip, the time after the change; in the hour they repeat, the first.
pub fn to_utc(day: NaiveDate, time: chrono::NaiveTime, zone: &str) -> DateTime<Utc> {
    let z = tz(zone);
    let naive = day.and_time(time);
    match z.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => z
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn times_show_in_the_tenants_zone_with_daylight_saving() {
        // 02:25 UTC on Dec 1 is the evening before in Austin (CST, UTC-6).
        assert_eq!(
            date_time(utc("2026-12-01T02:25:00Z"), "America/Chicago"),
            "Nov 30, 2026 at 8:25 PM CST"
        );
        // In July the same zone is on daylight time (UTC-5).
        assert_eq!(
            date_time(utc("2026-07-01T14:00:00Z"), "America/Chicago"),
            "Jul 1, 2026 at 9:00 AM CDT"
        );
        // Arizona keeps standard time all year.
        assert_eq!(
            short_date_time(utc("2026-07-01T14:00:00Z"), "America/Phoenix"),
            "Jul 1, 7:00 AM"
        );
        assert_eq!(
            date(utc("2026-12-01T02:25:00Z"), "America/New_York"),
            "Nov 30, 2026"
        );
    }

    #[test]
    fn a_9am_appointment_stays_at_9am_across_the_clock_change() {
        let nine = chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let before = to_utc(
            NaiveDate::from_ymd_opt(2026, 3, 7).unwrap(),
            nine,
            "America/Denver",
        );
        let after = to_utc(
            NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            nine,
            "America/Denver",
        );
        assert_eq!(before.format("%H:%M").to_string(), "16:00"); // MST
        assert_eq!(after.format("%H:%M").to_string(), "15:00"); // MDT
                                                                // 2:30 AM on the spring-forward day does not exist: 3:30 AM is meant.
        let skipped = to_utc(
            NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(),
            chrono::NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            "America/Denver",
        );
        assert_eq!(
            date_time(skipped, "America/Denver"),
            "Mar 8, 2026 at 3:30 AM MDT"
        );
    }

    #[test]
    fn every_state_has_a_known_zone_and_forms_accept_only_listed_zones() {
        for (code, _) in crate::model::US_STATES.iter() {
            let z = zone_for_state(code);
            assert!(ZONES.iter().any(|(k, _)| *k == z), "{code}: {z}");
            assert!(z.parse::<Tz>().is_ok(), "{z}");
        }
        assert_eq!(zone_for_state("tx"), "America/Chicago");
        assert_eq!(zone_for_state("AZ"), "America/Phoenix");
        assert!(time_zone("Europe/Paris").is_err());
        assert!(time_zone("America/Denver").is_ok());
    }

    #[test]
    fn dates_follow_the_browsers_language() {
        use DateStyle::*;
        for (header, style) in [
            ("en-US,en;q=0.9", MonthFirst),
            ("en", MonthFirst),
            ("", MonthFirst),
            ("*", MonthFirst),
            ("en-GB,en;q=0.9", DayFirst),
            ("en-AU", DayFirst12),
            ("de-DE,de;q=0.9,en;q=0.8", DayFirst),
            ("fr-CA", DayFirst),
            ("es-US", MonthFirst),
            ("ja,en-US;q=0.7", YearFirst),
            ("en-US;q=0.5, en-GB", DayFirst),
            ("EN_gb", DayFirst),
        ] {
            assert_eq!(DateStyle::from_accept_language(header), style, "{header}");
        }
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(MonthFirst.date(d), "Dec 1, 2026");
        assert_eq!(DayFirst.date(d), "1 Dec 2026");
        assert_eq!(YearFirst.date(d), "2026-12-01");
        assert_eq!(MonthFirst.weekday(d), "Tue Dec 1");
        assert_eq!(DayFirst.weekday(d), "Tue 1 Dec");
        assert_eq!(MonthFirst.long_date(d), "Tuesday, December 1, 2026");
        assert_eq!(DayFirst.long_date(d), "Tuesday 1 December 2026");
        assert_eq!(MonthFirst.clock(20 * 60 + 25), "8:25 PM");
        assert_eq!(DayFirst.clock(20 * 60 + 25), "20:25");
        assert_eq!(DayFirst12.clock(20 * 60 + 25), "8:25 pm");
        assert_eq!(DayFirst.clock(7 * 60), "07:00");
        assert_eq!(MonthFirst.clock(0), "12:00 AM");
        assert_eq!(MonthFirst.clock(24 * 60), "midnight");
        assert_eq!(DayFirst.clock(24 * 60), "24:00");
        assert_eq!(MonthFirst.hour(9), "9 AM");
        assert_eq!(DayFirst.hour(9), "09");
        // The same moment, in London's and Chicago's reading.
        let at = utc("2026-12-01T02:25:00Z");
        assert_eq!(
            DayFirst.date_time(at, "America/Chicago"),
            "30 Nov 2026 at 20:25 CST"
        );
        assert_eq!(
            MonthFirst.short_date_time(at, "America/Chicago"),
            "Nov 30, 8:25 PM"
        );
        assert_eq!(date(at, "America/Chicago"), "Nov 30, 2026");
    }
}
