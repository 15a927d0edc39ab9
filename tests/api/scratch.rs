//! Scratch PostgreSQL clusters on loopback for tests that need a server
//! of their own (a streaming replica, a second cell), made with the
//! server's own binaries and removed when dropped.

use std::path::PathBuf;
use std::process::Command;

use uuid::Uuid;

/// A primary and a streaming replica of it, on two free loopback ports.
pub struct Pair {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    replica_port: u16,
}

fn pg_bin() -> PathBuf {
    if let Ok(b) = std::env::var("PG_BIN") {
        return b.into();
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries in /usr/lib/postgresql (or PG_BIN)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().expect("initdb under /usr/lib/postgresql/*/bin")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

impl Pair {
    /// As the cluster's owner: `postgres` when the tests run as root
    /// (initdb refuses root).
    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd.args(args).output().expect("a PostgreSQL binary runs");
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A primary, and its hot standby when `replica`.
    pub fn start(replica: bool) -> Pair {
        let dir = std::env::temp_dir().join(format!("fence-replica-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:", dir.to_str().unwrap()])
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let (port, replica_port) = (free_port(), free_port());
        let pair = Pair {
            dir,
            bin: pg_bin(),
            port,
            replica_port,
        };
        let d = |name: &str| pair.dir.join(name).to_str().unwrap().to_string();
        pair.run(
            "initdb",
            &[
                "-D",
                &d("primary"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        );
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n\
             max_connections = 60\n",
            pair.dir.display()
        );
        let path = pair.dir.join("primary/postgresql.conf");
        let mut all = std::fs::read_to_string(&path).unwrap();
        all.push_str(&conf);
        std::fs::write(&path, all).unwrap();
        pair.run(
            "pg_ctl",
            &["-D", &d("primary"), "-l", &d("primary.log"), "-w", "start"],
        );
        if !replica {
            return pair;
        }
        pair.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-D",
                &d("replica"),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        );
        pair.run(
            "pg_ctl",
            &[
                "-D",
                &d("replica"),
                "-o",
                &format!("-p {replica_port}"),
                "-l",
                &d("replica.log"),
                "-w",
                "start",
            ],
        );
        pair
    }

    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn on_replica(&self, url: &str) -> String {
        url.replace(
            &format!("127.0.0.1:{}/", self.port),
            &format!("127.0.0.1:{}/", self.replica_port),
        )
    }

    pub fn stop(&self, which: &str) {
        let d = self.dir.join(which);
        if d.join("postmaster.pid").exists() {
            self.run(
                "pg_ctl",
                &["-D", d.to_str().unwrap(), "-m", "immediate", "stop"],
            );
        }
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.stop("replica");
        self.stop("primary");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
