//! The methods a domainsockets server offers in the demos and tests: the
//! crate's demo methods, with the reference's `echo`.

use std::prelude::rust_2024::*;

use serde_json::Value;

use crate::peer::demo;
use crate::peer::error::RpcError;
use crate::peer::params::Params;
use crate::peer::server::Methods;

use super::data::{decode_value, params_text};

/// The reference's `echo`: the call's data upper-cased (as Go's
/// `strings.ToUpper`, character by character; the few characters whose
/// upper case is several, like `ß`, become those several here).
///
/// The data text ([`params_text`]) is upper-cased and read back as data
/// ([`decode_value`]): `hello` gives the string `HELLO`, `{"k":"é"}` the
/// object `{"K":"É"}`, `true` the string `TRUE`; written back, each is the
/// bytes the Go server answers (JSON as compact text).
///
/// ```
/// use procslink::peer::domainsockets::{echo_upper, params_from_data};
/// use serde_json::json;
///
/// let echo = |data: &str| echo_upper(params_from_data(data.as_bytes()).unwrap()).unwrap();
/// assert_eq!(echo("h\u{e9}llo"), json!("H\u{c9}LLO"));
/// assert_eq!(echo(r#"{"k":["\u00e9",1]}"#), json!("{\"K\":[\"\\U00E9\",1]}"));
/// assert_eq!(echo(r#"{"k":["é",1]}"#), json!({"K": ["É", 1]}));
/// assert_eq!(echo("42"), json!(42));
/// ```
///
/// # Errors
///
/// None: every text has an upper case.
pub fn echo_upper(params: Params<'_>) -> Result<Value, RpcError> {
    let upper = params_text(&params).to_uppercase();
    decode_value(upper.as_bytes())
}

/// [`demo::hello`] and [`demo::add`], and [`echo_upper`] as `echo`.
///
/// ```
/// use procslink::peer::domainsockets::{demo_methods, params_from_data};
/// use serde_json::json;
///
/// let m = demo_methods();
/// let call = |name: &str, data: &str| m.call(name, params_from_data(data.as_bytes()).unwrap());
/// assert_eq!(call("hello", "Rust").unwrap().value, json!("Hello, Rust!"));
/// assert_eq!(call("add", "[2, 40]").unwrap().value, json!(42));
/// assert_eq!(call("echo", "quiet").unwrap().value, json!("QUIET"));
/// ```
pub fn demo_methods() -> Methods {
    let mut methods = demo::methods();
    methods.add("echo", echo_upper);
    methods
}
