//! The command line of `send` and `status`: `--flag value` pairs read with lexopt, each
//! flag declared once with whether it may repeat, and typed getters whose failures are
//! `invalid_argument` errors with reason `usage`.

use super::host::CommandHost;
use super::usage;
use crate::Error;
use std::collections::HashMap;
use std::ffi::OsString;
use std::time::Duration;

/// A flag a command accepts.
pub(super) struct Flag {
    pub name: &'static str,
    pub repeats: bool,
}

impl Flag {
    /// A flag given at most once.
    pub const fn once(name: &'static str) -> Flag {
        Flag {
            name,
            repeats: false,
        }
    }

    /// A flag that may be given many times (each value kept, in order).
    pub const fn repeated(name: &'static str) -> Flag {
        Flag {
            name,
            repeats: true,
        }
    }
}

/// The values given, by flag name, in command-line order.
pub(super) struct Flags {
    values: HashMap<&'static str, Vec<String>>,
}

impl Flags {
    /// Reads `args` against `known`: every flag takes one value; an unknown flag, a
    /// positional argument, a missing value, a repeated single flag or a value that is not
    /// UTF-8 is a usage error.
    pub fn parse(args: Vec<OsString>, known: &[Flag]) -> Result<Flags, Error> {
        use lexopt::prelude::*;
        let mut parser = lexopt::Parser::from_args(args);
        let mut values: HashMap<&'static str, Vec<String>> = HashMap::new();
        loop {
            let arg = parser.next().map_err(|e| usage(e.to_string()))?;
            let Some(arg) = arg else { break };
            let name = match arg {
                Long(name) => name.to_string(),
                Short(c) => return Err(usage(format!("unknown flag -{c}"))),
                Value(v) => {
                    return Err(usage(format!(
                        "unexpected argument {:?}",
                        v.to_string_lossy()
                    )))
                }
            };
            let Some(flag) = known.iter().find(|f| f.name == name) else {
                return Err(usage(format!("unknown flag --{name}")));
            };
            let value = parser
                .value()
                .map_err(|_| usage(format!("--{name} needs a value")))?
                .into_string()
                .map_err(|_| usage(format!("the value of --{name} is not UTF-8")))?;
            let list = values.entry(flag.name).or_default();
            if !flag.repeats && !list.is_empty() {
                return Err(usage(format!("--{name} is given twice")));
            }
            list.push(value);
        }
        Ok(Flags { values })
    }

    /// The value of a single flag, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// The value of a required flag.
    pub fn required(&self, name: &str) -> Result<&str, Error> {
        self.get(name)
            .ok_or_else(|| usage(format!("--{name} is required")))
    }

    /// Every value of a repeatable flag, in order.
    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }

    /// A number of seconds (fractions allowed), more than zero.
    pub fn seconds(&self, name: &str) -> Result<Option<Duration>, Error> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        match v.parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 * 365.0 => {
                Ok(Some(Duration::from_secs_f64(s)))
            }
            _ => Err(usage(format!(
                "--{name} is a number of seconds above zero, not {v:?}"
            ))),
        }
    }

    /// A whole number within `min..=max`.
    pub fn number(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, Error> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(usage(format!(
                "--{name} is a whole number from {min} to {max}, not {v:?}"
            ))),
        }
    }

    /// The password from the environment variable named by `--password-env`.
    pub fn password(&self, host: &dyn CommandHost) -> Result<Option<String>, Error> {
        let Some(var) = self.get("password-env") else {
            return Ok(None);
        };
        host.env_var(var)
            .map(Some)
            .ok_or_else(|| usage(format!("the environment variable {var} is not set")))
    }
}
