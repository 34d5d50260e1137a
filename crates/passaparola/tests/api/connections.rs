//! Connections: read and write timeouts, and a cap on connections that still lets a health
//! check through when idle sockets crowd the server.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cli::Server;
use crate::helpers::TestApp;

fn host(address: &str) -> String {
    address.trim_start_matches("http://").to_owned()
}

/// `GET /healthz` on a new connection; how long it took to answer 200.
async fn health_check(address: &str) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(host(address)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    started.elapsed()
}

/// `n` connections that send nothing.
async fn idle_sockets(address: &str, n: usize) -> Vec<TcpStream> {
    let mut sockets = Vec::with_capacity(n);
    for _ in 0..n {
        sockets.push(TcpStream::connect(host(address)).await.unwrap());
    }
    sockets
}

/// Idle sockets past the cap are served as crowded: closed after a short wait for their
/// headers, while a health check on a new connection is answered at once.
#[tokio::test]
async fn past_the_cap_a_health_check_gets_through_and_idle_sockets_are_cut_short() {
    let app = TestApp::spawn_with_max_connections(10).await;
    let mut sockets = idle_sockets(&app.address, 40).await;
    let took = health_check(&app.address).await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The last idle socket was taken past the cap: closed after the crowded header timeout,
    // well before the normal one.
    let last = sockets.last_mut().unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(server::HEADER_READ_TIMEOUT, last.read(&mut byte)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed: {read:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Past the cap, a slow body buys no more time than idle silence: the connection has
/// [`server::CROWDED_DEADLINE`] in all, far less than the body timeout.
#[tokio::test]
async fn past_the_cap_a_slow_body_is_cut_at_the_deadline() {
    let app = TestApp::spawn_with_max_connections(2).await;
    let _held = idle_sockets(&app.address, 2).await;
    let mut slow = TcpStream::connect(host(&app.address)).await.unwrap();
    slow.write_all(
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 60000\r\n\r\nemail=a",
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        server::CROWDED_DEADLINE + Duration::from_secs(5),
        slow.read_to_end(&mut rest),
    )
    .await;
    assert!(closed.is_ok(), "closed before the body timeout");
    assert!(
        started.elapsed() < server::BODY_READ_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
}

/// The audit's finding, on the real binary under Debian's default descriptor limit of 1,024:
/// 1,050 idle sockets used up every descriptor and `/healthz` timed out. Now the server
/// keeps its connections below the limit, and the health check is answered within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_sockets_do_not_starve_the_health_check() {
    // This test process needs more than 1,100 descriptors of its own.
    let limit = rlimit::increase_nofile_limit(4096).unwrap();
    assert!(
        limit >= 1200,
        "the test needs 1,200 descriptors, has {limit}"
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start_under(dir.path(), &log, &["prlimit", "--nofile=1024:1024"]);
    let _sockets = idle_sockets(&server.address, 1100).await;
    let took = health_check(&server.address).await;
    assert!(took < Duration::from_secs(8), "{took:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("connection limits"), "{text}");
}

/// A kept-alive connection that goes quiet after an answer is closed once the next request's
/// headers are overdue: an idle timeout, the same as the header timeout.
#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let app = TestApp::spawn().await;
    let mut stream = TcpStream::connect(host(&app.address)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let started = Instant::now();
    let closed = tokio::time::timeout(
        server::HEADER_READ_TIMEOUT + Duration::from_secs(5),
        stream.read(&mut buf),
    )
    .await
    .expect("the idle connection was closed");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    assert!(started.elapsed() >= server::HEADER_READ_TIMEOUT - Duration::from_secs(1));
}

/// A client that sends requests and never reads the answers: once the answers fill the
/// socket's buffers, the server waits [`server::WRITE_TIMEOUT`] at most, then drops the
/// connection and the requests not yet answered (before, it held them for ever).
#[tokio::test]
async fn a_client_that_never_reads_is_cut_off() {
    let app = TestApp::spawn().await;
    let mut stream = TcpStream::connect(host(&app.address)).await.unwrap();
    let requests = 2000;
    let request = b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n";
    for _ in 0..requests {
        stream.write_all(request).await.unwrap();
    }
    tokio::time::sleep(server::WRITE_TIMEOUT + Duration::from_secs(3)).await;
    let mut answer = Vec::new();
    // Ends at once: the connection was closed (a reset, or an end after what was sent).
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the connection was closed, not held")
        .ok();
    let answered = String::from_utf8_lossy(&answer)
        .matches("HTTP/1.1 200 OK")
        .count();
    assert!(answered < requests, "{answered} of {requests} answered");
}

/// A client that never finishes its headers, or its body, does not hold a connection open
/// for ever (slowloris): the server gives up after its read timeouts.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn().await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let stall = |request: &'static str| {
        let addr = addr.clone();
        async move {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            let started = Instant::now();
            let mut answer = Vec::new();
            // Ends when the server answers and closes, or closes without answering.
            let read =
                tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
                    .await
                    .expect("the server never gave up on a stalled request");
            assert!(read.is_ok() || !answer.is_empty());
            (
                started.elapsed(),
                String::from_utf8_lossy(&answer).into_owned(),
            )
        }
    };
    let (headers, body) = tokio::join!(
        stall("GET /healthz HTTP/1.1\r\nHost: x\r\n"),
        stall(
            "POST /api/v1/reviews HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\nConnection: close\r\n\r\n{\"to"
        ),
    );
    assert!(
        headers.0 >= server::HEADER_READ_TIMEOUT - Duration::from_secs(1),
        "{headers:?}"
    );
    assert!(
        body.0 >= server::BODY_READ_TIMEOUT - Duration::from_secs(1),
        "{body:?}"
    );
    // The stalled body is answered as a problem, not dropped silently.
    assert!(body.1.starts_with("HTTP/1.1 4"), "{}", body.1);
    assert!(body.1.contains("application/problem+json"), "{}", body.1);
}
