//! Password hashing: argon2id at OWASP's parameters (19 MiB, 2 passes, 1
//! lane), run on a fixed set of dedicated threads so a burst of logins can
//! neither starve requests nor grow memory: each thread's 19 MiB is reused,
//! where short-lived blocking threads would each leave an allocator arena
//! holding one behind.
//!
//! The threads take work from a fair queue: tenants are served in turn, and
//! within a tenant its clients in turn, each with a small cap on what it may
//! have waiting. One client, or one tenant under attack, can fill only its
//! own share; everyone else's login still gets the next free thread.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use super::AppState;
use crate::error::AppError;

/// Jobs one client (network) may have waiting.
pub const MAX_WAITING_PER_CLIENT: usize = 4;
/// Jobs one tenant (or the platform site) may have waiting.
pub const MAX_WAITING_PER_TENANT: usize = 64;
/// Jobs waiting in all.
pub const MAX_WAITING: usize = 1024;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes without the queue; for seeding and tests.
pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| super::db::internal_msg(&format!("argon2: {e}")))
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

type Job = Box<dyn FnOnce() + Send>;

/// Who a hashing job is for: the tenant (or `platform`) and the client's
/// network. Fairness is by tenant first, then by client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requester {
    pub tenant: String,
    pub client: String,
}

#[derive(Default)]
struct Tenant {
    clients: HashMap<String, VecDeque<Job>>,
    turn: VecDeque<String>,
    waiting: usize,
}

#[derive(Default)]
struct Queue {
    tenants: HashMap<String, Tenant>,
    turn: VecDeque<String>,
    waiting: usize,
}

/// Why a job was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Client,
    Tenant,
    Full,
}

impl Queue {
    fn push(&mut self, who: &Requester, job: Job) -> Result<(), Refused> {
        if self.waiting >= MAX_WAITING {
            return Err(Refused::Full);
        }
        let tenant = self.tenants.entry(who.tenant.clone()).or_default();
        if tenant.waiting >= MAX_WAITING_PER_TENANT {
            return Err(Refused::Tenant);
        }
        let client = tenant.clients.entry(who.client.clone()).or_default();
        if client.len() >= MAX_WAITING_PER_CLIENT {
            return Err(Refused::Client);
        }
        if client.is_empty() {
            tenant.turn.push_back(who.client.clone());
        }
        client.push_back(job);
        if tenant.waiting == 0 {
            self.turn.push_back(who.tenant.clone());
        }
        tenant.waiting += 1;
        self.waiting += 1;
        Ok(())
    }

    /// The next job: the tenant whose turn it is, its client whose turn it is.
    fn pop(&mut self) -> Option<Job> {
        let tenant_key = self.turn.pop_front()?;
        let tenant = self.tenants.get_mut(&tenant_key)?;
        let client_key = tenant.turn.pop_front()?;
        let queue = tenant.clients.get_mut(&client_key)?;
        let job = queue.pop_front()?;
        if queue.is_empty() {
            tenant.clients.remove(&client_key);
        } else {
            tenant.turn.push_back(client_key);
        }
        tenant.waiting -= 1;
        self.waiting -= 1;
        if tenant.waiting == 0 {
            self.tenants.remove(&tenant_key);
        } else {
            self.turn.push_back(tenant_key);
        }
        Some(job)
    }
}

/// The hashing threads and the fair queue that feeds them.
pub struct Hasher {
    queue: Arc<(Mutex<Queue>, Condvar)>,
}

impl Hasher {
    pub fn new(threads: usize) -> Hasher {
        let queue = Arc::new((Mutex::new(Queue::default()), Condvar::new()));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = {
                        let (lock, ready) = &*queue;
                        let Ok(mut q) = lock.lock() else { return };
                        loop {
                            if let Some(job) = q.pop() {
                                metrics::gauge!("password_hash_waiting").set(q.waiting as f64);
                                break job;
                            }
                            q = match ready.wait(q) {
                                Ok(q) => q,
                                Err(_) => return,
                            };
                        }
                    };
                    metrics::gauge!("password_hash_running").increment(1.0);
                    job();
                    metrics::gauge!("password_hash_running").decrement(1.0);
                })
                .expect("spawn a hashing thread");
        }
        Hasher { queue }
    }

    /// Runs `f` on a hashing thread, in `who`'s turn, and waits for it.
    pub async fn run<T: Send + 'static>(
        &self,
        who: &Requester,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        {
            let (lock, ready) = &*self.queue;
            let mut q = lock
                .lock()
                .map_err(|_| super::db::internal_msg("hashing queue poisoned"))?;
            if let Err(why) = q.push(who, job) {
                metrics::counter!("password_hash_refused_total").increment(1);
                tracing::warn!(?why, tenant = %who.tenant, "password hashing queue refused a job");
                return Err(AppError::Throttled(match why {
                    Refused::Client => "You have several sign-ins in progress already; wait for them and try again.".into(),
                    _ => "The server is busy; please try again in a moment.".into(),
                }));
            }
            metrics::gauge!("password_hash_waiting").set(q.waiting as f64);
            ready.notify_one();
        }
        rx.await
            .map_err(|_| super::db::internal_msg("a hashing thread dropped its job"))
    }
}

