use super::*;

#[test]
fn an_ssh_identification_string_is_a_greeting_and_little_else_is() {
    assert!(greeting(b"SSH-2.0-OpenSSH_9.6\r\n"));
    assert!(greeting(b"SSH-"));
    for other in [
        &b""[..],
        b"SSH",
        b"ssh-2.0",
        b"GET / HTTP/1.1\r\n",
        b"220 ftp ready\r\n",
    ] {
        assert!(!greeting(other), "{other:?}");
    }
}

#[test]
fn the_opening_kept_for_the_flow_table_is_judged_as_the_payload_was() {
    for payload in [&b"SSH-1.99-x\r\n"[..], b"HTTP/1.1 200 OK\r\n", b"S", b""] {
        assert_eq!(greeting(opening(payload)), greeting(payload), "{payload:?}");
        assert!(opening(payload).len() <= SSH_PREFIX.len());
    }
}

#[test]
fn the_interactive_ports_are_zeeks() {
    for port in [21, 22, 23, 513] {
        assert!(interactive_port(port), "{port}");
    }
    for port in [0, 20, 80, 443, 2222, 512, 514] {
        assert!(!interactive_port(port), "{port}");
    }
}
