//! Text messages (the SMS add-on): numbers in E.164, what a message costs
//! in segments, the quiet hours kept in the homeowner's time zone, the
//! wording of each message, and what Settings shows of them.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Texts go out between these local hours only (8 AM to 9 PM, the hours
/// US telemarketing rules allow); a message due at night waits for 8 AM.
pub const DAY_STARTS: u32 = 8;
pub const DAY_ENDS: u32 = 21;

/// The longest message we send (Twilio accepts 1,600 characters).
pub const MAX_BODY: usize = 1600;

/// A phone number as the provider wants it: `+` and country code. US
/// numbers may be written any usual way ("(555) 123-4567", "555.123.4567",
/// "+1 555 123 4567"); others must start with `+`.
pub fn e164(phone: &str) -> Result<String, String> {
    let v = phone.trim();
    let bad = || format!("{v:?} is not a phone number that can receive texts.");
    if v.is_empty()
        || v.chars()
            .any(|c| !(c.is_ascii_digit() || " ()-.+".contains(c)))
        || v.matches('+').count() > 1
        || (v.contains('+') && !v.starts_with('+'))
    {
        return Err(bad());
    }
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    let full = if v.starts_with('+') {
        digits
    } else if digits.len() == 10 {
        format!("1{digits}")
    } else if digits.len() == 11 && digits.starts_with('1') {
        digits
    } else {
        return Err(bad());
    };
    if !(8..=15).contains(&full.len()) || full.starts_with('0') {
        return Err(bad());
    }
    // North American numbers: ten digits after the 1, an area code and an
    // exchange that do not start with 0 or 1.
    if let Some(national) = full.strip_prefix('1') {
        let b = national.as_bytes();
        if national.len() != 10 || b[0] < b'2' || b[3] < b'2' {
            return Err(bad());
        }
    }
    Ok(format!("+{full}"))
}

/// "(555) 234-5678" for a US number in E.164, else as stored.
pub fn display(e164: &str) -> String {
    match e164.strip_prefix("+1") {
        Some(n) if n.len() == 10 => format!("({}) {}-{}", &n[0..3], &n[3..6], &n[6..]),
        _ => e164.to_string(),
    }
}

/// The GSM 03.38 basic character set (a message in it packs 160
/// characters per segment) and its extension table (two septets each).
const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXT: &str = "^{}\\[~]|€\x0c";

/// How many segments the carrier splits `body` into (what is billed): 160
/// GSM characters in one, 153 per part when split; 70 / 67 once any
/// character needs Unicode (UTF-16 units).
pub fn segments(body: &str) -> u32 {
    let gsm = body.chars().try_fold(0usize, |n, c| {
        if GSM.contains(c) {
            Some(n + 1)
        } else if GSM_EXT.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    });
    let (len, single, part) = match gsm {
        Some(septets) => (septets, 160, 153),
        None => (body.encode_utf16().count(), 70, 67),
    };
    if len <= single {
        1
    } else {
        len.div_ceil(part) as u32
    }
}

fn tz(zone: &str) -> Tz {
    zone.parse::<Tz>()
        .unwrap_or_else(|_| super::time::DEFAULT_ZONE.parse().expect("a known zone"))
}

/// `None` when a text may go at `now` in `zone`; else when it may (8 AM
/// local, today or tomorrow).
pub fn quiet_until(now: DateTime<Utc>, zone: &str) -> Option<DateTime<Utc>> {
    let z = tz(zone);
    let local = now.with_timezone(&z);
    if (DAY_STARTS..DAY_ENDS).contains(&local.hour()) {
        return None;
    }
    let day = if local.hour() < DAY_STARTS {
        local.date_naive()
    } else {
        local.date_naive() + Duration::days(1)
    };
    let morning = day.and_time(NaiveTime::from_hms_opt(DAY_STARTS, 0, 0).expect("a time"));
    Some(
        z.from_local_datetime(&morning)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now + Duration::hours(1)),
    )
}

/// What a text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmsKind {
    Reminder,
    OnTheWay,
    QuoteLink,
    BatteryDue,
}

impl SmsKind {
    pub fn code(self) -> &'static str {
        match self {
            SmsKind::Reminder => "reminder",
            SmsKind::OnTheWay => "on_the_way",
            SmsKind::QuoteLink => "quote_link",
            SmsKind::BatteryDue => "battery_due",
        }
    }

    pub fn from_code(code: &str) -> Option<SmsKind> {
        [
            SmsKind::Reminder,
            SmsKind::OnTheWay,
            SmsKind::QuoteLink,
            SmsKind::BatteryDue,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            SmsKind::Reminder => "Appointment reminder",
            SmsKind::OnTheWay => "Crew on the way",
            SmsKind::QuoteLink => "Quote link",
            SmsKind::BatteryDue => "Collar battery due",
        }
    }
}

