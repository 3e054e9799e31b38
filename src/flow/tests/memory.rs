//! Memory: record sizes, slot reuse, bytes per open connection.

use super::kit::{Harness, MS, SEC, ep, seg};

#[test]
fn freed_slots_are_reused_so_memory_follows_open_connections() {
    let mut h = Harness::new();
    h.send(seg().syn().from(ep(9, 9)));
    let base = h.table.heap_bytes();
    for i in 0..20_000u32 {
        let c = ep(1, 1024 + (i % 60000) as u16);
        h.send(seg().syn().from(c).seq(i));
        h.send(seg().rst().ack(i + 1).from(ep(2, 80)).to(c));
        h.wait(10 * SEC);
    }
    assert!(h.table.open_connections() <= 2);
    assert!(
        h.table.heap_bytes() <= base + 4096,
        "{} bytes after 20000 short connections, {base} with one open",
        h.table.heap_bytes()
    );
    assert_eq!(h.finish().len(), 20_001);
}

/// Bytes per open connection beyond a fixed base, by the table's own
/// accounting of its heap (slab chunks, index, timer queue).
#[test]
fn memory_per_open_connection() {
    fn open(n: u32) -> usize {
        let mut h = Harness::new();
        for i in 0..n {
            let c = crate::wire::Endpoint {
                addr: std::net::IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + (i >> 14))),
                port: 1024 + (i & 0x3fff) as u16,
            };
            h.send(seg().syn().from(c).seq(i));
            h.send(seg().syn().ack(i + 1).from(ep(2, 80)).to(c));
            // Keep all of them well inside the 5-minute inactivity timeout.
            h.wait(-2 * MS + 1_000);
        }
        assert_eq!(h.table.open_connections(), n as usize);
        h.table.heap_bytes()
    }
    let base = open(1);
    // Just below and just above the sizes where the lookup index doubles.
    for n in [100_000u32, 131_072, 131_073, 200_000] {
        let per = (open(n) - base) as f64 / f64::from(n - 1);
        eprintln!("{n} open connections: {per:.1} bytes each beyond a base of {base}");
        assert!(per <= 256.0, "{per:.1} bytes per open connection");
    }
}

#[test]
fn connection_record_fits_256_bytes() {
    assert_eq!(std::mem::size_of::<Option<crate::flow::Connection>>(), 224);
}

#[test]
fn slab_cell_is_no_larger_than_a_record() {
    use crate::flow::store::slab::Slab;
    assert_eq!(
        Slab::<crate::flow::Connection>::CELL_BYTES,
        std::mem::size_of::<crate::flow::Connection>()
    );
}

#[test]
fn record_sizes() {
    use std::mem::size_of;
    eprintln!(
        "Connection {} Option<Connection> {} TcpEndpoint {} Timers {} History {} Endpoint {}",
        size_of::<crate::flow::Connection>(),
        size_of::<Option<crate::flow::Connection>>(),
        size_of::<crate::flow::TcpEndpoint>(),
        size_of::<crate::flow::tcp::timers::Timers>(),
        size_of::<crate::flow::History>(),
        size_of::<crate::wire::Endpoint>()
    );
    // What the kept formats (table, json) hold per connection until the end.
    eprintln!(
        "ZeekRecord {} ConnectionReport {}",
        size_of::<crate::report::ZeekRecord>(),
        size_of::<crate::report::ConnectionReport>()
    );
}

/// Under steady churn (about 2 000 open, 200 000 in all, each closed ten
/// seconds of capture after it opened) the table's memory stays where it is
/// once the churn is under way: the timer queue's blocks and keys follow the
/// connections waiting, not the ones seen.
#[test]
fn memory_stays_flat_under_steady_churn() {
    let mut h = Harness::new();
    let c = |i: u32| crate::wire::Endpoint {
        addr: std::net::IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + (i >> 14))),
        port: 1024 + (i & 0x3fff) as u16,
    };
    let srv = ep(2, 80);
    let life = 2000u32;
    let mut warm = 0;
    for i in 0..200_000u32 {
        h.send(seg().syn().from(c(i)).seq(0));
        h.send(seg().syn().ack(1).from(srv).to(c(i)).seq(0));
        h.send(seg().ack(1).from(c(i)).seq(1));
        if i >= life {
            let j = i - life;
            h.send(seg().fin().ack(1).from(c(j)).seq(1));
            h.send(seg().fin().ack(2).from(srv).to(c(j)).seq(1));
        }
        if i == 20_000 {
            warm = h.table.heap_bytes();
        }
    }
    let end = h.table.heap_bytes();
    assert!(
        end <= warm + warm / 10,
        "{end} bytes at the end, {warm} once the churn was under way"
    );
}
