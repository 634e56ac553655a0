//! The examples of the JSON-RPC 2.0 specification, section 7, and the
//! classification of malformed input.

use procslink::jsonrpc::{
    Decoder, ErrorCode, Id, Incoming, Kind, Message, Request, Response, error_code,
};
use procslink::{Error, ErrorKind, JsonSyntax, RpcViolation};

fn request(text: &str) -> Request<'_> {
    match Message::parse(text.as_bytes()) {
        Ok(Incoming::Single(Message::Request(r))) => r,
        other => panic!("{text}: {other:?}"),
    }
}

fn response(text: &str) -> Response<'_> {
    match Message::parse(text.as_bytes()) {
        Ok(Incoming::Single(Message::Response(r))) => r,
        other => panic!("{text}: {other:?}"),
    }
}

fn error(text: &str) -> Error {
    Message::parse(text.as_bytes()).expect_err(text)
}

fn batch(text: &str) -> Vec<Result<Message<'_>, Error>> {
    match Message::parse(text.as_bytes()) {
        Ok(Incoming::Batch(b)) => b.iter().collect(),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn positional_parameters() {
    let r = request(r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#);
    assert_eq!(r.method, "subtract");
    assert_eq!(r.id, Some(Id::from(1)));
    let p = r.params.unwrap();
    assert!(p.is_positional());
    let args: Vec<_> = p.positional().unwrap().map(|v| v.as_str()).collect();
    assert_eq!(args, ["42", "23"]);
    let resp = response(r#"{"jsonrpc": "2.0", "result": 19, "id": 1}"#);
    assert_eq!(resp.id.as_i64(), Some(1));
    assert_eq!(resp.outcome.unwrap().as_str(), "19");

    let r = request(r#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#);
    assert_eq!(r.params.unwrap().nth(0).unwrap().as_str(), "23");
    let resp = response(r#"{"jsonrpc": "2.0", "result": -19, "id": 2}"#);
    assert_eq!(
        resp.outcome.unwrap().as_number().unwrap().as_i64(),
        Some(-19)
    );
}

#[test]
fn named_parameters() {
    let r = request(
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#,
    );
    let p = r.params.unwrap();
    assert!(p.is_named());
    assert_eq!(p.get("subtrahend").unwrap().as_str(), "23");
    assert_eq!(p.get("minuend").unwrap().as_str(), "42");
    let names: Vec<_> = p.named().unwrap().map(|(k, _)| k.to_string()).collect();
    assert_eq!(names, ["subtrahend", "minuend"]);
    assert_eq!(
        response(r#"{"jsonrpc": "2.0", "result": 19, "id": 3}"#).id,
        Id::from(3)
    );

    let r = request(
        r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#,
    );
    assert_eq!(r.params.unwrap().get("minuend").unwrap().as_str(), "42");
    assert_eq!(
        response(r#"{"jsonrpc": "2.0", "result": 19, "id": 4}"#).id,
        Id::from(4u8)
    );
}

#[test]
fn notifications() {
    let r = request(r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#);
    assert!(r.is_notification());
    assert_eq!(r.params.unwrap().positional().unwrap().count(), 5);
    let r = request(r#"{"jsonrpc": "2.0", "method": "foobar"}"#);
    assert!(r.is_notification());
    assert!(r.params.is_none());
}

#[test]
fn non_existent_method() {
    let r = request(r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#);
    assert_eq!(r.id.unwrap().as_json_str().unwrap(), "1");
    let resp = response(
        r#"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#,
    );
    assert_eq!(resp.id, Id::from("1"));
    let e = resp.outcome.unwrap_err();
    assert_eq!(e.code, ErrorCode::METHOD_NOT_FOUND);
    assert_eq!(e.message, "Method not found");
}

#[test]
fn invalid_json() {
    let e = error(r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#);
    assert!(matches!(e.kind(), ErrorKind::Json(_)), "{e:?}");
    assert_eq!(error_code(&e), -32700);
    assert_eq!(
        Id::recover(br#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#),
        None
    );
    let resp = response(
        r#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#,
    );
    assert_eq!(resp.id, Id::Null);
    assert_eq!(resp.outcome.unwrap_err().code, ErrorCode::PARSE_ERROR);
}

#[test]
fn invalid_request_object() {
    let text = r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#;
    let e = error(text);
    assert_eq!(e.kind(), ErrorKind::Rpc(RpcViolation::MethodNotString));
    assert_eq!(error_code(&e), -32600);
    assert_eq!(Id::recover(text.as_bytes()), None);
    let resp = response(
        r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#,
    );
    assert_eq!(resp.outcome.unwrap_err().code, ErrorCode::INVALID_REQUEST);
}

#[test]
fn batch_invalid_json() {
    let e = error(
        r#"[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
]"#,
    );
    assert!(matches!(e.kind(), ErrorKind::Json(_)), "{e:?}");
    assert_eq!(ErrorCode::from_error(&e), ErrorCode::PARSE_ERROR);
}

#[test]
fn empty_array() {
    let e = error("[]");
    assert_eq!(e, Error::new(ErrorKind::Rpc(RpcViolation::EmptyBatch), 0));
    assert_eq!(error_code(&e), -32600);
    assert_eq!(error(" [ \n ] ").offset(), 1);
}

#[test]
fn invalid_batch_but_not_empty() {
    let items = batch("[1]");
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].unwrap_err(),
        Error::new(ErrorKind::Rpc(RpcViolation::NotAnObject), 1)
    );
}

#[test]
fn invalid_batch() {
    let items = batch("[1,2,3]");
    assert_eq!(items.len(), 3);
    for (item, at) in items.iter().zip([1, 3, 5]) {
        let e = item.unwrap_err();
        assert_eq!(e, Error::new(ErrorKind::Rpc(RpcViolation::NotAnObject), at));
        assert_eq!(error_code(&e), -32600);
    }
}

#[test]
fn mixed_batch() {
    let text = r#"[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]"#;
    let items = batch(text);
    assert_eq!(items.len(), 6);
    let reqs: Vec<_> = items
        .iter()
        .map(|m| m.map(|m| m.into_request().unwrap()))
        .collect();
    let r = reqs[0].unwrap();
    assert_eq!((r.method, r.id), ("sum".into(), Some(Id::from("1"))));
    assert!(reqs[1].unwrap().is_notification());
    assert_eq!(reqs[2].unwrap().id, Some(Id::from("2")));
    let bad = reqs[3].unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::Rpc(RpcViolation::MissingVersion));
    assert_eq!(bad.offset(), text.find(r#"{"foo""#).unwrap());
    assert_eq!(
        reqs[4]
            .unwrap()
            .params
            .unwrap()
            .get("name")
            .unwrap()
            .as_str(),
        r#""myself""#
    );
    assert_eq!(reqs[5].unwrap().method, "get_data");
    let answered = reqs
        .iter()
        .filter(|r| r.map_or(true, |r| !r.is_notification()))
        .count();
    assert_eq!(answered, 5);

    let responses = batch(
        r#"[
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
    ]"#,
    );
    let responses: Vec<_> = responses
        .into_iter()
        .map(|m| m.unwrap().into_response().unwrap())
        .collect();
    assert_eq!(responses.len(), 5);
    assert_eq!(responses[2].id, Id::Null);
    assert!(responses[3].is_error());
    assert_eq!(responses[4].outcome.unwrap().kind(), Kind::Array);
}

#[test]
fn all_notifications_batch() {
    let items = batch(
        r#"[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]"#,
    );
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|m| m.unwrap().into_request().unwrap().is_notification())
    );
}

fn rpc(text: &str) -> RpcViolation {
    match error(text).kind() {
        ErrorKind::Rpc(v) => v,
        other => panic!("{text}: {other:?}"),
    }
}

fn json(text: &[u8]) -> JsonSyntax {
    match Message::parse(text).map(|_| ()).unwrap_err().kind() {
        ErrorKind::Json(v) => v,
        other => panic!("{text:?}: {other:?}"),
    }
}

#[test]
fn invalid_requests() {
    assert_eq!(rpc(r#"{"method": "m"}"#), RpcViolation::MissingVersion);
    assert_eq!(
        rpc(r#"{"jsonrpc": "1.0", "method": "m"}"#),
        RpcViolation::WrongVersion
    );
    assert_eq!(
        rpc(r#"{"jsonrpc": 2.0, "method": "m"}"#),
        RpcViolation::WrongVersion
    );
    assert_eq!(rpc(r#"{"jsonrpc": "2.0"}"#), RpcViolation::MissingMethod);
    assert_eq!(
        rpc(r#"{"jsonrpc": "2.0", "id": 1}"#),
        RpcViolation::MissingMethod
    );
    assert_eq!(
        rpc(r#"{"jsonrpc": "2.0", "method": null}"#),
        RpcViolation::MethodNotString
    );
    for id in ["{}", "[1]", "true", "false"] {
        let text = format!(r#"{{"jsonrpc": "2.0", "method": "m", "id": {id}}}"#);
        assert_eq!(rpc(&text), RpcViolation::BadId, "{text}");
    }
    for params in ["\"bar\"", "1", "null", "true"] {
        let text = format!(r#"{{"jsonrpc": "2.0", "method": "m", "params": {params}}}"#);
        assert_eq!(rpc(&text), RpcViolation::BadParams, "{text}");
    }
    assert_eq!(rpc(r#""hello""#), RpcViolation::NotAnObject);
    assert_eq!(rpc("null"), RpcViolation::NotAnObject);
    assert_eq!(
        rpc(r#"{"jsonrpc": "2.0", "method": "a", "method": "b"}"#),
        RpcViolation::DuplicateMember
    );
    assert_eq!(
        rpc(r#"{"jsonrpc": "2.0", "meth\u006fd": "a", "method": "b"}"#),
        RpcViolation::DuplicateMember
    );
    assert_eq!(
        rpc(r#"{"jsonrpc": "2.0", "id": 1, "result": 1, "error": {"code": 1, "message": ""}}"#),
        RpcViolation::ResultAndError
    );
    assert_eq!(
        rpc(r#"{"jsonrpc": "2.0", "result": 1}"#),
        RpcViolation::MissingId
    );
    for e in [
        "1",
        r#"{"message": "x"}"#,
        r#"{"code": 1}"#,
        r#"{"code": "1", "message": "x"}"#,
        r#"{"code": 1.0, "message": "x"}"#,
        r#"{"code": 2147483648, "message": "x"}"#,
        r#"{"code": 1, "message": 1}"#,
    ] {
        let text = format!(r#"{{"jsonrpc": "2.0", "id": 1, "error": {e}}}"#);
        assert_eq!(rpc(&text), RpcViolation::BadErrorObject, "{text}");
    }
    assert_eq!(
        rpc(r#"{"jsonrpc": "2.0", "id": 1, "error": {"code": 1, "code": 2, "message": ""}}"#),
        RpcViolation::DuplicateMember
    );

    // Unknown members are ignored, escaped member names and version count.
    let r = request(r#"{"x": [1], "jsonrpc": "2\u002e0", "\u006dethod": "m", "extra": {}}"#);
    assert_eq!(r.method, "m");

    // The id of an invalid request can be recovered when it is readable.
    let text = br#"{"jsonrpc": "2.0", "method": 5, "id": "x\n"}"#;
    assert!(Message::parse(text).is_err());
    assert_eq!(Id::recover(text), Some(Id::from("x\n")));
    assert_eq!(Id::recover(br#"{"id": 1, "id": 2}"#), None);
    assert_eq!(Id::recover(br#"{"id": [1]}"#), None);
}

#[test]
fn json_before_rpc() {
    // A request that is invalid JSON-RPC *and* invalid JSON is a parse error.
    assert_eq!(
        json(br#"{"jsonrpc": "1.0", "method": 1, "params": "bar""#),
        JsonSyntax::UnexpectedEnd
    );
    assert_eq!(
        json(br#"{"jsonrpc": "1.0"} x"#),
        JsonSyntax::TrailingCharacters
    );
    assert_eq!(json(b"[1] [2]"), JsonSyntax::TrailingCharacters);
    assert_eq!(json(b"[1, 2,]"), JsonSyntax::UnexpectedByte(b']'));
}

#[test]
fn json_syntax() {
    let cases: &[(&[u8], JsonSyntax, usize)] = &[
        (b"", JsonSyntax::UnexpectedEnd, 0),
        (b"  ", JsonSyntax::UnexpectedEnd, 2),
        (b"{\"a\" 1}", JsonSyntax::UnexpectedByte(b'1'), 5),
        (b"[01]", JsonSyntax::InvalidNumber, 2),
        (b"[1.]", JsonSyntax::InvalidNumber, 3),
        (b"[-]", JsonSyntax::InvalidNumber, 2),
        (b"[1e]", JsonSyntax::InvalidNumber, 3),
        (b"[+1]", JsonSyntax::UnexpectedByte(b'+'), 1),
        (b"[.5]", JsonSyntax::UnexpectedByte(b'.'), 1),
        (b"[\"a\x01\"]", JsonSyntax::ControlCharacter, 3),
        (b"[\"\\x\"]", JsonSyntax::InvalidEscape, 2),
        (b"[\"\\u12g4\"]", JsonSyntax::InvalidUnicodeEscape, 4),
        (b"[\"\\ud800\"]", JsonSyntax::LoneSurrogate, 2),
        (b"[\"\\udc00\"]", JsonSyntax::LoneSurrogate, 2),
        (b"[\"\\ud800\\u0041\"]", JsonSyntax::LoneSurrogate, 2),
        (b"[\"\xff\"]", JsonSyntax::InvalidUtf8, 2),
        (b"[tru]", JsonSyntax::UnexpectedByte(b']'), 4),
        (b"[nul", JsonSyntax::UnexpectedEnd, 4),
        (b"\x0c[]", JsonSyntax::UnexpectedByte(0x0c), 0),
        (b"[\"abc", JsonSyntax::UnexpectedEnd, 5),
        (b"{\"a\":1,}", JsonSyntax::UnexpectedByte(b'}'), 7),
        (b"{1:2}", JsonSyntax::UnexpectedByte(b'1'), 1),
        (b"[1}", JsonSyntax::UnexpectedByte(b'}'), 2),
        (b"{\"a\":1]", JsonSyntax::UnexpectedByte(b']'), 6),
    ];
    for &(text, kind, at) in cases {
        let e = Message::parse(text).map(|_| ()).unwrap_err();
        assert_eq!(
            e,
            Error::new(ErrorKind::Json(kind), at),
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
    // Accepted: surrogate pairs, every escape, whitespace of all four kinds.
    let r = request(
        "\t\r\n {\"jsonrpc\" : \"2.0\" ,\"method\":\"\\ud83d\\ude00\\b\\f\\n\\r\\t\\/\\\\\\\"\"}\n",
    );
    assert_eq!(r.method, "😀\u{8}\u{c}\n\r\t/\\\"");
}

#[test]
fn nesting_limit() {
    let deep = |n: usize| {
        format!(
            r#"{{"jsonrpc": "2.0", "method": "m", "params": {}{}}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    assert!(Message::parse(deep(127).as_bytes()).is_ok());
    let e = error(&deep(128));
    assert_eq!(e.kind(), ErrorKind::Json(JsonSyntax::TooDeep));
    assert_eq!(e.offset(), 44 + 127);
    let huge = "[".repeat(100_000);
    assert_eq!(error(&huge).kind(), ErrorKind::Json(JsonSyntax::TooDeep));
    let d = Decoder::new().with_max_depth(usize::MAX);
    assert_eq!(d.max_depth(), procslink::jsonrpc::MAX_DEPTH_LIMIT);
    assert!(d.parse(deep(255).as_bytes()).is_ok());
    assert!(d.parse(deep(256).as_bytes()).is_err());
    assert_eq!(
        Decoder::new()
            .with_max_depth(0)
            .parse(b"{}")
            .unwrap_err()
            .kind(),
        ErrorKind::Json(JsonSyntax::TooDeep)
    );
}

#[test]
fn request_and_response_parse() {
    let e = Request::parse(br#" {"jsonrpc": "2.0", "id": 1, "result": 2}"#).unwrap_err();
    assert_eq!(
        e,
        Error::new(ErrorKind::Rpc(RpcViolation::MissingMethod), 1)
    );
    let e = Response::parse(br#"{"jsonrpc": "2.0", "id": 1, "method": "m"}"#).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rpc(RpcViolation::NoResultOrError));
    let e = Request::parse(br#"[{"jsonrpc": "2.0", "method": "m"}]"#).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rpc(RpcViolation::NotAnObject));
}

#[test]
fn error_codes() {
    assert_eq!(ErrorCode::PARSE_ERROR.0, -32700);
    assert_eq!(ErrorCode::INVALID_REQUEST.0, -32600);
    assert_eq!(ErrorCode::METHOD_NOT_FOUND.0, -32601);
    assert_eq!(ErrorCode::INVALID_PARAMS.0, -32602);
    assert_eq!(ErrorCode::INTERNAL_ERROR.0, -32603);
    let messages: Vec<_> = [
        -32700, -32600, -32601, -32602, -32603, -32000, -32099, -32100, 1,
    ]
    .into_iter()
    .map(|c| ErrorCode(c).standard_message())
    .collect();
    assert_eq!(
        messages,
        [
            Some("Parse error"),
            Some("Invalid Request"),
            Some("Method not found"),
            Some("Invalid params"),
            Some("Internal error"),
            Some("Server error"),
            Some("Server error"),
            None,
            None
        ]
    );
    assert!(!ErrorCode(-31999).is_server_error());
    assert!(!ErrorCode(-32100).is_server_error());
    assert!(ErrorCode(-32100).is_reserved());
    assert_eq!(
        ErrorCode::from_error(&Error::new(ErrorKind::TypedDecode, 0)),
        ErrorCode::INVALID_PARAMS
    );
    assert_eq!(
        ErrorCode::from(Error::new(ErrorKind::BufferTooSmall { needed: 1 }, 0)),
        ErrorCode::INTERNAL_ERROR
    );
}

/// The decoder matches the envelope's usual opening (`{"jsonrpc": "2.0", `
/// in Python's spelling or compact) whole; every text that starts with it
/// must decode exactly as when spelled otherwise (here with a space before
/// the colon, which shifts later offsets by one).
#[test]
fn the_usual_opening_decodes_as_any_other() {
    let rests = [
        r#""method": "hello", "params": ["Rust"], "id": 1}"#,
        r#""id": 7, "result": "Hello, Rust!"}"#,
        r#""id": 7, "error": {"code": -32601, "message": "Method not found"}}"#,
        r#""id": 7, "error": {"code": "x", "message": "m"}}"#,
        r#""method": "m"}"#,
        r#""method": 5}"#,
        r#""jsonrpc": "2.0", "method": "m"}"#,
        r#""method": "m", "jsonrpc": "1.0"}"#,
        r#""id": 1}"#,
        r#""id": 1, "result": 1, "error": {"code": 1, "message": "m"}}"#,
        r#"}"#,
        r#" }"#,
        r#"{"method": "m"}}"#,
        r#""method": "m",}"#,
        r#""method": "m" "id": 1}"#,
        r#""method": "m", "params": 3}"#,
        r#""method": "m", "params": [1, [2, {"a": null}]], "id": "x"}"#,
        r#""method": "m"} trailing"#,
        r#""method": "m""#,
        r#""#,
        r#""meth"#,
        "\t\"method\": \"m\"}",
        "\n}",
        "  \"id\": 2, \"result\": null}",
    ];
    for rest in rests {
        for (lead, other) in [
            (r#"{"jsonrpc": "2.0", "#, r#"{"jsonrpc" : "2.0", "#),
            (r#"{"jsonrpc":"2.0","#, r#"{"jsonrpc" :"2.0","#),
        ] {
            let text = format!("{lead}{rest}");
            let spelled = format!("{other}{rest}");
            let shift = |at: usize| if at >= 10 { at + 1 } else { at };
            match (
                Message::parse(text.as_bytes()),
                Message::parse(spelled.as_bytes()),
            ) {
                (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{text}"),
                (Err(a), Err(b)) => {
                    assert_eq!(a.kind(), b.kind(), "{text}");
                    assert_eq!(shift(a.offset()), b.offset(), "{text}");
                }
                (a, b) => panic!("{text}: {a:?} against {b:?}"),
            }
        }
    }
}
