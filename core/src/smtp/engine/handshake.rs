//! The opening of a session: greeting, EHLO and its HELO fallback, STARTTLS (required
//! unless configured otherwise, never a plaintext fallback), AUTH PLAIN / LOGIN (only
//! over TLS), and the RSET probe of a reused session.
//!
//! AUTH bytes are built in buffers of their exact final size, so that no reallocation
//! leaves an unwiped copy of the base64 behind; the [`Output`] holding them is marked
//! `sensitive` and wiped when dropped.

use super::{is_success, reply_error, AuthMechanism, Engine, Output, State, TlsMode};
use super::{Action, Capabilities};
use crate::error::{Error, ErrorKind, Result};
use crate::reply::Reply;
use zeroize::Zeroizing;

/// Refuses an EHLO name that is empty or has anything but printable ASCII without
/// spaces (command injection).
pub fn check_ehlo_name(name: &str) -> Result<()> {
    let bad = name.bytes().position(|b| !(0x21..0x7f).contains(&b));
    if name.is_empty() || bad.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "the EHLO name must be printable ASCII without spaces or controls (command injection)",
        )
        .with_reason("command_injection")
        .with_position(bad.unwrap_or(0)));
    }
    Ok(())
}

/// `prefix`, the base64 of `secret` and CRLF, in a buffer allocated once at its final
/// size (never reallocated, so no copy of the secret is left in freed memory).
fn auth_line(prefix: &[u8], secret: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(prefix.len() + crate::b64::encoded_len(secret.len()) + 2);
    bytes.extend_from_slice(prefix);
    crate::b64::encode(secret, |b| bytes.push(b));
    bytes.extend_from_slice(b"\r\n");
    bytes
}

