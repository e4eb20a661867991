//! `GET` and `POST /api/v1/me/subscriptions.opml`: the caller's subscriptions as an OPML 2.0
//! file, as podcast apps export and import them; an import subscribes to every outline that is
//! one of this platform's feeds (as `--public-base-url` names them) and reports the others.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, CommandIds, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::PodcastsApi;
use super::subscriptions::{send_subscription, subscriptions_page};
use crate::application::SubscriptionRequest;

/// The most subscriptions an export lists, and outlines an import reads.
pub const MAX_OUTLINES: usize = 1_000;
/// The deepest an imported document may nest `outline` elements. Subscription lists are one or
/// two levels deep (folders of feeds); the `opml` parser recurses once per level, so a document
/// nested thousands deep would overflow a worker's stack: it is refused before that parser runs.
pub const MAX_OUTLINE_DEPTH: usize = 32;
/// The OPML media type.
pub const OPML_TYPE: &str = "text/x-opml; charset=utf-8";

/// What an import did with each outline's feed URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(super) struct ImportReport {
    /// Shows the caller is now subscribed to (including those they already were).
    pub subscribed: Vec<String>,
    /// Feed URLs that are not this platform's (left alone).
    pub not_ours: Vec<String>,
    /// This platform's feed URLs of no show, or of a deleted one.
    pub unknown: Vec<String>,
}

