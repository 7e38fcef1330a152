//! What the tests that write a binding's generated files share (`error_classes`, `typescript`,
//! `python_models`): word wrapping, Python docstrings, and writing a file or failing when the
//! committed one is stale.

// Each test crate uses a part of this module.
#![allow(dead_code)]

use std::path::Path;

/// `text` as lines of at most `width` characters (words are never split).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().unwrap();
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// A Python docstring of `text`, indented by `indent`, lines of at most 100 characters.
pub fn docstring(indent: &str, text: &str) -> String {
    let text = text.replace('\\', "\\\\").replace("\"\"\"", "'''");
    // Room for the quotes at both ends.
    let lines = wrap(&text, 94 - indent.len());
    format!(
        "{indent}\"\"\"{}\"\"\"\n",
        lines.join(&format!("\n{indent}"))
    )
}

/// Writes `text` to `relative` (from the repository root) when the environment variable that
/// `refresh` (the command to regenerate it) sets is set; otherwise fails when they differ.
pub fn check_or_write(relative: &str, text: &str, refresh: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    let variable = refresh.split('=').next().unwrap_or_default();
    if std::env::var_os(variable).is_some() {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {relative}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{relative} is not what the core declares; refresh it with\n  {refresh}"
    );
}
