//! `procslink decode --summary`: counts of messages, top-level attributes
//! and message types.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use procslink::Error;
use procslink::netlink::display::Protocol;
use procslink::netlink::{Message, MessageType};

use crate::tree::type_name;

/// Counts for `--summary`.
#[derive(Default)]
pub struct Stats {
    messages: usize,
    attributes: usize,
    by_type: BTreeMap<u16, usize>,
}

impl Stats {
    /// Counts `msg` and its top-level attributes (those after the family
    /// header); the first malformed one is an error, after the attributes
    /// before it are counted.
    pub fn add(&mut self, msg: &Message<'_>, protocol: Protocol) -> Result<(), Error> {
        let ty = msg.message_type();
        self.messages += 1;
        *self.by_type.entry(ty.0).or_default() += 1;
        if ty.is_error() {
            return msg.error().map(|_| ());
        }
        if ty.is_done() {
            return msg.done().map(|_| ());
        }
        let Some((_, len)) = protocol.family_header(ty) else {
            return Ok(());
        };
        let (_, attrs) = msg.split_family_header(len)?;
        for attr in attrs {
            attr?;
            self.attributes += 1;
        }
        Ok(())
    }

    /// Writes the counts.
    pub fn write(&self, out: &mut String, protocol: Protocol) {
        let _ = writeln!(
            out,
            "{} messages, {} top-level attributes",
            self.messages, self.attributes
        );
        for (&ty, &count) in &self.by_type {
            let name = type_name(protocol, MessageType(ty)).unwrap_or_else(|| "?".into());
            let _ = writeln!(out, "  type {ty} {name}: {count}");
        }
    }
}
