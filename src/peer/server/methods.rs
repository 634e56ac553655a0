//! [`Methods`]: the names a server offers, bound to handlers.

use std::prelude::rust_2024::*;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::jsonrpc::Style;
use crate::peer::error::RpcError;
use crate::peer::hash::FastMap;
use crate::peer::params::{Params, Reply};
use crate::peer::result::ResultText;

/// A handler as the server runs it: a [`Reply`], or `None` when it wrote
/// its result into the [`ResultText`].
pub(super) type Handler =
    dyn Fn(Params<'_>, &mut ResultText<'_>) -> Result<Option<Reply>, RpcError> + Send + Sync;

/// The methods a server offers: names bound to handlers.
///
/// A handler is a closure from [`Params`] to `Result<R, RpcError>` where `R`
/// is a [`serde_json::Value`] or a [`Reply`] (a value plus file descriptors
/// to send back); [`add_typed`](Self::add_typed) registers a closure over
/// serde types instead, and [`add_raw`](Self::add_raw) one that writes its
/// result as JSON text (no `Value`, no allocation). Handlers run on the
/// server's threads, one request at a time per thread; a handler that
/// panics is answered -32603 "Internal error" and the server goes on.
///
/// ```
/// use procslink::peer::{Methods, Params, RpcError};
/// use serde_json::{json, Value};
///
/// let mut methods = Methods::new();
/// methods.add("hello", |p: Params| -> Result<Value, RpcError> {
///     let name: String = p.arg(0, "name")?;
///     Ok(json!(format!("Hello, {name}!")))
/// });
/// methods.add_typed("add", |(a, b): (i64, i64)| Ok(a + b));
/// assert!(methods.contains("add"));
/// let sum = methods.call("add", Params::from_value(Some(json!([2, 40])))).unwrap();
/// assert_eq!(sum.value, json!(42));
/// let err = methods.call("add", Params::from_value(Some(json!(["2", 40])))).unwrap_err();
/// assert_eq!(err.code.0, -32602);
/// assert_eq!(methods.call("nope", Params::from_value(None)).unwrap_err().code.0, -32601);
/// ```
#[derive(Clone, Default)]
pub struct Methods {
    /// The bindings, in the order they were first made.
    pub(super) entries: Vec<(String, Arc<Handler>)>,
    /// Where each name is in `entries`, once there are more than
    /// [`FEW_METHODS`]: fewer are found sooner by comparing lengths.
    pub(super) index: Option<FastMap<String, usize>>,
}

/// How many methods a lookup compares one by one.
pub(super) const FEW_METHODS: usize = 8;

impl Methods {
    /// No methods.
    pub fn new() -> Self {
        Methods::default()
    }

    /// Binds `name` to `handler`, replacing any handler of that name.
    pub fn add<R, F>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        R: Into<Reply>,
        F: Fn(Params<'_>) -> Result<R, RpcError> + Send + Sync + 'static,
    {
        let handler =
            move |p: Params<'_>, _: &mut ResultText<'_>| handler(p).map(|r| Some(r.into()));
        self.bind(name.into(), Arc::new(handler));
        self
    }

    /// Binds `name` to a handler that writes its result into a
    /// [`ResultText`] (see there), replacing any handler of that name: the
    /// result goes into the response with no [`serde_json::Value`] built.
    /// Such a handler sends no file descriptors back.
    pub fn add_raw<F>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        F: Fn(Params<'_>, &mut ResultText<'_>) -> Result<(), RpcError> + Send + Sync + 'static,
    {
        let handler = move |p: Params<'_>, out: &mut ResultText<'_>| handler(p, out).map(|()| None);
        self.bind(name.into(), Arc::new(handler));
        self
    }

    /// Binds `name` to a handler over serde types: the params decode into
    /// `P` as [`Params::parse`] does (a tuple for positional params, a
    /// struct for named ones, `()` for none; a mismatch is -32602), the
    /// result is serialised from `R`.
    pub fn add_typed<P, R, F>(&mut self, name: impl Into<String>, handler: F) -> &mut Self
    where
        P: DeserializeOwned,
        R: Serialize,
        F: Fn(P) -> Result<R, RpcError> + Send + Sync + 'static,
    {
        self.add(name, move |params: Params<'_>| {
            let args: P = params.parse()?;
            let result = handler(args)?;
            serde_json::to_value(result)
                .map_err(|e| RpcError::internal(format_args!("cannot serialise the result: {e}")))
        })
    }

