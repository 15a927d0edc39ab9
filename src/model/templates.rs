//! The homeowner-facing emails a business may word itself (Enterprise):
//! subject and body with named placeholders such as `{customer_name}`.
//! Rendering is one pass over the template: a value is inserted as text
//! (a value that looks like a placeholder is not expanded again), the HTML
//! part escapes everything, and the subject is one line, so no template can
//! carry markup, a script, a header or anything but its own tenant's facts
//! (the only values are the ones the message passes in). `{{` and `}}`
//! write literal braces. Compiled into the browser too: the settings page
//! previews with the same code that sends.

use serde::{Deserialize, Serialize};

use super::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TemplateKind {
    QuoteSent,
    JobScheduled,
    JobRescheduled,
    Reminder,
}

/// A placeholder: its name, what it holds, and the preview's sample.
pub struct Placeholder {
    pub name: &'static str,
    pub meaning: &'static str,
    pub sample: &'static str,
}

const fn ph(name: &'static str, meaning: &'static str, sample: &'static str) -> Placeholder {
    Placeholder {
        name,
        meaning,
        sample,
    }
}

const CUSTOMER: Placeholder = ph("customer_name", "the customer's name", "Dana Reyes");
const COMPANY: Placeholder = ph("company_name", "your company's name", "Acme Pet Fence");
const QUOTE_PHS: &[Placeholder] = &[
    CUSTOMER,
    COMPANY,
    ph("quote_number", "the quote's number", "1042"),
    ph("total", "the quote's total", "$1,013.14"),
    ph(
        "link",
        "the approval link (required)",
        "https://acme.example.com/q/sample",
    ),
    ph("valid_days", "days the link works", "30"),
];
const JOB_PHS: &[Placeholder] = &[
    CUSTOMER,
    COMPANY,
    ph("job_number", "the job's number", "311"),
    ph(
        "when",
        "the day and arrival time",
        "Tuesday, March 9, arriving around 8:00 AM",
    ),
    ph(
        "contact",
        "how to reach you",
        "Call (512) 555-0100 or reply to this email.",
    ),
];
const REMINDER_PHS: &[Placeholder] = &[
    CUSTOMER,
    COMPANY,
    ph("job_number", "the job's number", "311"),
    ph(
        "when",
        "the day and arrival time",
        "Tuesday, March 9, arriving around 8:00 AM",
    ),
    ph(
        "contact",
        "how to reach you",
        "Call (512) 555-0100 or reply to this email.",
    ),
    ph(
        "stop_link",
        "the link that turns reminders off (required)",
        "https://acme.example.com/reminders/sample",
    ),
];

pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 5000;

impl TemplateKind {
    pub const ALL: [TemplateKind; 4] = [
        TemplateKind::QuoteSent,
        TemplateKind::JobScheduled,
        TemplateKind::JobRescheduled,
        TemplateKind::Reminder,
    ];

