//! One QUIC connection: the handshake, every request stream answered
//! with the server's body rules (each on its own task, as many at once as
//! the client opens within the stream limit, RFC 9000 §4.6), then, once
//! the client has gone quiet, the ending `--h3-close` chose, and the log
//! line of how it really ended (which may be the client's doing).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use h3::server::RequestStream;
use quinn::{Connection, ConnectionError, VarInt};

use super::H3Close;
use super::endpoint::Ctx;
use crate::server::log::{By, CloseLayer, Dir, Event, QuicEvent, h3_code_name};

/// H3_NO_ERROR (RFC 9114 §8.1).
const H3_NO_ERROR: u32 = 0x100;
/// H3_INTERNAL_ERROR (RFC 9114 §8.1): the code of `abrupt`.
const H3_INTERNAL_ERROR: u32 = 0x102;
/// How long an ending waits for the client's acknowledgement.
const ACK_WAIT: Duration = Duration::from_secs(2);
/// A reserved unidirectional stream type, 0x1f * N + 0x21 with N = 0
/// (RFC 9114 §6.2.3), as a one-byte variable-length integer.
const RESERVED_STREAM_TYPE: u8 = 0x21;
/// How long, once every response has been acknowledged, no new request
/// may arrive before the last response is taken as the connection's last
/// and the ending begins. HTTP/3 has no way for a client to say it is done
/// short of closing (RFC 9114 §5.2), so a server decides by quiet, as an
/// HTTP/1.1 server's keep-alive timeout does. It is counted from the
/// acknowledgement because a client that has used all the streams we
/// allow is silent until we raise the limit (MAX_STREAMS, RFC 9000
/// §4.6), which quinn does only once the finished streams' data is
/// acknowledged; it then opens the next within a round trip.
const QUIET: Duration = Duration::from_millis(50);

pub(super) async fn serve(incoming: quinn::Incoming, ctx: Arc<Ctx>) {
    let id = ctx.log().next_conn();
    let peer = incoming.remote_address();
    run(id, peer, incoming, &ctx).await;
    ctx.live.fetch_sub(1, Ordering::SeqCst);
}

async fn run(id: u64, peer: std::net::SocketAddr, incoming: quinn::Incoming, ctx: &Arc<Ctx>) {
    let emit = |e: QuicEvent| ctx.log().emit(Some(id), Event::Quic(e));
    let conn = match incoming.accept() {
        Ok(connecting) => match connecting.await {
            Ok(conn) => conn,
            Err(e) => return ended(ctx, id, &e, None),
        },
        Err(e) => return ended(ctx, id, &e, None),
    };
    ctx.watch.remember(peer, id);
    let (alpn, sni) = conn
        .handshake_data()
        .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
        .map(|d| (d.protocol.unwrap_or_default(), d.server_name))
        .unwrap_or_default();
    emit(QuicEvent::QuicHandshake {
        peer,
        version: 1,
        alpn: String::from_utf8_lossy(&alpn).into_owned(),
        sni,
    });
    let mut h3 = match h3::server::builder()
        .build::<_, Bytes>(h3_quinn::Connection::new(conn.clone()))
        .await
    {
        Ok(h3) => h3,
        Err(_) => {
            let end = conn.closed().await;
            return ended(ctx, id, &end, None);
        }
    };
    let answered = requests(&mut h3, &conn, id, ctx).await;
    let mut ours = None;
    if let Some(Answered { stream, acks }) = answered
        && conn.close_reason().is_none()
    {
        match ctx.settings.close {
            H3Close::Graceful => {
                // ACK frames are counted before the GOAWAY is queued: one
                // counted after it is on the wire may already be its ACK
                // (loopback answers within microseconds, and under load
                // `flushed` returns later), and waiting for another would
                // outlast the client's idle timeout.
                let before_goaway = conn.stats().frame_rx.acks;
                // RFC 9114 §5.2: GOAWAY names the first request stream that
                // will not be processed: the one after the last accepted
                // (h3 counts from it; every accepted one was answered).
                if h3.shutdown(1).await.is_ok() {
                    emit(QuicEvent::H3Goaway {
                        dir: Dir::Sent,
                        id: stream + 4,
                    });
                }
                flushed(&conn).await;
                acknowledged(&conn, before_goaway).await;
                ours = close(&conn, H3_NO_ERROR, "");
            }
            H3Close::Abrupt => {
                // At once: the quiet time waited for this ACK, unless
                // that wait gave up.
                acknowledged(&conn, acks).await;
                ours = close(&conn, H3_INTERNAL_ERROR, "--h3-close abrupt");
            }
            H3Close::Idle => {}
            H3Close::StatelessReset => {
                // The client has acknowledged the last response (the
                // quiet time waited for it) and has nothing more to send. A
                // stream of a reserved type (RFC 9114 §6.2.3: the peer
                // ignores it) gives it a packet to acknowledge; forget as
                // soon as that is on the wire, and the client's ACK is
                // the packet the restarted endpoint answers with a reset.
                // Deaf first: the ACK must not reach this endpoint
                // (under load it could come back before the restart).
                ctx.deaf.store(true, std::sync::atomic::Ordering::SeqCst);
                if let Ok(mut nudge) = conn.open_uni().await {
                    let _ = nudge.write_all(&[RESERVED_STREAM_TYPE]).await;
                    let _ = nudge.finish();
                }
                flushed(&conn).await;
                ctx.restart.notify_one();
                std::future::pending::<()>().await;
            }
        }
    }
    if let Some(e) = ours {
        emit(e);
    }
    let end = conn.closed().await;
    ended(ctx, id, &end, Some(ctx.settings.idle_timeout));
    drop(h3);
}

