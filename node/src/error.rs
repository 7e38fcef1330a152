//! The core's `Error` as a JavaScript rejection.
//!
//! Every error leaves the addon as a plain `Error` whose message is [`MARKER`] followed by a
//! JSON payload (`code`, `message` and the variant's fields). The package's JS wrapper turns
//! that into the typed `EnducoError` subclass; nothing else reads it.

use std::sync::Arc;

use enduco::Error;
use serde_json::{Map, Value, json};

/// Prefix of every error message the addon produces.
pub(crate) const MARKER: &str = "\u{1}enduco-error:";

/// A failure of a token store implemented in JavaScript. `cause_id` names the original thrown
/// value, which the JS wrapper keeps and re-attaches as the error's `cause`.
#[derive(Debug)]
pub(crate) struct JsStoreFailure {
    pub(crate) message: String,
    pub(crate) cause_id: Option<u32>,
}

impl std::fmt::Display for JsStoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JsStoreFailure {}

impl JsStoreFailure {
    /// The core's `store` error carrying this failure as its source.
    pub(crate) fn into_error(self, message: String) -> Error {
        Error::store(message, Some(Arc::new(self)))
    }
}

/// The JSON payload of an error: the core's [`Error::payload`] with camelCased keys, and for
/// a failure of a JavaScript store the id of the value it threw (`causeId`).
pub(crate) fn payload(error: &Error) -> Value {
    let mut fields: Map<String, Value> = error
        .payload()
        .into_iter()
        .map(|(key, value)| (camel_case(&key), value))
        .collect();
    if let Some(source) = error.store_source() {
        // The JS store's failure is the source itself, or somewhere down its chain.
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(source);
        while let Some(error) = current {
            if let Some(js) = error.downcast_ref::<JsStoreFailure>() {
                fields.insert("causeId".into(), json!(js.cause_id));
                break;
            }
            current = error.source();
        }
    }
    Value::Object(fields)
}

/// `retry_after` → `retryAfter`.
fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// The rejection value of a core error.
pub(crate) fn to_napi(error: Error) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!("{MARKER}{}", payload(&error)),
    )
}

/// An `invalid_input` error for an argument the binding cannot convert.
pub(crate) fn invalid_input(message: impl Into<String>) -> napi::Error {
    to_napi(Error::InvalidInput {
        message: message.into(),
    })
}

/// `?`-friendly conversion of core results.
pub(crate) trait OrThrow<T> {
    fn or_throw(self) -> napi::Result<T>;
}

impl<T> OrThrow<T> for enduco::Result<T> {
    fn or_throw(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}

/// A JS number that must be a whole number in `u32` range.
pub(crate) fn whole_number(name: &str, value: f64) -> napi::Result<u32> {
    if value.is_finite() && value.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&value) {
        Ok(value as u32)
    } else {
        Err(invalid_input(format!(
            "{name} must be a non-negative whole number, not {value}"
        )))
    }
}

/// A model (zones, plans, …) as the plain JS object its serde form describes.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> napi::Result<Value> {
    serde_json::to_value(value).map_err(|e| {
        to_napi(Error::InvalidResponse {
            message: format!("cannot convert the response for JavaScript: {e}"),
        })
    })
}
