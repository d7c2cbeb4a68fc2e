//! Unit tests of `probe`.

use super::*;

const V: &str = "v0.3.0";
const INFO: Asked<'static> = Asked::Info { version: V };
const REACH: Asked<'static> = Asked::Reachability;
const LATEST: Asked<'static> = Asked::Latest;
const TREE: &[u8] = b"go.sum database tree\n31\nhash\n\nsignature\n";

fn other(detail: &str) -> Reason {
    Reason::Other {
        detail: detail.into(),
    }
}

fn denied(status: u16, sent_credentials: bool) -> Reason {
    Reason::Denied {
        status,
        sent_credentials,
    }
}

fn wrong(got: &str) -> Reason {
    Reason::WrongVersion { got: got.into() }
}

/// What was asked, the answer's status, body and whether credentials were sent; the verdict.
type AnswerRow<'a> = (Asked<'a>, u16, &'a [u8], bool, Status, Reason);

#[test]
fn answers_are_classified_as_go_would_take_them() {
    use Reason::*;
    use Status::*;
    let portal = "HTTP 200 that is not a checksum database tree (captive portal?)";
    #[rustfmt::skip]
        let rows: &[AnswerRow<'_>] = &[
            (INFO, 200, br#"{"Version":"v0.3.0","Time":"2024-01-02T03:04:05Z"}"#, false, Healthy, Answered),
            (INFO, 200, br#"{"Version":"v0.3.0"}"#, true, Healthy, Answered),
            (INFO, 200, br#"{"Version":"v0.9.9"}"#, false, Unhealthy, wrong("v0.9.9")),
            (INFO, 200, br#"{"Time":"2024-01-02T03:04:05Z"}"#, false, Unhealthy, wrong("")),
            (INFO, 200, br#"{"Version":3}"#, false, Unhealthy, wrong("")),
            (INFO, 200, b"<html><body>Sign in to the hotel wifi</body></html>", false, Unhealthy, NotJson),
            (INFO, 200, br#"["v0.3.0"]"#, false, Unhealthy, NotJson),
            (INFO, 200, br#""v0.3.0""#, false, Unhealthy, NotJson),
            (INFO, 200, b"", false, Unhealthy, NotJson),
            (INFO, 404, b"", false, Reachable, NotFound { status: 404 }),
            (INFO, 410, b"", false, Reachable, NotFound { status: 410 }),
            (INFO, 401, b"", false, NeedsCredentials, denied(401, false)),
            (INFO, 403, b"", true, NeedsCredentials, denied(403, true)),
            (INFO, 500, b"", false, Unhealthy, ServerError { status: 500 }),
            (INFO, 503, b"", true, Unhealthy, ServerError { status: 503 }),
            (INFO, 599, b"", false, Unhealthy, ServerError { status: 599 }),
            (INFO, 204, b"", false, Unhealthy, UnexpectedStatus { status: 204 }),
            (INFO, 302, b"", false, Unhealthy, UnexpectedStatus { status: 302 }),
            (INFO, 400, b"", false, Unhealthy, UnexpectedStatus { status: 400 }),
            (INFO, 429, b"", false, Unhealthy, UnexpectedStatus { status: 429 }),
            (REACH, 200, b"", false, Reachable, ReachabilityOnly),
            (REACH, 200, b"<html>", false, Reachable, ReachabilityOnly),
            (REACH, 404, b"", false, Reachable, ReachabilityOnly),
            (REACH, 410, b"", false, Reachable, ReachabilityOnly),
            (REACH, 401, b"", true, NeedsCredentials, denied(401, true)),
            (REACH, 403, b"", false, NeedsCredentials, denied(403, false)),
            (REACH, 502, b"", false, Unhealthy, ServerError { status: 502 }),
            (REACH, 418, b"", false, Unhealthy, UnexpectedStatus { status: 418 }),
            (LATEST, 200, TREE, false, Healthy, Answered),
            (LATEST, 200, b"<html>captive portal</html>", false, Unhealthy, other(portal)),
            (LATEST, 200, b"", false, Unhealthy, other(portal)),
            (LATEST, 404, b"", false, Unhealthy, UnexpectedStatus { status: 404 }),
            (LATEST, 410, b"", false, Unhealthy, UnexpectedStatus { status: 410 }),
            (LATEST, 401, b"", false, NeedsCredentials, denied(401, false)),
            (LATEST, 504, b"", false, Unhealthy, ServerError { status: 504 }),
        ];
    for (asked, status, body, sent, want_status, want_reason) in rows {
        assert_eq!(
            classify(*asked, *status, body, *sent),
            (*want_status, want_reason.clone()),
            "{asked:?} answered {status} {:?}",
            String::from_utf8_lossy(body)
        );
    }
}

/// What [`Failure::of`] reads from a reqwest error besides its messages.
#[derive(Clone, Copy, PartialEq)]
enum Flag {
    IsRedirect,
    IsTimeout,
    IsConnect,
    /// An io `ConnectionRefused` in the chain.
    IoRefused,
    /// A rustls error in the chain.
    Rustls,
}

/// A failure with `flags` whose cause chain is `chain` (outermost first).
fn failure(flags: &[Flag], chain: &[&str]) -> Failure {
    Failure {
        redirect: flags.contains(&Flag::IsRedirect),
        timeout: flags.contains(&Flag::IsTimeout),
        connect: flags.contains(&Flag::IsConnect),
        refused: flags.contains(&Flag::IoRefused),
        tls: flags.contains(&Flag::Rustls),
        chain: chain.join(": "),
        cause: chain
            .last()
            .map_or_else(String::new, std::string::ToString::to_string),
    }
}

fn timeout(stage: &str, ms: u64) -> Reason {
    Reason::Timeout {
        stage: stage.into(),
        ms,
    }
}

#[test]
fn failures_are_named_the_way_a_user_can_act_on_them() {
    use Flag::*;
    use Reason::*;
    let send = "error sending request for url (https://p.example/x/@v/v1.info)";
    let insecure = "insecure URL http://p.example/x/@v/v1.info";
    let redirect = "error following redirect for url (https://p.example/x/@v/v1.info)";
    let dns = "dns error";
    let lookup = "failed to lookup address information: Name or service not known";
    let bad_cert = "invalid peer certificate: UnknownIssuer";
    let tls_eof = "peer closed connection without sending TLS close_notify";
    let handshake = "received fatal alert: HandshakeFailure";
    let reset = "Connection reset by peer (os error 104)";
    let body = "error decoding response body";
    let (stage, elapsed, limit) = (
        "response",
        Duration::from_millis(120),
        Duration::from_millis(300),
    );
    let late = Duration::from_millis(350);
    #[rustfmt::skip]
        let rows: &[(Failure, &str, Duration, Reason)] = &[
            (failure(&[IsRedirect], &[redirect, insecure]), stage, elapsed, InsecureRedirect { detail: insecure.into() }),
            (failure(&[IsRedirect], &[redirect, "too many redirects"]), stage, elapsed, TooManyRedirects),
            (failure(&[IsRedirect, IsTimeout], &[redirect, "too many redirects"]), stage, elapsed, TooManyRedirects),
            (failure(&[IsTimeout], &[send, "operation timed out"]), stage, elapsed, timeout("response", 120)),
            (failure(&[IsTimeout], &[body, "operation timed out"]), "body", late, timeout("body", 300)),
            (failure(&[IsTimeout, IsConnect], &[send, "client error (Connect)", "operation timed out"]), stage, elapsed, timeout("connect", 120)),
            (failure(&[IsTimeout, IoRefused], &[send, "operation timed out"]), stage, elapsed, timeout("response", 120)),
            (failure(&[IsConnect, IoRefused], &[send, "client error (Connect)", "tcp connect error", "Connection refused (os error 111)"]), stage, elapsed, Refused),
            (failure(&[IoRefused], &[send, "Connection refused (os error 111)"]), stage, elapsed, Refused),
            (failure(&[IsConnect], &[send, "client error (Connect)", dns, lookup]), stage, elapsed, Dns { detail: lookup.into() }),
            (failure(&[IsConnect], &[send, "client error (Connect)", lookup]), stage, elapsed, Dns { detail: lookup.into() }),
            (failure(&[IsConnect, Rustls], &[send, "client error (Connect)", bad_cert]), stage, elapsed, Tls { detail: bad_cert.into() }),
            (failure(&[IsConnect], &[send, "client error (Connect)", bad_cert]), stage, elapsed, Tls { detail: bad_cert.into() }),
            (failure(&[IsConnect], &[send, "client error (Connect)", handshake]), stage, elapsed, Tls { detail: handshake.into() }),
            (failure(&[Rustls], &[send, tls_eof]), stage, elapsed, Tls { detail: tls_eof.into() }),
            (failure(&[IsConnect], &[send, "client error (Connect)", reset]), stage, elapsed, Connect { detail: reset.into() }),
            (failure(&[], &[send, reset]), stage, elapsed, Other { detail: format!("{send}: {reset}") }),
            (failure(&[], &[body]), "body", elapsed, Other { detail: body.into() }),
        ];
    for (f, stage, elapsed, want) in rows {
        assert_eq!(&f.reason(stage, *elapsed, limit), want, "{f:?}");
    }
}

#[test]
fn sumdb_support_follows_the_supported_status() {
    #[rustfmt::skip]
        let rows = [
            (200, SumdbSupport::Supported),
            (404, SumdbSupport::NotSupported),
            (410, SumdbSupport::NotSupported),
            (403, SumdbSupport::Failed),
            (500, SumdbSupport::Failed),
            (302, SumdbSupport::Failed),
        ];
    for (status, want) in rows {
        assert_eq!(sumdb_from(status), want, "{status}");
    }
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "rows hold known verdicts as Options"
)]
fn verdict(status: Status, sumdb: SumdbSupport) -> Option<Verdict> {
    Some(Verdict {
        status,
        reason: Reason::Answered,
        latency_ms: None,
        sumdb,
        checked_at: 1,
        failures: 0,
        probe: V.into(),
    })
}

/// Proxy verdicts in rank order, which database verdicts are known; the expected best
/// candidate, whether the databases matter, whether the round is decided.
type DecidedRow<'a> = (&'a [Option<Verdict>], &'a [bool], Option<usize>, bool, bool);

#[test]
fn a_round_is_decided_when_no_needed_verdict_is_missing() {
    use Status::*;
    use SumdbSupport::{NotSupported as NoDb, Supported as Db};
    let (ok, ok_nodb) = (verdict(Healthy, Db), verdict(Healthy, NoDb));
    let (down, reach) = (verdict(Unhealthy, NoDb), verdict(Reachable, Db));
    let dbs_known = &[true, true][..];
    let dbs_pending = &[true, false][..];
    #[rustfmt::skip]
        let rows: &[DecidedRow<'_>] = &[
            (&[ok.clone(), None], dbs_pending, Some(0), false, true),
            (&[None, ok.clone()], dbs_known, Some(1), false, false),
            (&[down.clone(), ok.clone(), None], dbs_pending, Some(1), false, true),
            (&[ok_nodb.clone(), None], dbs_pending, Some(0), true, false),
            (&[ok_nodb.clone(), None], dbs_known, Some(0), true, true),
            (&[ok_nodb.clone(), ok.clone()], dbs_pending, Some(0), true, false),
            (&[reach.clone(), ok.clone()], dbs_pending, Some(1), false, true),
            (&[reach.clone(), None], dbs_known, None, true, false),
            (&[down.clone(), reach.clone()], dbs_known, None, true, true),
            (&[down.clone(), reach.clone()], dbs_pending, None, true, false),
            (&[verdict(Unknown, Db), ok.clone()], dbs_known, Some(1), false, true),
            (&[], dbs_known, None, true, true),
            (&[], &[], None, true, true),
            (&[None], &[], None, true, false),
        ];
    for (proxies, dbs, best, sumdbs, want) in rows {
        let view: Vec<Option<&Verdict>> = proxies.iter().map(Option::as_ref).collect();
        let row = format!(
            "{:?} {dbs:?}",
            view.iter()
                .map(|v| v.map(|v| (v.status, v.sumdb)))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            stakes(&view),
            Stakes {
                best: *best,
                sumdbs: *sumdbs
            },
            "{row}"
        );
        let public: Vec<Candidate> = view.iter().map(|_| Candidate::new("p")).collect();
        assert_eq!(decided(&public, &view, dbs), *want, "{row}");
    }
    // A private proxy (ranked last) is waited for even behind a healthy public one.
    let candidates = [Candidate::new("p"), Candidate::private("q")];
    assert!(!decided(&candidates, &[ok.as_ref(), None], dbs_known));
    assert!(decided(
        &candidates,
        &[ok.as_ref(), reach.as_ref()],
        dbs_known
    ));
    assert!(decided(&candidates[..1], &[ok.as_ref()], dbs_known));
}
