//! `--name value` command-line flags for the bench binaries (a handful of numbers and
//! lists each; a parser dependency would outweigh them).

use std::collections::HashMap;
use std::str::FromStr;

/// Parsed `--name value` pairs and bare `--flag`s.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, String>,
}

impl Args {
    /// Reads `std::env::args()`; a flag not followed by a value (or followed by another
    /// flag) gets the value `"true"`.
    pub fn from_env() -> Args {
        Args::parse(std::env::args().skip(1))
    }

    /// Parses `items`.
    pub fn parse(items: impl IntoIterator<Item = String>) -> Args {
        let items: Vec<String> = items.into_iter().collect();
        let mut values = HashMap::new();
        let mut i = 0;
        while i < items.len() {
            if let Some(name) = items[i].strip_prefix("--") {
                if let Some((k, v)) = name.split_once('=') {
                    values.insert(k.to_string(), v.to_string());
                } else if i + 1 < items.len() && !items[i + 1].starts_with("--") {
                    values.insert(name.to_string(), items[i + 1].clone());
                    i += 1;
                } else {
                    values.insert(name.to_string(), "true".to_string());
                }
            }
            i += 1;
        }
        Args { values }
    }

    /// The raw value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// `name` parsed, or `default`; exits with a message on a bad value.
    pub fn value<T: FromStr>(&self, name: &str, default: T) -> T {
        match self.get(name) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                eprintln!("--{name}: cannot read {v:?}");
                std::process::exit(2)
            }),
        }
    }

    /// A comma-separated list, or `default`.
    pub fn list<T: FromStr + Clone>(&self, name: &str, default: &[T]) -> Vec<T> {
        match self.get(name) {
            None => default.to_vec(),
            Some(v) => v
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.trim().parse().unwrap_or_else(|_| {
                        eprintln!("--{name}: cannot read {s:?}");
                        std::process::exit(2)
                    })
                })
                .collect(),
        }
    }

    /// Whether a bare `--name` (or `--name true`) was given.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true") | Some("1") | Some("yes"))
    }
}

#[cfg(test)]
mod tests {
    use super::Args;

    #[test]
    fn reads_values_lists_and_flags() {
        let a = Args::parse(
            ["--n", "5", "--rtt=0,5,20", "--quiet", "--seed", "9"]
                .iter()
                .map(|s| s.to_string()),
        );
        assert_eq!(a.value("n", 1usize), 5);
        assert_eq!(a.list::<u64>("rtt", &[1]), vec![0, 5, 20]);
        assert!(a.flag("quiet"));
        assert!(!a.flag("loud"));
        assert_eq!(a.value("seed", 0u64), 9);
        assert_eq!(a.value("missing", 3u32), 3);
    }
}
