//! `--filter` on capture files: a BPF expression compiled by libpcap once per
//! link type met, then run on each frame as libpcap runs it while capturing.
//!
//! Two things make a file differ from a live capture here:
//!
//! - A file names its link layer by a LINKTYPE_ value (the number written in
//!   files), libpcap's compiler by a DLT_ value (the number of the running
//!   platform). The two agree except for a handful of link types renumbered
//!   in files because platforms disagreed on their DLT_ value (libpcap's
//!   `linktype_to_dlt()` in `pcap-common.c`). Raw IP is the one that matters:
//!   LINKTYPE_RAW is 101 in every file, DLT_RAW is 12 on Linux and 14 on
//!   OpenBSD, and libpcap's compiler knows no link type 101.
//! - A pcapng file may mix interfaces of several link types. An expression
//!   that cannot be compiled for one of them (libpcap's compiler does not
//!   know 802.15.4 or NFLOG, or the expression names Ethernet addresses and
//!   the interface is raw IP) leaves that interface's frames out, counted,
//!   while the others are filtered; only when no link type at all takes the
//!   expression is it an error.

use crate::capture::Frame;
use crate::report::Unfilterable;

use super::options::Error;

/// The LINKTYPE_ values whose DLT_ value differs on some platform, with the
/// name under which libpcap knows the DLT_ value (`pcap_datalink_name_to_val`
/// answers with the running platform's number). From libpcap's
/// `linktype_to_dlt()`: the link types given LINKTYPE_ values just below the
/// high matching range (ATM_RFC1483 … PPP_BSDOS, ATM_CLIP), those first
/// defined on one platform (FRELAY, C_HDLC, LOOP, ENC), and the two whose
/// DLT_ value moves on FreeBSD and Darwin (PFSYNC, PKTAP).
const RENUMBERED: [(u32, &str); 11] = [
    (100, "ATM_RFC1483"),
    (101, "RAW"),
    (102, "SLIP_BSDOS"),
    (103, "PPP_BSDOS"),
    (104, "C_HDLC"),
    (106, "ATM_CLIP"),
    (107, "FRELAY"),
    (108, "LOOP"),
    (109, "ENC"),
    (246, "PFSYNC"),
    (258, "PKTAP"),
];

/// The DLT_ value libpcap's compiler wants for a file's LINKTYPE_ value.
pub(crate) fn dlt_of(linktype: u32) -> Option<i32> {
    if let Some((_, name)) = RENUMBERED.iter().find(|(l, _)| *l == linktype)
        && let Ok(dlt) = pcap::Linktype::from_name(name)
    {
        return Some(dlt.0);
    }
    i32::try_from(linktype).ok()
}

/// What the expression became for one link type.
enum Compiled {
    /// A program to run on each frame.
    Program(pcap::BpfProgram),
    /// libpcap refused it: the frames are left out and counted.
    Refused(Unfilterable),
}

/// A BPF expression compiled once per link type met in the capture.
pub(super) struct PacketFilter {
    expr: String,
    links: Vec<(u32, Compiled)>,
}

impl PacketFilter {
    pub(super) fn new(expr: &str) -> Self {
        PacketFilter {
            expr: expr.to_string(),
            links: Vec::new(),
        }
    }

    /// Whether the frame passes. A frame of a link type the expression does
    /// not compile for does not, and is counted against that link type.
    pub(super) fn accepts(&mut self, frame: &Frame<'_>) -> bool {
        let link = frame.link.0;
        let i = match self.links.iter().position(|(l, _)| *l == link) {
            Some(i) => i,
            None => {
                let compiled = self.compile(link);
                self.links.push((link, compiled));
                self.links.len() - 1
            }
        };
        match &mut self.links[i].1 {
            Compiled::Program(p) => p.filter(frame.data),
            Compiled::Refused(u) => {
                u.frames += 1;
                false
            }
        }
    }

    fn compile(&self, link: u32) -> Compiled {
        let refused = |dlt: Option<i32>, message: String| {
            let name = dlt.and_then(|d| pcap::Linktype(d).get_name().ok());
            Compiled::Refused(Unfilterable {
                link,
                name,
                frames: 0,
                message,
            })
        };
        let Some(dlt) = dlt_of(link) else {
            return refused(None, "not a link type libpcap can number".into());
        };
        match pcap::Capture::dead(pcap::Linktype(dlt)).and_then(|d| d.compile(&self.expr, true)) {
            Ok(program) => Compiled::Program(program),
            Err(e) => refused(Some(dlt), e.to_string()),
        }
    }

    /// At the end of the input: the link types left unfiltered, or the
    /// error when the expression compiled for none of those met.
    pub(super) fn verdict(&self) -> Result<Vec<Unfilterable>, Error> {
        let refused: Vec<Unfilterable> = self
            .links
            .iter()
            .filter_map(|(_, c)| match c {
                Compiled::Refused(u) => Some(u.clone()),
                Compiled::Program(_) => None,
            })
            .collect();
        let any_program = self
            .links
            .iter()
            .any(|(_, c)| matches!(c, Compiled::Program(_)));
        match refused.first() {
            Some(first) if !any_program => Err(Error::Filter {
                filter: self.expr.clone(),
                link: first.link,
                message: first.message.clone(),
            }),
            _ => Ok(refused),
        }
    }
}

#[cfg(test)]
mod tests;
