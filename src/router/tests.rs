//! Unit tests of `router`.

use super::*;

fn table() -> Table {
    Table {
        netrc: true,
        quiet: false,
        ..Table::with_public(vec![Upstream::new("https://proxy.example")])
    }
}

#[test]
fn a_nested_goshim_reuses_only_a_live_router_for_the_same_table() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let t = table();
    let url = format!("http://127.0.0.1:{port}/{}", "ab".repeat(16));
    let with = |v: String| Process::with([(GOSHIM_ROUTER_URL, v)], "/", None);
    let live = with(format!("{url} {}", t.fingerprint()));
    assert_eq!(reuse(&live, &t).as_deref(), Some(url.as_str()));
    let mut other = table();
    other.private_patterns = "corp.example".into();
    assert_eq!(reuse(&live, &other), None, "other private patterns");
    assert_eq!(reuse(&with(format!("{url} 0000")), &t), None);
    assert_eq!(reuse(&with("0".into()), &t), None);
    assert_eq!(
        reuse(
            &with(format!("http://127.0.0.1:{port}/short {}", t.fingerprint())),
            &t
        ),
        None
    );
    drop(listener);
    assert_eq!(reuse(&live, &t), None, "the router is gone");
}

#[test]
fn tokens_are_128_random_bits() {
    let a = new_token().unwrap();
    let b = new_token().unwrap();
    assert_eq!(a.len(), 32);
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b);
}

#[test]
fn observations_become_verdicts() {
    let base = upstreams::Observation {
        url: "https://p.example".into(),
        role: upstreams::Role::Public,
        requests: 3,
        successes: 2,
        not_found: 1,
        failures: 0,
        passed_over: 0,
        mismatches: 0,
        p50_ms: Some(40),
        p95_ms: Some(90),
        samples: vec![40, 90],
        failing: None,
        sumdb: None,
        ejected: false,
    };
    let v = observed(&base).unwrap();
    assert_eq!((v.status, v.latency_ms), (Status::Healthy, Some(40)));
    let only_404 = upstreams::Observation {
        successes: 0,
        ..base.clone()
    };
    // Counts for doctor, but the verdict stays as it was.
    assert_eq!(observed(&only_404).unwrap().status, Status::Unknown);
    let failing = upstreams::Observation {
        failing: Some(("answered 502".into(), false)),
        ..base.clone()
    };
    let v = observed(&failing).unwrap();
    assert_eq!(v.status, Status::Unhealthy);
    assert_eq!(
        v.reason,
        Reason::Other {
            detail: "router: answered 502".into()
        }
    );
    let passed_over = upstreams::Observation {
        successes: 0,
        not_found: 0,
        requests: 0,
        passed_over: 2,
        ..base.clone()
    };
    let v = observed(&passed_over).unwrap();
    assert_eq!(v.status, Status::Unknown, "only counts to record");
    assert_eq!(v.stats.unwrap().0.passed_over, 2);
    let idle = upstreams::Observation {
        successes: 0,
        not_found: 0,
        requests: 0,
        ..base
    };
    assert_eq!(observed(&idle), None);
}