fn feeds(outlines: &[opml::Outline], into: &mut Vec<String>) {
    for outline in outlines {
        if let Some(url) = outline.xml_url.as_deref().filter(|u| !u.trim().is_empty()) {
            into.push(url.trim().to_owned());
        }
        feeds(&outline.outlines, into);
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/me/subscriptions.opml",
    summary = "The caller's subscriptions as OPML 2.0 (at most 1,000)",
    responses((status = 200, description = "An OPML 2.0 document: one `rss` outline per show", content_type = "text/x-opml", body = String)),
    security(("bearer" = [])),
)]
pub(super) async fn export(
    State(api): State<PodcastsApi>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let limit = i64::try_from(MAX_OUTLINES).unwrap_or(i64::MAX);
    let subscriptions = subscriptions_page(&api, &caller.user_id.to_string(), None, limit).await?;
    let mut document = opml::OPML {
        version: "2.0".to_owned(),
        head: Some(opml::Head {
            title: Some("Agora podcast subscriptions".to_owned()),
            ..opml::Head::default()
        }),
        ..opml::OPML::default()
    };
    for s in subscriptions.iter().filter(|s| !s.feed_url.is_empty()) {
        document.body.outlines.push(opml::Outline {
            text: s.title.clone(),
            title: Some(s.title.clone()),
            r#type: Some("rss".to_owned()),
            xml_url: Some(s.feed_url.clone()),
            ..opml::Outline::default()
        });
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        document.to_string().map_err(ApiError::internal)?
    );
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(OPML_TYPE)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"subscriptions.opml\""),
            ),
        ],
        xml,
    )
        .into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/me/subscriptions.opml",
    summary = "Import an OPML file: subscribe to every outline that is one of this platform's feeds",
    request_body(content = String, content_type = "text/x-opml", description = "An OPML 1.0 or 2.0 document (`text/x-opml`, `application/xml` or `text/xml`)"),
    responses(
        (status = 200, description = "What each feed URL became", body = ImportReport),
        (status = 415, description = "`unsupported_media_type`: not sent as OPML or XML"),
        (status = 422, description = "`validation_failed`: empty, not well-formed XML (line and column), not an OPML document (no `<opml>` root or no `<body>`), an unknown or wrongly used encoding, outlines nested more than 32 deep, or more than 1,000 outlines"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn import(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ![
        "text/x-opml",
        "application/xml",
        "text/xml",
        "application/x-opml",
    ]
    .iter()
    .any(|t| media.starts_with(t))
    {
        return Err(ApiError::UnsupportedMediaType(
            "send the OPML document as text/x-opml (or application/xml)".into(),
        ));
    }
    let text = decode(&body).map_err(ApiError::Validation)?;
    check_shape(&text).map_err(ApiError::Validation)?;
    let document = opml::OPML::from_str(&text)
        .map_err(|e| ApiError::Validation(format!("not an OPML document: {e}")))?;
    let mut urls = Vec::new();
    feeds(&document.body.outlines, &mut urls);
    if urls.len() > MAX_OUTLINES {
        return Err(ApiError::Validation(format!(
            "at most {MAX_OUTLINES} feeds in one import"
        )));
    }
    let mut report = ImportReport::default();
    for url in urls {
        let Some(show_id) = api.extra.config.show_of_feed(&url) else {
            report.not_ours.push(url);
            continue;
        };
        // One command per show (one stream each), its id derived from the request's: a retry
        // of the import sends the same ones.
        let per_show = CommandIds::of(ids.derive(&format!("subscribe:{show_id}")));
        let request = SubscriptionRequest::Subscribe { show_id };
        match send_subscription(&api, &caller, per_show, request).await {
            Ok(_) => {
                if !report.subscribed.contains(&show_id.to_string()) {
                    report.subscribed.push(show_id.to_string());
                }
            }
            // No such show, or a deleted one (the handler checks on the store).
            Err(ApiError::Refused { .. }) => report.unknown.push(url),
            Err(e) => return Err(e),
        }
    }
    Ok(Json(report))
}

/// The document as UTF-8 text: as sent when it is UTF-8 (with or without a byte order mark),
/// else decoded from the encoding its byte order mark or XML declaration names (podcast apps
/// still export ISO-8859-1 and windows-1252). The message says what is wrong.
fn decode(body: &[u8]) -> Result<String, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the OPML document is empty".into());
    }
    let encoding = match encoding_rs::Encoding::for_bom(body) {
        Some((encoding, _)) => encoding,
        None => match declared_encoding(body) {
            None => encoding_rs::UTF_8,
            // A declaration read as ASCII cannot be in UTF-16 (which has no ASCII bytes): as
            // browsers do, such a label means UTF-8 (`output_encoding`).
            Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
                .map(encoding_rs::Encoding::output_encoding)
                .ok_or_else(|| {
                    format!(
                        "the OPML document declares the encoding \"{label}\", which is not known; \
                     send it as UTF-8"
                    )
                })?,
        },
    };
    // `decode` removes a byte order mark; malformed sequences are refused, not replaced, so a
    // feed URL is never silently altered.
    let (text, used, had_errors) = encoding.decode(body);
    if had_errors {
        return Err(format!("the OPML document is not valid {}", used.name()));
    }
    Ok(text.into_owned())
}

/// The encoding an XML declaration at the start of `body` names, if any.
fn declared_encoding(body: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Decl(decl)) => {
                let label = decl.encoding()?.ok()?;
                return Some(String::from_utf8_lossy(&label).into_owned());
            }
            // Only whitespace may come before a declaration.
            Ok(quick_xml::events::Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
            _ => return None,
        }
    }
}