    /// Whether `name` is bound.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The names bound, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }

    /// Calls the handler bound to `name` directly (no socket, no panic
    /// catching); -32601 when there is none.
    ///
    /// # Errors
    ///
    /// The handler's error, or -32601 "Method not found".
    pub fn call(&self, name: &str, params: Params<'_>) -> Result<Reply, RpcError> {
        let handler = self.get(name).ok_or_else(RpcError::method_not_found)?;
        let mut text = String::new();
        if let Some(reply) = handler(params, &mut ResultText::new(&mut text, Style::Compact))? {
            return Ok(reply);
        }
        serde_json::from_str::<Value>(ResultText::json(&text).as_str())
            .map(Reply::from)
            .map_err(|e| RpcError::internal(format_args!("result not representable: {e}")))
    }

    /// Where `name` is in `entries`.
    pub(super) fn position(&self, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(name).copied(),
            None => self.entries.iter().position(|(n, _)| n == name),
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<&Arc<Handler>> {
        let at = self.position(name)?;
        self.entries.get(at).map(|(_, handler)| handler)
    }

    pub(super) fn bind(&mut self, name: String, handler: Arc<Handler>) {
        let bound = self.position(&name);
        if let Some(entry) = bound.and_then(|at| self.entries.get_mut(at)) {
            entry.1 = handler;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(name.clone(), self.entries.len());
        }
        self.entries.push((name, handler));
        if self.index.is_none() && self.entries.len() > FEW_METHODS {
            let names = self.entries.iter().enumerate();
            self.index = Some(names.map(|(at, (n, _))| (n.clone(), at)).collect());
        }
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.names().collect();
        names.sort_unstable();
        f.debug_struct("Methods").field("names", &names).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{FEW_METHODS, Methods};
    use crate::peer::Params;
    use serde_json::json;
    use std::prelude::rust_2024::*;

    #[test]
    fn methods_are_found_by_name_however_many_there_are() {
        let mut methods = Methods::new();
        for n in 0..3 * FEW_METHODS {
            // Names of one length, and a prefix of another.
            let name = format!("m{n:03}");
            methods.add(name.clone(), move |_: Params| Ok(json!(n)));
            methods.add(format!("{name}x"), move |_: Params| Ok(json!(-1)));
            for m in 0..=n {
                let got = methods.call(&format!("m{m:03}"), Params::from_value(None));
                assert_eq!(got.unwrap().value, json!(m), "{m} of {n}");
            }
            assert!(!methods.contains(&format!("m{:03}", n + 1)));
            assert!(!methods.contains("m"));
        }
        // Binding a name again replaces its handler (with the index here,
        // without it in `few` below).
        for n in [1, 2 * FEW_METHODS] {
            methods.add(format!("m{n:03}"), |_: Params| Ok(json!("again")));
            let got = methods.call(&format!("m{n:03}"), Params::from_value(None));
            assert_eq!(got.unwrap().value, json!("again"));
        }
        assert_eq!(methods.names().count(), 6 * FEW_METHODS);
        let mut few = Methods::new();
        few.add("a", |_: Params| Ok(json!(1)));
        few.add("a", |_: Params| Ok(json!(2)));
        assert_eq!(few.names().collect::<Vec<_>>(), ["a"]);
        assert_eq!(
            few.call("a", Params::from_value(None)).unwrap().value,
            json!(2)
        );
        assert_eq!(
            few.call("b", Params::from_value(None)).unwrap_err().code.0,
            -32601
        );
    }
}
