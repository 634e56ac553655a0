//! The demo methods the `procslink serve` command offers, ready to
//! register: `hello`, `add` and `echo`.

use std::prelude::rust_2024::*;

use serde_json::{Value, json};

use super::error::RpcError;
use super::params::Params;
use super::result::ResultText;
use super::server::Methods;

/// `hello(name)` → `"Hello, NAME!"` (the reference's demo), a raw handler
/// ([`Methods::add_raw`]): the greeting is written into the response as
/// it is put together, with no `String` or `Value` built.
///
/// # Errors
///
/// -32602 when `name` (position 0 or named `name`) is missing or not a
/// string.
pub fn hello(params: Params, out: &mut ResultText) -> Result<(), RpcError> {
    params.expect_len(1)?;
    let name = params.str_arg(0, "name")?;
    out.concat(&["Hello, ", &name, "!"]);
    Ok(())
}

/// `add(a, b)` → `a + b` for two numbers: an integer when both are integers
/// and the sum fits, else a float.
///
/// # Errors
///
/// -32602 when `a` or `b` is missing or not a number, or there are other
/// arguments.
pub fn add(params: Params) -> Result<Value, RpcError> {
    params.expect_len(2)?;
    let a = params
        .raw_arg(0, "a")
        .ok_or_else(|| RpcError::invalid_params("missing argument 0 (a)"))?;
    let b = params
        .raw_arg(1, "b")
        .ok_or_else(|| RpcError::invalid_params("missing argument 1 (b)"))?;
    let (Value::Number(a), Value::Number(b)) = (a, b) else {
        return Err(RpcError::invalid_params("add takes two numbers"));
    };
    if let Some(sum) = a
        .as_i64()
        .zip(b.as_i64())
        .and_then(|(x, y)| x.checked_add(y))
    {
        return Ok(json!(sum));
    }
    if let Some(sum) = a
        .as_u64()
        .zip(b.as_u64())
        .and_then(|(x, y)| x.checked_add(y))
    {
        return Ok(json!(sum));
    }
    let (x, y) = (
        a.as_f64().unwrap_or(f64::NAN),
        b.as_f64().unwrap_or(f64::NAN),
    );
    serde_json::Number::from_f64(x + y)
        .map(Value::Number)
        .ok_or_else(|| RpcError::invalid_params("the sum is not a finite number"))
}

/// `echo(value)` → `value`.
///
/// # Errors
///
/// -32602 unless there is exactly one argument (position 0 or named
/// `value`).
pub fn echo(params: Params) -> Result<Value, RpcError> {
    params.expect_len(1)?;
    params.arg(0, "value")
}

/// Methods with [`hello`], [`add`] and [`echo`] registered.
///
/// ```
/// use procslink::peer::{demo, Params};
/// use serde_json::json;
///
/// let m = demo::methods();
/// let call = |name: &str, p| m.call(name, Params::from_value(Some(p)));
/// assert_eq!(call("hello", json!(["Rust"])).unwrap().value, json!("Hello, Rust!"));
/// assert_eq!(call("add", json!({"a": 2, "b": 40})).unwrap().value, json!(42));
/// assert_eq!(call("add", json!([0.5, 2])).unwrap().value, json!(2.5));
/// assert_eq!(call("add", json!([1, "x"])).unwrap_err().code.0, -32602);
/// assert_eq!(call("echo", json!([{"k": [1, null]}])).unwrap().value, json!({"k": [1, null]}));
/// ```
pub fn methods() -> Methods {
    let mut m = Methods::new();
    m.add_raw("hello", hello).add("add", add).add("echo", echo);
    m
}
