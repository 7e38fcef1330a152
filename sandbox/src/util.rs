//! Small helpers shared by the endpoints: form parameters, JSON errors, encodings (thin
//! wrappers over `url`'s form_urlencoded and `percent-encoding`).

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::de::DeserializeOwned;
use serde_json::json;

/// Decoded `application/x-www-form-urlencoded` parameters (a query string or a form body),
/// in order, duplicates kept so they can be refused.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(input: &[u8]) -> Params {
        Params(
            url::form_urlencoded::parse(input)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    /// The value of `name`; an empty value counts as absent (as Spring treats them).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The first parameter among `names` that appears more than once (RFC 6749 §3.1, §3.2:
    /// "Request and response parameters MUST NOT be included more than once").
    pub fn duplicated<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names
            .iter()
            .find(|&&n| self.0.iter().filter(|(k, _)| k == n).count() > 1)
            .copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// `{"error", "error_description"}` with the given status (RFC 6749 §5.2 shape, used by the
/// data and control endpoints too).
pub(crate) fn json_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

pub(crate) fn bad_request(description: &str) -> Response {
    json_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// Parses a JSON body whatever its Content-Type (control calls come from curl and five
/// languages' test helpers; being strict about headers there would only get in the way).
/// An empty body parses as `{}`.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| bad_request(&format!("invalid JSON body: {e}")))
}

/// True when the Content-Type is `application/x-www-form-urlencoded` (parameters ignored).
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is percent-encoded.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986 unreserved characters. Used for the parameters
/// the sandbox appends to redirect URIs: `%20` rather than `+` for a space, so decoders that
/// do not treat `+` as a space (Swift's URLComponents) read the same value as form decoders
/// (`form_urlencoded::Serializer` would write `+`).
pub(crate) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Decodes one form-urlencoded component (`+` is a space); `None` on a bad escape or
/// invalid UTF-8.
pub(crate) fn form_decode(s: &str) -> Option<String> {
    // percent-encoding passes a `%` without two hex digits through unchanged (WHATWG URL
    // decoding); in client credentials that means the client encoded something else than it
    // meant, so it is refused as malformed instead.
    let bad_escape = s.split('%').skip(1).any(|after| {
        !after
            .get(..2)
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if bad_escape {
        return None;
    }
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decode_handles_escapes() {
        assert_eq!(form_decode("a%3Ab+c").as_deref(), Some("a:b c"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
        assert_eq!(form_decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(form_decode("%FF"), None);
        assert_eq!(form_decode("%%41"), None);
        assert_eq!(form_decode("100%25").as_deref(), Some("100%"));
    }

    #[test]
    fn percent_encode_keeps_unreserved_only() {
        assert_eq!(percent_encode("a b+c/é~"), "a%20b%2Bc%2F%C3%A9~");
    }

    #[test]
    fn params_duplicates_and_empty() {
        let p = Params::parse(b"a=1&b=&a=2");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.duplicated(&["b", "a"]), Some("a"));
    }
}
