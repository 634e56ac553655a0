//! What a handler receives ([`Params`]) and returns ([`Reply`]).

use std::prelude::rust_2024::*;

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;
use std::os::fd::OwnedFd;

use serde::de::{DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::error::RpcError;
use super::json::TextShape;
use super::socket::{Address, Credentials};
use crate::jsonrpc::{Kind, MAX_DEPTH_LIMIT, Notes, RawValue, validate_noting};

/// The parameters of one request, with the file descriptors that came with
/// it and who sent it.
///
/// `params` is positional (a JSON array), named (an object) or absent;
/// a handler reads it whole with [`parse`](Self::parse) (into a tuple, a
/// struct, a `Vec`…) or argument by argument with [`arg`](Self::arg), which
/// accepts either form. Decoding failures are -32602 "Invalid params"
/// errors, ready to return with `?`.
///
/// The server hands a handler the params' JSON text as it arrived,
/// borrowed from the datagram: positional arguments are decoded straight
/// from it, and a [`serde_json::Value`] is built only when a handler asks
/// for one ([`value`](Self::value), [`raw_arg`](Self::raw_arg)) or reads
/// named params (where, as in Python, the last of duplicate names wins).
///
/// ```
/// use procslink::peer::Params;
/// use serde_json::json;
///
/// let positional = Params::from_value(Some(json!([2, 40])));
/// let named = Params::from_value(Some(json!({"a": 2, "b": 40})));
/// for p in [&positional, &named] {
///     let a: i64 = p.arg(0, "a")?;
///     let b: i64 = p.arg(1, "b")?;
///     assert_eq!(a + b, 42);
/// }
/// let (a, b): (i64, i64) = positional.parse()?;
/// assert_eq!((a, b), (2, 40));
/// let err = named.arg::<String>(0, "a").unwrap_err();
/// assert_eq!(err.code.0, -32602);
/// assert!(Params::from_value(None).is_absent());
///
/// let text = Params::from_json(r#"["Rust", [1, 2]]"#)?;
/// assert_eq!(text.len(), 2);
/// assert_eq!(text.arg::<String>(0, "name")?, "Rust");
/// assert_eq!(text.raw_arg(1, "list"), Some(&json!([1, 2])));
/// # Ok::<(), procslink::peer::RpcError>(())
/// ```
pub struct Params<'a> {
    source: Source<'a>,
    /// The value of `Source::Text`, once a handler has asked for it.
    /// (Values are boxed: moving a `Params` then copies no `Value`, whose
    /// one-byte tag makes its copies split into unaligned pieces.)
    parsed: OnceCell<Box<Value>>,
    /// What the request brought besides its text, borrowed from the
    /// server (a `Params` is moved into every handler: it stays small).
    context: Option<&'a mut RequestContext>,
}

/// What a request brings besides its text.
#[derive(Debug, Default)]
pub(crate) struct RequestContext {
    pub(crate) sender: Option<Address>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) fds: Vec<OwnedFd>,
}

enum Source<'a> {
    Absent,
    Value(Box<Value>),
    /// Validated JSON text that `serde_json` can represent, with the
    /// number of its elements or members (counted by its prescan).
    Text(RawValue<'a>, usize),
}

