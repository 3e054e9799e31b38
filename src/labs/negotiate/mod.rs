//! The negotiation lab (`lab negotiate`): how a client and a server agreed
//! on HTTP/2, or did not, told from the capture.
//!
//! It is the reset lab's run ([`crate::labs::reset::run()`]: the same
//! server, capture, client and witnesses) seen from the other end of the
//! connection: the reset lab explains how it ended, this one how it began.
//! The story comes from the analyzer's decoders ([`crate::app::negotiation`]),
//! never from a second parser; this module adds the frame numbers a reader
//! opens in Wireshark, found in the ladder those decoders labelled.
//!
//! Over TLS (`--tls`) the negotiation is ALPN's (RFC 7301): the client's
//! list in the ClientHello, the server's choice in the ServerHello (TLS 1.2)
//! or in EncryptedExtensions (TLS 1.3, read with the run's key log), or its
//! `no_application_protocol` alert when nothing overlaps.
//!
//! Dependencies go one way: `mod` → `labs::reset`, `app`; [`render`] and
//! [`document`] read a finished [`NegotiateRun`].

pub mod document;
pub mod render;

use crate::app::negotiation::{self, Negotiation, PriorAnswer, UpgradeAnswer};
use crate::app::{Direction, LadderStep};
use crate::labs::reset::run::ResetRun;
use crate::labs::reset::{self, Conflict, Proto, ResetOptions};
use crate::proto::h2::FrameType;
use crate::server::Http2;

/// One run, and how its first connection chose its protocol.
#[derive(Clone, Debug)]
pub struct NegotiateRun {
    /// The run, with its verdict and witnesses.
    pub run: ResetRun,
    /// What the analyzer read; `None` when the capture shows no attempt
    /// (no payload, or a connection that never tried HTTP/2).
    pub negotiation: Option<Negotiation>,
    /// Where each step is in the capture.
    pub frames: StepFrames,
    /// Which ways into HTTP/2 the server accepted.
    pub server_http2: Http2,
}

/// The frame (capture numbering) that completed each step, when seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StepFrames {
    /// The client's first message: the upgrade request, or the preface
    /// with its SETTINGS.
    pub request: Option<u64>,
    /// The server's first HTTP/1.x answer (the 101, or what came instead).
    pub answer: Option<u64>,
    /// The client's first SETTINGS.
    pub client_settings: Option<u64>,
    /// The server's first SETTINGS.
    pub server_settings: Option<u64>,
    /// The first response on an HTTP/2 stream.
    pub first_response: Option<u64>,
    /// TLS: the client's ClientHello.
    pub client_hello: Option<u64>,
    /// TLS: the ServerHello, or the alert that refused the handshake.
    pub server_hello: Option<u64>,
}

/// Runs the lab once: an HTTP/2 protocol is needed, the rest is as for the
/// reset lab.
///
/// # Errors
///
/// As [`reset::run()`]; `--proto h1` is a [`Conflict`]: nothing is negotiated.
pub fn run(opts: &ResetOptions) -> Result<NegotiateRun, reset::Error> {
    if opts.proto == Proto::H1 && opts.tls.is_none() {
        return Err(Conflict::NothingNegotiated.into());
    }
    let run = reset::run(opts)?;
    Ok(of(run, opts.server_http2))
}

/// The negotiation view of a finished run (`server_http2`: the server's
/// setting in that run).
pub fn of(run: ResetRun, server_http2: Http2) -> NegotiateRun {
    let app = run.connections.first().and_then(|c| c.app.as_deref());
    let conversation = app.and_then(|a| a.conversation.as_ref());
    // Over TLS the way in is the handshake's; what follows it is not
    // negotiated again.
    let negotiation = match conversation.and_then(|c| c.tls.as_ref()) {
        Some(tls) => negotiation::alpn(tls),
        None => conversation.and_then(|c| c.negotiation.clone()),
    };
    let ladder = app.and_then(|a| a.ladder.as_deref()).unwrap_or(&[]);
    let frames = step_frames(ladder, negotiation.as_ref());
    NegotiateRun {
        run,
        negotiation,
        frames,
        server_http2,
    }
}

/// The first step from `sender` with a label `pick` accepts.
fn find(
    ladder: &[LadderStep],
    sender: Direction,
    pick: impl Fn(&crate::app::Label) -> bool,
) -> Option<u64> {
    ladder
        .iter()
        .find(|s| s.sender == sender && s.labels.iter().any(&pick))
        .map(|s| s.frame)
}

fn step_frames(ladder: &[LadderStep], n: Option<&Negotiation>) -> StepFrames {
    use Direction::{ClientToServer as C, ServerToClient as S};
    if let Some(Negotiation::Alpn(a)) = n {
        let refused = a.answer == negotiation::AlpnAnswer::Refused;
        return StepFrames {
            client_hello: find(ladder, C, |l| l.text == "ClientHello"),
            server_hello: find(ladder, S, |l| {
                l.text == "ServerHello" || (refused && l.text.starts_with("Alert "))
            }),
            ..StepFrames::default()
        };
    }
    let http1 = |l: &crate::app::Label| l.h2.is_none();
    // SETTINGS that is not an acknowledgement: the ladder's label for an
    // ACK is the frame's only one without parameters after a space.
    let settings = |l: &crate::app::Label| {
        l.h2.is_some_and(|(k, _)| k == FrameType::Settings) && l.text != "SETTINGS ACK"
    };
    let client_settings = find(ladder, C, settings);
    let upgrade = matches!(n, Some(Negotiation::Upgrade(_)));
    let refused = matches!(
        n,
        Some(Negotiation::PriorKnowledge(p)) if matches!(p.answer, PriorAnswer::Refused { .. })
    );
    let switched = matches!(
        n,
        Some(Negotiation::Upgrade(u)) if matches!(u.answer, UpgradeAnswer::Switched { .. })
    );
    StepFrames {
        // The preface and the client's SETTINGS travel together; the
        // preface is not a frame and has no label of its own.
        request: if upgrade {
            find(ladder, C, http1)
        } else {
            client_settings
        },
        answer: (upgrade || refused)
            .then(|| find(ladder, S, http1))
            .flatten(),
        client_settings,
        server_settings: find(ladder, S, settings),
        first_response: (switched || !upgrade)
            .then(|| {
                find(ladder, S, |l| {
                    l.h2.is_some_and(|(k, _)| k == FrameType::Headers) && l.text.contains(":status")
                })
            })
            .flatten(),
        client_hello: None,
        server_hello: None,
    }
}
