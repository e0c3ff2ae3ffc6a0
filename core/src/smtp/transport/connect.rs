//! Opening the TCP connection within one deadline: name resolution in a helper thread
//! (the system resolver has no timeout of its own), then each resolved address in turn
//! with an equal share of what is left, and the rule that plaintext goes to loopback
//! hosts only.

use crate::error::{Error, ErrorKind, Result};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::super::checks;
use super::socket::is_timeout;
use crate::loopback::unbracketed;

/// The error of a failed resolution.
pub(crate) fn resolve_failed(host: &str, e: &io::Error) -> Error {
    Error::new(ErrorKind::Connection, format!("cannot resolve {host}: {e}")).with_reason("resolve")
}

/// The error of a resolution that outlasted the `left` time of the connect step.
pub(crate) fn resolve_timed_out(host: &str, left: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "resolving {host} took longer than the connect time limit ({} s)",
            left.as_secs_f64()
        ),
    )
    .with_reason("resolve")
}

/// Refuses an empty list of addresses.
pub(crate) fn some_address(host: &str, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>> {
    if addrs.is_empty() {
        return Err(Error::new(
            ErrorKind::Connection,
            format!("{host} resolves to no address"),
        )
        .with_reason("resolve"));
    }
    Ok(addrs)
}

/// An IP address literal (brackets allowed) as the address of `host:port`, which then
/// needs no resolver.
pub(crate) fn literal_address(host: &str, port: u16) -> Option<SocketAddr> {
    unbracketed(host)
        .parse::<IpAddr>()
        .ok()
        .map(|ip| SocketAddr::new(ip, port))
}

/// Runs `lookup` in a helper thread and waits for it until `deadline`: a resolver that
/// hangs is left behind (its thread ends when the system resolver gives up) and the
/// step fails with `timeout`, reason `resolve`.
pub(crate) fn resolve_with<F>(host: &str, deadline: Instant, lookup: F) -> Result<Vec<SocketAddr>>
where
    F: FnOnce() -> io::Result<Vec<SocketAddr>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("email365-resolve".into())
        .spawn(move || {
            let _ = tx.send(lookup());
        })
        .map_err(|e| {
            Error::new(
                ErrorKind::Connection,
                format!("cannot start the resolver thread: {e}"),
            )
            .with_reason("resolve")
        })?;
    let left = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(left) {
        Ok(Ok(addrs)) => some_address(host, addrs),
        Ok(Err(e)) => Err(resolve_failed(host, &e)),
        Err(_) => Err(resolve_timed_out(host, left)),
    }
}

/// The addresses of `host:port`: an IP address as it is, a name through the system
/// resolver within `deadline`.
fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>> {
    if let Some(addr) = literal_address(host, port) {
        return Ok(vec![addr]);
    }
    let name = host.to_string();
    resolve_with(host, deadline, move || {
        (name.as_str(), port).to_socket_addrs().map(|a| a.collect())
    })
}

/// Tries each address in turn until one connects, all within `deadline` (`now` gives
/// the time on the caller's clock); each attempt gets an equal share of what is left, so
/// an address that never answers leaves time for the next ones, and a refused one
/// passes its time on at once. Errors: `timeout` (reason `connect`) when every attempt
/// timed out or no time was left, else `connection` (reason `connect`) listing each
/// failure. The one loop of the blocking and asynchronous connects.
pub(crate) async fn connect_any<T, F>(
    host: &str,
    port: u16,
    addrs: &[SocketAddr],
    deadline: Duration,
    now: impl Fn() -> Duration,
    mut attempt: F,
) -> Result<T>
where
    F: AsyncFnMut(&SocketAddr, Duration) -> io::Result<T>,
{
    let mut failures = Vec::new();
    let mut all_timed_out = true;
    for (i, addr) in addrs.iter().enumerate() {
        let left = deadline.saturating_sub(now());
        if left.is_zero() {
            failures.push(format!("{addr}: no time left"));
            break;
        }
        let share = left / u32::try_from(addrs.len() - i).unwrap_or(u32::MAX);
        match attempt(addr, share.max(Duration::from_millis(1))).await {
            Ok(s) => return Ok(s),
            Err(e) => {
                all_timed_out &= is_timeout(&e);
                failures.push(format!("{addr}: {e}"));
            }
        }
    }
    let message = format!("cannot connect to {host}:{port} ({})", failures.join("; "));
    if all_timed_out {
        Err(Error::new(ErrorKind::Timeout, message).with_reason("connect"))
    } else {
        Err(Error::new(ErrorKind::Connection, message).with_reason("connect"))
    }
}

