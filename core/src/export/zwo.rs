//! ZWO, the Zwift workout XML (also read by TrainerRoad, MyWhoosh, Rouvy and others): power as
//! a fraction of FTP, warm-up and cool-down as ramps, `IntervalsT` for on/off repeats.
//!
//! ```xml
//! <workout_file>
//!   <author>enduco</author>
//!   <name>Bike intervals 5 × 4 min</name>
//!   <description>…</description>
//!   <sportType>bike</sportType>
//!   <workout>
//!     <Warmup Duration="900" PowerLow="0.000" PowerHigh="0.550"/>
//!     <IntervalsT Repeat="5" OnDuration="240" OffDuration="180" OnPower="0.978" OffPower="0.650"/>
//!     <SteadyState Duration="600" Power="0.275"/>
//!   </workout>
//! </workout_file>
//! ```
//!
//! `Warmup`'s and `Cooldown`'s `PowerLow` is the power at the start of the ramp and `PowerHigh`
//! the power at its end, as Zwift reads them (a cool-down's `PowerLow` is the higher value).

use quick_xml::Writer;
use quick_xml::events::BytesText;

use super::{
    Block, ExportFormat, Item, MAX_EXPORT_TEXT_BYTES, MAX_TIMELINE_SEGMENTS, Power, clip, one_line,
    required_threshold, structure, too_long, trainer_block,
};
use crate::api::plans::{PlannedWorkout, StepKind};
use crate::api::zones::IntensityZones;
use crate::error::{Error, Result};

const FORMAT: &str = "ZWO";

impl PlannedWorkout {
    /// The workout as a ZWO file (Zwift's workout XML): name, description, `sportType` bike,
    /// and one element per step — `Warmup`/`Cooldown` ramps through the step's power range,
    /// `SteadyState` at the middle of a range, `FreeRide` for a step without a target, and
    /// `IntervalsT` for a repeat of exactly two steady steps (an on/off interval). Other repeats
    /// are written out, as ZWO cannot nest.
    ///
    /// Power is a fraction of the FTP in `zones` (the user's cycling power threshold), so
    /// `zones` are required. A cycling workout only; a step ZWO cannot hold (a distance-only or
    /// open step, a heart-rate or pace target) is an [`Error::InvalidInput`] naming the step.
    pub fn to_zwo(&self, zones: Option<&IntensityZones>) -> Result<String> {
        let items = structure(self, zones, ExportFormat::Zwo)?;
        let ftp = required_threshold(self, zones, FORMAT)?;
        let elements = {
            let tree = tree(&items)?;
            let mut out = Vec::new();
            flatten(&tree, &mut out).map_err(|()| too_long(self, FORMAT))?;
            out
        };

        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        let io = |e: std::io::Error| Error::Internal {
            message: format!("writing ZWO: {e}"),
        };
        let name = xml_text(&one_line(&self.title));
        let description = self
            .description
            .as_deref()
            .map(|d| xml_text(clip(d, MAX_EXPORT_TEXT_BYTES)));
        w.create_element("workout_file")
            .write_inner_content(|w| {
                w.create_element("author")
                    .write_text_content(BytesText::new("enduco"))?;
                w.create_element("name")
                    .write_text_content(BytesText::new(&name))?;
                if let Some(description) = &description {
                    w.create_element("description")
                        .write_text_content(BytesText::new(description))?;
                }
                w.create_element("sportType")
                    .write_text_content(BytesText::new("bike"))?;
                w.create_element("workout").write_inner_content(|w| {
                    for element in &elements {
                        write_element(w, element, ftp)?;
                    }
                    Ok(())
                })?;
                Ok(())
            })
            .map_err(io)?;
        let mut text = String::from_utf8(w.into_inner()).map_err(|e| Error::Internal {
            message: format!("writing ZWO: {e}"),
        })?;
        text.push('\n');
        Ok(text)
    }
}

/// One ZWO element: a step, or an on/off interval repeated.
#[derive(Debug, Clone, Copy)]
enum Element {
    Step { block: Block, kind: StepKind },
    Intervals { count: u32, on: Block, off: Block },
}

