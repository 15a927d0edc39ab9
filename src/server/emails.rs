//! Every email the platform sends, in one place: subject and plain-text
//! body from the facts of the message, and the branded HTML part built
//! from that text at delivery (`html`). Links arrive built (from
//! configuration, never from a request's Host).

use crate::model::templates::{render, render_subject, TemplateForm, TemplateKind};

/// What a message is: stored with it, and deciding whose voice it speaks
/// in (the tenant's company, or the platform's for billing notices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PasswordReset,
    Invitation,
    QuoteSent,
    QuoteApproved,
    QuoteDeclined,
    JobScheduled,
    JobRescheduled,
    Reminder,
    TrialEnding,
    PaymentFailed,
    TextReply,
    DeletionScheduled,
    ExportReady,
    ImportDone,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::PasswordReset => "password_reset",
            Kind::Invitation => "invitation",
            Kind::QuoteSent => "quote_sent",
            Kind::QuoteApproved => "quote_approved",
            Kind::QuoteDeclined => "quote_declined",
            Kind::JobScheduled => "job_scheduled",
            Kind::JobRescheduled => "job_rescheduled",
            Kind::Reminder => "reminder",
            Kind::TrialEnding => "trial_ending",
            Kind::PaymentFailed => "payment_failed",
            Kind::TextReply => "text_reply",
            Kind::DeletionScheduled => "deletion_scheduled",
            Kind::ExportReady => "export_ready",
            Kind::ImportDone => "import_done",
        }
    }

    /// Billing notices come from the platform; everything else from the
    /// tenant's business.
    pub fn platform_voice(self) -> bool {
        matches!(self, Kind::TrialEnding | Kind::PaymentFailed)
    }
}

/// A message ready for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub kind: Kind,
    pub subject: String,
    pub body: String,
}

/// "Reset your password": the link works once, for an hour. `platform`
/// is `None` for a white-labelled tenant (its name only).
pub fn password_reset(company: &str, platform: Option<&str>, link: &str) -> Email {
    let on = platform.map(|p| format!(" on {p}")).unwrap_or_default();
    Email {
        kind: Kind::PasswordReset,
        subject: "Reset your password".into(),
        body: format!(
            "Someone asked to reset the password for your {company} account{on}.\n\n\
             Choose a new password here (the link works once, for one hour):\n{link}\n\n\
             If it wasn't you, ignore this email; your password stays as it is."
        ),
    }
}

/// An invitation to join a tenant with a role.
pub fn invitation(
    inviter: &str,
    company: &str,
    platform: Option<&str>,
    role: &str,
    link: &str,
    days: i64,
) -> Email {
    let on = platform.map(|p| format!(" on {p}")).unwrap_or_default();
    Email {
        kind: Kind::Invitation,
        subject: format!("Join {company}{on}"),
        body: format!(
            "{inviter} invited you to join {company}{on} as {role}.\n\n\
             Accept the invitation and choose your password here (the link works for {days} days):\n{link}\n"
        ),
    }
}

/// A homeowner-facing message in the business's wording (`custom`, an
/// Enterprise template) or the default's. Templates were checked when
/// saved; one that no longer renders falls back to the default.
fn worded(kind: TemplateKind, custom: Option<&TemplateForm>, vars: &[(&str, String)]) -> Email {
    let (s, b) = custom
        .map(|c| (c.subject.as_str(), c.body.as_str()))
        .unwrap_or((kind.default_subject(), kind.default_body()));
    let subject = render_subject(s, vars)
        .or_else(|_| render_subject(kind.default_subject(), vars))
        .unwrap_or_default();
    let body = render(b, vars)
        .or_else(|_| render(kind.default_body(), vars))
        .unwrap_or_default();
    Email {
        kind: match kind {
            TemplateKind::QuoteSent => Kind::QuoteSent,
            TemplateKind::JobScheduled => Kind::JobScheduled,
            TemplateKind::JobRescheduled => Kind::JobRescheduled,
            TemplateKind::Reminder => Kind::Reminder,
        },
        subject,
        body,
    }
}

