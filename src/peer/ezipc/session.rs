//! The session's messages: ids in the reference's style, and JSON-RPC
//! texts built with the crate's codec in the reference's spelling
//! (compact separators, non-ASCII as `\uXXXX`: Python's
//! `json.dumps(..., separators=(",", ":"))`).

use std::prelude::rust_2024::*;

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::jsonrpc::{ErrorObject, Id, Message, Params, RawValue, Request, Response, Style};
use crate::peer::error::{CallError, RpcError};
use crate::peer::to_json_text;

use super::options::Profile;

/// How the reference spells JSON.
pub(super) const STYLE: Style = Style::CompactAscii;

/// The method a peer sends, as a notification, to close a session.
pub const TERM: &str = "TERM";

/// Appends `message` to `out`.
pub(super) fn put<'m>(message: impl Into<Message<'m>>, out: &mut Vec<u8>) {
    let message = message.into();
    let at = out.len();
    out.resize(at + message.encoded_len(STYLE), 0);
    let written = out
        .get_mut(at..)
        .map_or(0, |dst| message.encode(dst, STYLE).unwrap_or(0));
    out.truncate(at + written);
}

/// The JSON text of a request (`id` given) or notification. `params` is
/// the params' JSON text; the reference always sends params, `[]` when
/// there are none.
pub(super) fn request(
    id: Option<&str>,
    method: &str,
    params: &str,
    out: &mut Vec<u8>,
) -> Result<(), CallError> {
    let raw = RawValue::parse(params)
        .map_err(|e| CallError::Protocol(format!("params are not JSON: {e}")))?;
    let params = Params::new(raw)
        .ok_or_else(|| CallError::Protocol("params must be an array or an object".to_string()))?;
    let request = match id {
        Some(id) => Request::new(id, method, Some(params)),
        None => Request::notification(method, Some(params)),
    };
    put(request, out);
    Ok(())
}

/// The params' JSON text of a [`Value`]: `[]` for null, as the reference
/// sends none.
pub(super) fn params_text(params: &Value) -> String {
    match params {
        Value::Null => "[]".to_string(),
        v => to_json_text(v, STYLE),
    }
}

/// Appends the response to the request with `id`: the result's JSON text,
/// or the error.
pub(super) fn response(id: Id<'_>, outcome: Result<&str, &RpcError>, out: &mut Vec<u8>) {
    match outcome {
        Ok(text) => match RawValue::parse(text) {
            Ok(raw) => put(Response::result(id, raw), out),
            Err(e) => {
                let error = RpcError::internal(format_args!("result is not JSON: {e}"));
                response(id, Err(&error), out);
            }
        },
        Err(error) => {
            let data = error.data.as_ref().map(|d| to_json_text(d, STYLE));
            let mut object = ErrorObject::new(error.code, error.message.as_str());
            if let Some(raw) = data.as_deref().and_then(|d| RawValue::parse(d).ok()) {
                object = object.with_data(raw);
            }
            put(Response::error(id, object), out);
        }
    }
}

/// Ids for requests: `ALIAS/XXXXXX` (six hex digits, the HEAD's style;
/// `000` until the server has named the session), or 32 hex digits for
/// the raw profile (the older versions' `uuid4().hex`).
#[derive(Debug)]
pub(super) struct Ids {
    profile: Profile,
    alias: String,
    seed: u64,
    count: u64,
}

impl Ids {
    pub(super) fn new(profile: Profile) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ids {
            profile,
            alias: "000".to_string(),
            seed: mix(nanos ^ u64::from(std::process::id()).rotate_left(32)),
            count: 0,
        }
    }

    pub(super) fn set_alias(&mut self, alias: &str) {
        self.alias = alias.to_string();
    }

    pub(super) fn alias(&self) -> &str {
        &self.alias
    }

    /// A new id, different from the session's previous 2^24 ones.
    pub(super) fn next(&mut self) -> String {
        self.count = self.count.wrapping_add(1);
        match self.profile {
            Profile::Base85 => {
                let n = (self.seed.wrapping_add(self.count)) & 0xFF_FFFF;
                format!("{}/{n:06X}", self.alias)
            }
            Profile::Raw => format!("{:016x}{:016x}", self.seed, mix(self.count ^ self.seed)),
        }
    }
}

/// A 64-bit mixer (splitmix64's finaliser): distinct inputs, distinct
/// outputs.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A string id's text, unescaped.
pub(super) fn id_text(id: &Id<'_>) -> Option<String> {
    match id {
        Id::Str(s) => Some(s.chars().collect()),
        Id::Number(n) => Some(n.to_string()),
        Id::Null => None,
    }
}

#[cfg(test)]
mod tests {
    use std::prelude::rust_2024::*;

    use super::{Ids, params_text, request, response};
    use crate::jsonrpc::Id;
    use crate::peer::RpcError;
    use crate::peer::ezipc::Profile;

    #[test]
    fn texts_are_spelled_as_the_reference_spells_them() {
        let mut out = Vec::new();
        let params = params_text(&serde_json::json!({"k": "\u{e9}t\u{e9}"}));
        request(Some("786/C6417D"), "ECHO", &params, &mut out).unwrap();
        // The reference writes the same members, `params` before `id`.
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"jsonrpc":"2.0","method":"ECHO","id":"786/C6417D","params":{"k":"\u00e9t\u00e9"}}"#
        );
        let mut out = Vec::new();
        response(
            Id::from("a"),
            Err(&RpcError::method_not_found().with_data("X")),
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"Method not found","data":"X"}}"#
        );
        let mut out = Vec::new();
        assert!(request(None, "x", "3", &mut out).is_err());
    }

    #[test]
    fn ids_follow_the_profiles_styles() {
        let mut ids = Ids::new(Profile::Base85);
        let first = ids.next();
        assert!(first.starts_with("000/") && first.len() == 10, "{first}");
        ids.set_alias("7C5");
        let next = ids.next();
        assert!(next.starts_with("7C5/") && next != first);
        let raw = Ids::new(Profile::Raw).next();
        assert!(
            raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit()),
            "{raw}"
        );
    }
}
