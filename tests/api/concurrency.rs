//! The pool-leak case: many tenants' requests interleaved over a pool of two
//! connections must never see each other's rows.

use crate::helpers::TestApp;

#[tokio::test]
async fn interleaved_requests_over_two_connections_never_mix_tenants() {
    let app = TestApp::spawn_with(|c| c.platform.db_pool_size = 2).await;
    let mut tenants = Vec::new();
    for i in 0..8 {
        let t = app.signup(&format!("tenant{i}"), "starter").await;
        for j in 0..3 {
            app.customer(&t, &format!("{} customer {j}", t.sub), "")
                .await;
        }
        tenants.push(t);
    }
    let app = std::sync::Arc::new(app);
    let tenants = std::sync::Arc::new(tenants);
    let mut tasks = Vec::new();
    for round in 0..200 {
        let app = app.clone();
        let tenants = tenants.clone();
        tasks.push(tokio::spawn(async move {
            let t = &tenants[round % tenants.len()];
            let (path, form): (&str, Vec<(&str, &str)>) = if round % 2 == 0 {
                (
                    "/api/customers/list",
                    vec![("q", ""), ("page", "1"), ("archived", "false")],
                )
            } else {
                ("/api/dashboard", vec![])
            };
            let body = app.call(t, path, &form).await.text().await.unwrap();
            for other in tenants.iter().filter(|o| o.sub != t.sub) {
                assert!(
                    !body.contains(&format!("{} customer", other.sub)),
                    "{} saw {}: {body}",
                    t.sub,
                    other.sub
                );
            }
            assert!(
                body.contains(&format!("{} customer", t.sub)),
                "{} sees its own rows: {body}",
                t.sub
            );
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    match std::sync::Arc::try_unwrap(app) {
        Ok(app) => app.cleanup().await,
        Err(_) => panic!("app still shared"),
    }
}
