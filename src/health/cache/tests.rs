//! Unit tests of `cache`.

use super::*;
use crate::health::{Reason, SumdbSupport};

fn v(status: Status, checked_at: u64, failures: u32) -> Verdict {
    Verdict {
        status,
        reason: Reason::Answered,
        latency_ms: Some(3),
        sumdb: SumdbSupport::Supported,
        checked_at,
        failures,
        probe: "golang.org/x/text@v0.3.0".into(),
    }
}

#[test]
fn freshness_windows() {
    let s = Settings::default();
    let now = 1_000_000;
    assert_eq!(
        freshness(&v(Status::Healthy, now - 10, 0), &s, now),
        Freshness::Fresh
    );
    assert_eq!(
        freshness(&v(Status::Healthy, now - 700, 0), &s, now),
        Freshness::Stale
    );
    assert_eq!(
        freshness(&v(Status::Healthy, now - 90_000, 0), &s, now),
        Freshness::Expired
    );
    assert_eq!(
        freshness(&v(Status::Healthy, now + 3600, 0), &s, now),
        Freshness::Expired,
        "a verdict from the future is not trusted"
    );
}

#[test]
fn backoff_doubles_and_caps() {
    let s = Settings::default();
    assert_eq!(backoff(&s, 1), Duration::from_secs(30));
    assert_eq!(backoff(&s, 2), Duration::from_secs(60));
    assert_eq!(backoff(&s, 4), Duration::from_secs(240));
    assert_eq!(backoff(&s, 40), s.backoff_max);
    let now = 1_000_000;
    assert_eq!(
        freshness(&v(Status::Unhealthy, now - 45, 1), &s, now),
        Freshness::Stale
    );
    assert_eq!(
        freshness(&v(Status::Unhealthy, now - 45, 2), &s, now),
        Freshness::Fresh
    );
}

#[test]
fn merge_counts_failures_once_per_observation() {
    let mut m = BTreeMap::new();
    merge(&mut m, "a".into(), &v(Status::Unhealthy, 100, 0));
    merge(&mut m, "a".into(), &v(Status::Unhealthy, 100, 0));
    assert_eq!(m["a"].failures, 1);
    merge(&mut m, "a".into(), &v(Status::Unhealthy, 200, 0));
    assert_eq!(m["a"].failures, 2);
    merge(&mut m, "a".into(), &v(Status::Healthy, 150, 0));
    assert_eq!(
        m["a"].status,
        Status::Unhealthy,
        "an older observation never wins"
    );
    merge(&mut m, "a".into(), &v(Status::Healthy, 300, 0));
    assert_eq!(m["a"].failures, 0);
}

fn network(entries: &[(&str, Verdict)]) -> Network {
    Network {
        used_at: 0,
        proxies: entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        sumdbs: BTreeMap::new(),
        router: BTreeMap::new(),
    }
}

fn cands(urls: &[&str]) -> Candidates {
    Candidates {
        proxies: urls
            .iter()
            .map(|u| super::super::Candidate::new(*u))
            .collect(),
        private_patterns: String::new(),
    }
}

#[test]
fn plan_probes_only_what_the_decision_needs() {
    let s = Settings::default();
    let now = 1_000_000;
    let label = "golang.org/x/text@v0.3.0";
    let fresh_ok = v(Status::Healthy, now - 5, 0);
    // The best is fresh and healthy: what ranks below may be unknown (refreshed later).
    let net = network(&[("https://a", fresh_ok.clone())]);
    let p = CachePlan::make(
        &cands(&["https://a", "https://b"]),
        &s,
        Some(&net),
        label,
        now,
    );
    assert!(!p.sync);
    assert!(p.refresh);
    // Unknown above the best: must probe now.
    let net = network(&[("https://b", fresh_ok.clone())]);
    let p = CachePlan::make(
        &cands(&["https://a", "https://b"]),
        &s,
        Some(&net),
        label,
        now,
    );
    assert!(p.sync);
    // A stale best is used, refreshed in the background.
    let net = network(&[("https://a", v(Status::Healthy, now - 700, 0))]);
    let p = CachePlan::make(&cands(&["https://a"]), &s, Some(&net), label, now);
    assert!(!p.sync && p.refresh);
    // Without sumdb support through the best proxy, the direct databases are needed.
    let mut no_sumdb = fresh_ok.clone();
    no_sumdb.sumdb = SumdbSupport::NotSupported;
    let net = network(&[("https://a", no_sumdb)]);
    let p = CachePlan::make(&cands(&["https://a"]), &s, Some(&net), label, now);
    assert!(p.sync, "sum.golang.org's reachability is unknown");
    // A verdict for another probe module does not count.
    let net = network(&[("https://a", fresh_ok)]);
    let p = CachePlan::make(&cands(&["https://a"]), &s, Some(&net), "reachability", now);
    assert!(p.sync);
}