impl<'a> Params<'a> {
    /// Parameters from a value (`None`: absent). Arrays are positional,
    /// objects named; other values are kept as they are (the server never
    /// passes them: a request whose params are neither is invalid).
    pub fn from_value(value: Option<Value>) -> Params<'static> {
        Params::new(match value {
            None => Source::Absent,
            Some(v) => Source::Value(Box::new(v)),
        })
    }

    /// Parameters from their JSON text, which must be an array or an
    /// object that [`serde_json::Value`] can represent (numbers within
    /// `f64`'s range, no lone surrogate escapes, at most 128 levels deep).
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" saying what is wrong with the text.
    pub fn from_json(text: &'a str) -> Result<Self, RpcError> {
        let (raw, notes) = validate_noting(text, MAX_DEPTH_LIMIT)
            .map_err(|e| RpcError::invalid_params(format_args!("params are not JSON: {e}")))?;
        Self::from_noted(raw, notes)
    }

    /// Parameters from validated JSON text (what the server decoded).
    pub(crate) fn from_raw(raw: RawValue<'a>) -> Result<Self, RpcError> {
        if !matches!(raw.kind(), Kind::Array | Kind::Object) {
            return Err(RpcError::invalid_params(
                "params must be an array or an object",
            ));
        }
        let shape = TextShape::of(raw.as_str().as_bytes());
        if !surely_representable(&shape) {
            serde_json::from_str::<Representable>(raw.as_str()).map_err(|e| {
                RpcError::invalid_params(format_args!("params not representable: {e}"))
            })?;
        }
        Ok(Params::new(Source::Text(raw, shape.top_level)))
    }

    /// [`from_raw`](Self::from_raw) for params the decoder validated,
    /// with what it noted: a short array of scalars with no `\u` escape
    /// and no exponent is what `serde_json` represents (it has no room for
    /// a number of over 300 digits), and its elements are counted, so it
    /// needs no prescan.
    pub(crate) fn from_noted(raw: RawValue<'a>, notes: Notes) -> Result<Self, RpcError> {
        if spares_prescan(raw, notes) {
            return Ok(Params::new(Source::Text(raw, notes.elements)));
        }
        Self::from_raw(raw)
    }

    fn new(source: Source<'a>) -> Self {
        Params {
            source,
            parsed: OnceCell::new(),
            context: None,
        }
    }

    /// These params with the rest of their request: its descriptors are
    /// the handler's to take, and those it leaves stay in `context`.
    pub(crate) fn with_context<'c>(self, context: &'c mut RequestContext) -> Params<'c>
    where
        'a: 'c,
    {
        Params {
            source: self.source,
            parsed: self.parsed,
            context: Some(context),
        }
    }

    /// The params' JSON text as it arrived, for params that came from a
    /// request (`None` for absent params or ones made from a value).
    pub fn json(&self) -> Option<&'a str> {
        match self.source {
            Source::Text(raw, _) => Some(raw.as_str()),
            _ => None,
        }
    }

    /// The params' value; `None` when absent.
    pub fn value(&self) -> Option<&Value> {
        match &self.source {
            Source::Absent => None,
            Source::Value(v) => Some(v),
            Source::Text(raw, _) => Some(self.parsed.get_or_init(|| {
                // `from_raw` checked that serde_json represents the text.
                Box::new(serde_json::from_str(raw.as_str()).unwrap_or(Value::Null))
            })),
        }
    }

    /// The params' value; `Value::Null` when absent.
    pub fn into_value(mut self) -> Value {
        if let Some(v) = self.parsed.take() {
            return *v;
        }
        match std::mem::replace(&mut self.source, Source::Absent) {
            Source::Absent => Value::Null,
            Source::Value(v) => *v,
            Source::Text(raw, _) => serde_json::from_str(raw.as_str()).unwrap_or(Value::Null),
        }
    }

    /// The positional params' text, when that is what arrived: the one
    /// case decoded without building a value.
    #[inline]
    fn positional_text(&self) -> Option<RawValue<'a>> {
        match self.source {
            Source::Text(raw, _) if raw.kind() == Kind::Array => Some(raw),
            _ => None,
        }
    }

    /// Whether no params were sent.
    pub fn is_absent(&self) -> bool {
        matches!(self.source, Source::Absent)
    }

    /// Whether the params are positional (an array).
    pub fn is_positional(&self) -> bool {
        match &self.source {
            Source::Absent => false,
            Source::Value(v) => v.is_array(),
            Source::Text(raw, _) => raw.kind() == Kind::Array,
        }
    }

    /// Whether the params are named (an object).
    pub fn is_named(&self) -> bool {
        match &self.source {
            Source::Absent => false,
            Source::Value(v) => v.is_object(),
            Source::Text(raw, _) => raw.kind() == Kind::Object,
        }
    }

    /// The number of arguments (0 when absent; distinct names when named).
    #[inline]
    pub fn len(&self) -> usize {
        if let Source::Text(raw, elements) = self.source
            && raw.kind() == Kind::Array
        {
            return elements;
        }
        match self.value() {
            Some(Value::Array(a)) => a.len(),
            Some(Value::Object(o)) => o.len(),
            _ => 0,
        }
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes the params as a whole: an array into a tuple or a `Vec`, an
    /// object into a struct or a map, absent params as `null` (into `()` or
    /// an `Option`).
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" with serde's explanation as data.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, RpcError> {
        if let Some(raw) = self.positional_text() {
            return serde_json::from_str(raw.as_str()).map_err(RpcError::invalid_params);
        }
        match self.value() {
            None => T::deserialize(&Value::Null),
            Some(v) => T::deserialize(v),
        }
        .map_err(RpcError::invalid_params)
    }

    /// The raw argument at position `index` (positional params) or named
    /// `name` (named params).
    pub fn raw_arg(&self, index: usize, name: &str) -> Option<&Value> {
        match self.value()? {
            Value::Array(a) => a.get(index),
            Value::Object(o) => o.get(name),
            _ => None,
        }
    }

    /// Decodes the argument at position `index` or named `name`.
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" when it is missing or has the wrong type.
    pub fn arg<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        let wrong = |e| RpcError::invalid_params(format_args!("argument {index} ({name}): {e}"));
        // From the request's text when there is one: going through a
        // `Value` would read `-0` as 0.
        if let Source::Text(raw, _) = self.source {
            let arg = match raw.kind() {
                Kind::Array => raw.nth(index),
                // The last member of that name, as `raw_arg` reads it.
                _ => raw
                    .members()
                    .and_then(|m| m.filter(|(k, _)| k.eq_str(name)).last())
                    .map(|(_, v)| v),
            };
            let arg = arg.ok_or_else(|| missing(index, name))?;
            return serde_json::from_str(arg.as_str()).map_err(wrong);
        }
        let arg = self
            .raw_arg(index, name)
            .ok_or_else(|| missing(index, name))?;
        T::deserialize(arg).map_err(wrong)
    }

    /// The string argument at position `index` or named `name`, borrowed
    /// from the request when it holds no escape (no copy, no allocation).
    ///
    /// ```
    /// use procslink::peer::Params;
    /// use std::borrow::Cow;
    ///
    /// let p = Params::from_json(r#"["Rust", "caf\u00e9", 3]"#)?;
    /// assert!(matches!(p.str_arg(0, "name")?, Cow::Borrowed("Rust")));
    /// assert_eq!(p.str_arg(1, "drink")?, "café");
    /// assert_eq!(p.str_arg(2, "n").unwrap_err().code.0, -32602);
    /// assert_eq!(p.str_arg(3, "gone").unwrap_err().code.0, -32602);
    /// # Ok::<(), procslink::peer::RpcError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" when it is missing or not a string.
    #[inline]
    pub fn str_arg(&self, index: usize, name: &str) -> Result<Cow<'_, str>, RpcError> {
        let Some(raw) = self.positional_text() else {
            return match self.raw_arg(index, name) {
                Some(Value::String(s)) => Ok(Cow::Borrowed(s.as_str())),
                Some(_) => Err(not_a_string(index, name)),
                None => Err(missing(index, name)),
            };
        };
        let arg = raw.elements().and_then(|mut e| e.nth_str(index));
        let text = arg
            .ok_or_else(|| missing(index, name))?
            .map_err(|_| not_a_string(index, name))?;
        Ok(match text.as_unescaped() {
            Some(plain) => Cow::Borrowed(plain),
            None => Cow::Owned(text.chars().collect()),
        })
    }

    /// Like [`arg`](Self::arg), `None` when the argument is missing or
    /// `null`.
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" when it is present with the wrong type.
    pub fn opt_arg<T: DeserializeOwned>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<Option<T>, RpcError> {
        let present = match self.positional_text() {
            Some(raw) => raw.nth(index).is_some_and(|a| !a.is_null()),
            None => !matches!(self.raw_arg(index, name), None | Some(Value::Null)),
        };
        if present {
            self.arg(index, name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails with -32602 unless there are exactly `count` arguments
    /// (absent params count as none).
    ///
    /// # Errors
    ///
    /// -32602 "Invalid params" saying how many were expected.
    #[inline]
    pub fn expect_len(&self, count: usize) -> Result<(), RpcError> {
        let len = self.len();
        if len == count {
            Ok(())
        } else {
            Err(RpcError::invalid_params(format_args!(
                "expected {count} argument(s), got {len}"
            )))
        }
    }

    /// The file descriptors that came with the request (Unix datagrams
    /// only), in the order they were sent.
    pub fn fds(&self) -> &[OwnedFd] {
        self.context.as_deref().map_or(&[], |c| &c.fds)
    }

    /// Takes the file descriptors that came with the request; those not
    /// taken are closed when the handler returns.
    pub fn take_fds(&mut self) -> Vec<OwnedFd> {
        self.context
            .as_deref_mut()
            .map(|c| std::mem::take(&mut c.fds))
            .unwrap_or_default()
    }

    /// The sender's address as the kernel reported it.
    pub fn sender(&self) -> Option<&Address> {
        self.context.as_deref()?.sender.as_ref()
    }

    /// The sender's kernel-supplied credentials, when the server asked for
    /// them (it does when it has a uid allow-list, or
    /// [`ServerOptions::pass_credentials`](super::ServerOptions::pass_credentials)).
    pub fn credentials(&self) -> Option<Credentials> {
        self.context.as_deref()?.credentials
    }
}

fn not_a_string(index: usize, name: &str) -> RpcError {
    RpcError::invalid_params(format_args!("argument {index} ({name}): expected a string"))
}

fn missing(index: usize, name: &str) -> RpcError {
    RpcError::invalid_params(format_args!("missing argument {index} ({name})"))
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Params");
        match &self.source {
            Source::Absent => d.field("value", &None::<()>),
            Source::Value(v) => d.field("value", v),
            Source::Text(raw, _) => d.field("json", &raw.as_str()),
        };
        d.field("fds", &self.fds().len())
            .field("sender", &self.sender())
            .field("credentials", &self.credentials())
            .finish()
    }
}

/// Whether `serde_json` surely represents this validated JSON text: it
/// nests at most [`SERDE_DEPTH`] arrays and objects and has no number or
/// escape that might not fit (see [`TextShape`]). Other texts get the full
/// check.
fn surely_representable(shape: &TextShape) -> bool {
    shape.depth <= SERDE_DEPTH && !shape.wide_number && !shape.u_escape
}

/// Whether the decoder's notes on `raw` tell all the prescan would: it is
/// an array of scalars (one level deep, elements counted) with no `\u`
/// escape and no exponent, too short to hold a number of over 300 digits.
fn spares_prescan(raw: RawValue<'_>, notes: Notes) -> bool {
    const SHORT: usize = 300;
    notes.flags == 0 && raw.kind() == Kind::Array && raw.as_str().len() <= SHORT
}

/// How deep `serde_json` nests by default (its recursion limit).
const SERDE_DEPTH: usize = 127;

#[cfg(test)]
mod tests {
    use super::{Params, Representable, SERDE_DEPTH, TextShape};
    use std::prelude::rust_2024::*;

    fn surely_representable(text: &str) -> bool {
        super::surely_representable(&TextShape::of(text.as_bytes()))
    }

    #[test]
    fn the_prescan_counts_the_top_level_elements() {
        for text in [
            "[]",
            "[ ]",
            " [\n] ",
            "[1]",
            r#"["a,b", [1, 2], {"k": [3, 4]}, "]", "\"", null]"#,
            "[[], {}, [[]]]",
            r#"{"a": 1, "b": [1, 2, 3], "c": {"d": 4}}"#,
            "{}",
            " [ 1 , 2 ] ",
        ] {
            let params = Params::from_json(text).expect(text);
            let want = match serde_json::from_str(text).expect(text) {
                serde_json::Value::Array(a) => a.len(),
                serde_json::Value::Object(o) => o.len(),
                _ => unreachable!(),
            };
            assert_eq!(params.len(), want, "{text}");
            assert_eq!(TextShape::of(text.as_bytes()).top_level, want, "{text}");
        }
    }

    #[test]
    fn the_decoders_notes_spare_the_prescan_only_where_serde_json_agrees() {
        use crate::jsonrpc::{Decoder, Incoming, MAX_DEPTH_LIMIT, Message, Notes, validate_noting};
        let long = format!("[{}]", "9".repeat(301));
        let spared = [
            r#"["Rust"]"#,
            "[]",
            " [ ] ",
            r#"[1, -2.5, 0, true, false, null, "a\nb\"c\\d\/"]"#,
            r#"["e", "E", "1e5", "\\u0041", "[{"]"#,
        ];
        let prescanned = [
            "[1e400]",
            "[1E2]",
            "[0.5e-3]",
            r#"["\ud83d\ude00"]"#,
            r#"["\u00e9"]"#,
            "[[1]]",
            "[1, {}]",
            r#"{"a": 1}"#,
            "{}",
            &long,
        ];
        for (text, spare) in spared
            .iter()
            .map(|t| (*t, true))
            .chain(prescanned.iter().map(|t| (*t, false)))
        {
            let request =
                format!(r#"{{"jsonrpc": "2.0", "method": "m", "id": 1, "params": {text}}}"#);
            let mut notes = Notes::default();
            let decoded = Decoder::new().parse_noting(request.as_bytes(), &mut notes);
            let Ok(Incoming::Single(Message::Request(req))) = decoded else {
                unreachable!("{text}: {decoded:?}");
            };
            let raw = req.params.expect("params").raw();
            let (alone, alone_notes) = validate_noting(text, MAX_DEPTH_LIMIT).expect(text);
            assert_eq!((raw, notes), (alone, alone_notes), "{text}");
            assert_eq!(
                super::spares_prescan(raw, notes),
                spare,
                "{text}: {notes:?}"
            );
            let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
                assert!(!spare, "{text}");
                let refused = Params::from_json(text).map(drop).unwrap_err();
                assert_eq!(refused.code.0, -32602, "{text}");
                continue;
            };
            let params = Params::from_json(text).expect(text);
            assert_eq!(params.value(), Some(&value), "{text}");
            if spare {
                let serde_json::Value::Array(items) = &value else {
                    unreachable!("{text}")
                };
                assert_eq!(params.len(), items.len(), "{text}");
            }
        }
    }

    #[test]
    fn the_prescan_never_passes_what_serde_json_refuses() {
        let deep = |d: usize| "[".repeat(d) + &"]".repeat(d);
        let texts = [
            r#"["Rust", true, false, null, 1, -2.5, {"k": [0]}]"#.to_string(),
            r#"["e", "E", "\\u", "\\"]"#.to_string(),
            "[1e400]".into(),
            "[1E2]".into(),
            "[0.5e-3]".into(),
            r#"["\ud800"]"#.into(),
            r#"["\u00e9"]"#.into(),
            format!("[{}]", "9".repeat(310)),
            format!("[{}]", "9".repeat(300)),
            deep(SERDE_DEPTH),
            deep(SERDE_DEPTH + 1),
            format!(r#"["{}", {}]"#, "[".repeat(200), deep(3)),
        ];
        for text in &texts {
            let full = serde_json::from_str::<Representable>(text).is_ok();
            if surely_representable(text) {
                assert!(full, "{text}");
            }
        }
        assert!(surely_representable(&texts[0]));
        assert!(surely_representable(&texts[1]));
        assert!(surely_representable(&texts[9]));
        assert!(surely_representable(&texts[11]));
        assert!(!surely_representable(&texts[10]));
        assert!(!surely_representable(&texts[2]));
        assert!(!surely_representable(&texts[5]));
    }
}

/// Deserialises any JSON value without keeping it, failing exactly where
/// building a [`serde_json::Value`] would: numbers outside `f64`'s range,
/// lone surrogate escapes, nesting past `serde_json`'s limit.
struct Representable;

impl<'de> Deserialize<'de> for Representable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RepresentableVisitor)
    }
}

