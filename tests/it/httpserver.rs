//! A real HTTP/1.1 file server on 127.0.0.1 with fault injection, for download tests: byte
//! ranges (206 with Content-Range), and per path a queue of faults for the first requests
//! (an error status, a connection dropped after N body bytes, a stall before the body). Every
//! request is logged with its Range header.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    /// Send the headers of the whole answer, then this many body bytes, then close.
    DropAfter(usize),
    /// Wait this long before sending anything.
    Stall(Duration),
    /// Send the headers and this many body bytes, then hang for the duration.
    HangAfter(usize, Duration),
    /// Answer 206 with the bytes asked for (all of them without `Range`), under a
    /// `Content-Range` that says they start one byte later than they do.
    MislabeledRange,
    /// Answer 301 with this `Location`.
    Redirect(String),
    /// Answer this status with these extra headers (429 with `Retry-After`).
    StatusWith(u16, Vec<(&'static str, String)>),
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    faults: HashMap<String, Vec<Fault>>,
    log: Vec<Logged>,
}

pub struct Server {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || handle(stream, &state));
            }
        });
        Server { url, state }
    }

    pub fn put(&self, path: &str, body: Vec<u8>) {
        self.state.lock().unwrap().files.insert(path.to_owned(), body);
    }

    /// Faults for the next requests of `path`, in order; later requests are served normally.
    pub fn faults(&self, path: &str, faults: Vec<Fault>) {
        self.state.lock().unwrap().faults.insert(path.to_owned(), faults);
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.log().iter().filter(|l| l.path == path).count()
    }
}

fn handle(mut stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut range = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("range") {
                    range = Some(value.trim().to_owned());
                }
            }
        }
        let method = request_line.split_whitespace().next().unwrap_or("GET").to_owned();
        let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        // A HEAD answer has headers only; a body after it would be read as the next answer.
        let head_only = method == "HEAD";
        let (body, fault) = {
            let mut state = state.lock().unwrap();
            state.log.push(Logged { method, path: path.clone(), range: range.clone() });
            let fault = state.faults.get_mut(&path).and_then(|f| (!f.is_empty()).then(|| f.remove(0)));
            (state.files.get(&path).cloned(), fault)
        };
        let Some(body) = body else {
            let answer: &[u8] = if head_only {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"
            } else {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
            };
            let _ = stream.write_all(answer);
            continue;
        };
        match fault {
            Some(Fault::Status(status)) => {
                let body = if head_only { "" } else { "fault" };
                let _ =
                    stream.write_all(format!("HTTP/1.1 {status} Fault\r\nContent-Length: 5\r\n\r\n{body}").as_bytes());
                continue;
            }
            Some(Fault::Redirect(location)) => {
                let _ = stream.write_all(
                    format!("HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n")
                        .as_bytes(),
                );
                continue;
            }
            Some(Fault::StatusWith(status, headers)) => {
                let extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
                let body = if head_only { "" } else { "fault" };
                let _ = stream
                    .write_all(format!("HTTP/1.1 {status} Fault\r\n{extra}Content-Length: 5\r\n\r\n{body}").as_bytes());
                continue;
            }
            Some(Fault::Stall(duration)) => std::thread::sleep(duration),
            _ => {}
        }
        let start = range
            .as_deref()
            .and_then(|r| r.strip_prefix("bytes="))
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|r| r.parse::<usize>().ok());
        if let Some(Fault::MislabeledRange) = fault {
            let start = start.unwrap_or(0).min(body.len());
            let head = format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {}-{}/{}\r\nContent-Length: {}\r\n\r\n",
                start + 1,
                body.len(),
                body.len() + 1,
                body.len() - start
            );
            if stream.write_all(head.as_bytes()).is_err() || stream.write_all(&body[start..]).is_err() {
                return;
            }
            continue;
        }
        let (head, part) = match start {
            Some(start) if start >= body.len() => {
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                );
                continue;
            }
            Some(start) => (
                format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{}\r\nContent-Length: {}\r\n\r\n",
                    body.len() - 1,
                    body.len(),
                    body.len() - start
                ),
                &body[start..],
            ),
            None => (format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()), &body[..]),
        };
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        if head_only {
            continue;
        }
        if let Some(Fault::HangAfter(n, duration)) = fault {
            let _ = stream.write_all(&part[..n.min(part.len())]);
            let _ = stream.flush();
            std::thread::sleep(duration);
            return;
        }
        if let Some(Fault::DropAfter(n)) = fault {
            let _ = stream.write_all(&part[..n.min(part.len())]);
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        if stream.write_all(part).is_err() {
            return;
        }
    }
}
