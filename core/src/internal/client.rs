//! What every part of one [`crate::EnducoClient`] shares: the configuration, the connection
//! pool and what the token endpoint taught us. Here, below the public modules, so that the
//! client, the sessions and the token endpoint all depend on it and not on each other.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::config::ClientConfig;
use crate::internal::http::Transport;

pub(crate) struct ClientInner {
    pub(crate) config: ClientConfig,
    pub(crate) transport: Transport,
    pub(crate) grant_spelling: GrantSpelling,
}

/// The `grant_type` of a code exchange. enduco's document writes `code`; the standard (and
/// Spring Authorization Server, which enduco runs) says `authorization_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeGrant {
    /// `authorization_code`, RFC 6749 §4.1.3: tried first.
    Standard,
    /// `code`, as enduco's document writes it: tried once if the standard one is refused.
    Documented,
}

impl CodeGrant {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CodeGrant::Standard => "authorization_code",
            CodeGrant::Documented => "code",
        }
    }
}

/// Which [`CodeGrant`] enduco's token endpoint accepted, once it is known.
#[derive(Debug, Default)]
pub(crate) struct GrantSpelling(AtomicU8);

const UNKNOWN: u8 = 0;
const STANDARD: u8 = 1;
const DOCUMENTED: u8 = 2;

impl GrantSpelling {
    /// What to send first: the spelling that worked before, else the standard one.
    pub(crate) fn first_choice(&self) -> CodeGrant {
        match self.0.load(Ordering::Relaxed) {
            DOCUMENTED => CodeGrant::Documented,
            _ => CodeGrant::Standard,
        }
    }

    pub(crate) fn remember(&self, spelling: CodeGrant) {
        let value = match spelling {
            CodeGrant::Standard => STANDARD,
            CodeGrant::Documented => DOCUMENTED,
        };
        self.0.store(value, Ordering::Relaxed);
    }

    /// Whether an exchange has succeeded (or fallen back) before.
    pub(crate) fn known(&self) -> bool {
        self.0.load(Ordering::Relaxed) != UNKNOWN
    }
}
