//! Deterministic per-user training numbers and the intensity zones derived from them.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Thresholds of one athlete. The sandbox's default user is the reference triathlete
/// (FTP 250 W, LTHR 165 bpm, …); every other user id gets numbers derived from a hash of the
/// id, so each user is stable across runs and users differ from each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Athlete {
    /// Functional threshold power, W.
    pub ftp: u32,
    /// Lactate threshold heart rate on the bike, bpm.
    pub bike_lthr: u32,
    /// Lactate threshold heart rate running, bpm.
    pub run_lthr: u32,
    /// Threshold running pace, s/km.
    pub run_pace: u32,
    /// Critical swim speed as pace, s/100m.
    pub swim_pace: u32,
}

const REFERENCE: Athlete = Athlete {
    ftp: 250,
    bike_lthr: 165,
    run_lthr: 172,
    run_pace: 270,
    swim_pace: 95,
};

impl Athlete {
    pub fn of(user: &str, default_user: &str) -> Athlete {
        if user == default_user {
            return REFERENCE;
        }
        let h = Sha256::digest(user.as_bytes());
        let pick = |i: usize, span: u32| (u32::from(h[i]) << 8 | u32::from(h[i + 1])) % span;
        Athlete {
            ftp: 180 + pick(0, 161),      // 180..=340 W
            bike_lthr: 150 + pick(2, 31), // 150..=180 bpm
            run_lthr: 158 + pick(4, 29),  // 158..=186 bpm
            run_pace: 210 + pick(6, 121), // 3:30..=5:30 /km
            swim_pace: 75 + pick(8, 46),  // 1:15..=2:00 /100m
        }
    }
}

/// One zone; `None` bounds are open (serialised as `null`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Zone {
    pub index: u8,
    pub name: &'static str,
    pub lower: Option<u32>,
    pub upper: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ZoneSet {
    pub sport: &'static str,
    pub metric: &'static str,
    pub unit: &'static str,
    pub threshold: u32,
    pub zones: Vec<Zone>,
}

impl ZoneSet {
    pub fn zone(&self, index: u8) -> Option<&Zone> {
        self.zones.iter().find(|z| z.index == index)
    }
}

fn percent(threshold: u32, pct: u32) -> u32 {
    (threshold * pct + 50) / 100
}

