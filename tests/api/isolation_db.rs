//! Row-level security probed directly, as the application role: no tenant
//! context means no rows; tenant A's context never reads, changes or
//! creates tenant B's rows; partitions are refused; the role cannot undo
//! its own restrictions. Each attack has a positive control beside it.

use sqlx::{Executor, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp};

/// Tenant tables and their key column.
const TABLES: [(&str, &str); 21] = [
    ("organizations", "id"),
    ("users", "org_id"),
    ("invitations", "org_id"),
    ("auth_tokens", "org_id"),
    ("outbox", "org_id"),
    ("customers", "org_id"),
    ("audit_events", "org_id"),
    ("catalogues", "org_id"),
    ("zone_overrides", "org_id"),
    ("properties", "org_id"),
    ("pets", "org_id"),
    ("quotes", "org_id"),
    ("quote_versions", "org_id"),
    ("quote_links", "org_id"),
    ("jobs", "org_id"),
    ("job_events", "org_id"),
    ("photos", "org_id"),
    ("sms_messages", "org_id"),
    ("sms_opt_outs", "org_id"),
    ("exports", "org_id"),
    ("legacy_ids", "org_id"),
];

async fn fixture() -> (TestApp, Tenant, Tenant) {
    let app = TestApp::spawn().await;
    let a = app.signup("alpha", "growth").await;
    let b = app.signup("bravo", "growth").await;
    for t in [&a, &b] {
        app.customer(
            t,
            &format!("{} Customer", t.sub),
            &format!("c@{}.example", t.sub),
        )
        .await;
        let r = app
            .call(
                t,
                "/api/team/invite",
                &[
                    ("email", &format!("crew@{}.example", t.sub)),
                    ("role", "crew"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        // A row in every trade table.
        crate::trade::full_flow(&app, t).await;
        // A text and a STOP (the SMS add-on).
        sqlx::query(
            "insert into sms_messages (org_id, to_phone, body, kind, zone, segments)
             values ($1, '+15125550142', 'hello', 'reminder', 'America/Chicago', 1)",
        )
        .bind(t.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
        sqlx::query("insert into sms_opt_outs (org_id, phone) values ($1, '+15125550142')")
            .bind(t.org_id)
            .execute(&app.owner)
            .await
            .unwrap();
        // An export asked for.
        app.as_owner(t, fence::api::data::StartExport {})
            .await
            .expect("export");
        // An old id a legacy import mapped.
        sqlx::query(
            "insert into legacy_ids (org_id, kind, old_id, new_id, import_id)
             select org_id, 'customers', '1', id, gen_random_uuid() from customers
              where org_id = $1 limit 1",
        )
        .bind(t.org_id)
        .execute(&app.owner)
        .await
        .unwrap();
    }
    (app, a, b)
}

async fn as_tenant(pool: &PgPool, org: Uuid) -> Transaction<'static, Postgres> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("select set_config('app.current_tenant', $1, true)")
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

async fn count(tx: &mut Transaction<'static, Postgres>, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&mut **tx).await.unwrap()
}

#[tokio::test]
async fn without_a_tenant_context_every_table_is_empty() {
    let (app, a, _b) = fixture().await;
    let pool = app.app_pool().await;
    for (table, key) in TABLES {
        let mut tx = pool.begin().await.unwrap();
        assert_eq!(
            count(&mut tx, &format!("select count(*) from {table}")).await,
            0,
            "{table} without context"
        );
        tx.rollback().await.unwrap();
        // Control: with A's context the same query sees A's rows.
        let mut tx = as_tenant(&pool, a.org_id).await;
        let n = count(
            &mut tx,
            &format!("select count(*) from {table} where {key} = '{}'", a.org_id),
        )
        .await;
        assert!(n > 0, "control: {table} has rows for A");
        tx.rollback().await.unwrap();
    }
    app.cleanup().await;
}

#[tokio::test]
async fn an_empty_or_garbage_tenant_setting_fails_closed() {
    let (app, _a, _b) = fixture().await;
    let pool = app.app_pool().await;
    let mut tx = pool.begin().await.unwrap();
    tx.execute("select set_config('app.current_tenant', '', true)")
        .await
        .unwrap();
    assert_eq!(count(&mut tx, "select count(*) from customers").await, 0);
    tx.rollback().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    tx.execute("select set_config('app.current_tenant', 'not-a-uuid', true)")
        .await
        .unwrap();
    assert!(
        sqlx::query("select count(*) from customers")
            .fetch_one(&mut *tx)
            .await
            .is_err(),
        "garbage must error, not match"
    );
    app.cleanup().await;
}

/// The tables in which tenant A's context can see rows that are not A's.
async fn foreign_rows_visible(pool: &PgPool, a: Uuid, b: Uuid) -> Vec<&'static str> {
    let mut leaks = Vec::new();
    for (table, key) in TABLES {
        let mut tx = as_tenant(pool, a).await;
        let foreign = count(
            &mut tx,
            &format!("select count(*) from {table} where {key} = '{b}' or {key} <> '{a}'"),
        )
        .await;
        if foreign > 0 {
            leaks.push(table);
        }
        tx.rollback().await.unwrap();
    }
    leaks
}

#[tokio::test]
async fn tenant_a_reads_none_of_tenant_bs_rows_in_any_table() {
    let (app, a, b) = fixture().await;
    let pool = app.app_pool().await;
    assert_eq!(
        foreign_rows_visible(&pool, a.org_id, b.org_id).await,
        Vec::<&str>::new()
    );
    for (table, key) in TABLES {
        let mut tx = as_tenant(&pool, b.org_id).await;
        let own = count(
            &mut tx,
            &format!("select count(*) from {table} where {key} = '{}'", b.org_id),
        )
        .await;
        assert!(own > 0, "control: B sees its own {table}");
        tx.rollback().await.unwrap();
    }
    app.cleanup().await;
}

/// The probe above can fail: weaken one policy the way a careless migration
/// might, and it reports the leak (and so does the catalog check).
#[tokio::test]
async fn the_cross_read_probe_catches_a_leaky_policy() {
    let (app, a, b) = fixture().await;
    sqlx::query("drop policy tenant_select on customers")
        .execute(&app.owner)
        .await
        .unwrap();
    sqlx::query("create policy tenant_select on customers for select using (true)")
        .execute(&app.owner)
        .await
        .unwrap();
    let pool = app.app_pool().await;
    assert_eq!(
        foreign_rows_visible(&pool, a.org_id, b.org_id).await,
        vec!["customers"]
    );
    let v = crate::catalog::violations(&app.owner).await;
    assert!(
        v.contains(&"customers: no tenant policy for select".to_string()),
        "{v:?}"
    );
    app.cleanup().await;
}

/// And with row-level security switched off on a table, the probe sees it.
#[tokio::test]
async fn the_cross_read_probe_catches_rls_switched_off() {
    let (app, a, b) = fixture().await;
    sqlx::query("alter table users disable row level security")
        .execute(&app.owner)
        .await
        .unwrap();
    let pool = app.app_pool().await;
    assert_eq!(
        foreign_rows_visible(&pool, a.org_id, b.org_id).await,
        vec!["users"]
    );
    app.cleanup().await;
}

#[tokio::test]
async fn tenant_a_cannot_create_rows_for_tenant_b() {
    let (app, a, b) = fixture().await;
    let pool = app.app_pool().await;
    let attempts = [
        format!("insert into customers (org_id, id, name, street, city, state, zip) values ('{}', gen_random_uuid(), 'X', 's', 'c', 'TX', '78701')", b.org_id),
        format!("insert into users (org_id, id, email, name, role, password_hash) values ('{}', gen_random_uuid(), 'x@x.example', 'X', 'admin', 'h')", b.org_id),
        format!("insert into audit_events (org_id, id, action) values ('{}', gen_random_uuid(), 'forged')", b.org_id),
        format!("insert into outbox (org_id, id, to_email, subject, body) values ('{}', gen_random_uuid(), 'x@x.example', 's', 'b')", b.org_id),
        format!("insert into invitations (org_id, id, email, role, token_hash, expires_at) values ('{}', gen_random_uuid(), 'x@x.example', 'admin', 'h', now() + interval '1 day')", b.org_id),
        format!("insert into org_logos (org_id, content_type, bytes) values ('{}', 'image/png', '\\x00')", b.org_id),
        format!("insert into zone_overrides (org_id, state_code, multiplier) values ('{}', 'CA', 2)", b.org_id),
        format!("insert into sms_messages (org_id, to_phone, body, kind, zone, segments) values ('{}', '+15125550100', 'forged', 'reminder', 'America/Chicago', 1)", b.org_id),
    ];
    for sql in &attempts {
        let mut tx = as_tenant(&pool, a.org_id).await;
        let err = sqlx::query(sql).execute(&mut *tx).await.expect_err(sql);
        assert!(
            err.to_string().contains("row-level security"),
            "{sql}: {err}"
        );
        tx.rollback().await.unwrap();
        // Control: the same insert for A's own org succeeds.
        let mut tx = as_tenant(&pool, a.org_id).await;
        let own = sql.replace(&b.org_id.to_string(), &a.org_id.to_string());
        sqlx::query(&own)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("control {own}: {e}"));
        tx.rollback().await.unwrap();
    }
    app.cleanup().await;
}

#[tokio::test]
async fn tenant_a_cannot_change_or_delete_tenant_bs_rows() {
    let (app, a, b) = fixture().await;
    let pool = app.app_pool().await;
    let attacks = [
        format!(
            "update customers set name = 'pwned' where org_id = '{}'",
            b.org_id
        ),
        format!(
            "update users set name = 'pwned' where org_id = '{}'",
            b.org_id
        ),
        format!(
            "update organizations set company_name = 'pwned' where id = '{}'",
            b.org_id
        ),
        format!(
            "update invitations set role = 'admin' where org_id = '{}'",
            b.org_id
        ),
        format!("delete from users where org_id = '{}'", b.org_id),
        format!("delete from invitations where org_id = '{}'", b.org_id),
        format!(
            "update quotes set total = 0, status = 'approved' where org_id = '{}'",
            b.org_id
        ),
        format!(
            "update jobs set status = 'paid' where org_id = '{}'",
            b.org_id
        ),
        format!(
            "update properties set drawing = '{{}}' where org_id = '{}'",
            b.org_id
        ),
        format!(
            "update quote_links set expires_at = now() + interval '10 years' where org_id = '{}'",
            b.org_id
        ),
        format!(
            "update catalogues set data = '{{}}' where org_id = '{}'",
            b.org_id
        ),
        format!("delete from pets where org_id = '{}'", b.org_id),
        format!("delete from photos where org_id = '{}'", b.org_id),
        format!("delete from zone_overrides where org_id = '{}'", b.org_id),
        format!(
            "update customers set org_id = '{}' where org_id = '{}'",
            b.org_id, a.org_id
        ),
    ];
    for sql in &attacks {
        let mut tx = as_tenant(&pool, a.org_id).await;
        match sqlx::query(sql).execute(&mut *tx).await {
            Ok(r) => assert_eq!(r.rows_affected(), 0, "{sql}"),
            Err(e) => assert!(e.to_string().contains("row-level security"), "{sql}: {e}"),
        }
        tx.rollback().await.unwrap();
    }
    // Control: B's data is intact, and A can change its own.
    let name: String = sqlx::query_scalar("select company_name from organizations where id = $1")
        .bind(b.org_id)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(name, "BRAVO Fence Co");
    let mut tx = as_tenant(&pool, a.org_id).await;
    let r = sqlx::query(&format!(
        "update customers set name = 'mine' where org_id = '{}'",
        a.org_id
    ))
    .execute(&mut *tx)
    .await
    .unwrap();
    assert_eq!(r.rows_affected(), 2, "A's two customers");
    app.cleanup().await;
}

#[tokio::test]
async fn every_partition_is_refused_to_the_application_role() {
    let (app, a, _b) = fixture().await;
    let pool = app.app_pool().await;
    for i in 0..8 {
        let mut tx = as_tenant(&pool, a.org_id).await;
        let err = sqlx::query(&format!("select count(*) from audit_events_p{i}"))
            .fetch_one(&mut *tx)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("permission denied"), "p{i}: {err}");
        tx.rollback().await.unwrap();
        let mut tx = as_tenant(&pool, a.org_id).await;
        let err = sqlx::query(&format!("insert into audit_events_p{i} (org_id, id, action) values ('{}', gen_random_uuid(), 'x')", a.org_id))
            .execute(&mut *tx)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("permission denied"),
            "p{i} insert: {err}"
        );
    }
    // Control: through the parent, A reads its own audit trail.
    let mut tx = as_tenant(&pool, a.org_id).await;
    assert!(count(&mut tx, "select count(*) from audit_events").await > 0);
    app.cleanup().await;
}

