//! Credentials held for the client's lifetime in zeroize-on-drop buffers, never printed.

use std::fmt;
use zeroize::Zeroizing;

/// A username and password for SMTP AUTH. The bytes are wiped when the last owner drops
/// them; `Debug` prints only `<redacted>`.
#[derive(Clone)]
pub struct Credentials {
    username: Zeroizing<String>,
    password: Zeroizing<String>,
}

impl Credentials {
    /// Credentials from a username and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: Zeroizing::new(username.into()),
            password: Zeroizing::new(password.into()),
        }
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials::new("alice", "s3cr3t-pw");
        let shown = format!("{c:?} {:?}", Some(c.clone()));
        assert!(!shown.contains("alice"));
        assert!(!shown.contains("s3cr3t"));
        assert_eq!(c.password(), "s3cr3t-pw");
    }
}