/// A quote sent to the homeowner with its approval link.
pub fn quote_sent(
    custom: Option<&TemplateForm>,
    customer: &str,
    company: &str,
    number: i32,
    total: &str,
    link: &str,
    days: i64,
) -> Email {
    worded(
        TemplateKind::QuoteSent,
        custom,
        &[
            ("customer_name", customer.to_string()),
            ("company_name", company.to_string()),
            ("quote_number", number.to_string()),
            ("total", total.to_string()),
            ("link", link.to_string()),
            ("valid_days", days.to_string()),
        ],
    )
}

/// Three days before a trial without a card ends (to owners and admins).
pub fn trial_ending(company: &str, platform: &str, plan: &str, ends: &str, link: &str) -> Email {
    Email {
        kind: Kind::TrialEnding,
        subject: format!("Your {platform} trial ends on {ends}"),
        body: format!(
            "The free trial of {company} on the {plan} plan ends on {ends}.\n\n\
             Add a card before then to keep working without a break (nothing is charged until the trial ends):\n{link}\n\n\
             Without a card the workspace becomes read-only: everything stays visible and exportable, and adding a card later restores it at once."
        ),
    }
}

/// A renewal payment failed (to owners and admins).
pub fn payment_failed(
    company: &str,
    platform: &str,
    amount: &str,
    grace_ends: &str,
    link: &str,
) -> Email {
    Email {
        kind: Kind::PaymentFailed,
        subject: format!("Payment problem: {company}'s {platform} subscription"),
        body: format!(
            "We could not charge the card on file for {company}'s subscription ({amount}).\n\n\
             Your workspace stays fully usable until {grace_ends}. Update your card here to keep it so:\n{link}\n\n\
             After that date it becomes read-only until the payment goes through; no data is ever deleted."
        ),
    }
}

/// The homeowner answered a quote (to the office).
pub fn quote_answered(
    customer: &str,
    number: i32,
    total: &str,
    approved: bool,
    reason: &str,
    link: &str,
) -> Email {
    if approved {
        Email {
            kind: Kind::QuoteApproved,
            subject: format!("Approved: Q-{number} ({customer}, {total})"),
            body: format!(
                "{customer} approved quote Q-{number} for {total}.\n\n\
                 Turn it into a job and schedule it here:\n{link}\n"
            ),
        }
    } else {
        Email {
            kind: Kind::QuoteDeclined,
            subject: format!("Declined: Q-{number} ({customer})"),
            body: format!(
                "{customer} declined quote Q-{number} ({total}).\n\nTheir reason: {reason}\n\n\
                 The quote is here:\n{link}\n"
            ),
        }
    }
}

/// A homeowner's reply to a text, for the office (texts come from the
/// platform's number, so the office reads replies here).
pub fn text_reply(customer: &str, phone: &str, text: &str, link: &str) -> Email {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = one_line.chars().take(60).collect();
    let short = if short.len() < one_line.len() {
        format!("{short}…")
    } else {
        short
    };
    Email {
        kind: Kind::TextReply,
        subject: format!("Text from {customer}: {short}"),
        body: format!(
            "{customer} ({phone}) replied to your text:\n\n{text}\n\n             Call or text them back at {phone}. Their page:\n{link}\n"
        ),
    }
}

/// The workspace will be deleted (to its owners and admins).
pub fn deletion_scheduled(company: &str, by: &str, date: &str, link: &str) -> Email {
    Email {
        kind: Kind::DeletionScheduled,
        subject: format!("{company} will be deleted on {date}"),
        body: format!(
            "{by} asked to delete the {company} workspace and everything in it: customers, \
             properties, quotes, jobs, photos and the team's accounts.\n\n\
             It will be deleted for good on {date}. Until then it works as usual; to keep it, \
             choose \"Keep this workspace\" here:\n{link}\n"
        ),
    }
}

/// An export someone asked for is ready (to them).
pub fn export_ready(company: &str, link: &str, keep_days: i64) -> Email {
    Email {
        kind: Kind::ExportReady,
        subject: format!("Your {company} data export is ready"),
        body: format!(
            "The export you asked for is ready: every customer, property, quote, job and photo \
             of {company}, as CSV files and one SQLite file.\n\n\
             Download it here (signed in as an owner or admin) within {keep_days} days:\n{link}\n"
        ),
    }
}

