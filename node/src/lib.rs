//! Node.js bindings of the enduco SDK (napi-rs).
//!
//! This crate converts types, errors and async only; every decision lives in the `enduco`
//! core. The package's JS wrapper (`index.js`) turns the errors into typed `EnducoError`
//! classes and adapts the user's token store; `index.d.ts` is the public contract.

#![deny(clippy::all)]
// Under `cfg(test)` napi-derive registers nothing, so the exported items look unused.
#![cfg_attr(test, allow(dead_code))]

mod cancel;
mod client;
mod error;
mod export;
mod guard;
mod models;
mod relay;
mod server_store;
mod session;
mod store;
mod tokens;
