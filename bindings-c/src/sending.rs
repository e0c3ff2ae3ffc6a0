//! The send calls a client and a pool share (`e365_smtp_client_send*`,
//! `e365_smtp_pool_send*`, `*_send_many_raw`): one body each, generic over the C handle
//! ([`Handle`]: a client or a pool), the conversions of their arguments, and
//! [`send_fn!`], which writes the extern fns of both handles from one definition each.

use crate::message::{e365_message, MessageBox};
use crate::pool::e365_smtp_pool;
use crate::smtp::{e365_delivery, e365_send_results, e365_smtp_client};
use crate::{e365_str, pointers, str_list, str_text, try_out, try_ref};
use email365::message::{BuiltMessage, Envelope};
use email365::smtp::{Delivery, Outgoing, SmtpClient, SmtpPool};
use email365::Error;

/// What sends: the core's client (one thread at a time) or pool (shared).
pub(crate) trait Transport {
    /// `send` of the core.
    fn send(&mut self, message: &BuiltMessage) -> Result<Delivery, Error>;
    /// `send_raw` of the core.
    fn send_raw(&mut self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery, Error>;
    /// `send_many_outgoing` of the core.
    fn send_many(&mut self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery, Error>>;
}

/// Implements [`Transport`] for a borrowed core client or pool by calling its own
/// methods of the same names.
macro_rules! transport {
    ($($borrowed:ty => $core:ident),*) => {$(
        impl Transport for $borrowed {
            fn send(&mut self, message: &BuiltMessage) -> Result<Delivery, Error> {
                $core::send(self, message)
            }

            fn send_raw(&mut self, envelope: &Envelope, bytes: &[u8]) -> Result<Delivery, Error> {
                $core::send_raw(self, envelope, bytes)
            }

            fn send_many(&mut self, items: &[Outgoing<'_>]) -> Vec<Result<Delivery, Error>> {
                $core::send_many_outgoing(self, items)
            }
        }
    )*};
}

transport!(&mut SmtpClient => SmtpClient, &SmtpPool => SmtpPool);

/// A C handle that sends: `*mut e365_smtp_client` or `*const e365_smtp_pool`.
pub(crate) trait Handle {
    /// What the handle gives to send with.
    type Transport<'a>: Transport;

    /// The transport behind the handle; NULL → `null_argument` (`client` / `pool`).
    ///
    /// # Safety
    /// The handle is NULL or a live object of this library (a client used by no other
    /// thread).
    unsafe fn transport<'a>(self) -> Result<Self::Transport<'a>, Error>;
}

impl Handle for *mut e365_smtp_client {
    type Transport<'a> = &'a mut SmtpClient;

    unsafe fn transport<'a>(self) -> Result<&'a mut SmtpClient, Error> {
        Ok(try_out!(self, "client").core())
    }
}

impl Handle for *const e365_smtp_pool {
    type Transport<'a> = &'a SmtpPool;

    unsafe fn transport<'a>(self) -> Result<&'a SmtpPool, Error> {
        Ok(try_ref!(self, "pool").core())
    }
}

/// What `e365_smtp_client_send` and `e365_smtp_pool_send` make.
///
/// # Safety
/// As for those functions.
pub(crate) unsafe fn send(
    handle: impl Handle,
    message: *const e365_message,
) -> Result<e365_delivery, Error> {
    let mut transport = unsafe { handle.transport()? };
    let Some(message) = (unsafe { MessageBox::core(message) }) else {
        return Err(crate::null_argument("message"));
    };
    Ok(e365_delivery::new(&transport.send(message)?))
}

/// What `e365_smtp_client_send_raw` and `e365_smtp_pool_send_raw` make: `raw` reads
/// the envelope and bytes ([`raw_message`]) once the handle is checked.
///
/// # Safety
/// As for those functions.
pub(crate) unsafe fn send_raw<'a>(
    handle: impl Handle,
    raw: impl FnOnce() -> Result<(Envelope, &'a [u8]), Error>,
) -> Result<e365_delivery, Error> {
    let mut transport = unsafe { handle.transport()? };
    let (envelope, data) = raw()?;
    Ok(e365_delivery::new(&transport.send_raw(&envelope, data)?))
}

/// What the `send_many` calls make: `items` reads the list (built messages or
/// `e365_outgoing`s) once the handle is checked.
///
/// # Safety
/// As for those functions.
pub(crate) unsafe fn send_many<'a>(
    handle: impl Handle,
    items: impl FnOnce() -> Result<Vec<Outgoing<'a>>, Error>,
) -> Result<e365_send_results, Error> {
    let mut transport = unsafe { handle.transport()? };
    let items = items()?;
    Ok(e365_send_results::new(transport.send_many(&items)))
}

/// The envelope and bytes of the `send_raw` calls and of `e365_outgoing_new`.
///
/// # Safety
/// As for those functions.
pub(crate) unsafe fn raw_message<'a>(
    mail_from: e365_str,
    rcpt_to: *const e365_str,
    rcpt_to_len: usize,
    bytes: *const u8,
    len: usize,
) -> Result<(Envelope, &'a [u8]), Error> {
    let envelope = Envelope {
        mail_from: unsafe { str_text(mail_from, "mail_from")? }.to_string(),
        rcpt_to: unsafe { str_list(rcpt_to, rcpt_to_len, "rcpt_to", "rcpt_to[i]")? }
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    Ok((envelope, unsafe {
        crate::bytes(bytes.cast(), len, "bytes")?
    }))
}

/// What a `send_many` list holds: built messages (`e365_message`) or messages built
/// elsewhere (`e365_outgoing`).
pub(crate) trait ListEntry {
    /// The list parameter's name and its entries' (for `null_argument`).
    const NAMES: (&'static str, &'static str);

    /// The core's view of one entry; `None` for NULL.
    ///
    /// # Safety
    /// `entry` is NULL or a live object of this library.
    unsafe fn outgoing<'a>(entry: *const Self) -> Option<Outgoing<'a>>;
}

impl ListEntry for e365_message {
    const NAMES: (&'static str, &'static str) = ("messages", "messages[i]");

    unsafe fn outgoing<'a>(entry: *const Self) -> Option<Outgoing<'a>> {
        unsafe { MessageBox::core(entry) }.map(Outgoing::from)
    }
}

/// The core's view of the `len` entries of a `send_many` list (none NULL).
///
/// # Safety
/// `list` is NULL (with length 0) or valid for reading `len` pointers, each NULL or a
/// live object of this library.
pub(crate) unsafe fn outgoing_list<'a, T: ListEntry>(
    list: *const *const T,
    len: usize,
) -> Result<Vec<Outgoing<'a>>, Error> {
    let (name, entry) = T::NAMES;
    unsafe { pointers(list, len, name, entry, |e| T::outgoing(e)) }
}