/// The import from the old system has finished (to the owner who
/// started it).
pub fn import_done(company: &str, link: &str, whole: bool) -> Email {
    Email {
        kind: Kind::ImportDone,
        subject: format!("Your import into {company} has finished"),
        body: format!(
            "The import from your old system has finished. {}\n\n\
             The verification report (counts, money and photo checksums on both sides) is kept here:\n{link}\n",
            if whole {
                "Everything it planned arrived, and every difference is explained."
            } else {
                "Some differences are not explained: please look at the report."
            }
        ),
    }
}

/// A job booked or moved (to the homeowner). `when` reads like
/// "Tuesday, March 3, arriving around 8:00 AM".
pub fn job_scheduled(
    custom: Option<&TemplateForm>,
    customer: &str,
    company: &str,
    number: i32,
    when: &str,
    contact: &str,
    moved: bool,
) -> Email {
    worded(
        if moved {
            TemplateKind::JobRescheduled
        } else {
            TemplateKind::JobScheduled
        },
        custom,
        &[
            ("customer_name", customer.to_string()),
            ("company_name", company.to_string()),
            ("job_number", number.to_string()),
            ("when", when.to_string()),
            ("contact", contact.to_string()),
        ],
    )
}

/// The day before a booked visit (to the homeowner, unless they turned
/// reminders off; the link turns them off).
pub fn reminder(
    custom: Option<&TemplateForm>,
    customer: &str,
    company: &str,
    number: i32,
    when: &str,
    contact: &str,
    stop_link: &str,
) -> Email {
    worded(
        TemplateKind::Reminder,
        custom,
        &[
            ("customer_name", customer.to_string()),
            ("company_name", company.to_string()),
            ("job_number", number.to_string()),
            ("when", when.to_string()),
            ("contact", contact.to_string()),
            ("stop_link", stop_link.to_string()),
        ],
    )
}

/// The look of one tenant's mail: its company, colour and logo, and the
/// footer (the platform named unless the tenant is white-labelled).
#[derive(Debug, Clone)]
pub struct Letterhead {
    pub company: String,
    pub color: String,
    pub logo_url: Option<String>,
    pub footer: String,
}

/// Escapes text for HTML (element content and quoted attributes).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn is_link(word: &str) -> bool {
    (word.starts_with("https://") || word.starts_with("http://"))
        && !word
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
}

/// One line of body text as HTML: escaped, with its links clickable.
fn inline(line: &str) -> String {
    line.split_inclusive(' ')
        .map(|w| {
            let t = w.trim_end();
            if is_link(t) {
                format!(
                    "<a href=\"{0}\" style=\"color:inherit\">{0}</a>{1}",
                    escape(t),
                    &w[t.len()..]
                )
            } else {
                escape(w)
            }
        })
        .collect()
}

/// The HTML part: the plain text's paragraphs under the tenant's logo and
/// colour; a paragraph that is only a link becomes a button. Everything
/// from the text is escaped, so no message (or template) carries markup.
pub fn html(head: &Letterhead, subject: &str, body: &str) -> String {
    let color = match crate::model::brand_color(&head.color) {
        Ok(c) => c,
        Err(_) => "#1f6feb".into(),
    };
    let mut parts = String::new();
    for para in body.trim().split("\n\n") {
        let lines: Vec<&str> = para.lines().collect();
        if let [.., last] = lines.as_slice() {
            if is_link(last.trim()) {
                let before: Vec<String> =
                    lines[..lines.len() - 1].iter().map(|l| inline(l)).collect();
                if !before.is_empty() {
                    parts.push_str(&format!(
                        "<p style=\"margin:0 0 12px\">{}</p>",
                        before.join("<br>")
                    ));
                }
                parts.push_str(&format!(
                    "<p style=\"margin:0 0 20px\"><a href=\"{0}\" style=\"display:inline-block;background:{1};color:#ffffff;\
                     text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:600\">Open</a><br>\
                     <span style=\"font-size:12px;color:#555;word-break:break-all\">{0}</span></p>",
                    escape(last.trim()),
                    color
                ));
                continue;
            }
        }
        let html_lines: Vec<String> = lines.iter().map(|l| inline(l)).collect();
        parts.push_str(&format!(
            "<p style=\"margin:0 0 16px\">{}</p>",
            html_lines.join("<br>")
        ));
    }
    let logo = match &head.logo_url {
        Some(url) => format!(
            "<img src=\"{}\" alt=\"{}\" style=\"max-height:48px;max-width:200px\">",
            escape(url),
            escape(&head.company)
        ),
        None => format!(
            "<span style=\"font-size:20px;font-weight:700;color:#ffffff\">{}</span>",
            escape(&head.company)
        ),
    };
    let header_bg = if head.logo_url.is_some() {
        "#ffffff"
    } else {
        color.as_str()
    };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title></head><body style=\"margin:0;padding:0;background:#f4f5f7\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#f4f5f7\"><tr><td align=\"center\" style=\"padding:24px 12px\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:560px;background:#ffffff;border-radius:8px;\
         border-top:4px solid {color};font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1d2330\">\
         <tr><td style=\"padding:20px 24px;background:{header_bg};border-radius:4px 4px 0 0\">{logo}</td></tr>\
         <tr><td style=\"padding:24px\">{parts}</td></tr>\
         <tr><td style=\"padding:16px 24px;border-top:1px solid #e4e7ec;font-size:12px;color:#667085\">{footer}</td></tr>\
         </table></td></tr></table></body></html>",
        title = escape(subject),
        footer = escape(&head.footer),
    )
}

