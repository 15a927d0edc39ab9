//! Customers of one organization.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Customer, CustomerPage, ValidCustomer};
use crate::server::db::{constraint, internal};
use crate::server::TenantTx;

/// Maps the columns every customer query selects (the same list in each).
macro_rules! customer {
    ($r:expr) => {
        Customer {
            id: $r.id,
            name: $r.name,
            email: $r.email,
            phone: $r.phone,
            street: $r.street,
            city: $r.city,
            state: $r.state,
            zip: $r.zip,
            notes: $r.notes,
            archived: $r.archived,
            reminders: $r.reminders,
            created_at: $r.created_at,
            updated_at: $r.updated_at,
        }
    };
}

/// The duplicate-email message, naming the existing customer.
fn duplicate(name: &str) -> AppError {
    AppError::field("email", format!("{name} already has this email address. Open that customer instead, or use another address."))
}

/// Searches by name, email, phone, street or city; newest first within a
/// name-ordered page.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn list(
    tx: &mut TenantTx,
    q: &str,
    archived: bool,
    page: u32,
    per_page: u32,
) -> Result<CustomerPage, AppError> {
    let org = tx.org_id();
    let pattern = format!(
        "%{}%",
        q.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let page = page.max(1);
    let rows = sqlx::query!(
        r#"select id, name, email, phone, street, city, state::text as "state!", zip, notes,
                  archived_at is not null as "archived!", reminders, created_at as "created_at: DateTime<Utc>",
                  updated_at as "updated_at: DateTime<Utc>",
                  count(*) over () as "total!"
             from customers
            where org_id = $1 and (archived_at is not null) = $2
              and ($3 = '%%' or name ilike $3 or email ilike $3 or phone ilike $3 or street ilike $3 or city ilike $3)
            order by lower(name), id limit $4 offset $5"#,
        org,
        archived,
        pattern,
        i64::from(per_page),
        i64::from((page - 1) * per_page)
    )
    .fetch_all(tx.conn())
    .await?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    let rows = rows.into_iter().map(|r| customer!(r)).collect();
    Ok(CustomerPage {
        rows,
        total,
        page,
        per_page,
    })
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Customer>, AppError> {
    let org = tx.org_id();
    let row = sqlx::query!(
        r#"select id, name, email, phone, street, city, state::text as "state!", zip, notes,
                  archived_at is not null as "archived!", reminders, created_at as "created_at: DateTime<Utc>",
                  updated_at as "updated_at: DateTime<Utc>"
             from customers where org_id = $1 and id = $2"#,
        org,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| customer!(r)))
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn recent(tx: &mut TenantTx, n: i64) -> Result<Vec<Customer>, AppError> {
    let org = tx.org_id();
    let rows = sqlx::query!(
        r#"select id, name, email, phone, street, city, state::text as "state!", zip, notes,
                  archived_at is not null as "archived!", reminders, created_at as "created_at: DateTime<Utc>",
                  updated_at as "updated_at: DateTime<Utc>"
             from customers where org_id = $1 and archived_at is null order by created_at desc limit $2"#,
        org,
        n
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| customer!(r)).collect())
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn count(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from customers where org_id = $1 and archived_at is null"#,
        org
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The active customer holding an email, other than `except`.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
async fn holder_of(
    tx: &mut TenantTx,
    email: &str,
    except: Option<Uuid>,
) -> Result<Option<String>, AppError> {
    let org = tx.org_id();
    Ok(sqlx::query_scalar!(
        "select name from customers where org_id = $1 and email = $2 and archived_at is null
            and ($3::uuid is null or id <> $3)",
        org,
        email,
        except
    )
    .fetch_optional(tx.conn())
    .await?)
}

fn map_insert_error(e: sqlx::Error) -> AppError {
    match constraint(&e) {
        Some("customers_email_key") => duplicate("Another customer"),
        Some("customers_state_fkey") => AppError::field("state", "Choose a US state."),
        _ => internal(&e),
    }
}

#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn insert(tx: &mut TenantTx, by: Uuid, c: &ValidCustomer) -> Result<Uuid, AppError> {
    if let Some(email) = &c.email {
        if let Some(name) = holder_of(tx, email, None).await? {
            return Err(duplicate(&name));
        }
    }
    let org = tx.org_id();
    let id = Uuid::new_v4();
    sqlx::query!(
        "insert into customers (org_id, id, name, email, phone, street, city, state, zip, notes, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        org,
        id,
        c.name,
        c.email,
        c.phone,
        c.street,
        c.city,
        c.state as _,
        c.zip,
        c.notes,
        by
    )
    .execute(tx.conn())
    .await
    .map_err(map_insert_error)?;
    Ok(id)
}

/// Updates a customer; `Ok(false)` if there is no such customer here.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn update(tx: &mut TenantTx, id: Uuid, c: &ValidCustomer) -> Result<bool, AppError> {
    if let Some(email) = &c.email {
        if let Some(name) = holder_of(tx, email, Some(id)).await? {
            return Err(duplicate(&name));
        }
    }
    let org = tx.org_id();
    let r = sqlx::query!(
        "update customers set name = $3, email = $4, phone = $5, street = $6, city = $7, state = $8,
                zip = $9, notes = $10, updated_at = now()
          where org_id = $1 and id = $2",
        org,
        id,
        c.name,
        c.email,
        c.phone,
        c.street,
        c.city,
        c.state as _,
        c.zip,
        c.notes
    )
    .execute(tx.conn())
    .await
    .map_err(map_insert_error)?;
    Ok(r.rows_affected() == 1)
}

/// Turns a customer's appointment reminders on or off; `Ok(false)` if
/// there is no such customer here.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_reminders(tx: &mut TenantTx, id: Uuid, on: bool) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update customers set reminders = $3, updated_at = now() where org_id = $1 and id = $2",
        org,
        id,
        on
    )
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Archives or restores; restoring fails if the email was reused meanwhile.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id()))]
pub async fn set_archived(tx: &mut TenantTx, id: Uuid, archived: bool) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query!(
        "update customers set archived_at = case when $3 then now() else null end, updated_at = now()
          where org_id = $1 and id = $2",
        org,
        id,
        archived
    )
    .execute(tx.conn())
    .await
    .map_err(|e| match constraint(&e) {
        Some("customers_email_key") => AppError::Conflict(
            "Another active customer now uses this email address; change one of them before restoring.".into(),
        ),
        _ => internal(&e),
    })?;
    Ok(r.rows_affected() == 1)
}
