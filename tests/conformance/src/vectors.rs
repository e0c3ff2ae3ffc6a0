//! Reading the shared vector files of `tests/vectors/` and comparing an answer with a
//! case's expectation. The Python runner `run_vectors.py` applies the same rules to
//! every other driver.

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// One case of a vector file.
#[derive(Debug, Clone)]
pub struct Case {
    /// `file.json#id`.
    pub name: String,
    /// The request line sent to a driver.
    pub request: Value,
    /// `{"ok": …}` or `{"error": {…}}` (only the keys given are compared).
    pub expect: Value,
}

/// The folder of the shared vectors.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// Replaces every `{"$repeat": s, "times": n}` by `s` repeated `n` times, so that
/// large inputs need not be stored.
pub fn expand(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(s)), Some(n)) = (map.get("$repeat"), map.get("times")) {
                if map.len() == 2 {
                    return Value::String(s.repeat(n.as_u64().unwrap_or(0) as usize));
                }
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), expand(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
        other => other.clone(),
    }
}

/// Every case of every `*.json` file directly in `dir`, sorted by file name.
pub fn load_cases(dir: &Path) -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("vector file");
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()));
        let fname = file.file_name().unwrap().to_string_lossy().into_owned();
        let op = doc["op"]
            .as_str()
            .unwrap_or_else(|| panic!("{fname}: no op"));
        for case in doc["cases"]
            .as_array()
            .unwrap_or_else(|| panic!("{fname}: no cases"))
        {
            let id = case["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{fname}: case without id"));
            cases.push(Case {
                name: format!("{fname}#{id}"),
                request: json!({"op": op, "args": expand(&case["args"])}),
                expect: case["expect"].clone(),
            });
        }
    }
    cases
}

/// `None` when `answer` meets `expect`, else a description of the difference.
pub fn compare(expect: &Value, answer: &Value) -> Option<String> {
    if let Some(ok) = expect.get("ok") {
        return match answer.get("ok") {
            Some(got) if got == ok => None,
            _ => Some(format!("expected {expect}\n     got {answer}")),
        };
    }
    if let Some(Value::Object(want)) = expect.get("error") {
        let Some(got) = answer.get("error") else {
            return Some(format!("expected {expect}\n     got {answer}"));
        };
        for (key, value) in want {
            if got.get(key) != Some(value) {
                return Some(format!(
                    "error.{key}: expected {value}, got {}\n     answer {answer}",
                    got.get(key).unwrap_or(&Value::Null)
                ));
            }
        }
        return None;
    }
    Some(format!(
        "case has neither expect.ok nor expect.error: {expect}"
    ))
}