/// The plan as ZWO can play it, repeats still nested.
enum Node {
    Element(Element),
    Repeat { count: u32, body: Vec<Node> },
}

fn tree(items: &[Item<'_>]) -> Result<Vec<Node>> {
    items
        .iter()
        .map(|item| {
            Ok(match item {
                Item::Step(leaf) => Node::Element(Element::Step {
                    block: trainer_block(leaf, FORMAT, true)?,
                    kind: leaf.kind,
                }),
                Item::Repeat { count, body } => match on_off(body)? {
                    Some((on, off)) => Node::Element(Element::Intervals {
                        count: *count,
                        on,
                        off,
                    }),
                    None => Node::Repeat {
                        count: *count,
                        body: tree(body)?,
                    },
                },
            })
        })
        .collect()
}

/// A repeat body of exactly two steady steps: `IntervalsT`'s on and off.
fn on_off(body: &[Item<'_>]) -> Result<Option<(Block, Block)>> {
    let [Item::Step(on), Item::Step(off)] = body else {
        return Ok(None);
    };
    let (on, off) = (
        trainer_block(on, FORMAT, true)?,
        trainer_block(off, FORMAT, true)?,
    );
    Ok(match (on.power, off.power) {
        (Power::Steady(_), Power::Steady(_)) => Some((on, off)),
        _ => None,
    })
}

/// Appends the elements with the remaining repeats written out; at most
/// [`MAX_TIMELINE_SEGMENTS`] elements (every body is non-empty, so the cap bounds the work).
fn flatten(tree: &[Node], out: &mut Vec<Element>) -> std::result::Result<(), ()> {
    for node in tree {
        match node {
            Node::Element(element) => {
                if out.len() >= MAX_TIMELINE_SEGMENTS {
                    return Err(());
                }
                out.push(*element);
            }
            Node::Repeat { count, body } => {
                for _ in 0..*count {
                    flatten(body, out)?;
                }
            }
        }
    }
    Ok(())
}

fn write_element(w: &mut Writer<Vec<u8>>, element: &Element, ftp: f64) -> std::io::Result<()> {
    let fraction = |watts: f64| format!("{:.3}", watts / ftp);
    match *element {
        Element::Intervals { count, on, off } => {
            let (Power::Steady(on_w), Power::Steady(off_w)) = (on.power, off.power) else {
                unreachable!("IntervalsT is made of steady steps only");
            };
            w.create_element("IntervalsT")
                .with_attribute(("Repeat", count.to_string().as_str()))
                .with_attribute(("OnDuration", on.seconds.to_string().as_str()))
                .with_attribute(("OffDuration", off.seconds.to_string().as_str()))
                .with_attribute(("OnPower", fraction(on_w).as_str()))
                .with_attribute(("OffPower", fraction(off_w).as_str()))
                .write_empty()?;
        }
        Element::Step { block, kind } => {
            let duration = block.seconds.to_string();
            match block.power {
                Power::Free => {
                    w.create_element("FreeRide")
                        .with_attribute(("Duration", duration.as_str()))
                        .write_empty()?;
                }
                Power::Steady(watts) => {
                    w.create_element("SteadyState")
                        .with_attribute(("Duration", duration.as_str()))
                        .with_attribute(("Power", fraction(watts).as_str()))
                        .write_empty()?;
                }
                Power::Ramp { from, to } => {
                    let name = match kind {
                        StepKind::Warmup => "Warmup",
                        StepKind::Cooldown => "Cooldown",
                        _ => "Ramp",
                    };
                    w.create_element(name)
                        .with_attribute(("Duration", duration.as_str()))
                        .with_attribute(("PowerLow", fraction(from).as_str()))
                        .with_attribute(("PowerHigh", fraction(to).as_str()))
                        .write_empty()?;
                }
            }
        }
    }
    Ok(())
}

/// Text XML 1.0 can carry: control characters other than tab, newline and carriage return are
/// not allowed even escaped, so they become spaces (the writer escapes the rest).
fn xml_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r')
                || matches!(c, '\u{FFFE}' | '\u{FFFF}')
            {
                ' '
            } else {
                c
            }
        })
        .collect()
}
