//! Drivers shared by the framing tests and fuzz targets: decode a stream
//! whole and in chunks, and check that both give the same items.
#![allow(dead_code)]

use std::fmt::Debug;

use procslink::Error;
use procslink::framing::{Frames, Framing, StreamDecoder};

/// Every item [`Frames`] yields over `stream`, each frame turned into an
/// owned value by `own`.
pub fn whole<F, O>(
    framing: F,
    stream: &[u8],
    max_frame: usize,
    own: impl for<'a> Fn(F::Frame<'a>) -> O,
) -> Vec<Result<O, Error>>
where
    F: Framing,
{
    Frames::new(stream, framing, max_frame)
        .map(|item| item.map(&own))
        .collect()
}

/// Every item a [`StreamDecoder`] (with a buffer `slack` bytes over the
/// smallest it accepts) yields when `stream` is fed in chunks of the sizes
/// in `sizes` (cycled; 0 counts as 1), then the error of `finish` if it has
/// one not yet reported. Panics if the decoder stops accepting bytes without yielding
/// anything.
pub fn chunked<F, O>(
    framing: F,
    stream: &[u8],
    sizes: &[usize],
    max_frame: usize,
    slack: usize,
    own: impl for<'a> Fn(F::Frame<'a>) -> O,
) -> Vec<Result<O, Error>>
where
    F: Framing,
{
    let mut buf = vec![0u8; max_frame.max(1).saturating_add(slack)];
    let mut decoder = StreamDecoder::new(&mut buf, framing, max_frame).expect("buffer fits");
    let mut items = Vec::new();
    let mut rest = stream;
    let mut sizes = sizes.iter().copied().cycle();
    'stream: while !rest.is_empty() {
        let size = sizes.next().unwrap_or(1).clamp(1, rest.len());
        let mut chunk = &rest[..size];
        rest = &rest[size..];
        while !chunk.is_empty() {
            let accepted = match decoder.feed(chunk) {
                Ok(n) => n,
                Err(_) => break 'stream,
            };
            chunk = &chunk[accepted..];
            let before = items.len();
            while let Some(item) = decoder.next_frame() {
                items.push(item.map(&own));
            }
            assert!(
                accepted > 0 || items.len() > before || decoder.error().is_some(),
                "decoder made no progress"
            );
        }
    }
    let reported = decoder.error().is_some();
    match decoder.finish() {
        Err(error) if !reported => items.push(Err(error)),
        _ => {}
    }
    items
}

/// Decodes `stream` whole, with `sizes` chunks and one byte at a time, and
/// asserts the three agree; returns the items.
pub fn agree<F, O>(
    framing: F,
    stream: &[u8],
    sizes: &[usize],
    max_frame: usize,
    slack: usize,
    own: impl for<'a> Fn(F::Frame<'a>) -> O + Copy,
) -> Vec<Result<O, Error>>
where
    F: Framing + Clone,
    O: PartialEq + Debug,
{
    let expected = whole(framing.clone(), stream, max_frame, own);
    let got = chunked(framing.clone(), stream, sizes, max_frame, slack, own);
    assert_eq!(got, expected, "chunks {sizes:?}");
    let bytewise = chunked(framing, stream, &[1], max_frame, slack, own);
    assert_eq!(bytewise, expected, "one byte at a time");
    expected
}
