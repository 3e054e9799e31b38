//! A finished connection's application layer as the analyzer hands it out:
//! still in the compact form it was held in ([`Settled`], or three flags
//! for a connection that carried no payload), its [`AppReport`] made only
//! where it is rendered.
//!
//! The report of a connection is about 1.3 KB before its exchanges, and
//! a JSON document keeps every connection until the end of the input: made
//! when the flow table hands the connection out, the reports were most of
//! the document's memory, and making them was work for the flow thread,
//! the pipeline's slowest. The settled form is a quarter of the size (the
//! flags need no heap at all); the report made from it is the same, field
//! for field.

use std::borrow::Cow;

use crate::app::conversation::DecodeError;
use crate::app::ip_trail::IpTrail;
use crate::app::tls::TlsReport;

use super::{AppReport, Held, Settled, StreamFigures};

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Finished(Form);

/// Two words (a JSON document keeps one beside each record): what is
/// rarely there (the IP marks) is boxed with the rest.
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
    /// A settled or quiet form with each side's IP marks, when
    /// [`super::AppOptions::ip_trail`] asked (`lab diagnose`).
    Trailed(Box<Trailed>),
}

#[derive(Debug, Clone)]
struct Trailed {
    /// Never itself trailed, nor a report (which holds its own marks).
    form: Form,
    trail: Box<IpTrail>,
}

impl Finished {
    /// A connection that carried payload, handed out by the flow table:
    /// the directions still open end as [`Held::finish`] ends them.
    pub fn of_held(held: Held) -> Self {
        Finished(Form::Settled(held.into_settled()))
    }

    /// A connection that carried no payload either way
    /// ([`AppReport::without_payload`]).
    pub fn without_payload(client_rst: bool, server_rst: bool, ladder: bool) -> Self {
        Finished(Form::Quiet {
            client_rst,
            server_rst,
            ladder,
        })
    }

    /// The same with each side's IP marks (or none), for the report's
    /// [`AppReport::ip_trail`].
    pub fn with_ip_trail(self, trail: Option<Box<IpTrail>>) -> Self {
        Finished(match (self.0, trail) {
            (Form::Report(mut r), trail) => {
                r.ip_trail = trail;
                Form::Report(r)
            }
            (Form::Trailed(t), None) => t.form,
            (Form::Trailed(mut t), Some(trail)) => {
                t.trail = trail;
                Form::Trailed(t)
            }
            (form, None) => form,
            (form, Some(trail)) => Form::Trailed(Box::new(Trailed { form, trail })),
        })
    }

    /// The report, made from what was kept (moved into it).
    pub fn into_report(self) -> AppReport {
        match self.0 {
            Form::Settled(s) => s.finish(),
            Form::Quiet {
                client_rst,
                server_rst,
                ladder,
            } => AppReport::without_payload(client_rst, server_rst, ladder),
            Form::Report(r) => *r,
            Form::Trailed(t) => {
                let mut report = Finished(t.form).into_report();
                report.ip_trail = Some(t.trail);
                report
            }
        }
    }

    /// [`Finished::into_report`], boxed.
    pub fn into_boxed(self) -> Box<AppReport> {
        match self.0 {
            Form::Report(r) => r,
            form => Box::new(Finished(form).into_report()),
        }
    }

    /// The same report as [`Finished::into_report`], what is kept left in
    /// place: a report already made is lent, any other made afresh (what
    /// it shares with the kept form copied).
    pub fn report(&self) -> Cow<'_, AppReport> {
        self.0.report()
    }

    /// Whether payload was seen: the report has a conversation.
    pub fn carried_payload(&self) -> bool {
        self.0.carried_payload()
    }

    /// The report's conversation's decoding error.
    pub fn decode_error(&self) -> Option<&DecodeError> {
        self.0.decode_error()
    }

    /// The report's conversation's TLS report.
    pub fn tls(&self) -> Option<&TlsReport> {
        self.0.tls()
    }

    /// The report's reassembly figures, client then server.
    pub fn streams(&self) -> [StreamFigures; 2] {
        self.0.streams()
    }
}

impl Form {
    fn report(&self) -> Cow<'_, AppReport> {
        Cow::Owned(match self {
            Form::Settled(s) => s.to_report(),
            Form::Quiet {
                client_rst,
                server_rst,
                ladder,
            } => AppReport::without_payload(*client_rst, *server_rst, *ladder),
            Form::Report(r) => return Cow::Borrowed(r),
            Form::Trailed(t) => {
                let mut report = t.form.report().into_owned();
                report.ip_trail = Some(t.trail.clone());
                report
            }
        })
    }

    fn carried_payload(&self) -> bool {
        match self {
            Form::Settled(s) => s.carried_payload(),
            Form::Quiet { .. } => false,
            Form::Report(r) => r.conversation.is_some(),
            Form::Trailed(t) => t.form.carried_payload(),
        }
    }

    fn decode_error(&self) -> Option<&DecodeError> {
        match self {
            Form::Settled(s) => s.decode_error(),
            Form::Quiet { .. } => None,
            Form::Report(r) => r.conversation.as_ref()?.decode_error.as_ref(),
            Form::Trailed(t) => t.form.decode_error(),
        }
    }

    fn tls(&self) -> Option<&TlsReport> {
        match self {
            Form::Settled(s) => s.tls(),
            Form::Quiet { .. } => None,
            Form::Report(r) => r.conversation.as_ref()?.tls.as_ref(),
            Form::Trailed(t) => t.form.tls(),
        }
    }

    fn streams(&self) -> [StreamFigures; 2] {
        match self {
            Form::Settled(s) => s.streams(),
            Form::Quiet { .. } => [StreamFigures::default(); 2],
            Form::Report(r) => r.streams,
            Form::Trailed(t) => t.form.streams(),
        }
    }
}

impl From<Box<AppReport>> for Finished {
    fn from(report: Box<AppReport>) -> Self {
        Finished(Form::Report(report))
    }
}

impl From<AppReport> for Finished {
    fn from(report: AppReport) -> Self {
        Finished::from(Box::new(report))
    }
}
