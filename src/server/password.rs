//! Password hashing: argon2id at OWASP's parameters (19 MiB, 2 passes, 1
//! lane), run on a fixed set of dedicated threads so a burst of logins can
//! neither starve requests nor grow memory: each thread's 19 MiB is reused,
//! where short-lived blocking threads would each leave an allocator arena
//! holding one behind.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use super::db::internal;
use super::AppState;
use crate::error::AppError;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes without the gate; for seeding and tests.
pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(internal)
}

fn verify_blocking(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and the queue that feeds them.
pub struct Hasher {
    queue: std::sync::mpsc::SyncSender<Job>,
}

impl Hasher {
    pub fn new(threads: usize) -> Hasher {
        let (queue, jobs) = std::sync::mpsc::sync_channel::<Job>(1024);
        let jobs = std::sync::Arc::new(std::sync::Mutex::new(jobs));
        for i in 0..threads {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let next = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .expect("spawn a hashing thread");
        }
        Hasher { queue }
    }

    /// Runs `f` on a hashing thread and waits for its answer.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(_)) => {
                return Err(AppError::Throttled(
                    "The server is busy; please try again in a moment.".into(),
                ))
            }
            Err(e) => return Err(internal(e)),
        }
        rx.await.map_err(internal)
    }
}

pub async fn hash(state: &AppState, password: String) -> Result<String, AppError> {
    state.hasher.run(move || hash_blocking(&password)).await?
}

/// Verifies a password. With no stored hash it still does the work of one,
/// so response time does not reveal whether an account exists.
pub async fn verify(
    state: &AppState,
    password: String,
    hash: Option<String>,
) -> Result<bool, AppError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    state
        .hasher
        .run(move || match hash {
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

    #[test]
    fn hashes_are_argon2id_at_owasp_parameters_and_verify() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("wrong horse battery", &h));
    }
}
