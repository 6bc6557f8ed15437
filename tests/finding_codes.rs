//! The README's table of finding codes is made from `Code::ALL`: this test
//! fails when the two drift apart, and prints the table as it should be.

use wimproof::verify::code::Code;

const BEGIN: &str =
    "<!-- finding codes: made from src/verify/code.rs; tests/finding_codes.rs checks it -->";
const END: &str = "<!-- end of finding codes -->";

fn table() -> String {
    let mut t = String::from("| code | meaning |\n|---|---|\n");
    for c in Code::ALL {
        t.push_str(&format!("| `{}` | {} |\n", c.as_str(), c.explanation()));
    }
    t
}

#[test]
fn the_readme_lists_every_finding_code() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let want = table();
    let got = readme
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(t, _)| t.trim_start_matches('\n'))
        .unwrap_or_else(|| panic!("README.md has no finding-code table between the markers; it should be:\n{BEGIN}\n{want}{END}"));
    assert_eq!(
        got, want,
        "README.md's finding-code table is out of date; it should be:\n{BEGIN}\n{want}{END}"
    );
}
