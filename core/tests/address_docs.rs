//! The diagnosis codes documented in docs/ADDRESSES.md are exactly the validator's.

use email365::address::REASONS;

#[test]
fn every_reason_code_is_documented_and_no_other() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ADDRESSES.md"))
        .expect("docs/ADDRESSES.md exists");
    let start = doc
        .find("## Diagnosis codes")
        .expect("a Diagnosis codes section");
    let end = doc[start + 3..]
        .find("\n## ")
        .map_or(doc.len(), |i| start + 3 + i);
    let documented: Vec<&str> = doc[start..end]
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    let codes: Vec<&str> = REASONS.iter().map(|(code, _)| *code).collect();
    assert_eq!(
        documented, codes,
        "docs/ADDRESSES.md lists the codes of REASONS in the same order"
    );
}
