//! Background work of a serving process: mail delivery (when a transport
//! is configured) and housekeeping (drained rate-limit buckets, pool gauges,
//! metric upkeep). Stopped cleanly on shutdown.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::mail::{self, Transport};
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
    if let Some(dir) = state.config.mail.dir.clone() {
        let s = state.clone();
        let transport = Transport::Dir(dir);
        let from = format!(
            "{} <no-reply@{}>",
            s.config.platform.name, s.config.platform.domain
        );
        tasks.push(every(&stop, Duration::from_secs(2), move || {
            let (s, transport, from) = (s.clone(), transport.clone(), from.clone());
            async move {
                let id = super::telemetry::new_request_id();
                let _ = super::telemetry::with_request_id(
                    id,
                    mail::deliver_due(&s.pool, &transport, &from),
                )
                .await;
            }
        }));
    }
    let s = state.clone();
    tasks.push(every(&stop, Duration::from_secs(30), move || {
        let s = s.clone();
        async move {
            let _ = throttle::sweep(&s.pool).await;
            super::telemetry::metrics().run_upkeep();
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

impl Workers {
    /// Asks every worker to stop and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
