//! enduco-sandbox
pub mod fit;
