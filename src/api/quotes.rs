//! Quotes: create from a property, save (the server recomputes every
//! number), send with an approval link, manager approval on Enterprise, the
//! customer's answer through the link, and turning an approved quote into a job.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::pricing::QuoteTerms;
use crate::model::{PublicQuote, QuoteDetail, QuoteRow};

/// How long an approval link stays valid.
pub const LINK_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendOutcome {
    /// The approval link (also emailed when the customer has an address).
    pub link: Option<String>,
    pub emailed: bool,
    /// Also texted (the SMS add-on).
    #[serde(default)]
    pub texted: bool,
    /// Waiting for a manager instead.
    pub pending_approval: bool,
}

#[server(endpoint = "quotes/list")]
pub async fn list_quotes(status: Option<String>) -> Result<Vec<QuoteRow>, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let status = status.and_then(|s| crate::model::QuoteStatus::parse(&s));
            let mut tx = cx.list_tx().await?;
            let rows = repo::quotes::list(&mut tx, status, None).await?;
            tx.commit().await?;
            Ok(rows)
        }
        .await,
    )
}

#[server(endpoint = "quotes/create")]
pub async fn create_quote(property_id: Uuid) -> Result<Uuid, AppError> {
    use crate::server::{ctx, quoting, redirect};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "create quotes")?
                .id;
            let id = quoting::create(&cx, m, property_id).await?;
            redirect::after_action(&format!("/quotes/{id}"));
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "quotes/get")]
pub async fn get_quote(id: Uuid) -> Result<QuoteDetail, AppError> {
    use crate::server::{ctx, quoting};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let me = cx.member()?;
            quoting::detail(&cx, me, id).await
        }
        .await,
    )
}

/// Saves the drawing and terms as a new version. Totals are recomputed here;
/// the browser sends only what the user drew and typed.
#[server(endpoint = "quotes/save")]
pub async fn save_quote(
    id: Uuid,
    drawing: String,
    #[server(default)] terms: QuoteTerms,
) -> Result<i32, AppError> {
    use crate::server::{ctx, quoting};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "change quotes")?
                .id;
            quoting::save(&cx, m, id, &drawing, terms).await
        }
        .await,
    )
}

/// Sends the quote with a fresh approval link, or to a manager first.
#[server(endpoint = "quotes/send")]
pub async fn send_quote(id: Uuid) -> Result<SendOutcome, AppError> {
    use crate::server::{ctx, quoting};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "send quotes")?
                .id;
            quoting::send(&cx, m, id).await
        }
        .await,
    )
}

/// A manager approves the current version for sending (Enterprise).
#[server(endpoint = "quotes/manager_approve")]
pub async fn manager_approve(id: Uuid) -> Result<(), AppError> {
    use crate::server::{ctx, quoting};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::manages_settings, "approve discounts")?
                .id;
            quoting::manager_approve(&cx, m, id).await
        }
        .await,
    )
}

/// The quote an approval link shows: no login, this host's tenant, this
/// quote only.
#[server(endpoint = "quotes/public")]
pub async fn open_quote_link(token: String) -> Result<PublicQuote, AppError> {
    use crate::server::{ctx, quoting};
    crate::server::reply(async { quoting::public_quote(&ctx()?, &token).await }.await)
}

/// The customer approves (typing their name) or declines (with a reason).
#[server(endpoint = "quotes/respond")]
pub async fn respond_to_quote(
    token: String,
    approve: bool,
    name: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::server::{ctx, quoting, redirect};
    use leptos::server_fn::ServerFn;
    let result = async { quoting::respond(&ctx()?, &token, approve, &name, &reason).await }.await;
    redirect::form_returns_to(RespondToQuote::PATH, &format!("/q/{token}"), &result);
    crate::server::reply(result)
}

/// Turns an approved quote into a job, within the plan's monthly limit.
#[server(endpoint = "quotes/create_job")]
pub async fn create_job(quote_id: Uuid) -> Result<Uuid, AppError> {
    use crate::server::{ctx, quoting, redirect};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "create jobs")?
                .id;
            let id = quoting::create_job(&cx, m, quote_id).await?;
            redirect::after_action(&format!("/jobs/{id}"));
            Ok(id)
        }
        .await,
    )
}