/// The send functions, written once for a client and a pool: after the function's
/// documentation, its kind (`send`, `send_raw`, `send_many` or `send_many_raw`) and
/// `fn name(handle: Type);`. Each is a [`maker!`](crate::ffi::maker) taking the handle
/// and then the parameters of its kind (a message; an envelope and bytes; a list of
/// messages; a list of `e365_outgoing`), whose body is the one of this module for that
/// kind.
macro_rules! send_fn {
    ($(#[$doc:meta])* send fn $name:ident($h:ident: $h_ty:ty);) => {
        $crate::ffi::maker! {
            $(#[$doc])*
            fn $name($h: $h_ty, message: *const e365_message) -> new_boxed e365_delivery {
                unsafe { $crate::sending::send($h, message)? }
            }
        }
    };
    ($(#[$doc:meta])* send_raw fn $name:ident($h:ident: $h_ty:ty);) => {
        $crate::ffi::maker! {
            $(#[$doc])*
            #[allow(clippy::too_many_arguments)]
            fn $name(
                $h: $h_ty,
                mail_from: e365_str,
                rcpt_to: *const e365_str,
                rcpt_to_len: usize,
                bytes: *const u8,
                len: usize,
            ) -> new_boxed e365_delivery {
                let raw = || unsafe {
                    $crate::sending::raw_message(mail_from, rcpt_to, rcpt_to_len, bytes, len)
                };
                unsafe { $crate::sending::send_raw($h, raw)? }
            }
        }
    };
    ($(#[$doc:meta])* send_many fn $name:ident($h:ident: $h_ty:ty);) => {
        $crate::sending::send_fn! {
            @list $(#[$doc])* $name($h: $h_ty), messages: e365_message, messages_len
        }
    };
    ($(#[$doc:meta])* send_many_raw fn $name:ident($h:ident: $h_ty:ty);) => {
        $crate::sending::send_fn! {
            @list $(#[$doc])* $name($h: $h_ty), items: e365_outgoing, items_len
        }
    };
    // A list of `$len` pointers to `$entry`s sent with `send_many`.
    (
        @list $(#[$doc:meta])* $name:ident($h:ident: $h_ty:ty),
        $list:ident: $entry:ty,
        $len:ident
    ) => {
        $crate::ffi::maker! {
            $(#[$doc])*
            fn $name(
                $h: $h_ty,
                $list: *const *const $entry,
                $len: usize,
            ) -> new_boxed e365_send_results {
                let items = || unsafe { $crate::sending::outgoing_list($list, $len) };
                unsafe { $crate::sending::send_many($h, items)? }
            }
        }
    };
}

pub(crate) use send_fn;
