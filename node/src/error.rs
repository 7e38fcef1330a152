//! The core's `Error` as a JavaScript rejection.
//!
//! Every error leaves the addon as a plain `Error` whose message is [`MARKER`] followed by a
//! JSON payload (`code`, `message` and the variant's fields). The package's JS wrapper turns
//! that into the typed `EnducoError` subclass; nothing else reads it.

use std::sync::Arc;

use enduco::Error;
use heck::ToLowerCamelCase;
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
        .map(|(key, value)| (key.to_lower_camel_case(), value))
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

/// A result for JavaScript as JSON text, turned into objects by V8's own `JSON.parse` on the
/// JS thread.
///
/// Performance (issue 15): handing a `serde_json::Value` to napi builds the object field by
/// field — one napi call, one property transition and one UTF-8 string per field and value.
/// In the profile of `intensityZones()` at 64 concurrent calls that conversion (napi's
/// `map_to_napi_value`, V8's `LookupIterator`/`MigrateToMap`, malloc and free of the `Value`
/// tree) was the largest piece of the JS thread's busy time. Serializing on the Tokio thread
/// and parsing once in V8 gives the same plain objects (same keys, values and `null`s).
pub struct JsonText(String);

impl napi::bindgen_prelude::TypeName for JsonText {
    fn type_name() -> &'static str {
        "any"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Object
    }
}

impl napi::bindgen_prelude::ToNapiValue for JsonText {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        use napi::sys;
        use std::ptr;

        let check = |status: sys::napi_status, what: &str| {
            if status == sys::Status::napi_ok {
                Ok(())
            } else {
                Err(napi::Error::new(
                    napi::Status::GenericFailure,
                    format!("cannot convert the response for JavaScript ({what})"),
                ))
            }
        };
        // SAFETY: called by napi on the JS thread with a live `env`; every out-pointer is a
        // local, and `text` outlives the string creation that copies it.
        unsafe {
            let mut global = ptr::null_mut();
            check(sys::napi_get_global(env, &mut global), "global")?;
            let mut json = ptr::null_mut();
            check(
                sys::napi_get_named_property(env, global, c"JSON".as_ptr(), &mut json),
                "JSON",
            )?;
            let mut parse = ptr::null_mut();
            check(
                sys::napi_get_named_property(env, json, c"parse".as_ptr(), &mut parse),
                "JSON.parse",
            )?;
            let text = val.0;
            let mut js_text = ptr::null_mut();
            check(
                sys::napi_create_string_utf8(
                    env,
                    text.as_ptr().cast(),
                    text.len() as isize,
                    &mut js_text,
                ),
                "string",
            )?;
            let mut out = ptr::null_mut();
            check(
                sys::napi_call_function(env, json, parse, 1, &js_text, &mut out),
                "JSON.parse",
            )?;
            Ok(out)
        }
    }
}

/// [`to_json`] as [`JsonText`].
pub(crate) fn to_json_text<T: serde::Serialize>(value: &T) -> napi::Result<JsonText> {
    serde_json::to_string(value).map(JsonText).map_err(|e| {
        to_napi(Error::InvalidResponse {
            message: format!("cannot convert the response for JavaScript: {e}"),
        })
    })
}
