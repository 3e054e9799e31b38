//! A finished connection's application layer as the analyzer hands it out:
//! still in the compact form it was held in ([`Settled`], or three flags
//! for a connection that carried no payload), its [`AppReport`] made only
//! where it is rendered.
//!
//! The report of a connection is about 1.3 KB before its exchanges, and
//! a JSON document keeps every connection until the end of the input: made
//! when the flow table hands the connection out, the reports were most of
//! the document's memory, and making them was work for the flow thread,
//! the pipeline's slowest. The settled form is a quarter of the size (and
//! the flags nothing at all); the report made from it is the same, field
//! for field.

use std::borrow::Cow;

use crate::app::conversation::DecodeError;
use crate::app::ip_trail::IpTrail;
use crate::app::tls::TlsReport;

use super::{AppReport, Held, Settled, StreamFigures};

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Finished {
    form: Form,
    /// Each side's IP marks, when [`super::AppOptions::ip_trail`] asked
    /// (a [`Form::Report`] holds its own).
    ip_trail: Option<Box<IpTrail>>,
}

#[derive(Debug, Clone)]
enum Form {
    /// Payload was seen: what the report reads of the decoders.
    Settled(Box<Settled>),
    /// No payload either way: whether each side sent a RST, and whether a
    /// ladder was asked for (the report then has an empty one).
    Quiet {
        client_rst: bool,
        server_rst: bool,
        ladder: bool,
    },
    /// A report already made (a caller that read it hands it on).
    Report(Box<AppReport>),
}

impl Finished {
    /// A connection that carried payload, handed out by the flow table:
    /// the directions still open end as [`Held::finish`] ends them.
    pub fn of_held(held: Held) -> Self {
        Finished {
            form: Form::Settled(held.into_settled()),
            ip_trail: None,
        }
    }

    /// A connection that carried no payload either way
    /// ([`AppReport::without_payload`]).
    pub fn without_payload(client_rst: bool, server_rst: bool, ladder: bool) -> Self {
        Finished {
            form: Form::Quiet {
                client_rst,
                server_rst,
                ladder,
            },
            ip_trail: None,
        }
    }

    /// The same with each side's IP marks, for the report's
    /// [`AppReport::ip_trail`].
    pub fn with_ip_trail(mut self, trail: Option<Box<IpTrail>>) -> Self {
        match &mut self.form {
            Form::Report(r) => r.ip_trail = trail,
            _ => self.ip_trail = trail,
        }
        self
    }

    /// The report, made from what was kept (moved into it).
    pub fn into_report(self) -> AppReport {
        let mut report = match self.form {
            Form::Settled(s) => s.finish(),
            Form::Quiet {
                client_rst,
                server_rst,
                ladder,
            } => AppReport::without_payload(client_rst, server_rst, ladder),
            Form::Report(r) => return *r,
        };
        report.ip_trail = self.ip_trail;
        report
    }

    /// [`Finished::into_report`], boxed.
    pub fn into_boxed(self) -> Box<AppReport> {
        match self.form {
            Form::Report(r) => r,
            _ => Box::new(self.into_report()),
        }
    }

    /// The same report as [`Finished::into_report`], what is kept left in
    /// place: a report already made is lent, any other made afresh (what
    /// it shares with the kept form copied).
    pub fn report(&self) -> Cow<'_, AppReport> {
        let mut report = match &self.form {
            Form::Settled(s) => s.to_report(),
            Form::Quiet {
                client_rst,
                server_rst,
                ladder,
            } => AppReport::without_payload(*client_rst, *server_rst, *ladder),
            Form::Report(r) => return Cow::Borrowed(r),
        };
        report.ip_trail = self.ip_trail.clone();
        Cow::Owned(report)
    }

    /// Whether payload was seen: the report has a conversation.
    pub fn carried_payload(&self) -> bool {
        match &self.form {
            Form::Settled(s) => s.carried_payload(),
            Form::Quiet { .. } => false,
            Form::Report(r) => r.conversation.is_some(),
        }
    }

    /// The report's conversation's decoding error.
    pub fn decode_error(&self) -> Option<&DecodeError> {
        match &self.form {
            Form::Settled(s) => s.decode_error(),
            Form::Quiet { .. } => None,
            Form::Report(r) => r.conversation.as_ref()?.decode_error.as_ref(),
        }
    }

    /// The report's conversation's TLS report.
    pub fn tls(&self) -> Option<&TlsReport> {
        match &self.form {
            Form::Settled(s) => s.tls(),
            Form::Quiet { .. } => None,
            Form::Report(r) => r.conversation.as_ref()?.tls.as_ref(),
        }
    }

    /// The report's reassembly figures, client then server.
    pub fn streams(&self) -> [StreamFigures; 2] {
        match &self.form {
            Form::Settled(s) => s.streams(),
            Form::Quiet { .. } => [StreamFigures::default(); 2],
            Form::Report(r) => r.streams,
        }
    }
}

impl From<Box<AppReport>> for Finished {
    fn from(report: Box<AppReport>) -> Self {
        Finished {
            form: Form::Report(report),
            ip_trail: None,
        }
    }
}

impl From<AppReport> for Finished {
    fn from(report: AppReport) -> Self {
        Finished::from(Box::new(report))
    }
}
