//! Customers: list, view, create, edit, archive.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Customer, CustomerForm, CustomerPage};

pub const PER_PAGE: u32 = 20;

#[server(endpoint = "customers/list")]
pub async fn list_customers(
    q: String,
    page: u32,
    archived: bool,
) -> Result<CustomerPage, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let mut tx = cx.list_tx().await?;
            let list =
                repo::customers::list(&mut tx, &q, archived, page.clamp(1, 100_000), PER_PAGE)
                    .await?;
            tx.commit().await?;
            Ok(list)
        }
        .await,
    )
}

#[server(endpoint = "customers/get")]
pub async fn get_customer(id: Uuid) -> Result<Customer, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            cx.member()?;
            let mut tx = cx.tx().await?;
            let c = repo::customers::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            tx.commit().await?;
            Ok(c)
        }
        .await,
    )
}

/// Creates a customer; from the onboarding wizard it also completes that step.
#[server(endpoint = "customers/create")]
pub async fn create_customer(form: CustomerForm, wizard: Option<String>) -> Result<Uuid, AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "add customers")?
                .id;
            let valid = form.validate()?;
            let mut tx = cx.tx().await?;
            let id = repo::customers::insert(&mut tx, m, &valid).await?;
            repo::audit::record(
                &mut tx,
                Some(m),
                "customer.created",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
            if wizard.is_some() {
                repo::orgs::set_onboarding_step(&mut tx, "customer", "done").await?;
            }
            tx.commit().await?;
            crate::server::redirect::after_action(&if wizard.is_some() {
                "/onboarding?from=customer".to_string()
            } else {
                format!("/customers/{id}")
            });
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "customers/update")]
pub async fn update_customer(id: Uuid, form: CustomerForm) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "edit customers")?
                .id;
            let valid = form.validate()?;
            let mut tx = cx.tx().await?;
            if !repo::customers::update(&mut tx, id, &valid).await? {
                return Err(AppError::NotFound);
            }
            repo::audit::record(
                &mut tx,
                Some(m),
                "customer.updated",
                Some(id),
                serde_json::json!({}),
            )
            .await?;
            tx.commit().await?;
            crate::server::redirect::after_action(&format!("/customers/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "customers/archive")]
pub async fn set_customer_archived(id: Uuid, archived: bool) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "archive customers")?
                .id;
            let mut tx = cx.tx().await?;
            if !repo::customers::set_archived(&mut tx, id, archived).await? {
                return Err(AppError::NotFound);
            }
            let action = if archived {
                "customer.archived"
            } else {
                "customer.restored"
            };
            repo::audit::record(&mut tx, Some(m), action, Some(id), serde_json::json!({})).await?;
            tx.commit().await?;
            crate::server::redirect::after_action(&format!("/customers/{id}"));
            Ok(())
        }
        .await,
    )
}

/// Turns a customer's appointment reminders on or off (the office; the
/// homeowner has the link in every reminder).
#[server(endpoint = "customers/reminders")]
pub async fn set_customer_reminders(id: Uuid, on: bool) -> Result<(), AppError> {
    use crate::server::{ctx, repo};
    crate::server::reply(
        async {
            let cx = ctx()?;
            let m = cx
                .member_who(crate::model::Role::edits_customers, "change customers")?
                .id;
            let mut tx = cx.tx().await?;
            if !repo::customers::set_reminders(&mut tx, id, on).await? {
                return Err(AppError::NotFound);
            }
            let action = if on {
                "customer.reminders_on"
            } else {
                "customer.reminders_off"
            };
            repo::audit::record(&mut tx, Some(m), action, Some(id), serde_json::json!({})).await?;
            tx.commit().await?;
            crate::server::redirect::after_action(&format!("/customers/{id}"));
            Ok(())
        }
        .await,
    )
}