    /// The outbox kind it words.
    pub fn code(self) -> &'static str {
        match self {
            TemplateKind::QuoteSent => "quote_sent",
            TemplateKind::JobScheduled => "job_scheduled",
            TemplateKind::JobRescheduled => "job_rescheduled",
            TemplateKind::Reminder => "reminder",
        }
    }

    pub fn parse(code: &str) -> Option<TemplateKind> {
        TemplateKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            TemplateKind::QuoteSent => "Quote sent to the customer",
            TemplateKind::JobScheduled => "Installation booked",
            TemplateKind::JobRescheduled => "Installation moved to a new date",
            TemplateKind::Reminder => "Reminder the day before",
        }
    }

    pub fn placeholders(self) -> &'static [Placeholder] {
        match self {
            TemplateKind::QuoteSent => QUOTE_PHS,
            TemplateKind::JobScheduled | TemplateKind::JobRescheduled => JOB_PHS,
            TemplateKind::Reminder => REMINDER_PHS,
        }
    }

    /// Placeholders the body must keep (the message is useless without).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            TemplateKind::QuoteSent => &["link"],
            TemplateKind::Reminder => &["stop_link"],
            _ => &[],
        }
    }

    pub fn default_subject(self) -> &'static str {
        match self {
            TemplateKind::QuoteSent => "Your quote from {company_name}",
            TemplateKind::JobScheduled => "Your fence installation with {company_name} is booked",
            TemplateKind::JobRescheduled => {
                "New date for your fence installation with {company_name}"
            }
            TemplateKind::Reminder => "Reminder: {company_name} visits tomorrow",
        }
    }

    pub fn default_body(self) -> &'static str {
        match self {
            TemplateKind::QuoteSent => {
                "Hello {customer_name},\n\n{company_name} has prepared quote Q-{quote_number} for your pet fence: {total}.\n\n\
                 Review and approve it here (valid for {valid_days} days):\n{link}\n"
            }
            TemplateKind::JobScheduled => {
                "Hello {customer_name},\n\nyour pet fence installation is booked: {when} (job J-{job_number}).\n\n\
                 Please keep pets indoors while the crew works, and make sure they can reach the yard.\n\n\
                 Questions, or need another day? {contact}\n"
            }
            TemplateKind::JobRescheduled => {
                "Hello {customer_name},\n\nyour pet fence installation has a new date: {when} (job J-{job_number}).\n\n\
                 Please keep pets indoors while the crew works, and make sure they can reach the yard.\n\n\
                 Questions, or need another day? {contact}\n"
            }
            TemplateKind::Reminder => {
                "Hello {customer_name},\n\nA reminder that {company_name} comes tomorrow, {when} (job J-{job_number}).\n\n\
                 Questions, or need another day? {contact}\n\n\
                 Don't want appointment reminders? Turn them off here:\n{stop_link}\n"
            }
        }
    }

    /// The preview's values.
    pub fn sample(self) -> Vec<(&'static str, String)> {
        self.placeholders()
            .iter()
            .map(|p| (p.name, p.sample.to_string()))
            .collect()
    }
}

/// One piece of a parsed template.
enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Name(&'a str),
}

