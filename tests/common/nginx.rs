//! A real nginx gateway in front of `agora serve` processes: the configuration
//! `agora gateway-config` prints, run as a user in a scratch prefix. Used by
//! `tests/gateway.rs` and `tests/fault_suite.rs`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use tokio::time::Instant;

/// Generous bound on nginx starting (a debug build on a shared two-core machine).
const STEP: Duration = Duration::from_secs(60);

/// The nginx binary: `AGORA_NGINX`, else `nginx` on the PATH or in /usr/sbin. Missing, the
/// test fails: the gateway is tested with a real nginx or not at all.
pub fn nginx_binary() -> PathBuf {
    if let Ok(path) = std::env::var("AGORA_NGINX") {
        return PathBuf::from(path);
    }
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
        .expect("nginx is not installed (apt-get install nginx; scripts/test does it)")
}

/// A child process killed when the test ends, however it ends.
pub struct Guard(pub Option<Child>);

impl Guard {
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.0.take() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
    }

    pub fn assert_running(&mut self, what: &str, dir: &Path) {
        let exited = self.0.as_mut().unwrap().try_wait().unwrap();
        assert!(
            exited.is_none(),
            "{what} exited: {exited:?} (logs in {})",
            dir.display()
        );
    }
}

impl Drop for Guard {
    /// SIGTERM first, then SIGKILL: nginx's master stops its workers on SIGTERM, while a
    /// master killed with SIGKILL leaves them running (and listening) as orphans.
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while std::time::Instant::now() < deadline {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `agora gateway-config` with these upstreams, listening on `port`, its files in `dir`.
pub fn gateway_config(
    dir: &Path,
    port: u16,
    upstreams: &[(String, String)],
    extra: &[&str],
) -> PathBuf {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
    command
        .arg("gateway-config")
        .args(extra)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--runtime-dir")
        .arg(dir);
    for (context, address) in upstreams {
        command
            .arg("--upstream")
            .arg(format!("{context}={address}"));
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "gateway-config failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.join("nginx.conf");
    std::fs::write(&file, &out.stdout).unwrap();
    file
}

/// nginx with `config`, serving once its own `/healthz` answers.
pub async fn start_nginx(dir: &Path, config: &Path, port: u16) -> Guard {
    let log = std::fs::File::create(dir.join("nginx.out")).unwrap();
    let child = Command::new(nginx_binary())
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(config)
        .arg("-e")
        .arg(dir.join("startup-error.log"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut guard = Guard(Some(child));
    let client = reqwest::Client::new();
    let deadline = Instant::now() + STEP;
    loop {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            if r.status() == 200 {
                return guard;
            }
        }
        guard.assert_running("nginx", dir);
        assert!(Instant::now() < deadline, "nginx did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
