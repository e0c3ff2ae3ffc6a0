//! `status`: the state of a notification, read once or waited for until final (or the
//! `--wait` deadline), as one JSON line.

use super::args::{Flag, Flags};
use super::{json, usage, EXIT_OK};
use crate::http::StatusClient;
use crate::Error;
use std::ffi::OsString;
use std::io::Write;

const FLAGS: &[Flag] = &[
    Flag::once("account"),
    Flag::once("username"),
    Flag::once("password-env"),
    Flag::once("region"),
    Flag::once("base-url"),
    Flag::once("ca"),
    Flag::once("id"),
    Flag::once("recipient"),
    Flag::once("wait"),
    Flag::once("timeout"),
];

pub(super) fn main(args: Vec<OsString>, out: &mut dyn Write) -> u8 {
    let result = Flags::parse(args, FLAGS).and_then(|flags| {
        let notification = run(&flags)?;
        let _ = writeln!(out, "{}", json::notification(&notification));
        Ok(EXIT_OK)
    });
    super::finish(out, result)
}

fn run(flags: &Flags) -> Result<crate::status::Notification, Error> {
    let account = flags.required("account")?;
    let username = flags.required("username")?;
    let password = flags
        .password()?
        .ok_or_else(|| usage("--password-env is required"))?;
    let id = flags.required("id")?;
    let recipient = flags.get("recipient");
    let mut builder = StatusClient::builder(account, username, password);
    if let Some(region) = flags.get("region") {
        builder = builder.region(region);
    }
    if let Some(url) = flags.get("base-url") {
        builder = builder.base_url(url);
    }
    if let Some(ca) = flags.get("ca") {
        builder = builder.extra_ca_file(ca);
    }
    if let Some(limit) = flags.seconds("timeout")? {
        builder = builder.connect_timeout(limit).request_timeout(limit);
    }
    let wait = flags.seconds("wait")?;
    let client = builder.build()?;
    match wait {
        Some(deadline) => client.wait_for(id, recipient, deadline),
        None => client.get(id, recipient),
    }
}
