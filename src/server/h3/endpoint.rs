//! The HTTP/3 endpoint's thread: a current-thread tokio runtime of its own
//! (the mio loop stays tokio-free), quinn's endpoint on the UDP socket
//! bound at start, one task per connection.
//!
//! `--h3-close stateless-reset` needs an endpoint that forgets a
//! connection without telling the client. quinn has no call for that: a
//! connection it drops is closed with a CONNECTION_CLOSE, unless its idle
//! timer expires. So the endpoint does what a crashed and restarted server
//! does: the runtime is dropped (every task with it, nothing more is sent)
//! and a new endpoint starts on the same socket, kept open by a duplicate
//! descriptor so no datagram meets a closed port, with the same keys. It
//! forgets every connection, not only the one that asked.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use quinn::{EndpointConfig, IdleTimeout, TransportConfig, VarInt};
use tokio::sync::Notify;

use super::cid::Keys;
use super::tap::{Tap, Watch};
use super::{H3Settings, conn};
use crate::server::log::{Emitter, Event, QuicEvent};

/// What every connection task needs.
pub(super) struct Ctx {
    pub settings: H3Settings,
    pub status: u16,
    pub body: Bytes,
    pub watch: Arc<Watch>,
    /// Connections alive in this life of the endpoint.
    pub live: AtomicUsize,
    /// A connection in `stateless-reset` asks the endpoint to forget.
    pub restart: Notify,
    /// Set by that connection before its last packet goes out: the socket
    /// is no longer read, so the client's answer waits in the kernel for
    /// the restarted endpoint (see [`Tap::deaf`]).
    pub deaf: Arc<AtomicBool>,
}

impl Ctx {
    pub fn log(&self) -> &Emitter {
        &self.watch.log
    }
}

/// The socket bound at start, and what the thread will need.
pub(in crate::server) struct Bound {
    socket: UdpSocket,
    addr: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    settings: H3Settings,
    keys: Keys,
}