/// The highest request stream answered whole, and how many ACK frames
/// had come before the last response to finish was queued.
#[derive(Clone, Copy)]
struct Answered {
    stream: u64,
    acks: u64,
}

impl Answered {
    /// Both so far, with `next` (answers finish in any order).
    fn and(last: Option<Answered>, next: Answered) -> Answered {
        last.map_or(next, |l| Answered {
            stream: l.stream.max(next.stream),
            acks: l.acks.max(next.acks),
        })
    }
}

/// Answers every request stream the client opens, each on its own task,
/// until the client stops opening them (it closed, or opened none for
/// [`QUIET`] after acknowledging every answer).
async fn requests(
    h3: &mut h3::server::Connection<h3_quinn::Connection, Bytes>,
    conn: &Connection,
    id: u64,
    ctx: &Arc<Ctx>,
) -> Option<Answered> {
    let mut answering = tokio::task::JoinSet::new();
    let mut last = None;
    loop {
        tokio::select! {
            // h3's accept holds no half-read request when dropped (it
            // takes the stream only once QUIC hands it over), so losing
            // the race to the quiet timer loses nothing.
            accepted = h3.accept() => match accepted {
                Ok(Some(resolver)) => {
                    let (ctx, conn) = (ctx.clone(), conn.clone());
                    answering.spawn(async move {
                        let (request, stream) = resolver.resolve_request().await.ok()?;
                        let (stream, acks) = answer(&ctx, &conn, id, request, stream).await?;
                        flushed(&conn).await;
                        Some(Answered { stream, acks })
                    });
                }
                // The client closed, or broke HTTP/3: the answers under
                // way finish or fail on their own.
                _ => break,
            },
            Some(done) = answering.join_next(), if !answering.is_empty() => {
                if let Ok(Some(answered)) = done {
                    last = Some(Answered::and(last, answered));
                }
            }
            () = quiet(conn, last), if answering.is_empty() && last.is_some() => break,
        }
    }
    while let Some(done) = answering.join_next().await {
        if let Ok(Some(answered)) = done {
            last = Some(Answered::and(last, answered));
        }
    }
    last
}

/// The last answer acknowledged, then [`QUIET`].
async fn quiet(conn: &Connection, last: Option<Answered>) {
    if let Some(a) = last {
        acknowledged(conn, a.acks).await;
    }
    tokio::time::sleep(QUIET).await;
}

