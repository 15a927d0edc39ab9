//! The catalog check: every tenant table (any table or partition with an
//! `org_id`, and `organizations`) has RLS enabled and forced with a
//! tenant policy for each command; the application role cannot bypass RLS,
//! owns nothing and has no privilege on any partition. The tests below
//! also show that the check fails when a policy, FORCE, or a grant is broken.

use sqlx::PgPool;

use crate::helpers::TestApp;

/// Everything wrong with the isolation set-up, as readable lines.
pub async fn violations(owner: &PgPool) -> Vec<String> {
    let mut out = Vec::new();
    let tables: Vec<(String, bool, bool, bool)> = sqlx::query_as(
        "select c.oid::regclass::text, c.relrowsecurity, c.relforcerowsecurity, c.relispartition
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
            and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
                 or c.oid = 'public.organizations'::regclass)
          order by 1",
    )
    .fetch_all(owner)
    .await
    .unwrap();
    assert!(
        tables.len() >= 8,
        "expected the tenant tables, found {tables:?}"
    );
    for (table, enabled, forced, partition) in &tables {
        if !enabled {
            out.push(format!("{table}: row level security is not enabled"));
        }
        if !forced {
            out.push(format!("{table}: row level security is not forced"));
        }
        let policies: Vec<(String, bool, Option<String>, Option<String>)> = sqlx::query_as(
            "select polcmd::text, polpermissive, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid)
               from pg_policy where polrelid = $1::regclass",
        )
        .bind(table)
        .fetch_all(owner)
        .await
        .unwrap();
        for (cmd, name) in [
            ("r", "select"),
            ("a", "insert"),
            ("w", "update"),
            ("d", "delete"),
        ] {
            let ok = policies.iter().any(|(c, permissive, using, check)| {
                let tenant = |e: &Option<String>| {
                    e.as_deref()
                        .is_some_and(|e| e.contains("app.current_tenant"))
                };
                (c == cmd || c == "*")
                    && *permissive
                    && match cmd {
                        "a" => tenant(check),
                        "w" => tenant(using) && tenant(check),
                        _ => tenant(using),
                    }
            });
            if !ok {
                out.push(format!("{table}: no tenant policy for {name}"));
            }
        }
        if *partition {
            let privileged: bool = sqlx::query_scalar(
                "select has_table_privilege('fence_app', $1::regclass, 'select, insert, update, delete, truncate, references, trigger')",
            )
            .bind(table)
            .fetch_one(owner)
            .await
            .unwrap();
            if privileged {
                out.push(format!(
                    "{table}: the application role has a privilege on this partition"
                ));
            }
        }
    }
    let (superuser, bypass, owned): (bool, bool, i64) = sqlx::query_as(
        "select r.rolsuper, r.rolbypassrls,
                (select count(*) from pg_class where relowner = r.oid)
              + (select count(*) from pg_namespace where nspowner = r.oid)
              + (select count(*) from pg_proc where proowner = r.oid)
           from pg_roles r where r.rolname = 'fence_app'",
    )
    .fetch_one(owner)
    .await
    .unwrap();
    if superuser || bypass {
        out.push("fence_app can bypass row level security".into());
    }
    if owned > 0 {
        out.push(format!("fence_app owns {owned} objects"));
    }
    let definers_without_path: Vec<String> = sqlx::query_scalar(
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = 'platform' and p.prosecdef and not coalesce(array_to_string(p.proconfig, ',') like '%search_path%', false)",
    )
    .fetch_all(owner)
    .await
    .unwrap();
    for f in definers_without_path {
        out.push(format!("{f}: security definer without a fixed search_path"));
    }
    out
}

#[tokio::test]
async fn every_tenant_table_is_isolated_in_the_catalog() {
    let app = TestApp::spawn().await;
    assert_eq!(violations(&app.owner).await, Vec::<String>::new());
    app.cleanup().await;
}

#[tokio::test]
async fn the_catalog_check_fails_when_a_policy_is_dropped() {
    let app = TestApp::spawn().await;
    sqlx::query("drop policy tenant_delete on customers")
        .execute(&app.owner)
        .await
        .unwrap();
    let v = violations(&app.owner).await;
    assert!(
        v.contains(&"customers: no tenant policy for delete".to_string()),
        "{v:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_catalog_check_fails_when_rls_is_not_forced_on_a_partition() {
    let app = TestApp::spawn().await;
    sqlx::query("alter table audit_events_p3 no force row level security")
        .execute(&app.owner)
        .await
        .unwrap();
    let v = violations(&app.owner).await;
    assert!(
        v.contains(&"audit_events_p3: row level security is not forced".to_string()),
        "{v:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_catalog_check_fails_when_the_app_role_gets_a_partition() {
    let app = TestApp::spawn().await;
    sqlx::query("grant select on audit_events_p5 to fence_app")
        .execute(&app.owner)
        .await
        .unwrap();
    let v = violations(&app.owner).await;
    assert!(
        v.iter()
            .any(|l| l.starts_with("audit_events_p5: the application role has a privilege")),
        "{v:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_catalog_check_fails_when_a_new_tenant_table_lacks_rls() {
    let app = TestApp::spawn().await;
    sqlx::query("create table jobs_draft (org_id uuid not null, id uuid not null, primary key (org_id, id))")
        .execute(&app.owner)
        .await
        .unwrap();
    let v = violations(&app.owner).await;
    assert!(
        v.contains(&"jobs_draft: row level security is not enabled".to_string()),
        "{v:?}"
    );
    assert!(
        v.contains(&"jobs_draft: no tenant policy for select".to_string()),
        "{v:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_server_refuses_a_role_that_can_bypass_rls() {
    let app = TestApp::spawn().await;
    // The owner connection is a superuser: exactly what must be refused.
    let err = fence::server::db::check_app_role(&app.owner)
        .await
        .unwrap_err();
    assert!(err.contains("bypass row-level security"), "{err}");
    // And the running server's own role passes.
    fence::server::db::check_app_role(&app.state.pool)
        .await
        .unwrap();
    app.cleanup().await;
}

#[tokio::test]
async fn pricing_zones_are_loaded_one_per_state_from_the_reference_data() {
    let app = TestApp::spawn().await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select state_code::text, base_multiplier::text from shared.pricing_zones order by 1",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(rows.len(), 51);
    let csv = std::fs::read_to_string("../shared/data/pricing_zones_us_states.csv");
    if let Ok(csv) = csv {
        for line in csv.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            assert!(
                rows.contains(&(cols[0].to_string(), cols[4].to_string())),
                "{line} not loaded"
            );
        }
    }
    assert!(rows.contains(&("CA".into(), "1.107".into())));
    let plans: Vec<(String, Option<i32>, Option<i32>)> = sqlx::query_as(
        "select code, seats, monthly_jobs_limit from shared.plans order by position",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    let rust: Vec<(String, Option<i32>, Option<i32>)> = fence::model::PLANS
        .iter()
        .map(|p| {
            (
                p.code.as_str().to_string(),
                p.seats.map(|s| s as i32),
                p.monthly_jobs.map(|j| j as i32),
            )
        })
        .collect();
    assert_eq!(plans, rust, "shared.plans and model::PLANS must agree");
    app.cleanup().await;
}
