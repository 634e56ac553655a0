//! Batches: validated as a whole, classified element by element.

use super::decode::{rpc, walk};
use super::id::Id;
use super::message::Message;
use super::validate::{Cursor, MAX_DEPTH_LIMIT, Notes};
use super::value::{Elements, Kind, RawValue};
use crate::{Error, RpcViolation};

/// A non-empty batch, validated as JSON. Iterating it classifies each
/// element separately, as the specification asks (`[1, 2, 3]` gives three
/// invalid-request errors).
///
/// ```
/// use procslink::{jsonrpc::{ErrorCode, Message}, ErrorKind, RpcViolation};
///
/// let text = br#"[{"jsonrpc": "2.0", "method": "sum", "params": [1, 2], "id": "1"}, {"foo": "boo"}, 3]"#;
/// let batch = Message::parse(text)?.batch().unwrap();
/// let items: Vec<_> = batch.iter().collect();
/// assert_eq!(items.len(), 3);
/// assert!(items[0].is_ok());
/// assert_eq!(items[1].unwrap_err().kind(), ErrorKind::Rpc(RpcViolation::MissingVersion));
/// assert_eq!(items[2].unwrap_err().offset(), text.len() - 2);
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    text: &'a str,
    open: usize,
}

impl<'a> Batch<'a> {
    #[inline]
    pub(super) const fn new(text: &'a str, open: usize) -> Self {
        Batch { text, open }
    }

    /// The messages, each decoded or the reason it is invalid (error
    /// offsets count from the start of the whole input).
    #[inline]
    pub fn iter(&self) -> BatchIter<'a> {
        BatchIter {
            elements: self.elements(),
        }
    }

    /// The elements as raw values with their offsets, for callers that
    /// want more than [`iter`](Self::iter) gives (such as
    /// [`BatchElement::recover_id`]).
    #[inline]
    pub fn elements(&self) -> BatchElements<'a> {
        BatchElements {
            text: self.text,
            elements: Elements::starting_at(self.text, self.open),
        }
    }

    /// The number of elements (counted by walking the batch).
    pub fn len(&self) -> usize {
        self.elements().count()
    }

    /// Always `false`: an empty batch is an error.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// The whole batch array as JSON.
    pub fn raw(&self) -> RawValue<'a> {
        Cursor::new(self.text, self.open).skip_value()
    }
}

impl<'a> IntoIterator for Batch<'a> {
    type Item = Result<Message<'a>, Error>;
    type IntoIter = BatchIter<'a>;

    fn into_iter(self) -> BatchIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &Batch<'a> {
    type Item = Result<Message<'a>, Error>;
    type IntoIter = BatchIter<'a>;

    fn into_iter(self) -> BatchIter<'a> {
        self.iter()
    }
}

/// The messages of a [`Batch`]. An invalid element yields its error and
/// iteration goes on with the next element.
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct BatchIter<'a> {
    elements: BatchElements<'a>,
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = Result<Message<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.elements.next().map(|e| e.message())
    }
}

impl core::iter::FusedIterator for BatchIter<'_> {}

/// The elements of a [`Batch`]; see [`Batch::elements`].
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct BatchElements<'a> {
    text: &'a str,
    elements: Elements<'a>,
}

impl<'a> Iterator for BatchElements<'a> {
    type Item = BatchElement<'a>;

    fn next(&mut self) -> Option<BatchElement<'a>> {
        let (offset, raw) = self.elements.next_with_offset()?;
        Some(BatchElement {
            text: self.text,
            offset,
            raw,
        })
    }
}

impl core::iter::FusedIterator for BatchElements<'_> {}

/// One element of a [`Batch`].
///
/// ```
/// use procslink::jsonrpc::{Id, Message};
///
/// let text = br#"[{"jsonrpc": "1.0", "method": "m", "id": 4}]"#;
/// let batch = Message::parse(text)?.batch().unwrap();
/// let el = batch.elements().next().unwrap();
/// assert_eq!(el.offset(), 1);
/// assert!(el.message().is_err());
/// assert_eq!(el.recover_id(), Some(Id::from(4)));
/// # Ok::<(), procslink::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct BatchElement<'a> {
    text: &'a str,
    offset: usize,
    raw: RawValue<'a>,
}

impl<'a> BatchElement<'a> {
    /// The element's JSON text.
    #[inline]
    pub const fn raw(&self) -> RawValue<'a> {
        self.raw
    }

    /// The element's offset in the whole input.
    #[inline]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The element as a message, or why it is not a valid one.
    pub fn message(&self) -> Result<Message<'a>, Error> {
        if self.raw.kind() != Kind::Object {
            return Err(rpc(RpcViolation::NotAnObject, self.offset));
        }
        let mut cur = Cursor::new(self.text, self.offset);
        walk::<false>(&mut cur, MAX_DEPTH_LIMIT, &mut Notes::default()).and_then(|m| m)
    }

    /// The element's id, if it has a readable one; see [`Id::recover_from`].
    #[inline]
    pub fn recover_id(&self) -> Option<Id<'a>> {
        Id::recover_from(self.raw)
    }
}
