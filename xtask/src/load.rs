//! The benchmarks' load generator: keep-alive HTTP/1.1 connections driven from one thread
//! (mio), every request a refresh presenting a token an earlier answer returned, each token sent
//! once, as real clients chain them. It replaced wrk, whose Lua used its whole core chaining a
//! million distinct tokens before the server used its own (issue 18).
//!
//! Closed loop (`rate: None`, each connection asks again as soon as it is answered) measures
//! capacity. Open loop (`Some(rate)`) makes every request due at a fixed time, as wrk2 does, and
//! counts its latency from then: a server that stalls is charged for every request it kept
//! waiting (no coordinated omission), and the latency measured is that of a given load, not of
//! a queue the client itself keeps full.

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "counts far below 2^52 and latencies far below 2^32 µs"
)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// How much later than planned the loop may come round before it counts as paused.
const PAUSE: Duration = Duration::from_millis(2);
/// How long a connection may wait for its answer before the run fails.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// How to drive one run: connections, requests/s over all of them (open loop) or `None`
/// (closed), and when to stop sending: after a time or a count of requests.
pub(crate) struct Load(pub(crate) usize, pub(crate) Option<f64>, Duration, u64);

impl Load {
    pub(crate) fn timed(connections: usize, rate: Option<f64>, seconds: u32) -> Self {
        Self(
            connections,
            rate,
            Duration::from_secs(seconds.into()),
            u64::MAX,
        )
    }

    /// `requests` requests flat out, however long they take.
    pub(crate) fn count(connections: usize, requests: usize) -> Self {
        Self(connections, None, Duration::MAX, requests as u64)
    }
}

/// What one run counted: 200s with a token, other statuses, 200s without a token, requests that
/// found no token; seconds from the first request due to the last answer; each answer's latency
/// (µs, sorted).
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) ok: u64,
    pub(crate) refused: u64,
    /// Answers whose latency was not counted: the generator paused after they were due.
    pub(crate) excused: u64,
    missing: u64,
    starved: u64,
    seconds: f64,
    latencies: Vec<u32>,
}

impl Outcome {
    pub(crate) fn answered(&self) -> u64 {
        self.ok + self.refused + self.missing
    }

    pub(crate) fn rate(&self) -> f64 {
        self.answered() as f64 / self.seconds.max(f64::MIN_POSITIVE)
    }

    /// The latency (µs) that a fraction `q` of the answers did not exceed (nearest rank).
    pub(crate) fn quantile(&self, q: f64) -> f64 {
        let n = self.latencies.len();
        let rank = ((n as f64 * q).ceil() as usize).clamp(1, n.max(1));
        self.latencies.get(rank - 1).copied().unwrap_or(0).into()
    }

    /// Fails unless every request found a token and was answered by a 200 carrying one.
    pub(crate) fn all_ok(self, what: &str) -> Result<Self, String> {
        if self.ok > 0 && self.ok == self.answered() && self.starved == 0 {
            return Ok(self);
        }
        let Self {
            ok,
            refused,
            missing,
            starved,
            ..
        } = self;
        Err(format!(
            "{what}: {ok} 200s with a token, {refused} other answers, {missing} without a token, {starved} requests without one"
        ))
    }

    /// `rate` answers in one second, with these latencies (µs, sorted).
    #[cfg(test)]
    pub(crate) fn of(latencies: &[f64], rate: f64) -> Self {
        let latencies = latencies.iter().map(|&l| l as u32).collect();
        Self {
            ok: rate.round() as u64,
            seconds: 1.0,
            latencies,
            ..Self::default()
        }
    }
}

/// One connection: the request being written and how much of it is, the answer being read,
/// when the next request is due, whether one is in flight.
struct Connection(TcpStream, Vec<u8>, usize, Vec<u8>, Instant, bool);