/// One line so a name or company cannot break the message's shape.
fn clean(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_name(name: &str) -> String {
    clean(name).split(' ').next().unwrap_or("").to_string()
}

const STOP: &str = "Reply STOP to opt out.";

/// The day-before reminder.
pub fn reminder_text(company: &str, customer: &str, when: &str, phone: Option<&str>) -> String {
    let call = phone
        .map(|p| format!(" Questions? Call {}.", clean(p)))
        .unwrap_or_default();
    format!(
        "{}: Hi {}, a reminder that your pet fence installation is {}.{call} {STOP}",
        clean(company),
        first_name(customer),
        clean(when)
    )
}

/// "Crew on the way", sent from the crew's phone.
pub fn on_the_way_text(company: &str, customer: &str, minutes: u32, arrive: &str) -> String {
    format!(
        "{}: Hi {}, our crew is on the way and should arrive in about {minutes} minutes (around {}). {STOP}",
        clean(company),
        first_name(customer),
        clean(arrive)
    )
}

/// The quote's approval link.
pub fn quote_text(company: &str, customer: &str, number: i32, total: &str, link: &str) -> String {
    format!(
        "{}: Hi {}, your quote Q-{number} ({}) is ready. Review and approve it here: {link} {STOP}",
        clean(company),
        first_name(customer),
        clean(total)
    )
}

/// A collar battery coming due.
pub fn battery_text(
    company: &str,
    customer: &str,
    pets: &str,
    due: &str,
    phone: Option<&str>,
) -> String {
    let call = phone
        .map(|p| format!("Call {} to book a battery visit", clean(p)))
        .unwrap_or_else(|| "Contact us to book a battery visit".into());
    format!(
        "{}: Hi {}, the fence collar battery for {} is due {}. {call}. {STOP}",
        clean(company),
        first_name(customer),
        clean(pets),
        clean(due)
    )
}

/// Texts counted in one month (the tenant's time zone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsMonth {
    /// "December 2026".
    pub label: String,
    pub messages: i64,
    pub segments: i64,
}

/// One text as the office sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsRow {
    pub at: String,
    pub to: String,
    pub kind: String,
    pub status: String,
    pub error: Option<String>,
}

/// Settings → Text messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SmsOverview {
    /// The tenant has the add-on.
    pub enabled: bool,
    /// The platform has a provider configured (else texts wait queued).
    pub provider: bool,
    /// This month first, then earlier months with texts (at most 12).
    pub months: Vec<SmsMonth>,
    pub recent: Vec<SmsRow>,
    /// Numbers that replied STOP.
    pub opted_out: i64,
}

/// A text just sent from the crew's phone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnTheWay {
    pub to: String,
    pub arrive: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_numbers_in_any_usual_form_become_e164() {
        for v in [
            "(555) 234-5678",
            "555.234.5678",
            "5552345678",
            "+1 555 234 5678",
            "1-555-234-5678",
        ] {
            assert_eq!(e164(v).unwrap(), "+15552345678", "{v}");
        }
        assert_eq!(e164("+44 20 7946 0958").unwrap(), "+442079460958");
        for bad in [
            "",
            "12345",
            "555-CALL-NOW",
            "(155) 234-5678",
            "(555) 134-5678",
            "44 20 7946 0958 12",
            "+0 123 456 789",
            "5+552345678",
            "+1 555 234 56789",
        ] {
            assert!(e164(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(display("+15552345678"), "(555) 234-5678");
    }

    #[test]
    fn segments_follow_the_encoding() {
        assert_eq!(segments("hello"), 1);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        // The extension table counts twice.
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
        // One emoji makes it Unicode: 70 per message, 67 per part.
        assert_eq!(segments(&format!("{}🐕", "a".repeat(68))), 1);
        assert_eq!(segments(&format!("{}🐕", "a".repeat(69))), 2);
    }

    #[test]
    fn quiet_hours_hold_in_the_homeowners_zone() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 10:00 in Austin is fine.
        assert_eq!(
            quiet_until(at("2026-06-02T15:00:00Z"), "America/Chicago"),
            None
        );
        // 22:30 in Austin waits for 8:00 next morning (13:00 UTC in June).
        assert_eq!(
            quiet_until(at("2026-06-03T03:30:00Z"), "America/Chicago"),
            Some(at("2026-06-03T13:00:00Z"))
        );
        // 06:00 waits for 8:00 the same day.
        assert_eq!(
            quiet_until(at("2026-06-03T11:00:00Z"), "America/Chicago"),
            Some(at("2026-06-03T13:00:00Z"))
        );
        // The same instant is daytime in Honolulu (17:30).
        assert_eq!(
            quiet_until(at("2026-06-03T03:30:00Z"), "Pacific/Honolulu"),
            None
        );
        // Across the clocks going forward (March 8, 2026 in the US).
        assert_eq!(
            quiet_until(at("2026-03-08T07:00:00Z"), "America/New_York"),
            Some(at("2026-03-08T12:00:00Z"))
        );
    }

    #[test]
    fn texts_stay_on_one_line_and_offer_stop() {
        let t = reminder_text(
            "Acme\r\nFence",
            "Dana\nSmith",
            "Tuesday, March 3, arriving around 8:00 AM",
            Some("(555) 234-5678"),
        );
        assert!(!t.contains('\n') && !t.contains('\r'));
        assert!(t.starts_with("Acme Fence: Hi Dana,"));
        assert!(t.ends_with("Reply STOP to opt out."));
        assert_eq!(segments(&t), 2);
        let q = quote_text(
            "Acme",
            "Dana Smith",
            12,
            "$4,210.00",
            "https://x.example/q/abc",
        );
        assert!(q.contains("https://x.example/q/abc"));
        assert!(on_the_way_text("Acme", "Dana", 25, "10:40 AM").contains("about 25 minutes"));
        assert!(battery_text("Acme", "Dana", "Rex", "Mar 3", None).contains("Rex"));
        assert_eq!(SmsKind::from_code("on_the_way"), Some(SmsKind::OnTheWay));
    }
}
