//! Zeek's `likely_server_ports`: the ports that make a connection's first
//! packet's receiver the responder when no SYN says who started it.

/// A set of TCP ports, as a 64 Kibit bitmap.
#[derive(Clone)]
pub struct PortSet(Box<[u64; 1024]>);

impl PortSet {
    /// No ports.
    pub fn empty() -> Self {
        PortSet(Box::new([0; 1024]))
    }

    /// Zeek's `likely_server_ports` for TCP under plain `zeek -r` (all of
    /// `base/` loaded), as listed in `docs/zeek-conn-state.md` §2.2.
    pub fn zeek_default() -> Self {
        const PORTS: &[u16] = &[
            21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585,
            587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306,
            3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
        ];
        let mut s = PortSet::empty();
        for &p in PORTS {
            s.insert(p);
        }
        s
    }

    /// Adds a port.
    pub fn insert(&mut self, port: u16) {
        self.0[usize::from(port >> 6)] |= 1 << (port & 63);
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.0[usize::from(port >> 6)] & (1 << (port & 63)) != 0
    }
}

impl std::fmt::Debug for PortSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries((0..=u16::MAX).filter(|p| self.contains(*p)))
            .finish()
    }
}
