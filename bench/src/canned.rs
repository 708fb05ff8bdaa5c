//! A minimal loopback HTTP/1.1 server that answers instantly with canned bytes
//! (keep-alive, no parsing beyond the request head), on its own thread and runtime.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const CREATED: &str = r#"{"session_id":"0b1d9815-165e-42e2-8867-35bc03789e00","client_token":"eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uX2lkIjoiMGIxZCJ9.c2lnbmF0dXJl","payment_method_categories":[{"identifier":"pay_now","name":"Pay now.","asset_urls":{"descriptive":"https://x.klarnacdn.net/d.svg","standard":"https://x.klarnacdn.net/s.svg"}},{"identifier":"pay_later","name":"Pay later.","asset_urls":{"descriptive":"https://x.klarnacdn.net/d.svg","standard":"https://x.klarnacdn.net/s.svg"}}]}"#;

/// What placing an order answers (`order`), shaped like the spec's example: the order id,
/// the redirect page, the fraud decision and the payment method the shopper was approved
/// for.
pub const ORDER: &str = r#"{"order_id":"3eaeb557-5e30-47f8-b840-b8d987f5945d","redirect_url":"https://payments.klarna.com/redirect/3eaeb557-5e30-47f8-b840-b8d987f5945d","fraud_status":"ACCEPTED","authorized_payment_method":{"type":"invoice","number_of_days":30}}"#;

/// The bytes of each answer.
struct Replies {
    created: Vec<u8>,
    read: Vec<u8>,
    updated: Vec<u8>,
    order: Vec<u8>,
}

/// Starts the server on 127.0.0.1 with a free port; `read_body` is the JSON a read
/// returns. Also returns the CPU clock of the server's thread, whose allocations are
/// not counted (see `counting`).
pub fn start(read_body: String) -> (SocketAddr, libc::clockid_t) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        crate::counting::exclude_this_thread();
        let clock = crate::counting::this_thread_clock();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send((listener.local_addr().unwrap(), clock)).unwrap();
            let replies = std::sync::Arc::new(Replies {
                created: answer("200 OK", CREATED),
                read: answer("200 OK", &read_body),
                updated: b"HTTP/1.1 204 No Content\r\nKlarna-Correlation-Id: bench\r\n\r\n"
                    .to_vec(),
                order: answer("200 OK", ORDER),
            });
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, std::sync::Arc::clone(&replies)));
            }
        });
    });
    rx.recv().unwrap()
}

fn answer(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nKlarna-Correlation-Id: bench\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(mut stream: TcpStream, replies: std::sync::Arc<Replies>) {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut filled = 0;
    loop {
        // Parse as many complete requests as the buffer holds.
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut request = httparse::Request::new(&mut headers);
            let Ok(httparse::Status::Complete(head)) = request.parse(&buffer[..filled]) else {
                break;
            };
            let length: usize = request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                .unwrap_or(0);
            if filled < head + length {
                break;
            }
            let reply = match (request.method, request.path) {
                (Some("POST"), Some("/payments/v1/sessions")) => &replies.created,
                (Some("POST"), Some(path))
                    if path.starts_with("/payments/v1/authorizations/")
                        && path.ends_with("/order") =>
                {
                    &replies.order
                }
                (Some("GET"), _) => &replies.read,
                _ => &replies.updated,
            };
            if stream.write_all(reply).await.is_err() {
                return;
            }
            buffer.copy_within(head + length..filled, 0);
            filled -= head + length;
        }
        if filled == buffer.len() {
            buffer.resize(buffer.len() * 2, 0);
        }
        match stream.read(&mut buffer[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => filled += n,
        }
    }
}