/// Checks, in one streaming pass that does not recurse, that `text` is well-formed XML whose
/// root is `opml` with a `body`, and that no element nests deeper than [`MAX_OUTLINE_DEPTH`]
/// outlines (below `opml` and `body`). The message says what is wrong, and where.
fn check_shape(text: &str) -> Result<(), String> {
    use quick_xml::events::Event;
    let max_depth = MAX_OUTLINE_DEPTH + 2;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0_usize;
    let mut root = None::<String>;
    let mut has_body = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            let (line, column) = line_and_column(text, reader.error_position());
            format!("not well-formed XML at line {line}, column {column}: {e}")
        })?;
        let start = match &event {
            Event::Start(e) | Event::Empty(e) => Some(e.local_name().as_ref().to_vec()),
            _ => None,
        };
        if let Some(name) = start {
            let name = String::from_utf8_lossy(&name).into_owned();
            match depth {
                0 if root.is_some() => {
                    return Err("not well-formed XML: more than one root element".into());
                }
                0 => root = Some(name.clone()),
                1 if name == "body" => has_body = true,
                _ => {}
            }
            if matches!(event, Event::Start(_)) {
                depth += 1;
                if depth > max_depth {
                    let (line, column) = line_and_column(text, reader.buffer_position());
                    return Err(format!(
                        "the OPML document nests outlines more than {MAX_OUTLINE_DEPTH} deep \
                         (line {line}, column {column})"
                    ));
                }
            }
        }
        match event {
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof if depth > 0 => {
                return Err("not well-formed XML: the document ends inside an element".into());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match root.as_deref() {
        None => Err("not an OPML document: no root element".into()),
        Some("opml") if has_body => Ok(()),
        Some("opml") => Err("not an OPML document: no <body> element in <opml>".into()),
        Some(other) => Err(format!(
            "not an OPML document: the root element is <{other}>, not <opml>"
        )),
    }
}

/// The 1-based line and column (in characters) of byte `position` of `text`.
fn line_and_column(text: &str, position: u64) -> (usize, usize) {
    let end = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(text.len());
    // A position inside a character counts from that character's start.
    let end = (0..=end)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!(
            "<opml version=\"2.0\"><body>{}{}</body></opml>",
            "<outline>".repeat(depth),
            "</outline>".repeat(depth)
        )
    }

    #[test]
    fn documents_nested_too_deep_are_refused_before_the_recursive_parser() {
        assert!(check_shape(&nested(MAX_OUTLINE_DEPTH)).is_ok());
        for depth in [MAX_OUTLINE_DEPTH + 1, 1_000, 50_000] {
            let e = check_shape(&nested(depth)).unwrap_err();
            assert!(e.contains("more than 32 deep"), "{e}");
        }
    }

    #[test]
    fn each_fault_is_named() {
        assert_eq!(decode(b" \n").unwrap_err(), "the OPML document is empty");
        assert!(decode(b"").is_err());
        let e = check_shape("<opml version=\"2.0\"><head/></opml>").unwrap_err();
        assert_eq!(e, "not an OPML document: no <body> element in <opml>");
        let e = check_shape("<opml>\n  <body></head></opml>").unwrap_err();
        assert!(
            e.starts_with("not well-formed XML at line 2, column"),
            "{e}"
        );
        let e = check_shape("not xml").unwrap_err();
        assert_eq!(e, "not an OPML document: no root element");
        let e = check_shape("<rss><body/></rss>").unwrap_err();
        assert!(e.contains("<rss>"), "{e}");
        let e = check_shape("<opml><body>").unwrap_err();
        assert!(e.contains("ends inside an element"), "{e}");
    }

    #[test]
    fn declared_legacy_encodings_are_decoded() {
        let mut latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<opml version=\"2.0\"><body><outline text=\"Caf".to_vec();
        latin1.push(0xE9);
        latin1.extend_from_slice(b"\" xmlUrl=\"https://x.example/f\"/></body></opml>");
        let text = decode(&latin1).unwrap();
        assert!(text.contains("Café"), "{text}");
        check_shape(&text).unwrap();
        let document = opml::OPML::from_str(&text).unwrap();
        assert_eq!(document.body.outlines[0].text, "Café");
        let e = decode(b"<?xml version=\"1.0\" encoding=\"klingon\"?><opml/>").unwrap_err();
        assert!(e.contains("\"klingon\""), "{e}");
        let utf16 = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><opml>é</opml>";
        assert_eq!(decode(utf16.as_bytes()).unwrap(), utf16);
        let e = decode(b"<opml>\xff</opml>").unwrap_err();
        assert_eq!(e, "the OPML document is not valid UTF-8");
    }
}
