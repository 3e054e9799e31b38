//! Counts over a capture's diagnoses, so that thousands of benign RSTs do
//! not hide a few harmful ones.

use super::Diagnosis;
use super::cause::CauseKind;

/// Diagnoses counted by impact, and by cause within each impact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Connections seen (in scope), RST or not.
    pub connections: u64,
    /// Connections a RST ended (or that carried one).
    pub rsts: u64,
    /// Harmful ones.
    pub harmful: u64,
    /// Uncertain ones.
    pub uncertain: u64,
    /// Benign ones.
    pub benign: u64,
    /// Per cause ([`CauseKind::ALL`] order): harmful, uncertain, benign.
    pub by_cause: [[u64; 3]; CauseKind::ALL.len()],
}

impl Tally {
    /// A connection without RST.
    pub fn clean(&mut self) {
        self.connections += 1;
    }

    /// A diagnosed connection.
    pub fn add(&mut self, d: &Diagnosis) {
        self.connections += 1;
        self.rsts += 1;
        let column = match d.impact {
            super::Impact::Harmful(_) => {
                self.harmful += 1;
                0
            }
            super::Impact::Uncertain(_) => {
                self.uncertain += 1;
                1
            }
            super::Impact::Benign(_) => {
                self.benign += 1;
                2
            }
        };
        let k = d.cause.kind();
        if let Some(i) = CauseKind::ALL.iter().position(|&c| c == k) {
            self.by_cause[i][column] += 1;
        }
    }

    /// The causes with a count, with their (harmful, uncertain, benign).
    pub fn causes(&self) -> impl Iterator<Item = (CauseKind, [u64; 3])> + '_ {
        CauseKind::ALL
            .into_iter()
            .zip(self.by_cause)
            .filter(|(_, n)| n.iter().any(|&x| x > 0))
    }
}
