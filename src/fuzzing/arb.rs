//! `arbitrary::Arbitrary` for the descriptions: the fuzzer's bytes decide
//! every field, and strings and payloads are borrowed from them.
//!
//! Choices are biased toward what consumers look at: message types from
//! netlink's control types, rtnetlink and the pyroute2 transport; family
//! headers of the sizes real families use; attribute types from 0 to
//! [`MAX_ATTR_TYPE`]. Descriptions are always valid (trees in preorder,
//! strings without NUL, params an array or object), so the only errors
//! writing them can give are size limits.

use arbitrary::{Arbitrary, Result, Unstructured};

use super::describe::{
    AttrTree, AttrValue, DatagramDesc, FAMILY_SIZES, IdDesc, JsonTree, JsonValue, MAX_ATTR_TYPE,
    MAX_ATTRS, MAX_JSON_NODES, MAX_MESSAGES, MESSAGE_TYPES, MessageDesc, NetlinkDesc, OutcomeDesc,
    RequestDesc, ResponseDesc, RpcDesc, STYLES,
};
use crate::netlink::NLA_F_NET_BYTEORDER;
use crate::procslink::{DatagramRepr, PayloadType};

static ZEROS: [u8; 32] = [0; 32];

fn no_nul(s: &str) -> &str {
    s.split('\0').next().unwrap_or_default()
}

fn attr_type(u: &mut Unstructured<'_>) -> Result<u16> {
    let ty = u.int_in_range(0..=MAX_ATTR_TYPE)?;
    Ok(if u.ratio(1, 8)? {
        ty | NLA_F_NET_BYTEORDER
    } else {
        ty
    })
}

/// A leaf value (never [`AttrValue::Nest`]).
fn leaf<'a>(u: &mut Unstructured<'a>) -> Result<AttrValue<'a>> {
    Ok(match u.int_in_range(0..=6u8)? {
        0 => AttrValue::Flag,
        1 => AttrValue::U8(u.arbitrary()?),
        2 => AttrValue::U16(u.arbitrary()?),
        3 => AttrValue::U32(u.arbitrary()?),
        4 => AttrValue::U64(u.arbitrary()?),
        5 => AttrValue::Str(no_nul(u.arbitrary()?)),
        _ => AttrValue::Bytes(u.arbitrary()?),
    })
}

impl<'a> Arbitrary<'a> for AttrValue<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if u.ratio(1, 4)? {
            Ok(AttrValue::Nest)
        } else {
            leaf(u)
        }
    }
}

impl<'a> Arbitrary<'a> for AttrTree<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut tree = AttrTree::new();
        let n = u.int_in_range(0..=MAX_ATTRS)?;
        for _ in 0..n {
            let depth = u.int_in_range(0..=tree.max_next_depth())?;
            let ty = attr_type(u)?;
            let value = AttrValue::arbitrary(u)?;
            if tree.push(depth, ty, value).is_err() {
                break;
            }
        }
        Ok(tree)
    }
}

impl<'a> Arbitrary<'a> for MessageDesc<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let ty = if u.ratio(7, 8)? {
            *u.choose(&MESSAGE_TYPES)?
        } else {
            u.arbitrary()?
        };
        let size = *u.choose(&FAMILY_SIZES)?;
        Ok(MessageDesc {
            ty,
            flags: u.arbitrary()?,
            seq: u.arbitrary()?,
            pid: u.arbitrary()?,
            family: u.bytes(size).unwrap_or(ZEROS.get(..size).unwrap_or(&[])),
            attrs: u.arbitrary()?,
        })
    }
}

impl<'a> Arbitrary<'a> for NetlinkDesc<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut desc = NetlinkDesc::default();
        let n = u.int_in_range(1..=MAX_MESSAGES)?;
        for _ in 0..n {
            if desc.messages.push(u.arbitrary()?).is_err() {
                break;
            }
        }
        Ok(desc)
    }
}

fn json_scalar<'a>(u: &mut Unstructured<'a>) -> Result<JsonValue<'a>> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => JsonValue::Null,
        1 => JsonValue::Bool(u.arbitrary()?),
        2 => JsonValue::Int(u.arbitrary()?),
        _ => JsonValue::Str(u.arbitrary()?),
    })
}

fn json_value<'a>(u: &mut Unstructured<'a>) -> Result<JsonValue<'a>> {
    Ok(match u.int_in_range(0..=2u8)? {
        0 => JsonValue::Array,
        1 => JsonValue::Object,
        _ => json_scalar(u)?,
    })
}

/// A JSON tree whose root is an array or an object when `container`.
fn json_tree<'a>(u: &mut Unstructured<'a>, container: bool) -> Result<JsonTree<'a>> {
    let root = if container {
        if u.arbitrary()? {
            JsonValue::Object
        } else {
            JsonValue::Array
        }
    } else {
        json_value(u)?
    };
    let mut tree = JsonTree::leaf(root);
    let n = u.int_in_range(0..=MAX_JSON_NODES - 1)?;
    for _ in 0..n {
        let Some((lo, hi)) = tree.next_depths() else {
            break;
        };
        let depth = u.int_in_range(lo..=hi)?;
        let key = u.arbitrary()?;
        let value = json_value(u)?;
        if tree.push(depth, key, value).is_err() {
            break;
        }
    }
    Ok(tree)
}

impl<'a> Arbitrary<'a> for JsonTree<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        json_tree(u, false)
    }
}

impl<'a> Arbitrary<'a> for IdDesc<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=2u8)? {
            0 => IdDesc::Null,
            1 => IdDesc::Int(u.arbitrary()?),
            _ => IdDesc::Str(u.arbitrary()?),
        })
    }
}

impl<'a> Arbitrary<'a> for RequestDesc<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(RequestDesc {
            id: u.arbitrary()?,
            method: u.arbitrary()?,
            params: if u.arbitrary()? {
                Some(json_tree(u, true)?)
            } else {
                None
            },
        })
    }
}

impl<'a> Arbitrary<'a> for ResponseDesc<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let id = u.arbitrary()?;
        let outcome = if u.arbitrary()? {
            OutcomeDesc::Result(u.arbitrary()?)
        } else {
            OutcomeDesc::Error {
                code: u.arbitrary()?,
                message: u.arbitrary()?,
                data: u.arbitrary()?,
            }
        };
        Ok(ResponseDesc { id, outcome })
    }
}

impl<'a> Arbitrary<'a> for RpcDesc<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if u.arbitrary()? {
            RpcDesc::Request(u.arbitrary()?)
        } else {
            RpcDesc::Response(u.arbitrary()?)
        })
    }
}

impl<'a> Arbitrary<'a> for DatagramDesc<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let rpc: RpcDesc<'a> = u.arbitrary()?;
        let payload_type = if u.ratio(7, 8)? {
            match rpc {
                RpcDesc::Request(_) => PayloadType::JSONRPC_REQUEST,
                RpcDesc::Response(_) => PayloadType::JSONRPC_RESPONSE,
            }
        } else {
            PayloadType(u.arbitrary()?)
        };
        let repr = DatagramRepr {
            nlmsg_type: u.arbitrary()?,
            nlmsg_flags: u.arbitrary()?,
            nlmsg_seq: u.arbitrary()?,
            pid: u.arbitrary()?,
            version: u.arbitrary()?,
            flag: u.arbitrary()?,
            payload_type,
            reserved: u.arbitrary()?,
            seq: u.arbitrary()?,
            timestamp: u.arbitrary()?,
        };
        Ok(DatagramDesc {
            repr,
            style: *u.choose(&STYLES)?,
            rpc,
        })
    }
}
