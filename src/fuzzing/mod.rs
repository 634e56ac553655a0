//! Structure-aware fuzzing of netlink consumers: generators of well-formed
//! messages and a layer that breaks them the ways real bugs do.
//!
//! Random bytes rarely get past a consumer's first length check. This
//! module gives a fuzzer (libFuzzer, AFL, proptest) inputs that do:
//!
//! - **Descriptions** ([`NetlinkDesc`], [`MessageDesc`], [`AttrTree`],
//!   [`DatagramDesc`], [`RpcDesc`], [`JsonTree`], [`EnvelopeDesc`],
//!   [`ControlDesc`]): header fields, family header bytes, attribute trees
//!   with nesting, ProcsLink datagrams carrying JSON-RPC requests and
//!   responses, pyroute2 transport envelopes and control messages. They
//!   borrow strings and payloads (from the fuzzer's input) and hold trees
//!   as bounded flat preorder lists, so they never allocate.
//! - **Writers**: `write` on each description builds it into the
//!   caller's buffer with the crate's own builders
//!   ([`Builder`](crate::netlink::Builder),
//!   [`DatagramRepr::emit`](crate::procslink::DatagramRepr::emit), the
//!   JSON-RPC encoder, the [`envmsg`](crate::envmsg) builders) and returns
//!   the length or the crate's [`Error`](crate::Error). `verify` parses
//!   bytes back with the crate's parsers and reports the first field that
//!   differs ([`Mismatch`]).
//! - **Malformations** ([`Mutation`], [`DatagramMutation`]): a plan, drawn
//!   from the same fuzzer bytes, that breaks a well-formed buffer in place
//!   (truncation returns a shorter length; growth stays within capacity)
//!   and reports what it broke and where ([`Malformation`], with the
//!   message, attribute and byte offset), and how the crate's parsers see
//!   it ([`Malformation::expected`]: a [`Detector`] and the exact error,
//!   or "accepted by design").
//! - **Feature `arbitrary`**: `arbitrary::Arbitrary` for every
//!   description and plan. The `arbitrary` crate itself needs `std`, so
//!   this feature pulls `std` in through it; the generators still write
//!   into caller buffers and never allocate.
//! - **Feature `proptest`**: [`strategy`] gives proptest strategies for the
//!   same descriptions (owned, viewed as the borrowed ones) and plans.
//! - **Specifications** (feature `arbitrary`, and a `family-*` feature):
//!   [`spec`] draws messages of any family the kernel's YAML
//!   specifications describe ([`families`](crate::families)) from the
//!   fuzzer's bytes: the operation's header, attributes valid for their
//!   types and checks, nests and sub-messages; as descriptions, so the
//!   writers and malformations above apply.
//!
//! # Panic contract
//!
//! Nothing here panics, whatever the fuzzer's bytes, the description or
//! the buffer: writers report every size problem as an error, and the
//! malformation layer returns `None` for a buffer that does not parse
//! rather than guessing. What is generated is well-formed by
//! construction: every buffer a writer returns `Ok` for parses with the
//! crate's parsers back to its description (`verify` returns `Ok`), and
//! every malformation is detected exactly as [`Malformation::expected`]
//! predicts. The crate's tests check both for generated inputs
//! (`tests/fuzzing_*.rs`).
//!
//! # A complete example, measured
//!
//! `examples/link_summary.rs` is a small consumer: it summarises an
//! rtnetlink link dump (name, MTU, operational state and link kind of each
//! `RTM_NEWLINK`, up to `NLMSG_DONE`, with a policy table). The crate's
//! fuzz crate includes its logic in two targets: `link_summary_raw` feeds
//! it the fuzzer's bytes as they are; `link_summary_structured` feeds it a
//! [`NetlinkDesc`] written from those bytes, then the same buffer broken by
//! a [`Mutation`].
//!
//! Measured with `cargo +nightly fuzz run <target> -- -runs=200000`
//! (200 000 executions each, no seed corpus, one run each on one machine;
//! libFuzzer's final `cov:` line):
//!
//! | target | `cov:` | `ft:` | corpus | exec/s |
//! |---|---|---|---|---|
//! | `link_summary_raw` | 241 | 397 | 82 | 50 000 |
//! | `link_summary_structured` | 888 | 3417 | 747 | 7 700 |
//!
//! The structure-aware figure also counts the edges of the generator and
//! the builder it runs, so the sharper comparison is what the consumer
//! itself reached, found by replaying each final corpus through
//! `summarise`. The raw target got one message past the framing and the
//! link policy (a single `Plain` link, in 2 of its 82 inputs); every other
//! input stopped at a length check, a truncation or the policy. The
//! structure-aware target reached links classified `Plain`, `Loopback` and
//! `Jumbo` (24 inputs), dumps ending in `NLMSG_DONE` (101), and each of
//! the consumer's error paths many times over (`LengthTooSmall` 420,
//! `Policy` 166, `LengthOverrun` 138, `Truncated` 49, `WrongSize` 21,
//! `NotNulTerminated` 8, `InvalidUtf8` 5), the malformations reaching them
//! from inside otherwise valid dumps. Neither reached a `Virtual` link (a
//! string `IFLA_INFO_KIND` inside a nested `IFLA_LINKINFO`) in this
//! budget.
//!
//! The crate's own fuzz targets `structured_netlink`,
//! `structured_procslink` and `structured_envmsg` check the toolkit's two
//! promises on every input: what is written parses back to its
//! description, and every malformation is detected as predicted (200 000,
//! 200 000 and 100 000 runs, no failure; `cov:` 851, 1399 and 683).

