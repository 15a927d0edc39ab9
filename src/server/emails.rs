//! Every email the platform sends, in one place: subject and plain-text
//! body from the facts of the message. Links arrive built (from
//! configuration, never from a request's Host).

/// A message ready for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub subject: String,
    pub body: String,
}

/// "Reset your password": the link works once, for an hour.
pub fn password_reset(company: &str, platform: &str, link: &str) -> Email {
    Email {
        subject: "Reset your password".into(),
        body: format!(
            "Someone asked to reset the password for your {company} account on {platform}.\n\n\
             Choose a new password here (the link works once, for one hour):\n{link}\n\n\
             If it wasn't you, ignore this email; your password stays as it is."
        ),
    }
}

/// An invitation to join a tenant with a role.
pub fn invitation(
    inviter: &str,
    company: &str,
    platform: &str,
    role: &str,
    link: &str,
    days: i64,
) -> Email {
    Email {
        subject: format!("Join {company} on {platform}"),
        body: format!(
            "{inviter} invited you to join {company} on {platform} as {role}.\n\n\
             Accept the invitation and choose your password here (the link works for {days} days):\n{link}\n"
        ),
    }
}

/// A quote sent to the homeowner with its approval link.
pub fn quote_sent(
    customer: &str,
    company: &str,
    number: i32,
    total: &str,
    link: &str,
    days: i64,
) -> Email {
    Email {
        subject: format!("Your quote from {company}"),
        body: format!(
            "Hello {customer},\n\n{company} has prepared quote Q-{number} for your pet fence: {total}.\n\n\
             Review and approve it here (valid for {days} days):\n{link}\n"
        ),
    }
}

/// Three days before a trial without a card ends (to owners and admins).
pub fn trial_ending(company: &str, platform: &str, plan: &str, ends: &str, link: &str) -> Email {
    Email {
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
        subject: format!("Payment problem: {company}'s {platform} subscription"),
        body: format!(
            "We could not charge the card on file for {company}'s subscription ({amount}).\n\n\
             Your workspace stays fully usable until {grace_ends}. Update your card here to keep it so:\n{link}\n\n\
             After that date it becomes read-only until the payment goes through; no data is ever deleted."
        ),
    }
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
            "Fenceline",
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
            "Fenceline",
            "Crew",
            "https://x/invite/t",
            7,
        );
        assert_eq!(e.subject, "Join Acme on Fenceline");
        assert!(e.body.contains("as Crew") && e.body.ends_with("https://x/invite/t\n"));
        let q = quote_sent("Dana", "Acme", 12, "$1,013.14", "https://x/q/t", 30);
        assert!(q.body.contains("quote Q-12 for your pet fence: $1,013.14"));
    }
}
