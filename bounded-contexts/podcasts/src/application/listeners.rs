//! Who downloaded: a listener is a hash of the client address and user agent under a salt that
//! changes every UTC day, as the IAB podcast measurement guidelines and Castopod count them.
//! The day's salt is derived from a server secret (HMAC-SHA256 of the day), so it rotates on
//! its own, is the same in every process sharing the secret, and neither the address nor a
//! salt is ever stored: yesterday's hashes cannot be linked to today's.

use std::net::IpAddr;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The `isbot` pattern this context leaves out (see [`ListenerHasher::new`]).
const URL_IN_USER_AGENT: &str = "http[s]?://";

/// Turns a request's address and user agent into the day's listener hash, and tells which
/// requests are not counted at all (known bots, the `Range: bytes=0-1` probe).
pub struct ListenerHasher {
    secret: Vec<u8>,
    bots: isbot::Bots,
}

impl std::fmt::Debug for ListenerHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerHasher").finish_non_exhaustive()
    }
}

impl ListenerHasher {
    /// A hasher under `secret`, with the `isbot` crate's list of bots' user agents less its
    /// rule that any URL in a user agent makes a bot: podcast apps name their site there
    /// (`Overcast/3.0 (+http://overcast.fm/; Apple Watch podcast app)`, Podcast Addict, ...),
    /// and the OPAWG list podcast hosts use counts them as apps.
    #[must_use]
    pub fn new(secret: Vec<u8>) -> Self {
        let mut bots = isbot::Bots::default();
        bots.remove(&[URL_IN_USER_AGENT]);
        Self { secret, bots }
    }

    /// The salt of `day` (`YYYY-MM-DD`): HMAC-SHA256 of the day under the secret.
    fn salt(&self, day: &str) -> [u8; 32] {
        // HMAC takes a key of any length, so this never fails.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => return Sha256::digest(day.as_bytes()).into(),
        };
        mac.update(b"agora.podcasts.listener-salt:");
        mac.update(day.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The listener of `address` and `user_agent` on `day`: hex SHA-256 of the day's salt, the
    /// address and the user agent.
    #[must_use]
    pub fn listener(&self, day: &str, address: IpAddr, user_agent: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(self.salt(day));
        hash.update(address.to_string().as_bytes());
        hash.update(b"\n");
        hash.update(user_agent.as_bytes());
        hex::encode(hash.finalize())
    }

    /// A known bot or crawler (its downloads are not counted).
    #[must_use]
    pub fn is_bot(&self, user_agent: &str) -> bool {
        self.bots.is_bot(user_agent)
    }
}

/// Whether a `Range` header is the two-byte probe players send to learn the file's length
/// (`bytes=0-1`), which is not a download.
#[must_use]
pub fn is_probe(range: Option<&str>) -> bool {
    range.is_some_and(|r| r.replace(' ', "").eq_ignore_ascii_case("bytes=0-1"))
}

/// The secret in `path` (hex), created with 32 random bytes (mode 0600) when missing. Give
/// every process the same file.
///
/// # Errors
/// The file cannot be read, created or parsed.
pub fn load_or_generate_secret(path: &Path) -> std::io::Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) => hex::decode(text.trim())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let secret: [u8; 32] = rand::random();
            match write_private(path, &hex::encode(secret)) {
                Ok(()) => Ok(secret.to_vec()),
                // Another process (or test server) created it meanwhile: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    for _ in 0..50 {
                        let text = std::fs::read_to_string(path)?;
                        if text.trim().len() == 64 {
                            return hex::decode(text.trim()).map_err(|e| {
                                std::io::Error::new(std::io::ErrorKind::InvalidData, e)
                            });
                        }
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    Err(e)
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_is_the_same_all_day_and_another_the_next() {
        let hasher = ListenerHasher::new(b"secret".to_vec());
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let a = hasher.listener("2026-12-01", ip, "AppleCoreMedia/1.0");
        assert_eq!(a, hasher.listener("2026-12-01", ip, "AppleCoreMedia/1.0"));
        assert_ne!(a, hasher.listener("2026-12-02", ip, "AppleCoreMedia/1.0"));
        assert_ne!(a, hasher.listener("2026-12-01", ip, "Overcast/3.0"));
        assert!(!a.contains("203.0.113.7"));
        let other = ListenerHasher::new(b"another".to_vec());
        assert_ne!(a, other.listener("2026-12-01", ip, "AppleCoreMedia/1.0"));
    }

    #[test]
    fn bots_and_the_two_byte_probe_are_recognised() {
        let hasher = ListenerHasher::new(vec![]);
        assert!(hasher.is_bot("Googlebot/2.1 (+http://www.google.com/bot.html)"));
        assert!(
            !hasher.is_bot("AppleCoreMedia/1.0.0.20E247 (iPhone; U; CPU OS 16_4 like Mac OS X)")
        );
        assert!(is_probe(Some("bytes=0-1")));
        assert!(!is_probe(Some("bytes=0-")));
        assert!(!is_probe(None));
    }
}
