//! The permissions an app asks enduco for. Its own module because both the OAuth flow and the
//! token set (which checks what was granted) need it.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The permissions an app can ask enduco for.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Upload finished workouts as FIT files.
    WorkoutsWrite,
    /// Read training plans up to 7 days ahead.
    PlansRead,
    /// Read the user's intensity zones.
    UserRead,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::UserRead, Scope::PlansRead, Scope::WorkoutsWrite];

    /// The scope as enduco spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::WorkoutsWrite => "workouts_write",
            Scope::PlansRead => "plans_read",
            Scope::UserRead => "user_read",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "unknown scope {s:?}; enduco's scopes are workouts_write, plans_read and user_read"
                ))
            })
    }
}
