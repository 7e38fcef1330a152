//! Writes the error classes of the Node and Python packages from the core's table of error
//! cases ([`enduco::ERROR_CASES`]): `node/lib/errors.ts` (compiled with the rest of
//! `lib/index.ts`) and `python/enduco/_error_classes.py`. A case, its payload fields and the
//! advice to the app are declared once, in `core/src/error.rs`; each binding builds the class
//! of a payload's `code` and hands it the payload's fields (docs/errors.md). The files are
//! committed; this test fails when they are stale and says how to refresh them:
//!
//! ```sh
//! ENDUCO_WRITE_ERRORS=1 cargo test -p enduco --test error_classes
//! ```

use std::fmt::Write as _;
use std::path::Path;

use enduco::{ERROR_CASES, FieldKind, PayloadField};

const HEADER: &str = "Generated from the core's error cases (enduco::ERROR_CASES, core/src/error.rs) by \
                      core/tests/error_classes.rs; do not edit.";

/// `text` as lines of at most `width` characters (words are never split).
fn wrap(text: &str, width: usize) -> Vec<String> {
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

/// A JSDoc block (one line when it fits), indented by `indent`.
fn jsdoc(indent: &str, text: &str) -> String {
    let lines = wrap(text, 96 - indent.len() - 4);
    if lines.len() == 1 {
        return format!("{indent}/** {} */\n", lines[0]);
    }
    let mut out = format!("{indent}/**\n");
    for line in lines {
        let _ = writeln!(out, "{indent} * {line}");
    }
    let _ = writeln!(out, "{indent} */");
    out
}

fn camel_case(name: &str) -> String {
    let mut parts = name.split('_');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

fn ts_type(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Text => "string",
        FieldKind::OptionalText => "string | null",
        FieldKind::TextList => "string[]",
        FieldKind::OptionalSeconds | FieldKind::OptionalStatus => "number | null",
        FieldKind::Status => "number",
    }
}

/// Node-only members of a class: what the binding itself adds to the core's payload.
fn node_extras(code: &str) -> Option<(&'static str, &'static str)> {
    match code {
        // A workout file Node cannot stat: the binding adds Node's own error fields.
        "invalid_input" => Some((
            "  /** For a workout file Node cannot stat: Node's `errno` (e.g. -2), `syscall` and \
             `path`; the\n   * `cause` is Node's system error (`code: 'ENOENT'`, …). */\n  \
             declare readonly errno?: number\n  declare readonly syscall?: string\n  \
             declare readonly path?: string\n",
            "{ errno?: number; syscall?: string; path?: string }",
        )),
        // The value a JavaScript store threw.
        "store" => Some(("  declare readonly cause?: unknown\n", "object")),
        _ => None,
    }
}

fn node_file() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// {HEADER}\n// Refresh: ENDUCO_WRITE_ERRORS=1 cargo test -p enduco --test error_classes\n"
    );
    out.push_str("/** The stable name of each failure, the same string in every enduco SDK. */\n");
    out.push_str("export type EnducoErrorCode =\n");
    for case in ERROR_CASES {
        let _ = writeln!(out, "  | '{}'", case.code);
    }
    out.push_str(
        "
/** The standard `Error` options (written out: `ErrorOptions` needs lib es2022 in the user's config). */
type CauseOptions = { cause?: unknown }

/**
 * Every failure of the SDK. Check `code` (or `instanceof` a subclass). Messages, `stack` and
 * `JSON.stringify(error)` never contain a token, a code or the client secret.
 */
export class EnducoError extends Error {
  // `declare` fields: set in the constructor (and by `details`), no class field emitted.
  declare readonly code: EnducoErrorCode
  constructor(code: EnducoErrorCode, message: string, details?: object, options?: CauseOptions) {
    super(message, options)
    this.code = code
    if (details) Object.assign(this, details)
  }
}

// Each class's public constructor signature is what users may call; the implementation
// signature (message, details, options) is what the package calls for every code.
",
    );
    for case in ERROR_CASES {
        out.push('\n');
        out.push_str(&jsdoc("", case.doc));
        let _ = writeln!(
            out,
            "export class {} extends EnducoError {{",
            case.class_name
        );
        let _ = writeln!(out, "  declare readonly code: '{}'", case.code);
        for PayloadField { name, kind, doc } in case.fields {
            out.push_str(&jsdoc("  ", doc));
            let _ = writeln!(
                out,
                "  declare readonly {}: {}",
                camel_case(name),
                ts_type(*kind)
            );
        }
        let extras = node_extras(case.code);
        if let Some((members, details)) = extras {
            out.push_str(members);
            let _ = writeln!(
                out,
                "  constructor(message: string, details?: {details}, options?: CauseOptions) {{"
            );
        } else {
            let details: Vec<String> = case
                .fields
                .iter()
                .map(|f| format!("{}: {}", camel_case(f.name), ts_type(f.kind)))
                .collect();
            if details.is_empty() {
                out.push_str("  constructor(message: string)\n");
            } else {
                let _ = writeln!(
                    out,
                    "  constructor(message: string, details: {{ {} }})",
                    details.join("; ")
                );
            }
            out.push_str(
                "  constructor(message: string, details?: object, options?: CauseOptions) {\n",
            );
        }
        let _ = writeln!(out, "    super('{}', message, details, options)", case.code);
        out.push_str("  }\n}\n");
    }
    out.push_str(
        "\n/** Alias of {@link EnducoTimeoutError}. */\nexport const TimeoutError = EnducoTimeoutError\n",
    );
    out.push_str(
        "\n/** Every concrete error, for narrowing on `code`. */\nexport type AnyEnducoError =\n",
    );
    for case in ERROR_CASES {
        let _ = writeln!(out, "  | {}", case.class_name);
    }
    // `name` on the prototype: what stack traces and `util.inspect` show.
    out.push_str("\nfor (const cls of [EnducoError");
    for case in ERROR_CASES {
        let _ = write!(out, ", {}", case.class_name);
    }
    out.push_str("]) cls.prototype.name = cls.name\n");
    out
}

