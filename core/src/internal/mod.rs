//! Machinery behind the public modules: HTTP with retries, error mapping. Nothing here is
//! part of the API.

pub(crate) mod client;
pub(crate) mod http;
pub(crate) mod random;
pub(crate) mod store_calls;
