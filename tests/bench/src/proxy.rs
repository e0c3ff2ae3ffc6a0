//! A TCP proxy on loopback that delays each direction by a fixed one-way delay (so the
//! round-trip time is twice the delay plus loopback) and counts round trips.
//!
//! Each direction has a reader thread, which stamps every chunk it reads with its arrival
//! time, and a writer thread, which writes each chunk once its stamp plus the delay has
//! passed: bytes keep their order and their spacing (a chunk is delayed, the connection is
//! not serialised: many chunks can be in flight).
//!
//! A round trip ("turn") is counted when the client writes after having received server
//! bytes since its previous write (its first write counts too): the client waited for the
//! server before writing again. A pipelined client that writes MAIL, RCPT… and DATA at once
//! makes one turn for them; a client that waits for each reply makes one per command.

use crate::acceptor::Acceptor;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The counters of one proxied connection.
#[derive(Debug, Default)]
pub struct ConnCounters {
    /// Client-to-server turns (round trips).
    pub turns: AtomicU64,
    /// Bytes from the client to the server.
    pub client_bytes: AtomicU64,
    /// Bytes from the server to the client.
    pub server_bytes: AtomicU64,
    /// Whether the client received server bytes since its last write (true at first).
    server_spoke: AtomicBool,
    /// Directions finished (2 when the connection is over).
    finished: AtomicUsize,
}

/// A snapshot of one connection's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnStats {
    /// Client-to-server turns (round trips).
    pub turns: u64,
    /// Bytes from the client to the server.
    pub client_bytes: u64,
    /// Bytes from the server to the client.
    pub server_bytes: u64,
    /// Both directions are closed.
    pub closed: bool,
}

impl ConnCounters {
    fn snapshot(&self) -> ConnStats {
        ConnStats {
            turns: self.turns.load(Ordering::SeqCst),
            client_bytes: self.client_bytes.load(Ordering::SeqCst),
            server_bytes: self.server_bytes.load(Ordering::SeqCst),
            closed: self.finished.load(Ordering::SeqCst) >= 2,
        }
    }
}

struct Shared {
    upstream: SocketAddr,
    delay: Duration,
    conns: Mutex<Vec<Arc<ConnCounters>>>,
    print: bool,
}

/// A running proxy; stops accepting when dropped.
pub struct Proxy {
    acceptor: Acceptor,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("addr", &self.acceptor.addr())
            .field("delay", &self.shared.delay)
            .finish()
    }
}

impl Proxy {
    /// A proxy on `127.0.0.1` (free port) to `upstream`, delaying each direction by
    /// `one_way`.
    pub fn start(upstream: SocketAddr, one_way: Duration) -> io::Result<Proxy> {
        Proxy::bind("127.0.0.1:0", upstream, one_way, false)
    }

    /// A proxy on `addr`; with `print`, a line per connection goes to stdout when the
    /// connection ends.
    pub fn bind(
        addr: &str,
        upstream: SocketAddr,
        one_way: Duration,
        print: bool,
    ) -> io::Result<Proxy> {
        let shared = Arc::new(Shared {
            upstream,
            delay: one_way,
            conns: Mutex::new(Vec::new()),
            print,
        });
        let s = shared.clone();
        let mut number = 0usize;
        let acceptor = Acceptor::start(addr, "proxy-accept", move |client| {
            if accept(client, &s, number) {
                number += 1;
            }
        })?;
        Ok(Proxy { acceptor, shared })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.acceptor.addr()
    }

    /// The counters of every connection so far, in accept order.
    pub fn connections(&self) -> Vec<ConnStats> {
        self.shared
            .conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|c| c.snapshot())
            .collect()
    }

    /// The sum of the turns of every connection.
    pub fn total_turns(&self) -> u64 {
        self.connections().iter().map(|c| c.turns).sum()
    }

    /// Stops accepting (open connections go on).
    pub fn stop(&mut self) {
        self.acceptor.stop();
    }
}

/// Connects a new client to the upstream as connection `number`; false (the client shut
/// down) when the upstream cannot be reached.
fn accept(client: TcpStream, shared: &Arc<Shared>, number: usize) -> bool {
    let Ok(server) = TcpStream::connect(shared.upstream) else {
        let _ = client.shutdown(Shutdown::Both);
        return false;
    };
    let counters = Arc::new(ConnCounters {
        server_spoke: AtomicBool::new(true),
        ..ConnCounters::default()
    });
    shared
        .conns
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(counters.clone());
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let _ = start_connection(client, server, counters, shared, number);
    true
}

type Chunk = Option<(Instant, Vec<u8>)>;

fn start_connection(
    client: TcpStream,
    server: TcpStream,
    counters: Arc<ConnCounters>,
    shared: &Arc<Shared>,
    number: usize,
) -> io::Result<()> {
    let delay = shared.delay;
    let print = shared.print;
    let (c2s_tx, c2s_rx) = channel::<Chunk>();
    let (s2c_tx, s2c_rx) = channel::<Chunk>();
    {
        let from = client.try_clone()?;
        let c = counters.clone();
        std::thread::spawn(move || read_side(from, c2s_tx, &c, true));
    }
    {
        let from = server.try_clone()?;
        let c = counters.clone();
        std::thread::spawn(move || read_side(from, s2c_tx, &c, false));
    }
    {
        let to = server;
        let c = counters.clone();
        std::thread::spawn(move || {
            write_side(to, c2s_rx, delay, &c, false);
            finish(&c, print, number);
        });
    }
    {
        let to = client;
        let c = counters;
        std::thread::spawn(move || {
            write_side(to, s2c_rx, delay, &c, true);
            finish(&c, print, number);
        });
    }
    Ok(())
}

fn finish(c: &ConnCounters, print: bool, number: usize) {
    if c.finished.fetch_add(1, Ordering::SeqCst) + 1 == 2 && print {
        let s = c.snapshot();
        println!(
            "connection {number}: round_trips {} client_bytes {} server_bytes {}",
            s.turns, s.client_bytes, s.server_bytes
        );
    }
}

/// Reads `from` and stamps each chunk; `client`: the client side (turns counted here).
fn read_side(mut from: TcpStream, tx: Sender<Chunk>, c: &ConnCounters, client: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let now = Instant::now();
                if client {
                    if c.server_spoke.swap(false, Ordering::SeqCst) {
                        c.turns.fetch_add(1, Ordering::SeqCst);
                    }
                    c.client_bytes.fetch_add(n as u64, Ordering::SeqCst);
                } else {
                    c.server_bytes.fetch_add(n as u64, Ordering::SeqCst);
                }
                if tx.send(Some((now, buf[..n].to_vec()))).is_err() {
                    break;
                }
            }
        }
    }
    let _ = tx.send(None);
}

/// Writes each chunk to `to` at its stamp plus `delay`; `to_client`: marks that the
/// client received server bytes.
fn write_side(
    mut to: TcpStream,
    rx: Receiver<Chunk>,
    delay: Duration,
    c: &ConnCounters,
    to_client: bool,
) {
    while let Ok(Some((stamp, bytes))) = rx.recv() {
        let due = stamp + delay;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        // Marked before the write: once the client has the bytes it may answer at once,
        // and its answer must find the mark.
        if to_client {
            c.server_spoke.store(true, Ordering::SeqCst);
        }
        if to.write_all(&bytes).is_err() {
            let _ = to.shutdown(Shutdown::Both);
            return;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