#![cfg_attr(
    feature = "arbitrary",
    doc = r#"
# A fuzz target for your consumer

```
use arbitrary::{Arbitrary, Unstructured};
use procslink::fuzzing::{Mutation, NetlinkDesc};

fn my_consumer(bytes: &[u8]) -> usize {
    procslink::netlink::Messages::new(bytes).count()
}

// The body of `fuzz_target!(|data: &[u8]| { ... })`.
fn fuzz_one(data: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let desc = NetlinkDesc::arbitrary(&mut u)?;
    let mut buf = [0u8; 16384];
    let Ok(len) = desc.write(&mut buf) else { return Ok(()) };
    my_consumer(&buf[..len]); // well-formed
    let plan = Mutation::arbitrary(&mut u)?;
    if let Some(applied) = plan.apply(&mut buf, len, |i, _| desc.family_len(i)) {
        // Broken as `applied.malformation` says: print it with a crash.
        my_consumer(&buf[..applied.len]);
    }
    Ok(())
}

fuzz_one(b"any bytes at all: the fuzzer's input")?;
# Ok::<(), arbitrary::Error>(())
```
"#
)]

#[cfg(feature = "arbitrary")]
mod arb;
mod describe;
mod envmsg;
mod malform;
#[cfg(feature = "arbitrary")]
pub mod spec;
#[cfg(feature = "proptest")]
pub mod strategy;
mod write;

pub use describe::{
    AttrNode, AttrTree, AttrValue, DatagramDesc, FAMILY_SIZES, IdDesc, JsonNode, JsonTree,
    JsonValue, MAX_ATTR_DEPTH, MAX_ATTR_TYPE, MAX_ATTRS, MAX_JSON_DEPTH, MAX_JSON_NODES,
    MAX_MESSAGES, MESSAGE_TYPES, MessageDesc, Mismatch, NetlinkDesc, OutcomeDesc, RequestDesc,
    ResponseDesc, RpcDesc, STYLES,
};
pub use envmsg::{ControlDesc, EnvBody, EnvelopeDesc, MAX_CONTROL_ATTRS};
pub use malform::{
    Applied, AttrLocation, DatagramMutation, DatagramMutationKind, Detector, Expected, KNOWN_TYPES,
    MAX_TARGET_ATTRS, MAX_TARGET_MESSAGES, Malformation, MessageLocation, Mutation, MutationKind,
    WALK_DEPTH,
};

/// Decodes `bytes` as [`Message::parse`](crate::jsonrpc::Message::parse)
/// does, by the decoder's general walk alone, without the fast path it
/// takes for messages spelled as ProcsLink writes them: a differential
/// fuzzer checks that both give the same message or the same error.
///
/// ```
/// use procslink::fuzzing::decode_general;
/// use procslink::jsonrpc::Message;
///
/// let text = br#"{"jsonrpc": "2.0", "method": "hello", "id": 1, "params": ["Rust"]}"#;
/// let fast = format!("{:?}", Message::parse(text));
/// assert_eq!(fast, format!("{:?}", decode_general(text)));
/// ```
pub fn decode_general(bytes: &[u8]) -> Result<crate::jsonrpc::Incoming<'_>, crate::Error> {
    crate::jsonrpc::Decoder::new().parse_general(bytes)
}