impl Engine {
    /// A reply while the session opens (`state` is the phase it answers).
    pub(super) fn handshake_reply(&mut self, state: State, reply: Reply) -> Result<()> {
        match state {
            State::Greeting => {
                if reply.code != 220 {
                    return Err(reply_error(&reply, "the connection (greeting)", None)
                        .with_reason("greeting_refused"));
                }
                self.state = State::Ehlo;
                self.command(format!("EHLO {}", self.config.ehlo_name));
            }
            State::Ehlo => {
                if is_success(&reply) {
                    self.esmtp = true;
                    let texts: Vec<&str> = reply.lines().collect();
                    self.caps = Capabilities::parse(&texts);
                    return self.after_hello();
                }
                if self.needs_starttls() {
                    return Err(Error::new(
                        ErrorKind::Tls,
                        format!(
                            "the server does not speak ESMTP (EHLO refused: {} {}), so STARTTLS is impossible",
                            reply.code,
                            reply.text()
                        ),
                    )
                    .with_reason("esmtp_not_supported")
                    .with_reply(reply.to_error_reply(None)));
                }
                self.state = State::Helo;
                self.command(format!("HELO {}", self.config.ehlo_name));
            }
            State::Helo => {
                if !is_success(&reply) {
                    return Err(reply_error(&reply, "HELO", None).with_reason("helo_refused"));
                }
                self.esmtp = false;
                self.caps = Capabilities::default();
                return self.after_hello();
            }
            State::StartTls => {
                if reply.code != 220 {
                    return Err(Error::new(
                        ErrorKind::Tls,
                        format!(
                            "the server refused STARTTLS: {} {}",
                            reply.code,
                            reply.text()
                        ),
                    )
                    .with_reason("starttls_refused")
                    .with_reply(reply.to_error_reply(None)));
                }
                self.state = State::AwaitTls;
                self.actions.push_back(Action::StartTls);
            }
            State::AuthPlain | State::AuthLogin(2) if reply.code == 235 => self.ready(),
            State::AuthLogin(step) if reply.code == 334 && step < 2 => {
                let Some(creds) = self.config.credentials.clone() else {
                    return Err(Error::new(ErrorKind::Internal, "AUTH without credentials"));
                };
                let value = if step == 0 {
                    creds.username()
                } else {
                    creds.password()
                };
                self.write_secret(auth_line(b"", value.as_bytes()), "<redacted>");
                self.state = State::AuthLogin(step + 1);
            }
            State::AuthPlain | State::AuthLogin(_) => {
                let transient = reply.code / 100 == 4;
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the server refused authentication: {} {}",
                        reply.code,
                        reply.text()
                    ),
                )
                .with_reason("auth_refused")
                .with_transient(transient)
                .with_reply(reply.to_error_reply(None)));
            }
            State::Probe => {
                if !is_success(&reply) {
                    return Err(reply_error(&reply, "RSET", None).with_reason("rset_refused"));
                }
                self.ready();
            }
            State::Ready
            | State::AwaitTls
            | State::Quit
            | State::Closed
            | State::Txn(_)
            | State::Batch => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "a reply outside the opening handed to the opening",
                ))
            }
        }
        Ok(())
    }

    /// Queues bytes that carry credentials: marked sensitive (wiped on drop, never
    /// printed), with `log` as their transcript line.
    fn write_secret(&mut self, bytes: Vec<u8>, log: &str) {
        self.actions.push_back(Action::Write(Output {
            bytes,
            log: vec![log.to_string()],
            sensitive: true,
            ends_data: false,
        }));
    }

    fn needs_starttls(&self) -> bool {
        self.config.tls == TlsMode::StartTls && !self.tls_active
    }

    fn after_hello(&mut self) -> Result<()> {
        if self.needs_starttls() {
            if !self.caps.starttls {
                return Err(Error::new(
                    ErrorKind::Tls,
                    "the server does not offer STARTTLS, which is required: not continuing in plaintext",
                )
                .with_reason("starttls_not_offered"));
            }
            self.state = State::StartTls;
            self.command("STARTTLS".to_string());
            return Ok(());
        }
        let Some(creds) = self.config.credentials.clone() else {
            self.ready();
            return Ok(());
        };
        if !self.tls_active {
            return Err(
                Error::new(ErrorKind::Auth, "credentials are never sent without TLS")
                    .with_reason("auth_requires_tls"),
            );
        }
        if !self.esmtp || self.caps.auth.is_empty() {
            return Err(
                Error::new(ErrorKind::Auth, "the server does not offer AUTH")
                    .with_reason("auth_not_offered"),
            );
        }
        let mech = match self.config.auth_mechanism {
            AuthMechanism::Plain if self.caps.offers_auth("PLAIN") => AuthMechanism::Plain,
            AuthMechanism::Login if self.caps.offers_auth("LOGIN") => AuthMechanism::Login,
            _ if self.caps.offers_auth("PLAIN") => AuthMechanism::Plain,
            _ if self.caps.offers_auth("LOGIN") => AuthMechanism::Login,
            _ => {
                return Err(Error::new(
                    ErrorKind::Auth,
                    format!(
                        "the server offers no supported AUTH mechanism (offered: {})",
                        self.caps.auth.join(" ")
                    ),
                )
                .with_reason("no_common_mechanism"))
            }
        };
        match mech {
            AuthMechanism::Plain => {
                let mut secret = Zeroizing::new(Vec::with_capacity(
                    creds.username().len() + creds.password().len() + 2,
                ));
                secret.push(0);
                secret.extend_from_slice(creds.username().as_bytes());
                secret.push(0);
                secret.extend_from_slice(creds.password().as_bytes());
                self.write_secret(auth_line(b"AUTH PLAIN ", &secret), "AUTH PLAIN <redacted>");
                self.state = State::AuthPlain;
            }
            AuthMechanism::Login => {
                self.state = State::AuthLogin(0);
                self.command("AUTH LOGIN".to_string());
            }
        }
        Ok(())
    }

    pub(super) fn ready(&mut self) {
        self.state = State::Ready;
        self.actions.push_back(Action::Ready);
    }

    /// Call once the TLS handshake that [`Action::StartTls`] asked for is complete: the
    /// capabilities are forgotten and EHLO is sent again.
    pub fn tls_established(&mut self) -> Result<()> {
        if !matches!(self.state, State::AwaitTls) {
            return Err(Error::new(
                ErrorKind::Internal,
                "tls_established called without a STARTTLS in progress",
            ));
        }
        self.tls_active = true;
        self.caps = Capabilities::default();
        self.esmtp = false;
        self.state = State::Ehlo;
        self.command(format!("EHLO {}", self.config.ehlo_name));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_line_is_exactly_sized_and_matches_the_plain_encoding() {
        let line = auth_line(b"AUTH PLAIN ", b"\0user\0pass word");
        assert_eq!(line, b"AUTH PLAIN AHVzZXIAcGFzcyB3b3Jk\r\n");
        assert_eq!(
            line.capacity(),
            line.len(),
            "allocated once, at its final size"
        );
        assert_eq!(auth_line(b"", b""), b"\r\n");
    }
}
