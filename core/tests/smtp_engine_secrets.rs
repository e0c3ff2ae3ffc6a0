//! Credentials in the sans-I/O engine: a driver that logs `{:?}` of the engine, of an
//! action or of an output never prints the password, the user name or their base64, at
//! any AUTH step, PLAIN or LOGIN; and the output that carries them cannot be cloned out
//! of the wipe on drop.
#![cfg(feature = "smtp")]

use base64::Engine as _;
use email365::smtp::{Action, AuthMechanism, Credentials, Engine, EngineConfig, Output, TlsMode};
use std::sync::Arc;

const USER: &str = "alice.distinct@example.test";
const PASSWORD: &str = "S3cr3t-Pa55-w0rd";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every form of the secret a `Debug` must not show.
fn forbidden() -> Vec<String> {
    let plain = b64(format!("\0{USER}\0{PASSWORD}").as_bytes());
    let mut v = vec![
        USER.to_string(),
        PASSWORD.to_string(),
        plain.clone(),
        b64(USER.as_bytes()),
        b64(PASSWORD.as_bytes()),
    ];
    // The bytes as `Vec<u8>`'s Debug would list them.
    for s in [plain, b64(PASSWORD.as_bytes())] {
        let list = format!("{:?}", &s.as_bytes()[..12]);
        v.push(list.trim_matches(|c| c == '[' || c == ']').to_string());
    }
    v
}

fn assert_clean(what: &str, shown: &str) {
    for secret in forbidden() {
        assert!(!shown.contains(&secret), "{what} shows {secret:?}: {shown}");
    }
}

fn engine(mechanism: AuthMechanism) -> Engine {
    Engine::new(EngineConfig {
        ehlo_name: "client.example".into(),
        tls: TlsMode::Implicit,
        credentials: Some(Arc::new(Credentials::new(USER, PASSWORD))),
        auth_mechanism: mechanism,
        ..EngineConfig::default()
    })
    .unwrap()
}

/// Checks the engine's `Debug` with its actions unpolled, then each action's and
/// output's; returns how many writes carried credentials.
fn check_step(e: &mut Engine, step: &str) -> usize {
    assert_clean(&format!("Engine at {step}"), &format!("{e:?}"));
    let mut sensitive = 0;
    while let Some(a) = e.poll() {
        assert_clean(&format!("Action at {step}"), &format!("{a:?} {a:#?}"));
        if let Action::Write(o) = &a {
            assert_clean(&format!("Output at {step}"), &format!("{o:?} {o:#?}"));
            if o.sensitive {
                sensitive += 1;
                assert!(
                    o.log.iter().all(|l| l.contains("<redacted>")),
                    "{:?}",
                    o.log
                );
            }
        }
    }
    assert_clean(&format!("Engine after {step}"), &format!("{e:?}"));
    sensitive
}

#[test]
fn debug_of_auth_plain_engine_action_and_output_does_not_print_password() {
    let mut e = engine(AuthMechanism::Plain);
    e.feed(b"220 mx\r\n").unwrap();
    check_step(&mut e, "EHLO");
    e.feed(b"250-mx\r\n250 AUTH PLAIN LOGIN\r\n").unwrap();
    assert_eq!(
        check_step(&mut e, "AUTH PLAIN"),
        1,
        "one write with credentials"
    );
    e.feed(b"235 2.7.0 ok\r\n").unwrap();
    check_step(&mut e, "authenticated");
    assert!(e.is_ready());
}

#[test]
fn debug_of_auth_login_engine_action_and_output_does_not_print_password() {
    let mut e = engine(AuthMechanism::Login);
    e.feed(b"220 mx\r\n250-mx\r\n250 AUTH LOGIN\r\n").unwrap();
    assert_eq!(check_step(&mut e, "AUTH LOGIN"), 0);
    e.feed(b"334 VXNlcm5hbWU6\r\n").unwrap();
    assert_eq!(check_step(&mut e, "user name"), 1);
    e.feed(b"334 UGFzc3dvcmQ6\r\n").unwrap();
    assert_eq!(check_step(&mut e, "password"), 1);
    e.feed(b"235 2.7.0 ok\r\n").unwrap();
    check_step(&mut e, "authenticated");
    assert!(e.is_ready());
}

#[test]
fn debug_of_an_unpolled_auth_action_inside_the_engine_does_not_print_password() {
    // A driver that logs the engine before taking its actions.
    let mut e = engine(AuthMechanism::Plain);
    e.feed(b"220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n").unwrap();
    assert_clean("Engine", &format!("{e:?} {e:#?}"));
    // Dropped with the AUTH output still queued: wiped by the output's drop.
    drop(e);
}

/// Resolves to `()` for any type, and is ambiguous (a compile error) for a `Clone`
/// type: `Output` and `Action` must not be `Clone`, so that no copy of the AUTH bytes
/// escapes the wipe on drop.
trait AmbiguousIfClone<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfClone<()> for T {}
impl<T: Clone> AmbiguousIfClone<u8> for T {}

#[test]
fn auth_output_cannot_be_cloned_out_of_the_wipe() {
    <Output as AmbiguousIfClone<_>>::check();
    <Action as AmbiguousIfClone<_>>::check();
}
