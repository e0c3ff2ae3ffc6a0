//! [`SmtpPool`]: up to N [`SmtpClient`]s shared between threads. A client is lent out
//! under a guard (`Slot`) that gives it back when the send ends, and frees its place
//! (closing the connection without a word) when the send panics, so a panic caught at
//! a binding's boundary never shrinks the pool. Idle connections past
//! [`SmtpOptions::idle_expiry`] are closed whenever a client is taken.

use super::super::engine::{Delivery, MessageNeeds};
use super::super::session::Outgoing;
use super::client::SmtpClient;
use super::options::SmtpOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::message::{BuiltMessage, Envelope};
use rustls::ClientConfig;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex};

struct PoolState {
    idle: Vec<SmtpClient>,
    open: usize,
}

/// Up to `max` clients shared between threads: each send takes an idle client (or
/// opens a new one while fewer than `max` exist, else waits for one).
pub struct SmtpPool {
    options: SmtpOptions,
    tls_config: Option<Arc<ClientConfig>>,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

impl fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpPool")
            .field("options", &self.options)
            .field("max", &self.max)
            .finish()
    }
}

impl SmtpPool {
    /// A pool of at most `max` connections (at least 1).
    pub fn new(options: SmtpOptions, max: usize) -> Result<SmtpPool> {
        let probe = SmtpClient::new(options.clone())?;
        let tls_config = probe.tls_config();
        Ok(SmtpPool {
            options,
            tls_config,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        })
    }

    /// Lends a client: an idle one (the most recently used), a new one while fewer than
    /// `max` exist, else waits for one. Idle connections past their expiry are closed
    /// first (QUIT, bounded), outside the lock.
    fn take(&self) -> Slot<'_> {
        let mut expired = Vec::new();
        let client = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let (old, fresh): (Vec<SmtpClient>, Vec<SmtpClient>) = std::mem::take(&mut st.idle)
                .into_iter()
                .partition(SmtpClient::idle_expired);
            st.idle = fresh;
            st.open -= old.len().min(st.open);
            expired.extend(old);
            loop {
                if let Some(c) = st.idle.pop() {
                    break c;
                }
                if st.open < self.max {
                    st.open += 1;
                    break SmtpClient::with_config(self.options.clone(), self.tls_config.clone());
                }
                st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        };
        // Each sends QUIT when dropped (bounded), after the lock is released.
        drop(expired);
        Slot {
            pool: self,
            client: Some(client),
        }
    }

    fn give_back(&self, client: SmtpClient) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.idle.push(client);
        self.freed.notify_one();
    }

    /// Frees the place of a client that is not given back.
    fn release(&self) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.open = st.open.saturating_sub(1);
        self.freed.notify_one();
    }

    /// How many connections exist (idle or lent out).
    #[cfg(test)]
    fn open_count(&self) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).open
    }

    /// Sends a built message on a pooled connection.
    pub fn send(&self, message: &BuiltMessage) -> Result<Delivery> {
        self.take().send(message)
    }

    /// Sends raw bytes with an envelope on a pooled connection.
    pub fn send_raw(&self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery> {
        self.take().send_raw(envelope, bytes)
    }

    /// Sends with explicit needs on a pooled connection (see [`SmtpClient::send_with`]):
    /// a built message's bytes and needs with another envelope, say.
    pub fn send_with(
        &self,
        envelope: &Envelope,
        bytes: &[u8],
        needs: MessageNeeds,
    ) -> Result<Delivery> {
        self.take().send_with(envelope, bytes, needs)
    }

    /// Sends several messages and returns one result per message, in input order. The
    /// list is cut into contiguous parts, one per connection (at most the pool size,
    /// and no part smaller than [`SmtpOptions::window`], so a short list stays on one
    /// connection), each sent with [`SmtpClient::send_many`] on its own thread.
    pub fn send_many(&self, messages: &[BuiltMessage]) -> Vec<Result<Delivery>> {
        let items: Vec<Outgoing<'_>> = messages.iter().map(Outgoing::from).collect();
        self.send_many_outgoing(&items)
    }

    /// [`SmtpPool::send_many`] for envelopes and bytes built elsewhere.
    pub fn send_many_outgoing(&self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery>> {
        if items.is_empty() {
            return Vec::new();
        }
        let size = part_size(items.len(), self.options.window, self.max);
        if size >= items.len() {
            return self.take().send_many_outgoing(items);
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(size)
                .map(|chunk| scope.spawn(move || self.take().send_many_outgoing(chunk)))
                .collect();
            let mut out = Vec::with_capacity(items.len());
            for (h, chunk) in handles.into_iter().zip(items.chunks(size)) {
                match h.join() {
                    Ok(r) => out.extend(r),
                    Err(_) => out.extend(chunk.iter().map(|_| {
                        Err(Error::new(ErrorKind::Internal, "a sending thread panicked"))
                    })),
                }
            }
            out
        })
    }

    /// Closes every idle connection (QUIT).
    pub fn close(&self) {
        let idle = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.open -= st.idle.len().min(st.open);
            std::mem::take(&mut st.idle)
        };
        for mut c in idle {
            let _ = c.quit();
        }
    }
}

/// The length of each part when a pool of `max` connections spreads `len` messages:
/// contiguous parts, at most one per connection, none shorter than the window (so a
/// short list stays on one connection).
pub(crate) fn part_size(len: usize, window: usize, max: usize) -> usize {
    let parts = len.div_ceil(window.max(1)).clamp(1, max.max(1));
    len.div_ceil(parts).max(1)
}

/// A client lent out by the pool. Dropped normally, it goes back to the pool; dropped
/// by a panic unwinding through the send, its connection (in an unknown state) is
/// closed without QUIT and its place freed, so the pool never loses a slot.
struct Slot<'a> {
    pool: &'a SmtpPool,
    client: Option<SmtpClient>,
}

impl Deref for Slot<'_> {
    type Target = SmtpClient;

    fn deref(&self) -> &SmtpClient {
        self.client
            .as_ref()
            .expect("a slot holds its client until dropped")
    }
}

impl DerefMut for Slot<'_> {
    fn deref_mut(&mut self) -> &mut SmtpClient {
        self.client
            .as_mut()
            .expect("a slot holds its client until dropped")
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let Some(mut client) = self.client.take() else {
            return;
        };
        if std::thread::panicking() {
            client.discard();
            drop(client);
            self.pool.release();
        } else {
            self.pool.give_back(client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::TlsMode;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::time::Duration;

    fn pool(max: usize) -> SmtpPool {
        let options = SmtpOptions::new("127.0.0.1")
            .port(9)
            .tls(TlsMode::InsecurePlaintext);
        SmtpPool::new(options, max).unwrap()
    }

    #[test]
    fn panic_during_a_send_does_not_leak_the_pool_slot() {
        let p = pool(1);
        for _ in 0..3 {
            let r = catch_unwind(AssertUnwindSafe(|| {
                let _slot = p.take();
                panic!("injected panic in the middle of a send");
            }));
            assert!(r.is_err());
            assert_eq!(p.open_count(), 0);
        }
        // The only slot is free: taking it does not wait forever.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let slot = p.take();
                tx.send(slot.is_connected()).unwrap();
            });
            let got = rx.recv_timeout(Duration::from_secs(5));
            assert_eq!(got, Ok(false), "the pool deadlocked after a panic");
        });
    }

    #[test]
    fn slot_goes_back_to_the_pool_after_a_normal_send() {
        let p = pool(1);
        drop(p.take());
        assert_eq!(p.open_count(), 1);
        assert_eq!(p.state.lock().unwrap().idle.len(), 1);
    }
}