#[tokio::test]
async fn the_application_role_cannot_lift_its_own_restrictions() {
    let (app, a, _b) = fixture().await;
    let pool = app.app_pool().await;
    for sql in [
        "alter table customers disable row level security",
        "alter table customers no force row level security",
        "drop policy tenant_select on customers",
        "set role postgres",
        "create table public.sneaky (id int)",
        "update organizations set plan = 'enterprise'",
        "update organizations set status = 'active'",
        "insert into platform.admins (id, email, name, password_hash) values (gen_random_uuid(), 'x@x.example', 'x', 'x')",
        "select platform.enable_tenant_rls('customers')",
        "update shared.pricing_zones set base_multiplier = 0.1",
    ] {
        let mut tx = as_tenant(&pool, a.org_id).await;
        let err = sqlx::query(sql).execute(&mut *tx).await.expect_err(sql);
        let m = err.to_string();
        assert!(m.contains("permission denied") || m.contains("must be owner"), "{sql}: {m}");
    }
    // Control: it may change the columns it is meant to.
    let mut tx = as_tenant(&pool, a.org_id).await;
    let r = sqlx::query("update organizations set company_name = 'Renamed' where id = $1")
        .bind(a.org_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(r.rows_affected(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn the_tenant_setting_does_not_survive_its_transaction() {
    let app = TestApp::spawn_with(|c| c.platform.db_pool_size = 1).await;
    let a = app.signup("alpha", "growth").await;
    let pool = app.app_pool().await;
    let mut tx = as_tenant(&pool, a.org_id).await;
    assert!(count(&mut tx, "select count(*) from users").await > 0);
    tx.commit().await.unwrap();
    // The same (only) pooled connection, a new transaction: no context.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(count(&mut tx, "select count(*) from users").await, 0);
    let setting: Option<String> =
        sqlx::query_scalar("select nullif(current_setting('app.current_tenant', true), '')")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(setting, None);
    tx.rollback().await.unwrap();
    app.cleanup().await;
}