struct RepresentableVisitor;

impl<'de> Visitor<'de> for RepresentableVisitor {
    type Value = Representable;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Representable, E> {
        Ok(Representable)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Representable, E> {
        Ok(Representable)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Representable, E> {
        Ok(Representable)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Representable, E> {
        Ok(Representable)
    }

    fn visit_str<E>(self, _: &str) -> Result<Representable, E> {
        Ok(Representable)
    }

    fn visit_unit<E>(self) -> Result<Representable, E> {
        Ok(Representable)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Representable, A::Error> {
        while seq.next_element::<Representable>()?.is_some() {}
        Ok(Representable)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Representable, A::Error> {
        while map.next_entry::<Representable, Representable>()?.is_some() {}
        Ok(Representable)
    }
}

/// A handler's successful answer: the result value and the file
/// descriptors to send back with it (Unix datagrams only).
///
/// Handlers may return a [`Value`] (or anything `Into<Reply>`) instead.
///
/// ```
/// use procslink::peer::Reply;
/// let r: Reply = serde_json::json!(42).into();
/// assert_eq!(r.value, 42);
/// assert!(r.fds.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Reply {
    /// The result.
    pub value: Value,
    /// Descriptors to pass with the response; closed here once sent.
    pub fds: Vec<OwnedFd>,
}

impl Reply {
    /// A reply carrying `value` and `fds`.
    pub fn with_fds(value: impl Into<Value>, fds: Vec<OwnedFd>) -> Self {
        Reply {
            value: value.into(),
            fds,
        }
    }
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        Reply {
            value,
            fds: Vec::new(),
        }
    }
}