/// What the outbox keeps of a body once it is delivered: every link (they
/// carry single-use tokens) replaced, so the stored copy cannot be replayed.
pub fn redact(body: &str) -> String {
    body.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                format!("[link removed after delivery]{}", &word[trimmed.len()..])
            } else {
                word.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivered_bodies_keep_no_link() {
        let e = password_reset(
            "Acme",
            Some("Fenceline"),
            "http://acme.localhost:3000/reset-password?token=abc123",
        );
        let kept = redact(&e.body);
        assert!(!kept.contains("abc123"), "{kept}");
        assert!(
            kept.contains("[link removed after delivery]\n\nIf it wasn't you"),
            "{kept}"
        );
        assert!(kept.starts_with("Someone asked to reset the password for your Acme account"));
    }

    #[test]
    fn messages_name_the_company_and_the_link() {
        let e = invitation(
            "Olive",
            "Acme",
            Some("Fenceline"),
            "Crew",
            "https://x/invite/t",
            7,
        );
        assert_eq!(e.subject, "Join Acme on Fenceline");
        let w = invitation("Olive", "Acme", None, "Crew", "https://x/invite/t", 7);
        assert_eq!(w.subject, "Join Acme");
        assert!(!w.body.contains(" on "), "{}", w.body);
        assert!(e.body.contains("as Crew") && e.body.ends_with("https://x/invite/t\n"));
        let q = quote_sent(None, "Dana", "Acme", 12, "$1,013.14", "https://x/q/t", 30);
        assert!(q.body.contains("quote Q-12 for your pet fence: $1,013.14"));
    }

    fn head() -> Letterhead {
        Letterhead {
            company: "Acme <b>Fence</b>".into(),
            color: "#0a7d38".into(),
            logo_url: None,
            footer: "Acme Fence".into(),
        }
    }

    #[test]
    fn the_html_part_escapes_text_and_buttons_the_link() {
        let body = "Hello <script>alert(1)</script> & co,\n\nApprove here:\nhttps://acme.example/q/t?a=1&b=2\n\nBye \"x\" 'y'";
        let h = html(&head(), "Subject <i>", body);
        assert!(
            !h.contains("<script>") && h.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co")
        );
        assert!(h.contains("Acme &lt;b&gt;Fence&lt;/b&gt;") && !h.contains("<b>Fence"));
        assert!(
            h.contains("href=\"https://acme.example/q/t?a=1&amp;b=2\""),
            "{h}"
        );
        assert!(h.contains("background:#0a7d38"));
        assert!(h.contains("<title>Subject &lt;i&gt;</title>"));
        assert!(h.contains("Bye &quot;x&quot; &#39;y&#39;"));
    }

    #[test]
    fn a_bad_colour_or_a_quote_in_a_link_cannot_break_out() {
        let mut hd = head();
        hd.color = "red;background:url(x)".into();
        let h = html(
            &hd,
            "s",
            "see https://x.example/\"onmouseover=\"alert(1) now",
        );
        assert!(!h.contains("url(x)"));
        assert!(!h.contains("\"onmouseover"), "{h}");
    }
}