impl Bound {
    /// Binds UDP `addr` (the TLS listener's address and port).
    pub fn bind(
        addr: SocketAddr,
        tls: Arc<rustls::ServerConfig>,
        settings: H3Settings,
    ) -> io::Result<Bound> {
        let socket = UdpSocket::bind(addr)?;
        let addr = socket.local_addr()?;
        let keys = Keys::generate().map_err(|_| io::Error::other("no randomness for the keys"))?;
        Ok(Bound {
            socket,
            addr,
            tls,
            settings,
            keys,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts the thread.
    pub fn start(self, log: Emitter, status: u16, body: &[u8]) -> io::Result<Running> {
        let stop = Arc::new(Notify::new());
        let ctx = Arc::new(Ctx {
            settings: self.settings,
            status,
            body: Bytes::copy_from_slice(body),
            watch: Arc::new(Watch::new(self.keys.clone(), log)),
            live: AtomicUsize::new(0),
            restart: Notify::new(),
            deaf: Arc::new(AtomicBool::new(false)),
        });
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("wirelab-h3".into())
                .spawn(move || run(self, ctx, &stop))?
        };
        Ok(Running { stop, thread })
    }
}

/// The running thread.
pub(in crate::server) struct Running {
    stop: Arc<Notify>,
    thread: JoinHandle<()>,
}

impl Running {
    /// Closes every connection (CONNECTION_CLOSE, H3_NO_ERROR) and waits
    /// for the thread.
    pub fn stop(self) {
        self.stop.notify_one();
        let _ = self.thread.join();
    }
}

enum Life {
    Stopped,
    Restart,
}

fn run(bound: Bound, ctx: Arc<Ctx>, stop: &Notify) {
    let log = ctx.log().clone();
    log.emit(
        None,
        Event::Quic(QuicEvent::ListeningH3 {
            addr: bound.addr,
            close: ctx.settings.close,
            idle_timeout_ms: ctx.settings.idle_timeout.as_millis() as u64,
        }),
    );
    let mut socket = match bound.socket.try_clone() {
        Ok(s) => s,
        Err(e) => {
            log.emit(
                None,
                Event::AcceptError {
                    error: format!("HTTP/3 endpoint: {e}"),
                },
            );
            return;
        }
    };
    loop {
        // The duplicate keeps the port bound, and the datagrams queued on
        // it, while the runtime that owns `socket` is dropped.
        let spare = socket.try_clone();
        let life = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .and_then(|rt| {
                let life = rt.block_on(serve(socket, &bound, &ctx, stop));
                // Dropping the runtime drops every task unpolled: the
                // connections' state goes with nothing sent.
                drop(rt);
                life
            });
        match (life, spare) {
            (Ok(Life::Restart), Ok(s)) => {
                let forgot = ctx.live.swap(0, Ordering::SeqCst);
                log.emit(None, Event::Quic(QuicEvent::EndpointRestart { forgot }));
                ctx.deaf.store(false, Ordering::SeqCst);
                socket = s;
            }
            (Ok(Life::Stopped), _) => return,
            (Err(e), _) | (Ok(Life::Restart), Err(e)) => {
                log.emit(
                    None,
                    Event::AcceptError {
                        error: format!("HTTP/3 endpoint: {e}"),
                    },
                );
                return;
            }
        }
    }
}

async fn serve(
    socket: UdpSocket,
    bound: &Bound,
    ctx: &Arc<Ctx>,
    stop: &Notify,
) -> io::Result<Life> {
    let runtime = Arc::new(quinn::TokioRuntime);
    let inner = quinn::Runtime::wrap_udp_socket(&*runtime, socket)?;
    let tap = Arc::new(Tap {
        inner,
        watch: ctx.watch.clone(),
        deaf: ctx.deaf.clone(),
    });
    let endpoint = quinn::Endpoint::new_with_abstract_socket(
        endpoint_config(&bound.keys),
        Some(server_config(bound)?),
        tap,
        runtime,
    )?;
    loop {
        tokio::select! {
            () = stop.notified() => {
                // RFC 9114 §5.2: H3_NO_ERROR for a server going away.
                endpoint.close(VarInt::from_u32(0x100), b"server stopping");
                let _ = tokio::time::timeout(Duration::from_secs(1), endpoint.wait_idle()).await;
                return Ok(Life::Stopped);
            }
            () = ctx.restart.notified() => return Ok(Life::Restart),
            incoming = endpoint.accept() => match incoming {
                Some(incoming) => {
                    ctx.live.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(conn::serve(incoming, ctx.clone()));
                }
                None => return Ok(Life::Stopped),
            },
        }
    }
}

fn endpoint_config(keys: &Keys) -> EndpointConfig {
    let mut config = EndpointConfig::new(keys.reset.clone());
    let keys = keys.clone();
    config
        .cid_generator(move || Box::new(keys.generator()))
        // QUIC version 1 only (RFC 9000), so the log's version is exact;
        // no greasing of the fixed bit (RFC 9287), so a datagram without
        // it is not QUIC.
        .supported_versions(vec![1])
        .grease_quic_bit(false)
        // Every packet for a forgotten connection gets its reset (the
        // default rate limit, 20 ms, could swallow the one that matters).
        .min_reset_interval(Duration::ZERO);
    config
}

fn server_config(bound: &Bound) -> io::Result<quinn::ServerConfig> {
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(bound.tls.clone())
        .map_err(|e| io::Error::other(format!("TLS for QUIC: {e}")))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut transport = TransportConfig::default();
    transport.max_idle_timeout(Some(
        IdleTimeout::try_from(bound.settings.idle_timeout)
            .map_err(|_| io::Error::other("the idle timeout is too large for QUIC"))?,
    ));
    config.transport_config(Arc::new(transport));
    Ok(config)
}
