//! Customers of one organization.

use uuid::Uuid;

use crate::error::AppError;
use crate::model::{Customer, CustomerPage, ValidCustomer};
use crate::server::db::{constraint, internal};
use crate::server::TenantTx;

const COLUMNS: &str = "id, name, email, phone, street, city, state::text as state, zip, notes,
                       archived_at is not null as archived, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    street: String,
    city: String,
    state: String,
    zip: String,
    notes: String,
    archived: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

/// A row plus the total count of the search.
#[derive(sqlx::FromRow)]
struct ListRow {
    #[sqlx(flatten)]
    row: Row,
    total: i64,
}

fn customer(r: Row) -> Customer {
    Customer {
        id: r.id,
        name: r.name,
        email: r.email,
        phone: r.phone,
        street: r.street,
        city: r.city,
        state: r.state,
        zip: r.zip,
        notes: r.notes,
        archived: r.archived,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// The duplicate-email message, naming the existing customer.
fn duplicate(name: &str) -> AppError {
    AppError::field("email", format!("{name} already has this email address. Open that customer instead, or use another address."))
}

/// Searches by name, email, phone, street or city; newest first within a
/// name-ordered page.
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
    let sql = format!(
        "select {COLUMNS}, count(*) over () as total from customers
          where org_id = $1 and (archived_at is not null) = $2
            and ($3 = '%%' or name ilike $3 or email ilike $3 or phone ilike $3 or street ilike $3 or city ilike $3)
          order by lower(name), id limit $4 offset $5"
    );
    let page = page.max(1);
    let rows: Vec<ListRow> = sqlx::query_as(&sql)
        .bind(org)
        .bind(archived)
        .bind(&pattern)
        .bind(per_page as i64)
        .bind(((page - 1) * per_page) as i64)
        .fetch_all(tx.conn())
        .await
        .map_err(internal)?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    let rows = rows.into_iter().map(|r| customer(r.row)).collect();
    Ok(CustomerPage {
        rows,
        total,
        page,
        per_page,
    })
}

pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Customer>, AppError> {
    let org = tx.org_id();
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from customers where org_id = $1 and id = $2"
    ))
    .bind(org)
    .bind(id)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)?;
    Ok(row.map(customer))
}

pub async fn recent(tx: &mut TenantTx, n: i64) -> Result<Vec<Customer>, AppError> {
    let org = tx.org_id();
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from customers where org_id = $1 and archived_at is null order by created_at desc limit $2"
    ))
    .bind(org)
    .bind(n)
    .fetch_all(tx.conn())
    .await
    .map_err(internal)?;
    Ok(rows.into_iter().map(customer).collect())
}

pub async fn count(tx: &mut TenantTx) -> Result<i64, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar("select count(*) from customers where org_id = $1 and archived_at is null")
        .bind(org)
        .fetch_one(tx.conn())
        .await
        .map_err(internal)
}

/// The active customer holding an email, other than `except`.
async fn holder_of(
    tx: &mut TenantTx,
    email: &str,
    except: Option<Uuid>,
) -> Result<Option<String>, AppError> {
    let org = tx.org_id();
    sqlx::query_scalar(
        "select name from customers where org_id = $1 and email = $2 and archived_at is null
            and ($3::uuid is null or id <> $3)",
    )
    .bind(org)
    .bind(email)
    .bind(except)
    .fetch_optional(tx.conn())
    .await
    .map_err(internal)
}

fn map_insert_error(e: sqlx::Error) -> AppError {
    match constraint(&e) {
        Some("customers_email_key") => duplicate("Another customer"),
        Some("customers_state_fkey") => AppError::field("state", "Choose a US state."),
        _ => internal(e),
    }
}

pub async fn insert(tx: &mut TenantTx, by: Uuid, c: &ValidCustomer) -> Result<Uuid, AppError> {
    if let Some(email) = &c.email {
        if let Some(name) = holder_of(tx, email, None).await? {
            return Err(duplicate(&name));
        }
    }
    let org = tx.org_id();
    let id = Uuid::new_v4();
    sqlx::query(
        "insert into customers (org_id, id, name, email, phone, street, city, state, zip, notes, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(org)
    .bind(id)
    .bind(&c.name)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&c.street)
    .bind(&c.city)
    .bind(&c.state)
    .bind(&c.zip)
    .bind(&c.notes)
    .bind(by)
    .execute(tx.conn())
    .await
    .map_err(map_insert_error)?;
    Ok(id)
}

/// Updates a customer; `Ok(false)` if there is no such customer here.
pub async fn update(tx: &mut TenantTx, id: Uuid, c: &ValidCustomer) -> Result<bool, AppError> {
    if let Some(email) = &c.email {
        if let Some(name) = holder_of(tx, email, Some(id)).await? {
            return Err(duplicate(&name));
        }
    }
    let org = tx.org_id();
    let r = sqlx::query(
        "update customers set name = $3, email = $4, phone = $5, street = $6, city = $7, state = $8,
                zip = $9, notes = $10, updated_at = now()
          where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(&c.name)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(&c.street)
    .bind(&c.city)
    .bind(&c.state)
    .bind(&c.zip)
    .bind(&c.notes)
    .execute(tx.conn())
    .await
    .map_err(map_insert_error)?;
    Ok(r.rows_affected() == 1)
}

/// Archives or restores; restoring fails if the email was reused meanwhile.
pub async fn set_archived(tx: &mut TenantTx, id: Uuid, archived: bool) -> Result<bool, AppError> {
    let org = tx.org_id();
    let r = sqlx::query(
        "update customers set archived_at = case when $3 then now() else null end, updated_at = now()
          where org_id = $1 and id = $2",
    )
    .bind(org)
    .bind(id)
    .bind(archived)
    .execute(tx.conn())
    .await
    .map_err(|e| match constraint(&e) {
        Some("customers_email_key") => AppError::Conflict(
            "Another active customer now uses this email address; change one of them before restoring.".into(),
        ),
        _ => internal(e),
    })?;
    Ok(r.rows_affected() == 1)
}