#[test]
fn router_observations_merge_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let seen = |url: &str, status: Status| Observed {
        url: url.into(),
        database: false,
        status,
        reason: Reason::Answered,
        latency_ms: Some(12),
        sumdb: None,
        stats: None,
    };
    let label = "golang.org/x/text@v0.3.0";
    assert!(
        store
            .record_observed(
                &[
                    seen("https://u:pw@a.example", Status::Healthy),
                    seen("https://b.example", Status::Unhealthy),
                ],
                label,
                now,
            )
            .unwrap()
    );
    let net = store.load().networks.into_values().next().unwrap();
    assert_eq!(net.proxies["https://a.example"].probe, label);
    assert_eq!(net.proxies["https://b.example"].failures, 1);
    // A second failing run a second later counts one more consecutive failure.
    let later = now + Duration::from_secs(1);
    store
        .record_observed(&[seen("https://b.example", Status::Unhealthy)], "", later)
        .unwrap();
    let net = store.load().networks.into_values().next().unwrap();
    assert_eq!(net.proxies["https://b.example"].failures, 2);
    // Without a label, an unknown proxy is left out.
    store
        .record_observed(&[seen("https://c.example", Status::Healthy)], "", later)
        .unwrap();
    let net = store.load().networks.into_values().next().unwrap();
    assert!(!net.proxies.contains_key("https://c.example"));
    // Another process holding the write lock: nothing is written, nothing waits.
    let held = open_lock(&dir.path().join(WRITE_LOCK)).unwrap();
    held.lock().unwrap();
    let other = Store::at(dir.path());
    assert!(
        !other
            .record_observed(&[seen("https://a.example", Status::Healthy)], label, later)
            .unwrap()
    );
}

#[test]
fn a_held_write_lock_skips_caching_within_a_bound() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let held = open_lock(&dir.path().join(WRITE_LOCK)).unwrap();
    held.lock().unwrap();
    let c = cands(&["https://a.example"]);
    let s = Settings::default();
    let round = Round {
        proxies: vec![v(Status::Healthy, 1_000, 0)],
        sumdbs: vec![],
        observed_proxies: vec![true],
        observed_sumdbs: vec![],
        elapsed: Duration::ZERO,
    };
    let started = Instant::now();
    store.record("net", &c, &s, &round).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!dir.path().join(FILE_NAME).exists(), "nothing written");
    drop(held);
    store.record("net", &c, &s, &round).unwrap();
    assert_eq!(
        store.load().networks["net"].proxies["https://a.example"].status,
        Status::Healthy
    );
}

#[test]
fn router_stats_are_kept_next_to_the_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let run = |requests, failures| RunStats {
        at: 0,
        requests,
        failures,
        passed_over: 1,
        mismatches: 0,
    };
    let seen = |status: Status, stats| Observed {
        url: "https://u:pw@a.example".into(),
        database: false,
        status,
        reason: Reason::Answered,
        latency_ms: Some(12),
        sumdb: None,
        stats: Some(stats),
    };
    for i in 0..10u64 {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + i);
        let status = if i == 9 {
            Status::Unknown
        } else {
            Status::Healthy
        };
        store
            .record_observed(&[seen(status, (run(3, i), vec![i; 10]))], "p@v1", now)
            .unwrap();
    }
    let stats = store.router_stats();
    let a = &stats["https://a.example"];
    assert_eq!(a.runs.len(), MAX_RUNS, "the last runs only");
    assert_eq!(a.runs.last().unwrap().at, 1_000_009);
    let total = a.total();
    assert_eq!(
        (total.requests, total.failures),
        (24, 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9)
    );
    assert_eq!(a.latency_ms.len(), MAX_SAMPLES);
    assert_eq!(a.latency(50), Some(6));
    assert_eq!(a.latency(95), Some(9));
    // The verdict comes from the last run that had one.
    let net = store.load().networks.into_values().next().unwrap();
    assert_eq!(net.proxies["https://a.example"].checked_at, 1_000_008);
}

#[test]
fn a_cache_file_without_router_stats_is_read_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    let old = r#"{"version":1,"networks":{"x":{"used_at":5,"proxies":{"https://a.example":{"status":"healthy","reason":{"kind":"answered"},"latency_ms":3,"sumdb":"supported","checked_at":5,"failures":0,"probe":"p@v1"}},"sumdbs":{}}}}"#;
    std::fs::write(dir.path().join(FILE_NAME), old).unwrap();
    let f = store.load();
    let net = &f.networks["x"];
    assert_eq!(net.proxies.len(), 1, "{f:?}");
    assert!(net.router.is_empty());
    let text = serde_json::to_string(&f).unwrap();
    assert!(
        !text.contains("router"),
        "nothing new written for nothing seen: {text}"
    );
}

#[test]
fn corrupt_truncated_and_future_files_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::at(dir.path());
    for text in [
        "{not json",
        "{\"version\":1,\"networks\":{\"x\":",
        "{\"version\":99,\"networks\":{\"x\":{\"used_at\":1,\"proxies\":{},\"sumdbs\":{}}}}",
    ] {
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        let f = store.load();
        assert_eq!(f.version, FORMAT_VERSION);
        assert!(f.networks.is_empty(), "{text}");
    }
}

#[test]
fn percentiles_by_nearest_rank() {
    assert_eq!(percentile(1..=100, 50), Some(50));
    assert_eq!(percentile((1..=100).rev(), 95), Some(95));
    assert_eq!(percentile([7], 95), Some(7));
    assert_eq!(percentile([], 95), None);
}
