//! `parse_webhook`: webhook bodies come from the network, unauthenticated. By contract it
//! never fails; whatever it cannot read is `Unknown { raw }`.
//!
//! Also checked: `raw` is the body (lossy UTF-8), and a recognised event serialized back to its
//! wire shape (`{"type": …, "userId": …}`) parses to the same event.
#![no_main]

use enduco::{WebhookEvent, parse_webhook};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let event = parse_webhook(data);
    let _ = format!("{event:?}");
    match &event {
        WebhookEvent::Unknown { raw } => {
            assert_eq!(raw, &String::from_utf8_lossy(data));
            assert!(event.user_id().is_none());
        }
        known => {
            let user_id = known.user_id().expect("a known event names its user");
            assert!(!user_id.trim().is_empty(), "empty user id accepted");
            let wire = serde_json::to_vec(known).expect("an event serializes");
            let again = parse_webhook(&wire);
            assert_eq!(
                &again,
                known,
                "serialized event {} does not parse back",
                String::from_utf8_lossy(&wire)
            );
        }
    }
});