/// Drives `load` against `POST /ccstore/v1/refresh` at `address`, taking tokens from the front of
/// `queue` and putting each answer's token at its back.
pub(crate) fn drive(
    address: SocketAddr,
    queue: &mut VecDeque<String>,
    load: &Load,
) -> Result<Outcome, String> {
    let Load(count, rate, duration, requests) = *load;
    let mut poll = Poll::new().map_err(|e| format!("poll: {e}"))?;
    let connect = |i| {
        let stream = std::net::TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(stream);
        let interest = Interest::READABLE | Interest::WRITABLE;
        poll.registry().register(&mut stream, Token(i), interest)?;
        Ok(Connection(
            stream,
            Vec::new(),
            0,
            Vec::new(),
            Instant::now(),
            false,
        ))
    };
    let connections: std::io::Result<Vec<_>> = (0..count).map(connect).collect();
    let mut connections = connections.map_err(|e| format!("connecting to {address}: {e}"))?;
    let step = rate.map(|rate| Duration::from_secs_f64(count as f64 / rate));
    let start = Instant::now();
    for (i, c) in connections.iter_mut().enumerate() {
        c.4 = start + step.map_or(Duration::ZERO, |s| s.mul_f64(i as f64 / count as f64));
    }
    let (end, mut sent, mut last) = (start.checked_add(duration), 0, start);
    let (mut outcome, mut events) = (Outcome::default(), Events::with_capacity(1024));
    // Paced, a loop that comes round later than it planned to wait (mio rounds up to the next
    // millisecond) means the generator itself was paused: the latency of an answer to a request
    // due before then is not counted, since it would charge the server for that pause.
    let (mut previous, mut planned, mut paused) = (start, Duration::ZERO, start);
    loop {
        let now = Instant::now();
        if step.is_some() && now - previous > planned + PAUSE {
            paused = now;
        }
        previous = now;
        let sending = end.is_none_or(|end| now < end) && sent < requests;
        let mut next = None::<Instant>;
        for c in connections.iter_mut().filter(|c| !c.5 && sending) {
            if c.4 > now {
                next = Some(next.map_or(c.4, |n| n.min(c.4)));
            } else if sent < requests {
                send(c, queue, &mut outcome).map_err(|e| format!("sending: {e}"))?;
                sent += 1;
            }
        }
        let busy = connections.iter().any(|c| c.5);
        if !busy && !sending {
            break;
        }
        // mio waits in whole milliseconds: spin on the last one before a request is due.
        let wait = next.map_or(ANSWER_TIMEOUT, |due| due.saturating_duration_since(now));
        let wait = wait
            .checked_sub(Duration::from_millis(1))
            .unwrap_or_default();
        planned = wait;
        poll.poll(&mut events, Some(wait))
            .map_err(|e| format!("poll: {e}"))?;
        if busy && last.elapsed() > ANSWER_TIMEOUT {
            return Err(format!("no answer within {ANSWER_TIMEOUT:?}"));
        }
        for event in &events {
            let Some(c) = connections.get_mut(event.token().0) else {
                continue;
            };
            flush(c).map_err(|e| format!("sending: {e}"))?;
            if receive(c, queue, &mut outcome, (step, paused))? {
                last = Instant::now();
            }
        }
    }
    outcome.seconds = (last - start).as_secs_f64();
    outcome.latencies.sort_unstable();
    Ok(outcome)
}

/// Starts the connection's next request, with the oldest queued token.
fn send(
    c: &mut Connection,
    queue: &mut VecDeque<String>,
    outcome: &mut Outcome,
) -> std::io::Result<()> {
    let token = queue.pop_front().unwrap_or_else(|| {
        outcome.starved += 1;
        "starved".to_owned()
    });
    c.1.clear();
    let head = "POST /ccstore/v1/refresh HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json";
    write!(
        c.1,
        "{head}\r\nAuthorization: Bearer {token}\r\nContent-Length: 2\r\n\r\n{{}}"
    )?;
    (c.2, c.5) = (0, true);
    flush(c)
}