fn py_type(kind: FieldKind) -> (&'static str, &'static str) {
    match kind {
        FieldKind::Text => ("str", "\"\""),
        FieldKind::OptionalText => ("Optional[str]", "None"),
        FieldKind::TextList => ("Optional[List[str]]", "None"),
        FieldKind::OptionalSeconds => ("Optional[float]", "None"),
        FieldKind::Status => ("int", "0"),
        FieldKind::OptionalStatus => ("Optional[int]", "None"),
    }
}

/// Python-only: builtin exceptions a class also is, so that `except TimeoutError` catches it.
fn py_extra_base(code: &str) -> &'static str {
    match code {
        "timeout" => ", builtins.TimeoutError",
        _ => "",
    }
}

/// Python-only: the names these fields had before the SDKs agreed on one (kept for old code).
fn py_aliases(code: &str) -> &'static [(&'static str, &'static str)] {
    match code {
        "authorization_denied" => &[("error", "oauth_error")],
        "api" => &[("message", "api_message")],
        _ => &[],
    }
}

fn docstring(indent: &str, text: &str) -> String {
    let lines = wrap(text, 96 - indent.len());
    let mut out = format!("{indent}\"\"\"");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        out.push_str(line);
    }
    out.push_str("\"\"\"\n");
    out
}

fn python_file() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {HEADER}\n# Refresh: ENDUCO_WRITE_ERRORS=1 cargo test -p enduco --test error_classes"
    );
    out.push_str(
        r#""""The exception class of each error code of the SDK (``enduco._errors`` adds the binding's own)."""

from __future__ import annotations

import builtins

# `typing` costs ~10 ms at `import enduco` and is needed by the annotations only, which
# `from __future__ import annotations` leaves unevaluated. Type checkers treat any name
# `TYPE_CHECKING` as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional


class EnducoError(Exception):
    """Base class of every enduco error; :attr:`code` names the case. Messages never contain a
    token, an authorization code or the client secret."""

    #: The stable, language-independent name of the case (``"invalid_input"``, ``"store"``, …).
    code: str = "enduco"

    def __init__(self, message: str = "", *, code: Optional[str] = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
"#,
    );
    for case in ERROR_CASES {
        let _ = write!(
            out,
            "\n\nclass {}(EnducoError{}):\n",
            case.class_name,
            py_extra_base(case.code)
        );
        out.push_str(&docstring("    ", case.doc));
        let _ = writeln!(out, "\n    code = \"{}\"", case.code);
        if case.fields.is_empty() {
            continue;
        }
        out.push_str("\n    def __init__(\n        self,\n        message: str = \"\",\n        *,\n        code: Optional[str] = None,\n");
        for field in case.fields {
            let (ty, default) = py_type(field.kind);
            let _ = writeln!(out, "        {}: {ty} = {default},", field.name);
        }
        out.push_str("    ) -> None:\n        super().__init__(message, code=code)\n");
        for field in case.fields {
            for line in wrap(field.doc, 96 - 11) {
                let _ = writeln!(out, "        #: {line}");
            }
            if field.kind == FieldKind::TextList {
                let _ = writeln!(
                    out,
                    "        self.{0}: List[str] = list({0} or [])",
                    field.name
                );
            } else {
                let _ = writeln!(out, "        self.{0} = {0}", field.name);
            }
        }
        for (alias, field) in py_aliases(case.code) {
            let _ = writeln!(
                out,
                "        #: The same as :attr:`{field}` (the name before the SDKs agreed on one).\n        self.{alias} = {field}"
            );
        }
    }
    out.push_str("\n\n#: The class of each error code.\nCLASSES = {\n");
    for case in ERROR_CASES {
        let _ = writeln!(out, "    \"{}\": {},", case.code, case.class_name);
    }
    out.push_str("}\n\n__all__ = [\"EnducoError\"");
    for case in ERROR_CASES {
        let _ = write!(out, ", \"{}\"", case.class_name);
    }
    out.push_str("]\n");
    out
}

/// Writes `text` to `relative` (from the repository root) or fails when it differs.
fn check_or_write(relative: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    if std::env::var_os("ENDUCO_WRITE_ERRORS").is_some() {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {relative}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{relative} is not what the core's error cases declare; refresh it with\n  \
         ENDUCO_WRITE_ERRORS=1 cargo test -p enduco --test error_classes"
    );
}

#[test]
fn node_error_classes_are_current() {
    check_or_write("node/lib/errors.ts", &node_file());
}

#[test]
fn python_error_classes_are_current() {
    check_or_write("python/enduco/_error_classes.py", &python_file());
}
