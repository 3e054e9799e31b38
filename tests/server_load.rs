//! 1,000 concurrent connections on loopback, all answered, and no file descriptor
//! left open afterwards. Alone in its file: it counts this process's descriptors,
//! which other tests running in parallel threads would disturb.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::hostile::raise_fd_limit;
use common::start_with;
use wirelab::server::{CloseEnding, Config, Event, ReadMode};

const CONNS: usize = 1000;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd is readable")
        .count()
}

#[test]
fn thousand_concurrent_connections_answered_and_no_fd_left_open() {
    // Client and server share this process: 2,000 sockets need more than the
    // common soft limit of 1,024 descriptors.
    raise_fd_limit(3 * CONNS as u64);
    let before = open_fds();
    let mut lab = start_with(Config {
        mode: ReadMode::Full,
        max_conns: CONNS + 100,
        backlog: 4096,
        ..Config::default()
    });
    let streams: Vec<TcpStream> = (0..CONNS)
        .map(|i| TcpStream::connect(lab.addr).unwrap_or_else(|e| panic!("connect {i}: {e}")))
        .collect();
    // Every connection is accepted and open at the same time before any request.
    lab.wait_for(CONNS, |r| matches!(r.event, Event::Accepted { .. }));
    for (i, mut s) in streams.iter().enumerate() {
        let req = format!("GET /{i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).expect("request written");
    }
    for (i, mut s) in streams.into_iter().enumerate() {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp)
            .unwrap_or_else(|e| panic!("connection {i} did not end with a clean EOF: {e}"));
        let text = String::from_utf8_lossy(&resp);
        assert!(
            text.starts_with("HTTP/1.1 200 OK\r\n"),
            "connection {i}: {text}"
        );
        assert!(text.contains(&format!("X-Wirelab-Target: /{i}\r\n")));
    }
    let closed = lab.closed(CONNS);
    assert!(closed.iter().all(|c| c.end == CloseEnding::WeSentFin));
    let stats = lab.stop();
    assert_eq!(
        (stats.accepted, stats.responses),
        (CONNS as u64, CONNS as u64)
    );
    assert_eq!(stats.we_sent_fin, CONNS as u64);
    assert_eq!(
        open_fds(),
        before,
        "every socket, the epoll fd and the waker are closed"
    );
}
