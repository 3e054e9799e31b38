//! Starting the server on its own thread and stopping it: what tests and labs use.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use mio::Waker;

use super::{Config, Error, LogSink, Server, Stats};

/// Stops a running [`Server`]: sets a flag and wakes the loop through its
/// [`mio::Waker`]. Cheap to clone; safe to call from any thread, any number of times.
#[derive(Clone)]
pub struct Stopper {
    waker: Arc<Waker>,
    flag: Arc<AtomicBool>,
}

impl Stopper {
    pub(super) fn new(waker: Arc<Waker>, flag: Arc<AtomicBool>) -> Self {
        Stopper { waker, flag }
    }

    /// Asks the loop to close every connection and return.
    ///
    /// # Errors
    ///
    /// The waker's write failed (the loop has most likely exited already).
    pub fn stop(&self) -> io::Result<()> {
        self.flag.store(true, Ordering::SeqCst);
        self.waker.wake()
    }
}

/// A server running on its own thread. Dropping the handle stops it too.
pub struct ServerHandle {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    h3_addr: Option<SocketAddr>,
    ca_pem: Option<String>,
    stopper: Stopper,
    thread: Option<JoinHandle<Result<Stats, Error>>>,
}

/// Binds a server with `config` and runs it on a new thread.
///
/// ```no_run
/// use wirelab::server::{self, Config, LogSink, ReadMode};
/// let config = Config { mode: ReadMode::Drain, ..Config::default() };
/// let handle = server::spawn(config, LogSink::Discard)?;
/// println!("listening on {}", handle.local_addr());
/// let stats = handle.shutdown()?;
/// # Ok::<(), server::Error>(())
/// ```
///
/// # Errors
///
/// As [`Server::bind`].
pub fn spawn(config: Config, sink: LogSink) -> Result<ServerHandle, Error> {
    let server = Server::bind(config, sink)?;
    let addr = server.local_addr().map_err(|source| Error::Bind {
        addr: server.config.bind,
        source,
    })?;
    let (tls_addr, ca_pem) = (server.tls_addr(), server.ca_pem().map(str::to_string));
    let h3_addr = server.h3_addr();
    let stopper = server.stopper();
    let thread = std::thread::Builder::new()
        .name("wirelab-server".into())
        .spawn(move || server.run())
        .map_err(Error::Poll)?;
    Ok(ServerHandle {
        addr,
        tls_addr,
        h3_addr,
        ca_pem,
        stopper,
        thread: Some(thread),
    })
}

impl ServerHandle {
    /// The address the server listens on (the real port when port 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The TLS listener's address, if TLS is on (the same as
    /// [`local_addr`](Self::local_addr) with TLS only).
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The HTTP/3 endpoint's UDP address, if `--h3` is on (the TLS
    /// listener's address and port number).
    pub fn h3_addr(&self) -> Option<SocketAddr> {
        self.h3_addr
    }

    /// The generated CA's PEM (see [`Server::ca_pem`]).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// A stopper for another thread (a signal handler, a lab's timer).
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Stops the server, waits for its thread, and returns its counters.
    ///
    /// # Errors
    ///
    /// The loop's own error, or [`Error::Panicked`].
    pub fn shutdown(mut self) -> Result<Stats, Error> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<Stats, Error> {
        let Some(thread) = self.thread.take() else {
            return Ok(Stats::default());
        };
        // If waking fails the loop has already exited; join tells us how.
        let _ = self.stopper.stop();
        thread.join().map_err(|_| Error::Panicked)?
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}
