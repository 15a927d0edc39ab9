//! Background work of a serving process: mail and text delivery (when a
//! transport or provider is configured), appointment reminders and housekeeping (drained rate-limit buckets, pool gauges,
//! metric upkeep). Stopped cleanly on shutdown.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use secrecy::ExposeSecret;

use super::mail;
use super::{throttle, AppState};

pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Runs `round` every `every` until told to stop.
fn every<F, Fut>(stop: &watch::Sender<bool>, every: Duration, mut round: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let mut stopped = stop.subscribe();
    tokio::spawn(async move {
        loop {
            round().await;
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stopped.changed() => return,
            }
        }
    })
}

pub fn start(state: &AppState) -> Workers {
    let (stop, _) = watch::channel(false);
    let mut tasks = Vec::new();
    match mail::Mailer::from_config(&state.config) {
        Ok(Some(mailer)) => {
            let url = state.config.app_database_url.expose_secret().to_string();
            tasks.push(tokio::spawn(mail::run(
                state.pool.clone(),
                url,
                mailer,
                stop.subscribe(),
            )));
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "mail delivery is off: its configuration is wrong"),
    }
    match super::sms::provider_from_config(&state.config) {
        Ok(Some(provider)) => {
            let url = state.config.app_database_url.expose_secret().to_string();
            tasks.push(tokio::spawn(super::sms::run(
                state.pool.clone(),
                url,
                provider,
                stop.subscribe(),
            )));
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "texts are off: their configuration is wrong"),
    }
    // Exports and backups: built as they are asked for.
    tasks.push(tokio::spawn(super::exports::run(
        state.clone(),
        state.config.app_database_url.expose_secret().to_string(),
        stop.subscribe(),
    )));
    let s = state.clone();
    tasks.push(every(&stop, Duration::from_secs(600), move || {
        let s = s.clone();
        async move {
            if let Err(e) = super::exports::housekeeping(&s).await {
                tracing::warn!(error = %e, "backup housekeeping failed");
            }
        }
    }));
    // Appointment reminders the day before (tenants' local time).
    let s = state.clone();
    tasks.push(every(&stop, Duration::from_secs(300), move || {
        let s = s.clone();
        async move {
            if let Err(e) = super::notices::remind_appointments(&s).await {
                tracing::warn!(error = %e, "appointment reminders failed");
            }
        }
    }));
    let s = state.clone();
    tasks.push(every(&stop, Duration::from_secs(30), move || {
        let s = s.clone();
        async move {
            let _ = throttle::sweep(&s.pool).await;
            let _ = super::budget::prune(&s.pool).await;
            super::telemetry::metrics().run_upkeep();
        }
    }));
    // Workspaces whose deletion is due.
    let s = state.clone();
    tasks.push(every(&stop, Duration::from_secs(600), move || {
        let s = s.clone();
        async move {
            if let Err(e) = super::deletion::purge_due(&s).await {
                tracing::warn!(error = %e, "workspace deletions failed");
            }
        }
    }));
    // Trial reminders: three days before a trial without a card ends.
    let s = state.clone();
    tasks.push(every(&stop, Duration::from_secs(600), move || {
        let s = s.clone();
        async move {
            if let Err(e) = super::billing::remind_trials(&s).await {
                tracing::warn!(error = %e, "trial reminders failed");
            }
        }
    }));
    Workers { stop, tasks }
}

/// Runs `round` until it reports no full batch, then waits for a
/// notification on `channel` (an insert trigger's NOTIFY, on commit), a
/// poll interval (retries falling due, a lost notification), or the stop
/// signal; and again.
pub async fn drain_on_notify<F, Fut>(
    listen_url: String,
    channel: &'static str,
    mut round: F,
    mut stop: watch::Receiver<bool>,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, crate::error::AppError>>,
{
    let poll = Duration::from_secs(2);
    let mut listener: Option<sqlx::postgres::PgListener> = None;
    loop {
        if listener.is_none() {
            listener = match sqlx::postgres::PgListener::connect(&listen_url).await {
                Ok(mut l) => match l.listen(channel).await {
                    Ok(()) => Some(l),
                    Err(_) => None,
                },
                Err(e) => {
                    tracing::warn!(error = %e, channel, "worker cannot listen; polling");
                    None
                }
            };
        }
        loop {
            let id = super::telemetry::new_request_id();
            match super::telemetry::with_request_id(id, round()).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, channel, "worker round failed");
                    break;
                }
            }
        }
        let wake = async {
            match listener.as_mut() {
                Some(l) => {
                    if l.recv().await.is_err() {
                        listener = None;
                    }
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = wake => {}
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
    }
}

impl Workers {
    /// Asks every worker to stop and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