/// Resolves `host` and connects to one of its addresses, all within `limit`; with
/// `plaintext`, every resolved address must be a loopback address.
pub(crate) async fn tcp_connect(
    host: &str,
    port: u16,
    plaintext: bool,
    limit: Duration,
) -> Result<TcpStream> {
    let origin = Instant::now();
    let addrs = resolve(host, port, origin + limit)?;
    if plaintext {
        let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
        checks::check_plaintext_addrs(host, &ips)?;
    }
    let now = || origin.elapsed();
    let tcp = connect_any(host, port, &addrs, limit, now, async |a, t| {
        TcpStream::connect_timeout(a, t)
    })
    .await?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

#[cfg(test)]
mod tests {
    use super::super::blocking_io::block_on;
    use super::*;
    use std::net::TcpListener;

    /// `e` is a timeout with `reason`, reported within `limit` (plus a second of slack)
    /// of `started`.
    fn assert_timeout_in_time(e: &Error, reason: &str, started: Instant, limit: Duration) {
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(e.reason(), Some(reason));
        assert!(
            started.elapsed() < limit + Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn hanging_dns_resolution_times_out_within_the_connect_deadline() {
        let limit = Duration::from_millis(500);
        let t = Instant::now();
        let e = resolve_with("hangs.example", Instant::now() + limit, || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(Vec::new())
        })
        .unwrap_err();
        assert_timeout_in_time(&e, "resolve", t, limit);
    }

    #[test]
    fn failed_dns_resolution_is_a_connection_error() {
        let e = resolve_with(
            "nx.example",
            Instant::now() + Duration::from_secs(5),
            || Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Connection);
        assert_eq!(e.reason(), Some("resolve"));
        let e = resolve_with(
            "empty.example",
            Instant::now() + Duration::from_secs(5),
            || Ok(Vec::new()),
        )
        .unwrap_err();
        assert_eq!(e.reason(), Some("resolve"));
    }

    #[test]
    fn refused_address_passes_on_to_the_next() {
        // A port with nothing listening (bound, then closed), then a listener.
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let open = TcpListener::bind("127.0.0.1:0").unwrap();
        let addrs = [closed, open.local_addr().unwrap()];
        let origin = Instant::now();
        let s = block_on(connect_any(
            "h",
            25,
            &addrs,
            Duration::from_secs(5),
            || origin.elapsed(),
            async |a, t| TcpStream::connect_timeout(a, t),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(s.peer_addr().unwrap(), open.local_addr().unwrap());
    }

    #[test]
    fn black_holed_address_leaves_time_for_the_next() {
        // The first address never answers: it may use only its share of the deadline.
        let addrs: Vec<SocketAddr> = ["192.0.2.1:25", "192.0.2.2:25"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let limit = Duration::from_millis(800);
        let t = Instant::now();
        let mut shares = Vec::new();
        let r = block_on(connect_any(
            "h",
            25,
            &addrs,
            limit,
            || t.elapsed(),
            async |a, share| {
                shares.push(share);
                if a == &addrs[0] {
                    std::thread::sleep(share);
                    Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))
                } else {
                    Ok(*a)
                }
            },
        ))
        .unwrap();
        assert_eq!(r.unwrap(), addrs[1]);
        assert!(shares[0] <= limit / 2, "{shares:?}");
        assert!(t.elapsed() < limit, "{:?}", t.elapsed());
    }

    #[test]
    fn every_address_timing_out_is_a_timeout_within_the_deadline() {
        let addrs: Vec<SocketAddr> = ["192.0.2.1:25", "192.0.2.2:25", "192.0.2.3:25"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let limit = Duration::from_millis(600);
        let t = Instant::now();
        let e = block_on(connect_any(
            "h",
            25,
            &addrs,
            limit,
            || t.elapsed(),
            async |_, share| -> io::Result<()> {
                std::thread::sleep(share);
                Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))
            },
        ))
        .unwrap()
        .unwrap_err();
        assert_timeout_in_time(&e, "connect", t, limit);
    }
}