/// Zones where more is harder (power, heart rate): zone 1 starts at 0, the top zone is open.
/// `upper_pcts` are each zone's upper bound in % of threshold, all but the last zone.
fn rising(threshold: u32, names: &[&'static str], upper_pcts: &[u32]) -> Vec<Zone> {
    let uppers: Vec<u32> = upper_pcts.iter().map(|&p| percent(threshold, p)).collect();
    names
        .iter()
        .enumerate()
        .map(|(i, &name)| Zone {
            index: i as u8 + 1,
            name,
            lower: Some(if i == 0 { 0 } else { uppers[i - 1] + 1 }),
            upper: uppers.get(i).copied(),
        })
        .collect()
}

/// Pace zones, where more seconds is easier: zone 1 (slowest) is open at the top, the
/// fastest zone open at the bottom. `slow_pcts` are the boundaries in % of threshold pace,
/// from the zone 1/2 boundary down.
fn pace(threshold: u32, names: &[&'static str], slow_pcts: &[u32]) -> Vec<Zone> {
    let cuts: Vec<u32> = slow_pcts.iter().map(|&p| percent(threshold, p)).collect();
    names
        .iter()
        .enumerate()
        .map(|(i, &name)| Zone {
            index: i as u8 + 1,
            name,
            lower: cuts.get(i).map(|c| c + 1),
            upper: if i == 0 { None } else { Some(cuts[i - 1]) },
        })
        .collect()
}

const HR_NAMES: [&str; 5] = ["Recovery", "Aerobic", "Tempo", "Threshold", "VO2max"];
const PACE_NAMES: [&str; 5] = ["Recovery", "Endurance", "Tempo", "Threshold", "VO2max"];

impl Athlete {
    pub fn bike_power(&self) -> ZoneSet {
        ZoneSet {
            sport: "cycling",
            metric: "power",
            unit: "W",
            threshold: self.ftp,
            // Coggan's seven power zones.
            zones: rising(
                self.ftp,
                &[
                    "Active Recovery",
                    "Endurance",
                    "Tempo",
                    "Lactate Threshold",
                    "VO2max",
                    "Anaerobic Capacity",
                    "Neuromuscular Power",
                ],
                &[55, 75, 90, 105, 120, 150],
            ),
        }
    }

    pub fn bike_heart_rate(&self) -> ZoneSet {
        ZoneSet {
            sport: "cycling",
            metric: "heart_rate",
            unit: "bpm",
            threshold: self.bike_lthr,
            // Friel's cycling heart-rate zones (5a-5c merged).
            zones: rising(self.bike_lthr, &HR_NAMES, &[81, 89, 93, 99]),
        }
    }

    pub fn run_pace(&self) -> ZoneSet {
        ZoneSet {
            sport: "running",
            metric: "pace",
            unit: "s/km",
            threshold: self.run_pace,
            zones: pace(self.run_pace, &PACE_NAMES, &[129, 113, 105, 99]),
        }
    }

    pub fn run_heart_rate(&self) -> ZoneSet {
        ZoneSet {
            sport: "running",
            metric: "heart_rate",
            unit: "bpm",
            threshold: self.run_lthr,
            // Friel's running heart-rate zones.
            zones: rising(self.run_lthr, &HR_NAMES, &[85, 89, 94, 99]),
        }
    }

    pub fn swim_pace(&self) -> ZoneSet {
        ZoneSet {
            sport: "swimming",
            metric: "pace",
            unit: "s/100m",
            threshold: self.swim_pace,
            zones: pace(self.swim_pace, &PACE_NAMES, &[115, 108, 103, 98]),
        }
    }

    pub fn all_zones(&self) -> Vec<ZoneSet> {
        vec![
            self.bike_power(),
            self.bike_heart_rate(),
            self.run_pace(),
            self.run_heart_rate(),
            self.swim_pace(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_athlete_zones() {
        let a = Athlete::of("athlete-1001", "athlete-1001");
        let power = a.bike_power();
        assert_eq!(power.threshold, 250);
        assert_eq!(power.zones.len(), 7);
        assert_eq!(power.zones[0].lower, Some(0));
        assert_eq!(power.zones[0].upper, Some(138));
        assert_eq!(power.zones[3].lower, Some(226));
        assert_eq!(power.zones[3].upper, Some(263));
        assert_eq!(power.zones[6].upper, None);
        assert_eq!(a.bike_heart_rate().threshold, 165);
        assert_eq!(a.run_pace().threshold, 270);
        assert_eq!(a.swim_pace().threshold, 95);
    }

    #[test]
    fn zones_are_ordered_and_cover_the_threshold_once() {
        for user in ["athlete-1001", "a", "b", "someone@example.com", "x-42"] {
            let a = Athlete::of(user, "athlete-1001");
            for set in a.all_zones() {
                let contains = |z: &Zone, v: u32| {
                    z.lower.is_none_or(|l| l <= v) && z.upper.is_none_or(|u| v <= u)
                };
                for z in &set.zones {
                    if let (Some(l), Some(u)) = (z.lower, z.upper) {
                        assert!(l <= u, "{user} {} {} {z:?}", set.sport, set.metric);
                    }
                }
                // Contiguous and non-overlapping: every value from 0 to 2x threshold is in
                // exactly one zone.
                for v in 0..=2 * set.threshold {
                    let n = set.zones.iter().filter(|z| contains(z, v)).count();
                    assert_eq!(n, 1, "{user} {} {}: {v}", set.sport, set.metric);
                }
            }
        }
    }

    #[test]
    fn users_differ() {
        assert_ne!(Athlete::of("a", "x"), Athlete::of("b", "x"));
        assert_eq!(Athlete::of("a", "x"), Athlete::of("a", "x"));
    }
}