/// Splits a template into text and placeholders, or says what is wrong.
fn pieces(t: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push(Piece::Brace('{'));
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push(Piece::Brace('}'));
            rest = after;
        } else if tail.starts_with('}') {
            return Err("A lone } : write }} for a brace.".into());
        } else {
            let Some(end) = tail.find('}') else {
                return Err("A { is never closed: write {{ for a brace.".into());
            };
            let name = &tail[1..end];
            if name.is_empty()
                || name.len() > 40
                || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                return Err(format!(
                    "{{{}}} is not a placeholder: use a name from the list, like {{customer_name}}.",
                    name.chars().take(40).collect::<String>()
                ));
            }
            out.push(Piece::Name(name));
            rest = &tail[end + 1..];
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Fills the placeholders in one pass; an unknown one is an error.
pub fn render(t: &str, vars: &[(&str, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(t.len() + 64);
    for p in pieces(t)? {
        match p {
            Piece::Text(s) => out.push_str(s),
            Piece::Brace(c) => out.push(c),
            Piece::Name(n) => match vars.iter().find(|(k, _)| *k == n) {
                Some((_, v)) => out.push_str(v),
                None => return Err(format!("{{{n}}} is not a placeholder of this email.")),
            },
        }
    }
    Ok(out)
}

/// A subject rendered onto one line (no header can be smuggled in).
pub fn render_subject(t: &str, vars: &[(&str, String)]) -> Result<String, String> {
    Ok(render(t, vars)?
        .replace(['\r', '\n', '\t'], " ")
        .trim()
        .to_string())
}

/// A business's wording of one message, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateForm {
    pub subject: String,
    pub body: String,
}

impl TemplateForm {
    /// Checks the wording against `kind`'s placeholders: lengths, one-line
    /// subject, known names only, the required ones kept.
    pub fn validate(&self, kind: TemplateKind) -> Result<TemplateForm, FieldErrors> {
        let mut e = FieldErrors::default();
        let subject = self.subject.trim();
        let body = self.body.replace("\r\n", "\n");
        let body = body.trim();
        let sample = kind.sample();
        if subject.is_empty() {
            e.add("subject", "Write a subject.");
        } else if subject.chars().count() > SUBJECT_MAX {
            e.add(
                "subject",
                format!("Keep the subject to {SUBJECT_MAX} characters."),
            );
        } else if subject.contains(['\r', '\n']) {
            e.add("subject", "The subject is one line.");
        } else if let Err(m) = render(subject, &sample) {
            e.add("subject", m);
        }
        if body.is_empty() {
            e.add("body", "Write the message.");
        } else if body.chars().count() > BODY_MAX {
            e.add(
                "body",
                format!("Keep the message to {BODY_MAX} characters."),
            );
        } else if let Err(m) = render(body, &sample) {
            e.add("body", m);
        } else if let Some(missing) = kind.required().iter().find(|r| {
            !pieces(body)
                .unwrap_or_default()
                .iter()
                .any(|p| matches!(p, Piece::Name(n) if n == *r))
        }) {
            e.add(
                "body",
                format!("Keep {{{missing}}} in the message: the customer needs that link."),
            );
        }
        e.finish(|| TemplateForm {
            subject: subject.to_string(),
            body: body.to_string(),
        })
    }
}

/// One template as the settings page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateEntry {
    pub kind: TemplateKind,
    pub subject: String,
    pub body: String,
    /// The business's own wording (else the default's).
    pub custom: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vec<(&'static str, String)> {
        vec![
            ("customer_name", "Dana <b>{link}</b>".to_string()),
            ("link", "https://x.example/q/t".to_string()),
        ]
    }

    #[test]
    fn placeholders_fill_once_and_braces_escape() {
        assert_eq!(
            render("Hi {customer_name}: {link} {{not}} }}", &vars()).unwrap(),
            "Hi Dana <b>{link}</b>: https://x.example/q/t {not} }"
        );
    }

    #[test]
    fn unknown_or_broken_placeholders_are_refused() {
        assert!(render("{password}", &vars())
            .unwrap_err()
            .contains("not a placeholder"));
        assert!(render("{Customer}", &vars()).is_err());
        assert!(render("{customer_name", &vars()).is_err());
        assert!(render("a } b", &vars()).is_err());
        assert!(render("{}", &vars()).is_err());
    }

    #[test]
    fn a_subject_stays_one_line() {
        let v = vec![("customer_name", "x\r\nBcc: victim@example.com".to_string())];
        assert_eq!(
            render_subject("Hi {customer_name}", &v).unwrap(),
            "Hi x  Bcc: victim@example.com"
        );
    }

    #[test]
    fn every_default_is_valid_and_the_required_link_is_kept() {
        for k in TemplateKind::ALL {
            let f = TemplateForm {
                subject: k.default_subject().into(),
                body: k.default_body().into(),
            };
            assert!(f.validate(k).is_ok(), "{k:?}");
        }
        let f = TemplateForm {
            subject: "Quote".into(),
            body: "Hello {customer_name}".into(),
        };
        let e = f.validate(TemplateKind::QuoteSent).unwrap_err();
        assert!(e.get("body").unwrap().contains("{link}"));
        let f = TemplateForm {
            subject: "Hi\nBcc: x@y".into(),
            body: "{link}".into(),
        };
        assert!(f.validate(TemplateKind::QuoteSent).is_err());
        let f = TemplateForm {
            subject: "{stop_link}".into(),
            body: "{link}".into(),
        };
        assert!(f
            .validate(TemplateKind::QuoteSent)
            .unwrap_err()
            .get("subject")
            .is_some());
    }
}