pub async fn hash(state: &AppState, who: &Requester, password: String) -> Result<String, AppError> {
    state
        .hasher
        .run(who, move || hash_blocking(&password))
        .await?
}

/// Verifies a password. With no stored hash it still does the work of one,
/// so response time does not reveal whether an account exists.
pub async fn verify(
    state: &AppState,
    who: &Requester,
    password: String,
    hash: Option<String>,
) -> Result<bool, AppError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    state
        .hasher
        .run(who, move || match hash {
            Some(h) => verify_blocking(&password, &h),
            None => {
                let dummy =
                    DUMMY.get_or_init(|| hash_blocking("not a real password").unwrap_or_default());
                let _ = verify_blocking(&password, dummy);
                false
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters_and_verify() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("wrong horse battery", &h));
    }

    fn who(tenant: &str, client: &str) -> Requester {
        Requester {
            tenant: tenant.into(),
            client: client.into(),
        }
    }

    fn tagged(log: &Arc<Mutex<Vec<String>>>, tag: &str) -> Job {
        let log = log.clone();
        let tag = tag.to_string();
        Box::new(move || log.lock().unwrap().push(tag))
    }

    #[test]
    fn tenants_take_turns_and_so_do_their_clients() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut q = Queue::default();
        for i in 0..3 {
            q.push(&who("attacked", "bot"), tagged(&log, &format!("a-bot{i}")))
                .unwrap();
        }
        q.push(&who("attacked", "owner"), tagged(&log, "a-owner"))
            .unwrap();
        q.push(&who("quiet", "user"), tagged(&log, "q-user"))
            .unwrap();
        while let Some(job) = q.pop() {
            job();
        }
        assert_eq!(
            *log.lock().unwrap(),
            ["a-bot0", "q-user", "a-owner", "a-bot1", "a-bot2"]
        );
        assert_eq!(q.waiting, 0);
        assert!(q.tenants.is_empty());
    }

    #[test]
    fn one_client_cannot_queue_more_than_its_share() {
        let mut q = Queue::default();
        let bot = who("t", "bot");
        for _ in 0..MAX_WAITING_PER_CLIENT {
            q.push(&bot, Box::new(|| {})).unwrap();
        }
        assert_eq!(q.push(&bot, Box::new(|| {})).err(), Some(Refused::Client));
        assert!(q.push(&who("t", "owner"), Box::new(|| {})).is_ok());
        let mut q = Queue::default();
        for i in 0..MAX_WAITING_PER_TENANT {
            q.push(&who("t", &format!("c{i}")), Box::new(|| {}))
                .unwrap();
        }
        assert_eq!(
            q.push(&who("t", "one more"), Box::new(|| {})).err(),
            Some(Refused::Tenant)
        );
        assert!(q.push(&who("other", "c"), Box::new(|| {})).is_ok());
    }

    #[tokio::test]
    async fn the_threads_run_every_queued_job() {
        let hasher = Hasher::new(2);
        let h = &hasher;
        let done = Arc::new(AtomicUsize::new(0));
        let mut waits = Vec::new();
        for i in 0..8 {
            let done = done.clone();
            let who = who(&format!("t{}", i % 3), &format!("c{i}"));
            waits.push(async move {
                h.run(&who, move || done.fetch_add(1, Ordering::SeqCst))
                    .await
                    .unwrap()
            });
        }
        futures::future::join_all(waits).await;
        assert_eq!(done.load(Ordering::SeqCst), 8);
    }
}
