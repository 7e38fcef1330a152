//! The core's `tracing` events → Python `logging`, under the logger `enduco` (a target such as
//! `enduco::session` becomes the child logger `enduco.session`). The core's events carry no
//! secrets; only events of the `enduco` crate are forwarded.

use std::fmt::{self, Write as _};

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

fn ours(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    target == "enduco" || target.starts_with("enduco::")
}

struct PythonLogging;

#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

fn python_level(level: &Level) -> u32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if ours(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        ours(metadata)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let level = python_level(metadata.level());
        let name = metadata.target().replace("::", ".");
        let mut text = Text::default();
        event.record(&mut text);
        let message = text.message + &text.fields;
        // Counted entry: never block interpreter shutdown, never run into it.
        crate::runtime::with_python(|py| {
            let emit = || -> PyResult<()> {
                let logger = py.import("logging")?.call_method1("getLogger", (&name,))?;
                if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                    return Ok(());
                }
                let record = logger.call_method1(
                    "makeRecord",
                    (
                        &name,
                        level,
                        metadata.file().unwrap_or("<rust>"),
                        metadata.line().unwrap_or(0),
                        &message,
                        (),
                        py.None(),
                    ),
                )?;
                logger.call_method1("handle", (record,))?;
                Ok(())
            };
            if let Err(e) = emit() {
                if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                    // Python code on the main thread took a pending Ctrl-C here: hand it back
                    // to whoever checks signals next instead of losing it.
                    let _ = py
                        .import("_thread")
                        .and_then(|t| t.call_method0("interrupt_main"));
                } else {
                    e.write_unraisable(py, None);
                }
            }
        });
    }
}

/// Installs the bridge once per process (a no-op if some other subscriber is already global).
pub(crate) fn install() {
    let subscriber = tracing_subscriber::registry().with(PythonLogging);
    let _ = tracing::subscriber::set_global_default(subscriber);
}