/// Reads the request body, sends the server's response, finishes the
/// stream (RFC 9114 §4.1); its stream ID if all of it was handed to QUIC,
/// and the ACK frames received before the response was queued. Counted
/// later, once the response is on the wire, they may already include its
/// ACK (loopback answers within microseconds; under load this task resumes
/// later), and the wait for one more would outlast the client's idle
/// timeout.
async fn answer(
    ctx: &Ctx,
    conn: &Connection,
    id: u64,
    request: http::Request<()>,
    mut stream: RequestStream<h3_quinn::BidiStream<Bytes>, Bytes>,
) -> Option<(u64, u64)> {
    let stream_id = stream.id().into_inner();
    let mut request_bytes = 0u64;
    loop {
        match stream.recv_data().await {
            Ok(Some(chunk)) => request_bytes += chunk.remaining() as u64,
            Ok(None) => break,
            Err(_) => return None,
        }
    }
    // HEAD gets the header fields alone (RFC 9110 §9.3.2).
    let head = request.method() == http::Method::HEAD;
    let acks = conn.stats().frame_rx.acks;
    let response = http::Response::builder()
        .status(ctx.status)
        .header("content-type", "text/plain")
        .header("content-length", ctx.body.len())
        .header("x-wirelab-stream", stream_id)
        .header("x-wirelab-request-bytes", request_bytes)
        .body(());
    stream.send_response(response.ok()?).await.ok()?;
    if !head && !ctx.body.is_empty() {
        stream.send_data(ctx.body.clone()).await.ok()?;
    }
    stream.finish().await.ok()?;
    ctx.log().emit(
        Some(id),
        Event::Quic(QuicEvent::H3Stream {
            id: stream_id,
            method: request.method().to_string(),
            target: request
                .uri()
                .path_and_query()
                .map_or("/".into(), |p| p.to_string()),
            request_bytes,
            status: ctx.status,
            body_bytes: if head { 0 } else { ctx.body.len() },
        }),
    );
    Some((stream_id, acks))
}

/// Sends our CONNECTION_CLOSE (type 0x1d, RFC 9000 §19.19) and says so.
fn close(conn: &Connection, code: u32, reason: &str) -> Option<QuicEvent> {
    conn.close(VarInt::from_u32(code), reason.as_bytes());
    Some(QuicEvent::ConnectionClose {
        by: By::Us,
        layer: CloseLayer::Application,
        code: code.into(),
        name: h3_name(code.into()),
        reason: reason.to_string(),
    })
}

/// Yields until quinn has put everything queued on the wire: its close
/// discards stream data not yet sent.
async fn flushed(conn: &Connection) {
    loop {
        let before = conn.stats().udp_tx.datagrams;
        tokio::task::yield_now().await;
        if conn.stats().udp_tx.datagrams == before {
            return;
        }
    }
}

/// Waits for an ACK frame beyond the first `acks` (counted before the last
/// packet was queued), so one that acknowledges a packet sent since: RFC 9000
/// §13.2.1 has it acknowledge an ack-eliciting packet within its
/// max_ack_delay. A close before that could overtake data that is lost
/// and would have been retransmitted (§13.3): quinn's close stops
/// retransmission.
async fn acknowledged(conn: &Connection, acks: u64) {
    let deadline = Instant::now() + ACK_WAIT;
    while conn.stats().frame_rx.acks == acks
        && conn.close_reason().is_none()
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn h3_name(code: u64) -> String {
    h3_code_name(code).map_or_else(|| format!("0x{code:x}"), str::to_string)
}

/// Logs how the connection ended, unless it was our own close (already
/// logged when sent).
fn ended(ctx: &Ctx, id: u64, end: &ConnectionError, idle: Option<Duration>) {
    let event = match end {
        ConnectionError::LocallyClosed => return,
        ConnectionError::ApplicationClosed(c) => QuicEvent::ConnectionClose {
            by: By::Peer,
            layer: CloseLayer::Application,
            code: c.error_code.into_inner(),
            name: h3_name(c.error_code.into_inner()),
            reason: String::from_utf8_lossy(&c.reason).into_owned(),
        },
        ConnectionError::ConnectionClosed(c) => QuicEvent::ConnectionClose {
            by: By::Peer,
            layer: CloseLayer::Transport,
            code: u64::from(c.error_code),
            name: format!("{:?}", c.error_code),
            reason: String::from_utf8_lossy(&c.reason).into_owned(),
        },
        // An error we found: quinn closed with a transport CONNECTION_CLOSE
        // (0x1c), such as a TLS alert as 0x100 + alert (RFC 9001 §4.8).
        ConnectionError::TransportError(e) => QuicEvent::ConnectionClose {
            by: By::Us,
            layer: CloseLayer::Transport,
            code: u64::from(e.code),
            name: format!("{:?}", e.code),
            reason: e.reason.clone(),
        },
        ConnectionError::TimedOut => QuicEvent::IdleTimeout {
            announced_ms: idle.unwrap_or_default().as_millis() as u64,
        },
        other => QuicEvent::ConnectionClose {
            by: By::Peer,
            layer: CloseLayer::Transport,
            code: 0,
            name: "-".into(),
            reason: other.to_string(),
        },
    };
    ctx.log().emit(Some(id), Event::Quic(event));
}
