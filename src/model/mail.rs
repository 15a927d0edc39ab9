//! What became of an email: shown beside what it was about (an invitation,
//! a sent quote), so nobody waits for a message that will never arrive.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Waiting for its first attempt.
    Queued,
    /// An attempt failed for a reason that may pass; it will be tried again.
    Retrying(String),
    Delivered,
    /// The receiving server refused it, or every retry failed.
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub to: String,
    pub state: DeliveryState,
}

impl Delivery {
    /// From the outbox's status, attempts and last error.
    pub fn from_row(to: String, status: &str, attempts: i32, error: Option<String>) -> Delivery {
        let state = match status {
            "sent" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed(error.unwrap_or_else(|| "unknown reason".into())),
            _ if attempts > 0 && error.is_some() => {
                DeliveryState::Retrying(error.unwrap_or_default())
            }
            _ => DeliveryState::Queued,
        };
        Delivery { to, state }
    }

    /// "Email to a@b.example: delivered", "…: not delivered: 550 no such user".
    pub fn label(&self) -> String {
        let what = match &self.state {
            DeliveryState::Queued => "sending".to_string(),
            DeliveryState::Retrying(e) => format!("not delivered yet, retrying ({e})"),
            DeliveryState::Delivered => "delivered".to_string(),
            DeliveryState::Failed(e) => format!("not delivered: {e}"),
        };
        format!("Email to {}: {what}", self.to)
    }

    pub fn failed(&self) -> bool {
        matches!(self.state, DeliveryState::Failed(_))
    }
}

/// What a homeowner's reminder link shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReminderChoice {
    pub first_name: String,
    pub company_name: String,
    pub reminders: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_from_the_outbox() {
        let d = |s, a, e: Option<&str>| {
            Delivery::from_row("a@b.example".into(), s, a, e.map(String::from))
        };
        assert_eq!(
            d("queued", 0, None).label(),
            "Email to a@b.example: sending"
        );
        assert_eq!(
            d("queued", 1, Some("connection refused")).label(),
            "Email to a@b.example: not delivered yet, retrying (connection refused)"
        );
        assert_eq!(
            d("sent", 2, None).label(),
            "Email to a@b.example: delivered"
        );
        let f = d("failed", 1, Some("550 mailbox unavailable"));
        assert!(f.failed());
        assert_eq!(
            f.label(),
            "Email to a@b.example: not delivered: 550 mailbox unavailable"
        );
    }
}
