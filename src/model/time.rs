//! Times as a tenant's people read them: stored in UTC, shown in the
//! tenant's time zone (a setting that defaults from its home state), with
//! daylight saving from the IANA database (`chrono-tz`), so an appointment
//! never moves when the clocks change.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

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

/// "Dec 1, 2026 at 8:25 AM CST".
pub fn date_time(at: DateTime<Utc>, zone: &str) -> String {
    at.with_timezone(&tz(zone))
        .format("%b %-d, %Y at %-I:%M %p %Z")
        .to_string()
}

/// "Dec 1, 8:25 AM" (this year's moments in lists).
pub fn short_date_time(at: DateTime<Utc>, zone: &str) -> String {
    at.with_timezone(&tz(zone))
        .format("%b %-d, %-I:%M %p")
        .to_string()
}

/// "Dec 1, 2026": the day it was in the tenant's zone.
pub fn date(at: DateTime<Utc>, zone: &str) -> String {
    at.with_timezone(&tz(zone)).format("%b %-d, %Y").to_string()
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
}
