use std::num::NonZeroU64;

use super::*;
use crate::app::Direction;
use crate::app::timeline::{Moment, Timeline};
use crate::capture::Timestamp;

fn at(frame: u64, ms: i64) -> Moment {
    Moment {
        frame: NonZeroU64::new(frame).unwrap(),
        ts: Timestamp(ms * 1_000_000),
    }
}

#[test]
fn cause_names_round_trip_and_each_cites_a_rule() {
    for k in CauseKind::ALL {
        assert_eq!(CauseKind::parse(k.name()), Some(k));
        if k != CauseKind::Unknown {
            assert!(k.rule().starts_with("RFC"), "{k}: {}", k.rule());
        }
    }
    assert_eq!(
        CauseKind::parse("middlebox-suspected"),
        Some(CauseKind::MiddleboxSuspected)
    );
    assert_eq!(CauseKind::parse("middlebox"), None);
}

#[test]
fn the_idle_gap_runs_from_the_last_bytes_to_the_servers_close() {
    let race = KeepAliveRace {
        exchange: 1,
        quiet_since: Some(at(6, 10)),
        request: at(8, 2_010),
        close: at(10, 2_030),
        after_fin: false,
    };
    assert_eq!(race.idle_gap_ns(), Some(2_020_000_000));
    assert_eq!(race.request_to_close_ns(), 20_000_000);
    let after_fin = KeepAliveRace {
        close: at(7, 2_000),
        after_fin: true,
        ..race
    };
    assert_eq!(after_fin.request_to_close_ns(), -10_000_000);
}

#[test]
fn a_client_turn_starts_after_the_server_spoke_and_keeps_its_first_segment() {
    let (c, s) = (Direction::ClientToServer, Direction::ServerToClient);
    let mut t = Timeline::default();
    t.segment(at(1, 0), c, false, false, false); // SYN
    t.segment(at(4, 1), c, true, false, false); // request 1
    t.segment(at(5, 2), c, true, false, false); // its second segment: same turn
    assert_eq!(t.client_turn.map(|x| x.start.frame.get()), Some(4));
    t.segment(at(6, 3), s, true, false, false); // response
    t.segment(at(8, 900), c, true, false, false); // request 2
    t.segment(at(9, 901), c, true, false, false);
    let turn = t.client_turn.unwrap();
    assert_eq!(turn.start.frame.get(), 8);
    assert_eq!(turn.quiet_since.map(|m| m.frame.get()), Some(6));
    t.segment(at(10, 1000), s, false, false, true); // RST
    t.segment(at(11, 1001), c, true, false, false); // after the RST: not counted
    assert_eq!(t.data_segments, [4, 1]);
    assert_eq!(t.rst.map(|m| m.frame.get()), Some(10));
}
