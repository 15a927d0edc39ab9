//! Field rules shared by browser and server. Each rule takes the raw form
//! text and returns the cleaned value or a message saying what to fix.

use serde::{Deserialize, Serialize};

/// Messages keyed by form field name, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_string(), message.into()));
    }

    /// The first message for a field.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records the outcome of one rule, keeping the value when it passed.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }

    /// `Ok(value)` when no rule failed.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

/// A required line of text, trimmed, between 1 and `max` characters.
pub fn required_text(value: &str, label: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{label} is required."));
    }
    if v.chars().count() > max {
        return Err(format!("{label} must be at most {max} characters."));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("{label} cannot contain control characters."));
    }
    Ok(v.to_string())
}

/// Optional free text (notes): trimmed, at most `max` characters.
pub fn optional_text(value: &str, label: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(format!("{label} must be at most {max} characters."));
    }
    Ok(v.to_string())
}

/// An email address, lower-cased. Deliberately simple: one `@`, a dotted
/// domain, no spaces.
pub fn email(value: &str) -> Result<String, String> {
    let v = value.trim().to_lowercase();
    if v.is_empty() {
        return Err("Email is required.".into());
    }
    let ok = v.len() <= 254
        && v.split('@').count() == 2
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        })
        && !v
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"".contains(c));
    if ok {
        Ok(v)
    } else {
        Err("Enter an email address like name@example.com.".into())
    }
}

/// An optional email: empty means none.
pub fn optional_email(value: &str) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        email(value).map(Some)
    }
}

/// A US phone number, formatted `(555) 123-4567`; empty means none.
pub fn optional_phone(value: &str) -> Result<Option<String>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars()
        .any(|c| !(c.is_ascii_digit() || " ()-.+".contains(c)))
    {
        return Err("Phone may contain only digits, spaces and ( ) - . +".into());
    }
    let mut digits: String = v.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 11 && digits.starts_with('1') {
        digits.remove(0);
    }
    if digits.len() != 10 {
        return Err("Enter a 10-digit US phone number, e.g. (555) 123-4567.".into());
    }
    Ok(Some(format!(
        "({}) {}-{}",
        &digits[0..3],
        &digits[3..6],
        &digits[6..10]
    )))
}

/// A US ZIP code: 12345 or 12345-6789.
pub fn zip(value: &str) -> Result<String, String> {
    let v = value.trim();
    let b = v.as_bytes();
    let five = |s: &[u8]| s.len() == 5 && s.iter().all(u8::is_ascii_digit);
    let ok = match b.len() {
        5 => five(b),
        10 => five(&b[..5]) && b[5] == b'-' && b[6..].iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if v.is_empty() {
        Err("ZIP code is required.".into())
    } else if ok {
        Ok(v.to_string())
    } else {
        Err("Enter a 5-digit ZIP code (or ZIP+4, e.g. 12345-6789).".into())
    }
}

/// A password: 10 to 128 characters.
pub fn password(value: &str) -> Result<String, String> {
    let n = value.chars().count();
    if n < 10 {
        Err("Use at least 10 characters for the password.".into())
    } else if n > 128 {
        Err("Use at most 128 characters for the password.".into())
    } else if value
        .chars()
        .all(|c| c == value.chars().next().unwrap_or(' '))
    {
        Err("That password is too easy to guess.".into())
    } else {
        Ok(value.to_string())
    }
}

/// A brand colour `#rrggbb`, lower-cased.
pub fn brand_color(value: &str) -> Result<String, String> {
    let v = value.trim().to_lowercase();
    let ok = v.len() == 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(v)
    } else {
        Err("Pick a colour as #rrggbb, e.g. #1f6f5c.".into())
    }
}

/// An optional price markup multiplier between 0.5 and 3 with up to three
/// decimals, e.g. `1.15`. Returned as its canonical decimal text.
pub fn optional_markup(value: &str) -> Result<Option<String>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let msg = || "Enter a multiplier between 0.5 and 3, e.g. 1.15 for +15%.".to_string();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if int.is_empty()
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 3
        || int.len() > 1
    {
        return Err(msg());
    }
    let thousandths: u32 = int.parse::<u32>().map_err(|_| msg())? * 1000
        + format!("{frac:0<3}").parse::<u32>().map_err(|_| msg())?;
    if !(500..=3000).contains(&thousandths) {
        return Err(msg());
    }
    Ok(Some(format!(
        "{}.{:03}",
        thousandths / 1000,
        thousandths % 1000
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(email(" Ann@Example.COM ").unwrap(), "ann@example.com");
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "ann@x",
            "a b@x.com",
            "a@x..com",
            "a@@x.com",
        ] {
            assert!(email(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn phones_are_normalised_to_us_format() {
        assert_eq!(
            optional_phone("555.123.4567").unwrap().unwrap(),
            "(555) 123-4567"
        );
        assert_eq!(
            optional_phone("+1 555 123 4567").unwrap().unwrap(),
            "(555) 123-4567"
        );
        assert_eq!(optional_phone("  ").unwrap(), None);
        assert!(optional_phone("12345").is_err());
        assert!(optional_phone("555-CALL-NOW").is_err());
    }

    #[test]
    fn zip_codes_take_five_digits_or_zip_plus_four() {
        assert!(zip("02139").is_ok());
        assert!(zip("02139-1234").is_ok());
        for bad in ["", "2139", "021391", "02139-12", "abcde"] {
            assert!(zip(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn markup_is_bounded_and_canonical() {
        assert_eq!(optional_markup("1.15").unwrap().unwrap(), "1.150");
        assert_eq!(optional_markup("2").unwrap().unwrap(), "2.000");
        assert_eq!(optional_markup("").unwrap(), None);
        for bad in ["0.4", "3.001", "abc", "1.2345", "-1", "10"] {
            assert!(optional_markup(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_or_trivial_passwords_are_rejected() {
        assert!(password("short").is_err());
        assert!(password("aaaaaaaaaaaa").is_err());
        assert!(password("correct horse battery").is_ok());
    }

    #[test]
    fn brand_colours_must_be_hex() {
        assert_eq!(brand_color("#AABBCC").unwrap(), "#aabbcc");
        assert!(brand_color("red").is_err());
        assert!(brand_color("#abc;}").is_err());
    }
}