/// Writes what the socket takes of the request.
fn flush(c: &mut Connection) -> std::io::Result<()> {
    while let Some(rest) = c.1.get(c.2..).filter(|rest| !rest.is_empty()) {
        match c.0.write(rest) {
            Ok(n) => c.2 += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads what the socket has; `true` when that completed an answer, which is then counted
/// (its latency unless the generator paused (at `pause`) after it was due).
fn receive(
    c: &mut Connection,
    queue: &mut VecDeque<String>,
    outcome: &mut Outcome,
    (step, pause): (Option<Duration>, Instant),
) -> Result<bool, String> {
    let mut buffer = [0; 4096];
    loop {
        match c.0.read(&mut buffer) {
            Ok(0) => return Err("the server closed a connection".to_owned()),
            Ok(n) => c.3.extend_from_slice(buffer.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => return Err(format!("receiving: {e}")),
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut answer = httparse::Response::new(&mut headers);
    let parsed = answer
        .parse(&c.3)
        .map_err(|e| format!("a malformed answer: {e}"))?;
    let httparse::Status::Complete(head) = parsed else {
        return Ok(false);
    };
    let header = |name: &str| {
        let found = answer
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name));
        found.map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
    };
    if header("connection").as_deref() == Some("close") {
        return Err("the server closes its connections: each request would pay a handshake".into());
    }
    let length = header("content-length").and_then(|v| v.trim().parse().ok());
    let Some(body) = c.3.get(head..head + length.unwrap_or(0)) else {
        return Ok(false);
    };
    let now = Instant::now();
    let latency = u32::try_from(now.saturating_duration_since(c.4).as_micros());
    if c.4 < pause {
        outcome.excused += 1;
    } else {
        outcome.latencies.push(latency.unwrap_or(u32::MAX));
    }
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    match (answer.code, json["access_token"].as_str()) {
        (Some(200), Some(token)) => {
            outcome.ok += 1;
            queue.push_back(token.to_owned());
        }
        (Some(200), None) => outcome.missing += 1,
        _ => outcome.refused += 1,
    }
    let used = head + body.len();
    c.3.drain(..used);
    (c.5, c.4) = (false, step.map_or(now, |step| c.4 + step));
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::io::BufRead;

    use super::*;

    /// A server on one connection that answers each request with the next of `answers`, then
    /// reads one more and closes the connection.
    fn serve(answers: Vec<String>) -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            for answer in answers.into_iter().map(Some).chain([None]) {
                let mut line = String::new();
                while line != "\r\n" {
                    line.clear();
                    if reader.read_line(&mut line).unwrap() == 0 {
                        return;
                    }
                }
                reader.read_exact(&mut [0; 2]).unwrap(); // the body, `{}`
                (&stream)
                    .write_all(answer.unwrap_or_default().as_bytes())
                    .unwrap();
            }
        });
        address
    }

    fn answer(status: &str, body: &str, extra: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\n{extra}\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn answers_tokens_are_chained_and_every_answer_counted() {
        let ok = |t: &str| answer("200 OK", &format!(r#"{{"access_token":"{t}"}}"#), "");
        let (refused, missing) = (
            answer("401 Unauthorized", "{}", ""),
            answer("200 OK", "{}", ""),
        );
        let mut queue: VecDeque<String> = ["a", "x"].map(String::from).into();
        let address = serve(vec![ok("b"), refused, missing, ok("d")]);
        let outcome = drive(address, &mut queue, &Load::count(1, 4)).unwrap();
        // a -> b, x -> 401, b -> no token, then none left: "starved" -> d.
        assert_eq!(queue, ["d"]);
        let counts = (
            outcome.ok,
            outcome.refused,
            outcome.missing,
            outcome.starved,
        );
        assert_eq!(counts, (2, 1, 1, 1));
        let error = outcome.all_ok("run").unwrap_err();
        assert!(error.contains("1 requests without one"), "{error}");
    }

    #[test]
    fn a_server_that_closes_or_announces_closing_fails_the_run() {
        let closing = answer("200 OK", "{}", "connection: close\r\n");
        let mut queue = VecDeque::from(["a".to_owned()]);
        let error = drive(serve(vec![closing]), &mut queue, &Load::count(1, 1)).unwrap_err();
        assert!(error.contains("closes its connections"), "{error}");
        let error = drive(serve(vec![]), &mut queue, &Load::count(1, 1)).unwrap_err();
        assert!(error.contains("closed a connection"), "{error}");
    }
}
