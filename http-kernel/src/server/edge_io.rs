//! A connection as the server reads and writes it, so that even the answers hyper gives on its
//! own, before any route runs, are problem+json.
//!
//! hyper answers a request it cannot parse (a bad request line or header, too many or too large
//! headers, an over-long URI) with a bare status and no body, and drops a connection whose
//! headers do not arrive within the header-read timeout without a word. [`EdgeIo`] watches the
//! bytes of an HTTP/1 connection:
//! - an error status without a `Content-Type` can only be such an automatic refusal, since every
//!   error the application answers is problem+json ([`crate::problem_errors`]): it is replaced
//!   by the same status with a problem body, and the connection closes as hyper meant it to;
//! - when the connection is dropped while a head is still arriving (the header-read timeout
//!   fired), it writes a `408 request_timeout` problem first, best effort, without blocking.
//!
//! HTTP/2 connections pass through untouched (their preface ends the head at once).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::Problem;

/// Where the connection is in its current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing read since the last response began.
    Idle,
    /// Bytes of a request head have arrived, not yet its empty line (`matched` bytes of
    /// `\r\n\r\n` so far).
    Head { matched: u8 },
    /// The head has arrived; the request is being answered.
    Answering,
    /// An automatic refusal was replaced: everything else hyper writes is dropped.
    Replaced,
}

/// A TCP connection whose automatic refusals are problem+json (see the module's docs).
#[derive(Debug)]
pub struct EdgeIo {
    inner: TcpStream,
    phase: Phase,
    /// Bytes of a replacement answer not yet written.
    out: Vec<u8>,
    written: usize,
}

impl EdgeIo {
    #[must_use]
    pub const fn new(inner: TcpStream) -> Self {
        Self {
            inner,
            phase: Phase::Idle,
            out: Vec::new(),
            written: 0,
        }
    }

    fn saw(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.phase = match self.phase {
                Phase::Idle => Phase::Head {
                    matched: u8::from(b == b'\r'),
                },
                Phase::Head { matched } => {
                    let expected = b"\r\n\r\n"[usize::from(matched)];
                    if b == expected {
                        if matched == 3 {
                            Phase::Answering
                        } else {
                            Phase::Head {
                                matched: matched + 1,
                            }
                        }
                    } else {
                        Phase::Head {
                            matched: u8::from(b == b'\r'),
                        }
                    }
                }
                other => other,
            };
            if !matches!(self.phase, Phase::Head { .. }) {
                break;
            }
        }
    }

    /// Writes what is left of a replacement answer.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// The status of `buf` when it is hyper's own bare refusal, else `None`.
    fn automatic_refusal(&self, buf: &[u8]) -> Option<StatusCode> {
        if !buf.starts_with(b"HTTP/1.") {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let status = match response.parse(buf) {
            Ok(_) => response.code.and_then(|c| StatusCode::from_u16(c).ok())?,
            Err(_) => return None,
        };
        let has_type = response
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-type"));
        let refusal = status.is_client_error() || status.is_server_error();
        (refusal && !has_type && self.phase != Phase::Replaced).then_some(status)
    }
}

/// A complete HTTP/1.1 answer with a problem body, closing the connection.
fn problem_answer(status: StatusCode) -> Vec<u8> {
    let (code, detail) = match status {
        StatusCode::REQUEST_TIMEOUT => (
            "request_timeout",
            "the request's headers did not arrive in time",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            "request_header_fields_too_large",
            "the request's headers are too many or too large",
        ),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "the request's target is too long"),
        _ => ("bad_request", "the request is not well-formed HTTP"),
    };
    let body = serde_json::to_vec(&Problem::new(status, code, detail)).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    answer
}

impl AsyncRead for EdgeIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.saw(&buf.filled()[before..]);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for EdgeIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        if this.phase == Phase::Replaced {
            return Poll::Ready(Ok(buf.len()));
        }
        if let Some(status) = this.automatic_refusal(buf) {
            this.out = problem_answer(status);
            this.written = 0;
            this.phase = Phase::Replaced;
            // hyper's bytes are taken; the replacement goes out on this and later polls.
            let _ = this.poll_drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        if buf.starts_with(b"HTTP/1.") {
            // A response begins: whatever is read next starts a new request.
            this.phase = Phase::Idle;
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }

    /// One buffer per write, so a response head is always seen whole.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

impl Drop for EdgeIo {
    fn drop(&mut self) {
        // A head still arriving when hyper lets go of the connection: its header-read timeout
        // fired (or the client gave up). Say so, once, without waiting: the socket's buffer is
        // empty at this point, so a short answer fits.
        if matches!(self.phase, Phase::Head { .. }) {
            let _ = self
                .inner
                .try_write(&problem_answer(StatusCode::REQUEST_TIMEOUT));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_complete_problem_responses() {
        let answer = String::from_utf8(problem_answer(StatusCode::BAD_REQUEST)).unwrap_or_default();
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{answer}"
        );
        assert!(answer.contains("content-type: application/problem+json\r\n"));
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(body.contains("\"code\":\"bad_request\""));
    }
}
