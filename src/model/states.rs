//! US states and DC: the pricing zones' keys, for selects and validation.

/// (USPS code, name), ordered by name.
pub const US_STATES: [(&str, &str); 51] = [
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

/// A state code, upper-cased, that names a pricing zone.
pub fn state_code(value: &str) -> Result<String, String> {
    let v = value.trim().to_uppercase();
    if v.is_empty() {
        return Err("State is required.".into());
    }
    if US_STATES.iter().any(|(code, _)| *code == v) {
        Ok(v)
    } else {
        Err("Choose a US state (two-letter code, e.g. TX).".into())
    }
}

/// The state's name for a code.
pub fn state_name(code: &str) -> Option<&'static str> {
    US_STATES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_codes_are_case_insensitive_and_closed() {
        assert_eq!(state_code(" tx ").unwrap(), "TX");
        assert_eq!(state_code("DC").unwrap(), "DC");
        assert!(state_code("ZZ").is_err());
        assert!(state_code("").is_err());
        assert_eq!(state_name("CA"), Some("California"));
    }
}
